/* Myoclonic jerk waveforms. A jerk is a unit-peak shape f(tau), tau = time
 * from onset / duration in [0, 1], exactly zero outside, times its peak
 * acceleration and a body-frame direction.
 *
 *   monophasic  f = sin^2(pi tau)                      peak at tau = 1/2
 *   biphasic    f = K sin(2 pi tau) sin^2(pi tau)      |f| peaks at tau = 1/3 and 2/3
 *   damped      f = K sin(4 pi tau) exp(-4 tau)        peak at tau = atan(pi)/(4 pi)
 *
 * The sensor value of frame n is the shape AVERAGED over the sampling
 * interval [t_n - dt, t_n] (an ideal integrate-and-dump anti-alias filter):
 * a 30 ms transient sampled at 25 Hz is then attenuated as a real sensor
 * would attenuate it, instead of aliasing into a random single-sample spike.
 * The average is exact: each shape's antiderivative F is known in closed
 * form. (Slow components - sway, gait, tremor - are point-sampled: their
 * bandwidth is far below the Nyquist frequency.) */
#include <math.h>

#include "synth_priv.h"

/* Damped: d/dtau [sin(4 pi tau) e^{-4 tau}] = 0 at tan(4 pi tau) = pi. */
static double damped_peak_tau(void) { return atan(KL_PI) / (4.0 * KL_PI); }
static double damped_k(void) {
  const double tp = damped_peak_tau();
  return 1.0 / (sin(4.0 * KL_PI * tp) * exp(-4.0 * tp));
}
/* Biphasic: 2 sin^3 x cos x peaks where tan^2 x = 3, x = pi/3: value 3 sqrt(3) / 8. */
#define BIPHASIC_K (8.0 / (3.0 * 1.7320508075688772))

/* Antiderivative of the unit-peak shape, F(0) = 0, tau clamped to [0, 1]. */
static double shape_integral(int shape, double tau) {
  if (tau <= 0.0) return 0.0;
  if (tau > 1.0) tau = 1.0;
  switch (shape) {
    case KLONOS_SYNTH_JERK_MONOPHASIC:
      return 0.5 * tau - sin(2.0 * KL_PI * tau) / (4.0 * KL_PI);
    case KLONOS_SYNTH_JERK_BIPHASIC: {
      const double s = sin(KL_PI * tau);
      return BIPHASIC_K * s * s * s * s / (2.0 * KL_PI);
    }
    default: { /* damped: integral of sin(w tau) e^{-k tau} with w = 4 pi, k = 4 */
      const double w = 4.0 * KL_PI, k = 4.0;
      const double e = exp(-k * tau);
      return damped_k() * (w - e * (k * sin(w * tau) + w * cos(w * tau))) / (k * k + w * w);
    }
  }
}

double kl_jerk_shape_avg(int shape, double tau, double dtau) {
  if (tau <= 0.0 || tau - dtau >= 1.0) return 0.0;
  return (shape_integral(shape, tau) - shape_integral(shape, tau - dtau)) / dtau;
}

double kl_jerk_shape_peak_tau(int shape) {
  switch (shape) {
    case KLONOS_SYNTH_JERK_MONOPHASIC: return 0.5;
    case KLONOS_SYNTH_JERK_BIPHASIC: return 1.0 / 3.0;
    default: return damped_peak_tau();
  }
}
