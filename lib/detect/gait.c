/* Gait metrics of one walking bout: timing, autocorrelation regularity
 * (Moe-Nilssen & Helbostad 2004), harmonic ratios (Menz 2003, Bellanca
 * 2013), lateral sway; definitions in gait.h and docs/gait.md. */
#include "gait.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/autocorr.h"
#include "dsp/butterworth.h"
#include "dsp/filtfilt.h"
#include "gait_priv.h"
#include "klonos/status.h"
#include "util/hot.h"

static const double kl_pi = 3.14159265358979323846;

void kl_gait_config_default(kl_gait_config *c) {
  if (!c) return;
  memset(c, 0, sizeof *c);
  c->min_duration_s = 5.0;
  c->min_steps = 6;
  c->lowpass_hz = 20.0; /* scikit-digital-health gait preprocessing */
  c->lowpass_order = 4;
  c->min_step_s = 0.25;
  c->max_step_s = 1.25;
  c->coarse_factor = 1.5;
  c->refine_factor = 4.0;
  c->min_peak_mps2 = 0.05;
  c->interval_tolerance = 0.5;
  c->harmonics = 20;
  c->min_harmonics = 10;
}

static int check_config(const kl_gait_config *c, double rate_hz) {
  if (!isfinite(rate_hz) || !(rate_hz > 0.0)) return KLONOS_E_INVAL;
  if (!isfinite(c->min_duration_s) || c->min_duration_s < 0.0) return KLONOS_E_INVAL;
  if (c->min_steps < 3) return KLONOS_E_INVAL; /* two intervals make the first stride */
  if (!isfinite(c->lowpass_hz) || c->lowpass_hz < 0.0) return KLONOS_E_INVAL;
  if (c->lowpass_hz > 0.0 && (c->lowpass_order < 1 || c->lowpass_order > KL_BUTTER_MAX_ORDER))
    return KLONOS_E_INVAL;
  if (!isfinite(c->min_step_s) || !isfinite(c->max_step_s) || !(c->min_step_s > 0.0) ||
      !(c->max_step_s > c->min_step_s))
    return KLONOS_E_INVAL;
  /* The step search needs a few samples per shortest step. */
  if (c->min_step_s * rate_hz < 4.0) return KLONOS_E_INVAL;
  if (!isfinite(c->coarse_factor) || !(c->coarse_factor > 0.0)) return KLONOS_E_INVAL;
  if (!isfinite(c->refine_factor) || c->refine_factor < 0.0) return KLONOS_E_INVAL;
  if (!isfinite(c->min_peak_mps2) || c->min_peak_mps2 < 0.0) return KLONOS_E_INVAL;
  if (!isfinite(c->interval_tolerance) || !(c->interval_tolerance > 0.0 && c->interval_tolerance < 1.0))
    return KLONOS_E_INVAL;
  if (c->harmonics < 2 || c->harmonics > 1000 || c->min_harmonics < 2 || c->min_harmonics > c->harmonics)
    return KLONOS_E_INVAL;
  return KLONOS_OK;
}

/* Copy the three axes (v, ap, ml at in[a][i * stride]) to out[a], low-pass
 * them (when the cutoff is below 0.45 x rate) and remove each one's mean.
 * The three filters run together (kl_sos_filtfilt_multi: bit-identical to
 * one axis at a time). */
static int condition3(kl_gait_ws *ws, const kl_gait_config *c, const float *const in[3], size_t n, size_t stride,
                      double rate_hz, float *const out[3]) {
  for (int a = 0; a < 3; a++)
    for (size_t i = 0; i < n; i++) out[a][i] = in[a][i * stride];
  if (c->lowpass_hz > 0.0 && c->lowpass_hz < 0.45 * rate_hz) {
    kl_sos_design d;
    int rc = kl_butter_lowpass(&d, c->lowpass_order, c->lowpass_hz, rate_hz);
    if (rc != KLONOS_OK) return rc;
    const kl_sos_design *dp[3] = {&d, &d, &d};
    double *work = kl_gait_grow((void **)&ws->ff, &ws->ff_cap, 3 * kl_sos_filtfilt_work_len(&d, n), sizeof(double));
    if (!work) return KLONOS_E_NOMEM;
    rc = kl_sos_filtfilt_multi(dp, 3, (const float *const *)out, out, n, work);
    if (rc != KLONOS_OK) return rc;
  }
  for (int a = 0; a < 3; a++) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += out[a][i];
    float mean = (float)(s / (double)n);
    for (size_t i = 0; i < n; i++) out[a][i] -= mean;
  }
  return KLONOS_OK;
}

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y);
}

