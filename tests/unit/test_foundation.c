/* Unit tests of the foundation's core: LDAP text, roles over a stub
 * directory, crypto and CSRF, dates, the router, form and JSON parsing. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <apr_strings.h>

#include "habitual/base/crypto.h"
#include "habitual/base/dates.h"
#include "habitual/base/form.h"
#include "habitual/base/json_io.h"
#include "habitual/base/ldap_text.h"
#include "habitual/domain/roles.h"
#include "habitual/domain/router.h"
#include "habitual/domain/service.h"
#include "unit.h"

/* ---- LDAP text ---- */

START_TEST(escape_specials_per_rfc4515)
{
    ck_assert_str_eq(hab_ldap_escape_value(test_pool, "ali*", 4), "ali\\2a");
    ck_assert_str_eq(hab_ldap_escape_value(test_pool, "a(b)c", 5), "a\\28b\\29c");
    ck_assert_str_eq(hab_ldap_escape_value(test_pool, "a\\b", 3), "a\\5cb");
    ck_assert_str_eq(hab_ldap_escape_value(test_pool, "a\0b", 3), "a\\00b");
    ck_assert_str_eq(hab_ldap_escape_value(test_pool, "plain.name-1", 12), "plain.name-1");
    /* non-ASCII bytes are escaped too: the filter stays printable ASCII */
    ck_assert_str_eq(hab_ldap_escape_value(test_pool, "\xc3\xa9", 2), "\\c3\\a9");
}
END_TEST

START_TEST(user_filter_wraps_the_url_filter)
{
    ck_assert_str_eq(hab_ldap_user_filter(test_pool, "(objectClass=*)", "uid", "a)(uid=*"),
                     "(&(objectClass=*)(uid=a\\29\\28uid=\\2a))");
}
END_TEST

START_TEST(url_parse_full)
{
    hab_ldap_url_t u;
    hab_err_t *err = hab_ldap_url_parse(
        test_pool, "ldap://127.0.0.1:3890/ou=people,dc=example,dc=org?cn?one?(objectClass=person)",
        &u);
    ck_assert_ptr_null(err);
    ck_assert_str_eq(u.hosts, "127.0.0.1:3890");
    ck_assert_int_eq(u.port, 3890);
    ck_assert_str_eq(u.base_dn, "ou=people,dc=example,dc=org");
    ck_assert_str_eq(u.attribute, "cn");
    ck_assert_int_eq(u.scope, HAB_LDAP_SCOPE_ONE);
    ck_assert_str_eq(u.filter, "(objectClass=person)");
    ck_assert_int_eq(u.secure, 0);
}
END_TEST

START_TEST(url_parse_defaults_and_hosts)
{
    hab_ldap_url_t u;
    ck_assert_ptr_null(hab_ldap_url_parse(test_pool, "ldaps://a.example b.example:1636/dc=x", &u));
    ck_assert_str_eq(u.hosts, "a.example:636 b.example:1636");
    ck_assert_int_eq(u.port, 636);
    ck_assert_int_eq(u.secure, 1);
    ck_assert_str_eq(u.attribute, "uid");
    ck_assert_int_eq(u.scope, HAB_LDAP_SCOPE_SUB);
    ck_assert_str_eq(u.filter, "(objectClass=*)");
    ck_assert_ptr_null(hab_ldap_url_parse(test_pool, "ldap://h/o%3Dx?uid??objectClass=person", &u));
    ck_assert_str_eq(u.base_dn, "o=x");
    ck_assert_str_eq(u.filter, "(objectClass=person)");
}
END_TEST

