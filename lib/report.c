/* Scores of a finished analysis and its canonical JSON report. The CLI
 * prints this document and the Python binding parses the same bytes, so the
 * two cannot drift (docs/report.md lists the keys). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer_priv.h"
#include "klonos/status.h"
#include "klonos/version.h"
#include "score/score.h"
#include "util/json_writer.h"
#include "util/metric_fields.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Quantile (linear interpolation) of v[0..n), sorting v; NaN for n = 0. */
static double quantile(double *v, size_t n, double q) {
  if (!n) return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  double pos = q * (double)(n - 1);
  size_t i = (size_t)floor(pos);
  double f = pos - (double)i;
  return i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

static double wear_seconds(const klonos_analyzer *a) {
  double w = 0;
  for (int s = 0; s < KLONOS_STATE_COUNT; s++)
    if (s != KLONOS_STATE_NONWEAR && s != KLONOS_STATE_MISSING) w += a->state_s[s];
  return w;
}

/* Median peak amplitude of events [lo, hi) (by index). */
static double median_amp(const klonos_analyzer *a, size_t lo, size_t hi, double *p90) {
  size_t n = hi - lo;
  if (p90) *p90 = NAN;
  if (!n) return NAN;
  double *v = malloc(n * sizeof *v);
  if (!v) return NAN;
  const klonos_jerk_event *e = a->events.items;
  for (size_t i = 0; i < n; i++) v[i] = e[lo + i].peak_acc_mps2;
  double med = quantile(v, n, 0.5);
  if (p90) *p90 = quantile(v, n, 0.9);
  free(v);
  return med;
}

/* State of the activity bout covering t (-1 outside). */
static int state_at(const klonos_analyzer *a, double t) {
  const klonos_bout *b = a->bouts.items;
  size_t lo = 0, hi = a->bouts.n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (b[mid].end_s <= t) lo = mid + 1; else hi = mid;
  }
  return lo < a->bouts.n && t >= b[lo].start_s ? b[lo].state : -1;
}

/* A fall counts when the device was worn around it: a device dropped on the
 * floor looks like a fall and is then followed by non-wear. */
static int fall_counts(const klonos_analyzer *a, const klonos_fall_event *f) {
  int before = state_at(a, f->impact_s - 1.0), after = state_at(a, f->impact_s + 5.0);
  return before != KLONOS_STATE_NONWEAR && before != KLONOS_STATE_MISSING && after != KLONOS_STATE_NONWEAR &&
         after != KLONOS_STATE_MISSING;
}

int klonos_analyzer_function(const klonos_analyzer *a, klonos_function *o) {
  if (!a || !o) return KLONOS_E_INVAL;
  if (a->status) return a->status;
  if (!a->finished) return KLONOS_E_STATE;
  memset(o, 0, sizeof *o);
  o->wear_s = wear_seconds(a);
  o->upright_s = a->state_s[KLONOS_STATE_UPRIGHT_STILL] + a->state_s[KLONOS_STATE_WALKING];
  o->upright_pct = o->wear_s > 0 ? 100.0 * o->upright_s / o->wear_s : NAN;
  o->walking_pct = o->wear_s > 0 ? 100.0 * a->state_s[KLONOS_STATE_WALKING] / o->wear_s : NAN;
  o->lying_pct = o->wear_s > 0 ? 100.0 * a->state_s[KLONOS_STATE_LYING] / o->wear_s : NAN;
  const klonos_bout *b = a->bouts.items;
  double *len = malloc((a->bouts.n + 1) * sizeof *len);
  if (!len) return KLONOS_E_NOMEM;
  size_t nw = 0;
  for (size_t i = 0; i < a->bouts.n; i++)
    if (b[i].state == KLONOS_STATE_WALKING) len[nw++] = b[i].end_s - b[i].start_s;
  o->walking_bouts = (int64_t)nw;
  o->longest_bout_s = 0;
  for (size_t i = 0; i < nw; i++) o->longest_bout_s = fmax(o->longest_bout_s, len[i]);
  o->walking_bout_median_s = quantile(len, nw, 0.5);
  if (!nw) o->longest_bout_s = NAN;
  free(len);
  const klonos_fall_event *f = a->fall_events.items;
  for (size_t i = 0; i < a->fall_events.n; i++) {
    if (!fall_counts(a, &f[i])) continue;
    if (f[i].kind == 1) o->falls++;
    else o->near_falls++;
  }
  o->falls_per_upright_h = o->upright_s > 0 ? (double)o->falls / (o->upright_s / 3600.0) : NAN;
  o->falls_per_100_walking_bouts = nw ? 100.0 * (double)o->falls / (double)nw : NAN;
  o->score = o->upright_s >= KL_FUNCTION_MIN_UPRIGHT_S ? kl_score_function(o->falls_per_upright_h) : NAN;
  return KLONOS_OK;
}

