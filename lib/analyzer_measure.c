/* Sway and gait per bout, and the activity state of each jerk.
 *
 * Activity states are final only after the non-wear window has passed (up
 * to an hour), so the last frames at the analysis rate are kept in a ring
 * that covers that delay. When an epoch becomes final its frames are taken
 * from the ring: quiet-upright and walking epochs are collected into a
 * piece (a bout, cut at 10 minutes and at gaps), and a finished piece is
 * tilt-corrected into the body frame (Moe-Nilssen 1998: the piece's mean
 * acceleration is gravity) and measured with lib/detect/sway.c or gait.c.
 * Memory: the ring (window + 4 epochs) and one piece, whatever the length of
 * the recording. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer_priv.h"
#include "klonos/status.h"
#include "util/simd.h"

struct kl_epoch_note {
  int64_t index;
  int state;
  double gravity[3];
};

int kl_vec_push(kl_vec *v, const void *item) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 32;
    void *p = realloc(v->items, cap * v->item_size);
    if (!p) return KLONOS_E_NOMEM;
    v->items = p;
    v->cap = cap;
  }
  memcpy((char *)v->items + v->n * v->item_size, item, v->item_size);
  v->n++;
  return KLONOS_OK;
}

void kl_vec_free(kl_vec *v) {
  free(v->items);
  v->items = NULL;
  v->n = v->cap = 0;
}

int kl_measure_init(klonos_analyzer *a) {
  double rate = a->cfg.analysis_rate_hz;
  a->epoch_frames = (size_t)llround(a->cfg.epoch_s * rate);
  size_t window_epochs = (size_t)llround(a->cfg.nonwear_window_s / a->cfg.epoch_s);
  a->ring_cap = (window_epochs + 4) * a->epoch_frames + KL_ANALYZER_BLOCK;
  a->ring = malloc(sizeof(float) * 3 * a->ring_cap);
  a->piece.max_frames = (size_t)llround(KL_MEASURE_MAX_PIECE_S * rate);
  a->piece.xyz = malloc(sizeof(float) * 3 * a->piece.max_frames);
  a->work = malloc(sizeof(float) * 3 * a->piece.max_frames);
  a->notes = calloc(KL_EPOCH_NOTES, sizeof *a->notes);
  a->piece.state = -1;
  a->bouts.item_size = sizeof(klonos_bout);
  a->events.item_size = sizeof(klonos_jerk_event);
  a->pending.item_size = sizeof(kl_jerk_event);
  a->clusters.item_size = sizeof(klonos_jerk_cluster);
  a->tremors.item_size = sizeof(klonos_tremor_episode);
  a->sway.item_size = sizeof(klonos_sway_metrics);
  a->gait.item_size = sizeof(klonos_gait_metrics);
  if (!a->ring || !a->piece.xyz || !a->work || !a->notes) return KLONOS_E_NOMEM;
  for (int k = 0; k < 3; k++) a->ap_sensor[k] = a->sensor_to_body_hint.m[0][k];
  kl_sway_config_default(&a->sway_cfg);
  kl_gait_config_default(&a->gait_cfg);
  if (kl_gait_ws_create(&a->gait_ws) != KLONOS_OK || kl_sway_ws_create(&a->sway_ws) != KLONOS_OK)
    return KLONOS_E_NOMEM;
  kl_jerk_config jc;
  kl_jerk_config_default(&jc);
  return kl_jerk_detector_create(&a->jerks, &jc, rate, a->nch);
}

void kl_measure_release_work(klonos_analyzer *a) {
  kl_jerk_detector_destroy(&a->jerks);
  kl_gait_ws_destroy(&a->gait_ws);
  kl_sway_ws_destroy(&a->sway_ws);
  free(a->ring);
  free(a->piece.xyz);
  free(a->work);
  free(a->notes);
  a->ring = NULL;
  a->piece.xyz = NULL;
  a->work = NULL;
  a->notes = NULL;
  kl_vec_free(&a->pending);
}

void kl_measure_free(klonos_analyzer *a) {
  kl_jerk_detector_destroy(&a->jerks);
  kl_gait_ws_destroy(&a->gait_ws);
  kl_sway_ws_destroy(&a->sway_ws);
  free(a->ring);
  free(a->piece.xyz);
  free(a->work);
  free(a->notes);
  kl_vec *vecs[] = {&a->bouts, &a->events, &a->pending, &a->clusters, &a->tremors, &a->sway, &a->gait};
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) kl_vec_free(vecs[i]);
}

void kl_measure_store(klonos_analyzer *a, const float *acc, size_t n) {
  size_t k = (size_t)(a->frames_analysed % (int64_t)a->ring_cap);
  while (n) { /* contiguous runs: at most one wrap per call */
    size_t len = n < a->ring_cap - k ? n : a->ring_cap - k;
    memcpy(a->ring + 3 * k, acc, 3 * len * sizeof(float));
    acc += 3 * len;
    n -= len;
    k = 0;
  }
}

