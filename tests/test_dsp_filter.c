/* Butterworth design, streaming SOS filter and zero-phase filtering, checked
 * against analytic truth: the digital Butterworth magnitude after bilinear
 * pre-warping,
 *   LP |H| = 1/sqrt(1 + (tan(pi f/fs)/tan(pi fc/fs))^(2n)),
 *   HP |H| = 1/sqrt(1 + (tan(pi fc/fs)/tan(pi f/fs))^(2n)),
 *   BP |H| = 1/sqrt(1 + ((W^2 - W0^2)/(W (W2 - W1)))^(2n)), W = tan(pi f/fs),
 * and against scipy.signal.sosfiltfilt outputs (scipy 1.10.1) on a fixed
 * signal. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/butterworth.h"
#include "dsp/filtfilt.h"
#include "dsp/sosfilt.h"
#include "klonos/status.h"

static const double PI = 3.14159265358979323846;

static double analytic_mag(kl_butter_kind kind, int n, double f1, double f2, double fs, double f) {
  double w = tan(PI * f / fs), w1 = tan(PI * f1 / fs), r;
  if (kind == KL_BUTTER_LOWPASS) {
    r = w / w1;
  } else if (kind == KL_BUTTER_HIGHPASS) {
    r = w1 / w;
  } else {
    double w2 = tan(PI * f2 / fs);
    r = (w * w - w1 * w2) / (w * (w2 - w1));
  }
  return 1.0 / sqrt(1.0 + pow(fabs(r), 2.0 * n));
}

static double db(double a) { return 20.0 * log10(a); }

/* Least-squares fit y[i] ~ a cos(wi) + b sin(wi) over [start, start+len):
 * amplitude and phase of the component at f (exact for any length). */
static void fit_tone(const float *y, size_t stride, size_t start, size_t len, double f, double fs, double *amp,
                     double *phase) {
  double w = 2.0 * PI * f / fs, cc = 0, ss = 0, cs = 0, yc = 0, ys = 0;
  for (size_t i = start; i < start + len; i++) {
    double c = cos(w * (double)i), s = sin(w * (double)i), v = y[i * stride];
    cc += c * c, ss += s * s, cs += c * s, yc += v * c, ys += v * s;
  }
  double det = cc * ss - cs * cs;
  double a = (yc * ss - ys * cs) / det, b = (ys * cc - yc * cs) / det;
  *amp = sqrt(a * a + b * b);
  if (phase) *phase = atan2(-b, a); /* y = amp cos(w i + phase) */
}

/* ---- design vs analytic magnitude --------------------------------------- */

static void check_design(kl_butter_kind kind, int order, double f1, double f2, double fs) {
  kl_sos_design d;
  cr_assert_eq(kl_butter_design(&d, kind, order, f1, f2, fs), KLONOS_OK);
  cr_assert_eq(d.n_sections, kind == KL_BUTTER_BANDPASS ? order : (order + 1) / 2);
  /* A log-spaced grid plus the edges themselves. */
  for (int k = 0; k <= 400; k++) {
    double f = k < 400 ? 0.001 * fs * pow(10.0, (double)k / 400.0 * log10(499.0)) : f1;
    if (f >= 0.5 * fs) continue;
    double a = analytic_mag(kind, order, f1, f2, fs, f), m = kl_sos_magnitude(&d, f);
    if (a >= 0.7) { /* pass band and the -3.01 dB point */
      cr_assert_lt(fabs(db(m) - db(a)), 0.1, "kind %d n %d f1 %g f2 %g: %g Hz %.6f dB vs %.6f dB", kind, order, f1,
                   f2, f, db(m), db(a));
    } else if (a > 1e-6) { /* stop band down to -120 dB: same curve */
      cr_assert_lt(fabs(db(m) - db(a)), 0.1, "kind %d n %d: stop band %g Hz %.3f dB vs %.3f dB", kind, order, f,
                   db(m), db(a));
    } else {
      cr_assert_lt(m, 1e-5, "kind %d n %d: %g Hz not attenuated (%g)", kind, order, f, m);
    }
  }
  /* The edges are the -3.01 dB points. */
  cr_assert_float_eq(db(kl_sos_magnitude(&d, f1)), -3.0103, 1e-3);
  if (kind == KL_BUTTER_BANDPASS) cr_assert_float_eq(db(kl_sos_magnitude(&d, f2)), -3.0103, 1e-3);
}

