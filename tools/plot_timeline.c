/* `klonos analyze --plot`: one recording on one time axis, four panels:
 * |acceleration| (min/max envelope per pixel column), jerks as stems of
 * their peak amplitude over shaded clusters and tremor episodes, the
 * activity-state band, and the per-epoch scores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "plot_canvas.h"

#define W 1200.0
#define H 880.0
#define LEFT 92.0
#define RIGHT_EDGE 1000.0 /* legends to the right of this */
#define CHUNK_FRAMES 65536

/* Score colours and dashes, shared with the scores-over-time plot. */
static const kl_rgb *score_colour(int k) {
  static const kl_rgb *const c[KL_SCORE_COUNT] = {&KL_BLACK, &KL_VERMILLION, &KL_BLUE, &KL_GREEN};
  return c[k];
}

static void score_dash(cairo_t *cr, int k) {
  static const double dash_stance[] = {7, 3}, dash_gait[] = {2, 2.5};
  if (k == KL_SCORE_STANCE) cairo_set_dash(cr, dash_stance, 2, 0);
  else if (k == KL_SCORE_GAIT) cairo_set_dash(cr, dash_gait, 2, 0);
  else cairo_set_dash(cr, NULL, 0, 0);
}

static kl_rgb state_colour(int state) {
  switch (state) {
    case KLONOS_STATE_LYING: return KL_BLUE;
    case KLONOS_STATE_UPRIGHT_STILL: return KL_GREEN;
    case KLONOS_STATE_WALKING: return KL_ORANGE;
    case KLONOS_STATE_OTHER: return KL_YELLOW;
    case KLONOS_STATE_NONWEAR: return KL_GREY;
    default: return KL_LIGHT_GREY;
  }
}

static const char *state_label(int state) {
  switch (state) {
    case KLONOS_STATE_LYING: return "lying";
    case KLONOS_STATE_UPRIGHT_STILL: return "upright still";
    case KLONOS_STATE_WALKING: return "walking";
    case KLONOS_STATE_OTHER: return "other movement";
    case KLONOS_STATE_NONWEAR: return "not worn";
    default: return "no data";
  }
}

/* Read the file again and keep min and max |a| per pixel column. */
static int envelope(const char *path, const kl_pipeline_options *opt, double duration_s, size_t ncol, float *lo,
                    float *hi, char *err, size_t errlen) {
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, &opt->reader);
  float *buf = NULL;
  if (rc) {
    snprintf(err, errlen, "%s", r ? klonos_reader_error(r) : klonos_strerror(rc));
    klonos_reader_close(&r);
    return -1;
  }
  klonos_recording_info info;
  klonos_reader_info(r, &info);
  int ch = info.channel_count;
  buf = malloc(sizeof(float) * (size_t)ch * CHUNK_FRAMES);
  if (!buf) { snprintf(err, errlen, "%s: out of memory", path); klonos_reader_close(&r); return -1; }
  for (size_t c = 0; c < ncol; c++) { lo[c] = NAN; hi[c] = NAN; }
  double col_per_frame = (double)ncol / (duration_s * info.sample_rate_hz);
  int64_t frame = 0;
  size_t got;
  while ((rc = klonos_reader_read_f32(r, buf, CHUNK_FRAMES, &got)) == KLONOS_OK && got) {
    for (size_t i = 0; i < got; i++, frame++) {
      const float *f = buf + i * (size_t)ch;
      float m = sqrtf(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]);
      if (!isfinite(m)) continue; /* gap */
      double cd = (double)frame * col_per_frame;
      size_t c = cd >= (double)ncol ? ncol - 1 : (size_t)cd;
      if (!(m >= lo[c])) lo[c] = m; /* NaN compares false: the first value sets both */
      if (!(m <= hi[c])) hi[c] = m;
    }
  }
  if (rc) snprintf(err, errlen, "%s", klonos_reader_error(r));
  free(buf);
  klonos_reader_close(&r);
  return rc ? -1 : 0;
}