int klonos_analyzer_scores(const klonos_analyzer *a, klonos_scores *out) {
  if (!a || !out) return KLONOS_E_INVAL;
  if (a->status) return a->status;
  if (!a->finished) return KLONOS_E_STATE;
  memset(out, 0, sizeof *out);
  out->wear_s = wear_seconds(a);
  out->events_per_min = out->wear_s >= 60.0 ? (double)a->events.n / (out->wear_s / 60.0) : NAN;
  out->amp_median_mps2 = median_amp(a, 0, a->events.n, NULL);
  out->myoclonus = isfinite(out->events_per_min) ? kl_score_myoclonus(out->events_per_min, out->amp_median_mps2) : NAN;
  klonos_sway_metrics sw;
  out->stance = klonos_analyzer_sway_summary(a, &sw) == KLONOS_OK ? kl_score_stance(&sw) : NAN;
  klonos_gait_metrics gm;
  out->gait = klonos_analyzer_gait_summary(a, &gm) == KLONOS_OK ? kl_score_gait(&gm) : NAN;
  klonos_function fn;
  out->function = klonos_analyzer_function(a, &fn) == KLONOS_OK ? fn.score : NAN;
  int used;
  out->motor = kl_score_motor(out->myoclonus, out->stance, out->gait, out->function, &used);
  out->components_used = used;
  return KLONOS_OK;
}

/* ---- per-epoch scores ---- */

static double overlap(double a0, double a1, double b0, double b1) {
  double lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
  return hi > lo ? hi - lo : 0;
}

/* First index of items (sorted, non-overlapping intervals) whose end is
 * after t: binary search on the end times, reached through an accessor. */
#define FIRST_ENDING_AFTER(FN, TYPE, END)                               \
  static size_t FN(const kl_vec *v, double t) {                         \
    const TYPE *it = v->items;                                          \
    size_t lo = 0, hi = v->n;                                           \
    while (lo < hi) {                                                   \
      size_t mid = lo + (hi - lo) / 2;                                  \
      if (it[mid].END <= t) lo = mid + 1; else hi = mid;                \
    }                                                                   \
    return lo;                                                          \
  }
FIRST_ENDING_AFTER(first_bout, klonos_bout, end_s)
FIRST_ENDING_AFTER(first_sway, klonos_sway_metrics, end_s)
FIRST_ENDING_AFTER(first_gait, klonos_gait_metrics, end_s)
FIRST_ENDING_AFTER(first_event, klonos_jerk_event, onset_s)

