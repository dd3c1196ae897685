/* notify: mail each pending notification once to the chief officers (R12),
 * and each review reminder due once to the CEM, the monitoring officer and
 * the chief executive (R16).  What is mailed holds case ids, events and
 * dates only.  The README's "Notifications by email" section is the
 * contract (options, exit codes, the cron and systemd lines). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>

#define LDAP_DEPRECATED 0
#include <ldap.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "admin.h"
#include "ops.h"
#include "habitual/domain/casefile.h"
#include "habitual/base/dates.h"
#include "habitual/base/ldap_text.h"
#include "habitual/domain/procedure.h"
#include "habitual/domain/rules.h"
#include "habitual/base/text.h"

#define T(rows, r, c) hab_rows_text(rows, r, c)
#define LDAP_SECONDS 5

/* ---- the chief officers' addresses from LDAP ---- */

static int plain_address(const char *s)
{
    int at = 0;
    size_t n = strlen(s);
    if (n < 3 || n > 254) return 0;
    for (const char *c = s; *c; c++) {
        if (*c <= 0x20 || *c >= 0x7f || strchr("<>()[],;:\"\\", *c)) return 0;
        if (*c == '@') at++;
    }
    return at == 1 && s[0] != '@' && s[n - 1] != '@';
}

static const char *normal_dn(apr_pool_t *p, const char *dn)
{
    char *out = NULL;
    if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
        !out)
        return dn;
    const char *copy = apr_pstrdup(p, out);
    ldap_memfree(out);
    return copy;
}

/* Is dn the base or below it (compared without regard to case)? */
static int under_base(apr_pool_t *p, const char *dn, const char *base)
{
    const char *d = normal_dn(p, dn), *b = normal_dn(p, base);
    size_t dl = strlen(d), bl = strlen(b);
    if (dl < bl || strcasecmp(d + dl - bl, b) != 0) return 0;
    return dl == bl || d[dl - bl - 1] == ',';
}

static const char *ldap_problem(apr_pool_t *p, LDAP *ld, int rc, const char *what)
{
    (void)ld;
    return apr_psprintf(p, "LDAP %s failed: %s", what, ldap_err2string(rc));
}

/* Member DNs of the group (member and uniqueMember). */
static const char *group_members(apr_pool_t *p, LDAP *ld, const char *group,
                                 apr_array_header_t *members)
{
    char *attrs[] = {"member", "uniqueMember", NULL};
    struct timeval tv = {LDAP_SECONDS, 0};
    LDAPMessage *res = NULL;
    int rc = ldap_search_ext_s(ld, group, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
                               &tv, 0, &res);
    if (rc == LDAP_NO_SUCH_OBJECT) {
        ldap_msgfree(res);
        return apr_psprintf(p, "the group %s does not exist in the directory", group);
    }
    if (rc != LDAP_SUCCESS) {
        ldap_msgfree(res);
        return ldap_problem(p, ld, rc, "search for the group");
    }
    for (LDAPMessage *e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
        for (int a = 0; attrs[a]; a++) {
            struct berval **vals = ldap_get_values_len(ld, e, attrs[a]);
            for (int i = 0; vals && vals[i]; i++) {
                char *dn = apr_pstrmemdup(p, vals[i]->bv_val, vals[i]->bv_len);
                char *uid_suffix = strstr(dn, "#'");  /* uniqueMember's optional UID */
                if (uid_suffix) *uid_suffix = '\0';
                APR_ARRAY_PUSH(members, const char *) = dn;
            }
            ldap_value_free_len(vals);
        }
    }
    ldap_msgfree(res);
    return NULL;
}