START_TEST(url_parse_refusals)
{
    hab_ldap_url_t u;
    const char *bad[] = {"http://h/dc=x",          "ldap://h",
                         "ldap:///dc=x",           "ldap://h:0/dc=x",
                         "ldap://h:99999/dc=x",    "ldap://h/",
                         "ldap://h/dc=x?uid?deep", "ldap://h/dc=x?uid?sub?((a=b)",
                         "ldap://h/dc=x?a?b?c?d",  "ldap://h/dc%00x",
                         "ldap://h/dc%zz",         "ldap://h;x/dc=x",
                         "ldap://h/dc=x?u(id"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(hab_ldap_url_parse(test_pool, bad[i], &u) != NULL, "accepted %s", bad[i]);
}
END_TEST

Suite *suite_ldap_text(void)
{
    Suite *s = suite_create("ldap_text");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, escape_specials_per_rfc4515);
    tcase_add_test(tc, user_filter_wraps_the_url_filter);
    tcase_add_test(tc, url_parse_full);
    tcase_add_test(tc, url_parse_defaults_and_hosts);
    tcase_add_test(tc, url_parse_refusals);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- roles over a stub directory ---- */

typedef struct {
    const char *filter_seen;
    const char *users[4];          /* filter values that exist */
    const char *memberships[8];    /* "groupdn|userdn" */
    int down_at_find;
    int down_at_member;
    int compares;
} stub_dir_t;

/* Like the directory: uid matches ignoring case; the entry's uid values are
 * the user's name, plus "alias-<name>" for names starting with 'd'. */
static hab_dir_answer_t stub_find(void *baton, apr_pool_t *p, const char *filter, const char **dn,
                                  const char *const **ids)
{
    stub_dir_t *d = baton;
    d->filter_seen = apr_pstrdup(p, filter);
    if (d->down_at_find) return HAB_DIR_UNAVAILABLE;
    for (int i = 0; i < 4 && d->users[i]; i++) {
        const char *want = apr_psprintf(p, "(&(objectClass=*)(uid=%s))", d->users[i]);
        const char *alias = apr_psprintf(p, "alias-%s", d->users[i]);
        const char *want_alias = apr_psprintf(p, "(&(objectClass=*)(uid=%s))", alias);
        int is_d = d->users[i][0] == 'd';
        if (strcasecmp(filter, want) == 0 || (is_d && strcasecmp(filter, want_alias) == 0)) {
            const char **v = apr_pcalloc(p, 3 * sizeof(*v));
            v[0] = is_d ? alias : d->users[i];
            v[1] = is_d ? d->users[i] : NULL;
            *dn = apr_psprintf(p, "uid=%s,ou=people", d->users[i]);
            *ids = v;
            return HAB_DIR_YES;
        }
    }
    return HAB_DIR_NO;
}

static hab_dir_answer_t stub_member(void *baton, apr_pool_t *p, const char *group,
                                    const char *attribute, const char *value)
{
    stub_dir_t *d = baton;
    d->compares++;
    ck_assert_str_eq(attribute, "member");
    if (d->down_at_member) return HAB_DIR_UNAVAILABLE;
    const char *key = apr_pstrcat(p, group, "|", value, NULL);
    for (int i = 0; i < 8 && d->memberships[i]; i++)
        if (strcmp(d->memberships[i], key) == 0) return HAB_DIR_YES;
    return HAB_DIR_NO;
}

static hab_role_groups_t rig_groups(void)
{
    hab_role_groups_t g;
    memset(&g, 0, sizeof(g));
    g.dn[1] = "cn=cem";
    g.dn[2] = "cn=mo";
    g.dn[4] = "cn=co";
    g.dn[5] = "cn=aud";
    g.attribute = "member";
    g.user_attribute = "uid";
    g.filter = "(objectClass=*)";
    return g;
}

START_TEST(roles_from_groups)
{
    stub_dir_t d = {NULL, {"carol", "dana", "alice", NULL},
                    {"cn=cem|uid=carol,ou=people", "cn=co|uid=dana,ou=people",
                     "cn=aud|uid=dana,ou=people", NULL}, 0, 0, 0};
    hab_directory_t dir = {&d, stub_find, stub_member};
    hab_role_groups_t g = rig_groups();
    unsigned roles = 99;
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "carol", &roles, NULL));
    ck_assert_uint_eq(roles, HAB_ROLE_STAFF | HAB_ROLE_CEM);
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "dana", &roles, NULL));
    ck_assert_uint_eq(roles, HAB_ROLE_STAFF | HAB_ROLE_CHIEF_OFFICER | HAB_ROLE_AUDITOR);
    ck_assert_str_eq(hab_roles_join(test_pool, roles), "staff,chief-officer,auditor");
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "alice", &roles, NULL));
    ck_assert_uint_eq(roles, HAB_ROLE_STAFF);
}
END_TEST

