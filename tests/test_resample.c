/* Resampling: a sinusoid well inside the pass band survives rate changes,
 * streaming in chunks matches one call, and gaps stay gaps. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "dsp/resample.h"
#include "klonos/status.h"

static size_t run(double in_rate, double out_rate, const float *in, size_t n, float *out, size_t cap, size_t chunk) {
  kl_resampler *r = NULL;
  cr_assert_eq(kl_resampler_create(&r, 3, in_rate, out_rate), KLONOS_OK);
  size_t made_total = 0, pos = 0;
  for (;;) {
    size_t want = n - pos < chunk ? n - pos : chunk;
    size_t used, made;
    int eoi = pos + want == n;
    cr_assert_eq(kl_resampler_process(r, in + pos * 3, want, &used, out + made_total * 3, cap - made_total, &made, eoi), KLONOS_OK);
    pos += used;
    made_total += made;
    if (eoi && used == want && made == 0) break;
    if (made_total == cap) break;
  }
  kl_resampler_destroy(&r);
  return made_total;
}

Test(resample, sinusoid_survives_50_to_100_and_200_to_100) {
  const double rates[] = {50, 200, 128, 100};
  for (int k = 0; k < 4; k++) {
    double fin = rates[k];
    size_t n = (size_t)(30 * fin);
    float *in = malloc(sizeof(float) * 3 * n), *out = malloc(sizeof(float) * 3 * 10000);
    for (size_t i = 0; i < n; i++) {
      double t = i / fin;
      in[3 * i] = (float)(9.8 + sin(2 * M_PI * 2.0 * t));
      in[3 * i + 1] = (float)(0.5 * sin(2 * M_PI * 7.0 * t));
      in[3 * i + 2] = 0;
    }
    size_t m = run(fin, 100.0, in, n, out, 10000, 4096);
    cr_assert(m >= 2990 && m <= 3010, "%g Hz -> %zu frames", fin, m);
    double err = 0;
    size_t cnt = 0;
    for (size_t i = 200; i < m - 200; i++) {
      double t = i / 100.0;
      err = fmax(err, fabs(out[3 * i] - (9.8 + sin(2 * M_PI * 2.0 * t))));
      err = fmax(err, fabs(out[3 * i + 1] - 0.5 * sin(2 * M_PI * 7.0 * t)));
      cnt++;
    }
    cr_assert_lt(err, 0.01, "%g Hz: max error %g", fin, err);
    free(in);
    free(out);
  }
}

Test(resample, chunks_match_one_call) {
  size_t n = 3000;
  float *in = malloc(sizeof(float) * 3 * n), *a = malloc(sizeof(float) * 3 * 7000), *b = malloc(sizeof(float) * 3 * 7000);
  for (size_t i = 0; i < 3 * n; i++) in[i] = (float)sin(0.01 * i);
  size_t ma = run(50, 100, in, n, a, 7000, n);
  size_t mb = run(50, 100, in, n, b, 7000, 7);
  cr_assert_eq(ma, mb);
  cr_assert_arr_eq(a, b, ma * 3 * sizeof(float));
  free(in); free(a); free(b);
}

Test(resample, gaps_stay_gaps) {
  size_t n = 2000;
  float *in = malloc(sizeof(float) * 3 * n), *out = malloc(sizeof(float) * 3 * 5000);
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < 3; c++) in[3 * i + c] = (i >= 800 && i < 1000) ? NAN : 1.0f;
  size_t m = run(100, 200, in, n, out, 5000, 4096);
  int nan_mid = 0, nan_far = 0;
  for (size_t i = 0; i < m; i++) {
    if (isnan(out[3 * i]) && i >= 1650 && i < 1950) nan_mid++;
    if (isnan(out[3 * i]) && (i < 1400 || (i > 2200 && i + 40 < m))) nan_far++; /* the flushed tail may fade */
  }
  cr_assert_eq(nan_mid, 300, "the gap's interior is NaN");
  size_t first_far = 0;
  for (size_t i = 0; i < m; i++)
    if (isnan(out[3 * i]) && (i < 1400 || (i > 2200 && i + 40 < m))) { first_far = i; break; }
  cr_assert_eq(nan_far, 0, "NaN does not spread far: %d frames, first at %zu of %zu", nan_far, first_far, m);
  for (size_t i = 0; i < 1400; i++) cr_assert_float_eq(out[3 * i], 1.0f, 1e-3);
  free(in); free(out);
}

Test(resample, bad_arguments) {
  kl_resampler *r = NULL;
  cr_assert_eq(kl_resampler_create(&r, 0, 100, 100), KLONOS_E_INVAL);
  cr_assert_eq(kl_resampler_create(&r, 3, 0, 100), KLONOS_E_INVAL);
  cr_assert_eq(kl_resampler_create(&r, 3, 1, 1e6), KLONOS_E_RATE);
  cr_assert_null(r);
}
