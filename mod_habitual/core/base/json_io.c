#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/json_io.h"

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

json_t *hab_json_own(apr_pool_t *p, json_t *j)
{
    if (j) apr_pool_cleanup_register(p, j, json_release, apr_pool_cleanup_null);
    return j;
}

hab_err_t *hab_json_parse_object(apr_pool_t *p, const char *buf, apr_size_t len,
                                 json_t **out)
{
    json_error_t jerr;
    *out = NULL;
    if (len == 0) return hab_err_bad_request(p, NULL, "The request has no JSON body.");
    if (memchr(buf, '\0', len))
        return hab_err_bad_request(p, NULL, "The request body contains a NUL byte.");
    /* jansson rejects invalid UTF-8, duplicate keys (with the flag) and
     * \u0000 escapes (unless JSON_ALLOW_NUL, which we never pass). */
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return hab_err_bad_request(p, NULL, "The request body is not valid JSON "
                                   "(line %d, column %d): %s", jerr.line, jerr.column, jerr.text);
    hab_json_own(p, j);
    if (!json_is_object(j))
        return hab_err_bad_request(p, NULL, "The request body must be a JSON object.");
    *out = j;
    return NULL;
}

const char *hab_json_dump(apr_pool_t *p, const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s) return "null";
    const char *copy = apr_pstrdup(p, s);
    free(s);
    return copy;
}

json_t *hab_json_error(const hab_err_t *e)
{
    json_t *inner = json_pack("{s:s, s:s}", "code", e->code, "message", e->message);
    if (e->field) json_object_set_new(inner, "field", json_string(e->field));
    return json_pack("{s:o}", "error", inner);
}

json_t *hab_json_text(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

json_t *hab_json_flag(const char *s)
{
    if (!s) return json_null();
    return json_boolean(strcmp(s, "0") != 0);
}

json_t *hab_json_stored(const char *s)
{
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    return j ? j : json_null();
}
