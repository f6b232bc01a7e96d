/* The analyzer: wires conditioning (calibration, resampling to the analysis
 * rate, activity states) for one recording. Frames are pushed in any chunk
 * size; everything downstream runs at the analysis rate in fixed blocks, so
 * results do not depend on how the caller chunks the input. */
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer_priv.h"
#include "klonos/status.h"
#include "util/simd.h"

void klonos_analyzer_config_default(klonos_analyzer_config *c) {
  if (!c) return;
  memset(c, 0, sizeof *c);
  c->analysis_rate_hz = 100.0;
  c->epoch_s = 2.0;
  c->nonwear_window_s = 3600.0;
  snprintf(c->placement, sizeof c->placement, "lower-back");
  for (int a = 0; a < 3; a++) c->calib_scale[a] = 1.0;
}

int kl_analyzer_fail(klonos_analyzer *a, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(a->error, sizeof a->error, fmt, ap);
  va_end(ap);
  a->status = code;
  return code;
}

const char *klonos_state_name(int state) { return kl_state_name(state); }

static int check_config(klonos_analyzer *a, const klonos_analyzer_config *c) {
  if (!(c->analysis_rate_hz >= 20 && c->analysis_rate_hz <= 1000))
    return kl_analyzer_fail(a, KLONOS_E_INVAL, "analysis_rate_hz %g must be within 20..1000 Hz", c->analysis_rate_hz);
  if (!(c->epoch_s >= 0.5 && c->epoch_s <= 60))
    return kl_analyzer_fail(a, KLONOS_E_INVAL, "epoch_s %g must be within 0.5..60 s", c->epoch_s);
  if (!(c->nonwear_window_s >= c->epoch_s && c->nonwear_window_s <= 86400))
    return kl_analyzer_fail(a, KLONOS_E_INVAL, "nonwear_window_s %g must be within epoch_s..86400 s", c->nonwear_window_s);
  if (!memchr(c->placement, 0, sizeof c->placement) || !memchr(c->axes, 0, sizeof c->axes))
    return kl_analyzer_fail(a, KLONOS_E_INVAL, "placement/axes strings are not NUL-terminated");
  for (size_t i = 0; i < sizeof c->reserved; i++)
    if (c->reserved[i]) return kl_analyzer_fail(a, KLONOS_E_INVAL, "reserved config bytes must be zero");
  if (c->apply_calibration)
    for (int k = 0; k < 3; k++)
      if (!isfinite(c->calib_offset_g[k]) || fabs(c->calib_offset_g[k]) > 2 || !(c->calib_scale[k] > 0.5 && c->calib_scale[k] < 2))
        return kl_analyzer_fail(a, KLONOS_E_INVAL, "calibration axis %d (offset %g g, scale %g) is implausible", k,
                                c->calib_offset_g[k], c->calib_scale[k]);
  if (c->axes[0]) {
    if (kl_axes_parse(c->axes, &a->sensor_to_body_hint))
      return kl_analyzer_fail(a, KLONOS_E_INVAL,
                              "axes '%s': give the body axis of sensor x,y,z as a right-handed mapping of V, AP, ML with signs, e.g. V,ML,-AP",
                              c->axes);
  } else if (kl_placement_default_axes(c->placement[0] ? c->placement : "lower-back", &a->sensor_to_body_hint)) {
    return kl_analyzer_fail(a, KLONOS_E_INVAL, "placement '%s' is not one of lower-back, chest, wrist, ankle", c->placement);
  }
  return KLONOS_OK;
}

