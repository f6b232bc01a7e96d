/* `klonos track plot`: a subject's scores over time, one panel per score on
 * a shared date axis. Each panel: the baseline (dashed) inside its MDC95
 * band (shaded), the recordings joined in time order (a ringed, larger dot
 * where the change from baseline exceeds the MDC95), the Theil-Sen trend from
 * the baseline on, and vertical markers for treatment events. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "plot_canvas.h"
#include "track_time.h"

#define W 1200.0
#define LEFT 92.0
#define RIGHT_EDGE 930.0
#define TOP 132.0
#define PANEL_H 140.0
#define PANEL_GAP 16.0
#define DAY_S 86400.0

static const kl_rgb *score_colour(int k) {
  static const kl_rgb *const c[KL_SCORE_COUNT] = {&KL_BLACK, &KL_VERMILLION, &KL_BLUE, &KL_GREEN};
  return c[k];
}

static void dot(cairo_t *cr, double x, double y, kl_rgb c, int ringed) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x, y, ringed ? 6.0 : 4.0, 0, 2 * M_PI);
  kl_set_colour(cr, c, 1);
  if (!ringed) { cairo_fill(cr); return; }
  cairo_fill_preserve(cr);
  cairo_set_line_width(cr, 2);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_stroke(cr);
  cairo_new_sub_path(cr);
  cairo_arc(cr, x, y, 8.0, 0, 2 * M_PI);
  cairo_set_line_width(cr, 1.6);
  kl_set_colour(cr, KL_BLACK, 1);
  cairo_stroke(cr);
}

static void signed_points(double v, char *buf, size_t len) {
  if (!isfinite(v)) snprintf(buf, len, "n/a");
  else snprintf(buf, len, "%+.1f", v);
}

static void draw_panel(cairo_t *cr, const kl_panel *p, const kl_track_series *s, int k) {
  const kl_rgb c = *score_colour(k);
  double bv = s->baseline_value[k];
  cairo_save(cr);
  kl_panel_clip(cr, p);
  if (isfinite(bv)) {
    kl_set_colour(cr, KL_LIGHT_GREY, 0.8);
    double y0 = kl_py(p, fmin(bv + s->mdc95[k], 100)), y1 = kl_py(p, fmax(bv - s->mdc95[k], 0));
    cairo_rectangle(cr, p->x, y0, p->w, y1 - y0);
    cairo_fill(cr);
    static const double dash[] = {6, 4};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 1.2);
    kl_set_colour(cr, KL_BLACK, 0.7);
    cairo_move_to(cr, p->x, kl_py(p, bv));
    cairo_line_to(cr, p->x + p->w, kl_py(p, bv));
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
  }
  const kl_theil_sen *tr = &s->trend[k];
  if (isfinite(tr->slope) && s->n) {
    /* x of the fit is weeks from the baseline recording. */
    double t0 = s->rows[s->baseline].recorded_at_unix_s, t1 = s->rows[s->n - 1].recorded_at_unix_s;
    static const double dash[] = {2, 3};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 2);
    kl_set_colour(cr, c, 0.7);
    cairo_move_to(cr, kl_px(p, t0), kl_py(p, tr->intercept));
    cairo_line_to(cr, kl_px(p, t1), kl_py(p, tr->intercept + tr->slope * (t1 - t0) / KL_SECONDS_PER_WEEK));
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
  }
  kl_set_colour(cr, c, 0.9);
  cairo_set_line_width(cr, 1.6);
  int open = 0;
  for (size_t i = 0; i < s->n; i++) {
    double v = s->rows[i].score[k];
    if (!isfinite(v)) { open = 0; continue; }
    double x = kl_px(p, s->rows[i].recorded_at_unix_s), y = kl_py(p, v);
    if (open) cairo_line_to(cr, x, y);
    else cairo_move_to(cr, x, y);
    open = 1;
  }
  cairo_stroke(cr);
  cairo_restore(cr); /* dots may overhang the frame a little: draw unclipped */
  for (size_t i = 0; i < s->n; i++) {
    double v = s->rows[i].score[k];
    if (!isfinite(v)) continue;
    dot(cr, kl_px(p, s->rows[i].recorded_at_unix_s), kl_py(p, v), c, s->beyond_mdc[i * KL_SCORE_COUNT + k]);
  }
  if (s->baseline_row[k] < s->n) {
    /* Mark the baseline value with a small "B" above its dot. */
    const kl_track_row *b = &s->rows[s->baseline_row[k]];
    kl_set_colour(cr, KL_BLACK, 0.85);
    kl_text(cr, kl_px(p, b->recorded_at_unix_s), kl_py(p, b->score[k]) - 11, "B", 10, 1, KL_ALIGN_CENTRE, 0);
  }
  int any = 0;
  for (size_t i = 0; i < s->n; i++) any |= isfinite(s->rows[i].score[k]);
  if (!any) {
    kl_set_colour(cr, KL_BLACK, 0.6);
    kl_text(cr, p->x + p->w / 2, p->y + p->h / 2, "no recording had data for this score", 12, 0, KL_ALIGN_CENTRE, 1);
  }
  /* Beside the panel: the numbers behind the picture. */
  double lx = RIGHT_EDGE + 18, ly = p->y + 14;
  char buf[128], a[32], b[32], d[16];
  kl_set_colour(cr, c, 1);
  kl_text(cr, lx, ly, kl_score_names[k], 13, 1, KL_ALIGN_LEFT, 1);
  kl_set_colour(cr, KL_BLACK, 0.9);
  if (s->baseline_row[k] < s->n) {
    kl_time_format_date(s->rows[s->baseline_row[k]].recorded_at_unix_s, d);
    snprintf(buf, sizeof buf, "baseline %.0f (%s), MDC95 %g", bv, d, s->mdc95[k]);
  } else {
    snprintf(buf, sizeof buf, "no baseline value");
  }
  kl_text(cr, lx, ly + 20, buf, 11, 0, KL_ALIGN_LEFT, 1);
  size_t last = s->n;
  for (size_t i = s->n; i-- > 0;)
    if (isfinite(s->rows[i].score[k])) { last = i; break; }
  if (last < s->n) {
    signed_points(s->change[last * KL_SCORE_COUNT + k], a, sizeof a);
    snprintf(buf, sizeof buf, "latest %.0f, change %s%s", s->rows[last].score[k], a,
             s->beyond_mdc[last * KL_SCORE_COUNT + k] ? " (> MDC)" : "");
    kl_text(cr, lx, ly + 38, buf, 11, 0, KL_ALIGN_LEFT, 1);
  }
  if (isfinite(tr->slope)) {
    signed_points(tr->slope, a, sizeof a);
    snprintf(buf, sizeof buf, "trend %s /week", a);
    kl_text(cr, lx, ly + 56, buf, 11, 0, KL_ALIGN_LEFT, 1);
    if (isfinite(tr->ci_low)) {
      signed_points(tr->ci_low, a, sizeof a);
      signed_points(tr->ci_high, b, sizeof b);
      snprintf(buf, sizeof buf, "95%% CI %s to %s", a, b);
    } else {
      snprintf(buf, sizeof buf, "95%% CI needs 5+ recordings");
    }
    kl_text(cr, lx, ly + 74, buf, 11, 0, KL_ALIGN_LEFT, 1);
  } else {
    kl_text(cr, lx, ly + 56, tr->n < 2 ? "trend needs 2+ recordings" : "trend needs 2+ dates", 11, 0, KL_ALIGN_LEFT, 1);
  }
}

