/* Welch PSD, spectral moments and unbiased autocorrelation against analytic
 * truth (Parseval, pure tones, flat spectra, periodic signals) and against
 * scipy.signal.welch (scipy 1.10.1) on a fixed signal. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/autocorr.h"
#include "dsp/spectral.h"
#include "dsp/welch.h"
#include "klonos/status.h"

static const double PI = 3.14159265358979323846;

/* Deterministic Gaussian noise: xorshift64 + Box-Muller. */
typedef struct {
  uint64_t s;
} rng;
static double urand(rng *r) {
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return ((double)(r->s >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double grand(rng *r) { return sqrt(-2.0 * log(urand(r))) * cos(2.0 * PI * urand(r)); }

static double *welch_of(const float *x, size_t n, size_t nfft, size_t overlap, double fs, size_t *nbins) {
  kl_welch *w = NULL;
  cr_assert_eq(kl_welch_create(&w, nfft, overlap, fs), KLONOS_OK);
  cr_assert_eq(kl_welch_push(w, x, n), KLONOS_OK);
  double *psd = malloc(sizeof(double) * kl_welch_nbins(w));
  cr_assert_eq(kl_welch_result(w, psd, nbins), KLONOS_OK);
  kl_welch_destroy(&w);
  cr_assert_null(w);
  return psd;
}

/* ---- Welch --------------------------------------------------------------- */

Test(dsp_psd, white_noise_level_and_parseval) {
  const double fs = 100.0, sigma = 2.0;
  const size_t n = 1 << 18, nfft = 512;
  rng r = {12345};
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) x[i] = (float)(3.0 + sigma * grand(&r)); /* an offset: detrending removes it */
  size_t nb;
  double *psd = welch_of(x, n, nfft, KL_WELCH_OVERLAP_DEFAULT, fs, &nb);
  cr_assert_eq(nb, nfft / 2 + 1);
  double df = fs / (double)nfft, mean = 0.0, integral = 0.0;
  for (size_t k = 1; k + 1 < nb; k++) mean += psd[k];
  mean /= (double)(nb - 2);
  for (size_t k = 0; k < nb; k++) integral += psd[k] * df;
  double level = 2.0 * sigma * sigma / fs; /* one-sided white-noise density */
  cr_assert_lt(fabs(mean / level - 1.0), 0.05, "mean PSD %g, expected %g", mean, level);
  cr_assert_lt(fabs(integral / (sigma * sigma) - 1.0), 0.03, "integral %g, variance %g", integral, sigma * sigma);
  /* The segment mean is removed (the offset of 3 would dominate otherwise);
   * what is left at DC is the windowed noise's mean: E = sigma^2 (sum w^2 -
   * (sum w)^2 / N) / (fs sum w^2) = level / 6 for a Hann window. */
  cr_assert_lt(fabs(psd[0] / (level / 6.0) - 1.0), 0.15, "DC bin %g, expected %g", psd[0], level / 6.0);
  free(x);
  free(psd);
}

Test(dsp_psd, bin_centred_tone_peak_and_power) {
  const double fs = 100.0, a = 3.0;
  const size_t n = 20000, nfft = 1000; /* df = 0.1 Hz */
  const double f0 = 12.3;
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) x[i] = (float)(a * sin(2.0 * PI * f0 * (double)i / fs + 0.4));
  size_t nb;
  double *psd = welch_of(x, n, nfft, KL_WELCH_OVERLAP_DEFAULT, fs, &nb);
  size_t peak = 0;
  for (size_t k = 1; k < nb; k++)
    if (psd[k] > psd[peak]) peak = k;
  cr_assert_eq(peak, 123);
  double p = 0.0, df = fs / (double)nfft;
  for (size_t k = peak - 3; k <= peak + 3; k++) p += psd[k] * df;
  cr_assert_lt(fabs(p / (a * a / 2.0) - 1.0), 0.02, "tone power %g, expected %g", p, a * a / 2.0);
  /* Hann main lobe of a bin-centred tone: neighbours at 1/4 of the peak. */
  cr_assert_float_eq(psd[peak - 1] / psd[peak], 0.25, 1e-4);
  free(x);
  free(psd);
}

Test(dsp_psd, off_bin_tone_power) {
  const double fs = 100.0, a = 0.7, f0 = 7.3456;
  const size_t n = 30000, nfft = 512;
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) x[i] = (float)(a * cos(2.0 * PI * f0 * (double)i / fs));
  size_t nb;
  double *psd = welch_of(x, n, nfft, 128, fs, &nb);
  double df = fs / (double)nfft, p = 0.0;
  size_t k0 = (size_t)lround(f0 / df);
  size_t peak = 0;
  for (size_t k = 1; k < nb; k++)
    if (psd[k] > psd[peak]) peak = k;
  cr_assert_eq(peak, k0);
  for (size_t k = k0 - 6; k <= k0 + 6; k++) p += psd[k] * df;
  cr_assert_lt(fabs(p / (a * a / 2.0) - 1.0), 0.02, "tone power %g, expected %g", p, a * a / 2.0);
  free(x);
  free(psd);
}

