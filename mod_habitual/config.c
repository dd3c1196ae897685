/* Directives (README "Configuration"): create, merge, and the checks that stop httpd at
 * start-up with one line naming what is wrong.  Each directive's own checks
 * live in its handler; checks that need the whole configuration run from
 * post_config (hab_check_sections, hab_check_database). */
#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include <apr_strings.h>
#include <http_core.h>
#include <mod_unixd.h>
#include <unixd.h>

#include "habitual/domain/evidence.h"
#include "mod_habitual.h"
#include "habitual/store/schema.h"

APLOG_USE_MODULE(habitual);

#define HAB_APPEAL_DAYS_MAX 90

void *hab_create_server_conf(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(hab_server_conf));
}

void *hab_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const hab_server_conf *base = basev, *add = addv;
    hab_server_conf *c = apr_pcalloc(p, sizeof(*c));
    c->db_driver = add->db_driver ? add->db_driver : base->db_driver;
    c->db_params = add->db_driver ? add->db_params : base->db_params;
    return c;
}

void *hab_create_dir_conf(apr_pool_t *p, char *dir)
{
    hab_dir_conf *c = apr_pcalloc(p, sizeof(*c));
    c->section = dir;
    c->appeal_days = HAB_UNSET;
    c->interim_days = HAB_UNSET;
    c->triage_days = HAB_UNSET;
    c->evidence_max = HAB_UNSET;
    c->review_grace_days = HAB_UNSET;
    c->role_cache_seconds = HAB_UNSET;
    c->nesting_depth = HAB_UNSET;
    return c;
}

#define MERGE_PTR(field) c->field = add->field ? add->field : base->field

void *hab_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const hab_dir_conf *base = basev, *add = addv;
    hab_dir_conf *c = apr_pcalloc(p, sizeof(*c));
    c->section = add->section;
    c->touched = add->touched || base->touched;
    if (add->ldap_url_text) {
        c->ldap_url_text = add->ldap_url_text;
        c->ldap_url = add->ldap_url;
        c->base = add->base;
    } else {
        c->ldap_url_text = base->ldap_url_text;
        c->ldap_url = base->ldap_url;
        c->base = base->base;
    }
    MERGE_PTR(bind_dn);
    MERGE_PTR(bind_password);
    for (int i = 0; i < HAB_ROLE_COUNT; i++) MERGE_PTR(group_dn[i]);
    MERGE_PTR(group_attribute);
    if (add->secret_file) {
        c->secret_file = add->secret_file;
        c->secret = add->secret;
    } else {
        c->secret_file = base->secret_file;
        c->secret = base->secret;
    }
    if (add->checkpoint_key_file) {
        c->checkpoint_key_file = add->checkpoint_key_file;
        c->checkpoint_key = add->checkpoint_key;
    } else {
        c->checkpoint_key_file = base->checkpoint_key_file;
        c->checkpoint_key = base->checkpoint_key;
    }
    c->appeal_days = add->appeal_days != HAB_UNSET ? add->appeal_days : base->appeal_days;
    c->interim_days = add->interim_days != HAB_UNSET ? add->interim_days : base->interim_days;
    c->triage_days = add->triage_days != HAB_UNSET ? add->triage_days : base->triage_days;
    c->evidence_max = add->evidence_max != HAB_UNSET ? add->evidence_max : base->evidence_max;
    c->review_grace_days =
        add->review_grace_days != HAB_UNSET ? add->review_grace_days : base->review_grace_days;
    MERGE_PTR(council_name);
    c->role_cache_seconds = add->role_cache_seconds != HAB_UNSET ? add->role_cache_seconds
                                                                 : base->role_cache_seconds;
    /* a section naming teams names them all; else it inherits its parent's */
    c->team_names = add->team_names ? add->team_names : base->team_names;
    c->team_dns = add->team_names ? add->team_dns : base->team_dns;
    c->nesting_depth = add->nesting_depth != HAB_UNSET ? add->nesting_depth : base->nesting_depth;
    return c;
}

