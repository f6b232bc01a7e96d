/* Time axes: pick a round step (seconds to years) that gives a handful of
 * labelled ticks, place the ticks on round clock or calendar times, and label
 * them the way a person reads that span (m:ss, h:mm, dates, months). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_canvas.h"
#include "track_time.h"

#define DAY_S 86400.0

static const double steps_s[] = {1,    2,     5,     10,    15,    30,    60,     120,    300,    600,    900,
                                  1800, 3600,  7200,  10800, 21600, 43200, DAY_S,  2 * DAY_S, 7 * DAY_S, 14 * DAY_S};
/* Beyond two weeks: calendar months. */
static const int steps_months[] = {1, 2, 3, 6, 12, 24, 60};

typedef struct tick_plan {
  double step_s;   /* 0 when stepping in months */
  int months;
} tick_plan;

static tick_plan plan(double span_s, int max_ticks) {
  tick_plan tp = {0, 0};
  for (size_t i = 0; i < sizeof steps_s / sizeof steps_s[0]; i++)
    if (span_s / steps_s[i] <= max_ticks) { tp.step_s = steps_s[i]; return tp; }
  for (size_t i = 0; i < sizeof steps_months / sizeof steps_months[0]; i++)
    if (span_s / (steps_months[i] * 30.44 * DAY_S) <= max_ticks) { tp.months = steps_months[i]; return tp; }
  tp.months = 120;
  return tp;
}

static void tick_line(cairo_t *cr, const kl_panel *p, double x, const kl_panel *grid, size_t ngrid) {
  double px = round(kl_px(p, x)) + 0.5;
  cairo_set_line_width(cr, 0.6);
  kl_set_colour(cr, KL_LIGHT_GREY, 1);
  for (size_t g = 0; g < ngrid; g++) {
    cairo_move_to(cr, px, grid[g].y);
    cairo_line_to(cr, px, grid[g].y + grid[g].h);
    cairo_stroke(cr);
  }
  kl_set_colour(cr, KL_BLACK, 0.8);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, px, p->y + p->h);
  cairo_line_to(cr, px, p->y + p->h + 5);
  cairo_stroke(cr);
}

static void label(cairo_t *cr, const kl_panel *p, double x, const char *l1, const char *l2) {
  double px = kl_px(p, x);
  kl_set_colour(cr, KL_BLACK, 0.85);
  kl_text(cr, px, p->y + p->h + 18, l1, 11, 0, KL_ALIGN_CENTRE, 0);
  if (l2 && *l2) kl_text(cr, px, p->y + p->h + 32, l2, 10, 0, KL_ALIGN_CENTRE, 0);
}

static void elapsed_axis(cairo_t *cr, const kl_panel *p, tick_plan tp, const kl_panel *grid, size_t ngrid,
                         char *title, size_t tlen) {
  double step = tp.step_s ? tp.step_s : tp.months * 30.0 * DAY_S;
  const char *unit = step < 60 ? "min:s" : step < DAY_S ? "h:mm" : "days";
  snprintf(title, tlen, "time from start (%s)", unit);
  for (double x = ceil(p->x0 / step - 1e-9) * step; x <= p->x1 + 1e-9 * step; x += step) {
    char l[32];
    long s = lround(x);
    if (step < 60) snprintf(l, sizeof l, "%ld:%02ld", s / 60, s % 60);
    else if (step < DAY_S) snprintf(l, sizeof l, "%ld:%02ld", s / 3600, s / 60 % 60);
    else snprintf(l, sizeof l, "%g", x / DAY_S);
    tick_line(cr, p, x, grid, ngrid);
    label(cr, p, x, l, NULL);
  }
}

static void clock_axis(cairo_t *cr, const kl_panel *p, double origin, tick_plan tp, const kl_panel *grid,
                       size_t ngrid, char *title, size_t tlen) {
  double w0 = origin + p->x0, w1 = origin + p->x1; /* wall-clock seconds */
  char d0[16], d1[16];
  kl_time_format_date(w0, d0);
  kl_time_format_date(w1, d1);
  if (tp.step_s && tp.step_s < DAY_S) {
    if (strcmp(d0, d1) == 0) snprintf(title, tlen, "device clock time on %s", d0);
    else snprintf(title, tlen, "device clock time, %s to %s", d0, d1);
  } else {
    snprintf(title, tlen, "date");
  }
  if (tp.months) {
    long y;
    unsigned m, d;
    kl_civil_from_days((long)floor(w0 / DAY_S), &y, &m, &d);
    long mi = (y * 12 + (long)m - 1) / tp.months * tp.months; /* months since year 0, on a multiple of the step */
    for (;; mi += tp.months) {
      double w = (double)kl_days_from_civil(mi / 12, (unsigned)(mi % 12) + 1, 1) * DAY_S;
      if (w > w1) break;
      if (w < w0) continue;
      char l[48];
      snprintf(l, sizeof l, "%04ld-%02ld", mi / 12, mi % 12 + 1);
      tick_line(cr, p, w - origin, grid, ngrid);
      label(cr, p, w - origin, l, NULL);
    }
    return;
  }
  double step = tp.step_s;
  /* Weeks start on Mondays: 1970-01-05 was one (day 4 since the epoch). */
  double phase = step == 7 * DAY_S || step == 14 * DAY_S ? 4 * DAY_S : 0;
  char last_date[16] = "";
  for (double w = ceil((w0 - phase) / step - 1e-9) * step + phase; w <= w1 + 1e-9 * step; w += step) {
    char l[32], date[16];
    kl_time_format_date(w, date);
    long sod = (long)(w - floor(w / DAY_S) * DAY_S);
    const char *second_line = NULL;
    if (step >= DAY_S) {
      snprintf(l, sizeof l, "%s", date);
    } else {
      if (step < 60) snprintf(l, sizeof l, "%02ld:%02ld:%02ld", sod / 3600, sod / 60 % 60, sod % 60);
      else snprintf(l, sizeof l, "%02ld:%02ld", sod / 3600, sod / 60 % 60);
      /* The date under the first tick and wherever the day changes. */
      if (strcmp(date, last_date) != 0 && strcmp(d0, d1) != 0) second_line = date;
      snprintf(last_date, sizeof last_date, "%s", date);
    }
    tick_line(cr, p, w - origin, grid, ngrid);
    label(cr, p, w - origin, l, second_line);
  }
}

void kl_time_axis(cairo_t *cr, const kl_panel *p, double clock_origin_unix_s, const kl_panel *grid, size_t ngrid,
                  char *title, size_t title_len) {
  int max_ticks = (int)(p->w / 95);
  if (max_ticks < 2) max_ticks = 2;
  tick_plan tp = plan(p->x1 - p->x0, max_ticks);
  cairo_save(cr);
  if (isfinite(clock_origin_unix_s)) clock_axis(cr, p, clock_origin_unix_s, tp, grid, ngrid, title, title_len);
  else elapsed_axis(cr, p, tp, grid, ngrid, title, title_len);
  cairo_restore(cr);
}
