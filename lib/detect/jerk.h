/* Private: streaming detector of myoclonic jerks on body-worn accelerometry.
 *
 * Method, defaults, sources and measured accuracy: docs/myoclonus.md. In short:
 *  1. each acceleration axis is band-passed (Butterworth, default 1-20 Hz:
 *     gravity, posture and most sway below 1 Hz and noise above 20 Hz go;
 *     "band-pass before differentiation", domain research sec. 3);
 *  2. the feature is the norm-jerk j = fs ||a_bp[n] - a_bp[n-1]|| (m/s^3;
 *     rotation-invariant, TagTools njerk);
 *  3. the adaptive threshold follows the background: the median and MAD of
 *     per-block (0.25 s) maxima of j over ~8 s around the point, plus an
 *     absolute floor; while walking it follows instead the same phase of
 *     the neighbouring steps (a comb on the j and |a_bp| envelopes);
 *  4. regions above the lower (hysteresis) threshold are split into
 *     transients: the peak above the upper threshold and its extent; onset
 *     where the feature first exceeds the lower threshold before the peak;
 *  5. a transient is not a jerk when it lasts longer than max_duration_s,
 *     is the high-pass tail of a larger one, touches a gap, spans a posture
 *     change (gravity direction turns), lies in rhythmic tremor (Welch
 *     spectral peak test; tremor episodes are reported), is a step (aligned
 *     comparison with the neighbouring steps while walking; a train of
 *     similar, regularly spaced transients on an active background
 *     otherwise), or does not stand out from its local background;
 *  6. jerks with onsets closer than cluster_max_gap_s form clusters.
 *
 * Streaming: frames are pushed in any chunking with identical results;
 * events become final after a bounded delay (~6 s at the defaults: the
 * look-ahead of the rhythm, tremor and posture tests, plus the train
 * window) and memory does not grow with the recording.
 *
 * Gyroscope channels (6-channel frames) are accepted and not used: every
 * test runs on the acceleration (docs/myoclonus.md, "Limits").
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
  double band_lo_hz;          /* 1.0: posture changes and most sway lie below 1 Hz */
  double band_hi_hz;          /* 20.0: 10-100 ms EMG bursts give ~50-200 ms acceleration transients
                                 (domain research sec. 3); capped at 0.4 x rate */
  int filter_order;           /* 2: Butterworth prototype order (a 4th-order band-pass), 1..4 */
  /* Adaptive threshold on the norm-jerk. */
  double floor_block_s;       /* 0.25: the background is summarised by the largest j of each block */
  double floor_window_s;      /* 8.0: blocks whose median/MAD make the floor (about 2/3 before the
                                 point, 1/3 after) */
  double thr_abs_mps3;        /* 10.0: least upper threshold; sensor noise (~0.5 m/s^3) and quiet sway
                                 (~1-2 m/s^3) stay far below, a 1.5 m/s^2 150 ms jerk reaches ~30 */
  double thr_floor_ratio;     /* 2.0: upper threshold >= this x the median block maximum */
  double thr_mad_k;           /* 4.0: upper threshold >= median + k x 1.4826 MAD of the block maxima */
  double thr_lo_fraction;     /* 0.35: lower threshold = background + this x (upper - background) */
  double thr_abs_acc_mps2;    /* 1.0: least upper threshold of |a_bp| in the walking comb */
  /* Shape of a transient. */
  double refractory_s;        /* 0.10: runs above the lower threshold closer than this merge; frames
                                 this close to a transient cannot start another */
  double max_duration_s;      /* 0.40: longer transients are not jerks (posture changes, voluntary moves) */
  double min_acc_mps2;        /* 0.0 (off): least peak |a_bp| of a jerk; short fast jerks lose much of
                                 their peak in the band-pass, so any useful value costs sensitivity */
  double local_ratio;         /* 3.0: outside walking, the peak |a_bp| must reach this x the median RMS
                                 |a_bp| of the 0.25 s blocks within 1.5 s around it */
  double posture_max_deg;     /* 20: a larger turn of the gravity direction across a transient
                                 (1.5-0.5 s before vs 0.5-1.5 s after) makes it part of a posture change */
  double gap_guard_s;         /* 0.30: transients this close to a gap (NaN frames) or to the start are dropped */
  /* Tremor: rhythmic oscillation rejects jerks and is reported as episodes. */
  double tremor_window_s;     /* 4.0: Welch window (segments of half of it, 50% overlap) */
  double tremor_hop_s;        /* 1.0: one spectral test per hop; must be <= half the window */
  double tremor_lo_hz;        /* 3.0: tremor band (domain research sec. 3) */
  double tremor_hi_hz;        /* 12.0 */
  double tremor_peak_ratio;   /* 3.0: peak density >= this x the neighbouring density (0.5-1.5 Hz away) */
  double tremor_min_amp_mps2; /* 0.05: least amplitude (peak of the oscillation) of a tremor */
  /* Walking: transients that belong to the steps are not jerks. */
  double step_min_s;          /* 0.25: step periods considered (50-240 steps/min) */
  double step_max_s;          /* 1.2 */
  double step_tolerance;      /* 0.10: phase tolerance of the comb (fraction of the period; doubled
                                 two periods away) */
  double step_amp_ratio;      /* 2.0: a norm-jerk above this x what the aligned neighbouring steps hold
                                 at the same phase breaks the rhythm */
  double step_amp_ratio_acc;  /* 2.0: the same for |a_bp| */
  double step_min_activity_mps2; /* 0.3: walking tests run only when the median block RMS |a_bp|
                                    reaches this (walking is vigorous, quiet stance is not) */
  double step_min_autocorr;   /* 0.2: least vector autocorrelation at the step period (ataxic gait of
                                 the generator's severity 1 reaches it in every 6 s window) */
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
  double confidence;          /* 0..1: 1 - 1/r, r the smallest margin of the acceptance tests
                                 (score over threshold, duration limit over duration, tremor
                                 and rhythm margins): 0.5 = passed every test by 2x */
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
  int64_t rejected_long;      /* longer than max_duration_s */
  int64_t rejected_tail;      /* the high-pass tail of a larger transient */
  int64_t rejected_gap;       /* next to a gap or the start */
  int64_t rejected_posture;   /* across a posture change */
  int64_t rejected_tremor;    /* inside rhythmic tremor */
  int64_t rejected_rhythm;    /* a step (aligned comparison or train test) */
  int64_t rejected_background;/* not above local_ratio x its background */
  int64_t rejected_small;     /* below min_acc_mps2 */
  int64_t accepted;
  int64_t spectral_tests;     /* segment spectra computed (3 FFTs each) */
  int64_t rhythm_tests;       /* step-period autocorrelations computed */
  int64_t periodic_hops;      /* hops found periodic (walking) */
} kl_jerk_stats;
int kl_jerk_detector_stats(const kl_jerk_detector *d, kl_jerk_stats *s);

/* Development aid (bench_jerk --ctrace): called for candidate transients
 * with a decision code: 1 too long, 6 posture change, 3 tremor, 4 a step
 * (aligned test; feat = {0, n, a[0..5], j[0..5]} of the aligned steps),
 * 0 passed so far (outside walking feat = {background}), then for those
 * 7 a step (train test) or 9 below the local background. No call for tail
 * and gap rejections. NULL switches it off. */
typedef void (*kl_jerk_candidate_fn)(void *ctx, double onset_s, double peak_j, double peak_a, int decision,
                                     const double *feat, int nfeat);
void kl_jerk_detector_set_candidate_trace(kl_jerk_detector *d, kl_jerk_candidate_fn fn, void *ctx);

#endif