START_TEST(teams_from_team_groups)
{
    stub_dir_t d = {NULL,
                    {"carol", "alice", NULL},
                    {"cn=cem|uid=carol,ou=people", "cn=cc|uid=alice,ou=people",
                     "cn=cc|uid=carol,ou=people", "cn=night|uid=alice,ou=people", NULL},
                    0,
                    0,
                    0};
    hab_directory_t dir = {&d, stub_find, stub_member};
    hab_role_groups_t g = rig_groups();
    static const char *const names[] = {"contact-centre", "night-desk", "post-room"};
    static const char *const dns[] = {"cn=cc", "cn=night", "cn=post"};
    g.team_name = names;
    g.team_dn = dns;
    g.team_count = 3;
    unsigned roles;
    const char *teams = NULL;
    ck_assert_ptr_null(
        hab_roles_and_teams_resolve(test_pool, &dir, &g, "alice", &roles, NULL, &teams));
    ck_assert_str_eq(teams, ",contact-centre,night-desk,");
    ck_assert_uint_eq(roles, HAB_ROLE_STAFF);
    ck_assert_ptr_null(
        hab_roles_and_teams_resolve(test_pool, &dir, &g, "carol", &roles, NULL, &teams));
    ck_assert_str_eq(teams, ",contact-centre,");
    ck_assert_ptr_null(
        hab_roles_and_teams_resolve(test_pool, &dir, &g, "ghost", &roles, NULL, &teams));
    ck_assert_str_eq(teams, ",");
    /* the directory down while asking about a team: 503, no roles, never a guess */
    d.down_at_member = 1;
    hab_err_t *e = hab_roles_and_teams_resolve(test_pool, &dir, &g, "alice", &roles, NULL, &teams);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 503);
    ck_assert_uint_eq(roles, 0);
}
END_TEST

START_TEST(no_entry_no_role_and_metacharacters_escaped)
{
    stub_dir_t d = {NULL, {"alice", NULL}, {NULL}, 0, 0, 0};
    hab_directory_t dir = {&d, stub_find, stub_member};
    hab_role_groups_t g = rig_groups();
    unsigned roles = 99;
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "ghost", &roles, NULL));
    ck_assert_uint_eq(roles, 0);
    ck_assert_int_eq(d.compares, 0);
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "ali*", &roles, NULL));
    ck_assert_uint_eq(roles, 0);
    ck_assert_str_eq(d.filter_seen, "(&(objectClass=*)(uid=ali\\2a))");
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "", &roles, NULL));
    ck_assert_uint_eq(roles, 0);
}
END_TEST

START_TEST(directory_down_is_503_never_a_guess)
{
    stub_dir_t d = {NULL, {"carol", NULL}, {"cn=cem|uid=carol,ou=people", NULL}, 1, 0, 0};
    hab_directory_t dir = {&d, stub_find, stub_member};
    hab_role_groups_t g = rig_groups();
    unsigned roles = 99;
    hab_err_t *e = hab_roles_resolve(test_pool, &dir, &g, "carol", &roles, NULL);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 503);
    ck_assert_uint_eq(roles, 0);
    d.down_at_find = 0;
    d.down_at_member = 1;
    e = hab_roles_resolve(test_pool, &dir, &g, "carol", &roles, NULL);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 503);
    ck_assert_uint_eq(roles, 0);
}
END_TEST

