/* Private: gait metrics of one walking bout from trunk (L5) acceleration.
 *
 * Input: the vertical (V, + up, gravity removed), antero-posterior (AP,
 * + forward) and medio-lateral (ML, + left) acceleration of a tilt-corrected
 * body frame (lib/cond/orientation.h), m/s^2, at the analysis rate
 * (25-1000 Hz); one bout of bounded length.
 *
 * Processing (docs/gait.md has every formula and choice):
 *   1. each axis low-passed at 20 Hz, 4th order, zero-phase (the
 *      scikit-digital-health gait preprocessing; skipped when 20 Hz is above
 *      0.45 x rate) and its mean removed;
 *   2. dominant step period from the unbiased autocorrelation of V
 *      (Moe-Nilssen & Helbostad 2004, J Biomech 37:121);
 *   3. step events: peaks of V low-passed at 1.5 x the step frequency (one
 *      per step, at least 0.6 step periods apart, at least 30% of the
 *      typical peak, or the low peak of a limp that splits a double gap),
 *      each refined to the largest sample of V low-passed at 4 x the step
 *      frequency within +-0.3 step periods, with parabolic sub-sample
 *      interpolation. The event is the trunk's vertical loading peak, which
 *      follows the foot's initial contact by a short delay (docs/gait.md
 *      gives the measured delay against reference initial contacts);
 *   4. step intervals within 0.5-1.5 x their median are "valid"; strides
 *      (t[i+2] - t[i]) are made of two valid consecutive steps. Cadence,
 *      step/stride time, stride-time CV and step-time asymmetry from them;
 *   5. step/stride regularity and symmetry of V and AP: unbiased
 *      autocorrelation over the walking span (first to last event),
 *      normalised by Ad(0), peak nearest the mean step / stride lag;
 *   6. harmonic ratios per stride (Menz et al. 2003, Gait Posture 18:35;
 *      Bellanca et al. 2013, J Biomech 46:828): DFT of the stride's samples,
 *      harmonics 1..20 of the stride frequency, V and AP even/odd, ML
 *      odd/even; median over strides;
 *   7. RMS of each axis and ML range over the walking span.
 *
 * Pure function: no global state, one allocation batch per call (O(n)),
 * O(n log n) time; thread-safe. kl_gait_compute_ws does the same with a
 * caller-owned workspace (buffers and FFT plans kept between bouts). */
#ifndef KLONOS_DETECT_GAIT_H
#define KLONOS_DETECT_GAIT_H

#include <stddef.h>

typedef struct kl_gait_config {
  double min_duration_s;      /* 5: shorter bouts give KLONOS_E_NODATA */
  int min_steps;              /* 6: fewer detected steps give KLONOS_E_NODATA */
  double lowpass_hz;          /* 20: preprocessing low-pass (0 = none) */
  int lowpass_order;          /* 4 */
  double min_step_s;          /* 0.25: shortest step period searched (240 steps/min) */
  double max_step_s;          /* 1.25: longest step period searched (48 steps/min) */
  double coarse_factor;       /* 1.5: coarse step signal low-pass, x step frequency */
  double refine_factor;       /* 4: refinement signal low-pass, x step frequency (0 = no refinement) */
  double min_peak_mps2;       /* 0.05: coarse peaks lower than this are not steps */
  double interval_tolerance;  /* 0.5: valid step intervals lie within (1 +- this) x median */
  int harmonics;              /* 20: harmonics of the stride frequency in the harmonic ratios */
  int min_harmonics;          /* 10: strides whose DFT holds fewer are skipped (SKDH) */
} kl_gait_config;

void kl_gait_config_default(kl_gait_config *c);

/* Field names are the JSON names the CLI prints; units in names. Fields that
 * are undefined for a bout (e.g. a harmonic ratio when no stride allows it,
 * or a symmetry whose stride regularity is <= 0) are NAN; docs/gait.md. */
