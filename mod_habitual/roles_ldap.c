/* Roles from LDAP through mod_ldap's util_ldap, as mod_authnz_ldap uses it:
 * pooled connections and util_ldap's shared-memory cache, so a lookup is
 * shared across requests and processes for LDAPCacheTTL/LDAPOpCacheTTL.
 * The core decides what the answers mean (hab_roles_resolve); this file
 * only speaks util_ldap.  Roles are resolved once per request. */
#include <string.h>

#include <apr_optional.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <util_ldap.h>

#include "mod_habitual.h"

APLOG_USE_MODULE(habitual);

/* Set once per process from post_config; read-only afterwards. */
static APR_OPTIONAL_FN_TYPE(uldap_connection_find) *fn_find;
static APR_OPTIONAL_FN_TYPE(uldap_connection_close) *fn_close;
static APR_OPTIONAL_FN_TYPE(uldap_cache_getuserdn) *fn_getuserdn;
static APR_OPTIONAL_FN_TYPE(uldap_cache_compare) *fn_compare;
static APR_OPTIONAL_FN_TYPE(uldap_cache_check_subgroups) *fn_subgroups;

void hab_ldap_retrieve(void)
{
    fn_find = APR_RETRIEVE_OPTIONAL_FN(uldap_connection_find);
    fn_close = APR_RETRIEVE_OPTIONAL_FN(uldap_connection_close);
    fn_getuserdn = APR_RETRIEVE_OPTIONAL_FN(uldap_cache_getuserdn);
    fn_compare = APR_RETRIEVE_OPTIONAL_FN(uldap_cache_compare);
    fn_subgroups = APR_RETRIEVE_OPTIONAL_FN(uldap_cache_check_subgroups);
}

int hab_ldap_available(void)
{
    return fn_find && fn_close && fn_getuserdn && fn_compare && fn_subgroups;
}

/* util_ldap_connection_find's "secure" below APR_LDAP_NONE: the server's
 * LDAPTrustedMode. */
#define HAB_LDAP_TRUSTED_MODE (-1)

typedef struct {
    request_rec *r;
    const hab_dir_conf *dc;
    util_ldap_connection_t *ldc;
    const char *cache_url;
} ldap_baton_t;

static int ldap_scope(hab_ldap_scope_t scope)
{
    switch (scope) {
    case HAB_LDAP_SCOPE_BASE: return LDAP_SCOPE_BASE;
    case HAB_LDAP_SCOPE_ONE: return LDAP_SCOPE_ONELEVEL;
    default: return LDAP_SCOPE_SUBTREE;
    }
}

static void log_unavailable(const ldap_baton_t *b, const char *what, int result)
{
    /* Over TLS a refused certificate (untrusted CA, expired, wrong name)
     * surfaces only as "can't contact" or "connect error". */
    int tls = b->ldc && b->ldc->secure != APR_LDAP_NONE;
    const char *tls_note = !tls ? ""
        : result == LDAP_SERVER_DOWN || result == LDAP_CONNECT_ERROR
        ? ", over TLS: check the server's certificate (its CA in LDAPTrustedGlobalCert, its "
          "expiry, its name against the URL's host)"
        : ", over TLS";
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, b->r,
                  HABLOGNO(10101) "LDAP unavailable during %s (%s, result %d: %s%s): answering 503",
                  what, b->ldc && b->ldc->reason ? b->ldc->reason : "no reason given", result,
                  ldap_err2string(result), tls_note);
}

/* util_ldap hands back all of an attribute's values joined by "; " in one
 * string: split them again for the core to choose from (and keep the whole
 * too, for a single value that itself holds "; "). */
static const char *const *split_values(apr_pool_t *p, const char *joined)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    for (const char *v = joined; v && *v;) {
        const char *sep = strstr(v, "; ");
        APR_ARRAY_PUSH(out, const char *) = sep ? apr_pstrmemdup(p, v, (apr_size_t)(sep - v)) : v;
        v = sep ? sep + 2 : NULL;
    }
    if (out->nelts > 1) APR_ARRAY_PUSH(out, const char *) = joined;
    APR_ARRAY_PUSH(out, const char *) = NULL;
    return (const char *const *)out->elts;
}

