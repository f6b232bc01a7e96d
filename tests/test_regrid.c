/* The timestamp regridder against analytic truth: a ramp sampled at
 * irregular times must come back exactly on the uniform grid. */
#include <criterion/criterion.h>
#include <math.h>

#include "io/regrid.h"

static klonos_reader *fake_reader(void) {
  static klonos_reader r; /* test-only scratch; the library has no globals */
  memset(&r, 0, sizeof r);
  r.path = "ramp";
  r.info.sample_rate_hz = 100.0;
  return &r;
}

Test(regrid, linear_interpolation_of_a_ramp_is_exact) {
  klonos_reader *r = fake_reader();
  kl_regrid g;
  kl_regrid_init(&g, 3, 100.0, 1.0);
  float out[4096 * 3];
  size_t n = 0;
  double t = 1000.0;
  for (int i = 0; i < 500; i++) {
    float v[3] = {(float)(2.0 * (t - 1000.0)), 1.0f, -(float)(t - 1000.0)};
    cr_assert_eq(kl_regrid_push(&g, r, t, v, "row"), KLONOS_OK);
    n += kl_regrid_drain(&g, r, out + n * 3, 4096 - n);
    t += 0.01 * (0.8 + 0.4 * ((i * 7919) % 100) / 100.0); /* jittered steps */
  }
  cr_assert_gt(n, 400);
  for (size_t k = 0; k < n; k++) {
    double tk = (double)k / 100.0;
    cr_assert_float_eq(out[k * 3 + 0], 2.0 * tk, 1e-4, "frame %zu", k);
    cr_assert_float_eq(out[k * 3 + 2], -tk, 1e-4);
  }
  cr_assert_eq(r->stats.gap_count, 0);
}

Test(regrid, gap_becomes_nan_and_is_reported) {
  klonos_reader *r = fake_reader();
  kl_regrid g;
  kl_regrid_init(&g, 3, 10.0, 1.0);
  float v[3] = {1, 2, 3};
  float out[200 * 3];
  size_t n = 0;
  const double times[] = {0.0, 0.1, 0.2, 3.2, 3.3};
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(kl_regrid_push(&g, r, times[i], v, "row"), KLONOS_OK);
    n += kl_regrid_drain(&g, r, out + n * 3, 200 - n);
  }
  cr_assert_eq(n, 34);               /* 0.0 .. 3.3 s at 10 Hz */
  cr_assert_eq(r->stats.gap_count, 1);
  cr_assert_float_eq(r->stats.gap_total_s, 3.0, 1e-9);
  cr_assert_eq(r->stats.nan_frames, 29); /* 0.3 .. 3.1 s */
  cr_assert(isnan(out[3 * 3]) && isnan(out[31 * 3]));
  cr_assert_float_eq(out[2 * 3], 1.0f, 0);
  cr_assert_float_eq(out[32 * 3], 1.0f, 0);
  cr_assert_eq(r->stats.notice_count, 1);
  cr_assert_eq(r->notices[0].kind, KLONOS_NOTICE_GAP);
}

Test(regrid, time_going_backwards_is_an_error) {
  klonos_reader *r = fake_reader();
  kl_regrid g;
  kl_regrid_init(&g, 3, 100.0, 1.0);
  float v[3] = {0};
  cr_assert_eq(kl_regrid_push(&g, r, 5.0, v, "line 2"), KLONOS_OK);
  cr_assert_eq(kl_regrid_push(&g, r, 5.0, v, "line 3"), KLONOS_E_TIME);
  cr_assert(strstr(r->error, "line 3") && strstr(r->error, "duplicate"));
  cr_assert_eq(kl_regrid_push(&g, r, 4.0, v, "line 4"), KLONOS_E_TIME);
  cr_assert(strstr(r->error, "before"));
}

Test(regrid, absurd_jump_is_an_error_not_a_hang) {
  klonos_reader *r = fake_reader();
  kl_regrid g;
  kl_regrid_init(&g, 3, 100.0, 1.0);
  float v[3] = {0};
  cr_assert_eq(kl_regrid_push(&g, r, 0.0, v, "line 2"), KLONOS_OK);
  cr_assert_eq(kl_regrid_push(&g, r, 1e9, v, "line 3"), KLONOS_E_TIME);
  cr_assert(strstr(r->error, "line 3") && strstr(r->error, "days"), "%s", r->error);
}