int klonos_analyzer_open(klonos_analyzer **out, double rate_hz, int nch, const klonos_analyzer_config *config) {
  if (!out) return KLONOS_E_INVAL;
  *out = NULL;
  klonos_analyzer *a = calloc(1, sizeof *a);
  if (!a) return KLONOS_E_NOMEM;
  *out = a;
  if (config) a->cfg = *config;
  else klonos_analyzer_config_default(&a->cfg);
  if (check_config(a, &a->cfg)) return a->status;
  if (nch != 3 && nch != 6)
    return kl_analyzer_fail(a, KLONOS_E_CHANNELS, "channel_count %d: frames must hold 3 (acc) or 6 (acc + gyro) channels", nch);
  if (!isfinite(rate_hz) || rate_hz < 1.0 || rate_hz > 100000.0)
    return kl_analyzer_fail(a, KLONOS_E_RATE, "sample rate %g Hz is outside 1 Hz..100 kHz", rate_hz);
  if (rate_hz < 10.0)
    return kl_analyzer_fail(a, KLONOS_E_RATE,
                            "sample rate %g Hz is too low: jerks (30-150 ms) and steps need at least 10 Hz (25 Hz or more recommended)",
                            rate_hz);
  a->in_rate_hz = rate_hz;
  a->nch = nch;
  if (fabs(rate_hz - a->cfg.analysis_rate_hz) > 1e-9) {
    int rc = kl_resampler_create(&a->resampler, nch, rate_hz, a->cfg.analysis_rate_hz);
    if (rc) return kl_analyzer_fail(a, rc, "cannot resample %g Hz to %g Hz", rate_hz, a->cfg.analysis_rate_hz);
  }
  kl_segment_config sc;
  kl_segment_config_default(&sc, a->cfg.analysis_rate_hz);
  sc.epoch_s = a->cfg.epoch_s;
  sc.nonwear_window_s = a->cfg.nonwear_window_s;
  /* The body's vertical in sensor coordinates is the V row of sensor_to_body. */
  for (int k = 0; k < 3; k++) sc.vertical_ref[k] = a->sensor_to_body_hint.m[2][k];
  int rc = kl_segmenter_create(&a->segmenter, &sc);
  if (rc) return kl_analyzer_fail(a, rc, "cannot create the segmenter");
  a->block = malloc(sizeof(float) * KL_ANALYZER_BLOCK * (size_t)nch);
  a->acc = malloc(sizeof(float) * KL_ANALYZER_BLOCK * 3);
  if (!a->block || !a->acc) return kl_analyzer_fail(a, KLONOS_E_NOMEM, "out of memory");
  rc = kl_measure_init(a);
  if (rc) return kl_analyzer_fail(a, rc, "cannot set up the detectors");
  a->fall_events.item_size = sizeof(klonos_fall_event);
  /* Falls need the body's vertical: the one the axes/placement state. */
  double vertical[3] = {a->sensor_to_body_hint.m[2][0], a->sensor_to_body_hint.m[2][1], a->sensor_to_body_hint.m[2][2]};
  rc = kl_falls_create(&a->falls, NULL, a->cfg.analysis_rate_hz, nch, vertical);
  if (rc) return kl_analyzer_fail(a, rc, "cannot set up the fall detector");
  return KLONOS_OK;
}

void klonos_analyzer_close(klonos_analyzer **pa) {
  if (!pa || !*pa) return;
  klonos_analyzer *a = *pa;
  kl_resampler_destroy(&a->resampler);
  kl_segmenter_destroy(&a->segmenter);
  kl_falls_destroy(&a->falls);
  kl_vec_free(&a->fall_events);
  kl_measure_free(a);
  free(a->block);
  free(a->acc);
  free(a);
  *pa = NULL;
}

static int add_epoch_to_bouts(klonos_analyzer *a, const kl_epoch *e) {
  double start = e->start_s, end = e->start_s + a->cfg.epoch_s;
  a->state_s[e->state] += a->cfg.epoch_s;
  klonos_bout *last = a->bouts.n ? (klonos_bout *)a->bouts.items + a->bouts.n - 1 : NULL;
  if (last && last->state == e->state && fabs(last->end_s - start) < 1e-6) {
    last->end_s = end;
  } else {
    klonos_bout b;
    memset(&b, 0, sizeof b);
    b.start_s = start;
    b.end_s = end;
    b.state = e->state;
    if (kl_vec_push(&a->bouts, &b)) return kl_analyzer_fail(a, KLONOS_E_NOMEM, "out of memory for bouts");
    last = (klonos_bout *)a->bouts.items + a->bouts.n - 1;
    a->cadence_sum = 0;
    a->cadence_n = 0;
  }
  if (e->state == KL_STATE_WALKING && e->step_period_s > 0) {
    a->cadence_sum += 60.0 / e->step_period_s;
    a->cadence_n++;
    last->mean_cadence_spm = a->cadence_sum / (double)a->cadence_n;
  }
  return KLONOS_OK;
}