/* scipy 1.10.1: t = arange(4000)/100;
 *   x = sin(2 pi 3.1 t) + 0.5 cos(2 pi 7.3 t + 0.2) + 0.001 arange(4000)
 *   welch(x, fs=100, nperseg=128, noverlap=64)  and  nperseg=127, noverlap=30 */
Test(dsp_psd, matches_scipy_welch) {
  const size_t n = 4000;
  double *x = malloc(sizeof(double) * n);
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / 100.0;
    x[i] = sin(2.0 * PI * 3.1 * t) + 0.5 * cos(2.0 * PI * 7.3 * t + 0.2) + 0.001 * (double)i;
  }
  const struct {
    size_t nfft, overlap, k[6];
    double ref[6];
    int nref;
  } cases[] = {
      {128, 64, {0, 1, 4, 9, 10, 64},
       {0.00013311097396334867, 0.00045529492565085509, 0.42609242901116401, 0.091459883435580591,
        0.060243094355684694, 1.1251782101848848e-13},
       6},
      {127, 30, {0, 1, 4, 9, 63},
       {0.00015255456594028059, 0.00040331135699363442, 0.42153971099602738, 0.096222528718473838,
        1.613953566362162e-13},
       5},
  };
  for (size_t c = 0; c < 2; c++) {
    kl_welch *w = NULL;
    cr_assert_eq(kl_welch_create(&w, cases[c].nfft, cases[c].overlap, 100.0), KLONOS_OK);
    cr_assert_eq(kl_welch_push_d(w, x, n, 1), KLONOS_OK);
    double psd[65];
    size_t nb;
    cr_assert_eq(kl_welch_result(w, psd, &nb), KLONOS_OK);
    cr_assert_eq(nb, cases[c].nfft / 2 + 1);
    for (int j = 0; j < cases[c].nref; j++) {
      double ref = cases[c].ref[j], got = psd[cases[c].k[j]];
      cr_assert_lt(fabs(got - ref), 1e-9 * ref + 1e-15, "nfft %zu bin %zu: %.17g vs %.17g", cases[c].nfft,
                   cases[c].k[j], got, ref);
    }
    kl_welch_destroy(&w);
  }
  free(x);
}

