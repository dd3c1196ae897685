/* Server-rendered charts: SVG written as text, no library, no script.  Each
 * chart is role="img" named by its <title> and described by its <desc>
 * (aria-labelledby); every text in it is escaped.  The page puts the same
 * figures in a table beside it: the chart is never the only copy. */
#ifndef HABITUAL_SVG_H
#define HABITUAL_SVG_H

#include <apr_pools.h>

#define HAB_SVG_SUPPRESSED (-1) /* a value shown as "fewer than 5": no bar */

/* A grouped bar chart: ngroups groups along the x axis (group_labels), in
 * each one bar per series (series_labels, a legend above).  values holds
 * ngroups * nseries counts, group by group; HAB_SVG_SUPPRESSED draws no bar
 * but a "<5" mark.  id makes the title's and description's ids unique. */
const char *hab_svg_bars(apr_pool_t *p, const char *id, const char *title, const char *desc,
                         const char *const *series_labels, int nseries,
                         const char *const *group_labels, int ngroups, const long long *values);

#endif
