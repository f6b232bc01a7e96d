/* Unbiased autocorrelation, direct or by FFT; see autocorr.h. */
#include "autocorr.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "fftw_plan.h"
#include "klonos/status.h"

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

static void autocorr_direct(const double *x, size_t n, size_t max_lag, double *r) {
  for (size_t m = 0; m <= max_lag; m++) {
    double s = 0.0;
    for (size_t i = 0; i + m < n; i++) s += x[i] * x[i + m];
    r[m] = s;
  }
}

static int autocorr_fft(const double *x, size_t n, size_t max_lag, double *r) {
  size_t len = kl_fft_good_size(n + max_lag);
  if (len == 0) return KLONOS_E_INVAL;
  size_t nb = len / 2 + 1;
  double *buf = fftw_malloc(sizeof(double) * len);
  fftw_complex *spec = fftw_malloc(sizeof(fftw_complex) * nb);
  fftw_plan fwd = NULL, inv = NULL;
  int rc = KLONOS_E_NOMEM;
  if (!buf || !spec) goto done;
  fwd = kl_fftw_plan_r2c((int)len, buf, spec);
  inv = kl_fftw_plan_c2r((int)len, spec, buf);
  if (!fwd || !inv) goto done;
  for (size_t i = 0; i < n; i++) buf[i] = x[i];
  for (size_t i = n; i < len; i++) buf[i] = 0.0;
  fftw_execute(fwd);
  for (size_t k = 0; k < nb; k++) {
    spec[k][0] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
    spec[k][1] = 0.0;
  }
  fftw_execute(inv);
  for (size_t m = 0; m <= max_lag; m++) r[m] = buf[m] / (double)len;
  rc = KLONOS_OK;
done:
  kl_fftw_destroy_plan(fwd);
  kl_fftw_destroy_plan(inv);
  fftw_free(buf);
  fftw_free(spec);
  return rc;
}

/* Direct costs about n*(max_lag+1) multiply-adds; two real FFTs of length L
 * about 2 * 2.5 L log2 L flops plus planning. */
static int prefer_fft(size_t n, size_t max_lag) {
  double direct = (double)n * (double)(max_lag + 1);
  double len = (double)(n + max_lag);
  double fft = 5.0 * len * log2(len > 2.0 ? len : 2.0) + 20000.0;
  return fft < direct;
}

int kl_autocorr_unbiased(const float *x, size_t n, size_t stride, size_t max_lag, int remove_mean,
                         kl_autocorr_method method, double *ad) {
  if (!x || !ad || stride == 0 || n == 0 || max_lag >= n) return KLONOS_E_INVAL;
  if (method != KL_AUTOCORR_AUTO && method != KL_AUTOCORR_DIRECT && method != KL_AUTOCORR_FFT)
    return KLONOS_E_INVAL;
  double *v = malloc(sizeof(double) * n);
  if (!v) return KLONOS_E_NOMEM;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    v[i] = (double)x[i * stride];
    sum += v[i];
  }
  int rc = KLONOS_OK;
  if (!isfinite(sum)) {
    rc = KLONOS_E_INVAL;
    goto done;
  }
  if (remove_mean) {
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) v[i] -= mean;
  }
  if (method == KL_AUTOCORR_AUTO) method = prefer_fft(n, max_lag) ? KL_AUTOCORR_FFT : KL_AUTOCORR_DIRECT;
  if (method == KL_AUTOCORR_FFT) {
    rc = autocorr_fft(v, n, max_lag, ad);
    if (rc != KLONOS_OK) goto done;
  } else {
    autocorr_direct(v, n, max_lag, ad);
  }
  /* Unbiased: divide lag m's sum by its N - m products, then by Ad(0). */
  double ad0 = ad[0] / (double)n;
  if (!(ad0 > 0.0)) {
    rc = KLONOS_E_NODATA;
    goto done;
  }
  for (size_t m = 0; m <= max_lag; m++) ad[m] = ad[m] / (double)(n - m) / ad0;
  ad[0] = 1.0;
done:
  free(v);
  return rc;
}
