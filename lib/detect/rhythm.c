/* Periodic context (walking): envelope autocorrelation and comb reference; see rhythm.h. */
#include "detect/rhythm.h"

#include <math.h>
#include <stdlib.h>

#include "dsp/autocorr.h"
#include "klonos/status.h"

struct kl_rhythm {
  double fs, dec_s;
  size_t keep;
  float *env_j, *env_a; /* rings of `keep` blocks */
  float *mean3;         /* ring of block means of a_bp, 3 per block */
  int64_t nblocks;
  size_t half;          /* half window in blocks */
  size_t group;         /* blocks merged (max) per autocorrelation sample: ~40 ms */
  size_t lag_min, lag_max; /* in merged samples */
  double tol, min_acorr;
  float *x;             /* merged samples, 3 interleaved axes */
  double *ad, *acc;     /* lag_max + 2 */
  int64_t analyses;
};

void kl_rhythm_destroy(kl_rhythm **pr) {
  if (!pr || !*pr) return;
  kl_rhythm *r = *pr;
  free(r->env_j);
  free(r->env_a);
  free(r->mean3);
  free(r->x);
  free(r->ad);
  free(r->acc);
  free(r);
  *pr = NULL;
}

int kl_rhythm_create(kl_rhythm **out, const kl_jerk_config *c, double fs, size_t nd, size_t keep) {
  if (!out || !c || !(fs > 0) || nd < 1 || keep < 8) return KLONOS_E_INVAL;
  *out = NULL;
  kl_rhythm *r = calloc(1, sizeof *r);
  if (!r) return KLONOS_E_NOMEM;
  r->fs = fs;
  r->dec_s = (double)nd / fs;
  r->keep = keep;
  r->half = (size_t)llround(0.5 * c->rhythm_window_s / r->dec_s);
  /* The period needs no more than ~40 ms resolution (the parabolic peak
   * refines it): merging keeps the autocorrelation cheap. */
  r->group = r->dec_s < 0.03 ? (size_t)llround(0.04 / r->dec_s) : 1;
  if (r->group < 1) r->group = 1;
  double gs = r->dec_s * (double)r->group;
  r->lag_min = (size_t)ceil(c->step_min_s / gs);
  r->lag_max = (size_t)floor(c->step_max_s / gs);
  if (r->lag_min < 2) r->lag_min = 2;
  r->tol = c->step_tolerance;
  r->min_acorr = c->step_min_autocorr;
  r->env_j = malloc(keep * sizeof(float));
  r->env_a = malloc(keep * sizeof(float));
  r->mean3 = malloc(3 * keep * sizeof(float));
  r->x = malloc(3 * (2 * r->half + 2 * r->group + 2) * sizeof(float));
  r->ad = malloc((r->lag_max + 2) * sizeof(double));
  r->acc = malloc((r->lag_max + 2) * sizeof(double));
  if (!r->env_j || !r->env_a || !r->mean3 || !r->x || !r->ad || !r->acc) {
    kl_rhythm_destroy(&r);
    return KLONOS_E_NOMEM;
  }
  *out = r;
  return KLONOS_OK;
}

void kl_rhythm_push(kl_rhythm *r, float env_j, float env_a, const float mean[3]) {
  size_t i = (size_t)(r->nblocks % (int64_t)r->keep);
  r->env_j[i] = env_j;
  r->env_a[i] = env_a;
  for (int c = 0; c < 3; c++) r->mean3[3 * i + (size_t)c] = mean[c];
  r->nblocks++;
}

int64_t kl_rhythm_analyses(const kl_rhythm *r) { return r->analyses; }

/* Block k is usable when it was pushed, is still in the ring and is not
 * beyond the caller's horizon. */
static int have(const kl_rhythm *r, int64_t k, int64_t horizon) {
  return k >= 0 && k <= horizon && k < r->nblocks && k >= r->nblocks - (int64_t)r->keep;
}

