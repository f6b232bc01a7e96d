/* Butterworth design: analogue prototype -> pre-warped bilinear transform ->
 * second-order sections. See butterworth.h for the method and sources. */
#include "butterworth.h"

#include <complex.h>
#include <math.h>
#include <string.h>

#include "klonos/status.h"

static const double kl_pi = 3.14159265358979323846;

/* Complex response of one section at z = e^{i*w}. */
static double complex section_response(const kl_sos_section *s, double w) {
  double complex z1 = cexp(-I * w);
  double complex z2 = z1 * z1;
  return (s->b0 + s->b1 * z1 + s->b2 * z2) / (1.0 + s->a1 * z1 + s->a2 * z2);
}

/* Bilinear transform of one analogue pole (normalised: s = (z-1)/(z+1)). */
static double complex bilinear(double complex s) { return (1.0 + s) / (1.0 - s); }

/* Section holding digital poles z1 and z2 (a conjugate pair, or two reals;
 * either way a1 and a2 are real). Numerator shape by kind; gain set later. */
static kl_sos_section section_two_poles(double complex z1, double complex z2, kl_butter_kind kind) {
  kl_sos_section s;
  s.a1 = -creal(z1 + z2);
  s.a2 = creal(z1 * z2);
  switch (kind) {
  case KL_BUTTER_LOWPASS: s.b0 = 1.0, s.b1 = 2.0, s.b2 = 1.0; break;   /* (1 + z^-1)^2 */
  case KL_BUTTER_HIGHPASS: s.b0 = 1.0, s.b1 = -2.0, s.b2 = 1.0; break; /* (1 - z^-1)^2 */
  default: s.b0 = 1.0, s.b1 = 0.0, s.b2 = -1.0; break;                 /* (1 - z^-1)(1 + z^-1) */
  }
  return s;
}

static kl_sos_section section_one_pole(double z, kl_butter_kind kind) {
  kl_sos_section s = {1.0, kind == KL_BUTTER_LOWPASS ? 1.0 : -1.0, 0.0, -z, 0.0};
  return s;
}

/* Largest pole radius of a section: the sort key (poles far from the unit
 * circle first, the sharpest resonance last, as scipy's zpk2sos). */
static double pole_radius(const kl_sos_section *s) {
  if (s->a2 == 0.0) return fabs(s->a1);
  double disc = s->a1 * s->a1 - 4.0 * s->a2;
  if (disc < 0.0) return sqrt(s->a2); /* conjugate pair: |z|^2 = a2 */
  double r = sqrt(disc);
  return fmax(fabs(-s->a1 + r), fabs(-s->a1 - r)) * 0.5;
}

static int edge_ok(double f_hz, double fs_hz) { return isfinite(f_hz) && f_hz > 0.0 && f_hz < 0.5 * fs_hz; }