int hab_dir_nesting_depth(const hab_dir_conf *dc)
{
    return dc->nesting_depth == HAB_UNSET ? 0 : dc->nesting_depth;
}

const char *hab_dir_team_names(apr_pool_t *p, const hab_dir_conf *dc)
{
    const char *out = ",";
    for (int i = 0; dc->team_names && i < dc->team_names->nelts; i++)
        out = apr_pstrcat(p, out, APR_ARRAY_IDX(dc->team_names, i, const char *), ",", NULL);
    return out;
}

int hab_dir_appeal_days(const hab_dir_conf *dc)
{
    return dc->appeal_days == HAB_UNSET ? HAB_DEFAULT_APPEAL_DAYS : dc->appeal_days;
}

int hab_dir_review_grace_days(const hab_dir_conf *dc)
{
    return dc->review_grace_days == HAB_UNSET ? HAB_REVIEW_GRACE_DAYS_DEFAULT
                                              : dc->review_grace_days;
}

int hab_dir_interim_days(const hab_dir_conf *dc)
{
    return dc->interim_days == HAB_UNSET ? HAB_INTERIM_DAYS_DEFAULT : dc->interim_days;
}

long long hab_dir_evidence_max(const hab_dir_conf *dc)
{
    return dc->evidence_max == HAB_UNSET ? HAB_EVIDENCE_MAX_DEFAULT : dc->evidence_max;
}

int hab_dir_triage_days(const hab_dir_conf *dc)
{
    return dc->triage_days == HAB_UNSET ? HAB_TRIAGE_DAYS_DEFAULT : dc->triage_days;
}

const char *hab_dir_group_attribute(const hab_dir_conf *dc)
{
    return dc->group_attribute ? dc->group_attribute : HAB_DEFAULT_GROUP_ATTRIBUTE;
}

int hab_dir_role_cache_seconds(const hab_dir_conf *dc)
{
    return dc->role_cache_seconds == HAB_UNSET ? HAB_DEFAULT_ROLE_CACHE_SECONDS
                                               : dc->role_cache_seconds;
}

const char *hab_dir_council_name(const hab_dir_conf *dc)
{
    return dc->council_name ? dc->council_name : HAB_DEFAULT_COUNCIL_NAME;
}

/* ---- directive handlers ---- */

static const char *set_database(cmd_parms *cmd, void *dummy, const char *driver,
                                const char *params)
{
    (void)dummy;
    hab_server_conf *sc = ap_get_module_config(cmd->server->module_config, &habitual_module);
    /* One database per httpd: outside <VirtualHost>, so every site shares it. */
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err) return err;
    if (!hab_store_driver_known(driver))
        return apr_psprintf(cmd->pool, "HabitualDatabase: unknown driver '%s' (known: %s)",
                            driver, hab_store_drivers());
    if (strcmp(driver, "sqlite3") == 0) {
        params = ap_server_root_relative(cmd->pool, params);
        if (!params) return "HabitualDatabase: the database path is invalid";
    } else if (!strchr(params, '=')) {
        return "HabitualDatabase pgsql: give a libpq connection string, e.g. "
               "\"host=db.example port=5432 dbname=habitual user=habitual\"";
    }
    sc->db_driver = driver;
    sc->db_params = params;
    return NULL;
}

/* The section a directive sits in, looking through <IfModule> and friends. */
static const ap_directive_t *enclosing_section(const cmd_parms *cmd)
{
    for (const ap_directive_t *d = cmd->directive ? cmd->directive->parent : NULL; d; d = d->parent)
        if (strncasecmp(d->directive, "<If", 3) != 0) return d;
    return NULL;
}

/* Every directive but HabitualDatabase: only a <Location> applies to a
 * handler's URL space, so anywhere else it is refused at start-up. */