int kl_rhythm_analyse(kl_rhythm *r, int64_t kc, int64_t horizon, double *period, double *acorr) {
  const int64_t g = (int64_t)r->group;
  /* whole groups aligned on multiples of g, so the samples do not depend on kc's phase */
  int64_t a = (kc - (int64_t)r->half) / g * g, b = (kc + (int64_t)r->half) / g * g + g - 1;
  if (a < 0) a = 0;
  while (a < kc && !(have(r, a, horizon) && have(r, a + g - 1, horizon))) a += g;
  while (b > kc && !(have(r, b, horizon) && have(r, b - g + 1, horizon))) b -= g;
  if (b < a) return 0;
  size_t n = (size_t)((b - a + 1) / g);
  if (n < 2 * r->lag_max + 2) return 0;
  for (size_t i = 0; i < n; i++) {
    float m[3] = {0, 0, 0};
    for (int64_t q = 0; q < g; q++) {
      size_t k = (size_t)((a + (int64_t)i * g + q) % (int64_t)r->keep);
      for (int c = 0; c < 3; c++) m[c] += r->mean3[3 * k + (size_t)c];
    }
    for (int c = 0; c < 3; c++) {
      if (!isfinite(m[c])) return 0;
      r->x[3 * i + (size_t)c] = m[c] / (float)g;
    }
  }
  r->analyses++;
  /* Rotation-invariant vector autocorrelation: the per-axis unbiased
   * autocorrelations weighted by each axis's variance, i.e. the
   * autocovariance of the vector (sum over axes of a(t).a(t+L)) over its
   * variance. It follows the whole gait waveform, so it stays periodic for
   * irregular (ataxic) steps where an envelope of peaks does not. */
  double vt = 0;
  for (size_t L = 0; L <= r->lag_max + 1; L++) r->acc[L] = 0;
  for (int c = 0; c < 3; c++) {
    double mu = 0, v = 0;
    for (size_t i = 0; i < n; i++) mu += r->x[3 * i + (size_t)c];
    mu /= (double)n;
    for (size_t i = 0; i < n; i++) {
      double e = r->x[3 * i + (size_t)c] - mu;
      v += e * e;
    }
    if (!(v > 0)) continue;
    if (kl_autocorr_unbiased(r->x + c, n, 3, r->lag_max + 1, 1, KL_AUTOCORR_DIRECT, r->ad) != KLONOS_OK) return 0;
    for (size_t L = 0; L <= r->lag_max + 1; L++) r->acc[L] += v * r->ad[L];
    vt += v;
  }
  if (!(vt > 0)) return 0;
  for (size_t L = 0; L <= r->lag_max + 1; L++) r->ad[L] = r->acc[L] / vt;
  size_t best = 0;
  for (size_t L = r->lag_min; L <= r->lag_max; L++) {
    /* a local maximum of the autocorrelation */
    if (r->ad[L] >= r->ad[L - 1] && r->ad[L] >= r->ad[L + 1] && (!best || r->ad[L] > r->ad[best])) best = L;
  }
  if (!best || r->ad[best] < r->min_acorr) return 0;
  /* The stride (two steps) is periodic too; prefer the step when it is almost as periodic. */
  size_t h = (best + 1) / 2;
  size_t hb = 0;
  for (size_t L = h > 1 ? h - 1 : 1; L <= h + 1 && L <= r->lag_max; L++)
    if (L >= r->lag_min && r->ad[L] >= r->ad[L - 1] && r->ad[L] >= r->ad[L + 1] && (!hb || r->ad[L] > r->ad[hb]))
      hb = L;
  if (hb && r->ad[hb] >= 0.8 * r->ad[best]) best = hb;
  double d = 0;
  double den = r->ad[best - 1] - 2.0 * r->ad[best] + r->ad[best + 1];
  if (den < 0) d = 0.5 * (r->ad[best - 1] - r->ad[best + 1]) / den;
  if (d > 0.5) d = 0.5;
  if (d < -0.5) d = -0.5;
  *period = ((double)best + d) * (double)g;
  *acorr = r->ad[best];
  return 1;
}

