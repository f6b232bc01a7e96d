/* Private: Welch power spectral density (FFTW3, double), streaming.
 *
 * Welch (1967), IEEE Trans. Audio Electroacoust. 15:70; parameters and
 * scaling as scipy.signal.welch(window='hann', detrend='constant',
 * scaling='density', return_onesided=True, average='mean'):
 *   - segments of nfft samples, consecutive segments overlapping by
 *     `overlap` samples (hop = nfft - overlap); default overlap nfft/2;
 *   - each segment: subtract its mean, multiply by a periodic Hann window
 *     w[i] = 0.5 - 0.5*cos(2*pi*i/nfft), real FFT;
 *   - PSD[k] = mean over segments of |X_k|^2 / (fs * sum w^2), doubled for
 *     0 < k < nfft/2 (one-sided; DC and, for even nfft, Nyquist are not
 *     doubled). Units: input units^2 / Hz. With this density scaling
 *     sum_k PSD[k] * df = the window-weighted mean square of the detrended
 *     input, i.e. its variance (Parseval), with df = fs / nfft.
 * Bin k is at k * fs / nfft Hz; there are nfft/2 + 1 bins.
 *
 * Streaming: push samples in any chunking; memory is O(nfft) whatever the
 * length. A trailing partial segment is not used (as scipy). A segment
 * holding any non-finite sample (NaN at a gap) is skipped and counted.
 *
 * The FFTW plan is made once per object (serialised, see fftw_plan.h);
 * pushing executes it on the object's own buffers and is thread-safe across
 * objects. One object must not be used from two threads at once. */
#ifndef KLONOS_DSP_WELCH_H
#define KLONOS_DSP_WELCH_H

#include <stddef.h>
#include <stdint.h>

/* Pass as `overlap` for the default, nfft / 2. */
#define KL_WELCH_OVERLAP_DEFAULT SIZE_MAX
/* Largest accepted nfft (FFTW takes an int; 2^24 samples is far beyond use). */
#define KL_WELCH_MAX_NFFT ((size_t)1 << 24)

typedef struct kl_welch kl_welch;

/* nfft >= 8 and <= KL_WELCH_MAX_NFFT; overlap < nfft (or the default);
 * fs_hz finite and > 0. *out = NULL on error. KLONOS_E_INVAL, KLONOS_E_NOMEM. */
int kl_welch_create(kl_welch **out, size_t nfft, size_t overlap, double fs_hz);

/* Free and set *w to NULL; NULL and *w == NULL are fine. */
void kl_welch_destroy(kl_welch **w);

/* Forget all pushed samples and accumulated segments (keeps the plan). */
void kl_welch_reset(kl_welch *w);

/* Append n contiguous samples. */
int kl_welch_push(kl_welch *w, const float *x, size_t n);
/* Append n samples read at x[i*stride] (one channel of interleaved frames). */
int kl_welch_push_strided(kl_welch *w, const float *x, size_t n, size_t stride);
int kl_welch_push_d(kl_welch *w, const double *x, size_t n, size_t stride);

size_t kl_welch_nbins(const kl_welch *w);   /* nfft/2 + 1 */
double kl_welch_df_hz(const kl_welch *w);   /* bin spacing fs/nfft */
size_t kl_welch_segments(const kl_welch *w); /* segments averaged so far */
size_t kl_welch_skipped(const kl_welch *w);  /* segments dropped for non-finite samples */

/* Write the averaged one-sided density to psd[0..nbins) (units^2/Hz) and
 * set *nbins (may be NULL). KLONOS_E_NODATA before the first full segment. */
int kl_welch_result(const kl_welch *w, double *psd, size_t *nbins);

/* The density of exactly one segment x[i*stride], i < nfft, into
 * psd[0..nbins): bit-identical to kl_welch_reset, kl_welch_push_strided of
 * those nfft samples and kl_welch_result, without the copies of the
 * streaming path; the object's accumulated state is left alone.
 * KLONOS_E_NODATA when a sample is not finite (the segment would be
 * skipped). */
int kl_welch_single(kl_welch *w, const float *x, size_t stride, double *psd);

/* The densities of two whole finite signals x[0..n) and y[0..n) (stride 1)
 * into psd_x / psd_y (nbins each), bit-identical to kl_welch_reset +
 * kl_welch_push_d + kl_welch_result on each in turn, without the
 * streaming copies; *segments (may be NULL) receives the segments
 * averaged. The object's accumulated state is left alone.
 * KLONOS_E_NODATA when n < nfft; KLONOS_E_INVAL on a non-finite sample. */
int kl_welch_psd2(kl_welch *w, const double *x, const double *y, size_t n, double *psd_x, double *psd_y,
                  size_t *segments);

/* Most interleaved channels kl_welch_single_sum takes. */
#define KL_WELCH_MAX_CH 8

/* The sum over channels c < nch of the single-segment densities of the
 * interleaved frames x[i*nch + c], i < nfft: bit-identical to psd = 0 and,
 * for each channel in order, psd += kl_welch_single(x + c, stride nch).
 * KLONOS_E_NODATA at the first channel holding a non-finite sample;
 * *valid_ch (may be NULL) receives the number of channels transformed
 * before it (all of them on success). */
int kl_welch_single_sum(kl_welch *w, const float *x, int nch, double *psd, int *valid_ch);

#endif