static hab_dir_answer_t find_user(void *baton, apr_pool_t *p, const char *filter,
                                  const char **dn, const char *const **ids)
{
    ldap_baton_t *b = baton;
    const hab_ldap_url_t *url = &b->dc->ldap_url;
    char *attrs[] = {(char *)url->attribute, NULL};
    const char **vals = NULL;
    int result = fn_getuserdn(b->r, b->ldc, b->cache_url, url->base_dn, ldap_scope(url->scope),
                                attrs, filter, dn, &vals);
    if (result == LDAP_SUCCESS) {
        *ids = split_values(p, vals ? vals[0] : NULL);
        return HAB_DIR_YES;
    }
    /* util_ldap answers NO_SUCH_OBJECT for none and for more than one
     * (uldap_cache_getuserdn counts the entries and sets the connection's
     * reason to "User is not unique ..."; only a single match is cached).
     * Several entries are never a pick: no roles (403), and one line. */
    if (result == LDAP_NO_SUCH_OBJECT) {
        if (b->ldc->reason && strstr(b->ldc->reason, "not unique"))
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, b->r,
                          HABLOGNO(10104) "more than one directory entry matches %s under "
                          "HabitualLDAPURL \"%s\": refusing the user (no roles) until the "
                          "directory holds exactly one", filter, b->dc->ldap_url_text);
        return HAB_DIR_NO;
    }
    if (result == LDAP_FILTER_ERROR) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, b->r,
                      HABLOGNO(10102) "LDAP rejected the user filter: check the filter "
                      "part of HabitualLDAPURL");
        return HAB_DIR_NO;
    }
    log_unavailable(b, "the user search", result);
    return HAB_DIR_UNAVAILABLE;
}

/* Groups within a group, as mod_authnz_ldap's AuthLDAPMaxSubGroupDepth
 * counts them (util_ldap's cached sub-group comparison): members of these
 * classes, by these attributes, to HabitualGroupNestingDepth.  A loop in the
 * directory is walked no deeper than that: it neither hangs nor grants. */
static char *subgroup_attributes[] = {"member", "uniqueMember", NULL};

static int compare_nested(ldap_baton_t *b, const char *group_dn, const char *attribute,
                          const char *value)
{
    int result = fn_compare(b->r, b->ldc, b->cache_url, group_dn, attribute, value);
    int depth = hab_dir_nesting_depth(b->dc);
    if (result != LDAP_COMPARE_FALSE || depth == 0) return result;
    apr_array_header_t *classes = apr_array_make(b->r->pool, 3, sizeof(char *));
    APR_ARRAY_PUSH(classes, char *) = "groupOfNames";
    APR_ARRAY_PUSH(classes, char *) = "groupOfUniqueNames";
    APR_ARRAY_PUSH(classes, char *) = "group";
    return fn_subgroups(b->r, b->ldc, b->cache_url, group_dn, attribute, value, subgroup_attributes,
                        classes, 0, depth);
}

static hab_dir_answer_t is_member(void *baton, apr_pool_t *p, const char *group_dn,
                                  const char *attribute, const char *value)
{
    ldap_baton_t *b = baton;
    (void)p;
    int result = compare_nested(b, group_dn, attribute, value);
    switch (result) {
    case LDAP_COMPARE_TRUE:
        return HAB_DIR_YES;
    case LDAP_COMPARE_FALSE:
    case LDAP_NO_SUCH_OBJECT:
    case LDAP_NO_SUCH_ATTRIBUTE:
        return HAB_DIR_NO;
    default:
        log_unavailable(b, "a group comparison", result);
        return HAB_DIR_UNAVAILABLE;
    }
}

/* util_ldap hands the connection back locked: it must be closed, or its
 * mutex stays held for good. */
static apr_status_t close_connection(void *data)
{
    fn_close(data);
    return APR_SUCCESS;
}

/* A pooled connection for this request, with its clean-up registered:
 * NULL (logged) when none is available. */
static int open_directory(request_rec *r, const hab_dir_conf *dc, ldap_baton_t *b)
{
    const hab_ldap_url_t *url = &dc->ldap_url;
    b->r = r;
    b->dc = dc;
    /* Our own cache key: util_ldap keys its search cache by URL and filter,
     * not by the attributes asked for. */
    b->cache_url = apr_pstrcat(r->pool, "habitual:", dc->ldap_url_text, NULL);
    /* ldaps:// is SSL; for ldap:// util_ldap takes LDAPTrustedMode (NONE by
     * default, STARTTLS for StartTLS), as mod_authnz_ldap's unset mode does.
     * A TLS failure fails the connection: never a retry in plain text. */
    b->ldc = fn_find(r, url->hosts, url->port, dc->bind_dn, dc->bind_password,
                       always, url->secure ? APR_LDAP_SSL : HAB_LDAP_TRUSTED_MODE);
    if (!b->ldc) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      HABLOGNO(10103) "no LDAP connection available: answering 503");
        return 0;
    }
    apr_pool_cleanup_register(r->pool, b->ldc, close_connection, apr_pool_cleanup_null);
    return 1;
}