Test(dsp_filter, lowpass_highpass_magnitude_matches_analytic) {
  const double cut[] = {0.25, 3.5, 10.0, 30.0, 45.0};
  for (int n = 1; n <= 8; n++)
    for (size_t c = 0; c < sizeof cut / sizeof cut[0]; c++) {
      check_design(KL_BUTTER_LOWPASS, n, cut[c], 0.0, 100.0);
      check_design(KL_BUTTER_HIGHPASS, n, cut[c], 0.0, 100.0);
    }
}

Test(dsp_filter, bandpass_magnitude_matches_analytic) {
  const double band[][2] = {{0.15, 5.0}, {1.0, 20.0}, {5.0, 6.0}, {0.5, 45.0}};
  for (int n = 1; n <= 8; n++)
    for (size_t c = 0; c < sizeof band / sizeof band[0]; c++)
      check_design(KL_BUTTER_BANDPASS, n, band[c][0], band[c][1], 100.0);
}

Test(dsp_filter, bandpass_centre_gain_is_one) {
  kl_sos_design d;
  cr_assert_eq(kl_butter_bandpass(&d, 4, 0.15, 5.0, 100.0), KLONOS_OK);
  double f0 = atan(sqrt(tan(PI * 0.15 / 100) * tan(PI * 5.0 / 100))) * 100.0 / PI;
  cr_assert_float_eq(kl_sos_magnitude(&d, f0), 1.0, 1e-12);
  cr_assert_lt(kl_sos_magnitude(&d, 0.0), 1e-12);
  cr_assert_lt(kl_sos_magnitude(&d, 50.0), 1e-12);
  cr_assert_lt(fabs(kl_sos_dc_gain(&d)), 1e-12);
  cr_assert_eq(kl_butter_lowpass(&d, 5, 3.5, 100.0), KLONOS_OK);
  cr_assert_float_eq(kl_sos_dc_gain(&d), 1.0, 1e-12);
}

/* ---- measured by filtering sinusoids ------------------------------------- */

/* Filter 60 s of a unit sinusoid and fit its amplitude over the last 30 s. */
static double measured_gain(const kl_sos_design *d, double f, double fs) {
  size_t n = (size_t)(60.0 * fs);
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) x[i] = (float)sin(2.0 * PI * f * (double)i / fs);
  kl_sos_filter flt;
  cr_assert_eq(kl_sos_filter_init(&flt, d, 1), KLONOS_OK);
  kl_sos_filter_process(&flt, x, n);
  double amp;
  fit_tone(x, 1, n / 2, n / 2, f, fs, &amp, NULL);
  free(x);
  return amp;
}

static void check_measured(kl_butter_kind kind, int order, double f1, double f2, const double *freqs, size_t nf) {
  const double fs = 100.0;
  kl_sos_design d;
  cr_assert_eq(kl_butter_design(&d, kind, order, f1, f2, fs), KLONOS_OK);
  for (size_t k = 0; k < nf; k++) {
    double a = analytic_mag(kind, order, f1, f2, fs, freqs[k]), m = measured_gain(&d, freqs[k], fs);
    if (a >= 0.7)
      cr_assert_lt(fabs(db(m) - db(a)), 0.1, "kind %d: %g Hz measured %.4f dB, analytic %.4f dB", kind, freqs[k],
                   db(m), db(a));
    else /* stop band: float signal, so compare within 0.5 dB down to -80 dB */
      cr_assert(a < 1e-4 ? m < 2e-4 : fabs(db(m) - db(a)) < 0.5, "kind %d: stop band %g Hz %.2f dB vs %.2f dB",
                kind, freqs[k], db(m), db(a));
  }
}