/* Median of x[0..n) (sorts x). */
static double median_sorted(double *x, size_t n) {
  qsort(x, n, sizeof *x, dbl_cmp);
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

static void mean_sd(const double *x, size_t n, double *mean, double *sd) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += x[i];
  double m = s / (double)n, q = 0.0;
  for (size_t i = 0; i < n; i++) q += (x[i] - m) * (x[i] - m);
  *mean = m;
  *sd = n > 1 ? sqrt(q / (double)(n - 1)) : 0.0;
}

/* Step timing from the events. valid[i] says whether interval t[i+1]-t[i]
 * is a step (within tolerance of the median), so that a missed or an extra
 * event breaks the sequence instead of making a double or half step.
 * Fills the timing fields; returns the number of strides (into `strides`). */
static size_t timing(const kl_gait_config *c, const double *t, size_t ne, unsigned char *valid, double *work,
                     double *strides, kl_gait_metrics *m) {
  const size_t ni = ne - 1;
  for (size_t i = 0; i < ni; i++) work[i] = t[i + 1] - t[i];
  double med = median_sorted(work, ni);
  double lo = (1.0 - c->interval_tolerance) * med, hi = (1.0 + c->interval_tolerance) * med;
  size_t nv = 0;
  for (size_t i = 0; i < ni; i++) {
    double d = t[i + 1] - t[i];
    valid[i] = d >= lo && d <= hi;
    if (valid[i]) work[nv++] = d;
  }
  if (nv == 0) return 0;
  mean_sd(work, nv, &m->step_time_s, &m->step_time_cv);
  m->step_time_cv /= m->step_time_s;
  m->cadence_spm = 60.0 / m->step_time_s;
  size_t ns = 0;
  for (size_t i = 0; i + 1 < ni; i++)
    if (valid[i] && valid[i + 1]) strides[ns++] = t[i + 2] - t[i];
  if (ns >= 2) {
    mean_sd(strides, ns, &m->stride_time_s, &m->stride_time_cv);
    m->stride_time_cv /= m->stride_time_s;
  }
  /* Asymmetry per run of consecutive valid steps (alternate steps belong to
   * alternate feet only within a run), weighted by the run's step count. */
  double acc = 0.0, wsum = 0.0;
  for (size_t i = 0; i < ni;) {
    if (!valid[i]) {
      i++;
      continue;
    }
    size_t j = i;
    double se = 0.0, so = 0.0;
    size_t ke = 0, ko = 0;
    for (; j < ni && valid[j]; j++) {
      double d = t[j + 1] - t[j];
      if ((j - i) % 2) {
        so += d;
        ko++;
      } else {
        se += d;
        ke++;
      }
    }
    if (ke && ko) {
      acc += fabs(se / (double)ke - so / (double)ko) * (double)(j - i);
      wsum += (double)(j - i);
    }
    i = j;
  }
  m->step_time_asymmetry = wsum > 0.0 ? acc / wsum / m->step_time_s : NAN;
  return ns;
}

/* Regularity: peak of Ad nearest the expected lag within [lo, hi] (in
 * samples), parabolically interpolated; the window's maximum when Ad has no
 * peak there (a very irregular signal). */
