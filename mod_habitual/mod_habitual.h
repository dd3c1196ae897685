/* The httpd glue's shared declarations.  Only files in mod_habitual/ (not
 * core/) include httpd headers. */
#ifndef MOD_HABITUAL_H
#define MOD_HABITUAL_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "habitual/base/crypto.h"
#include "habitual/base/error.h"
#include "habitual/base/ldap_text.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/rules.h"
#include "habitual/domain/service.h"
#include "habitual/store/store.h"

extern module AP_MODULE_DECLARE_DATA habitual_module;

/* Our own error-log message numbers: "HAB10001: ...".  APLOGNO() numbers
 * are reserved for modules shipped with httpd. */
#define HABLOGNO(n) "HAB" #n ": "

#define HAB_UNSET -1
#define HAB_DEFAULT_APPEAL_DAYS 20
#define HAB_DEFAULT_GROUP_ATTRIBUTE "member"
#define HAB_DEFAULT_COUNCIL_NAME "The Council"
#define HAB_DEFAULT_ROLE_CACHE_SECONDS 10
#define HAB_RETRY_AFTER_SECONDS "5"

typedef struct hab_server_conf {
    const char *db_driver;   /* NULL: unset */
    const char *db_params;
} hab_server_conf;

typedef struct hab_dir_conf {
    const char *section;          /* the <Location> this config came from */
    int touched;                  /* any Habitual directive in this section */
    const char *base;             /* the mount point: HabitualLDAPURL's <Location> */
    const char *ldap_url_text;    /* NULL: unset */
    hab_ldap_url_t ldap_url;
    const char *bind_dn;          /* NULL: unset (anonymous) */
    const char *bind_password;
    const char *group_dn[HAB_ROLE_COUNT];
    const char *group_attribute;  /* NULL: unset */
    const char *secret_file;      /* NULL: unset */
    hab_secret_t secret;
    const char
        *checkpoint_key_file; /* NULL: unset (POST api/audit/verify cannot check signatures) */
    hab_secret_t checkpoint_key;
    int appeal_days;              /* HAB_UNSET */
    int interim_days;             /* HAB_UNSET: HabitualInterimDays (R15) */
    int triage_days;              /* HAB_UNSET: HabitualTriageDays (the post queue) */
    long long evidence_max;       /* HAB_UNSET: HabitualEvidenceMaxBytes */
    int review_grace_days;        /* HAB_UNSET: HabitualReviewGraceDays (R16) */
    const char *council_name;     /* NULL: unset */
    int role_cache_seconds;       /* HAB_UNSET */
    apr_array_header_t *team_names; /* HabitualTeam NAME DN: NULL unset; names and */
    apr_array_header_t *team_dns;   /* their groups' DNs, in the order given */
    int nesting_depth; /* HAB_UNSET: HabitualGroupNestingDepth (0: direct members only) */
} hab_dir_conf;

/* config.c */
extern const command_rec hab_directives[];
void *hab_create_server_conf(apr_pool_t *p, server_rec *s);
void *hab_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *hab_create_dir_conf(apr_pool_t *p, char *dir);
void *hab_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
int hab_dir_appeal_days(const hab_dir_conf *dc);
int hab_dir_interim_days(const hab_dir_conf *dc);
int hab_dir_triage_days(const hab_dir_conf *dc);
long long hab_dir_evidence_max(const hab_dir_conf *dc);
int hab_dir_review_grace_days(const hab_dir_conf *dc);
const char *hab_dir_group_attribute(const hab_dir_conf *dc);
int hab_dir_nesting_depth(const hab_dir_conf *dc);
/* ",name,name," of the HabitualTeam names ("," for none) */
const char *hab_dir_team_names(apr_pool_t *p, const hab_dir_conf *dc);
const char *hab_dir_council_name(const hab_dir_conf *dc);
int hab_dir_role_cache_seconds(const hab_dir_conf *dc);
/* Start-up checks: NULL when httpd may start, else the one line to log
 * and *number its message number (HAB10003-10009, the README's table). */
const char *hab_check_sections(apr_pool_t *p, server_rec *s, int *number);
const char *hab_check_database(apr_pool_t *p, server_rec *s, int *number);

/* roles_ldap.c */
void hab_role_cache_init(apr_pool_t *pchild);
int hab_ldap_available(void);
void hab_ldap_retrieve(void);
/* Roles of r->user, and *user: their id as the directory spells it (NULL
 * when they have no entry).  Resolved once per request. */
hab_err_t *hab_request_roles(request_rec *r, const hab_dir_conf *dc, unsigned *roles,
                             const char **user);
/* The HabitualTeam names r->user is in, ",a,b," ("," for none), once
 * hab_request_roles has answered. */
const char *hab_request_teams(request_rec *r);
/* The directory behind the core's port for names in bodies (grants). */
const hab_user_finder_t *hab_request_user_finder(request_rec *r, const hab_dir_conf *dc);

/* What the module keeps about one request, in r->request_config. */
typedef struct {
    int no_file;            /* SetHandler habitual answers it: nothing to map to a file */
    int roles_known;        /* roles and roles_err hold the answer for this request */
    unsigned roles;
    const char *user;       /* the directory's own id of r->user, or NULL */
    const char *teams;      /* ",a,b," of the HabitualTeam groups they are in */
    hab_err_t *roles_err;
} hab_request_state_t;

hab_request_state_t *hab_request_state(request_rec *r);

/* store_pool.c: one store per thread, opened after fork */
/* The writers' cross-process lock (SQLite): registered in pre_config (the
 * Mutex directive may choose its mechanism), created in post_config. */
int hab_writer_mutex_register(apr_pool_t *pconf);
const char *hab_writer_mutex_create(apr_pool_t *pconf, server_rec *s);
void hab_store_pool_init(apr_pool_t *pchild, server_rec *s);
hab_err_t *hab_request_store(request_rec *r, hab_store_t **store);
struct hab_writer *hab_child_writer(void);
struct hab_view_cache *hab_child_view_cache(void);

/* handler.c: the API and the pages */
int hab_handle(request_rec *r, const hab_dir_conf *dc, const char *path);

#endif