static int drain_epochs(klonos_analyzer *a) {
  kl_epoch e;
  while (kl_segmenter_pop(a->segmenter, &e)) {
    if (add_epoch_to_bouts(a, &e)) return a->status;
    if (kl_measure_epoch(a, &e)) return kl_analyzer_fail(a, KLONOS_E_NOMEM, "out of memory for results");
  }
  return KLONOS_OK;
}

static int take_falls(klonos_analyzer *a) {
  kl_fall_event e;
  while (kl_falls_pop(a->falls, &e)) {
    klonos_fall_event o;
    memset(&o, 0, sizeof o);
    o.impact_s = e.impact_s;
    o.start_s = e.start_s;
    o.end_s = e.end_s;
    o.impact_mps2 = e.impact_mps2;
    o.kind = e.kind == KL_FALL ? 1 : 2;
    o.from_state = e.from_state;
    o.to_state = e.to_state;
    o.lowered = e.lowered;
    o.confidence = e.confidence;
    if (kl_vec_push(&a->fall_events, &o)) return KLONOS_E_NOMEM;
  }
  return KLONOS_OK;
}

/* Frames at the analysis rate: calibrate, keep, detect jerks and falls, segment. */
static int analyse_block(klonos_analyzer *a, float *f, size_t n) {
  const int nch = a->nch;
  const double g = 9.80665;
  if (!a->cfg.apply_calibration && nch == 3) {
    memcpy(a->acc, f, n * 3 * sizeof(float));
  } else {
    for (size_t i = 0; i < n; i++) {
      float *src = f + i * (size_t)nch;
      float *dst = a->acc + i * 3;
      for (int k = 0; k < 3; k++) {
        if (a->cfg.apply_calibration) src[k] = (float)((src[k] + a->cfg.calib_offset_g[k] * g) * a->cfg.calib_scale[k]);
        dst[k] = src[k];
      }
    }
  }
  kl_measure_store(a, a->acc, n);
  int rc = kl_jerk_detector_push(a->jerks, f, n);
  if (rc) return kl_analyzer_fail(a, rc, "jerk detection failed");
  rc = kl_falls_push(a->falls, f, n);
  if (rc) return kl_analyzer_fail(a, rc, "fall detection failed");
  if (take_falls(a)) return kl_analyzer_fail(a, KLONOS_E_NOMEM, "out of memory for falls");
  rc = kl_segmenter_push(a->segmenter, a->acc, n);
  if (rc) return kl_analyzer_fail(a, rc, "segmentation failed");
  a->frames_analysed += (int64_t)n;
  if (kl_measure_take_jerks(a)) return kl_analyzer_fail(a, KLONOS_E_NOMEM, "out of memory for events");
  return drain_epochs(a);
}

static int validate_frames(klonos_analyzer *a, const float *frames, size_t n) {
  /* Screen the whole chunk on the samples' bit patterns; only a chunk that
   * holds an offending sample is walked to report the first one. */
  if (!kl_any_implausible(frames, n * (size_t)a->nch, 1e6f)) return KLONOS_OK;
  for (size_t i = 0; i < n * (size_t)a->nch; i++)
    if (isinf(frames[i]) || fabsf(frames[i]) > 1e6f)
      return kl_analyzer_fail(a, KLONOS_E_VALUE,
                              "frame %zu channel %d: %g is not a plausible acceleration/angular rate (|x| > 1e6)",
                              i / (size_t)a->nch, (int)(i % (size_t)a->nch) + 1, (double)frames[i]);
  return KLONOS_OK;
}

int klonos_analyzer_push_f32(klonos_analyzer *a, const float *frames, size_t n) {
  if (!a || (!frames && n)) return KLONOS_E_INVAL;
  if (a->status) return a->status;
  /* Not sticky: the finished results stay readable. */
  if (a->finished) return KLONOS_E_STATE;
  if (validate_frames(a, frames, n)) return a->status;
  while (n) {
    size_t used, made;
    if (a->resampler) {
      int rc = kl_resampler_process(a->resampler, frames, n, &used, a->block, KL_ANALYZER_BLOCK, &made, 0);
      if (rc) return kl_analyzer_fail(a, rc, "resampling failed");
    } else {
      used = made = n < KL_ANALYZER_BLOCK ? n : KL_ANALYZER_BLOCK;
      memcpy(a->block, frames, made * (size_t)a->nch * sizeof(float));
    }
    if (made && analyse_block(a, a->block, made)) return a->status;
    frames += used * (size_t)a->nch;
    n -= used;
    if (!used && !made) break;
  }
  return KLONOS_OK;
}

