/* Zero-phase forward-backward SOS filtering; see filtfilt.h. */
#include "filtfilt.h"

#include <stddef.h>
#include <stdlib.h>

#include "klonos/status.h"
#include "sosfilt.h"
#include "util/hot.h"

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

/* One pass over nch interleaved channels (w[i * nch + c], i < len) in
 * place, each channel c from its own design's steady state scaled to the
 * first sample it sees; backwards when `reverse`. Every design has `ns`
 * sections. The sections are fused: each sample runs through the whole
 * cascade before the next one, so the independent recurrences (sections
 * and channels) overlap in the pipeline instead of each sweeping the block
 * on its own. Per sample and section the arithmetic is exactly that of a
 * section-major sweep (the same expressions in the same order), so the
 * result is bit-identical to filtering section by section and channel by
 * channel. ns and nch are compile-time constants in the specialised copies
 * below, which keeps the states in registers. */
static KL_ALWAYS_INLINE void pass_fused(const kl_sos_design *const *d, const double (*const *zi)[2], double *w, size_t len,
                              int nch, int ns, int reverse) {
  double b0[KL_SOS_MAX_SECTIONS][KL_FILTFILT_MAX_CH], b1[KL_SOS_MAX_SECTIONS][KL_FILTFILT_MAX_CH],
      b2[KL_SOS_MAX_SECTIONS][KL_FILTFILT_MAX_CH], a1[KL_SOS_MAX_SECTIONS][KL_FILTFILT_MAX_CH],
      a2[KL_SOS_MAX_SECTIONS][KL_FILTFILT_MAX_CH];
  double z0[KL_SOS_MAX_SECTIONS][KL_FILTFILT_MAX_CH], z1[KL_SOS_MAX_SECTIONS][KL_FILTFILT_MAX_CH];
  const double *first = reverse ? w + (len - 1) * (size_t)nch : w;
  for (int c = 0; c < nch; c++) {
    const double x0 = first[c];
    for (int s = 0; s < ns; s++) {
      const kl_sos_section *q = &d[c]->sec[s];
      b0[s][c] = q->b0, b1[s][c] = q->b1, b2[s][c] = q->b2, a1[s][c] = q->a1, a2[s][c] = q->a2;
      z0[s][c] = zi[c][s][0] * x0;
      z1[s][c] = zi[c][s][1] * x0;
    }
  }
#define KL_FF_STEP(P)                                                  \
  for (int c = 0; c < nch; c++) {                                      \
    double in = (P)[c];                                                \
    for (int s = 0; s < ns; s++) {                                     \
      double y = b0[s][c] * in + z0[s][c];                             \
      z0[s][c] = b1[s][c] * in - a1[s][c] * y + z1[s][c];              \
      z1[s][c] = b2[s][c] * in - a2[s][c] * y;                         \
      in = y;                                                          \
    }                                                                  \
    (P)[c] = in;                                                       \
  }
  if (reverse) {
    for (size_t k = len; k-- > 0;) {
      double *v = w + k * (size_t)nch;
      KL_FF_STEP(v)
    }
  } else {
    for (size_t k = 0; k < len; k++) {
      double *v = w + k * (size_t)nch;
      KL_FF_STEP(v)
    }
  }
#undef KL_FF_STEP
}

/* Two-section cascades (order-4 low-pass, order-2 band-pass) for 1-3
 * channels, written out with scalar state so that it stays in registers
 * (the generic form above keeps it in arrays). The same expressions as
 * pass_fused, so the same bits. */
#define KL_FF2_DEFINE(NCH)                                                                                   \
  static void pass2_##NCH(const kl_sos_design *const *d, const double (*const *zi)[2], double *w, size_t len,   \
                          int reverse) {                                                                     \
    double b0a[NCH], b1a[NCH], b2a[NCH], a1a[NCH], a2a[NCH], b0b[NCH], b1b[NCH], b2b[NCH], a1b[NCH], a2b[NCH]; \
    double z0a[NCH], z1a[NCH], z0b[NCH], z1b[NCH];                                                            \
    const double *first = reverse ? w + (len - 1) * (size_t)NCH : w;                                         \
    KL_UNROLL for (int c = 0; c < NCH; c++) {                                                                \
      const kl_sos_section *p = &d[c]->sec[0], *q = &d[c]->sec[1];                                           \
      const double x0 = first[c];                                                                            \
      b0a[c] = p->b0, b1a[c] = p->b1, b2a[c] = p->b2, a1a[c] = p->a1, a2a[c] = p->a2;                          \
      b0b[c] = q->b0, b1b[c] = q->b1, b2b[c] = q->b2, a1b[c] = q->a1, a2b[c] = q->a2;                          \
      z0a[c] = zi[c][0][0] * x0, z1a[c] = zi[c][0][1] * x0;                                                  \
      z0b[c] = zi[c][1][0] * x0, z1b[c] = zi[c][1][1] * x0;                                                  \
    }                                                                                                        \
    const ptrdiff_t step = reverse ? -(ptrdiff_t)NCH : (ptrdiff_t)NCH;                                       \
    double *v = reverse ? w + (len - 1) * (size_t)NCH : w;                                                   \
    for (size_t k = 0; k < len; k++, v += step) {                                                            \
      KL_UNROLL for (int c = 0; c < NCH; c++) {                                                              \
        double in = v[c];                                                                                    \
        double y = b0a[c] * in + z0a[c];                                                                     \
        z0a[c] = b1a[c] * in - a1a[c] * y + z1a[c];                                                          \
        z1a[c] = b2a[c] * in - a2a[c] * y;                                                                   \
        in = y;                                                                                              \
        y = b0b[c] * in + z0b[c];                                                                            \
        z0b[c] = b1b[c] * in - a1b[c] * y + z1b[c];                                                          \
        z1b[c] = b2b[c] * in - a2b[c] * y;                                                                   \
        v[c] = y;                                                                                            \
      }                                                                                                      \
    }                                                                                                        \
  }