Test(dsp_psd, streaming_chunks_are_bit_identical) {
  const size_t n = 50000;
  rng r = {777};
  float *x = malloc(sizeof(float) * n * 3);
  for (size_t i = 0; i < n * 3; i++) x[i] = (float)grand(&r);
  kl_welch *ref = NULL;
  cr_assert_eq(kl_welch_create(&ref, 256, 200, 50.0), KLONOS_OK);
  cr_assert_eq(kl_welch_push_strided(ref, x + 1, n, 3), KLONOS_OK);
  size_t nb = kl_welch_nbins(ref);
  double *p0 = malloc(sizeof(double) * nb), *p1 = malloc(sizeof(double) * nb);
  cr_assert_eq(kl_welch_result(ref, p0, NULL), KLONOS_OK);
  cr_assert_eq(kl_welch_segments(ref), (n - 256) / 56 + 1);
  const size_t chunks[] = {1, 7, 4096, 256, 56};
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
    kl_welch_reset(ref);
    for (size_t i = 0; i < n; i += chunks[c]) {
      size_t m = n - i < chunks[c] ? n - i : chunks[c];
      cr_assert_eq(kl_welch_push_strided(ref, x + 3 * i + 1, m, 3), KLONOS_OK);
    }
    cr_assert_eq(kl_welch_result(ref, p1, NULL), KLONOS_OK);
    cr_assert(memcmp(p0, p1, sizeof(double) * nb) == 0, "chunks of %zu differ", chunks[c]);
  }
  kl_welch_destroy(&ref);
  free(x);
  free(p0);
  free(p1);
}

Test(dsp_psd, segments_with_nan_are_skipped) {
  const size_t n = 1024;
  float x[1024];
  for (size_t i = 0; i < n; i++) x[i] = (float)sin(0.3 * (double)i);
  x[300] = NAN; /* segments of 128, hop 64: those starting at 192 and 256 */
  kl_welch *w = NULL;
  cr_assert_eq(kl_welch_create(&w, 128, KL_WELCH_OVERLAP_DEFAULT, 10.0), KLONOS_OK);
  cr_assert_eq(kl_welch_push(w, x, n), KLONOS_OK);
  cr_assert_eq(kl_welch_segments(w) + kl_welch_skipped(w), 15);
  cr_assert_eq(kl_welch_skipped(w), 2);
  double psd[65];
  cr_assert_eq(kl_welch_result(w, psd, NULL), KLONOS_OK);
  for (int k = 0; k < 65; k++) cr_assert(isfinite(psd[k]));
  kl_welch_destroy(&w);
}

/* Many threads creating, using and destroying their own objects: planning
 * goes through the library's planner mutex, so this must not crash and every
 * thread must get the same numbers. */
static void *thread_body(void *arg) {
  double *out = arg;
  float x[2048];
  for (int i = 0; i < 2048; i++) x[i] = (float)sin(0.37 * i);
  for (int rep = 0; rep < 20; rep++) {
    kl_welch *w = NULL;
    if (kl_welch_create(&w, 64 + (size_t)(rep % 5) * 32, KL_WELCH_OVERLAP_DEFAULT, 100.0) != KLONOS_OK) return NULL;
    kl_welch_destroy(&w);
  }
  kl_welch *w = NULL;
  if (kl_welch_create(&w, 256, KL_WELCH_OVERLAP_DEFAULT, 100.0) != KLONOS_OK) return NULL;
  kl_welch_push(w, x, 2048);
  kl_welch_result(w, out, NULL);
  kl_welch_destroy(&w);
  return arg;
}

Test(dsp_psd, concurrent_objects) {
  enum { NT = 8 };
  pthread_t th[NT];
  double out[NT][129];
  for (int t = 0; t < NT; t++) cr_assert_eq(pthread_create(&th[t], NULL, thread_body, out[t]), 0);
  for (int t = 0; t < NT; t++) {
    void *ret;
    pthread_join(th[t], &ret);
    cr_assert_not_null(ret);
  }
  for (int t = 1; t < NT; t++) cr_assert(memcmp(out[0], out[t], sizeof out[0]) == 0);
}

/* ---- spectral moments ---------------------------------------------------- */