/* The first usable mail of a member who matches the users' URL; NULL when none. */
static const char *member_mail(apr_pool_t *p, LDAP *ld, const hab_ldap_url_t *url, const char *dn,
                               const char **problem)
{
    char *attrs[] = {"mail", NULL};
    struct timeval tv = {LDAP_SECONDS, 0};
    LDAPMessage *res = NULL;
    *problem = NULL;
    if (!under_base(p, dn, url->base_dn)) return NULL;
    int rc =
        ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, url->filter, attrs, 0, NULL, NULL, &tv, 1, &res);
    if (rc == LDAP_NO_SUCH_OBJECT) {
        ldap_msgfree(res);
        return NULL;
    }
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        ldap_msgfree(res);
        *problem = ldap_problem(p, ld, rc, "search for a member");
        return NULL;
    }
    const char *mail = NULL;
    LDAPMessage *e = ldap_first_entry(ld, res);
    struct berval **vals = e ? ldap_get_values_len(ld, e, "mail") : NULL;
    if (vals && vals[0]) {
        const char *v = apr_pstrmemdup(p, vals[0]->bv_val, vals[0]->bv_len);
        if (strlen(v) == vals[0]->bv_len && plain_address(v)) mail = v;
        else
            fprintf(stderr,
                    "habitual-admin: %s has a mail value that is not a plain address; skipped\n",
                    hab_text_clean(p, dn, 0));
    }
    ldap_value_free_len(vals);
    ldap_msgfree(res);
    return mail;
}

const char *admin_group_addresses(apr_pool_t *p, const char *url_text, const char *group,
                                  apr_array_header_t *addresses)
{
    hab_ldap_url_t url;
    hab_err_t *bad = hab_ldap_url_parse(p, url_text, &url);
    if (bad) return apr_psprintf(p, "--ldap-url: %s", bad->message);
    const char *problem = NULL;
    /* "h1:p1 h2:p2" -> "ldap://h1:p1 ldap://h2:p2" */
    const char *scheme = url.secure ? "ldaps://" : "ldap://", *uris = "";
    char *hosts = apr_pstrdup(p, url.hosts), *state = NULL;
    for (char *h = apr_strtok(hosts, " ", &state); h; h = apr_strtok(NULL, " ", &state))
        uris = apr_pstrcat(p, uris, *uris ? " " : "", scheme, h, NULL);

    LDAP *ld = NULL;
    int rc = ldap_initialize(&ld, uris);
    if (rc != LDAP_SUCCESS) return ldap_problem(p, ld, rc, "initialisation");
    int v3 = LDAP_VERSION3;
    struct timeval tv = {LDAP_SECONDS, 0};
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
    const char *binddn = getenv("HABITUAL_LDAP_BINDDN"), *bindpw = getenv("HABITUAL_LDAP_BINDPW");
    if (bindpw) { /* kept from the sendmail command's environment */
        bindpw = apr_pstrdup(p, bindpw);
        unsetenv("HABITUAL_LDAP_BINDPW");
    }
    struct berval cred = {0, NULL};
    if (binddn && *binddn && bindpw) {
        cred.bv_val = (char *)bindpw;
        cred.bv_len = strlen(bindpw);
    } else {
        binddn = NULL;
    }
    rc = ldap_sasl_bind_s(ld, binddn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        problem =
            apr_psprintf(p, "cannot reach or bind to LDAP at %s: %s", uris, ldap_err2string(rc));
    } else {
        apr_array_header_t *members = apr_array_make(p, 8, sizeof(const char *));
        problem = group_members(p, ld, group, members);
        for (int i = 0; !problem && i < members->nelts; i++) {
            const char *mail =
                member_mail(p, ld, &url, APR_ARRAY_IDX(members, i, const char *), &problem);
            int seen = 0;
            for (int k = 0; mail && k < addresses->nelts; k++)
                if (!strcasecmp(APR_ARRAY_IDX(addresses, k, const char *), mail)) seen = 1;
            if (mail && !seen) APR_ARRAY_PUSH(addresses, const char *) = mail;
        }
        if (!problem && addresses->nelts == 0)
            problem = apr_psprintf(p, "no member of %s has a usable mail address", group);
    }
    ldap_unbind_ext_s(ld, NULL, NULL);
    return problem;
}

/* ---- messages ---- */

static const char *safe_word(const char *s)
{
    if (!s || !*s) return "event";
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-')) return "event";
    return s;
}