/* ---- body frame ---- */

/* Refine the heading from a walking piece: the horizontal direction with the
 * most power at the step frequency is AP (docs/conditioning.md). One DFT bin
 * per horizontal axis (Goertzel-style sum), then the principal axis. */
static void refine_heading(klonos_analyzer *a, const double g[3], double step_s, size_t n) {
  kl_mat3 r;
  if (kl_body_rotation(g, a->ap_sensor, &r)) return;
  const double w = 2.0 * M_PI / (step_s * a->cfg.analysis_rate_hz);
  double complex X = 0, Y = 0;
  for (size_t i = 0; i < n; i++) {
    const float *f = a->piece.xyz + 3 * i;
    double ap = r.m[0][0] * f[0] + r.m[0][1] * f[1] + r.m[0][2] * f[2];
    double ml = r.m[1][0] * f[0] + r.m[1][1] * f[1] + r.m[1][2] * f[2];
    double complex e = cexp(-I * w * (double)i);
    X += ap * e;
    Y += ml * e;
  }
  double cxx = creal(X * conj(X)), cyy = creal(Y * conj(Y)), cxy = creal(X * conj(Y));
  double tr = cxx + cyy, det = cxx * cyy - cxy * cxy;
  double disc = sqrt(fmax(tr * tr / 4 - det, 0));
  double l1 = tr / 2 + disc, l2 = tr / 2 - disc;
  if (!(l1 > 2.0 * l2) || !(l1 > 0)) return; /* no clear antero-posterior axis: keep the hint */
  double th = kl_heading_from_cov(cxx, cxy, cyy);
  double ap[3];
  for (int k = 0; k < 3; k++) ap[k] = cos(th) * r.m[0][k] + sin(th) * r.m[1][k];
  /* Acceleration cannot tell forward from backward: keep the hint's sign. */
  double dot = ap[0] * a->ap_sensor[0] + ap[1] * a->ap_sensor[1] + ap[2] * a->ap_sensor[2];
  for (int k = 0; k < 3; k++) a->ap_sensor[k] = dot < 0 ? -ap[k] : ap[k];
  a->heading_from_walking = 1;
}

