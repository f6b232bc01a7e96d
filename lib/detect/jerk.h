/* Private: streaming detector of myoclonic jerks on body-worn accelerometry.
 *
 * Method in docs/myoclonus.md; in short:
 *  1. each acceleration axis is band-passed (Butterworth, default 1-20 Hz:
 *     removes gravity, posture and sway below 1 Hz and sensor noise above
 *     20 Hz; "band-pass before differentiation", domain research sec. 3);
 *  2. the feature is the norm-jerk j = ||d a_bp / dt|| (first difference,
 *     m/s^3; rotation-invariant, TagTools njerk);
 *  3. an adaptive threshold follows the background: the median and MAD of
 *     per-block maxima of j over the last seconds, plus an absolute floor;
 *  4. transients are runs above a lower hysteresis threshold that reach the
 *     upper one, merged across gaps shorter than the refractory gap;
 *  5. a transient is rejected when it lasts too long (posture change, long
 *     movement), falls inside rhythmic tremor (Welch spectral peak test; the
 *     tremor episodes are reported), or falls on a periodic train of
 *     transients (steps while walking: a comb test on inter-transient
 *     intervals), or touches a gap;
 *  6. jerks whose onsets are close form clusters ("myoclonic storms").
 *
 * Streaming: frames are pushed in any chunking (the results are identical
 * for every chunking); events become final after a bounded delay (a few
 * seconds: the look-ahead of the rhythm and tremor tests) and memory does
 * not grow with the recording length.
 *
 * Thread safety: distinct detectors may run concurrently (the FFTW plans are
 * made at create time under the library's planner lock); one detector must
 * not be used by two threads at once. */
#ifndef KLONOS_DETECT_JERK_H
#define KLONOS_DETECT_JERK_H

#include <stddef.h>
#include <stdint.h>

/* Every field: unit, default, and why (docs/myoclonus.md cites the sources). */
typedef struct kl_jerk_config {
  /* Band-pass applied to each axis before differentiation. */
  double band_lo_hz;          /* 1.0: above posture changes and most sway (< 1 Hz) */
  double band_hi_hz;          /* 20.0: EMG bursts of 10-100 ms give acceleration transients of
                                 ~50-200 ms (energy below ~20 Hz); capped at 0.4 x rate */
  int filter_order;           /* 2: Butterworth prototype order (band-pass of order 4), 1..4 */
  /* Adaptive threshold on the norm-jerk. */
  double floor_block_s;       /* 0.25: the background is summarised by the maximum of j per block */
  double floor_window_s;      /* 8.0: blocks over which the running median/MAD of the block maxima is taken */
  double thr_abs_mps3;        /* 10.0: least upper threshold (sensor noise and sway at rest stay below) */
  double thr_floor_ratio;     /* 2.0: upper threshold >= this x the median block maximum */
  double thr_mad_k;           /* 4.0: upper threshold >= median + k x 1.4826 MAD of the block maxima */
  double thr_lo_fraction;     /* 0.35: lower (onset/offset) threshold = this x the upper one */
  double thr_abs_acc_mps2;    /* 1.0: least upper threshold of |a_bp| in the walking (comb) test */
  /* Shape of a transient. */
  double refractory_s;        /* 0.10: runs above the lower threshold closer than this merge into one event */
  double max_duration_s;      /* 0.40: longer transients are not jerks (posture changes, voluntary moves) */
  double gap_guard_s;         /* 0.30: transients this close to a gap (NaN frames) are dropped */
  /* Tremor: rhythmic oscillation rejects jerks and is reported as episodes. */
  double tremor_window_s;     /* 4.0: Welch window (segments of half of it, 50% overlap) */
  double tremor_hop_s;        /* 1.0: one spectral test per hop */
  double tremor_lo_hz;        /* 3.0: tremor band (domain research sec. 3) */
  double tremor_hi_hz;        /* 12.0 */
  double tremor_peak_ratio;   /* 3.0: peak power >= this x the mean power of the neighbouring +-1 Hz */
  double tremor_min_amp_mps2; /* 0.05: least amplitude (peak of the oscillation) of a tremor */
  /* Walking: transients on a periodic train are steps. */
  double step_min_s;          /* 0.25: step periods considered (50-240 steps/min) */
  double step_max_s;          /* 1.2 */
  double step_tolerance;      /* 0.10: a beat matches the train within this fraction of the period */
  double step_amp_ratio;      /* 2.0: norm-jerk above this x the same phase of the neighbouring steps breaks the rhythm */
  double step_amp_ratio_acc;  /* 2.0: the same for |a_bp| */
  double step_min_activity_mps2; /* 0.3: the rhythm test runs only when the median block RMS of the
                                    band-passed acceleration reaches this (walking is vigorous) */
  double step_min_autocorr;   /* 0.3: least vector autocorrelation at the step period (ataxic gait
                                 at the synth's severity 1 still reaches it in 98% of 6 s windows) */
  double rhythm_window_s;     /* 6.0: window of that autocorrelation, centred on the point tested */
  /* Clusters. */
  double cluster_max_gap_s;   /* 1.5: onset-to-onset gap of jerks in one cluster */
  int cluster_min_count;      /* 3: least jerks in a cluster */
  int reserved_i;             /* must be 0 */
} kl_jerk_config;

