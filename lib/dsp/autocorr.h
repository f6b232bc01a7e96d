/* Private: unbiased autocorrelation for gait regularity.
 *
 * Moe-Nilssen & Helbostad (2004), "Estimation of gait cycle characteristics
 * by trunk accelerometry", J. Biomech. 37:121-126, eq. (1):
 *   Ad(m) = 1/(N - |m|) * sum_{i=0}^{N-|m|-1} x(i) x(i+m)
 * returned normalised by Ad(0), so ad[0] = 1, for lags m = 0..max_lag.
 * The 1/(N-m) (unbiased) normalisation keeps a periodic signal's peaks near
 * 1 at long lags, where the biased 1/N estimate would taper them.
 *
 * Two methods giving the same numbers (to ~1e-12 relative):
 *   direct: O(N * max_lag), exact sums in double;
 *   FFT: zero-pad to L >= N + max_lag (no circular wrap for lags up to
 *   max_lag; L a product of 2, 3 and 5), r = IFFT(|FFT(x)|^2) / L.
 * KL_AUTOCORR_AUTO picks the cheaper by an operation-count estimate.
 * The FFT method allocates and plans per call (a block operation, not a
 * per-sample one). */
#ifndef KLONOS_DSP_AUTOCORR_H
#define KLONOS_DSP_AUTOCORR_H

#include <stddef.h>

typedef enum kl_autocorr_method {
  KL_AUTOCORR_AUTO = 0,
  KL_AUTOCORR_DIRECT = 1,
  KL_AUTOCORR_FFT = 2
} kl_autocorr_method;

/* x[i*stride], i < n; ad[0..max_lag] receives Ad(m)/Ad(0).
 * remove_mean: subtract the block mean first (the paper applies the formula
 * to the signal as given; pass 1 when the signal carries an offset such as
 * gravity that is not part of the rhythm).
 * KLONOS_E_INVAL: NULL, stride 0, max_lag >= n, non-finite sample, bad method.
 * KLONOS_E_NODATA: Ad(0) == 0 (a zero signal). KLONOS_E_NOMEM. */
int kl_autocorr_unbiased(const float *x, size_t n, size_t stride, size_t max_lag, int remove_mean,
                         kl_autocorr_method method, double *ad);

/* Smallest 2^a 3^b 5^c >= n (FFT-friendly length); 0 if none fits in int. */
size_t kl_fft_good_size(size_t n);

#endif
