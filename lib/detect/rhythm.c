/* Periodic context (walking): envelope autocorrelation and comb reference; see rhythm.h. */
#include "detect/rhythm.h"

#include <math.h>
#include <stdlib.h>

#include "dsp/autocorr.h"
#include "klonos/status.h"
#include "util/hot.h"

/* Context on each side of a candidate's core that aligns the steps. */
#define ALIGN_CONTEXT_S 0.25

struct kl_rhythm {
  double fs, dec_s;
  size_t keep;
  float *env_j, *env_a; /* rings of `keep` blocks */
  float *mean3;         /* ring of block means of a_bp, 3 per block */
  float *vec3;          /* ring of the a_bp vector at the block's largest |a_bp| */
  int64_t nblocks;
  size_t head;          /* nblocks % keep */
  size_t half;          /* half window in blocks */
  size_t group;         /* blocks merged (max) per autocorrelation sample: ~40 ms */
  size_t lag_min, lag_max; /* in merged samples */
  double tol, min_acorr;
  float *x;             /* merged samples, 3 interleaved axes */
  double *ad, *acc;     /* lag_max + 2 */
  int64_t ctx, core_max;  /* aligned test: context half-width and largest core, in blocks */
  float *lin_a, *lin_j;   /* linear copies of the span it searches */
  size_t lin_cap;
  int64_t analyses;
};

void kl_rhythm_destroy(kl_rhythm **pr) {
  if (!pr || !*pr) return;
  kl_rhythm *r = *pr;
  free(r->env_j);
  free(r->env_a);
  free(r->mean3);
  free(r->vec3);
  free(r->x);
  free(r->ad);
  free(r->acc);
  free(r->lin_a);
  free(r->lin_j);
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
  r->vec3 = malloc(3 * keep * sizeof(float));
  r->x = malloc(3 * (2 * r->half + 2 * r->group + 2) * sizeof(float));
  r->ad = malloc((r->lag_max + 2) * sizeof(double));
  r->acc = malloc((r->lag_max + 2) * sizeof(double));
  r->ctx = (int64_t)ceil(ALIGN_CONTEXT_S / r->dec_s);
  r->core_max = (int64_t)ceil(c->max_duration_s / r->dec_s) + 2;
  double pmax = c->step_max_s / r->dec_s + 1;
  r->lin_cap = 2 * (size_t)(ceil(KL_RHYTHM_STEPS * pmax + (0.15 + 0.1 * KL_RHYTHM_STEPS) * pmax) + (double)(r->ctx + r->core_max) + 2) + 1;
  r->lin_a = malloc(r->lin_cap * sizeof(float));
  r->lin_j = malloc(r->lin_cap * sizeof(float));
  if (!r->env_j || !r->env_a || !r->mean3 || !r->vec3 || !r->x || !r->ad || !r->acc || !r->lin_a || !r->lin_j) {
    kl_rhythm_destroy(&r);
    return KLONOS_E_NOMEM;
  }
  /* Blocks not pushed yet read as missing (NaN), never as garbage: an
   * analysis window near the start or the end may reach them. */
  for (size_t i = 0; i < keep; i++) {
    r->env_j[i] = r->env_a[i] = NAN;
    for (int ax = 0; ax < 3; ax++) r->mean3[3 * i + (size_t)ax] = r->vec3[3 * i + (size_t)ax] = NAN;
  }
  *out = r;
  return KLONOS_OK;
}

void kl_rhythm_push(kl_rhythm *r, float env_j, float env_a, const float mean[3], const float vec[3]) {
  size_t i = r->head; /* nblocks % keep, kept without a division */
  r->head = i + 1 == r->keep ? 0 : i + 1;
  r->env_j[i] = env_j;
  r->env_a[i] = env_a;
  for (int c = 0; c < 3; c++) r->mean3[3 * i + (size_t)c] = mean[c], r->vec3[3 * i + (size_t)c] = vec[c];
  r->nblocks++;
}

int64_t kl_rhythm_analyses(const kl_rhythm *r) { return r->analyses; }

/* Ring slot of block k, nblocks - keep <= k < nblocks (a block still in
 * the ring): k % keep from the head slot, without a division. */