static double ad_peak(const double *ad, size_t len, double expect, double lo, double hi) {
  if (lo < 1.0) lo = 1.0;
  if (hi > (double)len - 2.0) hi = (double)len - 2.0;
  if (hi < lo) return NAN;
  size_t a = (size_t)ceil(lo), b = (size_t)floor(hi), best = 0, top = a;
  double bestd = INFINITY;
  for (size_t i = a; i <= b; i++) {
    if (ad[i] > ad[top]) top = i;
    if (ad[i] > ad[i - 1] && ad[i] >= ad[i + 1] && fabs((double)i - expect) < bestd) {
      bestd = fabs((double)i - expect);
      best = i;
    }
  }
  if (!best) return ad[top];
  double v;
  kl_gait_parabolic(ad, best, &v);
  return v;
}

static int regularity(kl_gait_ws *ws, const float *x, size_t n, double rate_hz, const kl_gait_metrics *m, double *ad, size_t max_lag,
                      double *step_reg, double *stride_reg, double *sym) {
  *step_reg = *stride_reg = *sym = NAN;
  int rc = kl_autocorr_unbiased_ws(ws->ac, x, n, 1, max_lag, 1, KL_AUTOCORR_AUTO, ad);
  if (rc == KLONOS_E_NODATA) return KLONOS_OK; /* a flat axis: undefined */
  if (rc != KLONOS_OK) return rc;
  const double ls = m->step_time_s * rate_hz, lt = m->stride_time_s * rate_hz;
  *step_reg = ad_peak(ad, max_lag + 1, ls, 0.6 * ls, 1.4 * ls);
  *stride_reg = ad_peak(ad, max_lag + 1, lt, 0.75 * lt, 1.25 * lt);
  if (*stride_reg > 0.0) *sym = *step_reg / *stride_reg;
  return KLONOS_OK;
}

/* Amplitudes |X_k|, k = 1..K, of the DFT of each axis x[a][0..N) minus its
 * mean: the harmonics of a stride spanning exactly the N samples, into
 * amp[a * K + k - 1]. Direct sums with a rotating phasor: O(N K), no plan
 * needed for a ~100-sample block. The phasor of harmonic k is the same for
 * the three axes, so it is turned once for all three, and four harmonics
 * are summed per sweep (independent recurrences that overlap); each sum
 * still takes the same terms in the same order as one axis and one
 * harmonic at a time, so the amplitudes are bit-identical to that.
 * v: 3 N doubles of scratch. */
#define KL_HARM_GROUP 4
/* The twiddles of harmonics 1..K for stride length N: the values
 * cos(w) and -sin(w), w = 2 pi k / N, computed once per (N, K) with the
 * same expressions and kept (NULL when out of memory: compute them). */
static const double *twiddles(kl_gait_ws *ws, size_t N, int K) {
  if (N >= 4096) return NULL;
  if (N >= ws->tw_cap) {
    size_t cap = ws->tw_cap ? ws->tw_cap : 256;
    while (cap <= N) cap *= 2;
    double **tw = realloc(ws->tw, cap * sizeof *tw);
    if (!tw) return NULL;
    ws->tw = tw;
    int *tk = realloc(ws->tw_k, cap * sizeof *tk);
    if (!tk) return NULL;
    ws->tw_k = tk;
    for (size_t i = ws->tw_cap; i < cap; i++) ws->tw[i] = NULL, ws->tw_k[i] = 0;
    ws->tw_cap = cap;
  }
  if (ws->tw[N] && ws->tw_k[N] >= K) return ws->tw[N];
  double *t = realloc(ws->tw[N], 2 * (size_t)K * sizeof *t);
  if (!t) return NULL;
  for (int k = 1; k <= K; k++) {
    double w = 2.0 * kl_pi * (double)k / (double)N;
    t[2 * (k - 1)] = cos(w);
    t[2 * (k - 1) + 1] = -sin(w);
  }
  ws->tw[N] = t;
  ws->tw_k[N] = K;
  return t;
}