static void legend_line(cairo_t *cr, double x, double y, kl_rgb c, int k, const char *text) {
  cairo_save(cr);
  kl_set_colour(cr, c, 1);
  cairo_set_line_width(cr, k == KL_SCORE_MOTOR ? 2.6 : 1.8);
  score_dash(cr, k);
  cairo_move_to(cr, x, y);
  cairo_line_to(cr, x + 26, y);
  cairo_stroke(cr);
  cairo_restore(cr);
  kl_set_colour(cr, KL_BLACK, 0.9);
  kl_text(cr, x + 32, y, text, 11, 0, KL_ALIGN_LEFT, 1);
}

static void legend_box(cairo_t *cr, double x, double y, kl_rgb c, double alpha, const char *text) {
  kl_set_colour(cr, c, alpha);
  cairo_rectangle(cr, x, y - 6, 26, 12);
  cairo_fill(cr);
  kl_set_colour(cr, KL_BLACK, 0.9);
  kl_text(cr, x + 32, y, text, 11, 0, KL_ALIGN_LEFT, 1);
}

static void fmt_duration(double s, char *buf, size_t len) {
  if (s >= 3600) snprintf(buf, len, "%.0f h %02.0f min", floor(s / 3600), fmod(floor(s / 60), 60));
  else if (s >= 60) snprintf(buf, len, "%.1f min", s / 60);
  else snprintf(buf, len, "%.1f s", s);
}

static void fmt_score(double v, char *buf, size_t len) {
  if (isfinite(v)) snprintf(buf, len, "%.0f", v);
  else snprintf(buf, len, "n/a");
}

static void draw_title(cairo_t *cr, const char *in_path, const kl_pipeline_result *res, double dur) {
  klonos_scores sc;
  klonos_analyzer_scores(res->analyzer, &sc);
  const char *slash = strrchr(in_path, '/');
  char line[512], d1[32], d2[32], s[4][16];
  kl_set_colour(cr, KL_BLACK, 1);
  kl_text(cr, LEFT, 30, slash ? slash + 1 : in_path, 17, 1, KL_ALIGN_LEFT, 0);
  fmt_duration(dur, d1, sizeof d1);
  fmt_duration(sc.wear_s, d2, sizeof d2);
  snprintf(line, sizeof line, "%s recorded (%s worn)%s%s", d1, d2,
           res->info.has_start_time ? ", from " : ", start time not in the file",
           res->info.has_start_time ? res->info.start_time_iso : "");
  kl_text(cr, LEFT, 50, line, 12, 0, KL_ALIGN_LEFT, 0);
  fmt_score(sc.motor, s[0], sizeof s[0]);
  fmt_score(sc.myoclonus, s[1], sizeof s[1]);
  fmt_score(sc.stance, s[2], sizeof s[2]);
  fmt_score(sc.gait, s[3], sizeof s[3]);
  snprintf(line, sizeof line, "Whole recording: motor %s, myoclonus %s, stance %s, gait %s   (0 = no sign, 100 = severe)",
           s[0], s[1], s[2], s[3]);
  kl_text(cr, LEFT, 68, line, 12, 0, KL_ALIGN_LEFT, 0);
}

static void draw_acc(cairo_t *cr, const kl_panel *p, const float *lo, const float *hi, size_t ncol) {
  cairo_save(cr);
  kl_panel_clip(cr, p);
  kl_set_colour(cr, KL_BLUE, 0.85);
  for (size_t c = 0; c < ncol; c++) {
    if (!isfinite(lo[c])) continue;
    double y_hi = kl_py(p, hi[c]), y_lo = kl_py(p, lo[c]);
    if (y_lo - y_hi < 1) { double m = (y_lo + y_hi) / 2; y_hi = m - 0.5; y_lo = m + 0.5; }
    cairo_rectangle(cr, p->x + (double)c, y_hi, 1, y_lo - y_hi);
  }
  cairo_fill(cr);
  static const double dash[] = {5, 4};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_set_line_width(cr, 1);
  kl_set_colour(cr, KL_BLACK, 0.6);
  double y = kl_py(p, KLONOS_STANDARD_GRAVITY_MPS2);
  cairo_move_to(cr, p->x, y);
  cairo_line_to(cr, p->x + p->w, y);
  cairo_stroke(cr);
  cairo_restore(cr);
}

