/* mod_habitual: the module record and its hooks.  The work happens in the
 * core (core/) and the thin glue beside this file. */
#include <string.h>

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "habitual/base/log.h"
#include "mod_habitual.h"
#include "respond.h"
#include "habitual/store/store_drivers.h"

/* One line, numbered by what is wrong (the README's message table). */
static int refuse_start(server_rec *s, int number, const char *msg)
{
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "HAB%d: mod_habitual cannot start: %s", number,
                 msg);
    return HTTP_INTERNAL_SERVER_ERROR;
}

/* The core's log port, connected to the error log: the core numbers its
 * messages, httpd adds time, pid and module. */
static void log_to_error_log(void *baton, apr_pool_t *p, hab_log_level_t level, int number,
                             const char *message)
{
    (void)baton;
    ap_log_perror(APLOG_MARK, (int)level, 0, p, "HAB%d: %s", number, message);
}

static int uses_habitual(server_rec *s)
{
    for (server_rec *vs = s; vs; vs = vs->next) {
        const hab_server_conf *sc = ap_get_module_config(vs->module_config, &habitual_module);
        if (sc->db_driver) return 1;
    }
    return 0;
}

static int hab_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    hab_log_set(log_to_error_log, NULL);
    hab_store_sqlite_process_init();
    hab_ldap_retrieve();
    int number = 0;
    const char *msg = hab_check_sections(ptemp, s, &number);
    if (msg) return refuse_start(s, number, msg);
    if (!uses_habitual(s)) return OK;
    if (!hab_ldap_available())
        return refuse_start(s, 10007, "mod_ldap is not loaded; add "
                               "LoadModule ldap_module /usr/lib/apache2/modules/mod_ldap.so");
    /* post_config runs twice at start-up; the first run is a dry run (as
     * httpd's mod_md notes), so the database is opened only in the second. */
    void *seen = NULL;
    const char *key = "habitual-post-config";
    apr_pool_userdata_get(&seen, key, s->process->pool);
    if (!seen) {
        apr_pool_userdata_set((const void *)1, key, apr_pool_cleanup_null, s->process->pool);
        return OK;
    }
    msg = hab_check_database(pconf, s, &number);
    if (msg) return refuse_start(s, number, msg);
    msg = hab_writer_mutex_create(pconf, s);
    if (msg) return refuse_start(s, 10011, msg);
    return OK;
}

static void hab_child_init(apr_pool_t *pchild, server_rec *s)
{
    hab_store_pool_init(pchild, s);
    hab_role_cache_init(pchild);
}

/* The path below the mount point, without the leading '/', or NULL. */
static const char *path_below(request_rec *r, const char *base)
{
    size_t n = strlen(base);
    while (n > 1 && base[n - 1] == '/') n--;
    if (strncmp(r->uri, base, n) != 0) return NULL;
    const char *rest = r->uri + n;
    if (*rest == '\0') return "";
    if (*rest != '/' && n > 1) return NULL;
    while (*rest == '/') rest++;
    return rest;
}

static int hab_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "habitual") != 0) return DECLINED;
    const hab_dir_conf *dc = ap_get_module_config(r->per_dir_config, &habitual_module);
    hab_set_security_headers(r, 0);
    hab_request_id(r);
    if (!dc || !dc->ldap_url_text || !dc->base) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, HABLOGNO(10002) "SetHandler habitual is "
                      "used where no HabitualLDAPURL applies; answering 500");
        return hab_respond_error(r, hab_err_internal(r->pool, "not configured"));
    }
    const char *path = path_below(r, dc->base);
    if (!path) return hab_respond_error(r, hab_err_not_found(r->pool));
    return hab_handle(r, dc, path);
}

hab_request_state_t *hab_request_state(request_rec *r)
{
    hab_request_state_t *st = ap_get_module_config(r->request_config, &habitual_module);
    if (!st) {
        st = apr_pcalloc(r->pool, sizeof(*st));
        ap_set_module_config(r->request_config, &habitual_module, st);
    }
    return st;
}

/* Our requests name no file: after the first <Location> walk, note the
 * ones SetHandler habitual will answer, so that map_to_storage can skip
 * core's walk of the document root for them (as mod_proxy does).  The
 * assets below the mount point (SetHandler None) are files and keep it. */
static int hab_note_virtual(request_rec *r)
{
    const core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
    const char *err = NULL, *handler = NULL;
    if (core && core->expr_handler) handler = ap_expr_str_exec(r, core->expr_handler, &err);
    if (!err && handler && ap_cstr_casecmp(handler, "habitual") == 0)
        hab_request_state(r)->no_file = 1;
    return DECLINED;
}

static int hab_map_to_storage(request_rec *r)
{
    const hab_request_state_t *st = ap_get_module_config(r->request_config, &habitual_module);
    return st && st->no_file ? OK : DECLINED;
}

static int hab_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return hab_writer_mutex_register(pconf);
}

static void hab_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(hab_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    static const char *const after_ldap[] = {"util_ldap.c", NULL};
    ap_hook_post_config(hab_post_config, NULL, after_ldap, APR_HOOK_MIDDLE);
    ap_hook_child_init(hab_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(hab_note_virtual, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_map_to_storage(hab_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(hab_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(habitual) = {
    STANDARD20_MODULE_STUFF,
    hab_create_dir_conf,
    hab_merge_dir_conf,
    hab_create_server_conf,
    hab_merge_server_conf,
    hab_directives,
    hab_register_hooks,
    AP_MODULE_FLAG_NONE
};
