/* Unbiased autocorrelation, direct or by FFT; see autocorr.h. */
#include "autocorr.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fftw_plan.h"
#include "klonos/status.h"
#include "util/hot.h"

size_t kl_fft_good_size(size_t n) {
  if (n <= 1) return 1;
  if (n > (size_t)INT_MAX) return 0;
  unsigned long long best = 0, lim = (unsigned long long)INT_MAX;
  /* Enumerate 2^a 3^b 5^c up to INT_MAX; a few hundred candidates at most. */
  for (unsigned long long p5 = 1; p5 <= lim; p5 *= 5) {
    for (unsigned long long p35 = p5; p35 <= lim; p35 *= 3) {
      unsigned long long v = p35;
      while (v < n) v *= 2;
      if (v <= lim && (best == 0 || v < best)) best = v;
    }
  }
  return (size_t)best;
}

/* Direct sums, eight lags at a time: the eight accumulators are
 * independent chains, so the additions overlap instead of waiting on each
 * other (and pair up in SIMD registers); every lag still adds its products
 * one by one in increasing i, so the sums are bit-identical to a
 * lag-by-lag loop. */
void kl_autocorr_sums(const double *x, size_t n, size_t lag0, size_t nlags, double *sums) {
  size_t m = lag0, end = lag0 + nlags;
  for (; m + 8 <= end && m + 7 < n; m += 8) {
    const size_t e = n - m - 7; /* products every one of the eight lags has */
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const double *y = x + m;
    for (size_t i = 0; i < e; i++) {
      const double xi = x[i];
      KL_UNROLL for (int k = 0; k < 8; k++) s[k] += xi * y[i + (size_t)k];
    }
    /* lag m + k has n - m - k products: 7 - k more, in order */
    for (int k = 0; k < 7; k++)
      for (size_t i = e; i < e + (size_t)(7 - k); i++) s[k] += x[i] * y[i + (size_t)k];
    for (int k = 0; k < 8; k++) sums[m - lag0 + (size_t)k] = s[k];
  }
  for (; m < end; m++) {
    double s = 0.0;
    for (size_t i = 0; i + m < n; i++) s += x[i] * x[i + m];
    sums[m - lag0] = s;
  }
}

static void autocorr_direct(const double *x, size_t n, size_t max_lag, double *r) {
  kl_autocorr_sums(x, n, 0, max_lag + 1, r);
}

/* ---- FFT method: overlap-save blocks of one fixed FFT length ----
 *
 * r[m] = sum_i x[i] x[i+m] for m <= M is accumulated block by block: the
 * block x[b, b+B) (zero-padded to L) against the segment x[b, b+B+M)
 * (also zero-padded) through conj(FFT(block)) * FFT(segment), with
 * B = L - M so that no product wraps around; the spectra of all blocks are
 * summed and transformed back once. The FFT length depends only on M
 * (not on n), so one pair of plans serves every call with the same lag
 * range and is made once per workspace. */
#define KL_AC_MIN_FFT 4096

struct kl_autocorr_ws {
  size_t L;              /* FFT length of the plans; 0 before the first FFT */
  double *buf;           /* L (fftw_malloc) */
  fftw_complex *sx, *sy, *acc; /* L/2 + 1 each */
  fftw_plan fwd, inv;
  double *v;             /* the detrended copy of the input */
  size_t vcap;
};

static void ws_free_plans(kl_autocorr_ws *w) {
  kl_fftw_destroy_plan(w->fwd);
  kl_fftw_destroy_plan(w->inv);
  fftw_free(w->buf);
  fftw_free(w->sx);
  fftw_free(w->sy);
  fftw_free(w->acc);
  w->fwd = w->inv = NULL;
  w->buf = NULL;
  w->sx = w->sy = w->acc = NULL;
  w->L = 0;
}

int kl_autocorr_ws_create(kl_autocorr_ws **out) {
  if (!out) return KLONOS_E_INVAL;
  *out = calloc(1, sizeof **out);
  return *out ? KLONOS_OK : KLONOS_E_NOMEM;
}

void kl_autocorr_ws_destroy(kl_autocorr_ws **pw) {
  if (!pw || !*pw) return;
  ws_free_plans(*pw);
  free((*pw)->v);
  free(*pw);
  *pw = NULL;
}

static int ws_plan(kl_autocorr_ws *w, size_t L);

static size_t fft_len_for(size_t max_lag) {
  size_t L = KL_AC_MIN_FFT;
  while (L < 4 * (max_lag + 1)) L *= 2;
  return L;
}

static int ws_plan(kl_autocorr_ws *w, size_t L) {
  if (w->L == L) return KLONOS_OK;
  ws_free_plans(w);
  if (L > (size_t)INT_MAX) return KLONOS_E_INVAL;
  size_t nb = L / 2 + 1;
  w->buf = fftw_malloc(sizeof(double) * L);
  w->sx = fftw_malloc(sizeof(fftw_complex) * nb);
  w->sy = fftw_malloc(sizeof(fftw_complex) * nb);
  w->acc = fftw_malloc(sizeof(fftw_complex) * nb);
  if (!w->buf || !w->sx || !w->sy || !w->acc) {
    ws_free_plans(w);
    return KLONOS_E_NOMEM;
  }
  w->fwd = kl_fftw_plan_r2c((int)L, w->buf, w->sx);
  w->inv = kl_fftw_plan_c2r((int)L, w->acc, w->buf);
  if (!w->fwd || !w->inv) {
    ws_free_plans(w);
    return KLONOS_E_NOMEM;
  }
  w->L = L;
  return KLONOS_OK;
}