static const char *in_location(cmd_parms *cmd)
{
    const char *directive = cmd->cmd->name;
    const ap_directive_t *sec = enclosing_section(cmd);
    if (!cmd->path || !sec || strcasecmp(sec->directive, "<Location") != 0 ||
        (sec->args && sec->args[0] == '~'))
        return apr_psprintf(cmd->pool, "%s belongs inside a <Location> section "
                            "(not a regular-expression one)", directive);
    return NULL;
}

static const char *set_ldap_url(cmd_parms *cmd, void *dcv, const char *url)
{
    hab_dir_conf *dc = dcv;
    const char *err = in_location(cmd);
    if (err) return err;
    hab_err_t *bad = hab_ldap_url_parse(cmd->pool, url, &dc->ldap_url);
    if (bad) return apr_psprintf(cmd->pool, "HabitualLDAPURL \"%s\": %s", url, bad->message);
    dc->ldap_url_text = url;
    dc->base = cmd->path;
    dc->touched = 1;
    return NULL;
}

/* A string kept at its offset in hab_dir_conf (ap_set_string_slot), in a
 * <Location> only, never empty. */
static const char *set_location_string(cmd_parms *cmd, void *dcv, const char *arg)
{
    const char *err = in_location(cmd);
    if (err) return err;
    if (!*arg) return apr_pstrcat(cmd->pool, cmd->cmd->name, ": empty value", NULL);
    ((hab_dir_conf *)dcv)->touched = 1;
    return ap_set_string_slot(cmd, dcv, arg);
}

static const char *role_names_list(apr_pool_t *p)
{
    const char *out = "";
    for (unsigned i = 0; i < HAB_ROLE_COUNT; i++)
        out = apr_pstrcat(p, out, i ? ", " : "", hab_role_name(i), NULL);
    return out;
}

static const char *set_role_group(cmd_parms *cmd, void *dcv, const char *role, const char *dn)
{
    hab_dir_conf *dc = dcv;
    const char *err = in_location(cmd);
    if (err) return err;
    int index = hab_role_index(role);
    if (index < 0)
        return apr_psprintf(cmd->pool, "HabitualRoleGroup: unknown role '%s'; the roles are %s",
                            role, role_names_list(cmd->pool));
    if (!*dn || !strchr(dn, '='))
        return apr_psprintf(cmd->pool, "HabitualRoleGroup %s: '%s' is not a DN", role, dn);
    dc->group_dn[index] = dn;
    dc->touched = 1;
    return NULL;
}

/* HabitualTeam NAME DN: a team a notice can be passed to. */
static const char *set_team(cmd_parms *cmd, void *dcv, const char *name, const char *dn)
{
    hab_dir_conf *dc = dcv;
    const char *err = in_location(cmd);
    if (err) return err;
    size_t n = strlen(name);
    int ok = n >= 1 && n <= 40;
    for (const char *c = name; ok && *c; c++) ok = isalnum((unsigned char)*c) || *c == '-';
    if (!ok)
        return apr_psprintf(cmd->pool,
                            "HabitualTeam: '%s' is not a team name (1 to 40 letters, digits or "
                            "hyphens)",
                            name);
    if (!*dn || !strchr(dn, '='))
        return apr_psprintf(cmd->pool, "HabitualTeam %s: '%s' is not a DN", name, dn);
    if (!dc->team_names) {
        dc->team_names = apr_array_make(cmd->pool, 4, sizeof(const char *));
        dc->team_dns = apr_array_make(cmd->pool, 4, sizeof(const char *));
    }
    for (int i = 0; i < dc->team_names->nelts; i++)
        if (!strcasecmp(APR_ARRAY_IDX(dc->team_names, i, const char *), name))
            return apr_psprintf(cmd->pool, "HabitualTeam: '%s' is named twice", name);
    APR_ARRAY_PUSH(dc->team_names, const char *) = name;
    APR_ARRAY_PUSH(dc->team_dns, const char *) = dn;
    dc->touched = 1;
    return NULL;
}

