/* The service: one call per request, after the glue has established who is
 * asking.  It runs the step inside one write transaction and appends the
 * access-log entry in that same transaction (or, for a refusal, in a
 * transaction of its own after the step's changes are rolled back).
 * The API and the pages both call this; neither re-checks a rule. */
#ifndef HABITUAL_SERVICE_H
#define HABITUAL_SERVICE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <jansson.h>

#include "habitual/base/crypto.h"
#include "habitual/base/error.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/router.h"
#include "habitual/store/store.h"

/* Finds a user someone named (a grant's user) in the directory and gives
 * their id as the directory spells it: the module asks util_ldap, the unit
 * tests a stub (README, "Roles"). */
typedef struct hab_user_finder {
    void *baton;
    /* *roles: the user's roles now, as the signed-in user's are resolved (R18) */
    hab_dir_answer_t (*find)(void *baton, apr_pool_t *p, const char *name, const char **id,
                             unsigned *roles);
} hab_user_finder_t;

typedef struct hab_ctx {
    apr_pool_t *p;
    hab_store_t *store;
    const char *user;          /* the directory's own id of r->user (README, "Roles") */
    unsigned roles;
    const char *teams; /* ",a,b,": the HabitualTeam groups the user is in ("," or NULL: none) */
    const char *team_names;    /* ",a,b,": every HabitualTeam configured here */
    const hab_secret_t *secret; /* HabitualSecretFile: CSRF tokens */
    const hab_secret_t *checkpoint_key; /* HabitualCheckpointKeyFile, or NULL */
    long long now_seconds;     /* Unix time of the request */
    const char *now;           /* UTC, YYYY-MM-DDTHH:MM:SSZ */
    const char *today;         /* the council's local date, YYYY-MM-DD */
    int appeal_days;
    int interim_days;          /* HabitualInterimDays (R15); 0: the default, 28 */
    int triage_days;           /* HabitualTriageDays (the post queue); 0: the default, 5 */
    int review_grace_days; /* HabitualReviewGraceDays (R16), set by the glue (0 is a grace of none)
                            */
    long long evidence_max;    /* HabitualEvidenceMaxBytes: the largest file the glue spools */
    const char *council_name;
    const char *mount;         /* the <Location> the pages live under, e.g. "/habitual" */
    const char *request_id;
    const char *client;        /* client address, for the access log */
    struct hab_writer *writer;         /* this process's group-committing writer, or NULL */
    struct hab_view_cache *views;      /* this process's kept answers, or NULL */
    const hab_user_finder_t *users;    /* the directory, for names in bodies; NULL: none */
    /* the last name looked up through users, and the answer: asked before
     * the write transaction, so no directory wait holds the write lock */
    const char *named;
    hab_dir_answer_t named_answer;
    const char *named_id;
    unsigned named_roles;
    apr_time_t deadline;       /* its lock waits end by then; 0 until the first
                                * (see HAB_STORE_LOCK_WAIT_MS) */
    /* filled in by the step, for the access log */
    const char *acting_as;
    long long created_case_id; /* a case the step created */
    const char *refused_rule;  /* the rule ("R5") that refused this request, for its log entry */
    const char *action;        /* the log's name for what was done, if not the route's */
    apr_array_header_t
        *shown; /* case ids (long long) a list or notices showed: the entry's case_ids */
} hab_ctx_t;

typedef struct hab_request_in {
    hab_route_id_t route;
    long long case_id;         /* from the path, 0 when none */
    const char *arg;           /* grant user or letter number from the path */
    json_t *body;              /* parsed JSON object, or NULL */
    json_t *query;             /* query parameters as an object of strings, or NULL */
    apr_array_header_t *form;  /* a page's posted form (hab_form_pair_t), or NULL */
    const struct hab_upload *upload; /* an uploaded file, spooled to disk (evidence.h), or NULL */
} hab_request_in_t;

typedef struct hab_result {
    int status;                /* 200, 201, 204 */
    json_t *body;              /* owned by ctx->p; NULL for 204 */
    const char *html;          /* a page or a letter, instead of body */
    const char *json_text;     /* JSON already written out, instead of body */
    const char *location;      /* redirect here (303), after a page's form succeeded */
    const char *download;      /* a file to save: its content, with content_type, filename */
    const char *content_type;
    const char *filename;
    const struct hab_stream
        *stream; /* a stored file to send in pieces (evidence.h), instead of body */
} hab_result_t;

/* Run one audited or unaudited route. */
hab_err_t *hab_service_run(hab_ctx_t *ctx, const hab_request_in_t *in, hab_result_t *out);

/* Record a request refused before it reached the service (no role, bad
 * token, malformed body): one access-log entry in its own transaction.
 * Returns an error only when the log itself cannot be written. */
hab_err_t *hab_service_refused(hab_ctx_t *ctx, const hab_request_in_t *in,
                               const hab_err_t *why);

/* The directory's id of a user named in a body (a grant's user): NULL
 * with *id set; 422 unknown-user for a name that is not a plausible user
 * id or is not in the directory; 503 when the directory cannot answer. */
hab_err_t *hab_ctx_find_user(hab_ctx_t *ctx, const char *name, const char **id);
/* The roles the directory gave the user hab_ctx_find_user last found. */
unsigned hab_ctx_found_roles(const hab_ctx_t *ctx);

/* A list or the notices showed this case: its id goes into the entry. */
void hab_ctx_shown(hab_ctx_t *ctx, long long case_id);

/* Fill now and today from the system clock. */
void hab_ctx_set_clock(hab_ctx_t *ctx);

#endif
