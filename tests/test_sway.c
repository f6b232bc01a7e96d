/* Sway metrics (lib/detect/sway.c) against analytic truth: circular and
 * linear sinusoids, bin-centred tone sums (Hann leakage written out), white
 * noise edge frequencies; refusals (short, NaN, bad config); rate
 * independence; monotonicity in sway level; the synthetic stance recording
 * of klonos/synth.h with its known sway RMS. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond/orientation.h"
#include "detect/planar.h"
#include "detect/sway.h"
#include "klonos/status.h"
#include "klonos/synth.h"

static const double PI = 3.14159265358979323846;

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

static void expect_rel(double got, double want, double tol, const char *what) {
  cr_expect(fabs(got - want) <= tol * fabs(want), "%s: got %.6g, expected %.6g (tol %.2g%%)", what, got, want,
            100.0 * tol);
}

static kl_sway_config cfg_default(void) {
  kl_sway_config c;
  kl_sway_config_default(&c);
  return c;
}

/* ---- analytic ------------------------------------------------------------ */

Test(sway, defaults) {
  kl_sway_config c = cfg_default();
  cr_assert_eq(c.min_duration_s, 10.0);
  cr_assert_eq(c.lowpass_hz, 3.5);
  cr_assert_eq(c.lowpass_order, 4);
  cr_assert_eq(c.band_lo_hz, 0.15);
  cr_assert_eq(c.band_hi_hz, 5.0);
  cr_assert_eq(c.welch_segment_s, 10.0);
  cr_assert_eq(c.welch_overlap, 0.5);
  cr_assert_eq(c.ellipse_coverage, 0.95);
}

/* Circular motion AP = A cos, ML = A sin at f: every time-domain measure has
 * a closed form. 1 Hz at 100 Hz for 60 s (whole cycles). */
Test(sway, circle_time_domain) {
  const double fs = 100.0, f = 1.0, A = 0.05;
  const size_t n = 6000;
  float *ap = malloc(sizeof(float) * n), *ml = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / fs;
    ap[i] = (float)(A * cos(2.0 * PI * f * t));
    ml[i] = (float)(A * sin(2.0 * PI * f * t));
  }
  kl_sway_config c = cfg_default();
  kl_sway_metrics m;
  cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, fs, &m), KLONOS_OK);
  /* The 3.5 Hz low-pass passes 1 Hz with |H|^2 = 1 - 4.5e-5. */
  const double tol = 0.005;
  expect_rel(m.duration_s, 60.0, 1e-12, "duration");
  expect_rel(m.rms_ap_mps2, A / sqrt(2.0), tol, "rms_ap");
  expect_rel(m.rms_ml_mps2, A / sqrt(2.0), tol, "rms_ml");
  expect_rel(m.rms_mps2, A, tol, "rms");
  /* Ranges see the zero-phase filter's edge transient: the odd extension
   * (scipy's sosfiltfilt default) mirrors the signal about its first sample,
   * which here is a crest, so the filtered edge overshoots by ~1%. */
  expect_rel(m.range_ap_mps2, 2.0 * A, 0.015, "range_ap");
  expect_rel(m.range_mps2, 2.0 * A, 0.015, "range (diameter)");
  expect_rel(m.mean_distance_mps2, A, tol, "mean distance");
  expect_rel(m.path_per_s_mps3, 2.0 * PI * f * A, tol, "path per s");
  expect_rel(m.path_mps2, 2.0 * PI * f * A * (double)(n - 1) / fs, tol, "path");
  expect_rel(m.mean_freq_hz, f, tol, "mean frequency");
  /* |da/dt| = 2 pi f A constant: 1/2 (2 pi f A)^2 per second. */
  expect_rel(m.jerk_m2ps6, 0.5 * pow(2.0 * PI * f * A, 2.0), tol, "jerk per s");
  expect_rel(m.jerk_ap_m2ps6, m.jerk_ml_m2ps6, tol, "jerk halves");
  expect_rel(m.jerk_total_m2ps5, m.jerk_m2ps6 * (double)(n - 1) / fs, 1e-12, "jerk total");
  /* Radius vector sweeps pi A^2 per cycle. */
  expect_rel(m.sway_area_per_s_m2ps5, PI * A * A * f, tol, "sway area per s");
  /* |v| = A / (2 pi f). */
  expect_rel(m.mean_velocity_mps, A / (2.0 * PI * f), tol, "mean velocity");
  /* Covariance diag(A^2/2, A^2/2): Prieto area = 2 pi F sqrt(det) = pi F A^2. */
  double nd = (double)n, F = 0.5 * (nd - 2.0) * (pow(0.05, -2.0 / (nd - 2.0)) - 1.0);
  expect_rel(m.ellipse_area_m2ps4, PI * F * A * A, tol, "ellipse area");
  expect_rel(m.prediction_ellipse_area_m2ps4, m.ellipse_area_m2ps4 * (nd + 1.0) * (nd - 1.0) / (nd * (nd - 2.0)), 1e-9,
             "prediction ellipse");
  cr_expect(fabs(F - 2.9957) < 0.005, "F(.05; 2, n-2) = %g", F);
  /* Spectrum: a tone on bin 10 (0.1 Hz bins). */
  expect_rel(m.freq_resolution_hz, 0.1, 1e-12, "df");
  expect_rel(m.spectrum.total_power_m2ps4, A * A, 0.01, "total power");
  expect_rel(m.spectrum.f50_hz, f, 0.01, "F50");
  free(ap);
  free(ml);
}