static void to_sway_public(const kl_sway_metrics *m, double start_s, klonos_sway_metrics *o) {
  memset(o, 0, sizeof *o);
  o->start_s = start_s;
  o->end_s = start_s + m->duration_s;
  o->duration_s = m->duration_s;
  o->rms_ap_mps2 = m->rms_ap_mps2;
  o->rms_ml_mps2 = m->rms_ml_mps2;
  o->rms_mps2 = m->rms_mps2;
  o->range_ap_mps2 = m->range_ap_mps2;
  o->range_ml_mps2 = m->range_ml_mps2;
  o->range_mps2 = m->range_mps2;
  o->mean_distance_mps2 = m->mean_distance_mps2;
  o->path_mps2 = m->path_mps2;
  o->path_per_s_mps3 = m->path_per_s_mps3;
  o->mean_velocity_mps = m->mean_velocity_mps;
  o->jerk_m2ps5 = m->jerk_total_m2ps5;
  o->jerk_per_s_m2ps6 = m->jerk_m2ps6;
  o->ellipse_area_m2ps4 = m->ellipse_area_m2ps4;
  o->prediction_ellipse_area_m2ps4 = m->prediction_ellipse_area_m2ps4;
  o->mean_freq_hz = m->mean_freq_hz;
  o->total_power_m2ps4 = m->spectrum.total_power_m2ps4;
  o->f50_hz = m->spectrum.f50_hz;
  o->f95_hz = m->spectrum.f95_hz;
  o->centroid_freq_hz = m->spectrum.centroid_freq_hz;
  o->freq_dispersion = m->spectrum.freq_dispersion;
  o->bouts = 1;
}

static void to_gait_public(const kl_gait_metrics *m, double start_s, klonos_gait_metrics *o) {
  memset(o, 0, sizeof *o);
  o->start_s = start_s;
  o->end_s = start_s + m->duration_s;
  o->duration_s = m->duration_s;
  o->steps = m->steps;
  o->strides = m->strides;
  o->cadence_spm = m->cadence_spm;
  o->step_time_s = m->step_time_s;
  o->stride_time_s = m->stride_time_s;
  o->stride_time_cv = m->stride_time_cv;
  o->step_time_asymmetry = m->step_time_asymmetry;
  o->step_regularity_v = m->step_regularity_v;
  o->stride_regularity_v = m->stride_regularity_v;
  o->step_symmetry_v = m->step_symmetry_v;
  o->step_regularity_ap = m->step_regularity_ap;
  o->stride_regularity_ap = m->stride_regularity_ap;
  o->step_symmetry_ap = m->step_symmetry_ap;
  o->harmonic_ratio_v = m->harmonic_ratio_v;
  o->harmonic_ratio_ap = m->harmonic_ratio_ap;
  o->harmonic_ratio_ml = m->harmonic_ratio_ml;
  o->ml_rms_mps2 = m->ml_rms_mps2;
  o->ml_range_mps2 = m->ml_range_mps2;
  o->bouts = 1;
}

