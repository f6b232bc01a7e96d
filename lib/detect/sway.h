/* Private: postural sway metrics of one quiet-stance (or quiet-sitting) bout
 * from trunk acceleration (ISway-style accelerometric posturography).
 *
 * Input: the antero-posterior (AP, + forward) and medio-lateral (ML, + left)
 * acceleration of a tilt-corrected body frame at L5 (lib/cond/orientation.h,
 * Moe-Nilssen 1998), in m/s^2, at the analysis rate (25-1000 Hz), one bout
 * of bounded length (the analyzer cuts long bouts into pieces).
 *
 * Processing (Mancini et al. 2012, "ISway", J NeuroEng Rehabil 9:59):
 *   1. zero-lag low-pass: 4th-order Butterworth at 3.5 Hz run forward and
 *      backward (dsp/filtfilt.h), so the magnitude response is |H|^2;
 *   2. each axis minus its bout mean;
 *   3. time-domain measures after Prieto et al. 1996 (IEEE TBME 43:956)
 *      applied to acceleration instead of the centre of pressure;
 *   4. frequency-domain measures from the Welch PSD of the filtered AP and
 *      ML signals (10 s Hann segments, 50% overlap: 0.1 Hz bins), spectral
 *      moments over 0.15-5 Hz (dsp/spectral.h).
 * Every formula, its units and the choices the papers leave open are in
 * docs/sway.md.
 *
 * Pure function: no global state, one allocation batch per call (O(n)
 * doubles), O(n log n) time. Thread-safe (FFTW planning goes through the
 * library's planner lock). */
#ifndef KLONOS_DETECT_SWAY_H
#define KLONOS_DETECT_SWAY_H

#include <stddef.h>

typedef struct kl_sway_config {
  double min_duration_s;   /* 10: shorter bouts give KLONOS_E_NODATA */
  double lowpass_hz;       /* 3.5 (Mancini 2012) */
  int lowpass_order;       /* 4: Butterworth prototype order (applied twice, zero-phase) */
  double band_lo_hz;       /* 0.15 (Prieto 1996): spectral band for the moments */
  double band_hi_hz;       /* 5.0; cut to the Nyquist frequency when above it */
  double welch_segment_s;  /* 10: Welch segment length -> 1/10 s = 0.1 Hz bins */
  double welch_overlap;    /* 0.5: fraction of a segment shared with the next */
  double ellipse_coverage; /* 0.95: probability content of both ellipses */
} kl_sway_config;

void kl_sway_config_default(kl_sway_config *c);

/* One set of spectral measures over [band_lo_hz, band_hi_hz]. */
typedef struct kl_sway_spectrum {
  double total_power_m2ps4;  /* mu0 = integral of the PSD over the band */
  double f50_hz;             /* median power frequency */
  double f95_hz;             /* 95% power frequency */
  double centroid_freq_hz;   /* sqrt(mu2/mu0) */
  double freq_dispersion;    /* sqrt(1 - mu1^2/(mu0 mu2)), 0 = a pure tone */
} kl_sway_spectrum;

/* Field names are the JSON names the CLI prints; units are in the names
 * (mps2 = m/s^2, mps3 = m/s^3, m2ps4 = m^2/s^4, ...). See docs/sway.md. */
typedef struct kl_sway_metrics {
  double duration_s;               /* n / rate */
  size_t samples;                  /* n */
  /* Amplitude (filtered, mean removed). */
  double rms_ap_mps2, rms_ml_mps2;
  double rms_mps2;                 /* sqrt(rms_ap^2 + rms_ml^2) = RMS of the radial distance */
  double range_ap_mps2, range_ml_mps2; /* max - min per axis */
  double range_mps2;               /* largest distance between two points of the AP-ML trajectory */
  double mean_distance_mps2;       /* mean of sqrt(AP^2 + ML^2) */
  /* Trajectory. */
  double path_mps2;                /* sum of sqrt(dAP^2 + dML^2) (TOTEX of acceleration) */
  double path_per_s_mps3;          /* path / duration (Mancini's MV for COP, here of acceleration) */
  double mean_velocity_mps;        /* mean |v| of the integrated, linearly detrended acceleration */
  double jerk_m2ps6;               /* (1/T) * 1/2 integral (dAP/dt)^2 + (dML/dt)^2 dt: per second */
  double jerk_ap_m2ps6, jerk_ml_m2ps6; /* the two halves of jerk_m2ps6 */
  double jerk_total_m2ps5;         /* Mancini's JERK as printed: the integral itself (grows with T) */
  double sway_area_per_s_m2ps5;    /* area swept by the radius vector per second (Prieto AREA-SW) */
  double mean_freq_hz;             /* path_per_s / (2 pi mean_distance) (Prieto MFREQ, ISway MF) */
  /* Ellipses (both with ellipse_coverage, sample covariance with n - 1). */
  double ellipse_area_m2ps4;            /* Prieto: 2 pi F(p; 2, n-2) sqrt(det S) */
  double prediction_ellipse_area_m2ps4; /* Schubert & Kirchner 2014 prediction ellipse */
  /* Spectrum: AP + ML summed PSD, and each axis. */
  kl_sway_spectrum spectrum, spectrum_ap, spectrum_ml;
  double freq_resolution_hz;       /* Welch bin width */
  size_t welch_segments;           /* segments averaged */
} kl_sway_metrics;

/* Compute every metric of one bout.
 * ap[i*stride], ml[i*stride], i < n: body-frame acceleration in m/s^2.
 * Returns KLONOS_OK (every field finite), or:
 *   KLONOS_E_INVAL: NULL pointer, stride 0, rate not finite or <= 0, or a
 *     config that cannot work at this rate (low-pass at or above Nyquist,
 *     non-positive band or segment, coverage outside (0, 1));
 *   KLONOS_E_NODATA: fewer than max(min_duration_s, welch_segment_s) * rate
 *     samples, a non-finite sample anywhere in the bout (the analyzer splits
 *     bouts at gaps), or no power in the band (a constant signal);
 *   KLONOS_E_NOMEM.
 * On any error *out is zeroed: no number is ever reported from a bout that
 * cannot support it. */
int kl_sway_compute(const kl_sway_config *c, const float *ap, const float *ml, size_t n, size_t stride,
                    double rate_hz, kl_sway_metrics *out);

/* The Welch estimator (FFT plan) and buffers reused from bout to bout (the
 * analyzer keeps one). One workspace must not be used by two threads at once. */
typedef struct kl_sway_ws kl_sway_ws;
int kl_sway_ws_create(kl_sway_ws **out);
void kl_sway_ws_destroy(kl_sway_ws **ws);

/* Size the workspace for bouts of up to n samples at rate_hz with config c
 * (buffers allocated and touched, the Welch plan made): memory then stays
 * the same whatever bouts follow. Longer bouts still work (it grows). */
int kl_sway_ws_reserve(kl_sway_ws *ws, const kl_sway_config *c, size_t n, double rate_hz);

/* kl_sway_compute with a workspace (no allocation once it is warm). */
int kl_sway_compute_ws(kl_sway_ws *ws, const kl_sway_config *c, const float *ap, const float *ml, size_t n,
                       size_t stride, double rate_hz, kl_sway_metrics *out);

#endif