static void draw_jerks(cairo_t *cr, const kl_panel *p, klonos_analyzer *a) {
  size_t n = 0;
  cairo_save(cr);
  kl_panel_clip(cr, p);
  klonos_analyzer_tremor_count(a, &n);
  for (size_t i = 0; i < n; i++) {
    klonos_tremor_episode e;
    if (klonos_analyzer_tremor_get(a, i, &e)) continue;
    kl_set_colour(cr, KL_PURPLE, 0.35);
    double x0 = kl_px(p, e.start_s), x1 = kl_px(p, e.end_s);
    cairo_rectangle(cr, x0, p->y, fmax(x1 - x0, 1.5), p->h);
    cairo_fill(cr);
  }
  klonos_analyzer_cluster_count(a, &n);
  for (size_t i = 0; i < n; i++) {
    klonos_jerk_cluster c;
    if (klonos_analyzer_cluster_get(a, i, &c)) continue;
    kl_set_colour(cr, KL_ORANGE, 0.35);
    double x0 = kl_px(p, c.start_s), x1 = kl_px(p, c.end_s);
    cairo_rectangle(cr, x0, p->y, fmax(x1 - x0, 1.5), p->h);
    cairo_fill(cr);
  }
  klonos_analyzer_event_count(a, &n);
  kl_set_colour(cr, KL_VERMILLION, 0.9);
  cairo_set_line_width(cr, 1.2);
  for (size_t i = 0; i < n; i++) {
    klonos_jerk_event e;
    if (klonos_analyzer_event_get(a, i, &e)) continue;
    double x = kl_px(p, e.onset_s);
    cairo_move_to(cr, x, kl_py(p, 0));
    cairo_line_to(cr, x, kl_py(p, fmin(e.peak_acc_mps2, p->y1)));
  }
  cairo_stroke(cr);
  cairo_restore(cr);
}

static void draw_states(cairo_t *cr, const kl_panel *p, klonos_analyzer *a) {
  size_t n = 0;
  klonos_analyzer_bout_count(a, &n);
  cairo_save(cr);
  kl_panel_clip(cr, p);
  for (size_t i = 0; i < n; i++) {
    klonos_bout b;
    if (klonos_analyzer_bout_get(a, i, &b)) continue;
    kl_set_colour(cr, state_colour(b.state), 1);
    double x0 = kl_px(p, b.start_s), x1 = kl_px(p, b.end_s);
    cairo_rectangle(cr, x0, p->y, fmax(x1 - x0, 0.5), p->h);
    cairo_fill(cr);
  }
  cairo_restore(cr);
  kl_set_colour(cr, KL_BLACK, 0.8);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, round(p->x) + 0.5, round(p->y) + 0.5, round(p->w), round(p->h));
  cairo_stroke(cr);
}

static double epoch_value(const klonos_epoch_scores *e, int k) {
  return k == KL_SCORE_MOTOR ? e->motor : k == KL_SCORE_MYOCLONUS ? e->myoclonus : k == KL_SCORE_STANCE ? e->stance : e->gait;
}

/* Epochs narrower than a few pixels turn into an unreadable comb: then draw
 * the mean of blocks of @p block consecutive epochs (each block's mean over
 * its epochs with data) instead. */
static void draw_epoch_scores(cairo_t *cr, const kl_panel *p, klonos_analyzer *a, double epoch_s, size_t block) {
  size_t n = 0;
  klonos_analyzer_epoch_count(a, epoch_s, &n);
  cairo_save(cr);
  kl_panel_clip(cr, p);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  /* Draw motor last so the composite sits on top. */
  static const int order[KL_SCORE_COUNT] = {KL_SCORE_GAIT, KL_SCORE_STANCE, KL_SCORE_MYOCLONUS, KL_SCORE_MOTOR};
  for (int oi = 0; oi < KL_SCORE_COUNT; oi++) {
    int k = order[oi];
    kl_set_colour(cr, *score_colour(k), 1);
    cairo_set_line_width(cr, k == KL_SCORE_MOTOR ? 2.6 : 1.8);
    score_dash(cr, k);
    int open = 0;
    for (size_t i0 = 0; i0 < n; i0 += block) {
      double sum = 0, t0 = NAN, t1 = NAN;
      size_t used = 0;
      for (size_t i = i0; i < i0 + block && i < n; i++) {
        klonos_epoch_scores e;
        if (klonos_analyzer_epoch_get(a, epoch_s, i, &e)) continue;
        if (i == i0) t0 = e.start_s;
        t1 = e.end_s;
        double v = epoch_value(&e, k);
        if (isfinite(v)) { sum += v; used++; }
      }
      if (!used || !isfinite(t0) || !isfinite(t1)) { open = 0; continue; }
      double x0 = kl_px(p, t0), x1 = kl_px(p, t1), y = kl_py(p, sum / (double)used);
      if (open) cairo_line_to(cr, x0, y);
      else cairo_move_to(cr, x0, y);
      cairo_line_to(cr, x1, y);
      open = 1;
    }
    cairo_stroke(cr);
  }
  cairo_restore(cr);
}