int kl_butter_design(kl_sos_design *d, kl_butter_kind kind, int order, double f1_hz, double f2_hz,
                     double fs_hz) {
  if (!d) return KLONOS_E_INVAL;
  memset(d, 0, sizeof *d);
  if (order < 1 || order > KL_BUTTER_MAX_ORDER) return KLONOS_E_INVAL;
  if (!isfinite(fs_hz) || !(fs_hz > 0.0)) return KLONOS_E_INVAL;
  if (!edge_ok(f1_hz, fs_hz)) return KLONOS_E_INVAL;
  if (kind == KL_BUTTER_BANDPASS) {
    if (!edge_ok(f2_hz, fs_hz) || !(f2_hz > f1_hz)) return KLONOS_E_INVAL;
  } else if (kind != KL_BUTTER_LOWPASS && kind != KL_BUTTER_HIGHPASS) {
    return KLONOS_E_INVAL;
  }

  /* Pre-warped analogue edges (normalised bilinear domain). */
  double w1 = tan(kl_pi * f1_hz / fs_hz);
  double w2 = kind == KL_BUTTER_BANDPASS ? tan(kl_pi * f2_hz / fs_hz) : 0.0;
  double bw = w2 - w1, w0sq = w1 * w2;
  /* Frequency where every section is given unit gain. */
  double w_ref = kind == KL_BUTTER_LOWPASS ? 0.0 : kind == KL_BUTTER_HIGHPASS ? kl_pi : 2.0 * atan(sqrt(w0sq));

  kl_sos_section tmp[KL_SOS_MAX_SECTIONS];
  int ns = 0;
  int n = order;
  /* Prototype poles k and n-1-k are conjugates: walk the upper half only;
   * an odd order adds the real pole -1 (k = (n-1)/2). */
  for (int k = 0; k < (n + 1) / 2; k++) {
    double complex p = cexp(I * kl_pi * (double)(2 * k + n + 1) / (double)(2 * n));
    int real_pole = (2 * k + 1 == n);
    if (real_pole) p = -1.0;
    if (kind == KL_BUTTER_LOWPASS || kind == KL_BUTTER_HIGHPASS) {
      double complex s = kind == KL_BUTTER_LOWPASS ? w1 * p : w1 / p;
      double complex z = bilinear(s);
      tmp[ns++] = real_pole ? section_one_pole(creal(z), kind) : section_two_poles(z, conj(z), kind);
    } else {
      /* s^2 - p*B*s + W0^2 = 0: each prototype pole gives two band-pass poles. */
      double complex pb = p * bw;
      double complex root = csqrt(pb * pb - 4.0 * w0sq);
      double complex s1 = 0.5 * (pb + root), s2 = 0.5 * (pb - root);
      if (real_pole) {
        /* Real coefficients: s1, s2 are a conjugate pair or both real. */
        tmp[ns++] = section_two_poles(bilinear(s1), bilinear(s2), kind);
      } else {
        /* conj(p) yields conj(s1), conj(s2): pair each with its conjugate. */
        double complex z1 = bilinear(s1), z2 = bilinear(s2);
        tmp[ns++] = section_two_poles(z1, conj(z1), kind);
        tmp[ns++] = section_two_poles(z2, conj(z2), kind);
      }
    }
  }

  for (int i = 0; i < ns; i++) {
    double g = 1.0 / cabs(section_response(&tmp[i], w_ref));
    tmp[i].b0 *= g, tmp[i].b1 *= g, tmp[i].b2 *= g;
  }
  /* Insertion sort by pole radius, ascending (ns <= 8). */
  for (int i = 1; i < ns; i++) {
    kl_sos_section key = tmp[i];
    double r = pole_radius(&key);
    int j = i - 1;
    while (j >= 0 && pole_radius(&tmp[j]) > r) {
      tmp[j + 1] = tmp[j];
      j--;
    }
    tmp[j + 1] = key;
  }

  memcpy(d->sec, tmp, sizeof(kl_sos_section) * (size_t)ns);
  d->n_sections = ns;
  d->kind = kind;
  d->order = order;
  d->f1_hz = f1_hz;
  d->f2_hz = kind == KL_BUTTER_BANDPASS ? f2_hz : 0.0;
  d->fs_hz = fs_hz;
  return KLONOS_OK;
}

int kl_butter_lowpass(kl_sos_design *d, int order, double fc_hz, double fs_hz) {
  return kl_butter_design(d, KL_BUTTER_LOWPASS, order, fc_hz, 0.0, fs_hz);
}

int kl_butter_highpass(kl_sos_design *d, int order, double fc_hz, double fs_hz) {
  return kl_butter_design(d, KL_BUTTER_HIGHPASS, order, fc_hz, 0.0, fs_hz);
}

int kl_butter_bandpass(kl_sos_design *d, int order, double f_lo_hz, double f_hi_hz, double fs_hz) {
  return kl_butter_design(d, KL_BUTTER_BANDPASS, order, f_lo_hz, f_hi_hz, fs_hz);
}

double kl_sos_magnitude(const kl_sos_design *d, double f_hz) {
  if (!d || d->n_sections <= 0 || !(d->fs_hz > 0.0)) return NAN;
  double w = 2.0 * kl_pi * f_hz / d->fs_hz;
  double complex h = 1.0;
  for (int i = 0; i < d->n_sections; i++) h *= section_response(&d->sec[i], w);
  return cabs(h);
}

double kl_sos_dc_gain(const kl_sos_design *d) {
  if (!d || d->n_sections <= 0) return NAN;
  double g = 1.0;
  for (int i = 0; i < d->n_sections; i++) {
    const kl_sos_section *s = &d->sec[i];
    g *= (s->b0 + s->b1 + s->b2) / (1.0 + s->a1 + s->a2);
  }
  return g;
}
