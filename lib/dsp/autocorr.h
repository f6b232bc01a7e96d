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
 *   direct: O(N * max_lag), exact sums in double (eight lags per sweep,
 *   each lag's products still added in order);
 *   FFT: overlap-save blocks of one power-of-two length L >= 4 (max_lag + 1)
 *   (at least 4096): each block of L - max_lag samples is correlated with
 *   the segment reaching max_lag further through conj(FFT(block)) *
 *   FFT(segment); the blocks' spectra are summed and transformed back once.
 *   L depends on max_lag only, so a workspace (kl_autocorr_ws) plans once
 *   and reuses the plans for every later call.
 * KL_AUTOCORR_AUTO picks the cheaper by an operation-count estimate.
 * kl_autocorr_unbiased without a workspace plans per call (a block
 * operation, not a per-sample one); callers that correlate many blocks
 * keep a workspace. */
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

/* Reusable FFT plans and buffers for kl_autocorr_unbiased_ws. One
 * workspace must not be used by two threads at once; distinct workspaces
 * are independent. */
typedef struct kl_autocorr_ws kl_autocorr_ws;
int kl_autocorr_ws_create(kl_autocorr_ws **out);
void kl_autocorr_ws_destroy(kl_autocorr_ws **w);

/* Size the workspace for blocks of up to n samples and lags up to max_lag
 * (buffers allocated and touched, FFT plans made), so later calls within
 * those bounds neither allocate nor plan. */
int kl_autocorr_ws_reserve(kl_autocorr_ws *w, size_t n, size_t max_lag);

/* kl_autocorr_unbiased with the workspace's buffers and plans (no
 * allocation once they are warm). */
int kl_autocorr_unbiased_ws(kl_autocorr_ws *w, const float *x, size_t n, size_t stride, size_t max_lag,
                            int remove_mean, kl_autocorr_method method, double *ad);

/* Raw lag sums sums[j] = sum_{i < n - m} x[i] x[i + m], m = lag0 + j,
 * j < nlags (0 when m >= n), each added in increasing i: bit-identical to
 * the plain loop, computed eight lags per sweep. */
void kl_autocorr_sums(const double *x, size_t n, size_t lag0, size_t nlags, double *sums);

/* Smallest 2^a 3^b 5^c >= n (FFT-friendly length); 0 if none fits in int. */
size_t kl_fft_good_size(size_t n);

#endif