START_TEST(staff_group_when_configured)
{
    stub_dir_t d = {NULL, {"alice", "bob", NULL}, {"cn=staff|uid=alice,ou=people", NULL}, 0, 0, 0};
    hab_directory_t dir = {&d, stub_find, stub_member};
    hab_role_groups_t g = rig_groups();
    g.dn[0] = "cn=staff";
    unsigned roles;
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "alice", &roles, NULL));
    ck_assert_uint_eq(roles, HAB_ROLE_STAFF);
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "bob", &roles, NULL));
    ck_assert_uint_eq(roles, 0);
}
END_TEST

START_TEST(user_id_is_the_directorys_own)
{
    stub_dir_t d = {NULL, {"chris", "dana", NULL}, {"cn=cem|uid=chris,ou=people", NULL}, 0, 0, 0};
    hab_directory_t dir = {&d, stub_find, stub_member};
    hab_role_groups_t g = rig_groups();
    unsigned roles;
    const char *id = "x";
    /* "Chris" is chris: the same roles, and chris as the id everywhere */
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "Chris", &roles, &id));
    ck_assert_uint_eq(roles, HAB_ROLE_STAFF | HAB_ROLE_CEM);
    ck_assert_str_eq(id, "chris");
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "CHRIS", &roles, &id));
    ck_assert_str_eq(id, "chris");
    /* several values: the one equal to the name ignoring case */
    ck_assert_int_eq(hab_dir_find_id(test_pool, &dir, &g, "DANA", NULL, &id), HAB_DIR_YES);
    ck_assert_str_eq(id, "dana");
    ck_assert_int_eq(hab_dir_find_id(test_pool, &dir, &g, "Alias-Dana", NULL, &id), HAB_DIR_YES);
    ck_assert_str_eq(id, "alias-dana");
    /* no entry: no id, no role */
    ck_assert_ptr_null(hab_roles_resolve(test_pool, &dir, &g, "ghost", &roles, &id));
    ck_assert_ptr_null(id);
    ck_assert_int_eq(hab_dir_find_id(test_pool, &dir, &g, "ghost", NULL, &id), HAB_DIR_NO);
    d.down_at_find = 1;
    ck_assert_int_eq(hab_dir_find_id(test_pool, &dir, &g, "chris", NULL, &id), HAB_DIR_UNAVAILABLE);
    ck_assert_ptr_null(id);
}
END_TEST

typedef struct {
    int asked;
    hab_dir_answer_t answer;
} stub_finder_t;

static hab_dir_answer_t stub_find_named(void *baton, apr_pool_t *p, const char *name,
                                        const char **id, unsigned *roles)
{
    stub_finder_t *f = baton;
    f->asked++;
    *roles = HAB_ROLE_STAFF;
    if (f->answer == HAB_DIR_YES) *id = apr_psprintf(p, "canon-%s", name);
    return f->answer;
}

START_TEST(named_users_through_the_port)
{
    stub_finder_t f = {0, HAB_DIR_YES};
    hab_user_finder_t finder = {&f, stub_find_named};
    hab_ctx_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.p = test_pool;
    ctx.users = &finder;
    const char *id;
    ck_assert_ptr_null(hab_ctx_find_user(&ctx, "CHRIS", &id));
    ck_assert_str_eq(id, "canon-CHRIS");
    ck_assert_ptr_null(hab_ctx_find_user(&ctx, "CHRIS", &id)); /* asked once */
    ck_assert_int_eq(f.asked, 1);
    /* wildcard-looking names never reach the directory */
    const char *bad[] = {"a*", "*", "a(", "a)", "a\\b", "a\tb", "", NULL};
    for (int i = 0; bad[i]; i++) {
        hab_err_t *e = hab_ctx_find_user(&ctx, bad[i], &id);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->status, 422);
        ck_assert_str_eq(e->code, "unknown-user");
    }
    ck_assert_int_eq(f.asked, 1);
    f.answer = HAB_DIR_NO;
    hab_err_t *e = hab_ctx_find_user(&ctx, "nobody-here", &id);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 422);
    ck_assert_str_eq(e->code, "unknown-user");
    f.answer = HAB_DIR_UNAVAILABLE;
    e = hab_ctx_find_user(&ctx, "someone", &id);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 503);
    ctx.users = NULL; /* no directory: nobody is known */
    e = hab_ctx_find_user(&ctx, "else", &id);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 422);
}
END_TEST

