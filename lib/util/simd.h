/* Private: two-lane double vectors for elementwise hot loops.
 *
 * GCC at -O2 (the default build) vectorises only loops whose trip count is
 * a known multiple of the vector width, so the elementwise loops of the
 * analysis run one double at a time. These helpers use the GCC/Clang
 * generic vector extension: each lane is an ordinary IEEE double operation,
 * so results are bit-identical to the scalar loop (no reassociation: a
 * reduction is only ever kept per lane, and lanes are independent sums).
 * The compiler maps them to SSE2 on x86-64 (baseline), NEON on AArch64,
 * and to scalar code elsewhere. Other compilers get a scalar fallback. */
#ifndef KLONOS_UTIL_SIMD_H
#define KLONOS_UTIL_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define KL_HAVE_V2D 1
typedef double kl_v2d __attribute__((vector_size(16)));
static inline kl_v2d kl_v2d_load(const double *p) {
  kl_v2d v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void kl_v2d_store(double *p, kl_v2d v) { memcpy(p, &v, sizeof v); }
static inline kl_v2d kl_v2d_set1(double x) { return (kl_v2d){x, x}; }
typedef long long kl_v2l __attribute__((vector_size(16)));
#else
#define KL_HAVE_V2D 0
#endif

/* Number of v[i] < x, i < n (for a sorted v: its lower bound). */
static inline size_t kl_count_less(const double *v, size_t n, double x) {
  size_t i = 0, c = 0;
#if KL_HAVE_V2D
  const kl_v2d vx = kl_v2d_set1(x);
  kl_v2l acc = {0, 0};
  for (; i + 2 <= n; i += 2) acc -= (kl_v2d_load(v + i) < vx); /* true lanes are -1 */
  c = (size_t)(acc[0] + acc[1]);
#endif
  for (; i < n; i++) c += v[i] < x;
  return c;
}

#include <stddef.h>
#include <stdint.h>

/* Block screens over float samples by their bit patterns (exact: no
 * arithmetic). Each returns 1 when some sample of x[0..n) is
 *   kl_any_nonfinite:  NaN or +-inf;
 *   kl_any_inf:        +-inf;
 *   kl_any_implausible: +-inf or finite with |x| > limit (NaN passes);
 * callers rescan with the scalar test only when the screen fires, to find
 * and report the first offending sample exactly as before. */
static inline uint32_t kl_f32_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

#if defined(__GNUC__)
typedef uint32_t kl_v4u __attribute__((vector_size(16)));
typedef float kl_v4f __attribute__((vector_size(16)));
static inline kl_v4u kl_v4u_load(const float *p) {
  kl_v4u v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline int kl_v4u_any(kl_v4u m) { return (m[0] | m[1] | m[2] | m[3]) != 0; }
#endif

static inline int kl_any_nonfinite(const float *x, size_t n) {
  size_t i = 0;
#if defined(__GNUC__)
  const kl_v4u e = {0x7f800000u, 0x7f800000u, 0x7f800000u, 0x7f800000u};
  kl_v4u acc = {0, 0, 0, 0};
  for (; i + 4 <= n; i += 4) acc |= (kl_v4u_load(x + i) & e) == e;
  if (kl_v4u_any(acc)) return 1;
#endif
  for (; i < n; i++)
    if ((kl_f32_bits(x[i]) & 0x7f800000u) == 0x7f800000u) return 1;
  return 0;
}

static inline int kl_any_inf(const float *x, size_t n) {
  size_t i = 0;
#if defined(__GNUC__)
  const kl_v4u a = {0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu};
  const kl_v4u e = {0x7f800000u, 0x7f800000u, 0x7f800000u, 0x7f800000u};
  kl_v4u acc = {0, 0, 0, 0};
  for (; i + 4 <= n; i += 4) acc |= (kl_v4u_load(x + i) & a) == e;
  if (kl_v4u_any(acc)) return 1;
#endif
  for (; i < n; i++)
    if ((kl_f32_bits(x[i]) & 0x7fffffffu) == 0x7f800000u) return 1;
  return 0;
}

static inline int kl_any_nan(const float *x, size_t n) {
  size_t i = 0;
#if defined(__GNUC__)
  const kl_v4u a = {0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu};
  const kl_v4u e = {0x7f800000u, 0x7f800000u, 0x7f800000u, 0x7f800000u};
  kl_v4u acc = {0, 0, 0, 0};
  for (; i + 4 <= n; i += 4) acc |= (kl_v4u_load(x + i) & a) > e;
  if (kl_v4u_any(acc)) return 1;
#endif
  for (; i < n; i++)
    if ((kl_f32_bits(x[i]) & 0x7fffffffu) > 0x7f800000u) return 1;
  return 0;
}

/* |x| > limit or inf, for a finite limit >= 0: on magnitudes' bit patterns
 * (ordered like the values) that is limit_bits < bits <= inf_bits. */
static inline int kl_any_implausible(const float *x, size_t n, float limit) {
  const uint32_t lb = kl_f32_bits(limit) & 0x7fffffffu;
  size_t i = 0;
#if defined(__GNUC__)
  const kl_v4u a = {0x7fffffffu, 0x7fffffffu, 0x7fffffffu, 0x7fffffffu};
  const kl_v4u l = {lb, lb, lb, lb};
  const kl_v4u e = {0x7f800000u, 0x7f800000u, 0x7f800000u, 0x7f800000u};
  kl_v4u acc = {0, 0, 0, 0};
  for (; i + 4 <= n; i += 4) {
    kl_v4u m = kl_v4u_load(x + i) & a;
    acc |= (m > l) & (m <= e);
  }
  if (kl_v4u_any(acc)) return 1;
#endif
  for (; i < n; i++) {
    uint32_t m = kl_f32_bits(x[i]) & 0x7fffffffu;
    if (m > lb && m <= 0x7f800000u) return 1;
  }
  return 0;
}

/* x[i] *= s for i < n (each product the same IEEE float multiply). */
static inline void kl_scale_f32(float *x, size_t n, float s) {
  size_t i = 0;
#if defined(__GNUC__)
  const kl_v4f v = {s, s, s, s};
  for (; i + 4 <= n; i += 4) {
    kl_v4f a;
    memcpy(&a, x + i, sizeof a);
    a *= v;
    memcpy(x + i, &a, sizeof a);
  }
#endif
  for (; i < n; i++) x[i] *= s;
}

#endif