static void compute_epoch(const klonos_analyzer *a, double t0, double t1, klonos_epoch_scores *o) {
  memset(o, 0, sizeof *o);
  o->start_s = t0;
  o->end_s = t1;
  const klonos_bout *bouts = a->bouts.items;
  double state_s[KLONOS_STATE_COUNT] = {0};
  for (size_t i = first_bout(&a->bouts, t0); i < a->bouts.n && bouts[i].start_s < t1; i++)
    state_s[bouts[i].state] += overlap(t0, t1, bouts[i].start_s, bouts[i].end_s);
  for (int s = 0; s < KLONOS_STATE_COUNT; s++)
    if (s != KLONOS_STATE_NONWEAR && s != KLONOS_STATE_MISSING) o->wear_s += state_s[s];
  o->upright_still_s = state_s[KLONOS_STATE_UPRIGHT_STILL];
  o->walking_s = state_s[KLONOS_STATE_WALKING];
  o->lying_s = state_s[KLONOS_STATE_LYING];
  const klonos_jerk_event *ev = a->events.items;
  size_t e0 = first_event(&a->events, t0 - 1e-12), e1 = e0;
  while (e0 < a->events.n && ev[e0].onset_s < t0) e0++;
  e1 = e0;
  while (e1 < a->events.n && ev[e1].onset_s < t1) e1++;
  o->events = (int64_t)(e1 - e0);
  o->myoclonus = o->wear_s >= 10.0 ? kl_score_myoclonus((double)o->events / (o->wear_s / 60.0), median_amp(a, e0, e1, NULL)) : NAN;
  /* Sway and gait: bouts overlapping the epoch, weighted by the overlap. */
  const klonos_sway_metrics *sw = a->sway.items;
  double ws = 0, st = 0;
  for (size_t i = first_sway(&a->sway, t0); i < a->sway.n && sw[i].start_s < t1; i++) {
    double w = overlap(t0, t1, sw[i].start_s, sw[i].end_s), s = kl_score_stance(&sw[i]);
    if (w > 0 && isfinite(s)) { st += w * s; ws += w; }
  }
  const klonos_gait_metrics *ga = a->gait.items;
  double wg = 0, gs = 0;
  for (size_t i = first_gait(&a->gait, t0); i < a->gait.n && ga[i].start_s < t1; i++) {
    double w = overlap(t0, t1, ga[i].start_s, ga[i].end_s), s = kl_score_gait(&ga[i]);
    if (w > 0 && isfinite(s)) { gs += w * s; wg += w; }
  }
  o->stance = ws > 0 ? st / ws : NAN;
  o->gait = wg > 0 ? gs / wg : NAN;
  /* Falls are rare: counted per epoch, scored only over the recording. */
  const klonos_fall_event *fe = a->fall_events.items;
  for (size_t i = 0; i < a->fall_events.n; i++)
    if (fe[i].kind == 1 && fe[i].impact_s >= t0 && fe[i].impact_s < t1 && fall_counts(a, &fe[i])) o->falls++;
  o->motor = kl_score_motor(o->myoclonus, o->stance, o->gait, NAN, NULL);
}

static size_t epoch_total(const klonos_analyzer *a, double epoch_s) {
  double dur = (double)a->frames_analysed / a->cfg.analysis_rate_hz;
  return (size_t)ceil(dur / epoch_s - 1e-9);
}

int klonos_analyzer_epoch_count(const klonos_analyzer *a, double epoch_s, size_t *count) {
  if (!a || !count || !isfinite(epoch_s) || epoch_s < 1) return KLONOS_E_INVAL;
  if (a->status) return a->status;
  if (!a->finished) return KLONOS_E_STATE;
  *count = epoch_total(a, epoch_s);
  return KLONOS_OK;
}

int klonos_analyzer_epoch_get(const klonos_analyzer *a, double epoch_s, size_t i, klonos_epoch_scores *o) {
  if (!a || !o || !isfinite(epoch_s) || epoch_s < 1) return KLONOS_E_INVAL;
  if (a->status) return a->status;
  if (!a->finished) return KLONOS_E_STATE;
  if (i >= epoch_total(a, epoch_s)) return KLONOS_E_RANGE;
  double dur = (double)a->frames_analysed / a->cfg.analysis_rate_hz;
  double t0 = (double)i * epoch_s;
  compute_epoch(a, t0, fmin(t0 + epoch_s, dur), o);
  return KLONOS_OK;
}

static void write_epoch(kl_json *j, const klonos_epoch_scores *o) {
  kl_json_begin_object(j, NULL);
  kl_json_number(j, "start_s", o->start_s);
  kl_json_number(j, "end_s", o->end_s);
  kl_json_number(j, "wear_s", o->wear_s);
  kl_json_number(j, "upright_still_s", o->upright_still_s);
  kl_json_number(j, "walking_s", o->walking_s);
  kl_json_number(j, "lying_s", o->lying_s);
  kl_json_int(j, "events", o->events);
  kl_json_number(j, "myoclonus", o->myoclonus);
  kl_json_number(j, "stance", o->stance);
  kl_json_number(j, "gait", o->gait);
  kl_json_number(j, "motor", o->motor);
  kl_json_int(j, "falls", o->falls);
  kl_json_end_object(j);
}

/* ---- sections ---- */