static void draw_events(cairo_t *cr, const kl_panel *panels, int np, const kl_plot_event *ev, size_t nev) {
  const kl_panel *top = &panels[0], *bottom = &panels[np - 1];
  double last_right[3] = {-1e9, -1e9, -1e9}; /* staggered label rows, so labels never overlap */
  for (size_t i = 0; i < nev; i++) {
    double x = kl_px(top, ev[i].unix_s);
    cairo_save(cr);
    static const double dash[] = {4, 3};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 1.5);
    kl_set_colour(cr, KL_PURPLE, 1);
    for (int k = 0; k < np; k++) {
      cairo_move_to(cr, x, panels[k].y);
      cairo_line_to(cr, x, panels[k].y + panels[k].h);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
    char d[16], buf[96];
    kl_time_format_date(ev[i].unix_s, d);
    snprintf(buf, sizeof buf, "%s %s", ev[i].label, d);
    double w = kl_text_width(cr, buf, 11, 1);
    int row = 0;
    while (row < 2 && x - 3 < last_right[row] + 8) row++;
    last_right[row] = x + w;
    double y = top->y - 8 - 14 * (2 - row);
    kl_set_colour(cr, KL_PURPLE, 1);
    kl_text(cr, x + 3, y, buf, 11, 1, KL_ALIGN_LEFT, 0);
    cairo_save(cr);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, x, y + 3);
    cairo_line_to(cr, x, top->y);
    cairo_stroke(cr);
    cairo_restore(cr);
  }
  (void)bottom;
}

