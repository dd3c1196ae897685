/* JSON in and out with jansson: strict parsing of request bodies, values
 * owned by a pool, the API's error shape. */
#ifndef HABITUAL_JSON_IO_H
#define HABITUAL_JSON_IO_H

#include <apr_pools.h>
#include <jansson.h>

#include "habitual/base/error.h"

/* Largest request body we read (README "Security guarantees": larger answers 413). */
#define HAB_BODY_MAX (64 * 1024)

/* Ties j's lifetime to p (json_decref on cleanup); returns j. */
json_t *hab_json_own(apr_pool_t *p, json_t *j);

/* Parse a request body: one JSON object, UTF-8, no NUL, no duplicate key.
 * Returns 400 errors with a message saying where. */
hab_err_t *hab_json_parse_object(apr_pool_t *p, const char *buf, apr_size_t len,
                                 json_t **out);

/* Compact, key order preserved; the string lives in p. */
const char *hab_json_dump(apr_pool_t *p, const json_t *j);

/* A string value, or null for NULL (text from the store is valid UTF-8). */
json_t *hab_json_text(const char *s);
/* SQL 0/1 (as text) to a JSON boolean; NULL stays null. */
json_t *hab_json_flag(const char *s);
/* Parse JSON stored by us (restrictions, copy lists); null when unreadable. */
json_t *hab_json_stored(const char *s);

/* {"error":{"code","message"}} (and "field" when one is at fault). */
json_t *hab_json_error(const hab_err_t *e);

#endif