START_TEST(role_names)
{
    ck_assert_int_eq(hab_role_index("chief-officer"), 4);
    ck_assert_int_eq(hab_role_index("wizard"), -1);
    ck_assert_str_eq(hab_role_name(2), "monitoring-officer");
    ck_assert_ptr_null(hab_role_name(6));
}
END_TEST

Suite *suite_roles(void)
{
    Suite *s = suite_create("roles");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, roles_from_groups);
    tcase_add_test(tc, teams_from_team_groups);
    tcase_add_test(tc, no_entry_no_role_and_metacharacters_escaped);
    tcase_add_test(tc, directory_down_is_503_never_a_guess);
    tcase_add_test(tc, staff_group_when_configured);
    tcase_add_test(tc, user_id_is_the_directorys_own);
    tcase_add_test(tc, named_users_through_the_port);
    tcase_add_test(tc, role_names);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- crypto ---- */

static const hab_secret_t test_secret = {(const unsigned char *)"0123456789abcdef0123456789abcdef",
                                         32};

START_TEST(sha256_known_answer)
{
    ck_assert_str_eq(hab_sha256_hex(test_pool, "abc", 3),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(csrf_accepts_own_token)
{
    const char *t = hab_csrf_token(test_pool, &test_secret, "alice", 1800000000);
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", t, 1800000000), HAB_CSRF_OK);
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", t, 1800000000 + 3600),
                     HAB_CSRF_OK);
}
END_TEST

START_TEST(csrf_refusals)
{
    const char *t = hab_csrf_token(test_pool, &test_secret, "alice", 1800000000);
    hab_secret_t other = {(const unsigned char *)"another-secret-another-secret-xx", 32};
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "bob", t, 1800000000),
                     HAB_CSRF_MISMATCH);
    ck_assert_int_eq(hab_csrf_check(test_pool, &other, "alice", t, 1800000000), HAB_CSRF_MISMATCH);
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", t,
                                    1800000000 + HAB_CSRF_LIFETIME_SECONDS + 1), HAB_CSRF_STALE);
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", t, 1800000000 - 120),
                     HAB_CSRF_STALE);
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", NULL, 1800000000),
                     HAB_CSRF_MISSING);
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", "", 1800000000),
                     HAB_CSRF_MISSING);
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", "abc", 1800000000),
                     HAB_CSRF_MALFORMED);
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", "zz.abc", 1800000000),
                     HAB_CSRF_MALFORMED);
    ck_assert_int_eq(
        hab_csrf_check(test_pool, &test_secret, "alice",
                       "ffffffffffffffffff."
                       "0000000000000000000000000000000000000000000000000000000000000000",
                       1800000000),
        HAB_CSRF_MALFORMED);
    char *tampered = apr_pstrdup(test_pool, t);
    tampered[strlen(tampered) - 1] = tampered[strlen(tampered) - 1] == '0' ? '1' : '0';
    ck_assert_int_eq(hab_csrf_check(test_pool, &test_secret, "alice", tampered, 1800000000),
                     HAB_CSRF_MISMATCH);
}
END_TEST

