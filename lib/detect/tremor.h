/* Private: rhythmic-tremor tracker used by the jerk detector.
 *
 * Every hop (default 1 s) the detector hands over the last window (default
 * 4 s) of band-passed acceleration. Its power spectrum is the sum over the
 * three axes of the Welch PSDs (segments of half the window, one per hop,
 * Hann, kl_welch): the trace of the spectral matrix, so the test is
 * rotation-invariant. A window holds tremor when
 *   - its largest bin in the tremor band (3-12 Hz), a local maximum whose
 *     refined frequency stays in the band, has a mean density over
 *     +-0.5 Hz at least tremor_peak_ratio (3) times the mean density of the
 *     neighbouring bins 0.5-1.5 Hz away (the "peak >= 3x the neighbouring
 *     +-1 Hz power" rhythmicity test of the orthostatic-myoclonus abstract,
 *     domain research sec. 3);
 *   - the oscillation amplitude sqrt(2 x power within +-1 Hz) reaches
 *     tremor_min_amp_mps2;
 *   - it is not a harmonic of a stronger peak below the tremor band (the
 *     step-frequency harmonics of walking are sharp peaks at 2x, 3x ...).
 * Windows whose total power cannot reach the least amplitude are not
 * transformed at all (the common case at rest), and each segment spectrum is
 * computed once and shared by the windows that overlap it.
 *
 * A flagged window marks +-hop around its centre as tremor. Runs of at least
 * three consecutive flagged windows are reported as episodes
 * [first centre - hop/2, last centre + hop/2] with the power-weighted mean
 * peak frequency (parabolic interpolation of the log-spectrum) and the RMS
 * mean amplitude. */
#ifndef KLONOS_DETECT_TREMOR_H
#define KLONOS_DETECT_TREMOR_H

#include <stddef.h>
#include <stdint.h>

#include "detect/jerk.h"

typedef struct kl_tremor_tracker kl_tremor_tracker;

/* Result of one window. */
typedef struct kl_tremor_window {
  int64_t end;       /* frame index one past the window */
  int valid;         /* the window had no gap and was analysed or screened */
  int flagged;       /* tremor */
  double freq_hz;    /* peak frequency (0 if not analysed) */
  double amp_mps2;   /* sqrt(2 x power within +-1 Hz of the peak) */
  double ratio;      /* peak density / neighbouring density (0 if not analysed) */
} kl_tremor_window;

/* Window and hop in frames come from the config and the rate; the window
 * must hold a whole number of hops. */
int kl_tremor_tracker_create(kl_tremor_tracker **out, const kl_jerk_config *c, double fs_hz);
void kl_tremor_tracker_destroy(kl_tremor_tracker **t);

size_t kl_tremor_window_frames(const kl_tremor_tracker *t);
size_t kl_tremor_hop_frames(const kl_tremor_tracker *t);

/* Copies n frames of 3 band-passed samples starting at frame `start`. */
typedef void (*kl_tremor_fetch_fn)(void *ctx, int64_t start, size_t n, float *out);

/* The window ending at frame `end` (a multiple of the hop); `fetch` reads
 * its samples (NaN in gaps) when a segment spectrum is needed. `power` is
 * its sustained power (m^2/s^4; NaN if the window has a gap): below
 * tremor_min_amp_mps2^2 / 2 the window cannot hold tremor and is not
 * transformed. Windows must come in order of `end`. */
int kl_tremor_tracker_window(kl_tremor_tracker *t, int64_t end, kl_tremor_fetch_fn fetch, void *ctx, double power);

/* Tremor status of frame p, decided once the windows centred up to p + hop
 * have been handed over (or after finish). *margin receives
 * tremor_peak_ratio / ratio of the nearest analysed window that passed the
 * amplitude test (a value > 1 when it is not tremor; +inf when none). */
int kl_tremor_tracker_at(const kl_tremor_tracker *t, int64_t p, double *margin);

/* No more windows: the last flagged window covers everything after it. */
void kl_tremor_tracker_finish(kl_tremor_tracker *t);

/* 1 and *e filled when an episode is complete, else 0. */
int kl_tremor_tracker_pop(kl_tremor_tracker *t, kl_tremor_episode *e);

int64_t kl_tremor_tracker_ffts(const kl_tremor_tracker *t);

#endif