Test(dsp_psd, two_tones_centroid_and_dispersion) {
  const double fs = 100.0, a1 = 1.0, f1 = 1.2, a2 = 0.5, f2 = 3.7;
  const size_t nfft = 2000, n = 40000; /* df = 0.05 Hz: both tones bin-centred */
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / fs;
    x[i] = (float)(a1 * sin(2.0 * PI * f1 * t) + a2 * sin(2.0 * PI * f2 * t + 1.0));
  }
  size_t nb;
  double *psd = welch_of(x, n, nfft, KL_WELCH_OVERLAP_DEFAULT, fs, &nb);
  double df = fs / (double)nfft;
  kl_spectral_moments m;
  cr_assert_eq(kl_spectral_moments_compute(psd, nb, df, 0.15, 5.0, &m), KLONOS_OK);
  /* Discrete powers P = A^2/2 at f1, f2. The Hann main lobe spreads each tone
   * over bins f-df, f, f+df with weights 1/6, 2/3, 1/6: mu1 is unchanged, mu2
   * gains P*df^2/3 per tone. */
  double p1 = a1 * a1 / 2.0, p2 = a2 * a2 / 2.0;
  double mu0 = p1 + p2, mu1 = p1 * f1 + p2 * f2;
  double mu2 = p1 * (f1 * f1 + df * df / 3.0) + p2 * (f2 * f2 + df * df / 3.0);
  double cen = sqrt(mu2 / mu0), disp = sqrt(1.0 - mu1 * mu1 / (mu0 * mu2));
  cr_assert_lt(fabs(m.mu0 / mu0 - 1.0), 1e-4, "mu0 %g vs %g", m.mu0, mu0);
  cr_assert_lt(fabs(m.mu1 / mu1 - 1.0), 1e-4, "mu1 %g vs %g", m.mu1, mu1);
  cr_assert_lt(fabs(m.mu2 / mu2 - 1.0), 1e-4, "mu2 %g vs %g", m.mu2, mu2);
  cr_assert_lt(fabs(m.centroid_hz / cen - 1.0), 1e-4, "centroid %g vs %g", m.centroid_hz, cen);
  cr_assert_lt(fabs(m.dispersion / disp - 1.0), 1e-3, "dispersion %g vs %g", m.dispersion, disp);
  /* And the ideal line spectrum (no window lobe) within 1%. */
  double mu2i = p1 * f1 * f1 + p2 * f2 * f2;
  cr_assert_lt(fabs(m.centroid_hz / sqrt(mu2i / mu0) - 1.0), 0.01);
  cr_assert_lt(fabs(m.dispersion / sqrt(1.0 - mu1 * mu1 / (mu0 * mu2i)) - 1.0), 0.01);
  /* A single tone: dispersion only from the window lobe (near 0). */
  cr_assert_eq(kl_spectral_moments_compute(psd, nb, df, 0.15, 2.0, &m), KLONOS_OK);
  cr_assert_float_eq(m.centroid_hz, f1, 1e-3);
  cr_assert_lt(m.dispersion, 0.03);
  free(x);
  free(psd);
}

/* Flat density on [lo, hi]: F_p = lo + p (hi - lo), centroid
 * sqrt((hi^3 - lo^3) / (3 (hi - lo))), dispersion from mu1 = (hi^2-lo^2)/2. */
static void flat_truth(double lo, double hi, double *f50, double *f95, double *cen, double *disp) {
  double w = hi - lo, m0 = w, m1 = (hi * hi - lo * lo) / 2.0, m2 = (hi * hi * hi - lo * lo * lo) / 3.0;
  *f50 = lo + 0.5 * w;
  *f95 = lo + 0.95 * w;
  *cen = sqrt(m2 / m0);
  *disp = sqrt(1.0 - m1 * m1 / (m0 * m2));
}

