/* Private to lib/detect/gait*.c: the step-finding stage and shared helpers. */
#ifndef KLONOS_DETECT_GAIT_PRIV_H
#define KLONOS_DETECT_GAIT_PRIV_H

#include <stddef.h>

#include "dsp/autocorr.h"
#include "gait.h"

/* Reusable buffers and FFT plans of the gait engine (kl_gait_ws in gait.h):
 * grown to the largest bout seen, never per sample. */
struct kl_gait_ws {
  kl_autocorr_ws *ac;
  float *sig;
  double *t, *work, *s, *ad, *ff, *hv;
  unsigned char *valid, *taken;
  void *cd;
  size_t sig_cap, t_cap, work_cap, s_cap, ad_cap, ff_cap, hv_cap, valid_cap, taken_cap, cd_cap;
  /* cos and -sin of 2 pi k / N for the harmonic DFTs, per stride length N
   * (strides repeat their length): tw[N] holds 2 * tw_k[N] values, or NULL. */
  double **tw;
  int *tw_k;
  size_t tw_cap;
};

/* Make *p hold at least `need` items of `size` bytes (contents not kept);
 * NULL when out of memory. */
void *kl_gait_grow(void **p, size_t *cap, size_t need, size_t size);

/* Vertex of the parabola through (i-1, y[i-1]), (i, y[i]), (i+1, y[i+1]):
 * offset from i in samples (clamped to +-0.5) and the interpolated height.
 * Used for sub-sample peak positions and autocorrelation peak values, which
 * keeps both from depending on where the sample grid falls. */
double kl_gait_parabolic(const double *y, size_t i, double *peak);

/* Dominant step period (s) from the unbiased autocorrelation of the
 * conditioned vertical (and, to tell a stride from a step, medio-lateral)
 * signal; docs/gait.md "Step period". KLONOS_E_NODATA when no periodic
 * pattern lies in [min_step_s, max_step_s]. */
int kl_gait_step_period(kl_gait_ws *ws, const kl_gait_config *c, const float *v, const float *ml, size_t n, double rate_hz,
                        double *step_s);

/* Step events (seconds from sample 0, ascending) from the conditioned
 * vertical signal given the step period; writes at most cap events to t and
 * returns the count through *count. */
/* Grow the step search's buffers for n samples (gait_steps.c). */
int kl_gait_steps_reserve(kl_gait_ws *ws, size_t n);

int kl_gait_find_steps(kl_gait_ws *ws, const kl_gait_config *c, const float *v, size_t n, double rate_hz, double step_s, double *t,
                       size_t cap, size_t *count);

#endif
