/* Streaming myoclonic jerk detector; the method is in jerk.h and docs/myoclonus.md.
 *
 * Two streams run over the pushed frames:
 *  - the live stream (frame n): band-pass, norm-jerk, per-frame ring, block
 *    summaries (floor blocks, envelope blocks), tremor windows;
 *  - the delayed stream (frame m = n - D): thresholds, hysteresis
 *    segmentation and the decisions, which may look D frames ahead.
 * Every look-up made for frame m is limited to frames <= m + D (the
 * "horizon"), whatever has been pushed, so the output does not depend on
 * how the input is chunked.
 *
 * This file: configuration, creation, the live and delayed streams and the
 * API. jerk_floor.c: the background threshold. jerk_decide.c: transients,
 * acceptance tests, clusters and output. rhythm.c: walking. tremor.c:
 * tremor. */
#include "detect/jerk.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "detect/jerk_priv.h"
#include "dsp/butterworth.h"
#include "klonos/status.h"
#include "util/simd.h"

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
  c->min_acc_mps2 = 0.0;
  c->posture_max_deg = 20.0;
  c->local_ratio = 3.0;
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
  c->step_min_autocorr = 0.2;
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
  if (!(c->min_acc_mps2 >= 0) || !isfinite(c->min_acc_mps2)) return 0;
  if (!(c->posture_max_deg > 0) || c->posture_max_deg > 180) return 0;
  if (!(c->local_ratio >= 0) || !isfinite(c->local_ratio)) return 0;
  if (!pos_fin(c->tremor_window_s) || !pos_fin(c->tremor_hop_s) || c->tremor_hop_s * 2 > c->tremor_window_s ||
      c->tremor_window_s > 30 || c->tremor_window_s > 16 * c->tremor_hop_s)
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
  free(d->fb_raw);
  free(d->hop_pw);
  free(d->scratch);
  free(d->sorted);
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
  d->last_gap_end = 0; /* the filters start at the first frame as after a gap */
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
  d->nd_comb = d->nd * ((double)d->nd / rate_hz < 0.03 ? 2 : 1); /* comb every ~40 ms */
  d->nrh = (size_t)llround(RHYTHM_HOP_S * rate_hz);
  d->bridge = llround(c.refractory_s * rate_hz);
  d->max_dur = llround(c.max_duration_s * rate_hz);
  d->guard = llround(c.gap_guard_s * rate_hz);
  d->cluster_gap = llround(c.cluster_max_gap_s * rate_hz);
  d->inner_bridge = llround(INNER_BRIDGE_S * rate_hz);
  d->region_cap = llround(REGION_CAP_S * rate_hz);
  d->shadow = llround(SHADOW_S * rate_hz);
  d->train_window = llround(TRAIN_WINDOW_S * rate_hz);
  d->shadow_until = INT64_MIN / 2;

  /* Look-ahead D: what the tests of frame m need beyond m. */
  double dec_s = (double)d->nd / rate_hz;
  int64_t lag_max = (int64_t)floor(c.step_max_s / dec_s);
  int64_t w = (int64_t)ceil(c.step_tolerance * (double)lag_max);
  int64_t D = (int64_t)(d->nh + d->nw / 2) + 1;                                     /* tremor windows */
  D = imax(D, (int64_t)d->nrh / 2 + (llround(0.5 * c.rhythm_window_s / dec_s) + 4) * (int64_t)d->nd); /* period */
  D = imax(D, (2 * lag_max + 4 * w + 3) * (int64_t)d->nd);                             /* comb */
  D = imax(D, (int64_t)ceil((KL_RHYTHM_STEPS * (1.15 + 0.1 * KL_RHYTHM_STEPS) * c.step_max_s + 0.35 + c.max_duration_s) *
                            rate_hz) +
                  3 * (int64_t)d->nd); /* aligned steps */
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
  d->fb_raw = malloc(3 * d->FB * sizeof(float));
  d->scratch = malloc((d->floor_back + d->floor_ahead + 2 + (size_t)llround(2 * (1.5 + c.max_duration_s) / c.floor_block_s) + 8) * sizeof(double));
  d->sorted = malloc((d->floor_back + d->floor_ahead + 2) * sizeof(double));
  d->win_lo = 0;
  d->win_hi = -1;
  d->hop_pw = malloc(d->nhops_win * sizeof(double));
  size_t half = (size_t)llround(0.5 * c.rhythm_window_s / dec_s);
  size_t keep = (size_t)(D + 2 * SUB) / d->nd + 2 * half + (size_t)(2 * lag_max + 4 * w) + 16;
  rc = kl_rhythm_create(&d->rh, &c, rate_hz, d->nd, keep);
  if (rc != KLONOS_OK || !d->r_abp || !d->r_j || !d->r_s || !d->fb_max || !d->fb_rms || !d->fb_raw || !d->scratch || !d->sorted || !d->hop_pw) {
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

/* Block-level work for frame m (the start of a stretch): the floor, the
 * periodic context and the comb thresholds, each when its block begins. */
static void delayed_blocks(kl_jerk_detector *d, int64_t m, int64_t horizon) {
  d->horizon = horizon;
  if (d->ph_nb == 0) kl_jerk_update_floor(d, m / (int64_t)d->nb, horizon);
  int64_t hb = 0;
  if (d->ph_rh == 0 || d->ph_nd == 0) hb = d->finished ? INT64_MAX : (horizon + 1) / (int64_t)d->nd - 1;
  if (d->ph_rh == 0) {
    d->per_ok = 0;
    if (kl_jerk_activity(d, m / (int64_t)d->nb) >= d->c.step_min_activity_mps2) {
      double T = 0, ac = 0;
      int64_t kc = (m + (int64_t)d->nrh / 2) / (int64_t)d->nd;
      if (kl_rhythm_analyse(d->rh, kc, hb, &T, &ac)) {
        d->st.periodic_hops++;
        d->per_ok = 1;
        d->per_T = T;
      }
    }
  }
  if (d->ph_nd == 0) {
    d->thr_comb = d->thr_comb_a = NAN;
    if (d->per_ok) {
      int64_t k = m / (int64_t)d->nd;
      double rj_ = 0, ra_ = 0;
      if (kl_rhythm_ref(d->rh, k, d->per_T, hb, &rj_, &ra_)) {
        double t = CANDIDATE_RATIO * rj_;
        d->thr_comb = t > d->c.thr_abs_mps3 ? t : d->c.thr_abs_mps3;
        d->ref_comb = rj_;
        t = CANDIDATE_RATIO * ra_;
        d->thr_comb_a = t > d->c.thr_abs_acc_mps2 ? t : d->c.thr_abs_acc_mps2;
        d->ref_comb_a = ra_;
      }
    }
  }
}

/* Frames [m0, m0 + len) of the delayed stream, all inside one block of each
 * kind and one stretch of the ring: the thresholds are constant. First the
 * score of every frame, then the regions; in quiet stretches the second
 * loop only scans for a score above the lower threshold. */
static void delayed_run(kl_jerk_detector *d, int64_t m0, size_t len) {
  const size_t r0 = d->m_ri;
  const float *jv = d->r_j + r0;
  float *sv = d->r_s + r0;
  /* Score: the norm-jerk over its upper threshold (offset by the
   * background); while walking, the larger of that and |a_bp| over its own
   * comb threshold (a slow jerk has a modest norm-jerk next to sharp heel
   * strikes but stands out in acceleration from the same phase of the
   * neighbouring steps). */
  if (d->per_ok && !isnan(d->thr_comb)) {
    const float *av = d->r_abp + 3 * r0;
    const double ij = 1.0 / (d->thr_comb - d->ref_comb), ia = 1.0 / (d->thr_comb_a - d->ref_comb_a);
    for (size_t i = 0; i < len; i++) {
      const float *a = av + 3 * i;
      double am = sqrt((double)a[0] * a[0] + (double)a[1] * a[1] + (double)a[2] * a[2]);
      double s1 = (jv[i] - d->ref_comb) * ij, s2 = (am - d->ref_comb_a) * ia;
      sv[i] = (float)(s1 > s2 ? s1 : s2);
    }
  } else {
    const double base = d->base_floor, inv = d->inv_floor_span;
    for (size_t i = 0; i < len; i++) sv[i] = (float)((jv[i] - base) * inv);
  }
  const float lo = (float)d->c.thr_lo_fraction;
  region *r = &d->rg;
  for (size_t i = 0; i < len; i++) {
    if (!r->open && !d->delayed_gap) { /* fast path: nothing open, look for the next frame above */
      while (i < len && sv[i] < lo) i++; /* NaN compares false: it stops here too */
      if (i == len) break;
    }
    const int64_t m = m0 + (int64_t)i;
    const float sc = sv[i];
    d->horizon = d->finished ? d->n - 1 : m + d->D;
    if (isnan(jv[i])) {
      kl_jerk_close_region(d, 0); /* the gap guard rejects transients cut by the gap */
      d->delayed_gap = 1;
      continue;
    }
    if (d->delayed_gap) {
      d->delayed_gap = 0;
      d->last_gap_end = m;
    }
    if (r->open && sc < lo && m - r->last_above > d->bridge) kl_jerk_close_region(d, 0);
    if (sc >= lo) {
      if (r->open && m - r->start >= d->region_cap) {
        kl_jerk_close_region(d, 1);
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
  const int64_t m = m0 + (int64_t)len - 1;
  d->m = m + 1;
  kl_jerk_release(d, 0);
  if (d->run_count > 0 && m - d->run_last_onset > d->cluster_gap &&
      !(r->open && r->start - d->run_last_onset <= d->cluster_gap) &&
      !(d->pq_len > 0 && d->pq[d->pq_head].onset - d->run_last_onset <= d->cluster_gap))
    kl_jerk_close_run(d);
}

/* Run the delayed stream up to (not including) frame `end`. */
static void delayed_until(kl_jerk_detector *d, int64_t end) {
  while (d->m < end) {
    delayed_blocks(d, d->m, d->finished ? d->n - 1 : d->m + d->D);
    size_t len = (size_t)(end - d->m);
    if (d->nb - d->ph_nb < len) len = d->nb - d->ph_nb;
    if (d->nd_comb - d->ph_nd < len) len = d->nd_comb - d->ph_nd;
    if (d->nrh - d->ph_rh < len) len = d->nrh - d->ph_rh;
    if (d->R - d->m_ri < len) len = d->R - d->m_ri;
    int64_t m0 = d->m;
    delayed_run(d, m0, len);
    d->m = m0 + (int64_t)len;
    /* len never passes a boundary, so each phase wraps at most to 0
     * (the same as the modulo, without four divisions per stretch). */
    d->ph_nb += len;
    if (d->ph_nb == d->nb) d->ph_nb = 0;
    d->ph_nd += len;
    if (d->ph_nd == d->nd_comb) d->ph_nd = 0;
    d->ph_rh += len;
    if (d->ph_rh == d->nrh) d->ph_rh = 0;
    d->m_ri += len;
    if (d->m_ri == d->R) d->m_ri = 0;
  }
}

static void catch_up(kl_jerk_detector *d) {
  if (d->n - d->D > d->m) delayed_until(d, d->n - d->D);
}

/* ---- live stream ---- */

static void floor_block_done(kl_jerk_detector *d) {
  size_t i = (size_t)(d->fb_count % (int64_t)d->FB);
  if (d->cb_valid * 2 >= d->cb_frames && d->cb_valid > 0) {
    d->fb_max[i] = d->cb_max;
    d->fb_rms[i] = (float)sqrt(d->cb_sum2 / (double)d->cb_valid);
    for (int c = 0; c < 3; c++) d->fb_raw[3 * i + (size_t)c] = (float)(d->cb_raw[c] / (double)d->cb_valid);
  } else {
    d->fb_max[i] = d->fb_rms[i] = NAN;
    d->fb_raw[3 * i] = d->fb_raw[3 * i + 1] = d->fb_raw[3 * i + 2] = NAN;
  }
  d->cb_raw[0] = d->cb_raw[1] = d->cb_raw[2] = 0;
  d->fb_count++;
  d->cb_max = 0;
  d->cb_sum2 = 0;
  d->cb_valid = d->cb_frames = 0;
}

static void env_block_done(kl_jerk_detector *d) {
  float mean[3];
  if (d->ce_gap) {
    mean[0] = mean[1] = mean[2] = NAN;
    kl_rhythm_push(d->rh, NAN, NAN, mean, mean);
  } else {
    for (int c = 0; c < 3; c++) mean[c] = (float)(d->ce_sum[c] / (double)d->ce_frames);
    kl_rhythm_push(d->rh, d->ce_j, sqrtf(d->ce_a2), mean, d->ce_vec);
  }
  d->ce_j = d->ce_a2 = 0;
  d->ce_sum[0] = d->ce_sum[1] = d->ce_sum[2] = 0;
  d->ce_gap = 0;
  d->ce_frames = 0;
}

/* The tremor tracker reads the band-passed samples it needs from the ring. */
static void fetch_abp(void *ctx, int64_t start, size_t n, float *out) {
  const kl_jerk_detector *d = ctx;
  size_t ri = (size_t)(start % (int64_t)d->R);
  while (n) { /* at most one wrap */
    size_t len = n < d->R - ri ? n : d->R - ri;
    memcpy(out, d->r_abp + 3 * ri, 3 * len * sizeof(float));
    out += 3 * len;
    n -= len;
    ri = 0;
  }
}

static void hop_done(kl_jerk_detector *d) {
  d->hop_pw[(size_t)(d->hops % (int64_t)d->nhops_win)] = d->hop_gap ? NAN : d->hop_sum2 / (double)d->hop_frames;
  d->hops++;
  d->hop_sum2 = 0;
  d->hop_gap = 0;
  d->hop_frames = 0;
  if (d->n < (int64_t)d->nw) return;
  /* Sustained power: the second smallest hop of the window (a tremor fills
   * the window; a jerk or two raise only their own hop). */
  double lo1 = INFINITY, lo2 = INFINITY;
  int gap = 0;
  for (size_t i = 0; i < d->nhops_win; i++) {
    double v = d->hop_pw[i];
    if (isnan(v)) gap = 1;
    if (v < lo1) {
      lo2 = lo1;
      lo1 = v;
    } else if (v < lo2) {
      lo2 = v;
    }
  }
  double pw = gap ? NAN : (d->nhops_win > 2 ? lo2 : lo1);
  kl_jerk_fail(d, kl_tremor_tracker_window(d->tr, d->n, fetch_abp, d, pw));
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
  size_t ri = d->n_ri;
  if (++d->n_ri == d->R) d->n_ri = 0;
  d->r_j[ri] = NAN;
  d->r_abp[3 * ri] = d->r_abp[3 * ri + 1] = d->r_abp[3 * ri + 2] = NAN;
  d->ce_gap = 1;
  d->hop_gap = 1;
  d->live_gap = 1;
  d->st.gap_frames++;
  frame_done(d);
}

/* Frames [0, k) of `f` are all valid. The work is done a stretch at a
 * time (up to the next block boundary) in simple loops over contiguous
 * arrays; every sum still adds the frames one by one in order, so the
 * result does not depend on where the stretches are cut. */
static void valid_run(kl_jerk_detector *d, const float *f, size_t k) {
  const size_t nch = (size_t)d->nch;
  for (size_t i = 0; i < k; i++) {
    d->buf[3 * i] = f[i * nch];
    d->buf[3 * i + 1] = f[i * nch + 1];
    d->buf[3 * i + 2] = f[i * nch + 2];
  }
  if (d->live_gap) {
    /* Restart after a gap (or at the start) from the steady state of the
     * first frame: gravity's step does not ring through the band-pass. */
    kl_sos_filter_prime(&d->bp, d->buf);
    d->prev[0] = d->prev[1] = d->prev[2] = 0;
    d->live_gap = 0;
  }
  kl_sos_filter_process(&d->bp, d->buf, k);
  const float fs = (float)d->fs;
  float *jv = d->jbuf, *a2v = d->a2buf;
  {
    float p0 = d->prev[0], p1 = d->prev[1], p2 = d->prev[2];
    for (size_t i = 0; i < k; i++) {
      const float *a = d->buf + 3 * i;
      float dx = a[0] - p0, dy = a[1] - p1, dz = a[2] - p2;
      jv[i] = fs * sqrtf(dx * dx + dy * dy + dz * dz);
      a2v[i] = a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
      p0 = a[0];
      p1 = a[1];
      p2 = a[2];
    }
    d->prev[0] = p0;
    d->prev[1] = p1;
    d->prev[2] = p2;
  }
  /* into the rings (at most one wrap) */
  for (size_t i = 0; i < k;) {
    size_t len = k - i < d->R - d->n_ri ? k - i : d->R - d->n_ri;
    memcpy(d->r_j + d->n_ri, jv + i, len * sizeof(float));
    memcpy(d->r_abp + 3 * d->n_ri, d->buf + 3 * i, 3 * len * sizeof(float));
    d->n_ri += len;
    if (d->n_ri == d->R) d->n_ri = 0;
    i += len;
  }
  /* Block summaries in one pass: the accumulators stay in registers and
   * each kind of block is handed over at its own boundary (floor, then
   * envelope, then hop when they coincide, as the handlers expect); every
   * sum still adds the frames one by one in order. */
  float cmax = d->cb_max, ej = d->ce_j, ea = d->ce_a2;
  double s2 = d->cb_sum2, h2 = d->hop_sum2;
  double r0 = d->cb_raw[0], r1 = d->cb_raw[1], r2 = d->cb_raw[2];
  double e0 = d->ce_sum[0], e1 = d->ce_sum[1], e2 = d->ce_sum[2];
  size_t cbf = d->cb_frames, cbv = d->cb_valid, cef = d->ce_frames, hf = d->hop_frames;
  const size_t nb = d->nb, nd = d->nd, nh = d->nh;
  int64_t n = d->n;
  for (size_t q = 0; q < k; q++) {
    const float j = jv[q], a2 = a2v[q];
    const float *bq = d->buf + 3 * q;
    cmax = j > cmax ? j : cmax;
    ej = j > ej ? j : ej;
    if (a2 > ea) {
      ea = a2;
      memcpy(d->ce_vec, bq, sizeof d->ce_vec);
    }
    s2 += a2;
    h2 += a2;
    r0 += f[q * nch]; /* raw means for the posture test */
    r1 += f[q * nch + 1];
    r2 += f[q * nch + 2];
    e0 += bq[0];
    e1 += bq[1];
    e2 += bq[2];
    n++, cbf++, cbv++, cef++, hf++;
    if (cbf == nb) {
      d->n = n;
      d->cb_max = cmax, d->cb_sum2 = s2, d->cb_valid = cbv, d->cb_frames = cbf;
      d->cb_raw[0] = r0, d->cb_raw[1] = r1, d->cb_raw[2] = r2;
      floor_block_done(d);
      cmax = d->cb_max, s2 = d->cb_sum2, cbv = d->cb_valid, cbf = d->cb_frames;
      r0 = d->cb_raw[0], r1 = d->cb_raw[1], r2 = d->cb_raw[2];
    }
    if (cef == nd) {
      d->n = n;
      d->ce_j = ej, d->ce_a2 = ea, d->ce_frames = cef;
      d->ce_sum[0] = e0, d->ce_sum[1] = e1, d->ce_sum[2] = e2;
      env_block_done(d);
      ej = d->ce_j, ea = d->ce_a2, cef = d->ce_frames;
      e0 = d->ce_sum[0], e1 = d->ce_sum[1], e2 = d->ce_sum[2];
    }
    if (hf == nh) {
      d->n = n;
      d->hop_sum2 = h2, d->hop_frames = hf;
      hop_done(d);
      h2 = d->hop_sum2, hf = d->hop_frames;
    }
  }
  d->n = n;
  d->cb_max = cmax, d->cb_sum2 = s2, d->cb_valid = cbv, d->cb_frames = cbf;
  d->cb_raw[0] = r0, d->cb_raw[1] = r1, d->cb_raw[2] = r2;
  d->ce_j = ej, d->ce_a2 = ea, d->ce_frames = cef;
  d->ce_sum[0] = e0, d->ce_sum[1] = e1, d->ce_sum[2] = e2;
  d->hop_sum2 = h2, d->hop_frames = hf;
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
      size_t k = 1, lim = n - i < SUB ? n - i : SUB;
      /* 3-channel frames: screen the whole run at once (the usual case has
       * no gap); otherwise, or when the screen fires, find its end frame by
       * frame as before. */
      if (d->nch == 3 && !kl_any_nonfinite(f, 3 * lim)) k = lim;
      while (k < lim) {
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
  delayed_until(d, d->n);
  /* a region still open at the last frame is cut by the end */
  if (d->rg.open) kl_jerk_close_region(d, d->rg.last_above == d->n - 1);
  kl_jerk_release(d, 1);
  kl_jerk_close_run(d);
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


void kl_jerk_detector_set_candidate_trace(kl_jerk_detector *d, kl_jerk_candidate_fn fn, void *ctx) {
  if (!d) return;
  d->ctrace = fn;
  d->ctrace_ctx = ctx;
}