Test(dsp_psd, flat_spectrum_edges_exact) {
  /* A synthetic flat PSD: F50/F95 within one bin, moments within 1%. */
  const double df = 0.1, lo = 0.15, hi = 5.0;
  double psd[501];
  for (int k = 0; k < 501; k++) psd[k] = 0.02;
  kl_spectral_moments m;
  cr_assert_eq(kl_spectral_moments_compute(psd, 501, df, lo, hi, &m), KLONOS_OK);
  double f50, f95, cen, disp;
  flat_truth(lo, hi, &f50, &f95, &cen, &disp);
  cr_assert_lt(fabs(m.f50_hz - f50), df, "F50 %g vs %g", m.f50_hz, f50);
  cr_assert_lt(fabs(m.f95_hz - f95), df, "F95 %g vs %g", m.f95_hz, f95);
  cr_assert_lt(fabs(m.centroid_hz / cen - 1.0), 0.01);
  cr_assert_lt(fabs(m.dispersion / disp - 1.0), 0.01);
  /* Interpolation inside a bin: a single bin holds all the power, F50 is its
   * centre, F95 45% of a bin above it. */
  double one[10] = {0, 0, 0, 0, 1.0, 0, 0, 0, 0, 0};
  cr_assert_eq(kl_spectral_moments_compute(one, 10, 1.0, 0.0, 9.0, &m), KLONOS_OK);
  cr_assert_float_eq(m.f50_hz, 4.0, 1e-12);
  cr_assert_float_eq(m.f95_hz, 4.45, 1e-12);
  cr_assert_float_eq(m.centroid_hz, 4.0, 1e-12);
  cr_assert_float_eq(m.dispersion, 0.0, 1e-6);
  double f;
  cr_assert_eq(kl_spectral_edge(one, 10, 1.0, 0.0, 9.0, 0.25, &f), KLONOS_OK);
  cr_assert_float_eq(f, 3.75, 1e-12);
}

Test(dsp_psd, white_noise_band_edges_from_welch) {
  /* White noise is flat in any band: its Welch PSD over 0.15-5 Hz must give
   * the flat-band F50/F95 within one bin width. */
  const double fs = 100.0;
  const size_t n = 1 << 19, nfft = 1024;
  rng r = {4242};
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) x[i] = (float)grand(&r);
  size_t nb;
  double *psd = welch_of(x, n, nfft, KL_WELCH_OVERLAP_DEFAULT, fs, &nb);
  double df = fs / (double)nfft;
  kl_spectral_moments m;
  cr_assert_eq(kl_spectral_moments_compute(psd, nb, df, 0.15, 5.0, &m), KLONOS_OK);
  double f50, f95, cen, disp;
  flat_truth(0.15, 5.0, &f50, &f95, &cen, &disp);
  cr_assert_lt(fabs(m.f50_hz - f50), df, "F50 %g vs %g (df %g)", m.f50_hz, f50, df);
  cr_assert_lt(fabs(m.f95_hz - f95), df, "F95 %g vs %g (df %g)", m.f95_hz, f95, df);
  cr_assert_lt(fabs(m.centroid_hz / cen - 1.0), 0.02, "centroid %g vs %g", m.centroid_hz, cen);
  cr_assert_lt(fabs(m.dispersion / disp - 1.0), 0.02, "dispersion %g vs %g", m.dispersion, disp);
  /* mu0: band power of unit-variance white noise = 2 * (band width) / fs. */
  cr_assert_lt(fabs(m.mu0 / (2.0 * (5.0 - 0.15) / fs) - 1.0), 0.05, "mu0 %g", m.mu0);
  free(x);
  free(psd);
}

/* ---- autocorrelation ----------------------------------------------------- */

