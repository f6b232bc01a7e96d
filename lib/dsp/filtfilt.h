/* Private: zero-phase (forward-backward) SOS filtering of a bounded block.
 *
 * Follows scipy.signal.sosfiltfilt's defaults (its documented algorithm):
 *   - odd extension of padlen samples at both ends
 *     (left: 2*x[0] - x[padlen..1], right: 2*x[n-1] - x[n-2..n-1-padlen]);
 *     padlen = 3 * (2*n_sections + 1 - min(#sections with b2 == 0,
 *     #sections with a2 == 0)), i.e. 3 * (filter order + 1);
 *   - forward pass started from the steady state for the first padded
 *     sample (sosfilt_zi * ext[0]), backward pass from the steady state for
 *     the last forward output;
 * so the magnitude response is |H|^2 and the phase is zero. Unlike scipy,
 * a block no longer than padlen is not refused: padlen is cut to n - 1.
 *
 * All arithmetic is double. Memory: n + 2*padlen doubles of workspace. */
#ifndef KLONOS_DSP_FILTFILT_H
#define KLONOS_DSP_FILTFILT_H

#include <stddef.h>

#include "butterworth.h"

/* scipy's default pad length for this design (before cutting to n - 1). */
size_t kl_sos_filtfilt_padlen(const kl_sos_design *d);

/* Doubles of workspace kl_sos_filtfilt_work needs for n samples. */
size_t kl_sos_filtfilt_work_len(const kl_sos_design *d, size_t n);

/* Zero-phase filter n samples read from in[i*stride] into out[i*stride]
 * (in == out is allowed: the block is copied to the workspace first).
 * stride >= 1 picks one channel out of interleaved frames.
 * work: kl_sos_filtfilt_work_len(d, n) doubles.
 * KLONOS_E_INVAL on NULL, n == 0, stride == 0 or an empty design. */
int kl_sos_filtfilt_work(const kl_sos_design *d, const float *in, float *out, size_t n, size_t stride,
                         double *work);

/* The same, allocating the workspace (once per call, not per sample).
 * KLONOS_E_NOMEM if that fails. */
int kl_sos_filtfilt(const kl_sos_design *d, const float *in, float *out, size_t n, size_t stride);

/* Double in/out variant (no float rounding at either end). */
int kl_sos_filtfilt_d(const kl_sos_design *d, const double *in, double *out, size_t n, size_t stride);

/* Most channels kl_sos_filtfilt_multi* filter at once. */
#define KL_FILTFILT_MAX_CH 4

/* nch (1..KL_FILTFILT_MAX_CH) channels of n samples at once, channel c
 * in place in x[c][0..n) with design d[c] (every design with the same
 * number of sections and pad length; KLONOS_E_INVAL otherwise). Each
 * channel's output is bit-identical to kl_sos_filtfilt_d on it alone; the
 * channels' recurrences run interleaved, which hides their latency.
 * work: nch * kl_sos_filtfilt_work_len(d[0], n) doubles. No allocation. */
int kl_sos_filtfilt_multi_d(const kl_sos_design *const *d, int nch, double *const *x, size_t n, double *work);

/* Float in/out variant (in[c] == out[c] allowed), bit-identical to
 * kl_sos_filtfilt on each channel with stride 1. */
int kl_sos_filtfilt_multi(const kl_sos_design *const *d, int nch, const float *const *in, float *const *out,
                          size_t n, double *work);

#endif