void admin_mail_headers(FILE *out, const apr_array_header_t *to, const char *subject)
{
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    fprintf(out, "To: ");
    for (int i = 0; i < to->nelts; i++)
        fprintf(out, "%s%s", i ? ",\n " : "", APR_ARRAY_IDX(to, i, const char *));
    fprintf(out, "\nSubject: %s\n", subject);
    fprintf(out, "Date: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
                 "Content-Transfer-Encoding: 7bit\nAuto-Submitted: auto-generated\n\n", when);
}

typedef struct {
    const apr_array_header_t *to;
    long long case_id;
    const char *event, *date, *link;
} notice_mail_t;

static void write_message(FILE *out, const void *arg)
{
    const notice_mail_t *m = arg;
    const apr_array_header_t *to = m->to;
    long long case_id = m->case_id;
    const char *event = m->event, *date = m->date, *link = m->link;
    char subject[96];
    snprintf(subject, sizeof(subject), "Habitual contact: case %lld %s", case_id, event);
    admin_mail_headers(out, to, subject);
    fprintf(out, "You are told of this as a chief officer under the habitual contact procedure.\n\n"
                 "Case:  %lld\nEvent: %s\nDate:  %s\n\n", case_id, event, date);
    if (link) fprintf(out, "Open the case on the intranet: %s/cases/%lld\n\n", link, case_id);
    fprintf(out,
            "This message holds no case content. Sign in to the intranet to read the notice.\n");
}

const char *admin_sendmail(apr_pool_t *p, const char *cmd,
                           void (*write)(FILE *out, const void *arg), const void *arg)
{
    fflush(NULL);
    FILE *pipe = popen(cmd, "w");
    if (!pipe) return "cannot run the sendmail command";
    write(pipe, arg);
    int write_failed = fflush(pipe) != 0 || ferror(pipe);
    int status = pclose(pipe);
    if (status == -1) return "cannot run the sendmail command";
    if (WIFSIGNALED(status))
        return apr_psprintf(p, "sendmail killed by signal %d", WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return apr_psprintf(p, "sendmail exited with status %d", WEXITSTATUS(status));
    if (write_failed) return "sendmail did not read the whole message";
    return NULL;
}

/* ---- what dates have made due ---- */

/* An appeal pending when its case lapsed can never be decided: record it
 * closed with the case (the case file already shows it so), and log it. */
static hab_err_t *withdraw_lapsed_appeals(admin_ctx_t *ctx, hab_store_t *s)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(
        s, ctx->p, &r,
        "SELECT c.id, " HAB_SQL_LAST_DAY(
            "pe") " FROM cases c "
                  "JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
                  "WHERE c.status = 'active' AND " HAB_SQL_LAST_DAY(
                      "pe") " < ? "
                            "AND EXISTS (SELECT 1 FROM appeals a "
                            "WHERE a.case_id = c.id AND NOT EXISTS (SELECT 1 FROM appeal_decisions "
                            "d "
                            "WHERE d.appeal_id = a.id)) ORDER BY c.id",
        "t", ctx->today);
    for (int i = 0; !e && i < r->nrows; i++) {
        const char *at =
            apr_pstrcat(ctx->p, hab_date_add_days(ctx->p, T(r, i, 1), 1), "T00:00:00Z", NULL);
        e = hab_appeal_withdraw_on_end(s, ctx->p, hab_rows_int(r, i, 0), "habitual-admin", at);
        if (!e)
            e = admin_log_in_transaction(ctx, s, "admin.appeal.withdrawn", hab_rows_int(r, i, 0));
    }
    return e;
}