static const char *set_group_attribute(cmd_parms *cmd, void *dcv, const char *attr)
{
    hab_dir_conf *dc = dcv;
    const char *err = in_location(cmd);
    if (err) return err;
    for (const char *c = attr; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '-'))
            return apr_psprintf(cmd->pool, "HabitualGroupAttribute: '%s' is not an "
                                "attribute name", attr);
    if (!*attr) return "HabitualGroupAttribute: empty attribute name";
    dc->group_attribute = attr;
    dc->touched = 1;
    return NULL;
}

static const char *set_secret_file(cmd_parms *cmd, void *dcv, const char *file)
{
    hab_dir_conf *dc = dcv;
    const char *err = in_location(cmd);
    if (err) return err;
    const char *path = ap_server_root_relative(cmd->pool, file);
    if (!path) return apr_psprintf(cmd->pool, "HabitualSecretFile: invalid path %s", file);
    /* Read now, as root, before any fork: the file may stay root-only. */
    hab_err_t *bad = hab_secret_load(cmd->pool, path, &dc->secret);
    if (bad) return apr_pstrcat(cmd->pool, "HabitualSecretFile: ", bad->message, NULL);
    dc->secret_file = path;
    dc->touched = 1;
    return NULL;
}

static const char *set_checkpoint_key_file(cmd_parms *cmd, void *dcv, const char *file)
{
    hab_dir_conf *dc = dcv;
    const char *err = in_location(cmd);
    if (err) return err;
    const char *path = ap_server_root_relative(cmd->pool, file);
    if (!path) return apr_psprintf(cmd->pool, "HabitualCheckpointKeyFile: invalid path %s", file);
    /* as HabitualSecretFile: read as root at start, the file may stay root-only */
    hab_err_t *bad = hab_secret_load(cmd->pool, path, &dc->checkpoint_key);
    if (bad) return apr_pstrcat(cmd->pool, "HabitualCheckpointKeyFile: ", bad->message, NULL);
    dc->checkpoint_key_file = path;
    dc->touched = 1;
    return NULL;
}

/* The bounded numbers (the day counts, HabitualRoleCacheTTL,
 * HabitualGroupNestingDepth): one setter, each with its bounds, words and
 * field (cmd->info).  "NAME: 'x' is not WHAT from LOW to MAX". */
typedef struct {
    const char *name, *what;
    int min, max;
    size_t offset;                /* an int in hab_dir_conf */
    const char *low;              /* how the message says min, or NULL: the number */
} bounded_number_t;

static const bounded_number_t appeal_days = {"HabitualAppealDays",
                                             "a number of working days",
                                             1,
                                             HAB_APPEAL_DAYS_MAX,
                                             APR_OFFSETOF(hab_dir_conf, appeal_days),
                                             NULL};
static const bounded_number_t interim_days = {"HabitualInterimDays",
                                              "a number of days",
                                              HAB_INTERIM_DAYS_MIN,
                                              HAB_INTERIM_DAYS_MAX,
                                              APR_OFFSETOF(hab_dir_conf, interim_days),
                                              NULL};
static const bounded_number_t review_grace_days = {"HabitualReviewGraceDays",
                                                   "a number of days",
                                                   HAB_REVIEW_GRACE_DAYS_MIN,
                                                   HAB_REVIEW_GRACE_DAYS_MAX,
                                                   APR_OFFSETOF(hab_dir_conf, review_grace_days),
                                                   NULL};
static const bounded_number_t triage_days = {"HabitualTriageDays",
                                             "a number of working days",
                                             HAB_TRIAGE_DAYS_MIN,
                                             HAB_TRIAGE_DAYS_MAX,
                                             APR_OFFSETOF(hab_dir_conf, triage_days),
                                             NULL};
static const bounded_number_t role_cache_seconds = {"HabitualRoleCacheTTL",
                                                    "a number of seconds",
                                                    0,
                                                    3600,
                                                    APR_OFFSETOF(hab_dir_conf, role_cache_seconds),
                                                    "0 (off)"};
static const bounded_number_t nesting_depth = {
    "HabitualGroupNestingDepth", "a depth", 0, 10, APR_OFFSETOF(hab_dir_conf, nesting_depth),
    "0 (direct members only)"};