/* Sum of bin-centred tones (0.1 Hz bins) on AP and ML, no low-pass: with a
 * periodic Hann window each tone's power lands 1/6, 2/3, 1/6 on bins
 * k-1, k, k+1, so mu0 = sum P, mu1 = sum P f, mu2 = sum P (f^2 + df^2/3). */
Test(sway, tone_sum_spectral_moments) {
  const double fs = 100.0, df = 0.1;
  const size_t n = 12000;
  const double fa[3] = {0.5, 1.2, 2.3}, aa[3] = {0.04, 0.02, 0.01};
  const double fm[2] = {0.8, 3.1}, am[2] = {0.03, 0.005};
  float *ap = malloc(sizeof(float) * n), *ml = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / fs, x = 0.0, y = 0.0;
    for (int k = 0; k < 3; k++) x += aa[k] * sin(2.0 * PI * fa[k] * t + 0.3 * k);
    for (int k = 0; k < 2; k++) y += am[k] * cos(2.0 * PI * fm[k] * t + 0.7 * k);
    ap[i] = (float)x;
    ml[i] = (float)y;
  }
  kl_sway_config c = cfg_default();
  c.lowpass_hz = 0.0; /* analytic check of the spectral chain alone */
  kl_sway_metrics m;
  cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, fs, &m), KLONOS_OK);
  double mu0 = 0, mu1 = 0, mu2 = 0, vap = 0, vml = 0;
  for (int k = 0; k < 3; k++) {
    double p = aa[k] * aa[k] / 2.0;
    vap += p;
    mu0 += p, mu1 += p * fa[k], mu2 += p * (fa[k] * fa[k] + df * df / 3.0);
  }
  for (int k = 0; k < 2; k++) {
    double p = am[k] * am[k] / 2.0;
    vml += p;
    mu0 += p, mu1 += p * fm[k], mu2 += p * (fm[k] * fm[k] + df * df / 3.0);
  }
  expect_rel(m.rms_ap_mps2, sqrt(vap), 0.01, "rms_ap");
  expect_rel(m.rms_ml_mps2, sqrt(vml), 0.01, "rms_ml");
  expect_rel(m.rms_mps2, sqrt(vap + vml), 0.01, "rms");
  expect_rel(m.spectrum.total_power_m2ps4, mu0, 0.01, "mu0");
  expect_rel(m.spectrum.centroid_freq_hz, sqrt(mu2 / mu0), 0.01, "centroid");
  expect_rel(m.spectrum.freq_dispersion, sqrt(1.0 - mu1 * mu1 / (mu0 * mu2)), 0.01, "dispersion");
  /* F50/F95: build the expected bin powers (1/6, 2/3, 1/6 per tone), spread
   * each bin's power over its width and find where the cumulative power
   * crosses 50% / 95% (the definition in dsp/spectral.h). */
  double bins[60] = {0};
  for (int k = 0; k < 5; k++) {
    double f = k < 3 ? fa[k] : fm[k - 3], a = k < 3 ? aa[k] : am[k - 3];
    int b = (int)lround(f / df);
    bins[b - 1] += a * a / 12.0;
    bins[b] += a * a / 3.0;
    bins[b + 1] += a * a / 12.0;
  }
  const double frac[2] = {0.5, 0.95};
  const double got[2] = {m.spectrum.f50_hz, m.spectrum.f95_hz};
  for (int q = 0; q < 2; q++) {
    double cum = 0.0, want = NAN;
    for (int b = 2; b < 51 && !isfinite(want); b++) {
      if (cum + bins[b] >= frac[q] * mu0 && bins[b] > 0.0) want = (b - 0.5) * df + df * (frac[q] * mu0 - cum) / bins[b];
      cum += bins[b];
    }
    expect_rel(got[q], want, 0.01, q ? "F95" : "F50");
  }
  /* Per-axis spectra. */
  expect_rel(m.spectrum_ml.total_power_m2ps4, vml, 0.01, "ML power");
  expect_rel(m.spectrum_ap.total_power_m2ps4, vap, 0.01, "AP power");
  free(ap);
  free(ml);
}