/* Lapses are derived from dates; record each once so it is emailed once. */
static hab_err_t *materialise_lapses(admin_ctx_t *ctx, hab_store_t *s, int *added)
{
    apr_array_header_t *due = NULL;
    *added = 0;
    hab_err_t *e = s->ops->begin(s, ctx->p, 1);
    /* a lapse (R9) and a suspension's end (R14), each recorded once */
    if (!e) e = hab_derived_events(s, ctx->p, ctx->today, &due);
    for (int i = 0; !e && i < due->nelts; i++) {
        const hab_derived_event_t *d = &APR_ARRAY_IDX(due, i, hab_derived_event_t);
        e = hab_store_q(s, ctx->p, NULL,
                        "INSERT INTO notifications(case_id, event, created_at, created_by) "
                        "VALUES (?, ?, ?, 'habitual-admin')",
                        "itt", d->case_id, d->event, d->at);
        if (!e) (*added)++;
    }
    if (!e) e = withdraw_lapsed_appeals(ctx, s);
    if (!e) e = s->ops->commit(s, ctx->p);
    if (e) {
        s->ops->rollback(s);
        *added = 0;
    }
    return e;
}

/* ---- R16's review reminders ---- */

/* Record the reminder whose window holds today for each case in force,
 * once per period and kind (the table's UNIQUE), so each is sent once. */
static hab_err_t *materialise_reminders(admin_ctx_t *ctx, hab_store_t *s, int *added)
{
    hab_rows_t *r;
    const char *horizon = hab_date_add_days(ctx->p, ctx->today, HAB_R16_REMIND_BEFORE_DAYS);
    hab_err_t *e = hab_store_q(
        s, ctx->p, &r,
        "SELECT c.id, pe.id, pe.review_due, pe.review_deadline, " HAB_SQL_LAST_DAY(
            "pe") " FROM cases c JOIN periods pe ON pe.id = (SELECT max(id) FROM periods "
                  "WHERE case_id = c.id) WHERE c.status = 'active' AND pe.review_due <= ? "
                  "ORDER BY pe.review_due, c.id",
        "t", horizon);
    *added = 0;
    if (e || (e = s->ops->begin(s, ctx->p, 1))) return e;
    for (int i = 0; !e && i < r->nrows; i++) {
        if (strcmp(T(r, i, 4), ctx->today) < 0)
            continue; /* ended (lapse or R16): nothing to remind */
        const char *kind = hab_rule_r16_reminder(ctx->p, ctx->today, T(r, i, 2), T(r, i, 3));
        if (!kind) continue;
        hab_rows_t *seen;
        long long period = hab_rows_int(r, i, 1);
        e = hab_store_q(s, ctx->p, &seen,
                        "SELECT 1 FROM review_reminders WHERE period_id = ? AND kind = ?", "it",
                        period, kind);
        if (e || seen->nrows) continue;
        e = hab_store_q(s, ctx->p, NULL,
                        "INSERT INTO review_reminders(case_id, period_id, kind, review_due, "
                        "decide_by, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        "iittt"
                        "t",
                        hab_rows_int(r, i, 0), period, kind, T(r, i, 2), T(r, i, 3), ctx->now);
        if (!e) (*added)++;
    }
    if (!e) e = s->ops->commit(s, ctx->p);
    if (e) {
        s->ops->rollback(s);
        *added = 0;
    }
    return e;
}

typedef struct {
    const apr_array_header_t *to;
    long long case_id;
    const char *kind, *review_due, *decide_by, *link;
} reminder_mail_t;

static const char *reminder_words(const char *kind)
{
    if (!strcmp(kind, "review-due-in-30-days")) return "review due in 30 days";
    if (!strcmp(kind, "review-due-today")) return "review due";
    return "review grace ends in 7 days";
}

static void write_reminder(FILE *out, const void *arg)
{
    const reminder_mail_t *m = arg;
    char subject[96];
    snprintf(subject, sizeof(subject), "Habitual contact: case %lld %s", m->case_id,
             reminder_words(m->kind));
    admin_mail_headers(out, m->to, subject);
    fprintf(out,
            "You are reminded of this as the customer experience manager, the monitoring officer "
            "or the\n"
            "chief executive under the habitual contact procedure.\n\n"
            "Case:        %lld\nReview due:  %s\n",
            m->case_id, m->review_due);
    if (m->decide_by)
        fprintf(
            out,
            "Decide by:   %s (if the review is not decided by then, the restrictions end the next\n"
            "             day: rule R16)\n",
            m->decide_by);
    fprintf(out, "\n");
    if (m->link)
        fprintf(out, "Open the case on the intranet: %s/cases/%lld\n\n", m->link, m->case_id);
    fprintf(out, "This message holds no case content. Sign in to the intranet to read the file.\n");
}

