/* Private: Butterworth IIR design as second-order sections (SOS).
 *
 * Method (Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed.,
 * sec. 7.2.2 bilinear transformation and 7.3 Butterworth design; the same
 * route as scipy.signal.butter's documented zpk path):
 *   1. analogue low-pass prototype poles p_k = exp(i*pi*(2k+n+1)/(2n)),
 *      k = 0..n-1, on the unit circle in the left half plane;
 *   2. pre-warp the digital edge(s): W = tan(pi*f/fs), so the digital -3 dB
 *      points land exactly on the requested frequencies;
 *   3. analogue frequency transform: low-pass s -> s/W, high-pass s -> W/s,
 *      band-pass s -> (s^2 + W0^2)/(B*s) with W0^2 = W_lo*W_hi,
 *      B = W_hi - W_lo (a true band-pass transform, not an HP*LP cascade:
 *      order n gives a 2n-th order filter, n sections, like
 *      scipy.signal.butter(n, [lo, hi], 'bandpass'));
 *   4. bilinear transform s = (z-1)/(z+1) (the 2*fs factor cancels against
 *      the pre-warping), poles z = (1+s)/(1-s), zeros at z = -1 (from the
 *      zeros at infinity) and z = +1 (from the zeros at s = 0);
 *   5. group conjugate pole pairs into sections, order them so the poles
 *      farthest from the unit circle come first (scipy's zpk2sos ordering)
 *      and give each section unit gain at the pass-band reference frequency
 *      (DC, Nyquist, or the band centre 2*atan(W0)). Per-section
 *      normalisation keeps every intermediate signal at the input's scale,
 *      so the float in/out path loses nothing to internal gain.
 *
 * All coefficients are double; a0 = 1 is implied. */
#ifndef KLONOS_DSP_BUTTERWORTH_H
#define KLONOS_DSP_BUTTERWORTH_H

#define KL_BUTTER_MAX_ORDER 8
/* A band-pass of order 8 has 8 sections; LP/HP of order 8 have 4. */
#define KL_SOS_MAX_SECTIONS 8

typedef enum kl_butter_kind {
  KL_BUTTER_LOWPASS = 0,
  KL_BUTTER_HIGHPASS = 1,
  KL_BUTTER_BANDPASS = 2
} kl_butter_kind;

/* One biquad: H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2).
 * A first-order section has b2 = a2 = 0. */
typedef struct kl_sos_section {
  double b0, b1, b2, a1, a2;
} kl_sos_section;

typedef struct kl_sos_design {
  int n_sections;
  kl_sos_section sec[KL_SOS_MAX_SECTIONS];
  /* What was asked for (for reporting; the sections alone define the filter). */
  kl_butter_kind kind;
  int order;
  double f1_hz; /* cutoff (LP/HP) or lower edge (BP) */
  double f2_hz; /* upper edge (BP); 0 otherwise */
  double fs_hz;
} kl_sos_design;

/* Design a Butterworth filter. order 1..8 (for a band-pass: the prototype
 * order; the filter's order is twice that). Low/high-pass: cutoff f1_hz,
 * f2_hz ignored. Band-pass: edges f1_hz < f2_hz. Every edge must be finite
 * and strictly between 0 and fs_hz/2; fs_hz finite and > 0.
 * Returns KLONOS_OK, or KLONOS_E_INVAL (d is then left zeroed). */
int kl_butter_design(kl_sos_design *d, kl_butter_kind kind, int order, double f1_hz, double f2_hz,
                     double fs_hz);

int kl_butter_lowpass(kl_sos_design *d, int order, double fc_hz, double fs_hz);
int kl_butter_highpass(kl_sos_design *d, int order, double fc_hz, double fs_hz);
int kl_butter_bandpass(kl_sos_design *d, int order, double f_lo_hz, double f_hi_hz, double fs_hz);

/* |H(e^{i*2*pi*f/fs})| of the whole cascade, from the coefficients. */
double kl_sos_magnitude(const kl_sos_design *d, double f_hz);

/* Gain of the cascade for a constant input (H(z=1)). */
double kl_sos_dc_gain(const kl_sos_design *d);

#endif