START_TEST(secret_file_rules)
{
    hab_secret_t s;
    ck_assert_ptr_nonnull(hab_secret_load(test_pool, "/nonexistent/secret", &s));
    char path[] = "/tmp/habitual-secret-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "short\n", 6), 6);
    close(fd);
    ck_assert_ptr_nonnull(hab_secret_load(test_pool, path, &s));
    FILE *f = fopen(path, "w");
    fputs("0123456789abcdef0123456789abcdef\n", f);
    fclose(f);
    ck_assert_ptr_null(hab_secret_load(test_pool, path, &s));
    ck_assert_uint_eq(s.len, 32);
    unlink(path);
}
END_TEST

Suite *suite_crypto(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, sha256_known_answer);
    tcase_add_test(tc, csrf_accepts_own_token);
    tcase_add_test(tc, csrf_refusals);
    tcase_add_test(tc, secret_file_rules);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- dates ---- */

START_TEST(date_validation)
{
    ck_assert(hab_valid_date("2026-02-28"));
    ck_assert(hab_valid_date("2028-02-29"));
    ck_assert(!hab_valid_date("2026-02-29"));
    ck_assert(!hab_valid_date("2026-13-01"));
    ck_assert(!hab_valid_date("2026-1-01"));
    ck_assert(!hab_valid_date("26-01-01"));
    ck_assert(!hab_valid_date("2026-01-01T00:00:00Z"));
    ck_assert(!hab_valid_date(NULL));
    ck_assert(hab_valid_time("2026-11-29T23:59:59Z"));
    ck_assert(!hab_valid_time("2026-11-29T24:00:00Z"));
    ck_assert(!hab_valid_time("2026-11-29 23:59:59Z"));
}
END_TEST

START_TEST(date_arithmetic)
{
    ck_assert_str_eq(hab_date_add_days(test_pool, "2026-12-31", 1), "2027-01-01");
    ck_assert_str_eq(hab_date_add_days(test_pool, "2024-03-01", -1), "2024-02-29");
    ck_assert_str_eq(hab_date_add_months(test_pool, "2026-01-31", 1), "2026-02-28");
    ck_assert_str_eq(hab_date_add_months(test_pool, "2026-11-15", 14), "2028-01-15");
    ck_assert_int_eq(hab_date_diff("2026-01-01", "2027-01-01"), 365);
    ck_assert_str_eq(hab_date_long(test_pool, "2026-03-01"), "1 March 2026");
}
END_TEST

START_TEST(period_and_review_r9)
{
    /* 6 months: the review is at the period's end */
    ck_assert_str_eq(hab_period_end(test_pool, "2026-01-15", 6), "2026-07-14");
    ck_assert_str_eq(hab_review_due(test_pool, "2026-01-15", 6), "2026-07-14");
    /* 24 months: the review is after 12 months, sooner than the end */
    ck_assert_str_eq(hab_period_end(test_pool, "2026-01-15", 24), "2028-01-14");
    ck_assert_str_eq(hab_review_due(test_pool, "2026-01-15", 24), "2027-01-15");
}
END_TEST

START_TEST(working_days_skip_weekends_and_bank_holidays)
{
    /* Friday 2026-11-27 + 1 working day = Monday 30th */
    ck_assert_str_eq(hab_date_add_working_days(test_pool, "2026-11-27", 1), "2026-11-30");
    /* Christmas 2026: Fri 25 and Mon 28 (Boxing Day substitute) are holidays */
    ck_assert(!hab_date_is_working_day("2026-12-25"));
    ck_assert(!hab_date_is_working_day("2026-12-28"));
    ck_assert_str_eq(hab_date_add_working_days(test_pool, "2026-12-24", 1), "2026-12-29");
    /* Easter 2026 is 5 April: Good Friday 3rd and Easter Monday 6th */
    ck_assert(!hab_date_is_working_day("2026-04-03"));
    ck_assert(!hab_date_is_working_day("2026-04-06"));
    ck_assert(hab_date_is_working_day("2026-04-07"));
    /* May and August bank holidays 2026: 4 May, 25 May, 31 August */
    ck_assert(!hab_date_is_working_day("2026-05-04"));
    ck_assert(!hab_date_is_working_day("2026-05-25"));
    ck_assert(!hab_date_is_working_day("2026-08-31"));
    /* New Year 2028 is a Saturday: Monday 3 January is the holiday */
    ck_assert(!hab_date_is_working_day("2028-01-03"));
    /* 20 working days from 1 December 2026, across Christmas */
    ck_assert_str_eq(hab_date_add_working_days(test_pool, "2026-12-01", 20), "2026-12-31");
}
END_TEST