Test(dsp_filter, sinusoid_gains_match_analytic) {
  const double lp[] = {0.5, 1.0, 2.0, 3.0, 3.5, 5.0, 8.0, 20.0};
  check_measured(KL_BUTTER_LOWPASS, 4, 3.5, 0.0, lp, sizeof lp / sizeof lp[0]);
  const double hp[] = {0.1, 0.25, 0.5, 1.0, 2.0, 10.0};
  check_measured(KL_BUTTER_HIGHPASS, 3, 0.5, 0.0, hp, sizeof hp / sizeof hp[0]);
  const double bp[] = {0.05, 0.15, 0.5, 1.0, 3.0, 5.0, 10.0, 30.0};
  check_measured(KL_BUTTER_BANDPASS, 2, 0.15, 5.0, bp, sizeof bp / sizeof bp[0]);
}

/* ---- streaming ------------------------------------------------------------ */

static uint64_t rng_state = 88172645463325252ull;
static double urand(void) { /* xorshift64: deterministic, platform independent */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

static void check_chunking(const kl_sos_design *d, int nch) {
  const size_t n = 20000;
  float *ref = malloc(sizeof(float) * n * (size_t)nch), *x = malloc(sizeof(float) * n * (size_t)nch);
  for (size_t i = 0; i < n * (size_t)nch; i++) ref[i] = (float)(9.81 * (i % (size_t)nch == 2) + urand() - 0.5);
  const float x0[8] = {0.0f, 0.0f, 9.81f, 0.0f, 0.0f, 9.81f, 0.0f, 0.0f};
  kl_sos_filter whole;
  cr_assert_eq(kl_sos_filter_init(&whole, d, nch), KLONOS_OK);
  kl_sos_filter_prime(&whole, x0);
  memcpy(x, ref, sizeof(float) * n * (size_t)nch);
  kl_sos_filter_process(&whole, ref, n);
  const size_t chunks[] = {1, 7, 4096, 255, 257};
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
    float *y = malloc(sizeof(float) * n * (size_t)nch);
    memcpy(y, x, sizeof(float) * n * (size_t)nch);
    kl_sos_filter f;
    kl_sos_filter_init(&f, d, nch);
    kl_sos_filter_prime(&f, x0);
    for (size_t i = 0; i < n; i += chunks[c]) {
      size_t m = n - i < chunks[c] ? n - i : chunks[c];
      kl_sos_filter_process(&f, y + i * (size_t)nch, m);
    }
    cr_assert(memcmp(y, ref, sizeof(float) * n * (size_t)nch) == 0, "chunks of %zu differ (nch %d)", chunks[c], nch);
    free(y);
  }
  free(ref);
  free(x);
}

Test(dsp_filter, chunking_is_bit_identical) {
  kl_sos_design d;
  cr_assert_eq(kl_butter_lowpass(&d, 4, 3.5, 100.0), KLONOS_OK);
  for (int nch = 1; nch <= 8; nch++) check_chunking(&d, nch);
  cr_assert_eq(kl_butter_bandpass(&d, 3, 0.15, 5.0, 100.0), KLONOS_OK);
  check_chunking(&d, 3);
  check_chunking(&d, 6);
  cr_assert_eq(kl_butter_highpass(&d, 5, 0.25, 50.0), KLONOS_OK);
  check_chunking(&d, 6);
}

Test(dsp_filter, channels_are_independent) {
  /* Channel c of a 6-channel run equals a 1-channel run of the same data. */
  kl_sos_design d;
  kl_butter_bandpass(&d, 2, 0.5, 10.0, 100.0);
  const size_t n = 5000;
  float *x6 = malloc(sizeof(float) * n * 6), *x1 = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n * 6; i++) x6[i] = (float)(urand() - 0.5);
  for (size_t i = 0; i < n; i++) x1[i] = x6[i * 6 + 4];
  kl_sos_filter f6, f1;
  kl_sos_filter_init(&f6, &d, 6);
  kl_sos_filter_init(&f1, &d, 1);
  kl_sos_filter_process(&f6, x6, n);
  kl_sos_filter_process(&f1, x1, n);
  for (size_t i = 0; i < n; i++) cr_assert_eq(x1[i], x6[i * 6 + 4], "frame %zu", i);
  free(x6);
  free(x1);
}