static void write_recording(kl_json *j, const klonos_analyzer *a, const klonos_report_context *ctx) {
  double dur = (double)a->frames_analysed / a->cfg.analysis_rate_hz;
  kl_json_begin_object(j, "recording");
  const klonos_recording_info *in = ctx ? ctx->info : NULL;
  kl_json_string(j, "format", in ? klonos_format_name(in->format) : NULL);
  kl_json_number(j, "sample_rate_hz", in ? in->sample_rate_hz : a->in_rate_hz);
  kl_json_number(j, "analysis_rate_hz", a->cfg.analysis_rate_hz);
  kl_json_int(j, "channels", a->nch);
  kl_json_number(j, "duration_s", dur);
  kl_json_string(j, "start_time", in && in->has_start_time ? in->start_time_iso : NULL);
  kl_json_number(j, "wear_s", wear_seconds(a));
  /* The same keys whether or not the frames came from a reader: null = unknown. */
  const klonos_read_stats *st = ctx ? ctx->stats : NULL;
  if (st) {
    kl_json_int(j, "gap_count", st->gap_count);
    kl_json_number(j, "gap_total_s", st->gap_total_s);
    kl_json_int(j, "bad_blocks", st->bad_blocks);
    int64_t clipped = 0;
    for (int c = 0; c < KLONOS_MAX_FRAME_CHANNELS; c++) clipped += st->clipped[c];
    kl_json_int(j, "clipped_samples", clipped);
  } else {
    kl_json_null(j, "gap_count");
    kl_json_null(j, "gap_total_s");
    kl_json_null(j, "bad_blocks");
    kl_json_null(j, "clipped_samples");
  }
  kl_json_end_object(j);
}

static void write_calibration(kl_json *j, const klonos_report_context *ctx) {
  if (!ctx || !ctx->calibration) {
    kl_json_null(j, "calibration");
    return;
  }
  const klonos_calibration *c = ctx->calibration;
  kl_json_begin_object(j, "calibration");
  kl_json_bool(j, "applied", ctx->calibration_status == KLONOS_OK);
  if (ctx->calibration_status == KLONOS_OK) {
    kl_json_begin_array(j, "offset_g");
    for (int k = 0; k < 3; k++) kl_json_number(j, NULL, c->offset_g[k]);
    kl_json_end_array(j);
    kl_json_begin_array(j, "scale");
    for (int k = 0; k < 3; k++) kl_json_number(j, NULL, c->scale[k]);
    kl_json_end_array(j);
    kl_json_number(j, "error_after_mg", c->error_after_mg);
  } else {
    kl_json_string(j, "reason", c->why);
  }
  kl_json_number(j, "error_before_mg", c->error_before_mg);
  kl_json_int(j, "still_windows", c->still_windows);
  kl_json_end_object(j);
}

static void write_states(kl_json *j, const klonos_analyzer *a) {
  static const char *const keys[KLONOS_STATE_COUNT] = {"missing_s", "nonwear_s", "lying_s",
                                                       "upright_still_s", "walking_s", "other_s"};
  kl_json_begin_object(j, "states");
  for (int s = 0; s < KLONOS_STATE_COUNT; s++) kl_json_number(j, keys[s], a->state_s[s]);
  kl_json_end_object(j);
}

static void write_myoclonus(kl_json *j, const klonos_analyzer *a, const klonos_scores *sc) {
  kl_json_begin_object(j, "myoclonus");
  kl_json_int(j, "event_count", (int64_t)a->events.n);
  kl_json_number(j, "events_per_min", sc->events_per_min);
  double p90;
  double med = median_amp(a, 0, a->events.n, &p90);
  kl_json_number(j, "amp_median_mps2", med);
  kl_json_number(j, "amp_p90_mps2", p90);
  double iei = NAN;
  if (a->events.n >= 2) {
    const klonos_jerk_event *e = a->events.items;
    double *d = malloc((a->events.n - 1) * sizeof *d);
    if (d) {
      for (size_t i = 1; i < a->events.n; i++) d[i - 1] = e[i].onset_s - e[i - 1].onset_s;
      iei = quantile(d, a->events.n - 1, 0.5);
      free(d);
    }
  }
  kl_json_number(j, "iei_median_s", iei);
  kl_json_int(j, "cluster_count", (int64_t)a->clusters.n);
  const klonos_tremor_episode *t = a->tremors.items;
  double tremor_s = 0;
  for (size_t i = 0; i < a->tremors.n; i++) tremor_s += t[i].end_s - t[i].start_s;
  kl_json_int(j, "tremor_episode_count", (int64_t)a->tremors.n);
  kl_json_number(j, "tremor_s", tremor_s);
  kl_json_number(j, "myoclonus_index_per_min", kl_myoclonus_index(sc->events_per_min, med));
  kl_json_number(j, "score", sc->myoclonus);
  if (!isfinite(sc->myoclonus)) kl_json_string(j, "reason", "less than 1 minute of wear");
  kl_json_end_object(j);
}