/* A pure tone: F50 = f, F95 = f + 1.2 df (the Hann window's upper leakage
 * bin), dispersion = df / (f sqrt 3) to first order. */
Test(sway, single_tone_edges) {
  const double fs = 100.0, f = 1.0, df = 0.1;
  const size_t n = 6000;
  float *ap = malloc(sizeof(float) * n), *ml = calloc(n, sizeof(float));
  for (size_t i = 0; i < n; i++) ap[i] = (float)(0.05 * sin(2.0 * PI * f * (double)i / fs));
  kl_sway_config c = cfg_default();
  c.lowpass_hz = 0.0;
  kl_sway_metrics m;
  cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, fs, &m), KLONOS_OK);
  expect_rel(m.spectrum.f50_hz, f, 1e-3, "F50");
  expect_rel(m.spectrum.f95_hz, f + 1.2 * df, 1e-3, "F95");
  expect_rel(m.spectrum.centroid_freq_hz, sqrt(f * f + df * df / 3.0), 1e-3, "centroid");
  expect_rel(m.spectrum.freq_dispersion, sqrt(1.0 - f * f / (f * f + df * df / 3.0)), 1e-3, "dispersion");
  /* ML is all zero: its spectrum is left at 0, the bout still counts. */
  cr_expect_eq(m.spectrum_ml.total_power_m2ps4, 0.0);
  cr_expect_eq(m.rms_ml_mps2, 0.0);
  /* Line motion: range is the peak-to-peak, ellipse area 0 (det = 0). */
  expect_rel(m.range_mps2, 0.1, 1e-3, "diameter of a line");
  cr_expect(m.ellipse_area_m2ps4 < 1e-12, "degenerate ellipse %g", m.ellipse_area_m2ps4);
  /* Linear sinusoid: mean frequency still f (Prieto's MFREQ). */
  expect_rel(m.mean_freq_hz, f, 5e-3, "mean freq of a line");
  free(ap);
  free(ml);
}

/* White noise, low-pass off: flat PSD over the band [0.15, 5] with 0.1 Hz
 * bins centred 0.2..5.0 (49 bins, the last cut to [4.95, 5]): F50 = 2.60,
 * F95 = 4.805 Hz with the spectral module's bin convention. */
Test(sway, white_noise_edges) {
  const double fs = 100.0;
  const size_t n = 60000;
  rng r = {777};
  float *ap = malloc(sizeof(float) * n), *ml = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) {
    ap[i] = (float)(0.05 * grand(&r));
    ml[i] = (float)(0.05 * grand(&r));
  }
  kl_sway_config c = cfg_default();
  c.lowpass_hz = 0.0;
  kl_sway_metrics m;
  cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, fs, &m), KLONOS_OK);
  expect_rel(m.spectrum.f50_hz, 2.60, 0.02, "F50 white");
  expect_rel(m.spectrum.f95_hz, 4.805, 0.01, "F95 white");
  /* Band power: 2 axes x sigma^2 x (4.9 Hz of bins / 50 Hz). */
  expect_rel(m.spectrum.total_power_m2ps4, 2.0 * 0.0025 * 4.9 / 50.0, 0.05, "band power");
  /* Flat band: centroid = sqrt(mean f^2) over the bins. */
  double s0 = 0, s2 = 0;
  for (int k = 2; k <= 50; k++) {
    s0 += 1;
    s2 += (0.1 * k) * (0.1 * k);
  }
  expect_rel(m.spectrum.centroid_freq_hz, sqrt(s2 / s0), 0.01, "centroid white");
  /* With the 3.5 Hz low-pass the edges move down (8th-order magnitude). */
  kl_sway_config d = cfg_default();
  kl_sway_metrics ml2;
  cr_assert_eq(kl_sway_compute(&d, ap, ml, n, 1, fs, &ml2), KLONOS_OK);
  cr_expect(ml2.spectrum.f95_hz < 3.7 && ml2.spectrum.f95_hz > 3.0, "F95 after 3.5 Hz low-pass %g",
            ml2.spectrum.f95_hz);
  free(ap);
  free(ml);
}

