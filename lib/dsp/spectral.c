/* Spectral moments (Prieto et al. 1996); see spectral.h for definitions. */
#include "spectral.h"

#include <math.h>

#include "klonos/status.h"

/* Bin range [*m0, *m1] whose centres lie in the band; 0 if empty. */
static int band_bins(size_t nbins, double df_hz, double f_lo_hz, double f_hi_hz, size_t *m0, size_t *m1) {
  double lo = ceil(f_lo_hz / df_hz), hi = floor(f_hi_hz / df_hz);
  /* Round-off must not drop a bin sitting exactly on an edge. */
  if ((lo - 1.0) * df_hz >= f_lo_hz - 1e-12 * df_hz) lo -= 1.0;
  if ((hi + 1.0) * df_hz <= f_hi_hz + 1e-12 * df_hz) hi += 1.0;
  if (lo < 0.0) lo = 0.0;
  if (hi > (double)(nbins - 1)) hi = (double)(nbins - 1);
  if (hi < lo) return 0;
  *m0 = (size_t)lo;
  *m1 = (size_t)hi;
  return 1;
}

static int check_args(const double *psd, size_t nbins, double df_hz, double f_lo_hz, double f_hi_hz) {
  if (!psd || nbins == 0) return KLONOS_E_INVAL;
  if (!isfinite(df_hz) || !(df_hz > 0.0)) return KLONOS_E_INVAL;
  if (!isfinite(f_lo_hz) || !isfinite(f_hi_hz) || f_lo_hz < 0.0 || !(f_hi_hz > f_lo_hz)) return KLONOS_E_INVAL;
  return KLONOS_OK;
}

/* Power of bin m spread over its width cut to the band: returns the interval. */
static void bin_interval(size_t m, double df_hz, double f_lo_hz, double f_hi_hz, double *a, double *b) {
  double c = (double)m * df_hz;
  *a = fmax(c - 0.5 * df_hz, f_lo_hz);
  *b = fmin(c + 0.5 * df_hz, f_hi_hz);
}

static double edge_in_band(const double *psd, size_t m0, size_t m1, double df_hz, double f_lo_hz, double f_hi_hz,
                           double mu0, double p) {
  double target = p * mu0, cum = 0.0;
  for (size_t m = m0; m <= m1; m++) {
    double pm = psd[m] * df_hz;
    if (cum + pm >= target && pm > 0.0) {
      double a, b;
      bin_interval(m, df_hz, f_lo_hz, f_hi_hz, &a, &b);
      return a + (b - a) * (target - cum) / pm;
    }
    cum += pm;
  }
  /* Only reachable through round-off with p close to 1. */
  double a, b;
  bin_interval(m1, df_hz, f_lo_hz, f_hi_hz, &a, &b);
  return b;
}

static int band_power(const double *psd, size_t m0, size_t m1, double df_hz, double *mu) {
  mu[0] = mu[1] = mu[2] = 0.0;
  for (size_t m = m0; m <= m1; m++) {
    double v = psd[m];
    if (!isfinite(v) || v < 0.0) return KLONOS_E_INVAL;
    double f = (double)m * df_hz, pw = v * df_hz;
    mu[0] += pw;
    mu[1] += f * pw;
    mu[2] += f * f * pw;
  }
  return mu[0] > 0.0 ? KLONOS_OK : KLONOS_E_NODATA;
}

int kl_spectral_moments_compute(const double *psd, size_t nbins, double df_hz, double f_lo_hz, double f_hi_hz,
                                kl_spectral_moments *out) {
  if (!out) return KLONOS_E_INVAL;
  int rc = check_args(psd, nbins, df_hz, f_lo_hz, f_hi_hz);
  if (rc != KLONOS_OK) return rc;
  size_t m0, m1;
  if (!band_bins(nbins, df_hz, f_lo_hz, f_hi_hz, &m0, &m1)) return KLONOS_E_NODATA;
  double mu[3];
  rc = band_power(psd, m0, m1, df_hz, mu);
  if (rc != KLONOS_OK) return rc;
  out->mu0 = mu[0];
  out->mu1 = mu[1];
  out->mu2 = mu[2];
  out->centroid_hz = sqrt(mu[2] / mu[0]);
  /* A pure tone at DC has mu2 = 0: dispersion is then undefined; report 0. */
  double r = mu[2] > 0.0 ? 1.0 - mu[1] * mu[1] / (mu[0] * mu[2]) : 0.0;
  out->dispersion = sqrt(fmax(r, 0.0)); /* Cauchy-Schwarz says r >= 0; round-off may not */
  out->f50_hz = edge_in_band(psd, m0, m1, df_hz, f_lo_hz, f_hi_hz, mu[0], 0.50);
  out->f95_hz = edge_in_band(psd, m0, m1, df_hz, f_lo_hz, f_hi_hz, mu[0], 0.95);
  return KLONOS_OK;
}

int kl_spectral_edge(const double *psd, size_t nbins, double df_hz, double f_lo_hz, double f_hi_hz, double p,
                     double *f_hz) {
  if (!f_hz || !(p > 0.0 && p < 1.0)) return KLONOS_E_INVAL;
  int rc = check_args(psd, nbins, df_hz, f_lo_hz, f_hi_hz);
  if (rc != KLONOS_OK) return rc;
  size_t m0, m1;
  if (!band_bins(nbins, df_hz, f_lo_hz, f_hi_hz, &m0, &m1)) return KLONOS_E_NODATA;
  double mu[3];
  rc = band_power(psd, m0, m1, df_hz, mu);
  if (rc != KLONOS_OK) return rc;
  *f_hz = edge_in_band(psd, m0, m1, df_hz, f_lo_hz, f_hi_hz, mu[0], p);
  return KLONOS_OK;
}
