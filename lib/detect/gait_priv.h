/* Private to lib/detect/gait*.c: the step-finding stage and shared helpers. */
#ifndef KLONOS_DETECT_GAIT_PRIV_H
#define KLONOS_DETECT_GAIT_PRIV_H

#include <stddef.h>

#include "gait.h"

/* Vertex of the parabola through (i-1, y[i-1]), (i, y[i]), (i+1, y[i+1]):
 * offset from i in samples (clamped to +-0.5) and the interpolated height.
 * Used for sub-sample peak positions and autocorrelation peak values, which
 * keeps both from depending on where the sample grid falls. */
double kl_gait_parabolic(const double *y, size_t i, double *peak);

/* Dominant step period (s) from the unbiased autocorrelation of the
 * conditioned vertical (and, to tell a stride from a step, medio-lateral)
 * signal; docs/gait.md "Step period". KLONOS_E_NODATA when no periodic
 * pattern lies in [min_step_s, max_step_s]. */
int kl_gait_step_period(const kl_gait_config *c, const float *v, const float *ml, size_t n, double rate_hz,
                        double *step_s);

/* Step events (seconds from sample 0, ascending) from the conditioned
 * vertical signal given the step period; writes at most cap events to t and
 * returns the count through *count. */
int kl_gait_find_steps(const kl_gait_config *c, const float *v, size_t n, double rate_hz, double step_s, double *t,
                       size_t cap, size_t *count);

#endif
