/* The analyzer end to end on signals whose states are known, at several
 * input rates and chunk sizes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "klonos/klonos.h"

#define G 9.80665

/* 60 s still, 60 s walking, 60 s lying; sensor x = V, z = -AP (lower back). */
static float *make(double rate, size_t *n_out) {
  size_t n = (size_t)(180 * rate);
  float *f = malloc(sizeof(float) * 3 * n);
  unsigned s = 7;
  for (size_t i = 0; i < n; i++) {
    double t = i / rate, v = G, ml = 0, ap = 0;
    s = s * 1664525u + 1013904223u;
    double nz = ((s >> 8) / 16777216.0 - 0.5) * 0.05;
    if (t < 60) { ap = 0.08 * sin(2 * M_PI * 0.5 * t) + nz; ml = 0.05 * sin(2 * M_PI * 0.3 * t); }
    else if (t < 120) { v += 2.0 * sin(2 * M_PI * 1.8 * t) + 0.6 * sin(4 * M_PI * 1.8 * t) + nz; ap = 1.2 * sin(2 * M_PI * 1.8 * t + 0.8); ml = 0.8 * sin(M_PI * 1.8 * t); }
    else { v = nz; ap = G; }
    f[3 * i] = (float)v; f[3 * i + 1] = (float)ml; f[3 * i + 2] = (float)-ap;
  }
  *n_out = n;
  return f;
}

static klonos_analyzer *analyse(double rate, size_t chunk) {
  size_t n;
  float *f = make(rate, &n);
  klonos_analyzer_config c;
  klonos_analyzer_config_default(&c);
  c.nonwear_window_s = 600;
  klonos_analyzer *a = NULL;
  cr_assert_eq(klonos_analyzer_open(&a, rate, 3, &c), KLONOS_OK, "%s", klonos_analyzer_error(a));
  for (size_t p = 0; p < n; p += chunk)
    cr_assert_eq(klonos_analyzer_push_f32(a, f + 3 * p, p + chunk > n ? n - p : chunk), KLONOS_OK);
  cr_assert_eq(klonos_analyzer_finish(a), KLONOS_OK, "%s", klonos_analyzer_error(a));
  free(f);
  return a;
}

static void expect_states(klonos_analyzer *a, double rate) {
  double still, walk, lying, dur;
  klonos_analyzer_state_seconds(a, KLONOS_STATE_UPRIGHT_STILL, &still);
  klonos_analyzer_state_seconds(a, KLONOS_STATE_WALKING, &walk);
  klonos_analyzer_state_seconds(a, KLONOS_STATE_LYING, &lying);
  klonos_analyzer_duration_s(a, &dur);
  cr_assert_float_eq(dur, 180.0, 0.05, "%g Hz: duration %g", rate, dur);
  cr_assert_float_eq(still, 60, 4.1, "%g Hz: still %g s", rate, still);
  cr_assert_float_eq(walk, 60, 4.1, "%g Hz: walking %g s", rate, walk);
  cr_assert_float_eq(lying, 60, 4.1, "%g Hz: lying %g s", rate, lying);
  size_t nb;
  klonos_analyzer_bout_count(a, &nb);
  cr_assert_geq(nb, 3);
  klonos_bout b;
  int found_walk = 0;
  for (size_t i = 0; i < nb; i++) {
    klonos_analyzer_bout_get(a, i, &b);
    if (b.state == KLONOS_STATE_WALKING && b.end_s - b.start_s > 30) {
      cr_assert_float_eq(b.mean_cadence_spm, 108.0, 2.0, "cadence %g", b.mean_cadence_spm);
      found_walk = 1;
    }
  }
  cr_assert(found_walk);
}

Test(analyzer, states_at_100_50_and_200_hz) {
  const double rates[] = {100, 50, 200, 128};
  for (int k = 0; k < 4; k++) {
    klonos_analyzer *a = analyse(rates[k], 4096);
    expect_states(a, rates[k]);
    klonos_analyzer_close(&a);
    cr_assert_null(a);
  }
}