static void harmonics3(const float *const x[3], size_t N, int K, double *v, double *amp, const double *tw) {
  for (int a = 0; a < 3; a++) {
    double mean = 0.0;
    for (size_t j = 0; j < N; j++) mean += x[a][j];
    mean /= (double)N;
    for (size_t j = 0; j < N; j++) v[(size_t)a * N + j] = (double)x[a][j] - mean;
  }
  const double *v0 = v, *v1 = v + N, *v2 = v + 2 * N;
  for (int k0 = 1; k0 <= K; k0 += KL_HARM_GROUP) {
    const int G = K - k0 + 1 < KL_HARM_GROUP ? K - k0 + 1 : KL_HARM_GROUP;
    double wr[KL_HARM_GROUP], wi[KL_HARM_GROUP], zr[KL_HARM_GROUP], zi[KL_HARM_GROUP];
    double re[3][KL_HARM_GROUP], im[3][KL_HARM_GROUP];
    double own[2 * KL_HARM_GROUP]; /* without a cached table: this group's twiddles */
    const double *tg = tw ? tw + 2 * (k0 - 1) : own;
    if (!tw)
      for (int g = 0; g < KL_HARM_GROUP; g++) {
        int k = g < G ? k0 + g : k0;
        double w = 2.0 * kl_pi * (double)k / (double)N;
        own[2 * g] = cos(w);
        own[2 * g + 1] = -sin(w);
      }
    for (int g = 0; g < KL_HARM_GROUP; g++) {
      const int gi = g < G ? g : 0; /* padding lanes repeat harmonic k0; discarded */
      wr[g] = tg[2 * gi];
      wi[g] = tg[2 * gi + 1];
      zr[g] = 1.0;
      zi[g] = 0.0;
      for (int a = 0; a < 3; a++) re[a][g] = im[a][g] = 0.0;
    }
    for (size_t j = 0; j < N; j++) {
      const double a0 = v0[j], a1 = v1[j], a2 = v2[j];
      KL_UNROLL for (int g = 0; g < KL_HARM_GROUP; g++) {
        re[0][g] += a0 * zr[g];
        im[0][g] += a0 * zi[g];
        re[1][g] += a1 * zr[g];
        im[1][g] += a1 * zi[g];
        re[2][g] += a2 * zr[g];
        im[2][g] += a2 * zi[g];
        double nr = zr[g] * wr[g] - zi[g] * wi[g];
        zi[g] = zr[g] * wi[g] + zi[g] * wr[g];
        zr[g] = nr;
      }
    }
    for (int g = 0; g < G; g++)
      for (int a = 0; a < 3; a++) amp[(size_t)a * (size_t)K + (size_t)(k0 + g - 1)] = hypot(re[a][g], im[a][g]);
  }
}

/* Harmonic ratio of one axis: sum of even over sum of odd amplitudes
 * (odd over even when `odd_over_even`, for ML). NAN when undefined. */
static double hr_of(const double *amp, int K, int odd_over_even) {
  double even = 0.0, odd = 0.0;
  for (int k = 1; k <= K; k++) {
    if (k % 2)
      odd += amp[k - 1];
    else
      even += amp[k - 1];
  }
  double num = odd_over_even ? odd : even, den = odd_over_even ? even : odd;
  return den > 0.0 ? num / den : NAN;
}

