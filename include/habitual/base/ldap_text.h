/* LDAP text handling with no LDAP library: RFC 4515 filter escaping and
 * the AuthLDAPURL syntax, so the module and the admin tool agree. */
#ifndef HABITUAL_LDAP_TEXT_H
#define HABITUAL_LDAP_TEXT_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "habitual/base/error.h"

/* Escape a value for use inside a filter (RFC 4515 §3): * ( ) \ NUL and
 * every byte outside printable ASCII become \XX.  len covers embedded NULs. */
const char *hab_ldap_escape_value(apr_pool_t *p, const char *value, apr_size_t len);

/* (&FILTER(ATTR=escaped user)) */
const char *hab_ldap_user_filter(apr_pool_t *p, const char *filter,
                                 const char *attribute, const char *user);

typedef enum { HAB_LDAP_SCOPE_BASE, HAB_LDAP_SCOPE_ONE, HAB_LDAP_SCOPE_SUB } hab_ldap_scope_t;

typedef struct hab_ldap_url {
    int secure;                /* ldaps:// */
    const char *hosts;         /* "host:port host2:port2", each with its port */
    int port;                  /* the first host's port */
    const char *base_dn;
    const char *attribute;     /* default "uid" */
    hab_ldap_scope_t scope;    /* default sub */
    const char *filter;        /* default "(objectClass=*)" */
} hab_ldap_url_t;

/* Parse "ldap[s]://host[:port] [host[:port]]/basedn?attr?scope?filter".
 * NULL with *url filled, or what is wrong (500 bad-config, for a start-up
 * line). */
hab_err_t *hab_ldap_url_parse(apr_pool_t *p, const char *text, hab_ldap_url_t *url);

#endif