Test(dsp_filter, primed_lowpass_passes_gravity_without_ringing) {
  const float g[3] = {0.12f, -0.3f, 9.81f};
  const struct {
    int order;
    double fc, fs;
  } cases[] = {{4, 3.5, 100.0}, {8, 0.25, 100.0}, {2, 20.0, 100.0}, {3, 0.1, 1000.0}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    kl_sos_design d;
    cr_assert_eq(kl_butter_lowpass(&d, cases[c].order, cases[c].fc, cases[c].fs), KLONOS_OK);
    kl_sos_filter f;
    kl_sos_filter_init(&f, &d, 3);
    kl_sos_filter_prime(&f, g);
    float x[3 * 2000];
    for (size_t i = 0; i < 2000; i++) memcpy(x + 3 * i, g, sizeof g);
    kl_sos_filter_process(&f, x, 2000);
    for (size_t i = 0; i < 3 * 2000; i++)
      cr_assert_lt(fabsf(x[i] - g[i % 3]), 1e-5f, "case %zu sample %zu: %.9g", c, i / 3, (double)x[i]);
  }
  /* Unprimed, the same low-pass visibly rings: priming is what helps. */
  kl_sos_design d;
  kl_butter_lowpass(&d, 4, 3.5, 100.0);
  kl_sos_filter f;
  kl_sos_filter_init(&f, &d, 1);
  float v = 9.81f;
  kl_sos_filter_process(&f, &v, 1);
  cr_assert_lt(v, 1.0f);
}

Test(dsp_filter, primed_highpass_and_bandpass_output_zero_on_dc) {
  const float g[1] = {9.81f};
  kl_sos_design d[2];
  kl_butter_highpass(&d[0], 4, 0.5, 100.0);
  kl_butter_bandpass(&d[1], 4, 0.15, 5.0, 100.0);
  for (int k = 0; k < 2; k++) {
    kl_sos_filter f;
    kl_sos_filter_init(&f, &d[k], 1);
    kl_sos_filter_prime(&f, g);
    float x[1000];
    for (int i = 0; i < 1000; i++) x[i] = 9.81f;
    kl_sos_filter_process(&f, x, 1000);
    for (int i = 0; i < 1000; i++) cr_assert_lt(fabsf(x[i]), 1e-5f, "design %d sample %d: %g", k, i, (double)x[i]);
  }
}

Test(dsp_filter, reset_restores_initial_state) {
  kl_sos_design d;
  kl_butter_lowpass(&d, 6, 5.0, 100.0);
  kl_sos_filter f;
  kl_sos_filter_init(&f, &d, 3);
  float a[300], b[300];
  for (int i = 0; i < 300; i++) a[i] = b[i] = (float)sin(0.1 * i);
  kl_sos_filter_process(&f, a, 100);
  kl_sos_filter_reset(&f);
  kl_sos_filter_process(&f, b, 100);
  cr_assert(memcmp(a, b, sizeof a) == 0);
}

/* ---- zero-phase ---------------------------------------------------------- */

Test(dsp_filter, filtfilt_has_zero_phase_and_squared_gain) {
  const double fs = 100.0;
  kl_sos_design d;
  cr_assert_eq(kl_butter_lowpass(&d, 4, 3.5, fs), KLONOS_OK); /* ISway's zero-lag 3.5 Hz low-pass */
  const double freqs[] = {0.3, 1.0, 2.0, 3.0, 3.5};
  const size_t n = 6000;
  float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
  for (size_t k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
    double f = freqs[k];
    for (size_t i = 0; i < n; i++) x[i] = (float)(2.0 * cos(2.0 * PI * f * (double)i / fs + 0.7));
    cr_assert_eq(kl_sos_filtfilt(&d, x, y, n, 1), KLONOS_OK);
    double ax, px, ay, py;
    fit_tone(x, 1, 1000, n - 2000, f, fs, &ax, &px);
    fit_tone(y, 1, 1000, n - 2000, f, fs, &ay, &py);
    double h = analytic_mag(KL_BUTTER_LOWPASS, 4, 3.5, 0.0, fs, f);
    cr_assert_lt(fabs(db(ay / ax) - db(h * h)), 0.05, "%g Hz: gain %.4f dB, |H|^2 %.4f dB", f, db(ay / ax),
                 db(h * h));
    double dphi = remainder(py - px, 2.0 * PI);
    cr_assert_lt(fabs(dphi), 1e-3, "%g Hz: phase shift %g rad", f, dphi);
    /* Peaks line up within a sample. */
    size_t period = (size_t)(fs / f);
    size_t ix = 3000, iy = 3000;
    for (size_t i = 3000; i < 3000 + period; i++) {
      if (x[i] > x[ix]) ix = i;
      if (y[i] > y[iy]) iy = i;
    }
    cr_assert_leq(ix > iy ? ix - iy : iy - ix, 1, "%g Hz: peaks at %zu and %zu", f, ix, iy);
  }
  /* At the cutoff the zero-phase gain is exactly -6.02 dB. */
  cr_assert_float_eq(db(kl_sos_magnitude(&d, 3.5) * kl_sos_magnitude(&d, 3.5)), -6.0206, 1e-3);
  free(x);
  free(y);
}