static void close_directory(ldap_baton_t *b)
{
    apr_pool_cleanup_run(b->r->pool, b->ldc, close_connection);
    b->ldc = NULL;
}

static hab_role_groups_t role_groups(const hab_dir_conf *dc)
{
    hab_role_groups_t groups;
    memcpy(groups.dn, dc->group_dn, sizeof(groups.dn));
    groups.attribute = hab_dir_group_attribute(dc);
    groups.user_attribute = dc->ldap_url.attribute;
    groups.filter = dc->ldap_url.filter;
    groups.team_count = dc->team_names ? dc->team_names->nelts : 0;
    groups.team_name = dc->team_names ? (const char *const *)dc->team_names->elts : NULL;
    groups.team_dn = dc->team_names ? (const char *const *)dc->team_dns->elts : NULL;
    return groups;
}

static hab_err_t *resolve_from_ldap(request_rec *r, const hab_dir_conf *dc, unsigned *roles,
                                    const char **id, const char **teams)
{
    ldap_baton_t b;
    if (!open_directory(r, dc, &b)) {
        hab_err_t *e = hab_err_unavailable(r->pool, "The staff directory cannot be reached; "
                                           "try again shortly.");
        e->logged = 1;
        return e;
    }
    hab_role_groups_t groups = role_groups(dc);
    hab_directory_t dir = {&b, find_user, is_member};
    hab_err_t *e = hab_roles_and_teams_resolve(r->pool, &dir, &groups, r->user, roles, id, teams);
    if (e) e->logged = 1; /* find_user / is_member said why */
    close_directory(&b);
    return e;
}

/* ---- a user named in a request (a grant's user), for the core ---- */

typedef struct {
    request_rec *r;
    const hab_dir_conf *dc;
} finder_baton_t;

static hab_dir_answer_t find_named(void *baton, apr_pool_t *p, const char *name, const char **id,
                                   unsigned *roles)
{
    finder_baton_t *f = baton;
    ldap_baton_t b;
    if (!open_directory(f->r, f->dc, &b)) return HAB_DIR_UNAVAILABLE;
    hab_role_groups_t groups = role_groups(f->dc);
    hab_directory_t dir = {&b, find_user, is_member};
    /* the same resolution as the signed-in user's: the id and the roles now */
    *roles = 0;
    *id = NULL;
    hab_err_t *e = hab_roles_resolve(p, &dir, &groups, name, roles, id);
    close_directory(&b);
    if (e) return HAB_DIR_UNAVAILABLE;
    return *id ? HAB_DIR_YES : HAB_DIR_NO;
}

const hab_user_finder_t *hab_request_user_finder(request_rec *r, const hab_dir_conf *dc)
{
    finder_baton_t *f = apr_palloc(r->pool, sizeof(*f));
    f->r = r;
    f->dc = dc;
    hab_user_finder_t *finder = apr_palloc(r->pool, sizeof(*finder));
    finder->baton = f;
    finder->find = find_named;
    return finder;
}

/* ---- each process keeps a user's roles for HabitualRoleCacheTTL ----
 * util_ldap's cache is shared between processes but costs a search and a
 * compare per role group, each behind a global lock; under load that is
 * most of a request.  Answers are kept here for a few seconds (a change in
 * LDAP then takes effect within this TTL plus LDAPCacheTTL/LDAPOpCacheTTL).
 * "Unavailable" is never kept: it is asked again at once. */

#define ROLE_CACHE_MAX 10000

typedef struct {
    unsigned roles;
    const char *id;               /* the directory's own id, or NULL */
    const char *teams;            /* ",a,b," */
    apr_time_t expires;
} cached_roles_t;

typedef struct {
    apr_pool_t *pool;             /* cleared when the cache is full */
    apr_thread_mutex_t *lock;
    apr_hash_t *entries;          /* key -> cached_roles_t */
} role_cache_t;

/* Created once per child in child_init, before any request thread. */
static role_cache_t *role_cache;

void hab_role_cache_init(apr_pool_t *pchild)
{
    role_cache_t *c = apr_pcalloc(pchild, sizeof(*c));
    if (apr_pool_create(&c->pool, pchild) != APR_SUCCESS ||
        apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS)
        return; /* no cache: every request asks util_ldap */
    c->entries = apr_hash_make(c->pool);
    role_cache = c;
}

