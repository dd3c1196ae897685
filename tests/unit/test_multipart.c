/* multipart/form-data read as it arrives, in pieces of any size. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/web/multipart.h"
#include "unit.h"

typedef struct {
    char log[4096];
} collected_t;

static hab_err_t *on_begin(void *b, const char *name, const char *filename)
{
    collected_t *c = b;
    strcat(c->log, "[");
    strcat(c->log, name);
    if (filename) {
        strcat(c->log, "|");
        strcat(c->log, filename);
    }
    strcat(c->log, "]");
    return NULL;
}

static hab_err_t *on_data(void *b, const char *bytes, apr_size_t len)
{
    strncat(((collected_t *)b)->log, bytes, len);
    return NULL;
}

static hab_err_t *on_end(void *b)
{
    strcat(((collected_t *)b)->log, "$");
    return NULL;
}

static const char BODY[] =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
    "tok.123\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "line one\r\n--XyY not the boundary\r\n-\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"empty\"\r\n\r\n"
    "\r\n"
    "--XyZ--\r\nepilogue";

static const char WANT[] =
    "[csrf_token]tok.123$[file|a \"b\".txt]line one\r\n--XyY not the boundary\r\n-$[empty]$";

static hab_err_t *feed_in_pieces(const char *body, apr_size_t piece, collected_t *c)
{
    hab_multipart_sink_t sink = {c, on_begin, on_data, on_end};
    hab_multipart_t *m;
    hab_err_t *e = hab_multipart_new(test_pool, "multipart/form-data; boundary=\"XyZ\"", &sink, &m);
    apr_size_t len = strlen(body);
    for (apr_size_t at = 0; !e && at < len; at += piece)
        e = hab_multipart_feed(m, body + at, len - at < piece ? len - at : piece);
    return e ? e : hab_multipart_finish(m);
}

START_TEST(multipart_parts_in_any_pieces)
{
    const apr_size_t pieces[] = {1, 2, 3, 5, 7, 64, 4096};
    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        collected_t c = {""};
        ck_assert_ptr_null(feed_in_pieces(BODY, pieces[i], &c));
        ck_assert_str_eq(c.log, WANT);
    }
}
END_TEST

START_TEST(multipart_refuses_what_is_not)
{
    collected_t c = {""};
    hab_multipart_sink_t sink = {&c, on_begin, on_data, on_end};
    hab_multipart_t *m;
    ck_assert_int_eq(
        hab_multipart_new(test_pool, "application/x-www-form-urlencoded", &sink, &m)->status, 415);
    ck_assert_int_eq(hab_multipart_new(test_pool, "multipart/form-data", &sink, &m)->status, 400);
    /* cut short: no closing boundary */
    char *cut = apr_pstrndup(test_pool, BODY, strlen(BODY) - 20);
    hab_err_t *e = feed_in_pieces(cut, 9, &c);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 400);
    /* a part with no name */
    collected_t d = {""};
    e = feed_in_pieces("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n", 4, &d);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->status, 400);
}
END_TEST

Suite *suite_multipart(void)
{
    Suite *s = suite_create("multipart");
    TCase *tc = tcase_create("all");
    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, multipart_parts_in_any_pieces);
    tcase_add_test(tc, multipart_refuses_what_is_not);
    suite_add_tcase(s, tc);
    return s;
}
