/* Private: accelerometer autocalibration from still periods.
 *
 * van Hees VT et al. (2014), "Autocalibration of accelerometer data for
 * free-living physical activity assessment using local gravity and
 * temperature: an evaluation on four continents", J Appl Physiol
 * 117:738-744 (as implemented in GGIR, without the temperature term):
 *  - the recording is cut into non-overlapping 10 s windows; a window is
 *    "still" when the standard deviation of every axis is below 13 mg; its
 *    per-axis mean is a point that should lie on the unit sphere (1 g);
 *  - the fit needs the sphere to be covered: on every axis some point must
 *    be below -0.3 g and some above +0.3 g, otherwise calibration is refused;
 *  - offset o and gain s per axis (corrected = (raw + o) * s) are found by
 *    iterating: project the corrected points onto the unit sphere, then
 *    regress (weighted least squares, per axis) the projections on the raw
 *    values; weights 1 / max(residual, 0.01 g), capped at 100, damp
 *    outliers; stop when the mean change is below 1e-9 or after 1000 rounds.
 * The calibration error is the mean | |a| - 1 g | over the still points,
 * reported before and after, in mg. */
#ifndef KLONOS_COND_CALIBRATE_H
#define KLONOS_COND_CALIBRATE_H

#include <stddef.h>

typedef struct kl_calib_result {
  double offset_g[3];
  double scale[3];
  double error_before_mg;
  double error_after_mg;
  size_t n_points;
  int iterations;
  char why[160];          /* reason when refused */
} kl_calib_result;

typedef struct kl_calibrator kl_calibrator;

int kl_calibrator_create(kl_calibrator **out, double rate_hz);
void kl_calibrator_destroy(kl_calibrator **c);
/* Interleaved xyz frames in m/s^2 (NaN frames end the current window). */
int kl_calibrator_push(kl_calibrator *c, const float *xyz, size_t frames);
/* Fit; KLONOS_OK, or KLONOS_E_NODATA with res->why explaining the refusal. */
int kl_calibrator_fit(kl_calibrator *c, kl_calib_result *res);
/* Apply to interleaved xyz frames in m/s^2, in place. */
void kl_calib_apply(const kl_calib_result *res, float *xyz, size_t frames, int stride);

#endif