int klonos_analyzer_finish(klonos_analyzer *a) {
  if (!a) return KLONOS_E_INVAL;
  if (a->status) return a->status;
  if (a->finished) return KLONOS_OK;
  if (a->resampler) {
    for (;;) {
      size_t used, made;
      int rc = kl_resampler_process(a->resampler, NULL, 0, &used, a->block, KL_ANALYZER_BLOCK, &made, 1);
      if (rc) return kl_analyzer_fail(a, rc, "resampling failed");
      if (!made) break;
      if (analyse_block(a, a->block, made)) return a->status;
    }
  }
  int rc = kl_jerk_detector_finish(a->jerks);
  if (rc) return kl_analyzer_fail(a, rc, "jerk detection failed");
  rc = kl_falls_finish(a->falls);
  if (rc) return kl_analyzer_fail(a, rc, "fall detection failed");
  if (take_falls(a)) return kl_analyzer_fail(a, KLONOS_E_NOMEM, "out of memory for falls");
  if (kl_measure_take_jerks(a)) return kl_analyzer_fail(a, KLONOS_E_NOMEM, "out of memory for events");
  rc = kl_segmenter_finish(a->segmenter);
  if (rc) return kl_analyzer_fail(a, rc, "segmentation failed");
  if (drain_epochs(a)) return a->status;
  if (kl_measure_finish(a)) return kl_analyzer_fail(a, KLONOS_E_NOMEM, "out of memory for results");
  a->finished = 1;
  /* Only the results are needed from here on: give back the working memory
   * (the ring alone is an hour of frames) so finished handles are cheap. */
  kl_resampler_destroy(&a->resampler);
  kl_segmenter_destroy(&a->segmenter);
  kl_falls_destroy(&a->falls);
  kl_measure_release_work(a);
  return KLONOS_OK;
}

static int need_finished(const klonos_analyzer *a) {
  if (!a) return KLONOS_E_INVAL;
  if (a->status) return a->status;
  return a->finished ? KLONOS_OK : KLONOS_E_STATE;
}

/* Count and indexed copy of a result vector, after finish. */
static int vec_count(const klonos_analyzer *a, const kl_vec *v, size_t *count) {
  int rc = need_finished(a);
  if (rc || !count) return rc ? rc : KLONOS_E_INVAL;
  *count = v->n;
  return KLONOS_OK;
}

static int vec_get(const klonos_analyzer *a, const kl_vec *v, size_t i, void *out) {
  int rc = need_finished(a);
  if (rc || !out) return rc ? rc : KLONOS_E_INVAL;
  if (i >= v->n) return KLONOS_E_RANGE;
  memcpy(out, (const char *)v->items + i * v->item_size, v->item_size);
  return KLONOS_OK;
}