static const char *set_bounded_number(cmd_parms *cmd, void *dcv, const char *arg)
{
    const bounded_number_t *d = cmd->info;
    hab_dir_conf *dc = dcv;
    const char *err = in_location(cmd);
    if (err) return err;
    char *end = NULL;
    long days = strtol(arg, &end, 10);
    if (!*arg || *end || days < d->min || days > d->max)
        return apr_psprintf(cmd->pool, "%s: '%s' is not %s from %s to %d", d->name, arg, d->what,
                            d->low ? d->low : apr_itoa(cmd->pool, d->min), d->max);
    *(int *)((char *)dc + d->offset) = (int)days;
    dc->touched = 1;
    return NULL;
}

static const char *set_evidence_max(cmd_parms *cmd, void *dcv, const char *arg)
{
    hab_dir_conf *dc = dcv;
    const char *err = in_location(cmd);
    if (err) return err;
    char *end = NULL;
    long long bytes = strtoll(arg, &end, 10);
    if (!*arg || *end || bytes < HAB_EVIDENCE_MAX_MIN || bytes > HAB_EVIDENCE_MAX_MAX)
        return apr_psprintf(
            cmd->pool, "HabitualEvidenceMaxBytes: '%s' is not a number of bytes from %d to %ld",
            arg, HAB_EVIDENCE_MAX_MIN, HAB_EVIDENCE_MAX_MAX);
    dc->evidence_max = bytes;
    dc->touched = 1;
    return NULL;
}

const command_rec hab_directives[] = {
    AP_INIT_TAKE2("HabitualDatabase", set_database, NULL, RSRC_CONF,
                  "driver and parameters: sqlite3 /var/lib/habitual/habitual.db"),
    AP_INIT_TAKE1("HabitualLDAPURL", set_ldap_url, NULL, ACCESS_CONF,
                  "ldap://host:port/basedn?attribute?scope?filter, as AuthLDAPURL"),
    AP_INIT_TAKE1("HabitualLDAPBindDN", set_location_string,
                  (void *)APR_OFFSETOF(hab_dir_conf, bind_dn), ACCESS_CONF,
                  "DN to bind as for role lookups (default: anonymous)"),
    AP_INIT_TAKE1("HabitualLDAPBindPassword", set_location_string,
                  (void *)APR_OFFSETOF(hab_dir_conf, bind_password), ACCESS_CONF,
                  "password for HabitualLDAPBindDN"),
    AP_INIT_TAKE2("HabitualRoleGroup", set_role_group, NULL, ACCESS_CONF,
                  "role and group DN: cem \"cn=cem,ou=groups,dc=example,dc=org\""),
    AP_INIT_TAKE1("HabitualGroupAttribute", set_group_attribute, NULL, ACCESS_CONF,
                  "group attribute holding member DNs (default member)"),
    AP_INIT_TAKE1("HabitualSecretFile", set_secret_file, NULL, ACCESS_CONF,
                  "file holding the secret key for CSRF tokens (at least 32 bytes)"),
    AP_INIT_TAKE1(
        "HabitualCheckpointKeyFile", set_checkpoint_key_file, NULL, ACCESS_CONF,
        "the checkpoint key (habitual-admin checkpoint --key), for POST api/audit/verify"),
    AP_INIT_TAKE1("HabitualAppealDays", set_bounded_number, (void *)&appeal_days, ACCESS_CONF,
                  "working days the customer has to appeal (default 20)"),
    AP_INIT_TAKE1("HabitualReviewGraceDays", set_bounded_number, (void *)&review_grace_days,
                  ACCESS_CONF,
                  "days after a review's due date within which it must be decided, or the "
                  "designation ends (R16; default 28, 0-90)"),
    AP_INIT_TAKE1("HabitualInterimDays", set_bounded_number, (void *)&interim_days, ACCESS_CONF,
                  "days an interim restriction after violence lasts without a report (default 28)"),
    AP_INIT_TAKE2(
        "HabitualTeam", set_team, NULL, ACCESS_CONF,
        "a team a notice may be passed to: its name and its directory group's DN (repeatable)"),
    AP_INIT_TAKE1(
        "HabitualGroupNestingDepth", set_bounded_number, (void *)&nesting_depth, ACCESS_CONF,
        "how deep groups within role and team groups count: 0 (direct members only, the default) "
        "to 10"),
    AP_INIT_TAKE1("HabitualEvidenceMaxBytes", set_evidence_max, NULL, ACCESS_CONF,
                  "the largest evidence file accepted, in bytes (default 10485760); keep httpd's "
                  "LimitRequestBody above it"),
    AP_INIT_TAKE1(
        "HabitualTriageDays", set_bounded_number, (void *)&triage_days, ACCESS_CONF,
        "working days an item of restricted post may wait for the CEM's decision before it is "
        "flagged (default 5, 1-60)"),
    AP_INIT_TAKE1("HabitualRoleCacheTTL", set_bounded_number, (void *)&role_cache_seconds,
                  ACCESS_CONF, "seconds each process keeps a user's roles (default 10; 0: off)"),
    AP_INIT_TAKE1("HabitualCouncilName", set_location_string,
                  (void *)APR_OFFSETOF(hab_dir_conf, council_name), ACCESS_CONF,
                  "the council's name in page headers and letters"),
    {NULL}};

