/* Streaming myoclonic jerk detector; the method is in jerk.h and docs/myoclonus.md.
 *
 * Two streams run over the pushed frames:
 *  - the live stream (frame n): band-pass, norm-jerk, per-frame ring, block
 *    summaries (floor blocks, envelope blocks), tremor windows;
 *  - the delayed stream (frame m = n - D): thresholds, hysteresis
 *    segmentation and the decisions, which may look D frames ahead.
 * Every look-up made for frame m is limited to frames <= m + D (the
 * "horizon"), whatever has been pushed, so the output does not depend on
 * how the input is chunked. */
#include "detect/jerk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rhythm.h"
#include "detect/tremor.h"
#include "dsp/butterworth.h"
#include "dsp/sosfilt.h"
#include "klonos/status.h"

/* Frames filtered per step; the delayed stream catches up after each. */
#define SUB 256
#define ENV_BLOCK_S 0.02 /* envelope blocks of the rhythm test (50 Hz) */
/* Extent of a transient (see transients()): where j stays above this
 * fraction of its own peak (and the lower threshold), dips shorter than
 * INNER_BRIDGE_S bridged. The slow tail that the high-pass adds after a
 * large transient with a net velocity change, and background activity
 * around it, are not part of the jerk. */
#define TAIL_FRACTION 0.15
#define INNER_BRIDGE_S 0.04
/* The high-pass answers a transient with a net velocity change by a slow
 * tail of the opposite sign; its norm-jerk stays below TAIL_FRACTION of
 * the transient's peak and decays within ~1/(2 pi band_lo) s. A later
 * transient within SHADOW_S of a larger one and below that level is taken
 * for its tail. */
#define SHADOW_S 0.5
/* A region longer than this is cut (bounded memory); transients touching
 * the cut are long activity, not jerks. */
#define REGION_CAP_S 2.0

/* A region: frames above the lower threshold, dips up to the refractory
 * gap bridged. It is only a container: the transients inside it are found
 * when it closes (transients() below). */
typedef struct region {
  int open;
  int64_t start, last_above;
  int cut_start; /* began where a too-long region was cut */
} region;

/* One transient found in a region. */
typedef struct transient {
  int64_t onset, offset, peak;
  int truncated;
} transient;
#define MAX_TRANSIENTS 64

typedef struct ev_queue {
  kl_jerk_event *v;
  size_t cap, head, len;
} ev_queue;

typedef struct cl_queue {
  kl_jerk_cluster *v;
  size_t cap, head, len;
} cl_queue;

struct kl_jerk_detector {
  kl_jerk_config c;
  double fs;
  int nch;
  kl_sos_filter bp;
  double band_hi_hz;
  /* live stream */
  int64_t n;
  int live_gap; /* the previous frame was a gap, or nothing came yet */
  float prev[3];
  float buf[SUB * 3];
  size_t R;
  float *r_abp, *r_j, *r_s; /* band-passed acc, norm-jerk, score (feature / upper threshold) per frame */
  /* floor blocks */
  size_t nb;
  size_t FB;
  float *fb_max, *fb_rms;
  int64_t fb_count;
  float cb_max;
  double cb_sum2;
  size_t cb_valid, cb_frames;
  /* envelope blocks */
  size_t nd;
  float ce_j, ce_a2;
  double ce_sum[3];
  int ce_gap;
  size_t ce_frames;
  kl_rhythm *rh;
  /* tremor */
  kl_tremor_tracker *tr;
  size_t nh, nw, nhops_win;
  double *hop_pw;
  double hop_sum2;
  int hop_gap;
  size_t hop_frames;
  int64_t hops;
  float *win;
  /* delayed stream */
  int64_t D;
  int64_t m;
  size_t floor_back, floor_ahead;
  double *scratch;
  double thr_floor, activity;
  int per_ok;
  double per_T;
  double thr_comb, thr_comb_a, ref_comb, ref_comb_a, base_floor;
  int delayed_gap;
  int64_t horizon; /* frames the delayed stream may look at: <= m + D */
  int64_t last_gap_end;
  int64_t bridge, max_dur, guard, cluster_gap, inner_bridge, region_cap, shadow;
  int64_t shadow_until;
  double shadow_level;
  region rg;
  transient tq[MAX_TRANSIENTS];
  /* output */
  ev_queue out_ev;
  cl_queue out_cl;
  kl_jerk_event pend[64];
  int run_count;
  int64_t run_first_onset, run_last_onset, run_id, next_cluster_id;
  double run_start_s, run_end_s;
  kl_jerk_stats st;
  kl_jerk_trace_fn trace;
  void *trace_ctx;
  int finished;
  int error;
};