/* ---- refusals ------------------------------------------------------------ */

Test(sway, refuses_short_and_nan) {
  const double fs = 100.0;
  const size_t n = 2000;
  float *ap = malloc(sizeof(float) * n), *ml = malloc(sizeof(float) * n);
  rng r = {5};
  for (size_t i = 0; i < n; i++) {
    ap[i] = (float)(0.05 * grand(&r));
    ml[i] = (float)(0.05 * grand(&r));
  }
  kl_sway_config c = cfg_default();
  kl_sway_metrics m;
  memset(&m, 0xff, sizeof m);
  cr_expect_eq(kl_sway_compute(&c, ap, ml, 2, 1, fs, &m), KLONOS_E_NODATA);
  cr_expect_eq(m.rms_mps2, 0.0, "no number from 2 samples");
  cr_expect_eq(m.duration_s, 0.0);
  cr_expect_eq(kl_sway_compute(&c, ap, ml, 0, 1, fs, &m), KLONOS_E_NODATA);
  cr_expect_eq(kl_sway_compute(&c, ap, ml, 999, 1, fs, &m), KLONOS_E_NODATA); /* 9.99 s */
  cr_expect_eq(kl_sway_compute(&c, ap, ml, 1000, 1, fs, &m), KLONOS_OK);      /* exactly 10 s */
  /* A shorter minimum still needs one whole Welch segment. */
  c.min_duration_s = 2.0;
  cr_expect_eq(kl_sway_compute(&c, ap, ml, 500, 1, fs, &m), KLONOS_E_NODATA);
  c.welch_segment_s = 4.0;
  cr_expect_eq(kl_sway_compute(&c, ap, ml, 500, 1, fs, &m), KLONOS_OK);
  c = cfg_default();
  ml[1234] = NAN;
  cr_expect_eq(kl_sway_compute(&c, ap, ml, n, 1, fs, &m), KLONOS_E_NODATA);
  cr_expect_eq(m.rms_mps2, 0.0);
  ml[1234] = INFINITY;
  cr_expect_eq(kl_sway_compute(&c, ap, ml, n, 1, fs, &m), KLONOS_E_NODATA);
  ml[1234] = 0.0f;
  /* A constant signal has no sway spectrum. */
  float *flat = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) flat[i] = 0.3f;
  cr_expect_eq(kl_sway_compute(&c, flat, flat, n, 1, fs, &m), KLONOS_E_NODATA);
  free(flat);
  free(ap);
  free(ml);
}

