/* Numerical hostility (robustness issue): constant and all-zero signals,
 * full-scale clipping, huge values, denormals, NaN/Inf runs, single-sample
 * spikes, 1- and 2-frame inputs, 10 kHz and 1 Hz rates. Each must give a
 * defined result or a clear error; never a NaN score, never a hang. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/klonos.h"

#define G 9.80665f

typedef void (*gen_fn)(float *f, size_t i, double rate);

static void gen_constant(float *f, size_t i, double rate) { (void)i; (void)rate; f[0] = G; f[1] = 0; f[2] = 0; }
static void gen_zero(float *f, size_t i, double rate) { (void)i; (void)rate; f[0] = f[1] = f[2] = 0; }
static void gen_clipped(float *f, size_t i, double rate) {
  double t = (double)i / rate;
  float v = (float)(200.0 * sin(2 * M_PI * 1.7 * t)); /* far beyond 8 g, then clipped */
  f[0] = fmaxf(-8 * G, fminf(8 * G, G + v));
  f[1] = fmaxf(-8 * G, fminf(8 * G, v));
  f[2] = 0;
}
static void gen_huge(float *f, size_t i, double rate) { (void)rate; f[0] = (i % 2) ? 9.9e5f : -9.9e5f; f[1] = 1e5f; f[2] = 0; }
static void gen_denormal(float *f, size_t i, double rate) { (void)rate; f[0] = G; f[1] = (i % 3) ? FLT_TRUE_MIN : 0; f[2] = FLT_MIN / 3; }
static void gen_nan_runs(float *f, size_t i, double rate) {
  double t = (double)i / rate;
  int gap = (int)(t / 7) % 2 == 1;
  f[0] = gap ? NAN : (float)(G + 0.05 * sin(t));
  f[1] = gap ? NAN : (float)(0.05 * cos(3 * t));
  f[2] = gap ? NAN : 0;
}
static void gen_spikes(float *f, size_t i, double rate) {
  (void)rate;
  f[0] = G;
  f[1] = (i % 1000 == 500) ? 150.0f : 0.0f;
  f[2] = 0;
}

/* Run the analyzer and check every score is a number in 0..100 or absent. */
static int run(gen_fn gen, double rate, size_t frames, int nch) {
  klonos_analyzer *a = NULL;
  int rc = klonos_analyzer_open(&a, rate, nch, NULL);
  if (rc == KLONOS_OK) {
    float *buf = malloc(sizeof(float) * (size_t)nch * 4096);
    for (size_t i = 0; i < frames && rc == KLONOS_OK;) {
      size_t n = frames - i < 4096 ? frames - i : 4096;
      for (size_t k = 0; k < n; k++) {
        float f[3];
        gen(f, i + k, rate);
        memcpy(buf + k * (size_t)nch, f, sizeof f);
        if (nch == 6) buf[k * 6 + 3] = buf[k * 6 + 4] = buf[k * 6 + 5] = 0;
      }
      rc = klonos_analyzer_push_f32(a, buf, n);
      i += n;
    }
    free(buf);
    if (rc == KLONOS_OK) rc = klonos_analyzer_finish(a);
    if (rc == KLONOS_OK) {
      klonos_scores s;
      cr_assert_eq(klonos_analyzer_scores(a, &s), KLONOS_OK);
      const double v[4] = {s.motor, s.myoclonus, s.stance, s.gait};
      for (int k = 0; k < 4; k++)
        cr_assert(isnan(v[k]) ? !(s.components_used & (k ? 1 << (k - 1) : 0)) : (v[k] >= 0 && v[k] <= 100),
                  "score %d = %g", k, v[k]);
      size_t need = 0;
      cr_assert(klonos_analyzer_report_json(a, NULL, NULL, 0, &need) == KLONOS_E_RANGE || need > 0);
      char *json = malloc(need);
      cr_assert_eq(klonos_analyzer_report_json(a, NULL, json, need, &need), KLONOS_OK);
      cr_assert_null(strstr(json, "nan"), "NaN leaked into the report");
      cr_assert_null(strstr(json, "inf"), "Inf leaked into the report");
      free(json);
    }
  }
  klonos_analyzer_close(&a);
  return rc;
}

Test(hostile, constant_zero_clipped_denormal_spikes, .timeout = 60) {
  const gen_fn gens[] = {gen_constant, gen_zero, gen_clipped, gen_denormal, gen_spikes, gen_nan_runs};
  for (size_t g = 0; g < sizeof gens / sizeof gens[0]; g++) cr_assert_eq(run(gens[g], 100, 100 * 600, 3), KLONOS_OK, "generator %zu", g);
}

Test(hostile, huge_values_are_refused_not_analysed) {
  /* +-9.9e5 m/s^2 is accepted as a number (|x| <= 1e6) and must not break anything */
  cr_assert_eq(run(gen_huge, 100, 100 * 120, 3), KLONOS_OK);
  /* 1e30 is not an acceleration: a clear error */
  klonos_analyzer *a = NULL;
  cr_assert_eq(klonos_analyzer_open(&a, 100, 3, NULL), KLONOS_OK);
  float f[3] = {1e30f, 0, 0};
  cr_assert_eq(klonos_analyzer_push_f32(a, f, 1), KLONOS_E_VALUE);
  cr_assert(strstr(klonos_analyzer_error(a), "plausible"));
  klonos_analyzer_close(&a);
}

Test(hostile, one_and_two_frames) {
  cr_assert_eq(run(gen_constant, 100, 1, 3), KLONOS_OK);
  cr_assert_eq(run(gen_constant, 100, 2, 6), KLONOS_OK);
  cr_assert_eq(run(gen_constant, 100, 0, 3), KLONOS_OK);
}

Test(hostile, extreme_rates, .timeout = 120) {
  cr_assert_eq(run(gen_spikes, 10000, 10000 * 30, 3), KLONOS_OK, "10 kHz");
  cr_assert_eq(run(gen_constant, 1, 600, 3), KLONOS_E_RATE, "1 Hz is refused with a reason");
}