KL_FF2_DEFINE(1)
KL_FF2_DEFINE(2)
KL_FF2_DEFINE(3)
#undef KL_FF2_DEFINE

static void pass_any(const kl_sos_design *const *d, const double (*const *zi)[2], double *w, size_t len, int nch,
                     int ns, int rev) {
  pass_fused(d, zi, w, len, nch, ns, rev);
}

static void pass(const kl_sos_design *const *d, const double (*const *zi)[2], double *w, size_t len, int nch,
                 int rev) {
  const int ns = d[0]->n_sections;
  if (ns == 2 && nch == 1) pass2_1(d, zi, w, len, rev);
  else if (ns == 2 && nch == 2) pass2_2(d, zi, w, len, rev);
  else if (ns == 2 && nch == 3) pass2_3(d, zi, w, len, rev);
  else pass_any(d, zi, w, len, nch, ns, rev);
}

/* Core on an interleaved double workspace already holding the blocks at
 * work[(pad + i) * nch + c], i < n: odd extension at both ends, then the
 * forward and the backward pass. */
static void filtfilt_core(const kl_sos_design *const *d, int nch, double *work, size_t n, size_t pad) {
  const size_t C = (size_t)nch;
  double *x = work + pad * C;
  for (size_t i = 1; i <= pad; i++)
    for (size_t c = 0; c < C; c++) {
      work[(pad - i) * C + c] = 2.0 * x[c] - x[i * C + c];
      x[(n - 1 + i) * C + c] = 2.0 * x[(n - 1) * C + c] - x[(n - 1 - i) * C + c];
    }
  double zi[KL_FILTFILT_MAX_CH][KL_SOS_MAX_SECTIONS][2];
  const double(*zp[KL_FILTFILT_MAX_CH])[2];
  for (int c = 0; c < nch; c++) {
    kl_sos_steady_state(d[c], zi[c]);
    zp[c] = (const double(*)[2])zi[c];
  }
  size_t len = n + 2 * pad;
  pass(d, zp, work, len, nch, 0);
  pass(d, zp, work, len, nch, 1);
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
  filtfilt_core(&d, 1, work, n, pad);
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
  filtfilt_core(&d, 1, work, n, pad);
  for (size_t i = 0; i < n; i++) out[i * stride] = work[pad + i];
  free(work);
  return KLONOS_OK;
}

/* Several channels at once; see filtfilt.h. */
static int check_multi(const kl_sos_design *const *d, int nch, size_t n, size_t *pad) {
  if (!d || nch < 1 || nch > KL_FILTFILT_MAX_CH || n == 0) return KLONOS_E_INVAL;
  for (int c = 0; c < nch; c++) {
    if (!d[c] || d[c]->n_sections < 1 || d[c]->n_sections > KL_SOS_MAX_SECTIONS) return KLONOS_E_INVAL;
    if (d[c]->n_sections != d[0]->n_sections || effective_padlen(d[c], n) != effective_padlen(d[0], n))
      return KLONOS_E_INVAL;
  }
  *pad = effective_padlen(d[0], n);
  return KLONOS_OK;
}

int kl_sos_filtfilt_multi_d(const kl_sos_design *const *d, int nch, double *const *x, size_t n, double *work) {
  size_t pad = 0;
  int rc = check_multi(d, nch, n, &pad);
  if (rc != KLONOS_OK) return rc;
  if (!x || !work) return KLONOS_E_INVAL;
  const size_t C = (size_t)nch;
  for (size_t c = 0; c < C; c++) {
    if (!x[c]) return KLONOS_E_INVAL;
    for (size_t i = 0; i < n; i++) work[(pad + i) * C + c] = x[c][i];
  }
  filtfilt_core(d, nch, work, n, pad);
  for (size_t c = 0; c < C; c++)
    for (size_t i = 0; i < n; i++) x[c][i] = work[(pad + i) * C + c];
  return KLONOS_OK;
}

int kl_sos_filtfilt_multi(const kl_sos_design *const *d, int nch, const float *const *in, float *const *out,
                          size_t n, double *work) {
  size_t pad = 0;
  int rc = check_multi(d, nch, n, &pad);
  if (rc != KLONOS_OK) return rc;
  if (!in || !out || !work) return KLONOS_E_INVAL;
  const size_t C = (size_t)nch;
  for (size_t c = 0; c < C; c++) {
    if (!in[c] || !out[c]) return KLONOS_E_INVAL;
    for (size_t i = 0; i < n; i++) work[(pad + i) * C + c] = (double)in[c][i];
  }
  filtfilt_core(d, nch, work, n, pad);
  for (size_t c = 0; c < C; c++)
    for (size_t i = 0; i < n; i++) out[c][i] = (float)work[(pad + i) * C + c];
  return KLONOS_OK;
}