static int harmonic_ratios(kl_gait_ws *ws, const kl_gait_config *c, const float *const axes[3], size_t n, double rate_hz,
                            const double *t, size_t ne, const unsigned char *valid, double *work,
                            kl_gait_metrics *m) {
  /* work: 3 * strides for the ratios + harmonics amplitudes (3 axes). */
  size_t cap = ne;
  double *hr[3] = {work, work + cap, work + 2 * cap};
  double *amp = work + 3 * cap;
  size_t cnt[3] = {0, 0, 0}, used = 0;
  for (size_t i = 0; i + 2 < ne; i++) {
    if (!valid[i] || !valid[i + 1]) continue;
    double s0d = round(t[i] * rate_hz), s1d = round(t[i + 2] * rate_hz);
    if (s0d < 0.0 || s1d > (double)n || s1d - s0d < 4.0) continue;
    size_t s0 = (size_t)s0d, N = (size_t)(s1d - s0d);
    int K = c->harmonics;
    if ((size_t)K > (N - 1) / 2) K = (int)((N - 1) / 2); /* below Nyquist */
    if (K < c->min_harmonics) continue;
    int any = 0;
    double *hv = kl_gait_grow((void **)&ws->hv, &ws->hv_cap, 3 * N, sizeof(double));
    if (!hv) return KLONOS_E_NOMEM;
    const float *xs[3] = {axes[0] + s0, axes[1] + s0, axes[2] + s0};
    harmonics3(xs, N, K, hv, amp, twiddles(ws, N, K));
    for (int a = 0; a < 3; a++) {
      double h = hr_of(amp + (size_t)a * (size_t)K, K, a == 2);
      if (isfinite(h)) {
        hr[a][cnt[a]++] = h;
        any = 1;
      }
    }
    used += (size_t)any;
  }
  double *dst[3] = {&m->harmonic_ratio_v, &m->harmonic_ratio_ap, &m->harmonic_ratio_ml};
  for (int a = 0; a < 3; a++) *dst[a] = cnt[a] ? median_sorted(hr[a], cnt[a]) : NAN;
  m->hr_strides = (int)used;
  return KLONOS_OK;
}

static void span_amplitude(const float *v, const float *ap, const float *ml, size_t n, kl_gait_metrics *m) {
  const float *ax[3] = {v, ap, ml};
  double rms[3], mn = 0.0, mx = 0.0;
  for (int a = 0; a < 3; a++) {
    double s = 0.0, q = 0.0;
    for (size_t i = 0; i < n; i++) s += ax[a][i];
    double mean = s / (double)n;
    for (size_t i = 0; i < n; i++) {
      double d = ax[a][i] - mean;
      q += d * d;
      if (a == 2) {
        if (i == 0 || d < mn) mn = d;
        if (i == 0 || d > mx) mx = d;
      }
    }
    rms[a] = sqrt(q / (double)n);
  }
  m->v_rms_mps2 = rms[0];
  m->ap_rms_mps2 = rms[1];
  m->ml_rms_mps2 = rms[2];
  m->ml_range_mps2 = mx - mn;
}

void *kl_gait_grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need == 0) need = 1;
  if (*p && *cap >= need) return *p;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * size);
  if (!q) return NULL;
  *p = q;
  *cap = c;
  return q;
}

int kl_gait_ws_create(kl_gait_ws **out) {
  if (!out) return KLONOS_E_INVAL;
  kl_gait_ws *w = calloc(1, sizeof *w);
  if (!w) return KLONOS_E_NOMEM;
  int rc = kl_autocorr_ws_create(&w->ac);
  if (rc != KLONOS_OK) {
    free(w);
    return rc;
  }
  *out = w;
  return KLONOS_OK;
}

void kl_gait_ws_destroy(kl_gait_ws **pw) {
  if (!pw || !*pw) return;
  kl_gait_ws *w = *pw;
  kl_autocorr_ws_destroy(&w->ac);
  free(w->sig);
  free(w->t);
  free(w->work);
  free(w->s);
  free(w->ad);
  free(w->ff);
  free(w->hv);
  free(w->valid);
  free(w->taken);
  free(w->cd);
  for (size_t i = 0; i < w->tw_cap; i++) free(w->tw[i]);
  free(w->tw);
  free(w->tw_k);
  free(w);
  *pw = NULL;
}

/* Grow *p to need items of size bytes; touch them (resident now) when a
 * bout fills them to its length. */
static int reserve_t(void **p, size_t *cap, size_t need, size_t size, int touch) {
  if (!kl_gait_grow(p, cap, need, size)) return KLONOS_E_NOMEM;
  if (touch) memset(*p, 0, *cap * size);
  return KLONOS_OK;
}
#define reserve(p, cap, need, size) reserve_t(p, cap, need, size, 1)