static size_t slot(const kl_rhythm *r, int64_t k) {
  size_t back = (size_t)(r->nblocks - k); /* 1..keep */
  return r->head >= back ? r->head - back : r->head + r->keep - back;
}

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
  if (b < a || !have(r, a, horizon) || !have(r, b, horizon)) return 0;
  size_t n = (size_t)((b - a + 1) / g);
  if (n < 2 * r->lag_max + 2) return 0;
  size_t k = (size_t)(a % (int64_t)r->keep); /* ring index of block a + i g + q, advanced by one */
  for (size_t i = 0; i < n; i++) {
    float m[3] = {0, 0, 0};
    for (int64_t q = 0; q < g; q++) {
      for (int c = 0; c < 3; c++) m[c] += r->mean3[3 * k + (size_t)c];
      if (++k == r->keep) k = 0;
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
/* Largest norm-jerk and |a_bp| within +-w blocks of x; 0 if a block is
 * missing or in a gap. */
static int window_max2(const kl_rhythm *r, double x, int64_t w, int64_t horizon, double *mj, double *ma) {
  int64_t c = (int64_t)floor(x + 0.5);
  if (!have(r, c - w, horizon) || !have(r, c + w, horizon)) return 0;
  float bj = -INFINITY, ba = -INFINITY;
  size_t q = slot(r, c - w); /* have(): c - w is in the ring */
  for (int64_t k = -w; k <= w; k++) {
    float vj = r->env_j[q], va = r->env_a[q];
    if (++q == r->keep) q = 0;
    if (!(vj <= bj)) bj = vj; /* NaN propagates: a gap makes the window unusable */
    if (!(va <= ba)) ba = va;
  }
  if (!isfinite(bj) || !isfinite(ba)) return 0;
  *mj = bj;
  *ma = ba;
  return 1;
}

int kl_rhythm_ref(const kl_rhythm *r, int64_t k, double period, int64_t horizon, double *ref_j, double *ref_a) {
  int64_t w = (int64_t)ceil(r->tol * period);
  if (w < 1) w = 1;
  int found = 0;
  for (int side = -1; side <= 1; side += 2) {
    double j1, a1, j2, a2;
    if (!window_max2(r, (double)k + side * period, w, horizon, &j1, &a1)) continue;
    /* two periods away the timing scatter doubles */
    if (!window_max2(r, (double)k + 2.0 * side * period, 2 * w, horizon, &j2, &a2)) continue;
    double vj = j1 < j2 ? j1 : j2, va = a1 < a2 ? a1 : a2;
    if (!found || vj > *ref_j) *ref_j = vj;
    if (!found || va > *ref_a) *ref_a = va;
    found = 1;
  }
  return found;
}

/* Sum of squared differences between the context of block kp and that of
 * block kp + L (the candidate's core excluded); -1 if a block is missing. */
static void sort_small(double *v, int n) {
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
}

/* Both mismatches at several lags per sweep. For lag L the context is
 * i in [-W, -core-1] and [core+1, W] (the candidate's core excluded); each
 * lag's sums are accumulated over those i in increasing order, exactly as
 * context_ncc / context_ssd do one lag at a time, so every value is
 * bit-identical. The candidate's own sums (sx, sxx) do not depend on L and
 * are made once; up to KL_ML lags run side by side (independent chains). */
#define KL_ML 4

/* Candidate-side sums of context_ncc (the same for every lag). */
static int ncc_self(const float *x, int64_t p, int64_t core, int64_t W, double *sx, double *sxx) {
  double a = 0, b = 0;
  int m = 0;
  for (int64_t i = -W; i <= -core - 1; i++, m++) {
    double u = x[p + i];
    a += u, b += u * u;
  }
  for (int64_t i = core + 1; i <= W; i++, m++) {
    double u = x[p + i];
    a += u, b += u * u;
  }
  *sx = a, *sxx = b;
  return m;
}

/* ncc mismatch (out_n) and ssd (out_s) at lags L[j], j < nl <= KL_ML; -1
 * where a lag's context leaves the span; as context_ncc / context_ssd. */
static void context_multi(const float *x, int64_t n, int64_t p, const int64_t *L, int nl, int64_t core, int64_t W,
                          int want_ncc, int want_ssd, double *out_n, double *out_s) {
  int ok[KL_ML];
  int64_t Lq[KL_ML];
  for (int j = 0; j < KL_ML; j++) {
    Lq[j] = j < nl ? L[j] : L[0];
    ok[j] = j < nl && !(p - W < 0 || p + W >= n || p + Lq[j] - W < 0 || p + Lq[j] + W >= n);
    if (!ok[j]) Lq[j] = 0; /* a harmless in-range lag for the shared loop; its result is dropped */
  }
  int any = 0;
  for (int j = 0; j < nl; j++) any |= ok[j];
  if (!any || p - W < 0 || p + W >= n) {
    for (int j = 0; j < nl; j++) {
      if (want_ncc) out_n[j] = -1;
      if (want_ssd) out_s[j] = -1;
    }
    return;
  }
  double sx = 0, sxx = 0;
  const int m = ncc_self(x, p, core, W, &sx, &sxx);
  double sy[KL_ML] = {0}, syy[KL_ML] = {0}, sxy[KL_ML] = {0}, ss[KL_ML] = {0};
  for (int part = 0; part < 2; part++) {
    const int64_t a = part ? core + 1 : -W, b = part ? W : -core - 1;
    for (int64_t i = a; i <= b; i++) {
      const float xu = x[p + i];
      const double u = xu;
      KL_UNROLL for (int j = 0; j < KL_ML; j++) {
        const float xv = x[p + Lq[j] + i];
        const double v = xv;
        sy[j] += v, syy[j] += v * v, sxy[j] += u * v;
        double e = (double)xu - (double)xv;
        ss[j] += e * e;
      }
    }
  }
  for (int j = 0; j < nl; j++) {
    if (want_ssd) out_s[j] = ok[j] && isfinite(ss[j]) ? ss[j] : -1;
    if (!want_ncc) continue;
    if (!ok[j] || !isfinite(sxy[j]) || m < 2) {
      out_n[j] = -1;
      continue;
    }
    double cxx = sxx - sx * sx / m, cyy = syy[j] - sy[j] * sy[j] / m, cxy = sxy[j] - sx * sy[j] / m;
    out_n[j] = (!(cxx > 0) || !(cyy > 0)) ? 2 : 1.0 - cxy / sqrt(cxx * cyy);
  }
}

/* best_lag for both mismatches at once: the lag in [Lmin, Lmax] of least
 * mismatch (every other lag, then the neighbours of the best), -1 in *best
 * when none is usable; the same scan order and comparisons as one
 * mismatch at a time. */
static void best_lags(const float *x, int64_t n, int64_t p, int64_t Lmin, int64_t Lmax, int64_t core, int64_t W,
                      int64_t *l1, double *b1, int64_t *l2, double *b2) {
  double bs[2] = {-1, -1};
  int64_t bl[2] = {0, 0};
  for (int64_t L0 = Lmin; L0 <= Lmax; L0 += 2 * KL_ML) {
    int64_t L[KL_ML];
    int nl = 0;
    for (int64_t Lx = L0; Lx <= Lmax && nl < KL_ML; Lx += 2) L[nl++] = Lx;
    double vn[KL_ML], vs[KL_ML];
    context_multi(x, n, p, L, nl, core, W, 1, 1, vn, vs);
    for (int j = 0; j < nl; j++) {
      if (vn[j] >= 0 && (bs[0] < 0 || vn[j] < bs[0])) bs[0] = vn[j], bl[0] = L[j];
      if (vs[j] >= 0 && (bs[1] < 0 || vs[j] < bs[1])) bs[1] = vs[j], bl[1] = L[j];
    }
  }
  for (int q = 0; q < 2; q++) {
    if (bs[q] < 0) continue;
    const int64_t b0 = bl[q];
    for (int64_t L = b0 - 1; L <= b0 + 1; L += 2) {
      if (L < Lmin || L > Lmax) continue;
      double v;
      context_multi(x, n, p, &L, 1, core, W, q == 0, q == 1, &v, &v);
      if (v >= 0 && v < bs[q]) bs[q] = v, bl[q] = L;
    }
  }
  *b1 = bs[0], *l1 = bl[0], *b2 = bs[1], *l2 = bl[1];
}

int kl_rhythm_aligned(const kl_rhythm *r, int64_t kp, int64_t core, double period, int64_t horizon, kl_rhythm_cmp *out) {
  if (core > r->core_max) core = r->core_max;
  const int64_t W = core + r->ctx;
  /* Copy the blocks the search can touch into linear buffers once. */
  int64_t reach = (int64_t)ceil(KL_RHYTHM_STEPS * period + (0.15 + 0.1 * KL_RHYTHM_STEPS) * period) + W + 2;
  int64_t lo = kp - reach, hi = kp + reach;
  int64_t first = r->nblocks - (int64_t)r->keep;
  if (lo < first) lo = first;
  if (lo < 0) lo = 0;
  if (hi > horizon) hi = horizon;
  if (hi > r->nblocks - 1) hi = r->nblocks - 1;
  if (hi - lo + 1 > (int64_t)r->lin_cap) hi = lo + (int64_t)r->lin_cap - 1;
  if (kp < lo || kp > hi) return 0;
  const int64_t n = hi - lo + 1, p = kp - lo;
  size_t sq = slot(r, lo); /* lo >= nblocks - keep and hi < nblocks: all in the ring */
  for (int64_t k = lo; k <= hi; k++) {
    r->lin_a[k - lo] = r->env_a[sq];
    r->lin_j[k - lo] = r->env_j[sq];
    if (++sq == r->keep) sq = 0;
  }
  int nl = 0;
  for (int k = -KL_RHYTHM_STEPS; k <= KL_RHYTHM_STEPS; k++) {
    if (k == 0) continue;
    int64_t S = (int64_t)ceil((0.15 + 0.1 * abs(k)) * period);
    int64_t c = (int64_t)floor((double)k * period + 0.5);
    int64_t Lmin = c - S, Lmax = c + S;
    if (k < 0 && Lmax > -core - 1) Lmax = -core - 1;
    if (k > 0 && Lmin < core + 1) Lmin = core + 1;
    /* Two alignments: by shape (normalised cross-correlation) and by shape
     * and strength (squared differences); the step is credited with the
     * larger of what either puts at the candidate's phase, so a step
     * misaligned by one measure is still recognised by the other. */
    double b1 = -1, b2 = -1;
    int64_t l1 = 0, l2 = 0;
    best_lags(r->lin_a, n, p, Lmin, Lmax, core, W, &l1, &b1, &l2, &b2);
    if (b1 < 0 && b2 < 0) continue;
    double mj = -1, ma = -1;
    for (int q = 0; q < 2; q++) {
      if ((q ? b2 : b1) < 0) continue;
      int64_t bl = q ? l2 : l1;
      for (int64_t i = -core; i <= core; i++) {
        if (r->lin_j[p + bl + i] > mj) mj = r->lin_j[p + bl + i];
        if (r->lin_a[p + bl + i] > ma) ma = r->lin_a[p + bl + i];
      }
    }
    out->a[nl] = ma;
    out->j[nl] = mj;
    nl++;
  }
  out->n = nl;
  if (nl < 3) return 0;
  /* The second largest: one neighbouring step holding a jerk itself (or
   * an unusually strong step) does not hide this one. */
  double a[2 * KL_RHYTHM_STEPS], j[2 * KL_RHYTHM_STEPS];
  for (int i = 0; i < nl; i++) a[i] = out->a[i], j[i] = out->j[i];
  sort_small(a, nl);
  sort_small(j, nl);
  out->ref_a = a[nl - 2];
  out->ref_j = j[nl - 2];
  return 1;
}

int kl_rhythm_beats(const kl_rhythm *r, int64_t kc, int64_t w, int64_t horizon, double min_a, const double dir[3],
                    double min_cos, int64_t *out, int cap) {
  /* a beat dominates +-half the shortest step period */
  const int64_t L = (int64_t)r->lag_min * (int64_t)r->group / 2;
  int n = 0;
  for (int64_t k = kc - w; k <= kc + w && n < cap; k++) {
    if (!have(r, k, horizon)) continue;
    size_t q = slot(r, k);
    float v = r->env_a[q];
    if (!(v >= min_a)) continue;
    int peak = 1;
    for (int64_t i = k - L; i <= k + L && peak; i++) {
      if (i == k || !have(r, i, horizon)) continue;
      float u = r->env_a[slot(r, i)];
      if (u > v || (u == v && i < k)) peak = 0;
    }
    if (!peak) continue;
    const float *x = r->vec3 + 3 * q;
    double c = (x[0] * dir[0] + x[1] * dir[1] + x[2] * dir[2]) / v;
    if (c >= min_cos) out[n++] = k;
  }
  return n;
}