/* Measure the collected piece and forget it. */
static int close_piece(klonos_analyzer *a) {
  kl_piece *p = &a->piece;
  int state = p->state;
  size_t n = p->n;
  p->state = -1;
  p->n = 0;
  if (n == 0) return KLONOS_OK;
  double g[3];
  {
    double g0 = 0, g1 = 0, g2 = 0; /* three chains, each in frame order */
    for (size_t i = 0; i < n; i++) {
      const float *f = p->xyz + 3 * i;
      g0 += f[0], g1 += f[1], g2 += f[2];
    }
    g[0] = g0 / (double)n, g[1] = g1 / (double)n, g[2] = g2 / (double)n;
  }
  if (state == KL_STATE_WALKING && p->step_period_n > 0)
    refine_heading(a, g, p->step_period_sum / p->step_period_n, n);
  p->step_period_sum = 0;
  p->step_period_n = 0;
  kl_mat3 r;
  if (kl_body_rotation(g, a->ap_sensor, &r)) return KLONOS_OK; /* no gravity: nothing to measure */
  float *ap = a->work, *ml = a->work + n, *v = a->work + 2 * n;
  double v_mean = 0;
  for (size_t i = 0; i < n; i++) {
    const float *f = p->xyz + 3 * i;
    ap[i] = (float)(r.m[0][0] * f[0] + r.m[0][1] * f[1] + r.m[0][2] * f[2]);
    ml[i] = (float)(r.m[1][0] * f[0] + r.m[1][1] * f[1] + r.m[1][2] * f[2]);
    double vv = r.m[2][0] * f[0] + r.m[2][1] * f[1] + r.m[2][2] * f[2];
    v[i] = (float)vv;
    v_mean += vv;
  }
  v_mean /= (double)n;
  for (size_t i = 0; i < n; i++) v[i] = (float)(v[i] - v_mean); /* gravity removed from V */
  double start_s = (double)p->start_frame / a->cfg.analysis_rate_hz;
  const double rate = a->cfg.analysis_rate_hz;
  if (!a->ws_reserved) {
    /* At the first bout: working memory for the longest piece, made
     * resident now, so it does not grow with the recording (a longer walk
     * later), and the FFT plans made once. Handles that never reach a
     * bout (short or still recordings) do not pay for it. */
    if (kl_gait_ws_reserve(a->gait_ws, &a->gait_cfg, p->max_frames, rate) != KLONOS_OK ||
        kl_sway_ws_reserve(a->sway_ws, &a->sway_cfg, p->max_frames, rate) != KLONOS_OK)
      return KLONOS_E_NOMEM;
    a->ws_reserved = 1;
  }
  if (state == KL_STATE_UPRIGHT_STILL) {
    kl_sway_metrics m;
    if (kl_sway_compute_ws(a->sway_ws, &a->sway_cfg, ap, ml, n, 1, rate, &m) == KLONOS_OK) {
      klonos_sway_metrics o;
      to_sway_public(&m, start_s, &o);
      if (kl_vec_push(&a->sway, &o)) return KLONOS_E_NOMEM;
    }
  } else if (state == KL_STATE_WALKING) {
    kl_gait_metrics m;
    if (kl_gait_compute_ws(a->gait_ws, &a->gait_cfg, v, ap, ml, n, 1, rate, &m, NULL, 0, NULL) == KLONOS_OK) {
      klonos_gait_metrics o;
      to_gait_public(&m, start_s, &o);
      if (kl_vec_push(&a->gait, &o)) return KLONOS_E_NOMEM;
    }
  }
  return KLONOS_OK;
}

/* ---- jerk events ---- */

static const struct kl_epoch_note *note_for(const klonos_analyzer *a, int64_t epoch) {
  if (epoch < 0 || epoch >= a->final_epochs || epoch < a->final_epochs - KL_EPOCH_NOTES) return NULL;
  const struct kl_epoch_note *n = &a->notes[epoch % KL_EPOCH_NOTES];
  return n->index == epoch ? n : NULL;
}

/* Give pending events whose epoch is final their state and a body-frame
 * direction; drop those recorded while the device was not worn. */
static int resolve_pending(klonos_analyzer *a, int all) {
  kl_jerk_event *ev = a->pending.items;
  while (a->pending_head < a->pending.n) {
    kl_jerk_event *e = &ev[a->pending_head];
    int64_t epoch = (int64_t)floor(e->onset_s / a->cfg.epoch_s);
    if (epoch >= a->final_epochs) {
      if (!all) break;
      epoch = a->final_epochs - 1; /* the dropped partial tail: the last epoch's state */
    }
    const struct kl_epoch_note *note = note_for(a, epoch);
    a->pending_head++;
    if (!note || note->state == KL_STATE_MISSING || note->state == KL_STATE_NONWEAR) continue;
    klonos_jerk_event o;
    memset(&o, 0, sizeof o);
    o.onset_s = e->onset_s;
    o.offset_s = e->offset_s;
    o.peak_acc_mps2 = e->peak_acc_mps2;
    o.peak_jerk_mps3 = e->peak_jerk_mps3;
    o.confidence = e->confidence;
    o.cluster_id = e->cluster_id;
    o.state = note->state;
    kl_mat3 r;
    if (kl_body_rotation(note->gravity, a->ap_sensor, &r) == 0) kl_mat3_apply(&r, e->direction, o.direction);
    else memcpy(o.direction, e->direction, sizeof o.direction);
    if (kl_vec_push(&a->events, &o)) return KLONOS_E_NOMEM;
  }
  /* Compact now and then so the pending list stays small. */
  if (a->pending_head > 1024 && a->pending_head * 2 > a->pending.n) {
    memmove(ev, ev + a->pending_head, (a->pending.n - a->pending_head) * sizeof *ev);
    a->pending.n -= a->pending_head;
    a->pending_head = 0;
  }
  return KLONOS_OK;
}