Test(analyzer, chunking_gives_identical_bouts) {
  const size_t chunks[] = {1, 7, 4096};
  for (int r = 0; r < 2; r++) {
    double rate = r ? 50 : 100;
    klonos_analyzer *ref = analyse(rate, chunks[0]);
    size_t n0;
    klonos_analyzer_bout_count(ref, &n0);
    for (int k = 1; k < 3; k++) {
      klonos_analyzer *a = analyse(rate, chunks[k]);
      size_t n1;
      klonos_analyzer_bout_count(a, &n1);
      cr_assert_eq(n0, n1);
      for (size_t i = 0; i < n0; i++) {
        klonos_bout b0, b1;
        klonos_analyzer_bout_get(ref, i, &b0);
        klonos_analyzer_bout_get(a, i, &b1);
        cr_assert_arr_eq(&b0, &b1, sizeof b0, "rate %g chunk %zu bout %zu", rate, chunks[k], i);
      }
      klonos_analyzer_close(&a);
    }
    klonos_analyzer_close(&ref);
  }
}

Test(analyzer, bad_arguments) {
  klonos_analyzer *a = NULL;
  cr_assert_eq(klonos_analyzer_open(&a, 100, 2, NULL), KLONOS_E_CHANNELS);
  cr_assert(strstr(klonos_analyzer_error(a), "channel_count 2"));
  klonos_analyzer_close(&a);
  cr_assert_eq(klonos_analyzer_open(&a, 0, 3, NULL), KLONOS_E_RATE);
  klonos_analyzer_close(&a);
  cr_assert_eq(klonos_analyzer_open(&a, 5, 3, NULL), KLONOS_E_RATE);
  cr_assert(strstr(klonos_analyzer_error(a), "too low"));
  klonos_analyzer_close(&a);
  cr_assert_eq(klonos_analyzer_open(&a, NAN, 3, NULL), KLONOS_E_RATE);
  klonos_analyzer_close(&a);
  klonos_analyzer_config c;
  klonos_analyzer_config_default(&c);
  snprintf(c.axes, sizeof c.axes, "V,ML,AP");
  cr_assert_eq(klonos_analyzer_open(&a, 100, 3, &c), KLONOS_E_INVAL);
  cr_assert(strstr(klonos_analyzer_error(a), "right-handed"));
  klonos_analyzer_close(&a);
  klonos_analyzer_config_default(&c);
  snprintf(c.placement, sizeof c.placement, "elbow");
  cr_assert_eq(klonos_analyzer_open(&a, 100, 3, &c), KLONOS_E_INVAL);
  klonos_analyzer_close(&a);
  cr_assert_eq(klonos_analyzer_open(&a, 100, 3, NULL), KLONOS_OK);
  size_t n;
  cr_assert_eq(klonos_analyzer_bout_count(a, &n), KLONOS_E_STATE, "results before finish");
  float inf3[3] = {INFINITY, 0, 0};
  cr_assert_eq(klonos_analyzer_push_f32(a, inf3, 1), KLONOS_E_VALUE);
  cr_assert_eq(klonos_analyzer_push_f32(a, inf3, 1), KLONOS_E_VALUE, "errors are sticky");
  klonos_analyzer_close(&a);
  cr_assert_str_eq(klonos_state_name(KLONOS_STATE_UPRIGHT_STILL), "upright_still");
  cr_assert_str_eq(klonos_state_name(42), "unknown");
}

Test(analyzer, empty_input_gives_zero_duration) {
  klonos_analyzer *a = NULL;
  cr_assert_eq(klonos_analyzer_open(&a, 100, 6, NULL), KLONOS_OK);
  cr_assert_eq(klonos_analyzer_finish(a), KLONOS_OK);
  double d;
  size_t n;
  klonos_analyzer_duration_s(a, &d);
  klonos_analyzer_bout_count(a, &n);
  cr_assert_eq(d, 0.0);
  cr_assert_eq(n, 0);
  cr_assert_eq(klonos_analyzer_push_f32(a, NULL, 0), KLONOS_E_STATE);
  klonos_analyzer_close(&a);
}