static void write_fields(kl_json *j, const void *m, const kl_metric_field *f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (f[i].is_int) kl_json_int(j, f[i].name, (int64_t)kl_metric_value(m, &f[i]));
    else kl_json_number(j, f[i].name, kl_metric_value(m, &f[i]));
  }
}

static void write_sway_fields(kl_json *j, const klonos_sway_metrics *m) { write_fields(j, m, kl_sway_fields, kl_sway_field_count); }
static void write_gait_fields(kl_json *j, const klonos_gait_metrics *m) { write_fields(j, m, kl_gait_fields, kl_gait_field_count); }

/* Per-bout lists: activity bouts, and every measured sway and gait bout. */
static void write_bouts(kl_json *j, const klonos_analyzer *a) {
  kl_json_begin_array(j, "bouts");
  const klonos_bout *b = a->bouts.items;
  for (size_t i = 0; i < a->bouts.n; i++) {
    kl_json_begin_object(j, NULL);
    kl_json_number(j, "start_s", b[i].start_s);
    kl_json_number(j, "end_s", b[i].end_s);
    kl_json_string(j, "state", klonos_state_name(b[i].state));
    kl_json_end_object(j);
  }
  kl_json_end_array(j);
  kl_json_begin_array(j, "sway_bouts");
  const klonos_sway_metrics *s = a->sway.items;
  for (size_t i = 0; i < a->sway.n; i++) {
    kl_json_begin_object(j, NULL);
    kl_json_number(j, "start_s", s[i].start_s);
    kl_json_number(j, "end_s", s[i].end_s);
    write_sway_fields(j, &s[i]);
    kl_json_number(j, "score", kl_score_stance(&s[i]));
    kl_json_end_object(j);
  }
  kl_json_end_array(j);
  kl_json_begin_array(j, "gait_bouts");
  const klonos_gait_metrics *g = a->gait.items;
  for (size_t i = 0; i < a->gait.n; i++) {
    kl_json_begin_object(j, NULL);
    kl_json_number(j, "start_s", g[i].start_s);
    kl_json_number(j, "end_s", g[i].end_s);
    write_gait_fields(j, &g[i]);
    kl_json_number(j, "score", kl_score_gait(&g[i]));
    kl_json_end_object(j);
  }
  kl_json_end_array(j);
}

/* A summary section ("sway" or "gait"): bout count, then the summary's
 * metrics and score, or a null score with the reason when no bout qualified. */
static void write_summary(kl_json *j, const char *key, size_t bouts, int have, double measured_s, const void *m,
                          const kl_metric_field *fields, size_t nfields, double score, const char *reason) {
  kl_json_begin_object(j, key);
  kl_json_int(j, "bouts", (int64_t)bouts);
  if (have) {
    kl_json_number(j, "measured_s", measured_s);
    write_fields(j, m, fields, nfields);
    kl_json_number(j, "score", score);
  } else {
    kl_json_number(j, "measured_s", 0);
    kl_json_null(j, "score");
    kl_json_string(j, "reason", reason);
  }
  kl_json_end_object(j);
}

static void write_sway(kl_json *j, const klonos_analyzer *a, double score) {
  klonos_sway_metrics m;
  int have = klonos_analyzer_sway_summary(a, &m) == KLONOS_OK;
  write_summary(j, "sway", a->sway.n, have, m.duration_s, &m, kl_sway_fields, kl_sway_field_count, score,
                "no quiet upright bout of 10 s or more");
}

static void write_gait(kl_json *j, const klonos_analyzer *a, double score) {
  klonos_gait_metrics m;
  int have = klonos_analyzer_gait_summary(a, &m) == KLONOS_OK;
  write_summary(j, "gait", a->gait.n, have, m.duration_s, &m, kl_gait_fields, kl_gait_field_count, score,
                "no walking bout of at least 6 steps and 5 s");
}