int kl_gait_ws_reserve(kl_gait_ws *ws, const kl_gait_config *c, size_t n, double rate_hz) {
  if (!ws || !c) return KLONOS_E_INVAL;
  int rc = check_config(c, rate_hz);
  if (rc != KLONOS_OK) return rc;
  /* The sizes kl_gait_compute_ws asks for with a bout of n samples. */
  size_t ecap = (size_t)((double)n / floor(0.6 * c->min_step_s * rate_hz)) + 2;
  size_t wl = n + 2 * 3 * (2 * KL_BUTTER_MAX_ORDER + 1); /* filtfilt workspace, any design */
  size_t max_lag = (size_t)ceil(2.2 * c->max_step_s * rate_hz) + 2;
  size_t stride_max = (size_t)ceil(2.0 * (1.0 + c->interval_tolerance) * c->max_step_s * rate_hz) + 2;
  if (max_lag + 2 > n) max_lag = n > 2 ? n - 2 : 0;
  if (stride_max > n) stride_max = n;
  if ((rc = reserve((void **)&ws->sig, &ws->sig_cap, 3 * n, sizeof(float))) != KLONOS_OK ||
      (rc = reserve_t((void **)&ws->t, &ws->t_cap, ecap, sizeof(double), 0)) != KLONOS_OK ||
      (rc = reserve((void **)&ws->work, &ws->work_cap, 4 * ecap + 3 * (size_t)c->harmonics + n + 8, sizeof(double))) !=
          KLONOS_OK ||
      (rc = reserve_t((void **)&ws->valid, &ws->valid_cap, ecap, 1, 0)) != KLONOS_OK ||
      (rc = reserve((void **)&ws->ad, &ws->ad_cap, 2 * (max_lag + 1), sizeof(double))) != KLONOS_OK ||
      (rc = reserve((void **)&ws->ff, &ws->ff_cap, 3 * wl, sizeof(double))) != KLONOS_OK ||
      (rc = reserve_t((void **)&ws->hv, &ws->hv_cap, 3 * stride_max, sizeof(double), 0)) != KLONOS_OK ||
      (rc = kl_gait_steps_reserve(ws, n)) != KLONOS_OK)
    return rc;
  return kl_autocorr_ws_reserve(ws->ac, n, max_lag);
}

