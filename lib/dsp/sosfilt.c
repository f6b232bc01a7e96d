/* Causal streaming SOS filter (TDF-II per section); see sosfilt.h. */
#include "sosfilt.h"

#include <math.h>
#include <string.h>

#include "klonos/status.h"
#include "util/hot.h"

int kl_sos_filter_init(kl_sos_filter *f, const kl_sos_design *d, int nch) {
  if (!f || !d || d->n_sections < 1 || d->n_sections > KL_SOS_MAX_SECTIONS) return KLONOS_E_INVAL;
  if (nch < 1 || nch > KL_SOS_MAX_CHANNELS) return KLONOS_E_INVAL;
  memset(f, 0, sizeof *f);
  f->d = *d;
  f->nch = nch;
  return KLONOS_OK;
}

void kl_sos_filter_reset(kl_sos_filter *f) {
  if (f) memset(f->z, 0, sizeof f->z);
}

void kl_sos_steady_state(const kl_sos_design *d, double zi[KL_SOS_MAX_SECTIONS][2]) {
  /* For a constant input x into a section with DC gain G the output is y = G x,
   * and the TDF-II equations y = b0 x + z0, z0 = b1 x - a1 y + z1,
   * z1 = b2 x - a2 y give z0 = y - b0 x and z1 = b2 x - a2 y. The next
   * section's input is this section's output. */
  double x = 1.0;
  for (int s = 0; s < d->n_sections; s++) {
    const kl_sos_section *q = &d->sec[s];
    double g = (q->b0 + q->b1 + q->b2) / (1.0 + q->a1 + q->a2);
    double y = g * x;
    zi[s][0] = y - q->b0 * x;
    zi[s][1] = q->b2 * x - q->a2 * y;
    x = y;
  }
}

void kl_sos_filter_prime(kl_sos_filter *f, const float *x0) {
  if (!f) return;
  double zi[KL_SOS_MAX_SECTIONS][2];
  kl_sos_steady_state(&f->d, zi);
  for (int c = 0; c < f->nch; c++) {
    double v = x0 && isfinite(x0[c]) ? (double)x0[c] : 0.0;
    for (int s = 0; s < f->d.n_sections; s++) {
      f->z[s][c][0] = zi[s][0] * v;
      f->z[s][c][1] = zi[s][1] * v;
    }
  }
}

/* Section-major over a block: one section runs over the block for every
 * channel with its coefficients and states in registers, the block is held in
 * double between sections. Per sample the arithmetic is exactly that of a
 * sample-by-sample cascade, so the result does not depend on the block or
 * chunk size. NCH is a compile-time constant in the specialised copies so the
 * channel loop unrolls. */
#define KL_SOS_BLOCK 256

static inline void run_section(const kl_sos_section *q, double (*zs)[2], double *buf, size_t frames, int nch) {
  const double b0 = q->b0, b1 = q->b1, b2 = q->b2, a1 = q->a1, a2 = q->a2;
  double z0[KL_SOS_MAX_CHANNELS], z1[KL_SOS_MAX_CHANNELS];
  for (int c = 0; c < nch; c++) z0[c] = zs[c][0], z1[c] = zs[c][1];
  for (size_t i = 0; i < frames; i++) {
    double *v = buf + i * (size_t)nch;
    for (int c = 0; c < nch; c++) {
      double x = v[c];
      double y = b0 * x + z0[c];
      z0[c] = b1 * x - a1 * y + z1[c];
      z1[c] = b2 * x - a2 * y;
      v[c] = y;
    }
  }
  for (int c = 0; c < nch; c++) zs[c][0] = z0[c], zs[c][1] = z1[c];
}