static void write_function(kl_json *j, const klonos_analyzer *a) {
  klonos_function f;
  klonos_analyzer_function(a, &f);
  kl_json_begin_object(j, "function");
  kl_json_int(j, "falls", f.falls);
  kl_json_int(j, "near_falls", f.near_falls);
  kl_json_number(j, "falls_per_upright_h", f.falls_per_upright_h);
  kl_json_number(j, "falls_per_100_walking_bouts", f.falls_per_100_walking_bouts);
  kl_json_number(j, "upright_pct", f.upright_pct);
  kl_json_number(j, "walking_pct", f.walking_pct);
  kl_json_number(j, "lying_pct", f.lying_pct);
  kl_json_int(j, "walking_bouts", f.walking_bouts);
  kl_json_number(j, "walking_bout_median_s", f.walking_bout_median_s);
  kl_json_number(j, "longest_bout_s", f.longest_bout_s);
  /* A trunk sensor sees upright vs lying, not sitting vs standing. */
  kl_json_null(j, "sit_to_stand");
  kl_json_number(j, "score", f.score);
  if (!isfinite(f.falls_per_upright_h)) kl_json_string(j, "reason", "not applicable: no upright time");
  else if (!isfinite(f.score)) kl_json_string(j, "reason", "less than 1 minute upright");
  kl_json_end_object(j);
}

static void write_falls(kl_json *j, const klonos_analyzer *a) {
  kl_json_begin_array(j, "falls");
  const klonos_fall_event *f = a->fall_events.items;
  for (size_t i = 0; i < a->fall_events.n; i++) {
    kl_json_begin_object(j, NULL);
    kl_json_string(j, "kind", f[i].kind == 1 ? "fall" : "near_fall");
    kl_json_number(j, "impact_s", f[i].impact_s);
    kl_json_number(j, "start_s", f[i].start_s);
    kl_json_number(j, "end_s", f[i].end_s);
    kl_json_number(j, "impact_mps2", f[i].impact_mps2);
    kl_json_string(j, "from_state", klonos_state_name(f[i].from_state));
    kl_json_string(j, "to_state", klonos_state_name(f[i].to_state));
    kl_json_bool(j, "lowered", f[i].lowered);
    kl_json_bool(j, "counted", fall_counts(a, &f[i]));
    kl_json_number(j, "confidence", f[i].confidence);
    kl_json_end_object(j);
  }
  kl_json_end_array(j);
}

static void write_severity(kl_json *j, const klonos_scores *sc) {
  kl_json_begin_object(j, "severity");
  kl_json_number(j, "motor", sc->motor);
  kl_json_number(j, "myoclonus", sc->myoclonus);
  kl_json_number(j, "stance", sc->stance);
  kl_json_number(j, "gait", sc->gait);
  kl_json_number(j, "function", sc->function);
  kl_json_begin_array(j, "components");
  static const char *const names[4] = {"myoclonus", "stance", "gait", "function"};
  for (int i = 0; i < 4; i++)
    if (sc->components_used & (1 << i)) kl_json_string(j, NULL, names[i]);
  kl_json_end_array(j);
  if (!isfinite(sc->motor)) kl_json_string(j, "reason", "no component had data");
  kl_json_end_object(j);
}

