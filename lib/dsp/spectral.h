/* Private: spectral moments and edge frequencies of a one-sided PSD.
 *
 * Prieto et al. (1996), "Measures of postural steadiness", IEEE Trans.
 * Biomed. Eng. 43:956-966, sec. II-D; used for accelerometric sway by
 * Mancini et al. (2012), "ISway", J. NeuroEng. Rehabil. 9:59.
 *
 * The PSD is sampled at f_m = m * df (bin m, as from kl_welch). The band
 * [f_lo, f_hi] takes the bins whose centre lies in it (f_lo <= f_m <= f_hi).
 *   mu_k = sum over band bins of f_m^k * PSD_m * df       (k = 0, 1, 2)
 * i.e. rectangle-rule integrals: mu0 is the band power in units^2.
 *   centroidal frequency = sqrt(mu2 / mu0)                  (Hz)
 *   frequency dispersion = sqrt(1 - mu1^2 / (mu0 * mu2))    (0 = a pure tone,
 *                                                         -> 1 spread out)
 *   F_p (F50, F95): the frequency below which a fraction p of the band power
 *   lies. Each bin's power is spread uniformly over its own width
 *   [f_m - df/2, f_m + df/2] cut to the band, so the cumulative power is
 *   piecewise linear and F_p is found by linear interpolation inside the bin
 *   where it crosses p*mu0. F_p lies in [f_lo, f_hi]. */
#ifndef KLONOS_DSP_SPECTRAL_H
#define KLONOS_DSP_SPECTRAL_H

#include <stddef.h>

typedef struct kl_spectral_moments {
  double mu0;         /* units^2 */
  double mu1;         /* units^2 * Hz */
  double mu2;         /* units^2 * Hz^2 */
  double f50_hz;      /* median frequency of the band power */
  double f95_hz;      /* 95% power frequency */
  double centroid_hz; /* sqrt(mu2/mu0) */
  double dispersion;  /* sqrt(1 - mu1^2/(mu0*mu2)), dimensionless */
} kl_spectral_moments;

/* KLONOS_E_INVAL: NULL, nbins == 0, df_hz not finite > 0, band not
 * 0 <= f_lo < f_hi (finite), or a negative/non-finite PSD value in the band.
 * KLONOS_E_NODATA: no bin in the band, or zero power in it. */
int kl_spectral_moments_compute(const double *psd, size_t nbins, double df_hz, double f_lo_hz, double f_hi_hz,
                                kl_spectral_moments *out);

/* F_p alone for any fraction 0 < p < 1 (e.g. 0.5, 0.95); same rules. */
int kl_spectral_edge(const double *psd, size_t nbins, double df_hz, double f_lo_hz, double f_hi_hz, double p,
                     double *f_hz);

#endif