Test(sway, rejects_bad_arguments) {
  float x[2000] = {0};
  kl_sway_config c = cfg_default();
  kl_sway_metrics m;
  cr_expect_eq(kl_sway_compute(NULL, x, x, 2000, 1, 100.0, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_sway_compute(&c, NULL, x, 2000, 1, 100.0, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_sway_compute(&c, x, x, 2000, 1, 100.0, NULL), KLONOS_E_INVAL);
  cr_expect_eq(kl_sway_compute(&c, x, x, 2000, 0, 100.0, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_sway_compute(&c, x, x, 2000, 1, 0.0, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_sway_compute(&c, x, x, 2000, 1, NAN, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_sway_compute(&c, x, x, 2000, 1, 6.0, &m), KLONOS_E_INVAL); /* 3.5 Hz >= Nyquist */
  kl_sway_config b = c;
  b.lowpass_order = 9;
  cr_expect_eq(kl_sway_compute(&b, x, x, 2000, 1, 100.0, &m), KLONOS_E_INVAL);
  b = c;
  b.band_hi_hz = 0.1;
  cr_expect_eq(kl_sway_compute(&b, x, x, 2000, 1, 100.0, &m), KLONOS_E_INVAL);
  b = c;
  b.welch_overlap = 1.0;
  cr_expect_eq(kl_sway_compute(&b, x, x, 2000, 1, 100.0, &m), KLONOS_E_INVAL);
  b = c;
  b.ellipse_coverage = 1.0;
  cr_expect_eq(kl_sway_compute(&b, x, x, 2000, 1, 100.0, &m), KLONOS_E_INVAL);
  b = c;
  b.welch_segment_s = 0.0;
  cr_expect_eq(kl_sway_compute(&b, x, x, 2000, 1, 100.0, &m), KLONOS_E_INVAL);
}

/* ---- invariances ----------------------------------------------------------- */

/* "The same motion": a multisine of 40 random components in 0.1-3 Hz,
 * evaluated in continuous time, so every rate samples the same signal. */
typedef struct {
  double f[40], a[40], ph[40];
} multisine;

static void multisine_init(multisine *s, uint64_t seed, double rms) {
  rng r = {seed};
  double p = 0.0;
  for (int k = 0; k < 40; k++) {
    s->f[k] = 0.1 * pow(30.0, urand(&r));
    s->a[k] = 1.0 / sqrt(s->f[k]);
    s->ph[k] = 2.0 * PI * urand(&r);
    p += s->a[k] * s->a[k] / 2.0;
  }
  for (int k = 0; k < 40; k++) s->a[k] *= rms / sqrt(p);
}

static double multisine_at(const multisine *s, double t) {
  double v = 0.0;
  for (int k = 0; k < 40; k++) v += s->a[k] * sin(2.0 * PI * s->f[k] * t + s->ph[k]);
  return v;
}

static void render(const multisine *sa, const multisine *sm, double level, double noise_sd, uint64_t seed,
                   double fs, double dur, float **ap, float **ml, size_t *n) {
  *n = (size_t)llround(dur * fs);
  *ap = malloc(sizeof(float) * *n);
  *ml = malloc(sizeof(float) * *n);
  rng r = {seed};
  for (size_t i = 0; i < *n; i++) {
    double t = (double)i / fs;
    (*ap)[i] = (float)(level * multisine_at(sa, t) + noise_sd * grand(&r));
    (*ml)[i] = (float)(level * multisine_at(sm, t) + noise_sd * grand(&r));
  }
}

#define NFIELDS 19
static void fields(const kl_sway_metrics *m, double v[NFIELDS]) {
  const double f[NFIELDS] = {m->rms_ap_mps2,      m->rms_ml_mps2,          m->rms_mps2,
                             m->range_ap_mps2,    m->range_ml_mps2,        m->range_mps2,
                             m->mean_distance_mps2, m->path_per_s_mps3,    m->mean_velocity_mps,
                             m->jerk_m2ps6,       m->sway_area_per_s_m2ps5, m->mean_freq_hz,
                             m->ellipse_area_m2ps4, m->prediction_ellipse_area_m2ps4,
                             m->spectrum.total_power_m2ps4, m->spectrum.f50_hz, m->spectrum.f95_hz,
                             m->spectrum.centroid_freq_hz, m->spectrum.freq_dispersion};
  memcpy(v, f, sizeof f);
}
static const char *const FIELD_NAMES[NFIELDS] = {
    "rms_ap", "rms_ml", "rms", "range_ap", "range_ml", "range", "mean_distance", "path_per_s", "mean_velocity",
    "jerk", "sway_area_per_s", "mean_freq", "ellipse", "prediction_ellipse", "power", "f50", "f95", "centroid",
    "dispersion"};

Test(sway, rate_independence_50_100_200) {
  multisine sa, sm;
  multisine_init(&sa, 11, 0.06);
  multisine_init(&sm, 12, 0.04);
  kl_sway_config c = cfg_default();
  const double rates[3] = {50.0, 100.0, 200.0};
  double v[3][NFIELDS];
  for (int k = 0; k < 3; k++) {
    float *ap, *ml;
    size_t n;
    /* Sensor noise of a fixed density (150 ug/sqrt(Hz)): its in-band part is rate independent. */
    double sd = 150e-6 * 9.80665 * sqrt(rates[k] / 2.0);
    render(&sa, &sm, 1.0, sd, 99 + (uint64_t)k, rates[k], 60.0, &ap, &ml, &n);
    kl_sway_metrics m;
    cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, rates[k], &m), KLONOS_OK);
    fields(&m, v[k]);
    free(ap);
    free(ml);
  }
  for (int f = 0; f < NFIELDS; f++)
    for (int k = 0; k < 3; k += 2)
      cr_expect(fabs(v[k][f] / v[1][f] - 1.0) < 0.05, "%s at %g Hz: %g vs %g at 100 Hz", FIELD_NAMES[f], rates[k],
                v[k][f], v[1][f]);
}

/* Amplitude measures grow strictly with the sway level (fixed sensor noise);
 * frequency measures stay put. */
Test(sway, monotonic_in_level) {
  multisine sa, sm;
  multisine_init(&sa, 21, 1.0);
  multisine_init(&sm, 22, 0.7);
  kl_sway_config c = cfg_default();
  double prev[NFIELDS] = {0};
  for (int lv = 1; lv <= 10; lv++) {
    float *ap, *ml;
    size_t n;
    /* 150 ug/sqrt(Hz) sensor noise at 100 Hz, the same draw at every level. */
    render(&sa, &sm, 0.01 * lv, 0.0104, 5, 100.0, 30.0, &ap, &ml, &n);
    kl_sway_metrics m;
    cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, 100.0, &m), KLONOS_OK);
    double v[NFIELDS];
    fields(&m, v);
    for (int f = 0; f < NFIELDS; f++) {
      int freq = f == 11 || f >= 15;
      if (!freq && lv > 1) cr_expect(v[f] > prev[f], "%s not increasing at level %d", FIELD_NAMES[f], lv);
    }
    memcpy(prev, v, sizeof v);
    free(ap);
    free(ml);
  }
  /* The white sensor noise pulls the frequency measures up at low levels;
   * at level 10 (0.1 m/s^2, a large healthy sway) they are the noise-free ones. */
  float *ap, *ml;
  size_t n;
  render(&sa, &sm, 0.1, 0.0, 5, 100.0, 30.0, &ap, &ml, &n);
  kl_sway_metrics m;
  cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, 100.0, &m), KLONOS_OK);
  double v[NFIELDS];
  fields(&m, v);
  for (int f = 15; f < NFIELDS; f++)
    cr_expect(fabs(prev[f] / v[f] - 1.0) < 0.05, "%s: %g with noise, %g without", FIELD_NAMES[f], prev[f], v[f]);
  free(ap);
  free(ml);
}