static inline void process_nch(kl_sos_filter *f, float *x, size_t frames, int nch) {
  double buf[KL_SOS_BLOCK * KL_SOS_MAX_CHANNELS];
  const int ns = f->d.n_sections;
  while (frames > 0) {
    size_t m = frames < KL_SOS_BLOCK ? frames : KL_SOS_BLOCK;
    size_t len = m * (size_t)nch;
    for (size_t i = 0; i < len; i++) buf[i] = (double)x[i];
    for (int s = 0; s < ns; s++) run_section(&f->d.sec[s], f->z[s], buf, m, nch);
    for (size_t i = 0; i < len; i++) x[i] = (float)buf[i];
    x += len;
    frames -= m;
  }
}

/* Two-section cascades (the jerk detector's order-2 band-pass) with the
 * sections fused: each frame runs through both sections before the next,
 * states and coefficients in registers, straight from float to float.
 * Per sample and section the arithmetic is that of run_section (the same
 * expressions, in the same order, on the same double values), so the
 * output is bit-identical to the section-major form above. */
#define KL_SOS2_DEFINE(NCH)                                                                                  \
  static void process2_##NCH(kl_sos_filter *f, float *x, size_t frames) {                                   \
    const kl_sos_section *p = &f->d.sec[0], *q = &f->d.sec[1];                                               \
    const double pb0 = p->b0, pb1 = p->b1, pb2 = p->b2, pa1 = p->a1, pa2 = p->a2;                            \
    const double qb0 = q->b0, qb1 = q->b1, qb2 = q->b2, qa1 = q->a1, qa2 = q->a2;                            \
    double z0a[NCH], z1a[NCH], z0b[NCH], z1b[NCH];                                                           \
    KL_UNROLL for (int c = 0; c < NCH; c++) {                                                                \
      z0a[c] = f->z[0][c][0], z1a[c] = f->z[0][c][1];                                                        \
      z0b[c] = f->z[1][c][0], z1b[c] = f->z[1][c][1];                                                        \
    }                                                                                                        \
    for (size_t i = 0; i < frames; i++) {                                                                    \
      float *v = x + i * (size_t)NCH;                                                                        \
      KL_UNROLL for (int c = 0; c < NCH; c++) {                                                              \
        double in = (double)v[c];                                                                            \
        double y = pb0 * in + z0a[c];                                                                        \
        z0a[c] = pb1 * in - pa1 * y + z1a[c];                                                                \
        z1a[c] = pb2 * in - pa2 * y;                                                                         \
        in = y;                                                                                              \
        y = qb0 * in + z0b[c];                                                                               \
        z0b[c] = qb1 * in - qa1 * y + z1b[c];                                                                \
        z1b[c] = qb2 * in - qa2 * y;                                                                         \
        v[c] = (float)y;                                                                                     \
      }                                                                                                      \
    }                                                                                                        \
    KL_UNROLL for (int c = 0; c < NCH; c++) {                                                                \
      f->z[0][c][0] = z0a[c], f->z[0][c][1] = z1a[c];                                                        \
      f->z[1][c][0] = z0b[c], f->z[1][c][1] = z1b[c];                                                        \
    }                                                                                                        \
  }
KL_SOS2_DEFINE(1)
KL_SOS2_DEFINE(3)
#undef KL_SOS2_DEFINE

static void process_1(kl_sos_filter *f, float *x, size_t n) { process_nch(f, x, n, 1); }
static void process_3(kl_sos_filter *f, float *x, size_t n) { process_nch(f, x, n, 3); }
static void process_6(kl_sos_filter *f, float *x, size_t n) { process_nch(f, x, n, 6); }

void kl_sos_filter_process(kl_sos_filter *f, float *x, size_t frames) {
  if (!f || !x || frames == 0) return;
  if (f->d.n_sections == 2 && f->nch == 3) {
    process2_3(f, x, frames);
    return;
  }
  if (f->d.n_sections == 2 && f->nch == 1) {
    process2_1(f, x, frames);
    return;
  }
  switch (f->nch) {
  case 1: process_1(f, x, frames); break;
  case 3: process_3(f, x, frames); break;
  case 6: process_6(f, x, frames); break;
  default: process_nch(f, x, frames, f->nch); break;
  }
}