/* ---- start-up checks ---- */

/* The configuration a request in this section would see: the server's
 * defaults, then every earlier <Location> whose path is a prefix of it. */
static const hab_dir_conf *effective_section(apr_pool_t *p, server_rec *s,
                                             apr_array_header_t *sections, int upto)
{
    const hab_dir_conf *merged = ap_get_module_config(s->lookup_defaults, &habitual_module);
    const hab_dir_conf *target = ap_get_module_config(
        APR_ARRAY_IDX(sections, upto, ap_conf_vector_t *), &habitual_module);
    for (int i = 0; i <= upto; i++) {
        const hab_dir_conf *dc = ap_get_module_config(
            APR_ARRAY_IDX(sections, i, ap_conf_vector_t *), &habitual_module);
        if (!dc || !dc->section || !target->section) continue;
        if (strncmp(target->section, dc->section, strlen(dc->section)) == 0)
            merged = hab_merge_dir_conf(p, (void *)merged, (void *)dc);
    }
    return merged;
}

const char *hab_check_sections(apr_pool_t *p, server_rec *s, int *number)
{
    for (server_rec *vs = s; vs; vs = vs->next) {
        core_server_config *core = ap_get_core_module_config(vs->module_config);
        apr_array_header_t *sections = core->sec_url;
        for (int i = 0; i < sections->nelts; i++) {
            const hab_dir_conf *own = ap_get_module_config(
                APR_ARRAY_IDX(sections, i, ap_conf_vector_t *), &habitual_module);
            if (!own || !own->touched) continue;
            const hab_dir_conf *dc = effective_section(p, vs, sections, i);
            const char *where = own->section ? own->section : "?";
            if (!dc->ldap_url_text && (*number = 10003))
                return apr_psprintf(p, "<Location %s> uses mod_habitual but has no "
                                    "HabitualLDAPURL", where);
            if (!dc->secret_file && (*number = 10004))
                return apr_psprintf(p, "<Location %s> uses mod_habitual but has no "
                                    "HabitualSecretFile", where);
            if (dc->bind_dn && !dc->bind_password && (*number = 10005))
                return apr_psprintf(p, "<Location %s>: HabitualLDAPBindDN is set but "
                                    "HabitualLDAPBindPassword is not", where);
            hab_server_conf *sc = ap_get_module_config(vs->module_config, &habitual_module);
            if (!sc->db_driver && (*number = 10006))
                return apr_psprintf(p, "<Location %s> uses mod_habitual but HabitualDatabase "
                                    "is not set (e.g. HabitualDatabase sqlite3 "
                                    "/var/lib/habitual/habitual.db)", where);
        }
    }
    return NULL;
}