Test(dsp_psd, autocorr_of_sinusoid) {
  const size_t n = 2000, period = 40, max_lag = 200;
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) x[i] = (float)sin(2.0 * PI * (double)i / (double)period + 0.3);
  double ad[201];
  const kl_autocorr_method meth[] = {KL_AUTOCORR_DIRECT, KL_AUTOCORR_FFT, KL_AUTOCORR_AUTO};
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(kl_autocorr_unbiased(x, n, 1, max_lag, 0, meth[k], ad), KLONOS_OK);
    cr_assert_eq(ad[0], 1.0);
    cr_assert_float_eq(ad[period], 1.0, 0.01, "Ad(P) = %g", ad[period]);
    cr_assert_float_eq(ad[2 * period], 1.0, 0.01, "Ad(2P) = %g", ad[2 * period]);
    cr_assert_float_eq(ad[period / 2], -1.0, 0.01, "Ad(P/2) = %g", ad[period / 2]);
    cr_assert_float_eq(ad[period / 4], 0.0, 0.01, "Ad(P/4) = %g", ad[period / 4]);
  }
  free(x);
}

Test(dsp_psd, autocorr_of_white_noise) {
  const size_t n = 20000, max_lag = 300;
  rng r = {99};
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) x[i] = (float)(5.0 + grand(&r));
  double *ad = malloc(sizeof(double) * (max_lag + 1));
  cr_assert_eq(kl_autocorr_unbiased(x, n, 1, max_lag, 1, KL_AUTOCORR_AUTO, ad), KLONOS_OK);
  for (size_t m = 1; m <= max_lag; m++)
    cr_assert_lt(fabs(ad[m]), 5.0 / sqrt((double)(n - m)), "lag %zu: %g", m, ad[m]); /* 5 sigma */
  /* Without removing the mean the offset dominates: 25 / 26 at every lag. */
  cr_assert_eq(kl_autocorr_unbiased(x, n, 1, max_lag, 0, KL_AUTOCORR_AUTO, ad), KLONOS_OK);
  cr_assert_float_eq(ad[100], 25.0 / 26.0, 0.01);
  free(x);
  free(ad);
}

Test(dsp_psd, autocorr_fft_equals_direct) {
  rng r = {31337};
  const size_t sizes[] = {9, 100, 1001, 4096};
  for (size_t s = 0; s < 4; s++) {
    size_t n = sizes[s];
    float *x = malloc(sizeof(float) * n * 3);
    for (size_t i = 0; i < n * 3; i++) x[i] = (float)(grand(&r) + sin(0.2 * (double)i));
    size_t lags[] = {0, 1, n / 3, n - 1};
    for (int l = 0; l < 4; l++) {
      double *a = malloc(sizeof(double) * (lags[l] + 1)), *b = malloc(sizeof(double) * (lags[l] + 1));
      for (int demean = 0; demean < 2; demean++) {
        cr_assert_eq(kl_autocorr_unbiased(x + 2, n, 3, lags[l], demean, KL_AUTOCORR_DIRECT, a), KLONOS_OK);
        cr_assert_eq(kl_autocorr_unbiased(x + 2, n, 3, lags[l], demean, KL_AUTOCORR_FFT, b), KLONOS_OK);
        for (size_t m = 0; m <= lags[l]; m++)
          cr_assert_lt(fabs(a[m] - b[m]), 1e-9, "n %zu lag %zu: %.17g vs %.17g", n, m, a[m], b[m]);
      }
      free(a);
      free(b);
    }
    free(x);
  }
  cr_assert_eq(kl_fft_good_size(1001 + 333), 1350);
  cr_assert_eq(kl_fft_good_size(4096), 4096);
  cr_assert_eq(kl_fft_good_size(4097), 4320);
}

/* ---- bad arguments ------------------------------------------------------- */