/* Interleaved frames (stride 3) give the same numbers as contiguous arrays. */
Test(sway, stride_reads_interleaved_frames) {
  multisine sa, sm;
  multisine_init(&sa, 31, 0.05);
  multisine_init(&sm, 32, 0.05);
  float *ap, *ml;
  size_t n;
  render(&sa, &sm, 1.0, 0.001, 1, 100.0, 20.0, &ap, &ml, &n);
  float *fr = malloc(sizeof(float) * 3 * n);
  for (size_t i = 0; i < n; i++) {
    fr[3 * i] = 9.8f;
    fr[3 * i + 1] = ap[i];
    fr[3 * i + 2] = ml[i];
  }
  kl_sway_config c = cfg_default();
  kl_sway_metrics a, b;
  cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, 100.0, &a), KLONOS_OK);
  cr_assert_eq(kl_sway_compute(&c, fr + 1, fr + 2, n, 3, 100.0, &b), KLONOS_OK);
  cr_expect_eq(memcmp(&a, &b, sizeof a), 0);
  free(fr);
  free(ap);
  free(ml);
}

Test(sway, planar_diameter_matches_brute_force) {
  rng r = {42};
  for (int trial = 0; trial < 20; trial++) {
    size_t n = 3 + (size_t)(urand(&r) * 300);
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
      x[i] = grand(&r) * (trial % 3 + 1);
      y[i] = trial % 5 == 0 ? 2.0 * x[i] : grand(&r); /* some collinear sets */
    }
    double best = 0.0;
    for (size_t i = 0; i < n; i++)
      for (size_t j = i + 1; j < n; j++) best = fmax(best, hypot(x[i] - x[j], y[i] - y[j]));
    double d = kl_planar_diameter(x, y, n);
    cr_expect(fabs(d - best) <= 1e-12 * best, "trial %d: %g vs brute force %g", trial, d, best);
    free(x);
    free(y);
  }
  double one = 1.0;
  cr_expect_eq(kl_planar_diameter(&one, &one, 1), 0.0);
}

