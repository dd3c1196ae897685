"""An Active-Directory-shaped directory on OpenLDAP for the tests
(test_ad_directory.py, test_signon.py, test_ldaps.py).

OpenLDAP cannot load Microsoft's schema, so a small test schema in
cn=config defines what the module relies on, with AD's own OIDs and names:
attribute types sAMAccountName and userPrincipalName (case-insensitive,
single-valued, as in AD), object class `user` (structural, below
organizationalPerson, may hold both) and object class `group` (cn, member).
`member`, `cn`, `mail` and `displayName` are OpenLDAP's standard ones, the
same syntax as AD's.  Entries are written as AD writes them: upper-case
CN=/OU=/DC=, spaces in names, commas escaped (`CN=Officer\\, Olive`,
`CN=Chief Officers\\, Corporate,OU=Security Groups,DC=council,DC=test`).

TWIN is deliberately two entries with the same sAMAccountName and
userPrincipalName (in two OUs): the module must refuse it, never pick."""

import rig

SUFFIX = "DC=council,DC=test"
DOMAIN = "council.test"
SERVICE_DN = "CN=svc-habitual,OU=Service Accounts," + SUFFIX
SERVICE_PW = "svc-secret-123"

SCHEMA_LDIF = """dn: cn=adtest,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adtest
olcAttributeTypes: ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{256} SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{1024} SINGLE-VALUE )
olcObjectClasses: ( 1.2.840.113556.1.5.9 NAME 'user' SUP organizationalPerson
  STRUCTURAL MAY ( sAMAccountName $ userPrincipalName $ mail $ displayName ) )
olcObjectClasses: ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL
  MUST cn MAY ( member $ sAMAccountName $ description ) )
"""

STAFF_OU = "OU=Staff," + SUFFIX
GROUPS_OU = "OU=Security Groups," + SUFFIX

# sAMAccountName -> (CN as AD writes it, OU, [role groups])
PEOPLE = {
    "alice": ("Alice Staff", STAFF_OU, []),
    "bob": ("Bob Staff", STAFF_OU, []),
    "carol": ("Carol CEM", STAFF_OU, ["cem"]),
    "molly": ("Molly Monitoring", STAFF_OU, ["monitoring-officer"]),
    "chris": ("Chris Chief", STAFF_OU, ["chief-executive"]),
    "olive": ("Officer\\, Olive", STAFF_OU, ["chief-officer"]),
    "audrey": ("Audrey Auditor", STAFF_OU, ["auditor"]),
}
TWIN = "twin"
TWIN_DNS = ["CN=Tom Twin,OU=Staff," + SUFFIX, "CN=Tom Twin,OU=Contractors," + SUFFIX]

# role -> the group's DN as AD writes it (commas in names escaped)
ROLE_GROUPS = {
    "cem": "CN=Community Engagement Managers,OU=Security Groups," + SUFFIX,
    "monitoring-officer": "CN=Monitoring Officer\\, Legal,OU=Security Groups," + SUFFIX,
    "chief-executive": "CN=Chief Executive,OU=Security Groups," + SUFFIX,
    "chief-officer": "CN=Chief Officers\\, Corporate,OU=Security Groups," + SUFFIX,
    "auditor": "CN=Internal Audit\\, Counter-Fraud,OU=Security Groups," + SUFFIX,
}


def person_dn(sam):
    cn, ou, _ = PEOPLE[sam]
    return "CN=%s,%s" % (cn, ou)


def upn(sam):
    return "%s@%s" % (sam, DOMAIN)


def url(port, attribute, scheme="ldap"):
    """HabitualLDAPURL for this directory, keyed by sAMAccountName or
    userPrincipalName, as the README's "Active Directory over LDAPS" shows."""
    return "%s://127.0.0.1:%d/%s?%s?sub?(objectClass=user)" % (scheme, port, SUFFIX, attribute)