static void legend(cairo_t *cr, double x, double y, const char *mdc_source) {
  char buf[160];
  dot(cr, x + 6, y, KL_BLACK, 0);
  kl_set_colour(cr, KL_BLACK, 0.9);
  kl_text(cr, x + 16, y, "recording", 11, 0, KL_ALIGN_LEFT, 1);
  x += 100;
  dot(cr, x + 8, y, KL_BLACK, 1);
  kl_set_colour(cr, KL_BLACK, 0.9);
  kl_text(cr, x + 20, y, "change > MDC95", 11, 0, KL_ALIGN_LEFT, 1);
  x += 135;
  kl_set_colour(cr, KL_LIGHT_GREY, 0.8);
  cairo_rectangle(cr, x, y - 7, 26, 14);
  cairo_fill(cr);
  static const double dash[] = {6, 4}, dash2[] = {2, 3}, dash3[] = {4, 3};
  cairo_save(cr);
  cairo_set_dash(cr, dash, 2, 0);
  kl_set_colour(cr, KL_BLACK, 0.7);
  cairo_set_line_width(cr, 1.2);
  cairo_move_to(cr, x, y);
  cairo_line_to(cr, x + 26, y);
  cairo_stroke(cr);
  cairo_restore(cr);
  snprintf(buf, sizeof buf, "baseline (B) \xc2\xb1 MDC95 (%s)", mdc_source);
  kl_set_colour(cr, KL_BLACK, 0.9);
  kl_text(cr, x + 32, y, buf, 11, 0, KL_ALIGN_LEFT, 1);
  x += 44 + kl_text_width(cr, buf, 11, 0);
  cairo_save(cr);
  cairo_set_dash(cr, dash2, 2, 0);
  cairo_set_line_width(cr, 2);
  kl_set_colour(cr, KL_BLACK, 0.7);
  cairo_move_to(cr, x, y);
  cairo_line_to(cr, x + 26, y);
  cairo_stroke(cr);
  cairo_restore(cr);
  kl_set_colour(cr, KL_BLACK, 0.9);
  kl_text(cr, x + 32, y, "trend (Theil-Sen)", 11, 0, KL_ALIGN_LEFT, 1);
  x += 150;
  cairo_save(cr);
  cairo_set_dash(cr, dash3, 2, 0);
  cairo_set_line_width(cr, 1.5);
  kl_set_colour(cr, KL_PURPLE, 1);
  cairo_move_to(cr, x + 13, y - 8);
  cairo_line_to(cr, x + 13, y + 8);
  cairo_stroke(cr);
  cairo_restore(cr);
  kl_set_colour(cr, KL_BLACK, 0.9);
  kl_text(cr, x + 24, y, "event", 11, 0, KL_ALIGN_LEFT, 1);
}

int kl_plot_scores(const char *out_path, const char *subject, const kl_track_series *s, const kl_plot_event *events,
                   size_t nevents, const char *mdc_source, char *err, size_t errlen) {
  if (!s->n) { snprintf(err, errlen, "no recordings to plot"); return -1; }
  double t0 = s->rows[0].recorded_at_unix_s, t1 = s->rows[s->n - 1].recorded_at_unix_s;
  for (size_t i = 0; i < nevents; i++) {
    t0 = fmin(t0, events[i].unix_s);
    t1 = fmax(t1, events[i].unix_s);
  }
  double pad = fmax((t1 - t0) * 0.04, DAY_S);
  kl_panel panels[KL_SCORE_COUNT];
  for (int k = 0; k < KL_SCORE_COUNT; k++) {
    kl_panel p = {LEFT, TOP + k * (PANEL_H + PANEL_GAP), RIGHT_EDGE - LEFT, PANEL_H, t0 - pad, t1 + pad, 0, 100};
    panels[k] = p;
  }
  double height = TOP + KL_SCORE_COUNT * (PANEL_H + PANEL_GAP) + (s->mixed_params ? 50 : 34);
  kl_canvas cv;
  if (kl_canvas_open(&cv, out_path, W, height, err, errlen) != 0) return -1;
  cairo_t *cr = cv.cr;
  char buf[256], d0[16], d1[16], db[16];
  kl_time_format_date(s->rows[0].recorded_at_unix_s, d0);
  kl_time_format_date(s->rows[s->n - 1].recorded_at_unix_s, d1);
  kl_time_format_date(s->rows[s->baseline].recorded_at_unix_s, db);
  snprintf(buf, sizeof buf, "Subject %s: severity over time", subject);
  kl_set_colour(cr, KL_BLACK, 1);
  kl_text(cr, LEFT, 30, buf, 17, 1, KL_ALIGN_LEFT, 0);
  snprintf(buf, sizeof buf, "%zu recording%s, %s to %s; baseline %s. Scores 0 (no sign) to 100 (severe).", s->n,
           s->n == 1 ? "" : "s", d0, d1, db);
  kl_text(cr, LEFT, 50, buf, 12, 0, KL_ALIGN_LEFT, 0);
  legend(cr, LEFT, 74, mdc_source);
  for (int k = 0; k < KL_SCORE_COUNT; k++) {
    char ylab[32];
    snprintf(ylab, sizeof ylab, "%s (0\xe2\x80\x93" "100)", kl_score_names[k]);
    kl_panel_frame(cr, &panels[k], ylab, 5);
  }
  char axis_title[128];
  kl_time_axis(cr, &panels[KL_SCORE_COUNT - 1], 0.0, panels, KL_SCORE_COUNT, axis_title, sizeof axis_title);
  for (int k = 0; k < KL_SCORE_COUNT; k++) draw_panel(cr, &panels[k], s, k);
  draw_events(cr, panels, KL_SCORE_COUNT, events, nevents);
  if (s->mixed_params) {
    kl_set_colour(cr, KL_VERMILLION, 1);
    kl_text(cr, LEFT, height - 10, "Note: these recordings were analysed with different parameters; their scores may not be comparable.",
            11, 1, KL_ALIGN_LEFT, 0);
  }
  return kl_canvas_close(&cv, 1, err, errlen);
}
