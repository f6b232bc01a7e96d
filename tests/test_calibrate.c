/* Autocalibration recovers a known offset and gain from still periods in
 * many orientations, and refuses when the orientations do not cover the sphere. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "cond/calibrate.h"
#include "klonos/status.h"

#define G 9.80665

static unsigned lcg(unsigned *s) { return *s = *s * 1664525u + 1013904223u; }
static double unif(unsigned *s) { return (lcg(s) >> 8) / 16777216.0; }

/* Still 20 s periods (each holds at least one whole 10 s window) in n random orientations, distorted by offset/gain. */
static void feed(kl_calibrator *c, int n_orient, const double off[3], const double gain[3], int hemisphere_only) {
  unsigned s = 99;
  float *buf = malloc(sizeof(float) * 3 * 2000);
  for (int k = 0; k < n_orient; k++) {
    double z = hemisphere_only ? unif(&s) : 2 * unif(&s) - 1, phi = 2 * M_PI * unif(&s), r = sqrt(1 - z * z);
    double u[3] = {r * cos(phi), r * sin(phi), z};
    if (hemisphere_only) { u[0] = fabs(u[0]) * 0.2 + 0.1; }
    double nn = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    for (int i = 0; i < 2000; i++)
      for (int a = 0; a < 3; a++) {
        double true_g = u[a] / nn + 0.002 * (unif(&s) - 0.5);
        buf[3 * i + a] = (float)((true_g / gain[a] - off[a]) * G); /* raw = true/gain - offset */
      }
    kl_calibrator_push(c, buf, 2000);
  }
  free(buf);
}

Test(calibrate, recovers_offset_and_gain) {
  kl_calibrator *c = NULL;
  cr_assert_eq(kl_calibrator_create(&c, 100.0), KLONOS_OK);
  const double off[3] = {0.03, -0.05, 0.02}, gain[3] = {1.02, 0.97, 1.01};
  feed(c, 40, off, gain, 0);
  kl_calib_result r;
  cr_assert_eq(kl_calibrator_fit(c, &r), KLONOS_OK, "%s", r.why);
  for (int a = 0; a < 3; a++) {
    cr_assert_float_eq(r.offset_g[a], off[a], 0.002, "offset %d: %f", a, r.offset_g[a]);
    cr_assert_float_eq(r.scale[a], gain[a], 0.002, "scale %d: %f", a, r.scale[a]);
  }
  cr_assert_gt(r.error_before_mg, 20.0);
  cr_assert_lt(r.error_after_mg, 2.0, "after %.3f mg", r.error_after_mg);
  cr_assert_geq(r.n_points, 40);
  /* applying it puts a still frame back on 1 g */
  float f[3] = {(float)((0.0 / gain[0] - off[0]) * G), (float)((0.0 / gain[1] - off[1]) * G), (float)((1.0 / gain[2] - off[2]) * G)};
  kl_calib_apply(&r, f, 1, 3);
  cr_assert_float_eq(sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]), G, 0.02);
  kl_calibrator_destroy(&c);
}

Test(calibrate, refuses_with_too_few_orientations) {
  kl_calibrator *c = NULL;
  kl_calibrator_create(&c, 100.0);
  const double off[3] = {0, 0, 0}, gain[3] = {1, 1, 1};
  feed(c, 30, off, gain, 1);
  kl_calib_result r;
  cr_assert_eq(kl_calibrator_fit(c, &r), KLONOS_E_NODATA);
  cr_assert(strstr(r.why, "too few still orientations"), "%s", r.why);
  kl_calibrator_destroy(&c);
}

Test(calibrate, refuses_when_never_still) {
  kl_calibrator *c = NULL;
  kl_calibrator_create(&c, 50.0);
  unsigned s = 1;
  float f[3];
  for (int i = 0; i < 50 * 600; i++) {
    for (int a = 0; a < 3; a++) f[a] = (float)(3.0 * (unif(&s) - 0.5));
    kl_calibrator_push(c, f, 1);
  }
  kl_calib_result r;
  cr_assert_eq(kl_calibrator_fit(c, &r), KLONOS_E_NODATA);
  cr_assert(strstr(r.why, "still"), "%s", r.why);
  kl_calibrator_destroy(&c);
}