typedef struct {
    const char *cmd, *link;
    int sent, failed;
} send_run_t;

/* ---- the post queue: items waiting past the triage limit ---- */

typedef struct {
    const apr_array_header_t *to;
    const hab_rows_t *items;   /* id, case_id, received, waited */
    long limit;
    const char *link;
} post_mail_t;

static void write_post_flag(FILE *out, const void *arg)
{
    const post_mail_t *m = arg;
    char subject[96];
    snprintf(subject, sizeof(subject),
             "Habitual contact: %d item%s of post waiting over %ld working days", m->items->nrows,
             m->items->nrows == 1 ? "" : "s", m->limit);
    admin_mail_headers(out, m->to, subject);
    fprintf(out,
            "You are told of this as the customer experience manager (or one who oversees the "
            "habitual\n"
            "contact procedure): post from a restricted customer is read for new issues and\n"
            "safeguarding within %ld working days, and these items have waited longer.\n\n",
            m->limit);
    for (int i = 0; i < m->items->nrows; i++)
        fprintf(out, "Case %lld, item %lld: received %s, waited %s working days\n",
                hab_rows_int(m->items, i, 1), hab_rows_int(m->items, i, 0),
                hab_rows_text(m->items, i, 2), hab_rows_text(m->items, i, 3));
    if (m->link) fprintf(out, "\nThe queue on the intranet: %s/triage\n", m->link);
    fprintf(out,
            "\nThis message holds no case content. Sign in to the intranet to read the post.\n");
}

/* The undecided items over the limit not flagged before, oldest first,
 * each with the working days it has waited (column 3). */
static hab_err_t *post_over_limit(admin_ctx_t *ctx, hab_store_t *s, long limit, hab_rows_t **out)
{
    hab_rows_t *r;
    hab_err_t *e =
        hab_store_q(s, ctx->p, &r,
                    "SELECT id, case_id, received FROM correspondence "
                    "WHERE decided_at IS NULL AND flagged_at IS NULL ORDER BY received, id",
                    "");
    if (e) return e;
    hab_rows_t *over = apr_pcalloc(ctx->p, sizeof(*over));
    *over = *r;
    over->ncols = 4;
    over->cells = apr_pcalloc(ctx->p, (r->nrows ? r->nrows : 1) * 4 * sizeof(char *));
    over->nrows = 0;
    for (int i = 0; i < r->nrows; i++) {
        long waited = hab_date_working_days_between(T(r, i, 2), ctx->today);
        if (waited <= limit) continue;
        for (int c = 0; c < 3; c++) over->cells[over->nrows * 4 + c] = r->cells[i * r->ncols + c];
        over->cells[over->nrows * 4 + 3] = apr_ltoa(ctx->p, waited);
        over->nrows++;
    }
    *out = over;
    return NULL;
}

/* One message for all of them; each item is flagged once, when it went. */
static int send_post_flags(admin_ctx_t *ctx, hab_store_t *s, send_run_t *run,
                           const hab_rows_t *items, const apr_array_header_t *to, long limit)
{
    if (!items->nrows) return ADMIN_OK;
    post_mail_t m = {to, items, limit, run->link};
    const char *failure = admin_sendmail(ctx->p, run->cmd, write_post_flag, &m);
    if (failure) {
        run->failed++;
        fprintf(stderr,
                "habitual-admin: post waiting over the limit not flagged: %s; it stays pending\n",
                failure);
        return ADMIN_OK;
    }
    for (int i = 0; i < items->nrows; i++) {
        hab_err_t *e = hab_store_q(s, ctx->p, NULL,
                                   "UPDATE correspondence SET flagged_at = ? WHERE id = ? "
                                   "AND flagged_at IS NULL",
                                   "ti", ctx->now, hab_rows_int(items, i, 0));
        if (e) {
            fprintf(stderr, "habitual-admin: post waiting was flagged but cannot be recorded: %s\n",
                    e->message);
            return ADMIN_DATABASE;
        }
    }
    run->sent++;
    printf("sent: %d item%s of post waiting over %ld working days to %d %s\n", items->nrows,
           items->nrows == 1 ? "" : "s", limit, to->nelts, to->nelts == 1 ? "person" : "people");
    return ADMIN_OK;
}