START_TEST(working_days_between_count_what_post_has_waited)
{
    /* received on a Friday, read the Monday after: 1 working day */
    ck_assert_int_eq(hab_date_working_days_between("2026-11-27", "2026-11-30"), 1);
    ck_assert_int_eq(hab_date_working_days_between("2026-11-30", "2026-11-30"), 0);   /* today */
    ck_assert_int_eq(hab_date_working_days_between("2026-12-01", "2026-11-30"), 0); /* not after */
    /* across Christmas 2026: the 25th and the 28th are holidays */
    ck_assert_int_eq(hab_date_working_days_between("2026-12-24", "2026-12-29"), 1);
    /* the inverse of adding working days */
    ck_assert_int_eq(hab_date_working_days_between(
                         "2026-12-01", hab_date_add_working_days(test_pool, "2026-12-01", 20)),
                     20);
}
END_TEST

Suite *suite_dates(void)
{
    Suite *s = suite_create("dates");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, date_validation);
    tcase_add_test(tc, date_arithmetic);
    tcase_add_test(tc, period_and_review_r9);
    tcase_add_test(tc, working_days_skip_weekends_and_bank_holidays);
    tcase_add_test(tc, working_days_between_count_what_post_has_waited);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- router ---- */

START_TEST(routes_match_with_captures)
{
    hab_route_match_t m;
    hab_route(test_pool, "GET", "api/cases/42", &m);
    ck_assert_ptr_nonnull(m.route);
    ck_assert_int_eq(m.route->id, HAB_ROUTE_CASE_READ);
    ck_assert_int_eq(m.case_id, 42);
    hab_route(test_pool, "DELETE", "api/cases/7/grants/some.user", &m);
    ck_assert_int_eq(m.route->id, HAB_ROUTE_GRANT_REVOKE);
    ck_assert_str_eq(m.arg, "some.user");
    hab_route(test_pool, "GET", "api/cases/7/letters/3", &m);
    ck_assert_int_eq(m.route->id, HAB_ROUTE_LETTER_READ);
    ck_assert_str_eq(m.arg, "3");
    hab_route(test_pool, "POST", "api/cases/7/review/decision", &m);
    ck_assert_int_eq(m.route->id, HAB_ROUTE_REVIEW_DECIDE);
    hab_route(test_pool, "GET", "api/audit/verify", &m);
    ck_assert_int_eq(m.route->id, HAB_ROUTE_AUDIT_VERIFY);
}
END_TEST

START_TEST(routes_refuse_bad_ids_and_methods)
{
    hab_route_match_t m;
    const char *not_found[] = {"api/cases/0", "api/cases/-1", "api/cases/01", "api/cases/1x",
                               "api/cases/1234567890123456", "api/cases/", "api/cases/1/", "api",
                               "api/cases/1/letters/x", "api//cases", "api/cases/1/grants/"};
    for (size_t i = 0; i < sizeof(not_found) / sizeof(not_found[0]); i++) {
        hab_route(test_pool, "GET", not_found[i], &m);
        ck_assert_msg(m.route == NULL && m.allow == NULL, "matched %s", not_found[i]);
    }
    hab_route(test_pool, "PUT", "api/cases", &m);
    ck_assert_ptr_null(m.route);
    ck_assert_str_eq(m.allow, "GET, POST");
    hab_route(test_pool, "GET", "api/cases/3/warning", &m);
    ck_assert_ptr_null(m.route);
    ck_assert_str_eq(m.allow, "POST");
}
END_TEST

