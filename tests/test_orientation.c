/* Tilt correction and axes: a recording rotated by a known rotation must give
 * the same body-frame signals (within 1 %), whatever the rotation. */
#include <criterion/criterion.h>
#include <math.h>

#include "cond/orientation.h"

#define G 9.80665

Test(orientation, axes_parse) {
  kl_mat3 r;
  cr_assert_eq(kl_axes_parse("V,ML,-AP", &r), 0);
  double x[3] = {1, 0, 0}, b[3];
  kl_mat3_apply(&r, x, b);
  cr_assert_float_eq(b[2], 1.0, 1e-12); /* sensor x is V */
  cr_assert_eq(kl_axes_parse("V,-ML,AP", &r), 0);
  cr_assert_eq(kl_axes_parse("ap, ml ,v", &r), 0);
  cr_assert_eq(kl_axes_parse("V,V,AP", &r), -1);
  cr_assert_eq(kl_axes_parse("V,ML", &r), -1);
  cr_assert_eq(kl_axes_parse("V,ML,AP,", &r), -1);
  cr_assert_eq(kl_axes_parse("V,ML,AP", &r), -1, "a mirror image is not a rotation");
  cr_assert_eq(kl_axes_parse("X,Y,Z", &r), -1);
  cr_assert_eq(kl_placement_default_axes("lower-back", &r), 0);
  cr_assert_eq(kl_placement_default_axes("elbow", &r), -1);
}

/* Body-frame test signal: gravity on V plus sway-like AP/ML and a vertical bounce. */
static void body_signal(int i, double b[3]) {
  double t = i / 100.0;
  b[0] = 0.3 * sin(2 * M_PI * 0.7 * t) + 0.1 * sin(2 * M_PI * 2.1 * t); /* AP */
  b[1] = 0.2 * sin(2 * M_PI * 0.4 * t + 1.0);                            /* ML */
  b[2] = G + 0.5 * sin(2 * M_PI * 1.9 * t);                              /* V */
}

Test(orientation, rotated_recordings_give_the_same_body_signals) {
  const double angles[][3] = {{0, 0, 0}, {0.3, -0.2, 1.0}, {1.2, 0.4, -2.5}, {-0.7, 1.1, 0.2}, {2.0, -0.5, 3.0}};
  for (size_t k = 0; k < sizeof angles / sizeof angles[0]; k++) {
    /* The sensor frame is the body frame rotated by R: sensor = R * body. */
    kl_mat3 rot = kl_mat3_from_euler(angles[k][0], angles[k][1], angles[k][2]);
    const int n = 6000;
    double mean[3] = {0, 0, 0};
    for (int i = 0; i < n; i++) {
      double b[3], s[3];
      body_signal(i, b);
      kl_mat3_apply(&rot, b, s);
      for (int a = 0; a < 3; a++) mean[a] += s[a] / n;
    }
    /* AP hint: the sensor direction that the body's AP maps to (what --axes states). */
    double ap_body[3] = {1, 0, 0}, ap_hint[3];
    kl_mat3_apply(&rot, ap_body, ap_hint);
    kl_mat3 est;
    cr_assert_eq(kl_body_rotation(mean, ap_hint, &est), 0);
    kl_mat3 truth = kl_mat3_transpose(&rot);
    double err_deg = kl_mat3_angle_deg(&est, &truth);
    cr_assert_lt(err_deg, 2.0, "case %zu: orientation off by %.3f deg", k, err_deg);
    double rms_err[3] = {0}, rms[3] = {0};
    for (int i = 0; i < n; i++) {
      double b[3], s[3], back[3];
      body_signal(i, b);
      kl_mat3_apply(&rot, b, s);
      kl_mat3_apply(&est, s, back);
      for (int a = 0; a < 3; a++) {
        double dyn = a == 2 ? b[a] - G : b[a];
        double got = a == 2 ? back[a] - G : back[a];
        rms_err[a] += (got - dyn) * (got - dyn);
        rms[a] += dyn * dyn;
      }
    }
    for (int a = 0; a < 3; a++)
      cr_assert_lt(sqrt(rms_err[a] / rms[a]), 0.01, "case %zu axis %d: relative error %.4f", k, a,
                   sqrt(rms_err[a] / rms[a]));
  }
}

Test(orientation, vertical_hint_falls_back) {
  double g[3] = {0, 0, 9.8}, hint[3] = {0, 0, 1};
  kl_mat3 r;
  cr_assert_eq(kl_body_rotation(g, hint, &r), 0);
  double v[3];
  kl_mat3_apply(&r, g, v);
  cr_assert_float_eq(v[2], 9.8, 1e-9);
  double zero[3] = {0, 0, 0};
  cr_assert_eq(kl_body_rotation(zero, hint, &r), -1);
  double nan3[3] = {NAN, 0, 0};
  cr_assert_eq(kl_body_rotation(nan3, hint, &r), -1);
}

Test(orientation, heading_from_covariance) {
  for (double ang = -1.4; ang < 1.5; ang += 0.35) {
    /* a line of variance 4 along ang plus isotropic 1 */
    double c = cos(ang), s = sin(ang);
    double cxx = 4 * c * c + 1, cyy = 4 * s * s + 1, cxy = 4 * c * s;
    cr_assert_float_eq(kl_heading_from_cov(cxx, cxy, cyy), ang, 1e-9);
  }
}