/* SQLite in WAL mode keeps -wal and -shm files beside the database; if we,
 * as root, left them behind, the children could not write.  Hand them to
 * the user the children run as. */
static void give_wal_files_to_children(apr_pool_t *p, const char *path)
{
    if (geteuid() != 0) return;
    const char *suffixes[] = {"-wal", "-shm"};
    for (int i = 0; i < 2; i++) {
        const char *f = apr_pstrcat(p, path, suffixes[i], NULL);
        if (access(f, F_OK) == 0 &&
            chown(f, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0)
            ap_log_error(APLOG_MARK, APLOG_WARNING, errno, NULL,
                         HABLOGNO(10010) "cannot hand %s to the server's user", f);
    }
}

/* Another server, or this one's old children in a graceful restart, may be
 * opening the same SQLite file while the parent checks it.  A -wal or -shm
 * file SQLite creates as root is root's until it hands it to the database's
 * owner a moment later, and a child that opens it in that moment has it
 * read-only: its writes answer 503 ("readonly database").  So, as root, the
 * check runs as the database file's owner, and what it creates is theirs
 * from the start.  The parent is single-threaded here. */
typedef struct {
    int gid_switched, uid_switched;
} as_owner_t;

static void become_db_owner(const hab_server_conf *sc, as_owner_t *as)
{
    struct stat st;
    as->gid_switched = as->uid_switched = 0;
    if (geteuid() != 0 || strcmp(sc->db_driver, "sqlite3") != 0) return;
    if (stat(sc->db_params, &st) != 0 || st.st_uid == 0) return;
    as->gid_switched = setegid(st.st_gid) == 0;
    as->uid_switched = as->gid_switched && seteuid(st.st_uid) == 0;
}

/* Zero when the parent could not become root again: it must not go on. */
static int become_root_again(const as_owner_t *as)
{
    if (as->uid_switched && seteuid(0) != 0) return 0;
    return !as->gid_switched || setegid(0) == 0;
}

/* Opens the database and checks its schema; NULL when both are fine. */
static const char *open_and_check(apr_pool_t *p, const hab_server_conf *sc, int *number)
{
    apr_pool_t *tmp;
    apr_pool_create(&tmp, p);
    hab_store_t *store = NULL;
    *number = 10008;   /* cannot be opened */
    hab_err_t *e = hab_store_open(tmp, sc->db_driver, sc->db_params, 0, &store);
    if (!e && (e = hab_schema_check(store, tmp))) *number = 10009;   /* not this build's schema */
    const char *msg = e ? apr_psprintf(p, "HabitualDatabase %s %s: %s", sc->db_driver,
                                       hab_store_display(p, sc->db_driver, sc->db_params),
                                       e->message) : NULL;
    apr_pool_destroy(tmp); /* closes the connection before any fork */
    return msg;
}

/* As the owner first.  Should the owner be unable to open it (a read-only
 * file or directory), root's view decides, as before: httpd starts, and its
 * children answer 503 until the permissions are put right (README,
 * "Storage"). */
static const char *check_one_database(apr_pool_t *p, const hab_server_conf *sc, int *number)
{
    as_owner_t as;
    become_db_owner(sc, &as);
    const char *msg = open_and_check(p, sc, number);
    if (!become_root_again(&as)) {
        *number = 10012;
        return apr_psprintf(p, "cannot return to root after checking the database as its "
                               "owner: %s", strerror(errno));
    }
    if (msg && as.uid_switched) msg = open_and_check(p, sc, number);
    if (strcmp(sc->db_driver, "sqlite3") == 0) give_wal_files_to_children(p, sc->db_params);
    return msg;
}

const char *hab_check_database(apr_pool_t *p, server_rec *s, int *number)
{
    const hab_server_conf *sc = ap_get_module_config(s->module_config, &habitual_module);
    return sc->db_driver ? check_one_database(p, sc, number) : NULL;
}