int kl_measure_take_jerks(klonos_analyzer *a) {
  kl_jerk_event e;
  while (kl_jerk_detector_pop_event(a->jerks, &e))
    if (kl_vec_push(&a->pending, &e)) return KLONOS_E_NOMEM;
  kl_jerk_cluster c;
  while (kl_jerk_detector_pop_cluster(a->jerks, &c)) {
    klonos_jerk_cluster o = {.id = c.id, .start_s = c.start_s, .end_s = c.end_s, .count = c.count};
    if (kl_vec_push(&a->clusters, &o)) return KLONOS_E_NOMEM;
  }
  kl_tremor_episode t;
  while (kl_jerk_detector_pop_tremor(a->jerks, &t)) {
    klonos_tremor_episode o = {.start_s = t.start_s, .end_s = t.end_s, .freq_hz = t.freq_hz, .amp_mps2 = t.amp_mps2};
    if (kl_vec_push(&a->tremors, &o)) return KLONOS_E_NOMEM;
  }
  return KLONOS_OK;
}

/* ---- epochs ---- */

int kl_measure_epoch(klonos_analyzer *a, const kl_epoch *e) {
  struct kl_epoch_note *note = &a->notes[e->index % KL_EPOCH_NOTES];
  note->index = e->index;
  note->state = e->state;
  memcpy(note->gravity, e->gravity_mps2, sizeof note->gravity);
  a->final_epochs = e->index + 1;
  if (resolve_pending(a, 0)) return KLONOS_E_NOMEM;

  kl_piece *p = &a->piece;
  int measurable = e->state == KL_STATE_UPRIGHT_STILL || e->state == KL_STATE_WALKING;
  int64_t first = e->index * (int64_t)a->epoch_frames;
  int64_t last = first + (int64_t)a->epoch_frames;
  if (last > a->frames_analysed) last = a->frames_analysed;
  int contiguous = p->state == e->state && p->start_frame + (int64_t)p->n == first &&
                   p->n + a->epoch_frames <= p->max_frames;
  if (!measurable || !contiguous)
    if (close_piece(a)) return KLONOS_E_NOMEM;
  if (!measurable) return KLONOS_OK;
  /* An epoch with any missing frame ends the piece: the metrics need a
   * continuous signal. */
  /* The epoch's frames lie in at most two runs of the ring. */
  const float *run[2] = {NULL, NULL};
  size_t run_n[2] = {0, 0};
  if (last > first) {
    size_t k0 = (size_t)(first % (int64_t)a->ring_cap), cnt = (size_t)(last - first);
    run_n[0] = cnt < a->ring_cap - k0 ? cnt : a->ring_cap - k0;
    run[0] = a->ring + 3 * k0;
    run_n[1] = cnt - run_n[0];
    run[1] = a->ring;
  }
  for (int q = 0; q < 2; q++)
    if (kl_any_nan(run[q], 3 * run_n[q])) return close_piece(a);
  if (p->state < 0) {
    p->state = e->state;
    p->start_frame = first;
    p->n = 0;
  }
  for (int q = 0; q < 2; q++) {
    if (!run_n[q]) continue;
    memcpy(p->xyz + 3 * p->n, run[q], 3 * run_n[q] * sizeof(float));
    p->n += run_n[q];
  }
  if (e->state == KL_STATE_WALKING && e->step_period_s > 0) {
    p->step_period_sum += e->step_period_s;
    p->step_period_n++;
  }
  return KLONOS_OK;
}

int kl_measure_finish(klonos_analyzer *a) {
  if (close_piece(a)) return KLONOS_E_NOMEM;
  return resolve_pending(a, 1);
}