int klonos_analyzer_bout_count(const klonos_analyzer *a, size_t *n) { return vec_count(a, a ? &a->bouts : NULL, n); }
int klonos_analyzer_bout_get(const klonos_analyzer *a, size_t i, klonos_bout *b) { return vec_get(a, a ? &a->bouts : NULL, i, b); }
int klonos_analyzer_event_count(const klonos_analyzer *a, size_t *n) { return vec_count(a, a ? &a->events : NULL, n); }
int klonos_analyzer_event_get(const klonos_analyzer *a, size_t i, klonos_jerk_event *e) { return vec_get(a, a ? &a->events : NULL, i, e); }
int klonos_analyzer_cluster_count(const klonos_analyzer *a, size_t *n) { return vec_count(a, a ? &a->clusters : NULL, n); }
int klonos_analyzer_cluster_get(const klonos_analyzer *a, size_t i, klonos_jerk_cluster *c) { return vec_get(a, a ? &a->clusters : NULL, i, c); }
int klonos_analyzer_fall_count(const klonos_analyzer *a, size_t *n) { return vec_count(a, a ? &a->fall_events : NULL, n); }
int klonos_analyzer_fall_get(const klonos_analyzer *a, size_t i, klonos_fall_event *e) { return vec_get(a, a ? &a->fall_events : NULL, i, e); }
int klonos_analyzer_tremor_count(const klonos_analyzer *a, size_t *n) { return vec_count(a, a ? &a->tremors : NULL, n); }
int klonos_analyzer_tremor_get(const klonos_analyzer *a, size_t i, klonos_tremor_episode *t) { return vec_get(a, a ? &a->tremors : NULL, i, t); }
int klonos_analyzer_sway_count(const klonos_analyzer *a, size_t *n) { return vec_count(a, a ? &a->sway : NULL, n); }
int klonos_analyzer_sway_get(const klonos_analyzer *a, size_t i, klonos_sway_metrics *m) { return vec_get(a, a ? &a->sway : NULL, i, m); }
int klonos_analyzer_gait_count(const klonos_analyzer *a, size_t *n) { return vec_count(a, a ? &a->gait : NULL, n); }
int klonos_analyzer_gait_get(const klonos_analyzer *a, size_t i, klonos_gait_metrics *m) { return vec_get(a, a ? &a->gait : NULL, i, m); }

/* Weighted means of every double field between the first and the last named
 * one (the structs keep them contiguous), weight per item. */
#define WEIGHTED_SUMMARY(TYPE, FIRST, LAST, WEIGHT)                                                     \
  static int summary_##TYPE(const kl_vec *v, TYPE *out) {                                               \
    memset(out, 0, sizeof *out);                                                                       \
    if (v->n == 0) return KLONOS_E_NODATA;                                                             \
    const TYPE *items = v->items;                                                                      \
    const size_t nf = (offsetof(TYPE, LAST) - offsetof(TYPE, FIRST)) / sizeof(double) + 1;             \
    double wsum = 0;                                                                                   \
    for (size_t i = 0; i < v->n; i++) {                                                                \
      double w = (WEIGHT);                                                                             \
      const double *src = &items[i].FIRST;                                                             \
      double *dst = &out->FIRST;                                                                       \
      for (size_t k = 0; k < nf; k++) dst[k] += w * src[k];                                            \
      wsum += w;                                                                                       \
    }                                                                                                  \
    double *dst = &out->FIRST;                                                                         \
    for (size_t k = 0; k < nf; k++) dst[k] = wsum > 0 ? dst[k] / wsum : 0;                             \
    out->start_s = items[0].start_s;                                                                   \
    out->end_s = items[v->n - 1].end_s;                                                                \
    out->bouts = (int32_t)v->n;                                                                        \
    return KLONOS_OK;                                                                                  \
  }

WEIGHTED_SUMMARY(klonos_sway_metrics, rms_ap_mps2, freq_dispersion, items[i].duration_s)
WEIGHTED_SUMMARY(klonos_gait_metrics, cadence_spm, ml_range_mps2, (double)items[i].steps)

int klonos_analyzer_sway_summary(const klonos_analyzer *a, klonos_sway_metrics *m) {
  int rc = need_finished(a);
  if (rc || !m) return rc ? rc : KLONOS_E_INVAL;
  rc = summary_klonos_sway_metrics(&a->sway, m);
  if (rc == KLONOS_OK) {
    const klonos_sway_metrics *it = a->sway.items;
    double d = 0;
    for (size_t i = 0; i < a->sway.n; i++) d += it[i].duration_s;
    m->duration_s = d; /* the summary's duration is the total measured, not a mean */
  }
  return rc;
}

int klonos_analyzer_gait_summary(const klonos_analyzer *a, klonos_gait_metrics *m) {
  int rc = need_finished(a);
  if (rc || !m) return rc ? rc : KLONOS_E_INVAL;
  rc = summary_klonos_gait_metrics(&a->gait, m);
  if (rc == KLONOS_OK) {
    const klonos_gait_metrics *it = a->gait.items;
    double d = 0;
    int64_t steps = 0, strides = 0;
    for (size_t i = 0; i < a->gait.n; i++) { d += it[i].duration_s; steps += it[i].steps; strides += it[i].strides; }
    m->duration_s = d;
    m->steps = (int32_t)steps;
    m->strides = (int32_t)strides;
  }
  return rc;
}

