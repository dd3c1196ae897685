/* Grouped bar charts as SVG text (svg.h).  Sizes in user units: the
 * viewBox scales the chart to the column's width on screen and on A4. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/html.h"
#include "habitual/web/svg.h"
#include "habitual/web/ui.h"
#include "web/templates.h"

#define W 640
#define H 300
#define LEFT 48
#define RIGHT 12
#define TOP 40
#define BOTTOM 56
#define PLOT_W (W - LEFT - RIGHT)
#define PLOT_H (H - TOP - BOTTOM)

/* GOV.UK colours with contrast against white of at least 3:1. */
static const char *const colours[] = {"#1d70b8", "#f47738", "#00703c",
                                      "#d4351c", "#4c2c92", "#505a5f"};

/* A round step for the axis: 1, 2 or 5 times a power of ten. */
static long long axis_step(long long max)
{
    long long step = 1;
    for (;;) {
        if (max <= step * 5) return step;
        if (max <= step * 10) return step * 2;
        if (max <= step * 25) return step * 5;
        step *= 10;
    }
}

static const char *num(apr_pool_t *p, long long v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v);
}

/* One key per series, side by side across the plot's width. */
static const char *legend(apr_pool_t *p, const char *const *series_labels, int nseries)
{
    hab_html_t *h = hab_html_new(p);
    for (int s = 0; s < nseries; s++) {
        int x = LEFT + s * (PLOT_W / (nseries ? nseries : 1));
        hab_html_tpl(h, hab_tpl_chart_legend_item, "x", apr_itoa(p, x), "c", colours[s % 6],
                     "tx", apr_itoa(p, x + 18), "l", series_labels[s], NULL);
    }
    return hab_html_str(h);
}

/* A grid line with its value at each step from 0 to the axis's top. */
static const char *grid(apr_pool_t *p, long long top, long long step)
{
    hab_html_t *h = hab_html_new(p);
    for (long long v = 0; v <= top; v += step) {
        int y = TOP + PLOT_H - (int)(v * PLOT_H / top);
        hab_html_tpl(h, hab_tpl_chart_grid_line, "l", apr_itoa(p, LEFT),
                     "r", apr_itoa(p, W - RIGHT), "y", apr_itoa(p, y), "tx", apr_itoa(p, LEFT - 6),
                     "ty", apr_itoa(p, y + 4), "v", num(p, v), NULL);
    }
    return hab_html_str(h);
}

/* Each group's bars, series by series, then the group's label below. */
static const char *groups(apr_pool_t *p, const char *const *group_labels, int ngroups,
                          int nseries, const long long *values, long long top)
{
    hab_html_t *h = hab_html_new(p);
    int group_w = PLOT_W / (ngroups ? ngroups : 1);
    int bar_w = (group_w - 8) / (nseries ? nseries : 1);
    if (bar_w < 2) bar_w = 2;
    for (int g = 0; g < ngroups; g++) {
        int gx = LEFT + g * group_w + 4;
        for (int s = 0; s < nseries; s++) {
            long long v = values[g * nseries + s];
            int x = gx + s * bar_w;
            if (v == HAB_SVG_SUPPRESSED) {
                hab_html_tpl(h, hab_tpl_chart_suppressed, "x", apr_itoa(p, x + bar_w / 2),
                             "y", apr_itoa(p, TOP + PLOT_H - 3), NULL);
                continue;
            }
            int bh = (int)(v * PLOT_H / top);
            hab_html_tpl(h, hab_tpl_chart_bar, "x", apr_itoa(p, x),
                         "y", apr_itoa(p, TOP + PLOT_H - bh), "w", apr_itoa(p, bar_w - 1),
                         "h", apr_itoa(p, bh), "c", colours[s % 6], NULL);
        }
        int label_x = LEFT + g * group_w + group_w / 2;
        hab_html_tpl(h, hab_tpl_chart_group_label, "x", apr_itoa(p, label_x),
                     "y", apr_itoa(p, TOP + PLOT_H + 18), "l", group_labels[g], NULL);
    }
    return hab_html_str(h);
}

const char *hab_svg_bars(apr_pool_t *p, const char *id, const char *title, const char *desc,
                         const char *const *series_labels, int nseries,
                         const char *const *group_labels, int ngroups, const long long *values)
{
    long long max = 0;
    for (int i = 0; i < ngroups * nseries; i++)
        if (values[i] > max) max = values[i];
    long long step = axis_step(max ? max : 1);
    long long top = ((max + step - 1) / step) * step;
    if (top == 0) top = step;
    return hab_tpl(p, hab_tpl_chart_svg, "w", apr_itoa(p, W), "h", apr_itoa(p, H), "id", id,
                   "t", title, "d", desc, "legend", legend(p, series_labels, nseries),
                   "grid", grid(p, top, step),
                   "groups", groups(p, group_labels, ngroups, nseries, values, top),
                   "l", apr_itoa(p, LEFT), "r", apr_itoa(p, W - RIGHT),
                   "y", apr_itoa(p, TOP + PLOT_H), NULL);
}