/* Who, against which directory and groups: one configuration's answer. */
static const char *cache_key(request_rec *r, const hab_dir_conf *dc)
{
    const char *key =
        apr_pstrcat(r->pool, dc->ldap_url_text, "\n", hab_dir_group_attribute(dc), NULL);
    for (int i = 0; i < HAB_ROLE_COUNT; i++)
        key = apr_pstrcat(r->pool, key, "\n", dc->group_dn[i] ? dc->group_dn[i] : "", NULL);
    for (int i = 0; dc->team_names && i < dc->team_names->nelts; i++)
        key = apr_pstrcat(r->pool, key, "\n", APR_ARRAY_IDX(dc->team_dns, i, const char *), NULL);
    key = apr_psprintf(r->pool, "%s\n%d", key, hab_dir_nesting_depth(dc));
    return apr_pstrcat(r->pool, key, "\n", r->user, NULL);
}

static int cache_lookup(apr_pool_t *p, const char *key, unsigned *roles, const char **id,
                        const char **teams)
{
    int hit = 0;
    if (!role_cache || apr_thread_mutex_lock(role_cache->lock) != APR_SUCCESS) return 0;
    const cached_roles_t *e = apr_hash_get(role_cache->entries, key, APR_HASH_KEY_STRING);
    if (e && e->expires > apr_time_now()) {
        *roles = e->roles;
        *id = e->id ? apr_pstrdup(p, e->id) : NULL;  /* the cache's pool may be cleared */
        *teams = apr_pstrdup(p, e->teams);
        hit = 1;
    }
    apr_thread_mutex_unlock(role_cache->lock);
    return hit;
}

static void cache_store(const char *key, unsigned roles, const char *id, const char *teams,
                        int seconds)
{
    if (!role_cache || apr_thread_mutex_lock(role_cache->lock) != APR_SUCCESS) return;
    cached_roles_t *e = apr_hash_get(role_cache->entries, key, APR_HASH_KEY_STRING);
    if (!e) {
        if (apr_hash_count(role_cache->entries) >= ROLE_CACHE_MAX) {
            apr_pool_clear(role_cache->pool);
            role_cache->entries = apr_hash_make(role_cache->pool);
        }
        e = apr_pcalloc(role_cache->pool, sizeof(*e));
        apr_hash_set(role_cache->entries, apr_pstrdup(role_cache->pool, key), APR_HASH_KEY_STRING,
                     e);
    }
    e->roles = roles;
    /* a new id only when it changed: the entry's pool is never freed piecemeal */
    if (!id) e->id = NULL;
    else if (!e->id || strcmp(e->id, id) != 0) e->id = apr_pstrdup(role_cache->pool, id);
    if (!e->teams || strcmp(e->teams, teams) != 0) e->teams = apr_pstrdup(role_cache->pool, teams);
    e->expires = apr_time_now() + apr_time_from_sec(seconds);
    apr_thread_mutex_unlock(role_cache->lock);
}

/* Keyed by the name as single sign-on sent it: "Chris" and "chris" are two
 * entries holding the same roles and the same canonical id. */
static hab_err_t *resolve(request_rec *r, const hab_dir_conf *dc, unsigned *roles, const char **id,
                          const char **teams)
{
    int seconds = hab_dir_role_cache_seconds(dc);
    const char *key = seconds > 0 ? cache_key(r, dc) : NULL;
    if (key && cache_lookup(r->pool, key, roles, id, teams)) return NULL;
    hab_err_t *err = resolve_from_ldap(r, dc, roles, id, teams);
    if (!err && key) cache_store(key, *roles, *id, *teams, seconds);
    return err;
}

hab_err_t *hab_request_roles(request_rec *r, const hab_dir_conf *dc, unsigned *roles,
                             const char **user)
{
    hab_request_state_t *memo = hab_request_state(r);
    if (!memo->roles_known) {
        memo->roles_err = resolve(r, dc, &memo->roles, &memo->user, &memo->teams);
        memo->roles_known = 1;
    }
    *roles = memo->roles_err ? 0 : memo->roles;
    *user = memo->roles_err ? NULL : memo->user;
    return memo->roles_err;
}

const char *hab_request_teams(request_rec *r)
{
    hab_request_state_t *memo = hab_request_state(r);
    return memo->roles_known && !memo->roles_err && memo->teams ? memo->teams : ",";
}
