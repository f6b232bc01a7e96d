/* Step period and step events from trunk vertical acceleration; see gait.h
 * and docs/gait.md ("Step period", "Step events"). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/autocorr.h"
#include "dsp/butterworth.h"
#include "dsp/filtfilt.h"
#include "gait_priv.h"
#include "klonos/status.h"

/* Low-pass used for the step signals: 4th order, zero-phase. */
#define KL_STEP_FILTER_ORDER 4
/* A step peak of the V autocorrelation must reach this to count as walking. */
#define KL_MIN_STEP_AUTOCORR 0.1

double kl_gait_parabolic(const double *y, size_t i, double *peak) {
  double a = y[i - 1], b = y[i], c = y[i + 1];
  double den = a - 2.0 * b + c;
  double off = 0.0;
  if (den < 0.0) { /* a proper maximum; otherwise keep the sample */
    off = 0.5 * (a - c) / den;
    if (off > 0.5) off = 0.5;
    if (off < -0.5) off = -0.5;
  }
  if (peak) *peak = b - 0.25 * (a - c) * off;
  return off;
}

static int is_local_max(const double *y, size_t i) { return y[i] > y[i - 1] && y[i] >= y[i + 1]; }

/* Local maximum of y in [lo, hi] (1 <= lo, hi < len - 1) nearest to `target`
 * (any real lag); returns its index or 0 when there is none. */
static size_t nearest_max(const double *y, size_t len, double lo_d, double hi_d, double target) {
  if (lo_d < 1.0) lo_d = 1.0;
  if (hi_d > (double)len - 2.0) hi_d = (double)len - 2.0;
  if (hi_d < lo_d) return 0;
  size_t lo = (size_t)ceil(lo_d), hi = (size_t)floor(hi_d), best = 0;
  double bestd = INFINITY;
  for (size_t i = lo; i <= hi; i++) {
    if (!is_local_max(y, i)) continue;
    double d = fabs((double)i - target);
    if (d < bestd) {
      bestd = d;
      best = i;
    }
  }
  return best;
}

int kl_gait_step_period(kl_gait_ws *ws, const kl_gait_config *c, const float *v, const float *ml, size_t n,
                        double rate_hz, double *step_s) {
  const double lo = c->min_step_s * rate_hz, hi = c->max_step_s * rate_hz;
  /* Lags up to two step periods, to see the stride peak of the longest step. */
  size_t max_lag = (size_t)ceil(2.2 * hi) + 2;
  if (max_lag + 2 > n) max_lag = n - 2;
  if ((double)max_lag < hi + 2.0) return KLONOS_E_NODATA;
  double *ad = kl_gait_grow((void **)&ws->ad, &ws->ad_cap, 2 * (max_lag + 1), sizeof(double));
  if (!ad) return KLONOS_E_NOMEM;
  double *adml = ad + max_lag + 1;
  int rc = kl_autocorr_unbiased_ws(ws->ac, v, n, 1, max_lag, 1, KL_AUTOCORR_AUTO, ad);
  if (rc != KLONOS_OK) return rc == KLONOS_E_INVAL ? KLONOS_E_NODATA : rc;
  const size_t len = max_lag + 1;
  size_t ilo = (size_t)ceil(lo), ihi = (size_t)floor(hi);
  if (ilo < 1) ilo = 1;
  if (ihi > len - 2) ihi = len - 2;
  /* The tallest peak over steps and strides sets the scale; the step is the
   * first peak at a step lag reaching half of it (a stride peak is usually
   * the taller, but comes second). */
  double top = 0.0;
  for (size_t i = ilo; i + 1 < len; i++)
    if (is_local_max(ad, i) && ad[i] > top) top = ad[i];
  size_t L = 0;
  for (size_t i = ilo; i <= ihi && !L; i++)
    if (is_local_max(ad, i) && ad[i] >= 0.5 * top) L = i;
  if (!L) { /* no tall early peak: the best one in the step range */
    for (size_t i = ilo; i <= ihi; i++)
      if (is_local_max(ad, i) && (!L || ad[i] > ad[L])) L = i;
  }
  if (!L || ad[L] < KL_MIN_STEP_AUTOCORR) return KLONOS_E_NODATA;
  double lag = (double)L + kl_gait_parabolic(ad, L, NULL);
  /* Was that a stride? Then the V autocorrelation has a positive peak at
   * half the lag (the other foot's step). A step-lag peak has a trough
   * there instead. A weak half-lag peak (asymmetric gait) is accepted when
   * ML confirms: ML repeats per stride, so its autocorrelation is positive
   * at a stride lag and negative at a step lag (Moe-Nilssen & Helbostad 2004). */
  size_t h = nearest_max(ad, len, fmax(0.8 * lag / 2.0, lo), 1.2 * lag / 2.0, lag / 2.0);
  if (h && ad[h] > 0.0) {
    int halve = ad[h] >= 0.5 * ad[L];
    if (!halve && ml && ad[h] > KL_MIN_STEP_AUTOCORR &&
        kl_autocorr_unbiased_ws(ws->ac, ml, n, 1, max_lag, 1, KL_AUTOCORR_AUTO, adml) == KLONOS_OK)
      halve = adml[L] > 0.0 && adml[h] < 0.0;
    if (halve) lag = (double)h + kl_gait_parabolic(ad, h, NULL);
  }
  *step_s = lag / rate_hz;
  return KLONOS_OK;
}

