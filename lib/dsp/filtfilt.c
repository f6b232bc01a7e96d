/* Zero-phase forward-backward SOS filtering; see filtfilt.h. */
#include "filtfilt.h"

#include <stdlib.h>

#include "klonos/status.h"
#include "sosfilt.h"

size_t kl_sos_filtfilt_padlen(const kl_sos_design *d) {
  if (!d || d->n_sections < 1) return 0;
  /* scipy counts trailing-zero coefficients to find the true filter length. */
  int zb = 0, za = 0;
  for (int s = 0; s < d->n_sections; s++) {
    zb += d->sec[s].b2 == 0.0;
    za += d->sec[s].a2 == 0.0;
  }
  int ntaps = 2 * d->n_sections + 1 - (zb < za ? zb : za);
  return (size_t)(3 * ntaps);
}

static size_t effective_padlen(const kl_sos_design *d, size_t n) {
  size_t p = kl_sos_filtfilt_padlen(d);
  return p < n ? p : n - 1;
}

size_t kl_sos_filtfilt_work_len(const kl_sos_design *d, size_t n) {
  if (n == 0) return 0;
  return n + 2 * effective_padlen(d, n);
}

/* One pass over x[0..len) in place, starting from the steady state scaled to
 * the first sample seen. Walks backwards when `reverse` (saves reversing the
 * buffer twice). Section-major: each section sweeps the whole block with its
 * coefficients and state in registers. */
static void pass(const kl_sos_design *d, double zi[KL_SOS_MAX_SECTIONS][2], double *x, size_t len,
                 int reverse) {
  double x0 = reverse ? x[len - 1] : x[0];
  for (int s = 0; s < d->n_sections; s++) {
    const kl_sos_section *q = &d->sec[s];
    const double b0 = q->b0, b1 = q->b1, b2 = q->b2, a1 = q->a1, a2 = q->a2;
    double z0 = zi[s][0] * x0, z1 = zi[s][1] * x0;
    for (size_t k = 0; k < len; k++) {
      size_t i = reverse ? len - 1 - k : k;
      double in = x[i];
      double y = b0 * in + z0;
      z0 = b1 * in - a1 * y + z1;
      z1 = b2 * in - a2 * y;
      x[i] = y;
    }
  }
}

/* Core on a double workspace already holding the block at work[pad..pad+n). */
static void filtfilt_core(const kl_sos_design *d, double *work, size_t n, size_t pad) {
  double *x = work + pad;
  for (size_t i = 1; i <= pad; i++) {
    work[pad - i] = 2.0 * x[0] - x[i];
    x[n - 1 + i] = 2.0 * x[n - 1] - x[n - 1 - i];
  }
  double zi[KL_SOS_MAX_SECTIONS][2];
  kl_sos_steady_state(d, zi);
  size_t len = n + 2 * pad;
  pass(d, zi, work, len, 0);
  pass(d, zi, work, len, 1);
}

static int check(const kl_sos_design *d, const void *in, const void *out, size_t n, size_t stride) {
  if (!d || !in || !out || n == 0 || stride == 0) return KLONOS_E_INVAL;
  if (d->n_sections < 1 || d->n_sections > KL_SOS_MAX_SECTIONS) return KLONOS_E_INVAL;
  return KLONOS_OK;
}

int kl_sos_filtfilt_work(const kl_sos_design *d, const float *in, float *out, size_t n, size_t stride,
                         double *work) {
  int rc = check(d, in, out, n, stride);
  if (rc != KLONOS_OK) return rc;
  if (!work) return KLONOS_E_INVAL;
  size_t pad = effective_padlen(d, n);
  for (size_t i = 0; i < n; i++) work[pad + i] = (double)in[i * stride];
  filtfilt_core(d, work, n, pad);
  for (size_t i = 0; i < n; i++) out[i * stride] = (float)work[pad + i];
  return KLONOS_OK;
}

int kl_sos_filtfilt(const kl_sos_design *d, const float *in, float *out, size_t n, size_t stride) {
  int rc = check(d, in, out, n, stride);
  if (rc != KLONOS_OK) return rc;
  double *work = malloc(sizeof(double) * kl_sos_filtfilt_work_len(d, n));
  if (!work) return KLONOS_E_NOMEM;
  rc = kl_sos_filtfilt_work(d, in, out, n, stride, work);
  free(work);
  return rc;
}

int kl_sos_filtfilt_d(const kl_sos_design *d, const double *in, double *out, size_t n, size_t stride) {
  int rc = check(d, in, out, n, stride);
  if (rc != KLONOS_OK) return rc;
  size_t pad = effective_padlen(d, n);
  double *work = malloc(sizeof(double) * (n + 2 * pad));
  if (!work) return KLONOS_E_NOMEM;
  for (size_t i = 0; i < n; i++) work[pad + i] = in[i * stride];
  filtfilt_core(d, work, n, pad);
  for (size_t i = 0; i < n; i++) out[i * stride] = work[pad + i];
  free(work);
  return KLONOS_OK;
}