/* ---- recording what was sent ---- */

static hab_err_t *record(admin_ctx_t *ctx, hab_store_t *s, int reminder, long long id,
                         const char *failure)
{
    /* two fixed table names, never input */
    const char *table = reminder ? "review_reminders" : "notifications";
    hab_err_t *e = NULL;
    for (int tries = 0; tries < 3; tries++) { /* the mail went: try hard to record it */
        e = failure
                ? hab_store_q(s, ctx->p, NULL,
                              apr_pstrcat(ctx->p, "UPDATE ", table,
                                          " SET email_attempts = "
                                          "email_attempts + 1, email_error = ? WHERE id = ? AND "
                                          "email_sent_at IS NULL",
                                          NULL),
                              "ti", failure, id)
                : hab_store_q(s, ctx->p, NULL,
                              apr_pstrcat(ctx->p, "UPDATE ", table,
                                          " SET email_sent_at = ?, "
                                          "email_attempts = email_attempts + 1, email_error = NULL "
                                          "WHERE id = ? AND email_sent_at IS NULL",
                                          NULL),
                              "ti", ctx->now, id);
        if (!e) break;
    }
    return e;
}

/* ---- the verb ---- */

/* Mail one pending row and record the outcome; ADMIN_DATABASE when the
 * outcome cannot be recorded (then stop: a resend would double it). */
static int send_and_record(admin_ctx_t *ctx, hab_store_t *s, send_run_t *run, int reminder,
                           long long id, long long case_id, const char *what, const char *failure)
{
    hab_err_t *e = record(ctx, s, reminder, id, failure);
    if (e) {
        fprintf(stderr, "habitual-admin: case %lld %s was %s but cannot be recorded: %s\n", case_id,
                what, failure ? "not sent" : "sent", e->message);
        return ADMIN_DATABASE;
    }
    if (failure) {
        run->failed++;
        fprintf(stderr, "habitual-admin: case %lld %s not sent: %s; it stays pending\n", case_id,
                what, failure);
    }
    return ADMIN_OK;
}

static int send_notifications(admin_ctx_t *ctx, hab_store_t *s, send_run_t *run,
                              const hab_rows_t *r, const apr_array_header_t *to)
{
    for (int i = 0; i < r->nrows; i++) {
        long long id = hab_rows_int(r, i, 0), case_id = hab_rows_int(r, i, 1);
        const char *event = safe_word(T(r, i, 2));
        notice_mail_t m = {to, case_id, event, ops_date_of(ctx->p, T(r, i, 3)), run->link};
        const char *failure = admin_sendmail(ctx->p, run->cmd, write_message, &m);
        int rc = send_and_record(ctx, s, run, 0, id, case_id, event, failure);
        if (rc) return rc;
        if (!failure) {
            run->sent++;
            printf("sent: case %lld %s to %d chief officer%s\n", case_id, event, to->nelts,
                   to->nelts == 1 ? "" : "s");
        }
    }
    return ADMIN_OK;
}

static int send_reminders(admin_ctx_t *ctx, hab_store_t *s, send_run_t *run, const hab_rows_t *r,
                          const apr_array_header_t *to)
{
    for (int i = 0; i < r->nrows; i++) {
        long long id = hab_rows_int(r, i, 0), case_id = hab_rows_int(r, i, 1);
        reminder_mail_t m = {to, case_id, safe_word(T(r, i, 2)), T(r, i, 3), T(r, i, 4), run->link};
        const char *failure = admin_sendmail(ctx->p, run->cmd, write_reminder, &m);
        int rc = send_and_record(ctx, s, run, 1, id, case_id, m.kind, failure);
        if (rc) return rc;
        if (!failure) {
            run->sent++;
            printf("sent: case %lld %s to %d %s\n", case_id, m.kind, to->nelts,
                   to->nelts == 1 ? "person" : "people");
        }
    }
    return ADMIN_OK;
}