/* The coarse (x) and refinement (y, may be NULL) step signals: v low-passed
 * zero-phase at fc_x and fc_y, in doubles; no filter when a cutoff is not
 * comfortably below Nyquist (the signal is then already band-limited to
 * less than it). When both need the same-shaped filter they run together
 * (kl_sos_filtfilt_multi_d: bit-identical to one at a time). */
static int lowpassed2(kl_gait_ws *ws, const float *v, size_t n, double fc_x, double fc_y, double rate_hz, double *x,
                      double *y) {
  double *out[2] = {x, y};
  double fc[2] = {fc_x, fc_y};
  kl_sos_design d[2];
  const kl_sos_design *dp[2];
  double *todo[2];
  int nf = 0;
  for (int k = 0; k < 2; k++) {
    if (!out[k]) continue;
    for (size_t i = 0; i < n; i++) out[k][i] = (double)v[i];
    if (!(fc[k] > 0.0) || fc[k] >= 0.45 * rate_hz) continue;
    int rc = kl_butter_lowpass(&d[nf], KL_STEP_FILTER_ORDER, fc[k], rate_hz);
    if (rc != KLONOS_OK) return rc;
    dp[nf] = &d[nf];
    todo[nf++] = out[k];
  }
  if (nf == 0) return KLONOS_OK;
  size_t wl = kl_sos_filtfilt_work_len(dp[0], n);
  if (nf == 2 && wl != kl_sos_filtfilt_work_len(dp[1], n)) wl = wl > kl_sos_filtfilt_work_len(dp[1], n) ? wl : kl_sos_filtfilt_work_len(dp[1], n);
  double *work = kl_gait_grow((void **)&ws->ff, &ws->ff_cap, 2 * wl, sizeof(double));
  if (!work) return KLONOS_E_NOMEM;
  int rc = kl_sos_filtfilt_multi_d(dp, nf, todo, n, work);
  if (rc == KLONOS_E_INVAL && nf == 2) { /* different shapes: one at a time */
    rc = kl_sos_filtfilt_multi_d(dp, 1, todo, n, work);
    if (rc == KLONOS_OK) rc = kl_sos_filtfilt_multi_d(dp + 1, 1, todo + 1, n, work);
  }
  return rc;
}

typedef struct cand {
  double h;
  size_t i;
} cand;

int kl_gait_steps_reserve(kl_gait_ws *ws, size_t n) {
  if (!kl_gait_grow((void **)&ws->s, &ws->s_cap, 2 * n, sizeof(double)) ||
      !kl_gait_grow(&ws->cd, &ws->cd_cap, n / 2 + 1, sizeof(cand)) ||
      !kl_gait_grow((void **)&ws->taken, &ws->taken_cap, n, 1))
    return KLONOS_E_NOMEM;
  /* Resident now: the step signals and flags, filled to the bout's length
   * (the candidates are the signal's local maxima: a few per step). */
  memset(ws->s, 0, ws->s_cap * sizeof(double));
  memset(ws->taken, 0, ws->taken_cap);
  return KLONOS_OK;
}

static int cand_cmp(const void *a, const void *b) {
  const cand *p = a, *q = b;
  if (p->h > q->h) return -1;
  if (p->h < q->h) return 1;
  return p->i < q->i ? -1 : (p->i > q->i);
}

static int cand_idx_cmp(const void *a, const void *b) {
  const cand *p = a, *q = b;
  return p->i < q->i ? -1 : (p->i > q->i);
}

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y);
}

