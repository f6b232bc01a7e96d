/* The generator's random numbers: see synth_prng.h. */
#include "synth_prng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void kl_rng_seed(kl_rng *r, uint64_t seed, uint64_t stream) {
  /* Mix the stream number in through one splitmix64 round of its own, so
   * that seed s / stream k and seed s' / stream k' do not share states. */
  uint64_t k = stream;
  uint64_t x = seed ^ splitmix64(&k);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* the all-zero state is a fixed point */
  r->spare = 0.0;
  r->has_spare = 0;
}

double kl_rng_normal(kl_rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double u, v, s;
  do {
    u = 2.0 * kl_rng_uniform(r) - 1.0;
    v = 2.0 * kl_rng_uniform(r) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  double f = sqrt(-2.0 * log(s) / s);
  r->spare = v * f;
  r->has_spare = 1;
  return u * f;
}

double kl_rng_exponential(kl_rng *r, double mean) {
  /* 1 - U lies in (0, 1], so the log is finite. */
  return -mean * log(1.0 - kl_rng_uniform(r));
}

int kl_rng_int(kl_rng *r, int lo, int hi) {
  if (hi <= lo) return lo;
  uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
  return lo + (int)(kl_rng_next(r) % span); /* modulo bias < 2^-50 for spans this small */
}

double kl_rng_log_uniform(kl_rng *r, double lo, double hi) {
  if (hi <= lo) return lo;
  return lo * exp(kl_rng_uniform(r) * log(hi / lo));
}
