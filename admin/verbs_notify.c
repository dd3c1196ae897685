/* notify: email each pending notification once to the chief officers.
 * Decisions (for the README):
 *
 * notify --ldap-url URL --group DN [--sendmail CMD] [--link BASE]
 *   (--group is new: the usage line in main.c should read
 *    "--ldap-url URL --group DN [--sendmail CMD] [--link BASE]".)
 *   --ldap-url is the users' URL exactly as HabitualLDAPURL
 *   (ldap[s]://host[:port] [host2[:port]]/basedn?attr?scope?filter); --group
 *   is the chief officers' group, as in HabitualRoleGroup chief-officer.
 *   Binds anonymously, or as HABITUAL_LDAP_BINDDN with HABITUAL_LDAP_BINDPW
 *   when that is set (environment, so the password is not on a command line;
 *   it is removed from the environment before sendmail runs);
 *   5 s network and operation timeouts.  The group's member (and
 *   uniqueMember) DNs are read; each member under the URL's base DN whose
 *   entry matches the URL's filter contributes its first `mail` value; values
 *   that are not a plain address (control characters, spaces, <>()[],;:"\,
 *   not exactly one @) are skipped with a warning naming the member's DN.
 *   First, lapses are materialised: a lapse is derived from dates, so for
 *   each active case past its period's end with no 'lapsed' notification a
 *   row is inserted (event lapsed, created_at the day after the period's last
 *   day at 00:00:00Z, created_by "habitual-admin"), so it is emailed once.
 *   Then every notification with email_sent_at NULL, oldest first.  None:
 *   "notify: nothing to send", exit 0, LDAP not asked.  LDAP unreachable,
 *   the group missing or no usable address: exit 1 with a clear message,
 *   nothing marked.  Each notification is one RFC 5322 message piped to CMD
 *   (default "/usr/sbin/sendmail -t -i", run with /bin/sh -c) with To: every
 *   address, Subject "Habitual contact: case N EVENT", and a body holding the
 *   case id, the event, its date and BASE/cases/N (omitted without --link):
 *   no names, no case content.  From: is left to sendmail (the running user).
 *   Exit 0 from CMD: email_sent_at set, email_attempts + 1, email_error
 *   cleared.  Otherwise email_attempts + 1 and email_error a short reason
 *   ("sendmail exited with status 1"); it stays pending for the next run; the
 *   verb exits 1 after trying the others.  Output names case ids and events
 *   only.  Case ids with their events tell what happened in a case: before
 *   sending, one access-log entry per case with pending notifications
 *   (admin.notify); "nothing to send" leaves none.  Runs must not overlap: in cron use flock, e.g.
 *     0-59/10 * * * *  www-data  flock -n /run/lock/habitual-notify habitual-admin --driver sqlite3 --params /var/lib/habitual/habitual.db notify --ldap-url "ldap://ldap.council.example/ou=people,dc=council,dc=example?uid?sub" --group "cn=chief-officers,ou=groups,dc=council,dc=example" --link https://intranet.council.example/habitual
 */
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
#include "habitual/casefile.h"
#include "habitual/dates.h"
#include "habitual/ldap_text.h"
#include "habitual/text.h"

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
    if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !out)
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
    int rc = ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, url->filter, attrs, 0, NULL, NULL, &tv, 1, &res);
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
        else fprintf(stderr, "habitual-admin: %s has a mail value that is not a plain address; skipped\n",
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
    const char *problem = hab_ldap_url_parse(p, url_text, &url);
    if (problem) return apr_psprintf(p, "--ldap-url: %s", problem);
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
        problem = apr_psprintf(p, "cannot reach or bind to LDAP at %s: %s", uris, ldap_err2string(rc));
    } else {
        apr_array_header_t *members = apr_array_make(p, 8, sizeof(const char *));
        problem = group_members(p, ld, group, members);
        for (int i = 0; !problem && i < members->nelts; i++) {
            const char *mail = member_mail(p, ld, &url, APR_ARRAY_IDX(members, i, const char *), &problem);
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
    fprintf(out, "This message holds no case content. Sign in to the intranet to read the notice.\n");
}

const char *admin_sendmail(apr_pool_t *p, const char *cmd, void (*write)(FILE *out, const void *arg),
                           const void *arg)
{
    fflush(NULL);
    FILE *pipe = popen(cmd, "w");
    if (!pipe) return "cannot run the sendmail command";
    write(pipe, arg);
    int write_failed = fflush(pipe) != 0 || ferror(pipe);
    int status = pclose(pipe);
    if (status == -1) return "cannot run the sendmail command";
    if (WIFSIGNALED(status)) return apr_psprintf(p, "sendmail killed by signal %d", WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return apr_psprintf(p, "sendmail exited with status %d", WEXITSTATUS(status));
    if (write_failed) return "sendmail did not read the whole message";
    return NULL;
}

static const char *send_one(apr_pool_t *p, const char *cmd, const apr_array_header_t *to,
                            long long case_id, const char *event, const char *date, const char *link)
{
    notice_mail_t m = {to, case_id, event, date, link};
    return admin_sendmail(p, cmd, write_message, &m);
}

/* ---- the verb ---- */

/* An appeal pending when its case lapsed can never be decided: record it
 * closed with the case (the case file already shows it so), and log it. */
static hab_err_t *withdraw_lapsed_appeals(admin_ctx_t *ctx, hab_store_t *s)
{
    hab_rows_t *r;
    hab_err_t *e = hab_store_q(s, ctx->p, &r,
                               "SELECT c.id, " HAB_SQL_LAST_DAY("pe") " FROM cases c "
                               "JOIN periods pe ON pe.id = (SELECT max(id) FROM periods WHERE case_id = c.id) "
                               "WHERE c.status = 'active' AND " HAB_SQL_LAST_DAY("pe") " < ? "
                               "AND EXISTS (SELECT 1 FROM appeals a "
                               "WHERE a.case_id = c.id AND NOT EXISTS (SELECT 1 FROM appeal_decisions d "
                               "WHERE d.appeal_id = a.id)) ORDER BY c.id", "t", ctx->today);
    for (int i = 0; !e && i < r->nrows; i++) {
        const char *at = apr_pstrcat(ctx->p, hab_date_add_days(ctx->p, T(r, i, 1), 1), "T00:00:00Z", NULL);
        e = hab_appeal_withdraw_on_end(s, ctx->p, hab_rows_int(r, i, 0), "habitual-admin", at);
        if (!e) e = admin_log_in_transaction(ctx, s, "admin.appeal.withdrawn", hab_rows_int(r, i, 0));
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
        e = hab_store_q(s, ctx->p, NULL, "INSERT INTO notifications(case_id, event, created_at, created_by) "
                        "VALUES (?, ?, ?, 'habitual-admin')", "itt", d->case_id, d->event, d->at);
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

static hab_err_t *record(admin_ctx_t *ctx, hab_store_t *s, long long id, const char *failure)
{
    hab_err_t *e = NULL;
    for (int tries = 0; tries < 3; tries++) { /* the mail went: try hard to record it */
        e = failure
            ? hab_store_q(s, ctx->p, NULL, "UPDATE notifications SET email_attempts = email_attempts + 1, "
                          "email_error = ? WHERE id = ? AND email_sent_at IS NULL", "ti", failure, id)
            : hab_store_q(s, ctx->p, NULL, "UPDATE notifications SET email_sent_at = ?, "
                          "email_attempts = email_attempts + 1, email_error = NULL "
                          "WHERE id = ? AND email_sent_at IS NULL", "ti", ctx->now, id);
        if (!e) break;
    }
    return e;
}

int verb_notify(admin_ctx_t *ctx)
{
    static const char *const opts[] = {"--sendmail", "--ldap-url", "--group", "--link", NULL};
    int rc = admin_check_options(ctx, opts, NULL, 0);
    if (rc) return rc;
    const char *cmd = admin_option(ctx, "--sendmail"), *url = admin_option(ctx, "--ldap-url");
    const char *group = admin_option(ctx, "--group"), *link = admin_option(ctx, "--link");
    if (!cmd) cmd = ADMIN_DEFAULT_SENDMAIL;
    if (!url || !group) {
        fprintf(stderr, "habitual-admin: notify needs --ldap-url URL (as HabitualLDAPURL) and "
                        "--group DN (the chief officers' group)\n");
        return ADMIN_USAGE;
    }
    if (link) {
        for (const char *c = link; *c; c++)
            if (*c <= 0x20 || *c >= 0x7f) {
                fprintf(stderr, "habitual-admin: --link must be a URL without spaces\n");
                return ADMIN_USAGE;
            }
        char *l = apr_pstrdup(ctx->p, link);
        for (size_t n = strlen(l); n > 0 && l[n - 1] == '/'; n--) l[n - 1] = '\0';
        link = l;
    }
    hab_store_t *store;
    if ((rc = admin_open(ctx, 0, &store))) return rc;
    signal(SIGPIPE, SIG_IGN); /* a sendmail that exits early is a failed send, not our death */

    int lapses;
    hab_err_t *e = materialise_lapses(ctx, store, &lapses);
    hab_rows_t *r;
    if (!e) e = hab_store_q(store, ctx->p, &r, "SELECT id, case_id, event, created_at FROM notifications "
                            "WHERE email_sent_at IS NULL ORDER BY created_at, id", "");
    if (e) return admin_fail(e, ADMIN_DATABASE);
    if (lapses) printf("notify: %d event%s (lapse, suspension ended) recorded as notifications\n", lapses, lapses == 1 ? "" : "s");
    if (r->nrows == 0) {
        printf("notify: nothing to send\n");
        return ADMIN_OK;
    }

    apr_array_header_t *to = apr_array_make(ctx->p, 8, sizeof(const char *));
    const char *problem = admin_group_addresses(ctx->p, url, group, to);
    if (problem) {
        fprintf(stderr, "habitual-admin: %s; nothing was sent (%d pending)\n",
                hab_text_clean(ctx->p, problem, 0), r->nrows);
        return ADMIN_FAILED;
    }
    /* case ids with what happened in them: logged before anything is sent or shown */
    apr_array_header_t *named = apr_array_make(ctx->p, r->nrows, sizeof(long long));
    for (int i = 0; i < r->nrows; i++) {
        long long case_id = hab_rows_int(r, i, 1);
        int seen = 0;
        for (int k = 0; k < named->nelts && !seen; k++) seen = APR_ARRAY_IDX(named, k, long long) == case_id;
        if (!seen) APR_ARRAY_PUSH(named, long long) = case_id;
    }
    if ((rc = admin_log_cases(ctx, store, "admin.notify", named))) return rc;
    int sent = 0, failed = 0;
    for (int i = 0; i < r->nrows; i++) {
        long long id = hab_rows_int(r, i, 0), case_id = hab_rows_int(r, i, 1);
        const char *event = safe_word(T(r, i, 2));
        const char *failure = send_one(ctx->p, cmd, to, case_id, event,
                                       ops_date_of(ctx->p, T(r, i, 3)), link);
        if ((e = record(ctx, store, id, failure))) {
            fprintf(stderr, "habitual-admin: case %lld %s was %s but cannot be recorded: %s\n", case_id,
                    event, failure ? "not sent" : "sent", e->message);
            return ADMIN_DATABASE;
        }
        if (failure) {
            failed++;
            fprintf(stderr, "habitual-admin: case %lld %s not sent: %s; it stays pending\n", case_id,
                    event, failure);
        } else {
            sent++;
            printf("sent: case %lld %s to %d chief officer%s\n", case_id, event, to->nelts,
                   to->nelts == 1 ? "" : "s");
        }
    }
    printf("notify: %d sent, %d failed\n", sent, failed);
    return failed ? ADMIN_FAILED : ADMIN_OK;
}