void kl_jerk_config_default(kl_jerk_config *c) {
  if (!c) return;
  memset(c, 0, sizeof *c);
  c->band_lo_hz = 1.0;
  c->band_hi_hz = 20.0;
  c->filter_order = 2;
  c->floor_block_s = 0.25;
  c->floor_window_s = 8.0;
  c->thr_abs_mps3 = 10.0;
  c->thr_floor_ratio = 2.0;
  c->thr_mad_k = 4.0;
  c->thr_lo_fraction = 0.35;
  c->thr_abs_acc_mps2 = 1.0;
  c->refractory_s = 0.10;
  c->max_duration_s = 0.40;
  c->gap_guard_s = 0.30;
  c->tremor_window_s = 4.0;
  c->tremor_hop_s = 1.0;
  c->tremor_lo_hz = 3.0;
  c->tremor_hi_hz = 12.0;
  c->tremor_peak_ratio = 3.0;
  c->tremor_min_amp_mps2 = 0.05;
  c->step_min_s = 0.25;
  c->step_max_s = 1.2;
  c->step_tolerance = 0.10;
  c->step_amp_ratio = 2.0;
  c->step_amp_ratio_acc = 2.0;
  c->step_min_activity_mps2 = 0.3;
  c->step_min_autocorr = 0.3;
  c->rhythm_window_s = 6.0;
  c->cluster_max_gap_s = 1.5;
  c->cluster_min_count = 3;
}

static int pos_fin(double x) { return isfinite(x) && x > 0; }

static int check_config(const kl_jerk_config *c, double fs) {
  if (!pos_fin(c->band_lo_hz) || !pos_fin(c->band_hi_hz) || c->band_hi_hz <= c->band_lo_hz) return 0;
  if (c->band_lo_hz >= 0.4 * fs) return 0;
  if (c->filter_order < 1 || c->filter_order > 4) return 0;
  if (!pos_fin(c->floor_block_s) || !pos_fin(c->floor_window_s) || c->floor_window_s < 4 * c->floor_block_s) return 0;
  if (!pos_fin(c->thr_abs_mps3) || !(c->thr_floor_ratio >= 0) || !(c->thr_mad_k >= 0)) return 0;
  if (!isfinite(c->thr_floor_ratio) || !isfinite(c->thr_mad_k)) return 0;
  if (!pos_fin(c->thr_lo_fraction) || c->thr_lo_fraction > 1 || !pos_fin(c->thr_abs_acc_mps2)) return 0;
  if (!(c->refractory_s >= 0) || c->refractory_s > 2 || !pos_fin(c->max_duration_s) || c->max_duration_s > 10) return 0;
  if (!(c->gap_guard_s >= 0) || c->gap_guard_s > 5) return 0;
  if (!pos_fin(c->tremor_window_s) || !pos_fin(c->tremor_hop_s) || c->tremor_hop_s * 2 > c->tremor_window_s ||
      c->tremor_window_s > 30)
    return 0;
  if (!pos_fin(c->tremor_lo_hz) || !pos_fin(c->tremor_hi_hz) || c->tremor_hi_hz <= c->tremor_lo_hz + 1) return 0;
  if (c->tremor_lo_hz <= c->band_lo_hz) return 0;
  if (!pos_fin(c->tremor_peak_ratio) || !(c->tremor_min_amp_mps2 >= 0) || !isfinite(c->tremor_min_amp_mps2)) return 0;
  if (!pos_fin(c->step_min_s) || !pos_fin(c->step_max_s) || c->step_max_s <= c->step_min_s || c->step_max_s > 5)
    return 0;
  if (!(c->step_tolerance > 0) || c->step_tolerance > 0.5 || !(c->step_amp_ratio > 1) || !(c->step_amp_ratio_acc > 1))
    return 0;
  if (!isfinite(c->step_amp_ratio) || !isfinite(c->step_amp_ratio_acc)) return 0;
  if (!(c->step_min_activity_mps2 >= 0) || !isfinite(c->step_min_activity_mps2)) return 0;
  if (!(c->step_min_autocorr > 0) || c->step_min_autocorr >= 1) return 0;
  if (!pos_fin(c->rhythm_window_s) || c->rhythm_window_s < 2.5 * c->step_max_s || c->rhythm_window_s > 30) return 0;
  if (!pos_fin(c->cluster_max_gap_s) || c->cluster_min_count < 2 || c->cluster_min_count > 64) return 0;
  if (c->reserved_i != 0) return 0;
  return 1;
}

void kl_jerk_detector_destroy(kl_jerk_detector **pd) {
  if (!pd || !*pd) return;
  kl_jerk_detector *d = *pd;
  free(d->r_abp);
  free(d->r_j);
  free(d->r_s);
  free(d->fb_max);
  free(d->fb_rms);
  free(d->hop_pw);
  free(d->win);
  free(d->scratch);
  free(d->out_ev.v);
  free(d->out_cl.v);
  kl_rhythm_destroy(&d->rh);
  kl_tremor_tracker_destroy(&d->tr);
  free(d);
  *pd = NULL;
}

static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