/* The addresses of every --reminder-group, each once. */
static const char *reminder_addresses(admin_ctx_t *ctx, const char *url, apr_array_header_t *to)
{
    for (int i = 0; i + 1 < ctx->argc; i++) {
        if (strcmp(ctx->argv[i], "--reminder-group") != 0) continue;
        const char *problem = admin_group_addresses(ctx->p, url, ctx->argv[++i], to);
        if (problem) return problem;
    }
    return NULL;
}

static void add_case(apr_array_header_t *named, long long case_id)
{
    for (int k = 0; k < named->nelts; k++)
        if (APR_ARRAY_IDX(named, k, long long) == case_id) return;
    APR_ARRAY_PUSH(named, long long) = case_id;
}

static const char *checked_link(admin_ctx_t *ctx, const char *link, int *bad)
{
    *bad = 0;
    if (!link) return NULL;
    for (const char *c = link; *c; c++)
        if (*c <= 0x20 || *c >= 0x7f) *bad = 1;
    char *l = apr_pstrdup(ctx->p, link);
    for (size_t n = strlen(l); n > 0 && l[n - 1] == '/'; n--) l[n - 1] = '\0';
    return l;
}

/* Record what dates have made due (lapses, suspensions' ends, reminders),
 * then read what is pending. */
static hab_err_t *pending_work(admin_ctx_t *ctx, hab_store_t *s, hab_rows_t **notices,
                               hab_rows_t **reminders)
{
    int lapses, due;
    hab_err_t *e = materialise_lapses(ctx, s, &lapses);
    if (!e) e = materialise_reminders(ctx, s, &due);
    if (!e)
        e = hab_store_q(s, ctx->p, notices,
                        "SELECT id, case_id, event, created_at FROM notifications "
                        "WHERE email_sent_at IS NULL ORDER BY created_at, id",
                        "");
    /* only while the case is in force on the same period: a reminder made
     * moot by a decision or an end is not sent */
    if (!e)
        e = hab_store_q(
            s, ctx->p, reminders,
            "SELECT r.id, r.case_id, r.kind, r.review_due, r.decide_by FROM review_reminders r "
            "JOIN cases c ON c.id = r.case_id AND c.status = 'active' "
            "WHERE r.email_sent_at IS NULL AND r.period_id = (SELECT max(id) FROM periods "
            "WHERE case_id = r.case_id) AND (r.decide_by IS NULL OR r.decide_by >= ?) "
            "ORDER BY r.created_at, r.id",
            "t", ctx->today);
    if (!e && lapses)
        printf("notify: %d event%s (lapse, suspension ended) recorded as notifications\n", lapses,
               lapses == 1 ? "" : "s");
    if (!e && due) printf("notify: %d review reminder%s due (R16)\n", due, due == 1 ? "" : "s");
    return e;
}