Test(dsp_psd, bad_arguments_are_refused) {
  kl_welch *w = (kl_welch *)0x1;
  cr_assert_eq(kl_welch_create(&w, 0, KL_WELCH_OVERLAP_DEFAULT, 100.0), KLONOS_E_INVAL);
  cr_assert_null(w);
  cr_assert_eq(kl_welch_create(&w, 7, KL_WELCH_OVERLAP_DEFAULT, 100.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_create(&w, KL_WELCH_MAX_NFFT + 1, 0, 100.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_create(&w, 64, 64, 100.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_create(&w, 64, 100, 100.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_create(&w, 64, 0, 0.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_create(&w, 64, 0, NAN), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_create(&w, 64, 0, -5.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_create(NULL, 64, 0, 100.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_create(&w, 8, 0, 100.0), KLONOS_OK, "nfft 8 is the minimum");
  double psd[5];
  size_t nb = 0;
  cr_assert_eq(kl_welch_result(w, psd, &nb), KLONOS_E_NODATA, "no full segment yet");
  cr_assert_eq(nb, 5);
  float x[4] = {1, 2, 3, 4};
  cr_assert_eq(kl_welch_push(w, x, 4), KLONOS_OK);
  cr_assert_eq(kl_welch_result(w, psd, NULL), KLONOS_E_NODATA);
  cr_assert_eq(kl_welch_push_strided(w, x, 4, 0), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_push(w, NULL, 4), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_push(NULL, x, 4), KLONOS_E_INVAL);
  cr_assert_eq(kl_welch_result(w, NULL, NULL), KLONOS_E_INVAL);
  kl_welch_destroy(&w);
  kl_welch_destroy(&w);
  kl_welch_destroy(NULL);

  double flat[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  kl_spectral_moments m;
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 1.0, 5.0, 5.0, &m), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 1.0, 6.0, 5.0, &m), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 1.0, -1.0, 5.0, &m), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 0.0, 1.0, 5.0, &m), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, NAN, 1.0, 5.0, &m), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 1.0, 1.0, NAN, &m), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_moments_compute(NULL, 10, 1.0, 1.0, 5.0, &m), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 1.0, 1.0, 5.0, NULL), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 1.0, 20.0, 30.0, &m), KLONOS_E_NODATA, "band above the PSD");
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 1.0, 1.2, 1.8, &m), KLONOS_E_NODATA, "no bin in band");
  double zero[10] = {0};
  cr_assert_eq(kl_spectral_moments_compute(zero, 10, 1.0, 1.0, 5.0, &m), KLONOS_E_NODATA);
  flat[3] = NAN;
  cr_assert_eq(kl_spectral_moments_compute(flat, 10, 1.0, 1.0, 5.0, &m), KLONOS_E_INVAL);
  double f;
  cr_assert_eq(kl_spectral_edge(flat, 10, 1.0, 5.0, 8.0, 1.0, &f), KLONOS_E_INVAL);
  cr_assert_eq(kl_spectral_edge(flat, 10, 1.0, 5.0, 8.0, 0.0, &f), KLONOS_E_INVAL);

  float s[16] = {0};
  double ad[16];
  cr_assert_eq(kl_autocorr_unbiased(s, 16, 1, 16, 0, KL_AUTOCORR_AUTO, ad), KLONOS_E_INVAL, "lag >= n");
  cr_assert_eq(kl_autocorr_unbiased(s, 16, 0, 4, 0, KL_AUTOCORR_AUTO, ad), KLONOS_E_INVAL);
  cr_assert_eq(kl_autocorr_unbiased(s, 0, 1, 0, 0, KL_AUTOCORR_AUTO, ad), KLONOS_E_INVAL);
  cr_assert_eq(kl_autocorr_unbiased(NULL, 16, 1, 4, 0, KL_AUTOCORR_AUTO, ad), KLONOS_E_INVAL);
  cr_assert_eq(kl_autocorr_unbiased(s, 16, 1, 4, 0, (kl_autocorr_method)9, ad), KLONOS_E_INVAL);
  cr_assert_eq(kl_autocorr_unbiased(s, 16, 1, 4, 0, KL_AUTOCORR_FFT, ad), KLONOS_E_NODATA, "zero signal");
  s[5] = NAN;
  cr_assert_eq(kl_autocorr_unbiased(s, 16, 1, 4, 0, KL_AUTOCORR_DIRECT, ad), KLONOS_E_INVAL, "NaN sample");
}