int kl_gait_compute_ws(kl_gait_ws *ws, const kl_gait_config *c, const float *v, const float *ap, const float *ml,
                       size_t n, size_t stride, double rate_hz, kl_gait_metrics *out, double *step_times_s,
                       size_t step_cap, size_t *step_count) {
  if (step_count) *step_count = 0;
  if (!out) return KLONOS_E_INVAL;
  memset(out, 0, sizeof *out);
  if (!ws || !c || !v || !ap || !ml || stride == 0 || (step_cap && !step_times_s)) return KLONOS_E_INVAL;
  int rc = check_config(c, rate_hz);
  if (rc != KLONOS_OK) return rc;
  double n_min = ceil(c->min_duration_s * rate_hz - 1e-9);
  if ((double)n < n_min || n < 16) return KLONOS_E_NODATA;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i * stride]) || !isfinite(ap[i * stride]) || !isfinite(ml[i * stride])) return KLONOS_E_NODATA;

  /* Events are >= 0.6 * min_step_s apart: this bounds their count. */
  size_t ecap = (size_t)((double)n / floor(0.6 * c->min_step_s * rate_hz)) + 2;
  float *sig = kl_gait_grow((void **)&ws->sig, &ws->sig_cap, 3 * n, sizeof(float));
  double *t = kl_gait_grow((void **)&ws->t, &ws->t_cap, ecap, sizeof(double));
  double *work = kl_gait_grow((void **)&ws->work, &ws->work_cap, 4 * ecap + 3 * (size_t)c->harmonics + n + 8,
                              sizeof(double));
  unsigned char *valid = kl_gait_grow((void **)&ws->valid, &ws->valid_cap, ecap, 1);
  kl_gait_metrics m;
  memset(&m, 0, sizeof m);
  if (!sig || !t || !work || !valid) return KLONOS_E_NOMEM;
  float *fv = sig, *fap = sig + n, *fml = sig + 2 * n;
  {
    const float *in[3] = {v, ap, ml};
    float *const o[3] = {fv, fap, fml};
    rc = condition3(ws, c, in, n, stride, rate_hz, o);
  }
  double step_s = 0.0;
  if (rc == KLONOS_OK) rc = kl_gait_step_period(ws, c, fv, fml, n, rate_hz, &step_s);
  size_t ne = 0;
  if (rc == KLONOS_OK) rc = kl_gait_find_steps(ws, c, fv, n, rate_hz, step_s, t, ecap, &ne);
  if (rc == KLONOS_OK) {
    if (step_count) *step_count = ne;
    size_t k = ne < step_cap ? ne : step_cap;
    if (k) memcpy(step_times_s, t, sizeof(double) * k);
    m.duration_s = (double)n / rate_hz;
    m.step_period_autocorr_s = step_s;
    m.steps = (int)ne;
    if (ne < (size_t)c->min_steps) rc = KLONOS_E_NODATA;
  }
  if (rc == KLONOS_OK) {
    size_t ns = timing(c, t, ne, valid, work, work + ecap, &m);
    if (ns < 2) rc = KLONOS_E_NODATA;
    m.strides = (int)ns;
  }
  if (rc == KLONOS_OK) {
    /* The walking span: first to last event. */
    m.walking_s = t[ne - 1] - t[0];
    size_t i0 = (size_t)floor(t[0] * rate_hz);
    size_t i1 = (size_t)ceil(t[ne - 1] * rate_hz);
    if (i1 > n - 1) i1 = n - 1;
    size_t sn = i1 - i0 + 1;
    span_amplitude(fv + i0, fap + i0, fml + i0, sn, &m);
    size_t max_lag = (size_t)ceil(1.25 * m.stride_time_s * rate_hz) + 2;
    if (max_lag + 2 > sn) max_lag = sn > 2 ? sn - 2 : 0;
    double *ad = work; /* n doubles are enough: max_lag < n */
    rc = regularity(ws, fv + i0, sn, rate_hz, &m, ad, max_lag, &m.step_regularity_v, &m.stride_regularity_v,
                    &m.step_symmetry_v);
    if (rc == KLONOS_OK)
      rc = regularity(ws, fap + i0, sn, rate_hz, &m, ad, max_lag, &m.step_regularity_ap, &m.stride_regularity_ap,
                      &m.step_symmetry_ap);
  }
  if (rc == KLONOS_OK) {
    const float *axes[3] = {fv, fap, fml};
    rc = harmonic_ratios(ws, c, axes, n, rate_hz, t, ne, valid, work, &m);
  }
  if (rc == KLONOS_OK) *out = m;
  return rc;
}

int kl_gait_compute_steps(const kl_gait_config *c, const float *v, const float *ap, const float *ml, size_t n,
                          size_t stride, double rate_hz, kl_gait_metrics *out, double *step_times_s,
                          size_t step_cap, size_t *step_count) {
  if (step_count) *step_count = 0;
  if (!out) return KLONOS_E_INVAL;
  memset(out, 0, sizeof *out);
  kl_gait_ws *ws = NULL;
  int rc = kl_gait_ws_create(&ws);
  if (rc == KLONOS_OK)
    rc = kl_gait_compute_ws(ws, c, v, ap, ml, n, stride, rate_hz, out, step_times_s, step_cap, step_count);
  kl_gait_ws_destroy(&ws);
  return rc;
}

int kl_gait_compute(const kl_gait_config *c, const float *v, const float *ap, const float *ml, size_t n,
                    size_t stride, double rate_hz, kl_gait_metrics *out) {
  return kl_gait_compute_steps(c, v, ap, ml, n, stride, rate_hz, out, NULL, 0, NULL);
}