/* scipy 1.10.1:
 *   i = arange(500); x = sin(0.05 i) + 0.3 cos(0.7 i) + 0.01 i + 9.81
 *   sosfiltfilt(butter(*args, fs=100, output='sos'), x)[[0, 1, 10, 250, 480, 499]] */
static const size_t ref_idx[6] = {0, 1, 10, 250, 480, 499};
static const double ref_lp[6] = {10.088668557196858, 10.106585875921359, 10.371403858576784,
                                 12.243691131385084, 13.714196357772918, 14.392343593529521};
static const double ref_bp[6] = {-0.12399516336008165, -0.14297518769545969, 0.086469310203540872,
                                 0.015372078173852277, -0.71396748705510393, -0.21401388512502281};
static const double ref_hp[6] = {-0.12703390008837076, -0.14326201187831292, 0.32463840359838242,
                                 0.12909375855924188,  -0.63207478301909115, 0.0015477729429568994};

Test(dsp_filter, filtfilt_matches_scipy_sosfiltfilt) {
  double x[500], y[500];
  for (int i = 0; i < 500; i++) x[i] = sin(0.05 * i) + 0.3 * cos(0.7 * i) + 0.01 * i + 9.81;
  kl_sos_design d[3];
  kl_butter_lowpass(&d[0], 4, 3.5, 100.0);
  kl_butter_bandpass(&d[1], 2, 0.15, 5.0, 100.0);
  kl_butter_highpass(&d[2], 3, 0.5, 100.0);
  const double *ref[3] = {ref_lp, ref_bp, ref_hp};
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(kl_sos_filtfilt_d(&d[k], x, y, 500, 1), KLONOS_OK);
    for (int j = 0; j < 6; j++)
      cr_assert_lt(fabs(y[ref_idx[j]] - ref[k][j]), 1e-9, "design %d sample %zu: %.17g vs %.17g", k, ref_idx[j],
                   y[ref_idx[j]], ref[k][j]);
  }
  /* The float path on interleaved data (channel 1 of 3, in place). */
  float fr[3 * 500];
  for (int i = 0; i < 500; i++) fr[3 * i] = 0.0f, fr[3 * i + 1] = (float)x[i], fr[3 * i + 2] = -1.0f;
  cr_assert_eq(kl_sos_filtfilt(&d[0], fr + 1, fr + 1, 500, 3), KLONOS_OK);
  for (int j = 0; j < 6; j++) cr_assert_lt(fabs(fr[3 * ref_idx[j] + 1] - ref_lp[j]), 1e-5);
  for (int i = 0; i < 500; i++) cr_assert(fr[3 * i] == 0.0f && fr[3 * i + 2] == -1.0f, "neighbour channel touched");
}

