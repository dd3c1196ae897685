/* The core's table of steps: one function per route (private to core/). */
#ifndef HABITUAL_STEPS_H
#define HABITUAL_STEPS_H

#include "habitual/service.h"

typedef hab_err_t *(*hab_step_fn)(hab_ctx_t *ctx, const hab_request_in_t *in,
                                  hab_result_t *out);

hab_step_fn hab_step_for(hab_route_id_t route);

#endif