int verb_notify(admin_ctx_t *ctx)
{
    static const char *const opts[] = {
        "--sendmail",       "--ldap-url",    "--group",        "--link",
        "--reminder-group", "--triage-days", "--triage-group", NULL};
    int rc = admin_check_options(ctx, opts, NULL, 0);
    if (rc) return rc;
    const char *url = admin_option(ctx, "--ldap-url"), *group = admin_option(ctx, "--group");
    int has_reminder_groups = admin_option(ctx, "--reminder-group") != NULL, bad_link;
    /* the post queue is the CEM's: their group when given, else the reminder groups */
    const char *triage_group = admin_option(ctx, "--triage-group");
    send_run_t run = {admin_option(ctx, "--sendmail"), NULL, 0, 0};
    long triage_days;
    if ((rc = ops_int_option(ctx, "--triage-days", HAB_TRIAGE_DAYS_DEFAULT, HAB_TRIAGE_DAYS_MIN,
                             HAB_TRIAGE_DAYS_MAX, &triage_days)))
        return rc;
    if (!run.cmd) run.cmd = ADMIN_DEFAULT_SENDMAIL;
    if (!url || !group) {
        fprintf(stderr, "habitual-admin: notify needs --ldap-url URL (as HabitualLDAPURL) and "
                        "--group DN (the chief officers' group)\n");
        return ADMIN_USAGE;
    }
    run.link = checked_link(ctx, admin_option(ctx, "--link"), &bad_link);
    if (bad_link) {
        fprintf(stderr, "habitual-admin: --link must be a URL without spaces\n");
        return ADMIN_USAGE;
    }
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;
    signal(SIGPIPE, SIG_IGN); /* a sendmail that exits early is a failed send, not our death */

    hab_rows_t *r, *reminders, *post;
    hab_err_t *e = pending_work(ctx, store, &r, &reminders);
    if (!e) e = post_over_limit(ctx, store, triage_days, &post);
    if (e) return admin_fail(e, ADMIN_DATABASE);
    if (r->nrows == 0 && reminders->nrows == 0 && post->nrows == 0) {
        printf("notify: nothing to send\n");
        return ADMIN_OK;
    }
    int reminders_stuck = reminders->nrows && !has_reminder_groups;
    int post_stuck = post->nrows && !has_reminder_groups && !triage_group;
    int unsendable = reminders_stuck || post_stuck;
    if (reminders_stuck)
        fprintf(
            stderr,
            "habitual-admin: %d review reminder%s pending but no --reminder-group (the CEM's, the "
            "monitoring officer's and the chief executive's groups) was given; they stay pending\n",
            reminders->nrows, reminders->nrows == 1 ? " is" : "s are");
    if (post_stuck)
        fprintf(
            stderr,
            "habitual-admin: %d item%s of post waiting over %ld working days but no --triage-group "
            "or --reminder-group was given; they stay pending\n",
            post->nrows, post->nrows == 1 ? "" : "s", triage_days);
    if (reminders_stuck) reminders->nrows = 0;
    if (post_stuck) post->nrows = 0;

    apr_array_header_t *to = apr_array_make(ctx->p, 8, sizeof(const char *));
    apr_array_header_t *to_remind = apr_array_make(ctx->p, 8, sizeof(const char *));
    apr_array_header_t *to_triage =
        triage_group ? apr_array_make(ctx->p, 8, sizeof(const char *)) : to_remind;
    const char *problem = r->nrows ? admin_group_addresses(ctx->p, url, group, to) : NULL;
    if (!problem && (reminders->nrows || (post->nrows && !triage_group)))
        problem = reminder_addresses(ctx, url, to_remind);
    if (!problem && post->nrows && triage_group)
        problem = admin_group_addresses(ctx->p, url, triage_group, to_triage);
    if (problem) {
        fprintf(stderr, "habitual-admin: %s; nothing was sent (%d pending)\n",
                hab_text_clean(ctx->p, problem, 0), r->nrows + reminders->nrows + post->nrows);
        return ADMIN_FAILED;
    }
    /* case ids with what happened in them: logged before anything is sent or shown */
    apr_array_header_t *named =
        apr_array_make(ctx->p, r->nrows + reminders->nrows + post->nrows + 1, sizeof(long long));
    for (int i = 0; i < r->nrows; i++) add_case(named, hab_rows_int(r, i, 1));
    for (int i = 0; i < reminders->nrows; i++) add_case(named, hab_rows_int(reminders, i, 1));
    for (int i = 0; i < post->nrows; i++) add_case(named, hab_rows_int(post, i, 1));
    if (named->nelts && (rc = admin_log_cases(ctx, store, "admin.notify", named))) return rc;
    if ((rc = send_notifications(ctx, store, &run, r, to)) ||
        (rc = send_reminders(ctx, store, &run, reminders, to_remind)) ||
        (rc = send_post_flags(ctx, store, &run, post, to_triage, triage_days)))
        return rc;
    printf("notify: %d sent, %d failed\n", run.sent, run.failed);
    return run.failed || unsendable ? ADMIN_FAILED : ADMIN_OK;
}