Test(dsp_filter, filtfilt_padding_and_short_blocks) {
  kl_sos_design d;
  kl_butter_lowpass(&d, 4, 3.5, 100.0);
  cr_assert_eq(kl_sos_filtfilt_padlen(&d), 15); /* scipy: 3 * (2*2 + 1) */
  kl_butter_lowpass(&d, 3, 3.5, 100.0);
  cr_assert_eq(kl_sos_filtfilt_padlen(&d), 12); /* a first-order section: 3 * 4 */
  kl_butter_bandpass(&d, 4, 0.15, 5.0, 100.0);
  cr_assert_eq(kl_sos_filtfilt_padlen(&d), 27);
  /* Blocks shorter than the padding still filter (padding cut to n-1); a
   * constant comes out constant. */
  kl_butter_lowpass(&d, 4, 3.5, 100.0);
  for (size_t n = 1; n <= 20; n++) {
    float x[20], y[20];
    for (size_t i = 0; i < n; i++) x[i] = 9.81f;
    cr_assert_eq(kl_sos_filtfilt(&d, x, y, n, 1), KLONOS_OK);
    for (size_t i = 0; i < n; i++) cr_assert_lt(fabsf(y[i] - 9.81f), 1e-5f, "n %zu", n);
  }
  /* A linear ramp: the odd extension continues it, so only a small start-up
   * transient remains (the steady state assumed at the start is that of a
   * constant); scipy gives y[0] = -0.00154279 here, max error 0.0078. */
  float r[400], ry[400];
  for (int i = 0; i < 400; i++) r[i] = 0.01f * (float)i;
  cr_assert_eq(kl_sos_filtfilt(&d, r, ry, 400, 1), KLONOS_OK);
  cr_assert_float_eq(ry[0], -0.00154279, 1e-6);
  for (int i = 0; i < 400; i++) cr_assert_lt(fabsf(ry[i] - r[i]), 0.008f, "sample %d: %g", i, (double)ry[i]);
}

/* ---- bad arguments ------------------------------------------------------- */

Test(dsp_filter, bad_arguments_are_refused) {
  kl_sos_design d;
  const double fs = 100.0;
  cr_assert_eq(kl_butter_lowpass(&d, 4, 50.0, fs), KLONOS_E_INVAL); /* = Nyquist */
  cr_assert_eq(kl_butter_lowpass(&d, 4, 60.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 4, 0.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 4, -1.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 4, NAN, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 4, INFINITY, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 0, 3.5, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 9, 3.5, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, -1, 3.5, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_highpass(&d, 4, 50.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_highpass(&d, 9, 1.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_highpass(&d, 2, NAN, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 4, 3.5, 0.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 4, 3.5, NAN), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_lowpass(&d, 4, 3.5, -100.0), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_bandpass(&d, 4, 5.0, 5.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_bandpass(&d, 4, 6.0, 5.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_bandpass(&d, 4, 1.0, 50.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_bandpass(&d, 4, 0.0, 5.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_bandpass(&d, 4, 1.0, NAN, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_bandpass(&d, 9, 1.0, 5.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_design(&d, (kl_butter_kind)7, 2, 1.0, 5.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(kl_butter_design(NULL, KL_BUTTER_LOWPASS, 2, 1.0, 0.0, fs), KLONOS_E_INVAL);
  cr_assert_eq(d.n_sections, 0, "a refused design is left empty");
  cr_assert(isnan(kl_sos_magnitude(&d, 1.0)));

  kl_sos_filter f;
  cr_assert_eq(kl_sos_filter_init(&f, &d, 3), KLONOS_E_INVAL); /* empty design */
  cr_assert_eq(kl_butter_lowpass(&d, 2, 3.5, fs), KLONOS_OK);
  cr_assert_eq(kl_sos_filter_init(&f, &d, 0), KLONOS_E_INVAL);
  cr_assert_eq(kl_sos_filter_init(&f, &d, KL_SOS_MAX_CHANNELS + 1), KLONOS_E_INVAL);
  cr_assert_eq(kl_sos_filter_init(NULL, &d, 3), KLONOS_E_INVAL);
  kl_sos_filter_process(NULL, NULL, 10); /* no crash */

  float x[4] = {0};
  cr_assert_eq(kl_sos_filtfilt(&d, x, x, 0, 1), KLONOS_E_INVAL);
  cr_assert_eq(kl_sos_filtfilt(&d, x, x, 4, 0), KLONOS_E_INVAL);
  cr_assert_eq(kl_sos_filtfilt(&d, NULL, x, 4, 1), KLONOS_E_INVAL);
  cr_assert_eq(kl_sos_filtfilt(NULL, x, x, 4, 1), KLONOS_E_INVAL);
}