def data_ldif():
    out = ["dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: council\no: Council Test\n"
           % SUFFIX]
    for ou in ("Staff", "Contractors", "Security Groups", "Service Accounts"):
        out.append("dn: OU=%s,%s\nobjectClass: organizationalUnit\nou: %s\n" % (ou, SUFFIX, ou))
    out.append("dn: %s\nobjectClass: user\ncn: svc-habitual\nsn: svc-habitual\n"
               "sAMAccountName: svc-habitual\nuserPassword: %s\n" % (SERVICE_DN, SERVICE_PW))

    def person(dn, cn, sam):
        plain = cn.replace("\\,", ",")
        return ("dn: %s\nobjectClass: user\ncn: %s\nsn: %s\ndisplayName: %s\nsAMAccountName: %s\n"
                "userPrincipalName: %s\nmail: %s\n" % (dn, plain, plain.split()[-1], plain, sam,
                                                      upn(sam), upn(sam)))
    for sam, (cn, _ou, _g) in sorted(PEOPLE.items()):
        out.append(person(person_dn(sam), cn, sam))
    for dn in TWIN_DNS:
        out.append(person(dn, "Tom Twin", TWIN))
    for role, gdn in sorted(ROLE_GROUPS.items()):
        cn = gdn.split(",OU=")[0][3:].replace("\\,", ",")
        members = [person_dn(s) for s, (_c, _o, g) in sorted(PEOPLE.items()) if role in g]
        if role == "chief-officer":       # both twins too: they still get no role
            members += TWIN_DNS
        out.append("dn: %s\nobjectClass: group\ncn: %s\n%s" % (gdn, cn, "".join(
            "member: %s\n" % m for m in members)))
    return "\n".join(out)


# Anonymous may only bind; the service account (and the rootDN) read.
BIND_REQUIRED_ACCESS = ("olcAccess: {0}to attrs=userPassword by anonymous auth by * none\n"
                        "olcAccess: {1}to * by users read by * none\n")


def slapd(workdir, tls=None, bind_required=False, tls_required=False):
    """A rig.Slapd holding this directory (not started).  bind_required:
    anonymous reads nothing; tls_required: every operation on the data
    needs TLS (olcSecurity), so a plain-text search could not succeed."""
    db = BIND_REQUIRED_ACCESS if bind_required else "olcAccess: {0}to * by * read\n"
    if tls_required:
        db += "olcSecurity: tls=128\n"
    return rig.Slapd(workdir, suffix=SUFFIX, data_ldif=data_ldif(), schema_ldif=SCHEMA_LDIF,
                     db_ldif=db, tls=tls)


# basic-auth names in the tests' htpasswd (every one with rig.PASSWORD)
SIGN_INS = (sorted(PEOPLE) + [upn(s) for s in sorted(PEOPLE)]
            + ["OLIVE", "Carol@COUNCIL.TEST", TWIN, upn(TWIN), "ghost", "ghost@" + DOMAIN])


def role_group_lines():
    return "".join('    HabitualRoleGroup %s "%s"\n' % (role, dn) for role, dn in ROLE_GROUPS.items())


def bind_lines(password=SERVICE_PW):
    return '    HabitualLDAPBindDN "%s"\n    HabitualLDAPBindPassword "%s"\n' % (SERVICE_DN, password)


def httpd(workdir, slapd, name, attribute="sAMAccountName", url=None, bind=True, password=SERVICE_PW,
          extra_server="", extra_location="", **kw):
    """A rig.Httpd (not started) on this directory: HabitualLDAPURL by
    attribute (or url), the AD role groups, the service account's bind."""
    kw.setdefault("sign_ins", SIGN_INS)
    location = role_group_lines() + (bind_lines(password) if bind else "") + extra_location
    return rig.Httpd(workdir, slapd.port, name=name, ldap_url=url or globals()["url"](slapd.port, attribute),
                     role_groups={}, extra_server=extra_server, extra_location=location, **kw)


def stop_httpd(httpd):
    """Stop an httpd a test started itself.  Under ASan, first let it settle
    for a second: a child stopped a fraction of a second after serving can
    die in mpm_event's own shutdown (close_socket_nonblocking ->
    apr_os_sock_get on freed memory; seen about once in 30 quick
    start-request-stop cycles, with LDAPS and StartTLS alike, never with the
    pause), which is httpd's and not what these tests are about."""
    if httpd.asan and httpd.proc is not None:
        import time
        time.sleep(1.0)
    httpd.stop()