int kl_plot_path_ok(const char *path) {
  kl_plot_format f;
  return kl_plot_format_from_path(path, &f) == 0;
}

void kl_plot_numbered_path(const char *path, int index1, int count, char *out, size_t len) {
  const char *dot = strrchr(path, '.'); /* kl_plot_path_ok: the extension is there */
  if (count <= 1 || !dot) {
    snprintf(out, len, "%s", path);
    return;
  }
  snprintf(out, len, "%.*s-%d%s", (int)(dot - path), path, index1, dot);
}

int kl_plot_timeline(const char *out_path, const char *in_path, const kl_pipeline_options *opt,
                     const kl_pipeline_result *res, double score_epoch_s, char *err, size_t errlen) {
  klonos_analyzer *a = res->analyzer;
  double dur = 0;
  klonos_analyzer_duration_s(a, &dur);
  if (!(dur > 0)) dur = 1;
  kl_panel acc = {LEFT, 84, RIGHT_EDGE - LEFT, 250, 0, dur, 0, 1};
  kl_panel jerk = {LEFT, 350, RIGHT_EDGE - LEFT, 80, 0, dur, 0, 1};
  kl_panel states = {LEFT, 446, RIGHT_EDGE - LEFT, 30, 0, dur, 0, 1};
  kl_panel scores = {LEFT, 492, RIGHT_EDGE - LEFT, 300, 0, dur, 0, 100};
  size_t ncol = (size_t)acc.w;
  float *lo = malloc(ncol * sizeof *lo), *hi = malloc(ncol * sizeof *hi);
  if (!lo || !hi) {
    free(lo);
    free(hi);
    snprintf(err, errlen, "%s: out of memory", out_path);
    return -1;
  }
  if (envelope(in_path, opt, dur, ncol, lo, hi, err, errlen) != 0) {
    free(lo);
    free(hi);
    return -1;
  }
  double amax = 2 * KLONOS_STANDARD_GRAVITY_MPS2;
  for (size_t c = 0; c < ncol; c++)
    if (isfinite(hi[c]) && hi[c] > amax) amax = hi[c];
  double step = kl_nice_step(0, amax, 6);
  acc.y1 = ceil(amax / step) * step;
  /* Jerk stems share a scale of peak band-passed acceleration. */
  double jmax = 5;
  size_t ne = 0;
  klonos_analyzer_event_count(a, &ne);
  for (size_t i = 0; i < ne; i++) {
    klonos_jerk_event e;
    if (!klonos_analyzer_event_get(a, i, &e) && e.peak_acc_mps2 > jmax) jmax = e.peak_acc_mps2;
  }
  jerk.y1 = ceil(jmax / kl_nice_step(0, jmax, 3)) * kl_nice_step(0, jmax, 3);

  kl_canvas cv;
  if (kl_canvas_open(&cv, out_path, W, H, err, errlen) != 0) {
    free(lo);
    free(hi);
    return -1;
  }
  cairo_t *cr = cv.cr;
  draw_title(cr, in_path, res, dur);
  kl_panel_frame(cr, &acc, "|acceleration| (m/s\xc2\xb2)", 6);
  kl_panel_frame(cr, &jerk, "jerk peak (m/s\xc2\xb2)", 3);
  kl_panel_frame(cr, &scores, "score per epoch (0\xe2\x80\x93" "100)", 5);
  kl_panel grid[] = {acc, jerk, scores};
  char axis_title[128];
  kl_time_axis(cr, &scores, res->info.has_start_time ? res->info.start_time_unix_s : NAN, grid, 3, axis_title,
               sizeof axis_title);
  kl_set_colour(cr, KL_BLACK, 1);
  kl_text(cr, scores.x + scores.w / 2, scores.y + scores.h + 52, axis_title, 12, 0, KL_ALIGN_CENTRE, 0);
  draw_acc(cr, &acc, lo, hi, ncol);
  draw_jerks(cr, &jerk, a);
  draw_states(cr, &states, a);
  kl_set_colour(cr, KL_BLACK, 1);
  kl_text(cr, LEFT - 8, states.y + states.h / 2, "activity", 12, 0, KL_ALIGN_RIGHT, 1);
  double epoch_px = score_epoch_s / dur * scores.w;
  size_t block = epoch_px >= 5 ? 1 : (size_t)ceil(5 / epoch_px);
  draw_epoch_scores(cr, &scores, a, score_epoch_s, block);

  /* Legends, beside their panels. */
  double lx = RIGHT_EDGE + 16;
  char buf[96];
  legend_box(cr, lx, acc.y + 12, KL_BLUE, 0.85, "min-max |a|");
  kl_text(cr, lx + 32, acc.y + 28, "per pixel column", 10, 0, KL_ALIGN_LEFT, 1);
  cairo_save(cr);
  static const double dash[] = {5, 4};
  cairo_set_dash(cr, dash, 2, 0);
  kl_set_colour(cr, KL_BLACK, 0.6);
  cairo_move_to(cr, lx, acc.y + 48);
  cairo_line_to(cr, lx + 26, acc.y + 48);
  cairo_stroke(cr);
  cairo_restore(cr);
  kl_text(cr, lx + 32, acc.y + 48, "1 g (gravity)", 11, 0, KL_ALIGN_LEFT, 1);
  size_t nc = 0, nt = 0;
  klonos_analyzer_cluster_count(a, &nc);
  klonos_analyzer_tremor_count(a, &nt);
  snprintf(buf, sizeof buf, "%zu jerk%s", ne, ne == 1 ? "" : "s");
  legend_line(cr, lx, jerk.y + 10, KL_VERMILLION, KL_SCORE_MYOCLONUS, buf);
  snprintf(buf, sizeof buf, "%zu cluster%s", nc, nc == 1 ? "" : "s");
  legend_box(cr, lx, jerk.y + 36, KL_ORANGE, 0.35, buf);
  snprintf(buf, sizeof buf, "%zu tremor episode%s", nt, nt == 1 ? "" : "s");
  legend_box(cr, lx, jerk.y + 62, KL_PURPLE, 0.35, buf);
  static const int st_order[] = {KLONOS_STATE_LYING, KLONOS_STATE_UPRIGHT_STILL, KLONOS_STATE_WALKING,
                                 KLONOS_STATE_OTHER, KLONOS_STATE_NONWEAR, KLONOS_STATE_MISSING};
  /* The state legend sits in the score panel's margin, above the score legend. */
  for (int i = 0; i < 6; i++) legend_box(cr, lx, states.y + 6 + 17 * i, state_colour(st_order[i]), 1, state_label(st_order[i]));
  double sy = scores.y + 120;
  snprintf(buf, sizeof buf, "scores per %g s epoch", score_epoch_s);
  kl_set_colour(cr, KL_BLACK, 1);
  kl_text(cr, lx, sy, buf, 11, 1, KL_ALIGN_LEFT, 1);
  if (block > 1) {
    char span[32];
    fmt_duration((double)block * score_epoch_s, span, sizeof span);
    snprintf(buf, sizeof buf, "(means over %s)", span);
    kl_text(cr, lx, sy + 15, buf, 10, 0, KL_ALIGN_LEFT, 1);
    sy += 15;
  }
  for (int k = 0; k < KL_SCORE_COUNT; k++) legend_line(cr, lx, sy + 20 + 18 * k, *score_colour(k), k, kl_score_names[k]);

  free(lo);
  free(hi);
  return kl_canvas_close(&cv, 1, err, errlen);
}
