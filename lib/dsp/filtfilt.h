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

#endif