/* ---- the synthetic stance recording --------------------------------------- */

/* Tilt-correct sensor frames (x, y, z; synth ROTATION_NONE: V, AP, ML) with
 * the bout's mean gravity (lib/cond/orientation.h) into body AP, ML. */
static void to_body(const float *fr, size_t n, const double ap_hint[3], float *ap, float *ml) {
  double g[3] = {0, 0, 0};
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 3; k++) g[k] += fr[3 * i + k];
  for (int k = 0; k < 3; k++) g[k] /= (double)n;
  kl_mat3 R;
  cr_assert_eq(kl_body_rotation(g, ap_hint, &R), 0);
  for (size_t i = 0; i < n; i++) {
    double b[3], s[3] = {fr[3 * i], fr[3 * i + 1], fr[3 * i + 2]};
    kl_mat3_apply(&R, s, b);
    ap[i] = (float)b[0];
    ml[i] = (float)b[1];
  }
}

static void synth_stance(double severity, double rate, double dur, int rotation, float **ap, float **ml, size_t *n,
                         klonos_synth_params *p) {
  klonos_synth_config cfg;
  klonos_synth_config_default(&cfg);
  cfg.scenario = KLONOS_SYNTH_STANCE;
  cfg.severity = severity;
  cfg.duration_s = dur;
  cfg.rate_hz = rate;
  cfg.seed = 2024;
  cfg.rotation = rotation;
  klonos_synth *s = NULL;
  cr_assert_eq(klonos_synth_open(&s, &cfg, NULL), KLONOS_OK, "%s", klonos_synth_error(s));
  cr_assert_eq(klonos_synth_get_params(s, p), KLONOS_OK);
  double M[9];
  cr_assert_eq(klonos_synth_rotation_matrix(s, M), KLONOS_OK);
  int64_t frames;
  klonos_synth_frame_count(s, &frames);
  *n = (size_t)frames;
  float *fr = malloc(sizeof(float) * 3 * *n);
  size_t got = 0, k;
  while (got < *n && klonos_synth_render(s, fr + 3 * got, *n - got, &k) == KLONOS_OK && k > 0) got += k;
  cr_assert_eq(got, *n);
  klonos_synth_close(&s);
  /* The AP hint: body AP (0, 1, 0 in V, AP, ML order) in the sensor frame, sensor = M body. */
  double hint[3] = {M[1], M[4], M[7]};
  *ap = malloc(sizeof(float) * *n);
  *ml = malloc(sizeof(float) * *n);
  to_body(fr, *n, hint, *ap, *ml);
  free(fr);
}

Test(sway, synthetic_stance_rms_recovered) {
  for (int rot = 0; rot < 2; rot++) {
    float *ap, *ml;
    size_t n;
    klonos_synth_params p;
    synth_stance(0.5, 100.0, 120.0, rot ? KLONOS_SYNTH_ROTATION_RANDOM : KLONOS_SYNTH_ROTATION_NONE, &ap, &ml, &n,
                 &p);
    kl_sway_config c = cfg_default();
    kl_sway_metrics m;
    cr_assert_eq(kl_sway_compute(&c, ap, ml, n, 1, 100.0, &m), KLONOS_OK);
    expect_rel(m.rms_ap_mps2, p.sway_ap_rms_mps2, 0.03, rot ? "AP RMS (rotated)" : "AP RMS");
    expect_rel(m.rms_ml_mps2, p.sway_ml_rms_mps2, 0.03, rot ? "ML RMS (rotated)" : "ML RMS");
    /* The generator's centroid is over its whole line spectrum (0.1-2.5 Hz);
     * Prieto's 0.15 Hz lower band edge drops the slowest sway and raises
     * the centroid (0.87 vs 0.80 Hz here), so compare over 0.05-5 Hz. */
    kl_sway_config wide = cfg_default();
    wide.band_lo_hz = 0.05;
    kl_sway_metrics mw;
    cr_assert_eq(kl_sway_compute(&wide, ap, ml, n, 1, 100.0, &mw), KLONOS_OK);
    expect_rel(mw.spectrum.centroid_freq_hz, p.sway_centroid_hz, 0.03, "centroid vs generator");
    cr_expect(m.spectrum.centroid_freq_hz > mw.spectrum.centroid_freq_hz);
    free(ap);
    free(ml);
  }
}