int kl_jerk_detector_create(kl_jerk_detector **out, const kl_jerk_config *cfg, double rate_hz, int nch) {
  if (!out) return KLONOS_E_INVAL;
  *out = NULL;
  if (!isfinite(rate_hz) || rate_hz < 25.0 || rate_hz > 1000.0) return KLONOS_E_RATE;
  if (nch != 3 && nch != 6) return KLONOS_E_CHANNELS;
  kl_jerk_config c;
  if (cfg)
    c = *cfg;
  else
    kl_jerk_config_default(&c);
  if (!check_config(&c, rate_hz)) return KLONOS_E_INVAL;

  kl_jerk_detector *d = calloc(1, sizeof *d);
  if (!d) return KLONOS_E_NOMEM;
  d->c = c;
  d->fs = rate_hz;
  d->nch = nch;
  d->live_gap = 1;
  d->delayed_gap = 0;
  d->last_gap_end = INT64_MIN / 2;
  /* The upper edge stays clear of the Nyquist frequency at low rates. */
  d->band_hi_hz = c.band_hi_hz < 0.4 * rate_hz ? c.band_hi_hz : 0.4 * rate_hz;
  kl_sos_design des;
  int rc = kl_butter_bandpass(&des, c.filter_order, c.band_lo_hz, d->band_hi_hz, rate_hz);
  if (rc == KLONOS_OK) rc = kl_sos_filter_init(&d->bp, &des, 3);
  if (rc != KLONOS_OK) {
    kl_jerk_detector_destroy(&d);
    return KLONOS_E_INVAL;
  }
  rc = kl_tremor_tracker_create(&d->tr, &c, rate_hz);
  if (rc != KLONOS_OK) {
    kl_jerk_detector_destroy(&d);
    return rc;
  }
  d->nh = kl_tremor_hop_frames(d->tr);
  d->nw = kl_tremor_window_frames(d->tr);
  d->nhops_win = d->nw / d->nh;

  d->nb = (size_t)llround(c.floor_block_s * rate_hz);
  if (d->nb < 1) d->nb = 1;
  d->nd = (size_t)llround(ENV_BLOCK_S * rate_hz);
  if (d->nd < 1) d->nd = 1;
  d->bridge = llround(c.refractory_s * rate_hz);
  d->max_dur = llround(c.max_duration_s * rate_hz);
  d->guard = llround(c.gap_guard_s * rate_hz);
  d->cluster_gap = llround(c.cluster_max_gap_s * rate_hz);
  d->inner_bridge = llround(INNER_BRIDGE_S * rate_hz);
  d->region_cap = llround(REGION_CAP_S * rate_hz);
  d->shadow = llround(SHADOW_S * rate_hz);
  d->shadow_until = INT64_MIN / 2;

  /* Look-ahead D: what the tests of frame m need beyond m. */
  double dec_s = (double)d->nd / rate_hz;
  int64_t lag_max = (int64_t)floor(c.step_max_s / dec_s);
  int64_t w = (int64_t)ceil(c.step_tolerance * (double)lag_max);
  int64_t D = (int64_t)(d->nh + d->nw / 2) + 1;                                     /* tremor windows */
  D = imax(D, (int64_t)d->nh / 2 + (llround(0.5 * c.rhythm_window_s / dec_s) + 4) * (int64_t)d->nd); /* period */
  D = imax(D, (2 * lag_max + 4 * w + 3) * (int64_t)d->nd);                             /* comb */
  D = imax(D, (int64_t)ceil((2.7 * c.step_max_s + 0.35 + c.max_duration_s) * rate_hz) + 2 * (int64_t)d->nd); /* aligned */
  D = imax(D, d->guard + d->bridge + 1);
  D = imax(D, 4 * (int64_t)d->nb);
  d->D = D;
  d->floor_ahead = (size_t)(D / (int64_t)d->nb) - 1;
  size_t win_blocks = (size_t)llround(c.floor_window_s / c.floor_block_s);
  if (d->floor_ahead > win_blocks / 2) d->floor_ahead = win_blocks / 2;
  d->floor_back = win_blocks - d->floor_ahead;

  d->R = (size_t)D + d->nw + 2 * SUB + 8;
  d->r_abp = malloc(d->R * 3 * sizeof(float));
  d->r_j = malloc(d->R * sizeof(float));
  d->r_s = malloc(d->R * sizeof(float));
  d->FB = d->floor_back + d->floor_ahead + (size_t)(D + 2 * SUB) / d->nb + 8;
  d->fb_max = malloc(d->FB * sizeof(float));
  d->fb_rms = malloc(d->FB * sizeof(float));
  d->scratch = malloc((d->floor_back + d->floor_ahead + 2) * sizeof(double));
  d->hop_pw = malloc(d->nhops_win * sizeof(double));
  d->win = malloc(d->nw * 3 * sizeof(float));
  size_t half = (size_t)llround(0.5 * c.rhythm_window_s / dec_s);
  size_t keep = (size_t)(D + 2 * SUB) / d->nd + 2 * half + (size_t)(2 * lag_max + 4 * w) + 16;
  rc = kl_rhythm_create(&d->rh, &c, rate_hz, d->nd, keep);
  if (rc != KLONOS_OK || !d->r_abp || !d->r_j || !d->r_s || !d->fb_max || !d->fb_rms || !d->scratch || !d->hop_pw || !d->win) {
    kl_jerk_detector_destroy(&d);
    return rc != KLONOS_OK ? rc : KLONOS_E_NOMEM;
  }
  d->cb_max = 0;
  d->ce_j = d->ce_a2 = 0;
  d->thr_floor = c.thr_abs_mps3;
  d->thr_comb = d->thr_comb_a = NAN;
  d->run_id = -1;
  *out = d;
  return KLONOS_OK;
}