static void write_events(kl_json *j, const klonos_analyzer *a) {
  kl_json_begin_array(j, "events");
  const klonos_jerk_event *e = a->events.items;
  for (size_t i = 0; i < a->events.n; i++) {
    kl_json_begin_object(j, NULL);
    kl_json_number(j, "onset_s", e[i].onset_s);
    kl_json_number(j, "offset_s", e[i].offset_s);
    kl_json_number(j, "peak_acc_mps2", e[i].peak_acc_mps2);
    kl_json_number(j, "peak_jerk_mps3", e[i].peak_jerk_mps3);
    kl_json_begin_array(j, "direction");
    for (int k = 0; k < 3; k++) kl_json_number(j, NULL, e[i].direction[k]);
    kl_json_end_array(j);
    kl_json_string(j, "state", klonos_state_name(e[i].state));
    kl_json_number(j, "confidence", e[i].confidence);
    if (e[i].cluster_id >= 0) kl_json_int(j, "cluster", e[i].cluster_id);
    else kl_json_null(j, "cluster");
    kl_json_end_object(j);
  }
  kl_json_end_array(j);
  kl_json_begin_array(j, "clusters");
  const klonos_jerk_cluster *c = a->clusters.items;
  for (size_t i = 0; i < a->clusters.n; i++) {
    kl_json_begin_object(j, NULL);
    kl_json_int(j, "id", c[i].id);
    kl_json_number(j, "start_s", c[i].start_s);
    kl_json_number(j, "end_s", c[i].end_s);
    kl_json_int(j, "count", c[i].count);
    kl_json_end_object(j);
  }
  kl_json_end_array(j);
  kl_json_begin_array(j, "tremor");
  const klonos_tremor_episode *t = a->tremors.items;
  for (size_t i = 0; i < a->tremors.n; i++) {
    kl_json_begin_object(j, NULL);
    kl_json_number(j, "start_s", t[i].start_s);
    kl_json_number(j, "end_s", t[i].end_s);
    kl_json_number(j, "freq_hz", t[i].freq_hz);
    kl_json_number(j, "amp_mps2", t[i].amp_mps2);
    kl_json_end_object(j);
  }
  kl_json_end_array(j);
}

int klonos_analyzer_report_json(const klonos_analyzer *a, const klonos_report_context *ctx, char *buf, size_t cap,
                                size_t *needed) {
  if (!a || (!buf && cap)) return KLONOS_E_INVAL;
  if (a->status) return a->status;
  if (!a->finished) return KLONOS_E_STATE;
  if (ctx) {
    for (size_t i = 0; i < sizeof ctx->reserved; i++)
      if (ctx->reserved[i]) return KLONOS_E_INVAL;
    if (!isfinite(ctx->score_epoch_s) || ctx->score_epoch_s < 0 || (ctx->score_epoch_s > 0 && ctx->score_epoch_s < 1))
      return KLONOS_E_INVAL;
  }
  klonos_scores sc;
  klonos_analyzer_scores(a, &sc);
  double epoch_s = ctx && ctx->score_epoch_s > 0 ? ctx->score_epoch_s : 60.0;
  kl_json j;
  kl_json_init(&j);
  kl_json_begin_object(&j, NULL);
  kl_json_string(&j, "klonos_version", klonos_version());
  kl_json_string(&j, "file", ctx ? ctx->file : NULL);
  write_recording(&j, a, ctx);
  write_calibration(&j, ctx);
  write_states(&j, a);
  write_myoclonus(&j, a, &sc);
  write_sway(&j, a, sc.stance);
  write_gait(&j, a, sc.gait);
  write_function(&j, a);
  write_severity(&j, &sc);
  kl_json_begin_object(&j, "parameters");
  kl_json_number(&j, "epoch_s", a->cfg.epoch_s);
  kl_json_number(&j, "score_epoch_s", epoch_s);
  kl_json_number(&j, "nonwear_window_s", a->cfg.nonwear_window_s);
  kl_json_string(&j, "placement", a->cfg.placement);
  kl_json_string(&j, "axes", a->cfg.axes[0] ? a->cfg.axes : NULL);
  kl_json_bool(&j, "heading_from_walking", a->heading_from_walking);
  kl_json_end_object(&j);
  kl_json_begin_array(&j, "epochs");
  size_t n_epochs = epoch_total(a, epoch_s);
  for (size_t i = 0; i < n_epochs; i++) {
    klonos_epoch_scores es;
    klonos_analyzer_epoch_get(a, epoch_s, i, &es);
    write_epoch(&j, &es);
  }
  kl_json_end_array(&j);
  if (ctx && (ctx->include & KLONOS_REPORT_EVENTS)) {
    write_events(&j, a);
    write_falls(&j, a);
  }
  if (ctx && (ctx->include & KLONOS_REPORT_BOUTS)) write_bouts(&j, a);
  kl_json_end_object(&j);
  if (j.failed) {
    kl_json_free(&j);
    return KLONOS_E_NOMEM;
  }
  if (needed) *needed = j.len + 1;
  int rc = KLONOS_OK;
  if (cap >= j.len + 1) memcpy(buf, j.buf, j.len + 1);
  else rc = KLONOS_E_RANGE;
  kl_json_free(&j);
  return rc;
}
