/* Private: streaming sample-rate conversion of interleaved float frames with
 * missing data (NaN frames), on libsamplerate.
 *
 * libsamplerate (Erik de Castro Lopo; band-limited sinc interpolation,
 * J. O. Smith's "Digital Audio Resampling") is used with SRC_SINC_FASTEST:
 * its pass band (~ 80 % of the output Nyquist) keeps everything below 40 Hz
 * at a 100 Hz analysis rate, far above the 0.1-30 Hz band the analyses use.
 *
 * NaN would spread through the sinc kernel, so the conversion is a
 * normalised convolution (Knutsson & Westin 1993): missing frames enter as 0
 * with a validity channel (1 = valid, 0 = missing) resampled alongside, and
 * each output is data / validity. Where validity falls below 0.5 (inside a
 * gap) the output frame is NaN, so a gap stays a gap; the same division
 * removes libsamplerate's fade-in/out at the ends of the recording. */
#ifndef KLONOS_DSP_RESAMPLE_H
#define KLONOS_DSP_RESAMPLE_H

#include <stddef.h>

typedef struct kl_resampler kl_resampler;

/* nch data channels (<= 6). Returns KLONOS_OK or an error code. */
int kl_resampler_create(kl_resampler **out, int nch, double in_rate_hz, double out_rate_hz);
void kl_resampler_destroy(kl_resampler **r);

/* Consume up to in_frames frames from @p in and write up to out_cap frames to
 * @p out. *in_used and *out_made report what happened; call again with the
 * rest. With end_of_input set (and in_frames 0) the tail is flushed.
 * Returns KLONOS_OK or KLONOS_E_* on a libsamplerate failure. */
int kl_resampler_process(kl_resampler *r, const float *in, size_t in_frames, size_t *in_used, float *out,
                         size_t out_cap, size_t *out_made, int end_of_input);

#endif