void kl_jerk_config_default(kl_jerk_config *c);

typedef struct kl_jerk_event {
  double onset_s, offset_s;   /* from the first pushed frame */
  double peak_acc_mps2;       /* peak |band-passed acceleration| of the transient */
  double peak_jerk_mps3;      /* peak norm-jerk */
  double direction[3];        /* unit vector of the peak acceleration, frame of the pushed samples */
  double confidence;          /* 0..1: 1 - 1/r, r the smallest margin of the acceptance tests */
  int64_t cluster_id;         /* -1 isolated, else the cluster it belongs to */
} kl_jerk_event;

typedef struct kl_jerk_cluster {
  int64_t id;
  double start_s, end_s;      /* first jerk's onset, last jerk's offset */
  int count;
} kl_jerk_cluster;

typedef struct kl_tremor_episode {
  double start_s, end_s;
  double freq_hz;             /* power-weighted mean peak frequency */
  double amp_mps2;            /* amplitude (peak) of the oscillation, sqrt(2 x band power) */
} kl_tremor_episode;

typedef struct kl_jerk_detector kl_jerk_detector;

/* rate_hz 25..1000 (KLONOS_E_RATE otherwise); nch 3 (acc) or 6 (acc + gyro;
 * KLONOS_E_CHANNELS otherwise); c NULL = defaults; a bad field:
 * KLONOS_E_INVAL. *out is NULL on error. */
int kl_jerk_detector_create(kl_jerk_detector **out, const kl_jerk_config *c, double rate_hz, int nch);
void kl_jerk_detector_destroy(kl_jerk_detector **d);

/* Interleaved frames of nch floats: acceleration in m/s^2 (sensor frame,
 * gravity included), then angular rate in rad/s. A frame with any
 * non-finite acceleration value is a gap. KLONOS_E_STATE after finish. */
int kl_jerk_detector_push(kl_jerk_detector *d, const float *frames, size_t n);

/* End of input: decide everything pending. Further pushes: KLONOS_E_STATE. */
int kl_jerk_detector_finish(kl_jerk_detector *d);

/* 1 = *e filled (events in onset order), 0 = none ready yet; negative on a bad argument. */
int kl_jerk_detector_pop_event(kl_jerk_detector *d, kl_jerk_event *e);
int kl_jerk_detector_pop_cluster(kl_jerk_detector *d, kl_jerk_cluster *c);
int kl_jerk_detector_pop_tremor(kl_jerk_detector *d, kl_tremor_episode *t);

/* Counters for diagnostics and benchmarks. */
typedef struct kl_jerk_stats {
  int64_t frames, gap_frames;
  int64_t candidates;         /* transients above the upper threshold */
  int64_t rejected_long, rejected_tremor, rejected_rhythm, rejected_gap, rejected_tail;
  int64_t accepted;
  int64_t spectral_tests;     /* segment spectra computed (3 FFTs each) */
  int64_t rhythm_tests;       /* envelope autocorrelations computed */
  int64_t periodic_hops;      /* hops found periodic (walking) */
} kl_jerk_stats;
int kl_jerk_detector_stats(const kl_jerk_detector *d, kl_jerk_stats *s);

/* Development aid: called for every frame of the delayed stream with the
 * frame index, the norm-jerk, the score (>= 1: above threshold) and whether the
 * periodic (walking) context is on. NULL switches it off. */
typedef void (*kl_jerk_trace_fn)(void *ctx, int64_t frame, double j, double score, int periodic);
void kl_jerk_detector_set_trace(kl_jerk_detector *d, kl_jerk_trace_fn fn, void *ctx);

#endif
