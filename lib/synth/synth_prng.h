/* Private: the generator's pseudo-random numbers. xoshiro256** (Blackman &
 * Vigna 2018, "Scrambled linear pseudorandom number generators") seeded
 * through splitmix64, one independent stream per model component so that the
 * draws of one component never depend on when another one draws. */
#ifndef KLONOS_SYNTH_PRNG_H
#define KLONOS_SYNTH_PRNG_H

#include <stdint.h>

typedef struct kl_rng {
  uint64_t s[4];
  double spare;     /* second normal deviate of the polar method */
  int has_spare;
} kl_rng;

/* Seed stream @p stream of @p seed: distinct streams are independent. */
void kl_rng_seed(kl_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t kl_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t kl_rng_next(kl_rng *r) {
  uint64_t *s = r->s;
  const uint64_t result = kl_rng_rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = kl_rng_rotl(s[3], 45);
  return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double kl_rng_uniform(kl_rng *r) { return (double)(kl_rng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform in [lo, hi). */
static inline double kl_rng_range(kl_rng *r, double lo, double hi) { return lo + (hi - lo) * kl_rng_uniform(r); }

/* Approximately standard normal, cheap enough for every sample of sensor
 * noise: the Irwin-Hall sum of four 16-bit uniforms from one draw, centred
 * and scaled to unit variance (|value| <= 3.46; kurtosis 2.7 instead of 3). */
static inline double kl_rng_noise(kl_rng *r) {
  uint64_t x = kl_rng_next(r);
  uint32_t sum = (uint32_t)(x & 0xFFFF) + (uint32_t)((x >> 16) & 0xFFFF) + (uint32_t)((x >> 32) & 0xFFFF) +
                 (uint32_t)(x >> 48);
  /* Each 16-bit value is uniform on (k + 0.5) / 65536; the sum has mean 2 and variance 4/12. */
  return ((double)sum + 2.0) * (1.0 / 65536.0) * 1.7320508075688772 - 2.0 * 1.7320508075688772;
}

/* Standard normal (Marsaglia polar method). */
double kl_rng_normal(kl_rng *r);

/* Exponential with the given mean. */
double kl_rng_exponential(kl_rng *r, double mean);

/* Integer uniform in [lo, hi]. */
int kl_rng_int(kl_rng *r, int lo, int hi);

/* Log-uniform in [lo, hi] (lo, hi > 0). */
double kl_rng_log_uniform(kl_rng *r, double lo, double hi);

#endif