Suite *suite_router(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, routes_match_with_captures);
    tcase_add_test(tc, routes_refuse_bad_ids_and_methods);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- forms and JSON ---- */

START_TEST(form_pairs_decoded)
{
    apr_array_header_t *pairs;
    const char *text = "a=1&b=two+words&c=%C3%A9&a=3&empty=&flag";
    ck_assert_ptr_null(hab_form_parse(test_pool, text, strlen(text), &pairs));
    ck_assert_int_eq(pairs->nelts, 6);
    hab_form_pair_t *p = (hab_form_pair_t *)pairs->elts;
    ck_assert_str_eq(p[1].value, "two words");
    ck_assert_str_eq(p[2].value, "\xc3\xa9");
    ck_assert_str_eq(p[3].value, "3");
    ck_assert_str_eq(p[4].value, "");
    ck_assert_str_eq(p[5].name, "flag");
}
END_TEST

START_TEST(form_refusals)
{
    apr_array_header_t *pairs;
    const char *bad[] = {"a=%00", "a=%zz", "a=%4", "a=%ff", "a=%C3", "=x", "a=%ED%A0%80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(hab_form_parse(test_pool, bad[i], strlen(bad[i]), &pairs) != NULL, "%s",
                      bad[i]);
    json_t *q;
    hab_err_t *e = hab_query_parse(test_pool, "limit=5&limit=6", &q);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 400);
    ck_assert_ptr_null(hab_query_parse(test_pool, "limit=5&after=2", &q));
    ck_assert_str_eq(json_string_value(json_object_get(q, "after")), "2");
}
END_TEST

START_TEST(json_strictness)
{
    json_t *j;
    const char *ok = "{\"a\":\"\xc3\xa9\"}";
    ck_assert_ptr_null(hab_json_parse_object(test_pool, ok, strlen(ok), &j));
    const char *bad[] = {"{\"a\":1,\"a\":2}", "[1]", "{\"a\":\"\\u0000\"}", "{\"a\":\"\xff\"}",
                         "{", "{} {}", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        hab_err_t *e = hab_json_parse_object(test_pool, bad[i], strlen(bad[i]), &j);
        ck_assert_msg(e && e->status == 400, "accepted %s", bad[i]);
    }
    hab_err_t *e = hab_json_parse_object(test_pool, "{\"a\":\"x\0y\"}", 11, &j);
    ck_assert(e && e->status == 400);
}
END_TEST

START_TEST(utf8_validation)
{
    ck_assert(hab_utf8_valid("plain", 5));
    ck_assert(hab_utf8_valid("\xe2\x82\xac", 3));
    ck_assert(hab_utf8_valid("\xf0\x9f\x98\x80", 4));
    ck_assert(!hab_utf8_valid("\xc0\xaf", 2));       /* overlong */
    ck_assert(!hab_utf8_valid("\xe0\x80\xaf", 3));   /* overlong */
    ck_assert(!hab_utf8_valid("\xed\xa0\x80", 3));   /* surrogate */
    ck_assert(!hab_utf8_valid("\xf4\x90\x80\x80", 4)); /* beyond U+10FFFF */
    ck_assert(!hab_utf8_valid("\xe2\x82", 2));       /* cut short */
    ck_assert(!hab_utf8_valid("a\0b", 3));
}
END_TEST

Suite *suite_form_json(void)
{
    Suite *s = suite_create("form_json");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, form_pairs_decoded);
    tcase_add_test(tc, form_refusals);
    tcase_add_test(tc, json_strictness);
    tcase_add_test(tc, utf8_validation);
    suite_add_tcase(s, tc);
    return s;
}