int kl_gait_find_steps(kl_gait_ws *ws, const kl_gait_config *c, const float *v, size_t n, double rate_hz,
                       double step_s, double *t, size_t cap, size_t *count) {
  *count = 0;
  if (n < 3) return KLONOS_E_NODATA;
  double *s = kl_gait_grow((void **)&ws->s, &ws->s_cap, 2 * n, sizeof(double));
  cand *cd = kl_gait_grow(&ws->cd, &ws->cd_cap, n / 2 + 1, sizeof(cand));
  unsigned char *taken = kl_gait_grow((void **)&ws->taken, &ws->taken_cap, n, 1);
  int rc = (!s || !cd || !taken) ? KLONOS_E_NOMEM : KLONOS_OK;
  if (taken) memset(taken, 0, n);
  double *r = s ? s + n : NULL;
  const double fstep = 1.0 / step_s;
  /* Both step signals at once (the refinement one is used further down). */
  if (rc == KLONOS_OK)
    rc = lowpassed2(ws, v, n, c->coarse_factor * fstep, c->refine_factor * fstep, rate_hz, s,
                    c->refine_factor > 0.0 ? r : NULL);
  size_t nc = 0;
  if (rc == KLONOS_OK) {
    for (size_t i = 1; i + 1 < n; i++)
      if (is_local_max(s, i)) cd[nc++] = (cand){s[i], i};
    qsort(cd, nc, sizeof *cd, cand_cmp);
  }
  /* Greedy: tallest first, none closer than 0.6 step periods to an accepted
   * one (as scipy.signal.find_peaks' `distance`). */
  const size_t md = (size_t)floor(0.6 * step_s * rate_hz);
  size_t na = 0;
  for (size_t k = 0; rc == KLONOS_OK && k < nc; k++) {
    size_t i = cd[k].i, a = i > md ? i - md : 0, b = i + md < n ? i + md : n - 1;
    int clash = 0;
    for (size_t j = a; j <= b && !clash; j++) clash = taken[j];
    if (clash) continue;
    taken[i] = 1;
    cd[na++] = cd[k];
  }
  /* Peaks far below the typical step (standing at the bout's ends, a
   * shuffle) are not steps: keep those above 30% of the 75th percentile... */
  double thr = c->min_peak_mps2;
  if (rc == KLONOS_OK && na > 0) {
    /* cd[0..na) is sorted by height, tallest first; the quartile is taken
     * over the peaks reaching min_peak_mps2 (never over pure noise). */
    size_t nbig = 0;
    while (nbig < na && cd[nbig].h >= c->min_peak_mps2) nbig++;
    if (nbig > 0) {
      double p75 = cd[(size_t)floor(0.25 * (double)(nbig - 1))].h;
      if (0.3 * p75 > thr) thr = 0.3 * p75;
    }
    qsort(cd, na, sizeof *cd, cand_idx_cmp);
  }
  /* ...except the weak step of a limp: the tallest weak peak that splits a
   * gap of 1.5-2.5 step periods between two strong peaks into two intervals
   * of 0.5-1.5 step periods each (an asymmetric gait alternates a tall and
   * a low vertical peak; without this it would count strides as steps). */
  size_t prev = SIZE_MAX;
  const double T = step_s * rate_hz;
  for (size_t k = 0; rc == KLONOS_OK && k < na; k++) {
    if (cd[k].h < thr) continue;
    if (prev != SIZE_MAX) {
      double gap = (double)(cd[k].i - cd[prev].i);
      size_t best = SIZE_MAX;
      if (gap >= 1.5 * T && gap <= 2.5 * T)
        for (size_t j = prev + 1; j < k; j++) {
          double a = (double)(cd[j].i - cd[prev].i), b = (double)(cd[k].i - cd[j].i);
          if (a < 0.5 * T || a > 1.5 * T || b < 0.5 * T || b > 1.5 * T) continue;
          /* It must stand out of its troughs (a limp's low peak does, by
           * about the step amplitude; a wobble during a pause does not). */
          double lmin = INFINITY, rmin = INFINITY;
          for (size_t q = cd[prev].i; q < cd[j].i; q++) lmin = fmin(lmin, s[q]);
          for (size_t q = cd[j].i + 1; q <= cd[k].i; q++) rmin = fmin(rmin, s[q]);
          if (cd[j].h - fmax(lmin, rmin) < 0.3 * thr) continue;
          if (best == SIZE_MAX || cd[j].h > cd[best].h) best = j;
        }
      if (best != SIZE_MAX) cd[best].h = INFINITY; /* mark: kept */
    }
    prev = k;
  }
  size_t ne = 0;
  const size_t w = (size_t)floor(0.3 * step_s * rate_hz);
  for (size_t k = 0; rc == KLONOS_OK && k < na; k++) {
    if (cd[k].h < thr) continue;
    size_t i = cd[k].i;
    const double *y = s;
    if (c->refine_factor > 0.0) {
      /* The largest sample of the refinement signal within +-0.3 steps. */
      size_t a = i > w ? i - w : 1, b = i + w < n - 1 ? i + w : n - 2, best = i;
      for (size_t j = a; j <= b; j++)
        if (r[j] > r[best]) best = j;
      i = best;
      y = r;
    }
    double off = (i >= 1 && i + 1 < n) ? kl_gait_parabolic(y, i, NULL) : 0.0;
    if (ne < cap) t[ne] = ((double)i + off) / rate_hz;
    ne++;
  }
  if (rc == KLONOS_OK) {
    if (ne > cap) ne = cap;
    qsort(t, ne, sizeof *t, dbl_cmp);
    /* Two coarse peaks refined onto the same loading peak: keep one. */
    size_t m = 0;
    for (size_t k = 0; k < ne; k++)
      if (m == 0 || t[k] - t[m - 1] > 0.25 * step_s) t[m++] = t[k];
    *count = m;
  }
  return rc;
}