typedef struct kl_gait_metrics {
  double duration_s;            /* the bout: n / rate */
  double walking_s;             /* first to last step event */
  int steps;                    /* step events detected */
  int strides;                  /* strides made of two valid steps */
  double step_period_autocorr_s; /* dominant step period from the autocorrelation of V */
  double cadence_spm;           /* 60 / step_time_s */
  double step_time_s;           /* mean valid step interval */
  double step_time_cv;          /* SD / mean of valid step intervals */
  double stride_time_s;         /* mean stride duration */
  double stride_time_cv;        /* SD / mean of stride durations (SD with n - 1) */
  double step_time_asymmetry;   /* |mean(even steps) - mean(odd steps)| / step_time_s */
  /* Moe-Nilssen & Helbostad 2004; symmetry = step / stride regularity. */
  double step_regularity_v, stride_regularity_v, step_symmetry_v;
  double step_regularity_ap, stride_regularity_ap, step_symmetry_ap;
  /* Harmonic ratios: median over strides; hr_strides = strides used. */
  double harmonic_ratio_v, harmonic_ratio_ap, harmonic_ratio_ml;
  int hr_strides;
  /* Amplitude over the walking span (20 Hz low-passed, mean removed). */
  double v_rms_mps2, ap_rms_mps2;
  double ml_rms_mps2, ml_range_mps2; /* lateral trunk sway while walking */
} kl_gait_metrics;

/* Compute every metric of one bout; v/ap/ml[i*stride], i < n, in m/s^2.
 * Returns KLONOS_OK, or
 *   KLONOS_E_INVAL: NULL pointer, stride 0, rate not finite or <= 0, a bad
 *     config (ranges in docs/gait.md), or a rate too low for the step search
 *     (rate < 4 / min_step_s);
 *   KLONOS_E_NODATA: fewer than min_duration_s * rate samples, a
 *     non-finite sample, no periodic step pattern, fewer than min_steps
 *     events or fewer than 2 strides;
 *   KLONOS_E_NOMEM.
 * On error *out is zeroed. */
int kl_gait_compute(const kl_gait_config *c, const float *v, const float *ap, const float *ml, size_t n,
                    size_t stride, double rate_hz, kl_gait_metrics *out);

/* The same, also returning the step event times (seconds from sample 0,
 * sub-sample resolution, ascending): the first min(count, step_cap) go to
 * step_times_s (may be NULL when step_cap is 0); *step_count (may be NULL)
 * receives the number detected, also when the metrics fail for want of
 * strides (then KLONOS_E_NODATA with the events still written). */
int kl_gait_compute_steps(const kl_gait_config *c, const float *v, const float *ap, const float *ml, size_t n,
                          size_t stride, double rate_hz, kl_gait_metrics *out, double *step_times_s,
                          size_t step_cap, size_t *step_count);

/* Buffers and FFT plans reused from bout to bout (the analyzer keeps one).
 * One workspace must not be used by two threads at once. */
typedef struct kl_gait_ws kl_gait_ws;
int kl_gait_ws_create(kl_gait_ws **out);
void kl_gait_ws_destroy(kl_gait_ws **ws);

/* Size the workspace for bouts of up to n samples at rate_hz with config c
 * (buffers allocated and touched, FFT plans made): memory then stays the
 * same whatever bouts follow. Bouts longer than n still work (the
 * workspace grows). */
int kl_gait_ws_reserve(kl_gait_ws *ws, const kl_gait_config *c, size_t n, double rate_hz);

/* kl_gait_compute_steps with a workspace (no allocation once it is warm). */
int kl_gait_compute_ws(kl_gait_ws *ws, const kl_gait_config *c, const float *v, const float *ap, const float *ml,
                       size_t n, size_t stride, double rate_hz, kl_gait_metrics *out, double *step_times_s,
                       size_t step_cap, size_t *step_count);

#endif