/* Largest envelope value within +-w blocks of x; NaN if any is missing. */
static double window_max(const kl_rhythm *r, const float *env, double x, int64_t w, int64_t horizon) {
  int64_t c = (int64_t)floor(x + 0.5);
  double m = -INFINITY;
  for (int64_t k = c - w; k <= c + w; k++) {
    if (!have(r, k, horizon)) return NAN;
    float v = env[(size_t)(k % (int64_t)r->keep)];
    if (!isfinite(v)) return NAN;
    if (v > m) m = v;
  }
  return m;
}

double kl_rhythm_ref(const kl_rhythm *r, int64_t k, double period, int64_t horizon, int which) {
  const float *env = which ? r->env_a : r->env_j;
  int64_t w = (int64_t)ceil(r->tol * period);
  if (w < 1) w = 1;
  double best = NAN;
  for (int side = -1; side <= 1; side += 2) {
    double m1 = window_max(r, env, (double)k + side * period, w, horizon);
    /* two periods away the timing scatter doubles */
    double m2 = window_max(r, env, (double)k + 2.0 * side * period, 2 * w, horizon);
    if (isnan(m1) || isnan(m2)) continue;
    double v = m1 < m2 ? m1 : m2;
    if (isnan(best) || v > best) best = v;
  }
  return best;
}

/* Sum of squared differences between the context of block kp and that of
 * block kp + L (the candidate's core excluded); -1 if a block is missing. */
static double context_ssd(const kl_rhythm *r, int64_t kp, int64_t L, int64_t core, int64_t W, int64_t horizon) {
  double s = 0;
  for (int64_t i = -W; i <= W; i++) {
    if (i >= -core && i <= core) continue;
    int64_t a = kp + i, b = kp + L + i;
    if (!have(r, a, horizon) || !have(r, b, horizon)) return -1;
    float x = r->env_a[(size_t)(a % (int64_t)r->keep)], y = r->env_a[(size_t)(b % (int64_t)r->keep)];
    if (!isfinite(x) || !isfinite(y)) return -1;
    double e = (double)x - (double)y;
    s += e * e;
  }
  return s;
}

int kl_rhythm_aligned(const kl_rhythm *r, int64_t kp, int64_t core, double period, int64_t horizon, double *ref_j,
                      double *ref_a) {
  const int64_t W = core + (int64_t)ceil(0.3 / r->dec_s);
  double best_j = -1, best_a = -1;
  int found = 0;
  for (int k = -2; k <= 2; k++) {
    if (k == 0) continue;
    double centre = (double)k * period;
    int64_t S = (int64_t)ceil((k == 1 || k == -1 ? 0.25 : 0.35) * period);
    int64_t c = (int64_t)floor(centre + 0.5);
    double bs = -1;
    int64_t bl = 0;
    for (int64_t L = c - S; L <= c + S; L++) {
      if ((k < 0 && L > -core - 1) || (k > 0 && L < core + 1)) continue;
      double s = context_ssd(r, kp, L, core, W, horizon);
      if (s >= 0 && (bs < 0 || s < bs)) {
        bs = s;
        bl = L;
      }
    }
    if (bs < 0) continue;
    double mj = -1, ma = -1;
    for (int64_t i = -core; i <= core; i++) {
      size_t q = (size_t)((kp + bl + i) % (int64_t)r->keep);
      if (r->env_j[q] > mj) mj = r->env_j[q];
      if (r->env_a[q] > ma) ma = r->env_a[q];
    }
    if (mj > best_j) best_j = mj;
    if (ma > best_a) best_a = ma;
    found++;
  }
  if (found < 2) return 0;
  *ref_j = best_j;
  *ref_a = best_a;
  return 1;
}
