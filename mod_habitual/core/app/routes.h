/* Which core function answers which route: the pages' and the governance
 * figures' (web) here, the procedure's steps and reads through
 * hab_step_for (domain/steps.h).  Private to core/. */
#ifndef HABITUAL_APP_ROUTES_H
#define HABITUAL_APP_ROUTES_H

#include "domain/steps.h"

/* NULL: no function answers route. */
hab_step_fn hab_route_fn(hab_route_id_t route);

#endif
