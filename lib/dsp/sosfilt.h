/* Private: causal streaming SOS filter for interleaved multi-channel frames.
 *
 * Each section runs in transposed direct form II (two double state words per
 * section and channel), the form scipy.signal.sosfilt uses, which has good
 * round-off behaviour for floating point. Samples are float in memory but all
 * arithmetic and state are double.
 *
 * Streaming: the state carries over between calls, so splitting a signal into
 * chunks of any size gives bit-identical output to one call (every sample
 * sees exactly the same operations in the same order).
 *
 * Non-finite input (a NaN at a reported gap) poisons the state of its channel
 * for good: callers split at gaps and call kl_sos_filter_reset() or
 * kl_sos_filter_prime() before the next run.
 *
 * No allocation: the state lives in the struct (caller storage). */
#ifndef KLONOS_DSP_SOSFILT_H
#define KLONOS_DSP_SOSFILT_H

#include <stddef.h>

#include "butterworth.h"

/* The library's frames hold 3 or 6 channels; 8 leaves room. */
#define KL_SOS_MAX_CHANNELS 8

typedef struct kl_sos_filter {
  kl_sos_design d;
  int nch;
  /* z[section][channel][0..1]: TDF-II delays. */
  double z[KL_SOS_MAX_SECTIONS][KL_SOS_MAX_CHANNELS][2];
} kl_sos_filter;

/* Copy the design and zero the state. nch 1..KL_SOS_MAX_CHANNELS.
 * KLONOS_E_INVAL for NULL, an empty design or a bad channel count. */
int kl_sos_filter_init(kl_sos_filter *f, const kl_sos_design *d, int nch);

/* Zero the state (as if the input had been 0 forever). */
void kl_sos_filter_reset(kl_sos_filter *f);

/* Set the state to the steady state for a constant input x0[c] on each
 * channel (scipy.signal.sosfilt_zi scaled by x0), so that the filter does not
 * ring when it starts on gravity's DC: a low-pass then outputs x0 from the
 * first sample, a high-pass or band-pass 0. x0 may be NULL for "use 0".
 * Non-finite x0 values are treated as 0. */
void kl_sos_filter_prime(kl_sos_filter *f, const float *x0);

/* Filter `frames` interleaved frames of f->nch floats in place. */
void kl_sos_filter_process(kl_sos_filter *f, float *x, size_t frames);

/* Steady-state TDF-II state of every section for a constant input of 1:
 * zi[s][0..1] (scipy.signal.sosfilt_zi). Multiply by the input level. */
void kl_sos_steady_state(const kl_sos_design *d, double zi[KL_SOS_MAX_SECTIONS][2]);

#endif