/* Load x[a, b) into the FFT buffer, zero-padded to L, and transform into s. */
static void load_fft(kl_autocorr_ws *w, const double *x, size_t a, size_t b, fftw_complex *s) {
  size_t k = b - a;
  for (size_t i = 0; i < k; i++) w->buf[i] = x[a + i];
  for (size_t i = k; i < w->L; i++) w->buf[i] = 0.0;
  fftw_execute_dft_r2c(w->fwd, w->buf, s);
}

static int autocorr_fft(kl_autocorr_ws *w, const double *x, size_t n, size_t max_lag, double *r) {
  int rc = ws_plan(w, fft_len_for(max_lag));
  if (rc != KLONOS_OK) return rc;
  const size_t L = w->L, nb = L / 2 + 1, B = L - max_lag;
  for (size_t k = 0; k < nb; k++) w->acc[k][0] = w->acc[k][1] = 0.0;
  for (size_t b = 0; b < n; b += B) {
    size_t e = b + B < n ? b + B : n, f = b + B + max_lag < n ? b + B + max_lag : n;
    load_fft(w, x, b, e, w->sx);
    if (f == e) { /* the segment is the block: |X|^2 */
      for (size_t k = 0; k < nb; k++) w->acc[k][0] += w->sx[k][0] * w->sx[k][0] + w->sx[k][1] * w->sx[k][1];
      continue;
    }
    load_fft(w, x, b, f, w->sy);
    /* conj(X) Y, the real and imaginary parts in separate sweeps (kept
     * apart so that no compiler fuses them into one fused multiply-add
     * "addsub" even with FMA enabled: results stay the same bits). */
    for (size_t k = 0; k < nb; k++) w->acc[k][0] += w->sx[k][0] * w->sy[k][0] + w->sx[k][1] * w->sy[k][1];
    for (size_t k = 0; k < nb; k++) w->acc[k][1] += w->sx[k][0] * w->sy[k][1] - w->sx[k][1] * w->sy[k][0];
  }
  fftw_execute(w->inv);
  for (size_t m = 0; m <= max_lag; m++) r[m] = w->buf[m] / (double)L;
  return KLONOS_OK;
}

/* Direct costs about n*(max_lag+1) multiply-adds; two real FFTs of length L
 * about 2 * 2.5 L log2 L flops plus planning. */
static int prefer_fft(size_t n, size_t max_lag) {
  double direct = (double)n * (double)(max_lag + 1);
  double len = (double)(n + max_lag);
  double fft = 5.0 * len * log2(len > 2.0 ? len : 2.0) + 20000.0;
  return fft < direct;
}

int kl_autocorr_unbiased_ws(kl_autocorr_ws *w, const float *x, size_t n, size_t stride, size_t max_lag,
                            int remove_mean, kl_autocorr_method method, double *ad) {
  if (!w || !x || !ad || stride == 0 || n == 0 || max_lag >= n) return KLONOS_E_INVAL;
  if (method != KL_AUTOCORR_AUTO && method != KL_AUTOCORR_DIRECT && method != KL_AUTOCORR_FFT)
    return KLONOS_E_INVAL;
  if (w->vcap < n) {
    double *v = realloc(w->v, sizeof(double) * n);
    if (!v) return KLONOS_E_NOMEM;
    w->v = v;
    w->vcap = n;
  }
  double *v = w->v;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    v[i] = (double)x[i * stride];
    sum += v[i];
  }
  if (!isfinite(sum)) return KLONOS_E_INVAL;
  if (remove_mean) {
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) v[i] -= mean;
  }
  if (method == KL_AUTOCORR_AUTO) method = prefer_fft(n, max_lag) ? KL_AUTOCORR_FFT : KL_AUTOCORR_DIRECT;
  if (method == KL_AUTOCORR_FFT) {
    int rc = autocorr_fft(w, v, n, max_lag, ad);
    if (rc != KLONOS_OK) return rc;
  } else {
    autocorr_direct(v, n, max_lag, ad);
  }
  /* Unbiased: divide lag m's sum by its N - m products, then by Ad(0). */
  double ad0 = ad[0] / (double)n;
  if (!(ad0 > 0.0)) return KLONOS_E_NODATA;
  for (size_t m = 0; m <= max_lag; m++) ad[m] = ad[m] / (double)(n - m) / ad0;
  ad[0] = 1.0;
  return KLONOS_OK;
}

int kl_autocorr_unbiased(const float *x, size_t n, size_t stride, size_t max_lag, int remove_mean,
                         kl_autocorr_method method, double *ad) {
  if (!x || !ad || stride == 0 || n == 0 || max_lag >= n) return KLONOS_E_INVAL;
  kl_autocorr_ws *w = NULL;
  int rc = kl_autocorr_ws_create(&w);
  if (rc == KLONOS_OK) rc = kl_autocorr_unbiased_ws(w, x, n, stride, max_lag, remove_mean, method, ad);
  kl_autocorr_ws_destroy(&w);
  return rc;
}

int kl_autocorr_ws_reserve(kl_autocorr_ws *w, size_t n, size_t max_lag) {
  if (!w) return KLONOS_E_INVAL;
  if (w->vcap < n) {
    double *v = realloc(w->v, sizeof(double) * n);
    if (!v) return KLONOS_E_NOMEM;
    w->v = v;
    w->vcap = n;
  }
  memset(w->v, 0, sizeof(double) * w->vcap); /* make the pages resident now */
  return ws_plan(w, fft_len_for(max_lag));
}