int klonos_analyzer_state_seconds(const klonos_analyzer *a, int state, double *s) {
  int rc = need_finished(a);
  if (rc || !s) return rc ? rc : KLONOS_E_INVAL;
  if (state < 0 || state >= KLONOS_STATE_COUNT) return KLONOS_E_RANGE;
  *s = a->state_s[state];
  return KLONOS_OK;
}

int klonos_analyzer_duration_s(const klonos_analyzer *a, double *s) {
  int rc = need_finished(a);
  if (rc || !s) return rc ? rc : KLONOS_E_INVAL;
  *s = (double)a->frames_analysed / a->cfg.analysis_rate_hz;
  return KLONOS_OK;
}

const char *klonos_analyzer_error(const klonos_analyzer *a) { return a ? a->error : ""; }

/* ---- calibrator: a thin public face on lib/cond/calibrate ---- */

struct klonos_calibrator {
  kl_calibrator *c;
  int nch;
  float acc[KL_ANALYZER_BLOCK * 3];
};

int klonos_calibrator_open(klonos_calibrator **out, double rate_hz, int nch) {
  if (!out) return KLONOS_E_INVAL;
  *out = NULL;
  if (nch != 3 && nch != 6) return KLONOS_E_INVAL;
  if (!isfinite(rate_hz) || rate_hz < 1.0 || rate_hz > 100000.0) return KLONOS_E_RATE;
  klonos_calibrator *c = calloc(1, sizeof *c);
  if (!c) return KLONOS_E_NOMEM;
  int rc = kl_calibrator_create(&c->c, rate_hz);
  if (rc) { free(c); return rc; }
  c->nch = nch;
  *out = c;
  return KLONOS_OK;
}

void klonos_calibrator_close(klonos_calibrator **c) {
  if (!c || !*c) return;
  kl_calibrator_destroy(&(*c)->c);
  free(*c);
  *c = NULL;
}

int klonos_calibrator_push_f32(klonos_calibrator *c, const float *frames, size_t n) {
  if (!c || (!frames && n)) return KLONOS_E_INVAL;
  if (c->nch == 3) return kl_calibrator_push(c->c, frames, n);
  while (n) {
    size_t m = n < KL_ANALYZER_BLOCK ? n : KL_ANALYZER_BLOCK;
    for (size_t i = 0; i < m; i++) memcpy(c->acc + 3 * i, frames + 6 * i, 3 * sizeof(float));
    int rc = kl_calibrator_push(c->c, c->acc, m);
    if (rc) return rc;
    frames += 6 * m;
    n -= m;
  }
  return KLONOS_OK;
}

int klonos_calibrator_fit(klonos_calibrator *c, klonos_calibration *res) {
  if (!c || !res) return KLONOS_E_INVAL;
  memset(res, 0, sizeof *res);
  kl_calib_result r;
  int rc = kl_calibrator_fit(c->c, &r);
  memcpy(res->offset_g, r.offset_g, sizeof r.offset_g);
  memcpy(res->scale, r.scale, sizeof r.scale);
  res->error_before_mg = r.error_before_mg;
  res->error_after_mg = r.error_after_mg;
  res->still_windows = (int64_t)r.n_points;
  res->iterations = r.iterations;
  snprintf(res->why, sizeof res->why, "%s", r.why);
  return rc;
}

/* The public and private state numbers are the same by construction. */
_Static_assert((int)KLONOS_STATE_MISSING == (int)KL_STATE_MISSING && (int)KLONOS_STATE_NONWEAR == (int)KL_STATE_NONWEAR &&
                   (int)KLONOS_STATE_LYING == (int)KL_STATE_LYING &&
                   (int)KLONOS_STATE_UPRIGHT_STILL == (int)KL_STATE_UPRIGHT_STILL &&
                   (int)KLONOS_STATE_WALKING == (int)KL_STATE_WALKING && (int)KLONOS_STATE_OTHER == (int)KL_STATE_OTHER &&
                   (int)KLONOS_STATE_COUNT == (int)KL_STATE_COUNT,
               "klonos_state and kl_state must agree");
