/* Postural sway: per axis, a multisine whose lines wander slowly in
 * frequency, with a slow level control.
 *
 * Why this and not plain filtered noise: a test (and a user) asks for an
 * exact RMS and spectral centroid. The RMS of a stochastic process over 5
 * min of a ~1 Hz-wide band scatters by several %. Here a multisine's power is
 * the sum of its lines' powers whatever their phases, and a slow automatic
 * gain control (running mean square, time constant 10 s) divides out what
 * remains of the slow power fluctuations: the RMS over 300 s is within ~0.5%
 * (1 SD over seeds) of the requested value.
 *
 * Each line's instantaneous frequency is f_k (1 + r y_k(t)), y_k an
 * Ornstein-Uhlenbeck process (unit variance, correlation time 2 s), r = 5%:
 * the phase wanders (the signal never repeats, each line has a width) but,
 * unlike a phase random walk, the line shape has light tails, so the second
 * spectral moment is exactly f_k^2 (1 + r^2) and the centroid stays where it
 * was put. (A phase random walk gives Lorentzian lines whose heavy tails
 * raised the measured centroid by 4-8%; phase jumps add broadband leakage.)
 *
 * Spectrum: KL_SWAY_COMPONENTS lines log-spaced over [low, high] (interior
 * ones jittered), line power proportional to f^beta with beta solved so that
 * the centroidal frequency sqrt(m2/m0) (Prieto 1996; Mancini 2012 "CF") is
 * the one requested. Each line advances by one complex multiplication per
 * sample (no per-sample sin/cos). */
#include <math.h>

#include "synth_priv.h"

#define FREQ_DEV_REL 0.05 /* SD of each line's frequency / its frequency */
#define FREQ_DEV_TAU_S 2.0
#define KICK_PERIOD_S 0.1
#define AGC_TAU_S 10.0

static double centroid_for(const double *f, int k, double beta) {
  double m0 = 0.0, m2 = 0.0;
  const double lref = log(f[0]);
  for (int i = 0; i < k; i++) {
    double p = exp(beta * (log(f[i]) - lref));
    m0 += p;
    m2 += p * f[i] * f[i];
  }
  return sqrt(m2 / m0);
}

static void init_axis(kl_sway_axis *ax, kl_rng *rng, double lo, double hi, double centroid, double fs) {
  const int k = KL_SWAY_COMPONENTS;
  double f[KL_SWAY_COMPONENTS];
  for (int i = 0; i < k; i++) {
    double jitter = (i == 0 || i == k - 1) ? 0.0 : kl_rng_range(rng, -0.4, 0.4);
    f[i] = lo * pow(hi / lo, ((double)i + jitter) / (double)(k - 1));
  }
  /* The frequency wander multiplies every line's second moment by 1 + r^2. */
  const double target = centroid / sqrt(1.0 + FREQ_DEV_REL * FREQ_DEV_REL);
  /* The centroid grows monotonically with beta: bisect. */
  double blo = -60.0, bhi = 60.0;
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (blo + bhi);
    if (centroid_for(f, k, mid) < target) blo = mid;
    else bhi = mid;
  }
  const double beta = 0.5 * (blo + bhi);
  double total = 0.0, pw[KL_SWAY_COMPONENTS];
  for (int i = 0; i < k; i++) {
    pw[i] = exp(beta * (log(f[i]) - log(f[0])));
    total += pw[i];
  }
  for (int i = 0; i < k; i++) {
    const double omega = 2.0 * KL_PI * f[i];
    ax->amp[i] = sqrt(2.0 * pw[i] / total); /* sum amp^2 / 2 = 1 */
    ax->amp_omega[i] = ax->amp[i] * omega;
    const double phase = kl_rng_range(rng, 0.0, 2.0 * KL_PI);
    ax->zr[i] = cos(phase);
    ax->zi[i] = sin(phase);
    ax->wr[i] = cos(omega / fs);
    ax->wi[i] = sin(omega / fs);
    ax->er[i] = ax->wr[i];
    ax->ei[i] = ax->wi[i];
    ax->dev[i] = kl_rng_noise(rng); /* stationary from the start */
    ax->dev_step[i] = FREQ_DEV_REL * omega / fs;
  }
}

void kl_sway_init(kl_sway *s, uint64_t seed, double lo_hz, double hi_hz, double centroid_hz, double fs) {
  kl_rng_seed(&s->rng, seed, KL_STREAM_SWAY);
  s->kick_every = llround(KICK_PERIOD_S * fs);
  if (s->kick_every < 1) s->kick_every = 1;
  const double kick_s = (double)s->kick_every / fs;
  s->ou_rho = exp(-kick_s / FREQ_DEV_TAU_S);
  s->agc_alpha = 1.0 - exp(-1.0 / (AGC_TAU_S * fs));
  s->ms[0] = s->ms[1] = 1.0;
  for (int a = 0; a < 2; a++) init_axis(&s->axis[a], &s->rng, lo_hz, hi_hz, centroid_hz, fs);
}

/* Every KICK_PERIOD_S: advance each line's frequency deviation (OU) and set
 * the per-sample rotation for the coming interval. The deviation is at most
 * ~3.5 x 5% of the line frequency, a tiny angle per sample: Taylor terms up
 * to the cube are exact to 1e-15. Irwin-Hall deviates are plenty here. */
static void kick(kl_sway_axis *ax, kl_rng *rng, double rho, double innov) {
  for (int i = 0; i < KL_SWAY_COMPONENTS; i++) {
    ax->dev[i] = rho * ax->dev[i] + innov * kl_rng_noise(rng);
    const double d = ax->dev_step[i] * ax->dev[i];
    const double d2 = d * d;
    const double c = 1.0 - 0.5 * d2, sn = d * (1.0 - d2 * (1.0 / 6.0));
    ax->er[i] = ax->wr[i] * c - ax->wi[i] * sn;
    ax->ei[i] = ax->wr[i] * sn + ax->wi[i] * c;
    /* Renormalise the line: rounding in the per-sample multiplications drifts |z|. */
    const double inv = 1.0 / sqrt(ax->zr[i] * ax->zr[i] + ax->zi[i] * ax->zi[i]);
    ax->zr[i] *= inv;
    ax->zi[i] *= inv;
  }
}

static void axis_next(kl_sway_axis *ax, double *x, double *xdot) {
  double v = 0.0, d = 0.0;
  for (int i = 0; i < KL_SWAY_COMPONENTS; i++) {
    const double zr = ax->zr[i], zi = ax->zi[i];
    v += ax->amp[i] * zr;
    d -= ax->amp_omega[i] * zi;
    ax->zr[i] = zr * ax->er[i] - zi * ax->ei[i];
    ax->zi[i] = zr * ax->ei[i] + zi * ax->er[i];
  }
  *x = v;
  *xdot = d;
}

void kl_sway_next(kl_sway *s, int64_t n, double x[2], double xdot[2]) {
  if (n % s->kick_every == 0) {
    const double innov = sqrt(1.0 - s->ou_rho * s->ou_rho);
    kick(&s->axis[0], &s->rng, s->ou_rho, innov);
    kick(&s->axis[1], &s->rng, s->ou_rho, innov);
  }
  for (int a = 0; a < 2; a++) {
    double v, d;
    axis_next(&s->axis[a], &v, &d);
    s->ms[a] += (v * v - s->ms[a]) * s->agc_alpha;
    const double g = 1.0 / sqrt(s->ms[a]);
    x[a] = v * g;
    xdot[a] = d * g; /* the gain changes over ~10 s: its derivative is negligible */
  }
}