/* ---- small helpers ---- */

static double median_of(double *v, size_t n) {
  for (size_t i = 1; i < n; i++) { /* insertion sort: n is a few tens */
    double x = v[i];
    size_t j = i;
    while (j > 0 && v[j - 1] > x) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int ev_push(ev_queue *q, const kl_jerk_event *e) {
  if (q->len == q->cap) {
    size_t cap = q->cap ? 2 * q->cap : 16;
    kl_jerk_event *v = malloc(cap * sizeof *v);
    if (!v) return KLONOS_E_NOMEM;
    for (size_t i = 0; i < q->len; i++) v[i] = q->v[(q->head + i) % q->cap];
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
  }
  q->v[(q->head + q->len) % q->cap] = *e;
  q->len++;
  return KLONOS_OK;
}

static int cl_push(cl_queue *q, const kl_jerk_cluster *e) {
  if (q->len == q->cap) {
    size_t cap = q->cap ? 2 * q->cap : 8;
    kl_jerk_cluster *v = malloc(cap * sizeof *v);
    if (!v) return KLONOS_E_NOMEM;
    for (size_t i = 0; i < q->len; i++) v[i] = q->v[(q->head + i) % q->cap];
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
  }
  q->v[(q->head + q->len) % q->cap] = *e;
  q->len++;
  return KLONOS_OK;
}

/* ---- clusters: runs of accepted jerks with onset gaps <= cluster_max_gap_s ---- */

static void fail(kl_jerk_detector *d, int rc) {
  if (rc != KLONOS_OK && d->error == KLONOS_OK) d->error = rc;
}

static void close_run(kl_jerk_detector *d) {
  if (d->run_count >= d->c.cluster_min_count) {
    kl_jerk_cluster cl = {d->run_id, d->run_start_s, d->run_end_s, d->run_count};
    fail(d, cl_push(&d->out_cl, &cl));
  } else {
    for (int i = 0; i < d->run_count; i++) fail(d, ev_push(&d->out_ev, &d->pend[i]));
  }
  d->run_count = 0;
  d->run_id = -1;
}

static void add_jerk(kl_jerk_detector *d, kl_jerk_event *e, int64_t onset) {
  if (d->run_count > 0 && onset - d->run_last_onset > d->cluster_gap) close_run(d);
  if (d->run_count == 0) {
    d->run_first_onset = onset;
    d->run_start_s = e->onset_s;
  }
  d->run_last_onset = onset;
  d->run_end_s = e->offset_s;
  d->run_count++;
  if (d->run_count < d->c.cluster_min_count) {
    e->cluster_id = -1;
    d->pend[d->run_count - 1] = *e;
  } else if (d->run_count == d->c.cluster_min_count) {
    d->run_id = d->next_cluster_id++;
    for (int i = 0; i < d->run_count - 1; i++) {
      d->pend[i].cluster_id = d->run_id;
      fail(d, ev_push(&d->out_ev, &d->pend[i]));
    }
    e->cluster_id = d->run_id;
    fail(d, ev_push(&d->out_ev, e));
  } else {
    e->cluster_id = d->run_id;
    fail(d, ev_push(&d->out_ev, e));
  }
}

/* ---- decision on a closed transient ---- */

static int gap_within(const kl_jerk_detector *d, int64_t a, int64_t b) {
  for (int64_t i = a; i <= b; i++) {
    if (i < 0 || i >= d->n) continue;
    if (isnan(d->r_j[(size_t)(i % (int64_t)d->R)])) return 1;
  }
  return 0;
}

static float rj(const kl_jerk_detector *d, int64_t i) { return d->r_j[(size_t)(i % (int64_t)d->R)]; }
static float rs(const kl_jerk_detector *d, int64_t i) { return d->r_s[(size_t)(i % (int64_t)d->R)]; }

static void decide(kl_jerk_detector *d, const transient *t) {
  d->st.candidates++;
  int64_t dur = t->offset - t->onset + 1;
  if (t->truncated || dur > d->max_dur) {
    d->st.rejected_long++;
    return;
  }
  if (t->onset - d->last_gap_end < d->guard || gap_within(d, t->offset + 1, t->offset + d->guard)) {
    d->st.rejected_gap++;
    return;
  }
  double trem_margin = INFINITY;
  if (kl_tremor_tracker_at(d->tr, t->peak, &trem_margin)) {
    d->st.rejected_tremor++;
    return;
  }
  kl_jerk_event e;
  memset(&e, 0, sizeof e);
  e.onset_s = (double)t->onset / d->fs;
  e.offset_s = (double)(t->offset + 1) / d->fs;
  double best = -1;
  for (int64_t i = t->onset; i <= t->offset; i++) {
    if (rj(d, i) > e.peak_jerk_mps3) e.peak_jerk_mps3 = rj(d, i);
    const float *a = d->r_abp + (size_t)(i % (int64_t)d->R) * 3;
    double a2 = (double)a[0] * a[0] + (double)a[1] * a[1] + (double)a[2] * a[2];
    if (a2 > best) {
      best = a2;
      for (int k = 0; k < 3; k++) e.direction[k] = a[k];
    }
  }
  e.peak_acc_mps2 = sqrt(best);
  for (int k = 0; k < 3; k++) e.direction[k] = e.peak_acc_mps2 > 0 ? e.direction[k] / e.peak_acc_mps2 : 0.0;
  /* Walking: compare with the same phase of the neighbouring steps, each
   * aligned on the gait pattern around the transient (rhythm.h). A
   * transient that none of the neighbouring steps' aligned phase is more
   * than step_amp_ratio(_acc) times smaller than, in norm-jerk and in
   * |a_bp|, is a step; one that stands out in either breaks the rhythm. */
  double rhythm_margin = INFINITY;
  if (d->per_ok) {
    const int64_t nd = (int64_t)d->nd;
    int64_t kp = t->peak / nd, core = (kp - t->onset / nd > t->offset / nd - kp ? kp - t->onset / nd : t->offset / nd - kp) + 1;
    int64_t hb = d->finished ? INT64_MAX : (d->horizon + 1) / nd - 1;
    double ref_j = 0, ref_a = 0;
    if (kl_rhythm_aligned(d->rh, kp, core, d->per_T, hb, &ref_j, &ref_a)) {
      double mj = ref_j > 0 ? e.peak_jerk_mps3 / (d->c.step_amp_ratio * ref_j) : INFINITY;
      double ma = ref_a > 0 ? e.peak_acc_mps2 / (d->c.step_amp_ratio_acc * ref_a) : INFINITY;
      rhythm_margin = mj > ma ? mj : ma;
      if (rhythm_margin <= 1) {
        d->st.rejected_rhythm++;
        return;
      }
    }
  }
  d->st.accepted++;
  /* Confidence: 1 - 1/r with r the smallest margin: peak over the upper
   * threshold, the duration limit over the duration, and (when the window
   * was rhythmic at all) the tremor ratio limit over the window's ratio. */
  double margin = rs(d, t->peak);
  double md = (double)d->max_dur / (double)dur;
  if (md < margin) margin = md;
  if (trem_margin < margin) margin = trem_margin;
  if (rhythm_margin < margin) margin = rhythm_margin;
  e.confidence = margin > 1 ? 1.0 - 1.0 / margin : 0.0;
  add_jerk(d, &e, t->onset);
}

/* Frames [a, b] of a closed region: every transient in it, largest first,
 * then decided in onset order. Everything runs on the score s (the feature
 * over its upper threshold, so s >= 1 is "above threshold"). A transient is
 * the peak of s among frames with s >= 1 and the extent around it where s
 * stays above max(lower threshold, TAIL_FRACTION x peak), dips up to
 * INNER_BRIDGE_S bridged; its onset is then moved back along the rising
 * edge while s keeps falling and stays above the lower threshold. Frames
 * within the refractory gap of a transient cannot start another one. */
static void transients(kl_jerk_detector *d, int64_t a0, int64_t b0, int cut_start, int cut_end) {
  int64_t ra[MAX_TRANSIENTS], rb[MAX_TRANSIENTS];
  int nr = 0, nt = 0;
  const double lo = d->c.thr_lo_fraction;
  ra[nr] = a0;
  rb[nr++] = b0;
  while (nr > 0 && nt < MAX_TRANSIENTS) {
    nr--;
    int64_t a = ra[nr], b = rb[nr];
    int64_t p = -1;
    float ps = 1.0f;
    for (int64_t i = a; i <= b; i++) {
      float v = rs(d, i);
      if (v >= ps) {
        ps = v;
        p = i;
      }
    }
    if (p < 0) continue;
    double level = lo > TAIL_FRACTION * ps ? lo : TAIL_FRACTION * ps;
    int64_t on = p, off = p;
    for (int64_t i = p - 1, dip = 0; i >= a && dip <= d->inner_bridge; i--) {
      if (rs(d, i) >= level) {
        on = i;
        dip = 0;
      } else {
        dip++;
      }
    }
    for (int64_t i = p + 1, dip = 0; i <= b && dip <= d->inner_bridge; i++) {
      if (rs(d, i) >= level) {
        off = i;
        dip = 0;
      } else {
        dip++;
      }
    }
    while (on > a && rs(d, on - 1) < rs(d, on) && rs(d, on - 1) >= lo) on--;
    transient *t = &d->tq[nt++];
    t->onset = on;
    t->offset = off;
    t->peak = p;
    t->truncated = (cut_start && on == a0) || (cut_end && off == b0);
    if (on - d->bridge - 1 >= a && nr < MAX_TRANSIENTS) {
      ra[nr] = a;
      rb[nr++] = on - d->bridge - 1;
    }
    if (off + d->bridge + 1 <= b && nr < MAX_TRANSIENTS) {
      ra[nr] = off + d->bridge + 1;
      rb[nr++] = b;
    }
  }
  for (int i = 1; i < nt; i++) { /* onset order */
    transient x = d->tq[i];
    int k = i;
    while (k > 0 && d->tq[k - 1].onset > x.onset) {
      d->tq[k] = d->tq[k - 1];
      k--;
    }
    d->tq[k] = x;
  }
  for (int i = 0; i < nt; i++) {
    const transient *t = &d->tq[i];
    double pj = rs(d, t->peak);
    if (t->onset <= d->shadow_until && pj < d->shadow_level) {
      d->st.rejected_tail++;
      continue;
    }
    if (t->onset > d->shadow_until || TAIL_FRACTION * pj > d->shadow_level) d->shadow_level = TAIL_FRACTION * pj;
    d->shadow_until = t->offset + d->shadow;
    decide(d, t);
  }
}

static void close_region(kl_jerk_detector *d, int cut_end) {
  region *r = &d->rg;
  if (!r->open) return;
  r->open = 0;
  transients(d, r->start, r->last_above, r->cut_start, cut_end);
}

/* ---- delayed stream ---- */

static void update_floor(kl_jerk_detector *d, int64_t b, int64_t horizon) {
  int64_t bmax = d->finished ? d->fb_count - 1 : (horizon + 1) / (int64_t)d->nb - 1;
  if (bmax > d->fb_count - 1) bmax = d->fb_count - 1;
  int64_t lo = b - (int64_t)d->floor_back, hi = b + (int64_t)d->floor_ahead;
  if (lo < 0) lo = 0;
  if (lo < d->fb_count - (int64_t)d->FB) lo = d->fb_count - (int64_t)d->FB;
  if (hi > bmax) hi = bmax;
  size_t n = 0;
  for (int64_t i = lo; i <= hi; i++) {
    float v = d->fb_max[(size_t)(i % (int64_t)d->FB)];
    if (isfinite(v)) d->scratch[n++] = v;
  }
  double thr = d->c.thr_abs_mps3, base = 0;
  if (n >= 4) {
    double med = median_of(d->scratch, n);
    for (size_t i = 0; i < n; i++) d->scratch[i] = fabs(d->scratch[i] - med);
    double mad = 1.4826 * median_of(d->scratch, n);
    double t1 = d->c.thr_floor_ratio * med, t2 = med + d->c.thr_mad_k * mad;
    if (t1 > thr) thr = t1;
    if (t2 > thr) thr = t2;
    base = med < 0.5 * thr ? med : 0.5 * thr;
  }
  d->base_floor = base;
  d->thr_floor = thr;
  /* Activity for the rhythm gate: the larger of the median block RMS over
   * the half-windows before and after (a bout start or end still counts). */
  int64_t hw = (int64_t)llround(0.5 * d->c.rhythm_window_s / d->c.floor_block_s);
  double act = 0;
  for (int side = 0; side < 2; side++) {
    int64_t a = side ? b : b - hw, z = side ? b + hw : b;
    if (a < lo) a = lo;
    if (z > hi) z = hi;
    n = 0;
    for (int64_t i = a; i <= z; i++) {
      float v = d->fb_rms[(size_t)(i % (int64_t)d->FB)];
      if (isfinite(v)) d->scratch[n++] = v;
    }
    if (n >= 2) {
      double med = median_of(d->scratch, n);
      if (med > act) act = med;
    }
  }
  d->activity = act;
}

static void delayed_frame(kl_jerk_detector *d, int64_t m, int64_t horizon) {
  d->horizon = horizon;
  if (m % (int64_t)d->nb == 0) update_floor(d, m / (int64_t)d->nb, horizon);
  int64_t hb = d->finished ? INT64_MAX : (horizon + 1) / (int64_t)d->nd - 1;
  if (m % (int64_t)d->nh == 0) {
    d->per_ok = 0;
    if (d->activity >= d->c.step_min_activity_mps2) {
      double T = 0, ac = 0;
      int64_t kc = (m + (int64_t)d->nh / 2) / (int64_t)d->nd;
      if (kl_rhythm_analyse(d->rh, kc, hb, &T, &ac)) {
        d->st.periodic_hops++;
        d->per_ok = 1;
        d->per_T = T;
      }
    }
  }
  if (m % (int64_t)d->nd == 0) {
    d->thr_comb = d->thr_comb_a = NAN;
    if (d->per_ok) {
      int64_t k = m / (int64_t)d->nd;
      double rj_ = kl_rhythm_ref(d->rh, k, d->per_T, hb, 0), ra_ = kl_rhythm_ref(d->rh, k, d->per_T, hb, 1);
      if (!isnan(rj_) && !isnan(ra_)) {
        /* candidates need only half the margin: the aligned test decides */
        double t = (1.0 + 0.5 * (d->c.step_amp_ratio - 1.0)) * rj_;
        d->thr_comb = t > d->c.thr_abs_mps3 ? t : d->c.thr_abs_mps3;
        d->ref_comb = rj_;
        t = (1.0 + 0.5 * (d->c.step_amp_ratio_acc - 1.0)) * ra_;
        d->thr_comb_a = t > d->c.thr_abs_acc_mps2 ? t : d->c.thr_abs_acc_mps2;
        d->ref_comb_a = ra_;
      }
    }
  }
  size_t ri = (size_t)(m % (int64_t)d->R);
  float j = d->r_j[ri];
  /* Score: the norm-jerk over its upper threshold; while walking, the
   * larger of that and |a_bp| over its own comb threshold (a slow jerk has
   * a modest norm-jerk next to sharp heel strikes but stands out in
   * acceleration from the same phase of the neighbouring steps). */
  double sc;
  if (d->per_ok && !isnan(d->thr_comb)) {
    const float *a = d->r_abp + ri * 3;
    double am = sqrt((double)a[0] * a[0] + (double)a[1] * a[1] + (double)a[2] * a[2]);
    double s1 = (j - d->ref_comb) / (d->thr_comb - d->ref_comb), s2 = (am - d->ref_comb_a) / (d->thr_comb_a - d->ref_comb_a);
    sc = s1 > s2 ? s1 : s2;
  } else {
    sc = (j - d->base_floor) / (d->thr_floor - d->base_floor);
  }
  d->r_s[ri] = (float)sc;
  if (d->trace) d->trace(d->trace_ctx, m, j, sc, d->per_ok);
  const double lo = d->c.thr_lo_fraction;
  region *r = &d->rg;
  if (isnan(j)) {
    close_region(d, 0); /* the gap guard rejects transients cut by the gap */
    d->delayed_gap = 1;
  } else {
    if (d->delayed_gap) {
      d->delayed_gap = 0;
      d->last_gap_end = m;
    }
    if (r->open && sc < lo && m - r->last_above > d->bridge) close_region(d, 0);
    if (sc >= lo) {
      if (r->open && m - r->start >= d->region_cap) {
        close_region(d, 1);
        r->open = 1;
        r->start = m;
        r->cut_start = 1;
      } else if (!r->open) {
        r->open = 1;
        r->start = m;
        r->cut_start = 0;
      }
      r->last_above = m;
    }
  }
  /* A run of jerks ends when no transient can join it any more. */
  if (d->run_count > 0 && m - d->run_last_onset > d->cluster_gap &&
      !(r->open && r->start - d->run_last_onset <= d->cluster_gap))
    close_run(d);
}

static void catch_up(kl_jerk_detector *d) {
  while (d->m + d->D < d->n) {
    delayed_frame(d, d->m, d->m + d->D);
    d->m++;
  }
}

/* ---- live stream ---- */

static void floor_block_done(kl_jerk_detector *d) {
  size_t i = (size_t)(d->fb_count % (int64_t)d->FB);
  if (d->cb_valid * 2 >= d->cb_frames && d->cb_valid > 0) {
    d->fb_max[i] = d->cb_max;
    d->fb_rms[i] = (float)sqrt(d->cb_sum2 / (double)d->cb_valid);
  } else {
    d->fb_max[i] = d->fb_rms[i] = NAN;
  }
  d->fb_count++;
  d->cb_max = 0;
  d->cb_sum2 = 0;
  d->cb_valid = d->cb_frames = 0;
}

static void env_block_done(kl_jerk_detector *d) {
  float mean[3];
  if (d->ce_gap) {
    mean[0] = mean[1] = mean[2] = NAN;
    kl_rhythm_push(d->rh, NAN, NAN, mean);
  } else {
    for (int c = 0; c < 3; c++) mean[c] = (float)(d->ce_sum[c] / (double)d->ce_frames);
    kl_rhythm_push(d->rh, d->ce_j, sqrtf(d->ce_a2), mean);
  }
  d->ce_j = d->ce_a2 = 0;
  d->ce_sum[0] = d->ce_sum[1] = d->ce_sum[2] = 0;
  d->ce_gap = 0;
  d->ce_frames = 0;
}

static void hop_done(kl_jerk_detector *d) {
  d->hop_pw[(size_t)(d->hops % (int64_t)d->nhops_win)] = d->hop_gap ? NAN : d->hop_sum2 / (double)d->hop_frames;
  d->hops++;
  d->hop_sum2 = 0;
  d->hop_gap = 0;
  d->hop_frames = 0;
  if (d->n < (int64_t)d->nw) return;
  double pw = 0;
  for (size_t i = 0; i < d->nhops_win; i++) pw += d->hop_pw[i];
  pw /= (double)d->nhops_win;
  double need = 0.5 * d->c.tremor_min_amp_mps2 * d->c.tremor_min_amp_mps2;
  if (isfinite(pw) && pw >= need) {
    for (size_t i = 0; i < d->nw; i++) {
      size_t ri = (size_t)((d->n - (int64_t)d->nw + (int64_t)i) % (int64_t)d->R);
      memcpy(d->win + 3 * i, d->r_abp + 3 * ri, 3 * sizeof(float));
    }
  }
  fail(d, kl_tremor_tracker_window(d->tr, d->n, d->win, pw));
}

/* Bookkeeping after frame n has been stored. */
static inline void frame_done(kl_jerk_detector *d) {
  d->n++;
  d->cb_frames++;
  d->ce_frames++;
  d->hop_frames++;
  if (d->cb_frames == d->nb) floor_block_done(d);
  if (d->ce_frames == d->nd) env_block_done(d);
  if (d->hop_frames == d->nh) hop_done(d);
}

static void gap_frame(kl_jerk_detector *d) {
  size_t ri = (size_t)(d->n % (int64_t)d->R);
  d->r_j[ri] = NAN;
  d->r_abp[3 * ri] = d->r_abp[3 * ri + 1] = d->r_abp[3 * ri + 2] = NAN;
  d->ce_gap = 1;
  d->hop_gap = 1;
  d->live_gap = 1;
  d->st.gap_frames++;
  frame_done(d);
}

/* Frames [0, k) of `f` are all valid. */
static void valid_run(kl_jerk_detector *d, const float *f, size_t k) {
  for (size_t i = 0; i < k; i++)
    for (int c = 0; c < 3; c++) d->buf[3 * i + c] = f[i * (size_t)d->nch + (size_t)c];
  if (d->live_gap) {
    /* Restart after a gap (or at the start) from the steady state of the
     * first frame: gravity's step does not ring through the band-pass. */
    kl_sos_filter_prime(&d->bp, d->buf);
    d->prev[0] = d->prev[1] = d->prev[2] = 0;
    d->live_gap = 0;
  }
  kl_sos_filter_process(&d->bp, d->buf, k);
  const float fs = (float)d->fs;
  for (size_t i = 0; i < k; i++) {
    const float *a = d->buf + 3 * i;
    float dx = a[0] - d->prev[0], dy = a[1] - d->prev[1], dz = a[2] - d->prev[2];
    float j = fs * sqrtf(dx * dx + dy * dy + dz * dz);
    float a2 = a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
    d->prev[0] = a[0];
    d->prev[1] = a[1];
    d->prev[2] = a[2];
    size_t ri = (size_t)(d->n % (int64_t)d->R);
    d->r_j[ri] = j;
    memcpy(d->r_abp + 3 * ri, a, 3 * sizeof(float));
    if (j > d->cb_max) d->cb_max = j;
    d->cb_sum2 += a2;
    d->cb_valid++;
    if (j > d->ce_j) d->ce_j = j;
    if (a2 > d->ce_a2) d->ce_a2 = a2;
    d->ce_sum[0] += a[0];
    d->ce_sum[1] += a[1];
    d->ce_sum[2] += a[2];
    d->hop_sum2 += a2;
    frame_done(d);
  }
}

int kl_jerk_detector_push(kl_jerk_detector *d, const float *frames, size_t n) {
  if (!d || (!frames && n > 0)) return KLONOS_E_INVAL;
  if (d->finished) return KLONOS_E_STATE;
  if (d->error) return d->error;
  size_t i = 0;
  while (i < n) {
    /* the next run of valid frames (at most SUB) or a single gap frame */
    const float *f = frames + i * (size_t)d->nch;
    if (!(isfinite(f[0]) && isfinite(f[1]) && isfinite(f[2]))) {
      gap_frame(d);
      i++;
    } else {
      size_t k = 1;
      while (k < SUB && i + k < n) {
        const float *g = f + k * (size_t)d->nch;
        if (!(isfinite(g[0]) && isfinite(g[1]) && isfinite(g[2]))) break;
        k++;
      }
      valid_run(d, f, k);
      i += k;
    }
    catch_up(d);
  }
  d->st.frames = d->n;
  return d->error;
}

int kl_jerk_detector_finish(kl_jerk_detector *d) {
  if (!d) return KLONOS_E_INVAL;
  if (d->finished) return d->error;
  if (d->cb_frames > 0) floor_block_done(d);
  if (d->ce_frames > 0) env_block_done(d);
  kl_tremor_tracker_finish(d->tr);
  d->finished = 1;
  while (d->m < d->n) {
    delayed_frame(d, d->m, d->n - 1);
    d->m++;
  }
  /* a region still open at the last frame is cut by the end */
  if (d->rg.open) close_region(d, d->rg.last_above == d->n - 1);
  close_run(d);
  d->st.frames = d->n;
  return d->error;
}

int kl_jerk_detector_pop_event(kl_jerk_detector *d, kl_jerk_event *e) {
  if (!d || !e) return KLONOS_E_INVAL;
  if (d->out_ev.len == 0) return 0;
  *e = d->out_ev.v[d->out_ev.head];
  d->out_ev.head = (d->out_ev.head + 1) % d->out_ev.cap;
  d->out_ev.len--;
  return 1;
}

int kl_jerk_detector_pop_cluster(kl_jerk_detector *d, kl_jerk_cluster *c) {
  if (!d || !c) return KLONOS_E_INVAL;
  if (d->out_cl.len == 0) return 0;
  *c = d->out_cl.v[d->out_cl.head];
  d->out_cl.head = (d->out_cl.head + 1) % d->out_cl.cap;
  d->out_cl.len--;
  return 1;
}

int kl_jerk_detector_pop_tremor(kl_jerk_detector *d, kl_tremor_episode *t) {
  if (!d || !t) return KLONOS_E_INVAL;
  return kl_tremor_tracker_pop(d->tr, t);
}

int kl_jerk_detector_stats(const kl_jerk_detector *d, kl_jerk_stats *s) {
  if (!d || !s) return KLONOS_E_INVAL;
  *s = d->st;
  s->spectral_tests = kl_tremor_tracker_ffts(d->tr);
  s->rhythm_tests = kl_rhythm_analyses(d->rh);
  return KLONOS_OK;
}

void kl_jerk_detector_set_trace(kl_jerk_detector *d, kl_jerk_trace_fn fn, void *ctx) {
  if (!d) return;
  d->trace = fn;
  d->trace_ctx = ctx;
}
