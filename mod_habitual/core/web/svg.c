/* Grouped bar charts as SVG text (svg.h).  Sizes in user units: the
 * viewBox scales the chart to the column's width on screen and on A4. */
#include <string.h>

#include <apr_strings.h>

#include "habitual/base/html.h"
#include "habitual/web/svg.h"
#include "habitual/web/ui.h"

#define W 640
#define H 300
#define LEFT 48
#define RIGHT 12
#define TOP 40
#define BOTTOM 56

/* GOV.UK colours with contrast against white of at least 3:1. */
static const char *const colours[] = {"#1d70b8", "#f47738", "#00703c", "#d4351c", "#4c2c92", "#505a5f"};

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

const char *hab_svg_bars(apr_pool_t *p, const char *id, const char *title, const char *desc,
                         const char *const *series_labels, int nseries,
                         const char *const *group_labels, int ngroups, const long long *values)
{
    hab_html_t *h = hab_html_new(p);
    hab_html_tpl(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"app-chart\" role=\"img\" "
                    "viewBox=\"0 0 {{w}} {{h}}\" aria-labelledby=\"{{id}}-title {{id}}-desc\" focusable=\"false\">"
                    "<title id=\"{{id}}-title\">{{t}}</title><desc id=\"{{id}}-desc\">{{d}}</desc>",
                 "w", apr_itoa(p, W), "h", apr_itoa(p, H), "id", id, "t", title, "d", desc, NULL);
    long long max = 0;
    for (int i = 0; i < ngroups * nseries; i++)
        if (values[i] > max) max = values[i];
    long long step = axis_step(max ? max : 1);
    long long top = ((max + step - 1) / step) * step;
    if (top == 0) top = step;
    int plot_h = H - TOP - BOTTOM, plot_w = W - LEFT - RIGHT;
    /* legend */
    for (int s = 0; s < nseries; s++) {
        int x = LEFT + s * (plot_w / (nseries ? nseries : 1));
        hab_html_tpl(h, "<rect x=\"{{x}}\" y=\"8\" width=\"14\" height=\"14\" fill=\"{{c}}\"/>"
                        "<text x=\"{{tx}}\" y=\"20\" font-size=\"13\">{{l}}</text>",
                     "x", apr_itoa(p, x), "c", colours[s % 6], "tx", apr_itoa(p, x + 18),
                     "l", series_labels[s], NULL);
    }
    /* axis and grid lines */
    for (long long v = 0; v <= top; v += step) {
        int y = TOP + plot_h - (int)(v * plot_h / top);
        hab_html_tpl(h, "<line x1=\"{{l}}\" x2=\"{{r}}\" y1=\"{{y}}\" y2=\"{{y}}\" stroke=\"#b1b4b6\" stroke-width=\"1\"/>"
                        "<text x=\"{{tx}}\" y=\"{{ty}}\" font-size=\"12\" text-anchor=\"end\">{{v}}</text>",
                     "l", apr_itoa(p, LEFT), "r", apr_itoa(p, W - RIGHT), "y", apr_itoa(p, y),
                     "tx", apr_itoa(p, LEFT - 6), "ty", apr_itoa(p, y + 4),
                     "v", apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v), NULL);
    }
    int group_w = plot_w / (ngroups ? ngroups : 1);
    int bar_w = (group_w - 8) / (nseries ? nseries : 1);
    if (bar_w < 2) bar_w = 2;
    for (int g = 0; g < ngroups; g++) {
        int gx = LEFT + g * group_w + 4;
        for (int s = 0; s < nseries; s++) {
            long long v = values[g * nseries + s];
            int x = gx + s * bar_w;
            if (v == HAB_SVG_SUPPRESSED) {
                hab_html_tpl(h, "<text x=\"{{x}}\" y=\"{{y}}\" font-size=\"10\" text-anchor=\"middle\">&lt;5</text>",
                             "x", apr_itoa(p, x + bar_w / 2), "y", apr_itoa(p, TOP + plot_h - 3), NULL);
                continue;
            }
            int bh = (int)(v * plot_h / top);
            hab_html_tpl(h, "<rect x=\"{{x}}\" y=\"{{y}}\" width=\"{{w}}\" height=\"{{h}}\" fill=\"{{c}}\"/>",
                         "x", apr_itoa(p, x), "y", apr_itoa(p, TOP + plot_h - bh), "w", apr_itoa(p, bar_w - 1),
                         "h", apr_itoa(p, bh), "c", colours[s % 6], NULL);
        }
        hab_html_tpl(h, "<text x=\"{{x}}\" y=\"{{y}}\" font-size=\"12\" text-anchor=\"middle\">{{l}}</text>",
                     "x", apr_itoa(p, LEFT + g * group_w + group_w / 2), "y", apr_itoa(p, TOP + plot_h + 18),
                     "l", group_labels[g], NULL);
    }
    hab_html_tpl(h, "<line x1=\"{{l}}\" x2=\"{{r}}\" y1=\"{{y}}\" y2=\"{{y}}\" stroke=\"#0b0c0c\" stroke-width=\"1\"/></svg>",
                 "l", apr_itoa(p, LEFT), "r", apr_itoa(p, W - RIGHT), "y", apr_itoa(p, TOP + plot_h), NULL);
    return hab_html_str(h);
}
