#include "segment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/reader.h"
#include "dsp/autocorr.h"
#include "dsp/butterworth.h"
#include "dsp/filtfilt.h"
#include "klonos/status.h"
#include "util/simd.h"

#define MG_MPS2 (KLONOS_STANDARD_GRAVITY_MPS2 / 1000.0)

/* Per-epoch record kept until the epoch is final. */
typedef struct epoch_rec {
  kl_epoch e;
  double sum[3], sumsq[3], min[3], max[3];
  int64_t n_valid;
  int nonwear;
  int classified; /* walking/still/... decided (needs the next epoch) */
  int tilt_pending; /* upright vs lying is decided at pop, with the best vertical known then */
  double cum_vert[3]; /* sum of walking epochs' gravity directions up to this epoch */
  int64_t cum_walk;   /* walking epochs up to this epoch */
} epoch_rec;

struct kl_segmenter {
  kl_segment_config c;
  size_t n_epoch;          /* frames per epoch */
  size_t nonwear_epochs;   /* window length in epochs */
  size_t nonwear_step;     /* window step in epochs */
  /* raw samples of the last 3 epochs (for the 6 s walking window) */
  float *ring;             /* 3 * n_epoch * 3 floats */
  size_t fill;             /* frames in the current epoch */
  int64_t n_done;          /* epochs completed */
  /* finished-epoch records, a ring of capacity cap indexed by epoch index */
  epoch_rec *recs;
  size_t cap;
  int64_t next_pop;        /* next epoch index to hand out */
  int64_t next_window;     /* start epoch of the next non-wear window to evaluate */
  double *scratch;         /* n_epoch * 3 doubles for medians / autocorrelation */
  double walk_vert[3];     /* running sum of walking epochs' unit gravity vectors */
  kl_sos_design step_band; /* 0.5-5 Hz band-pass for the step-rhythm test */
  int has_step_band;
  int64_t walk_n;
  int finished;
};

const char *kl_state_name(int state) {
  static const char *const names[] = {"missing", "nonwear", "lying", "upright_still", "walking", "other"};
  return state >= 0 && state < KL_STATE_COUNT ? names[state] : "unknown";
}

void kl_segment_config_default(kl_segment_config *c, double rate_hz) {
  memset(c, 0, sizeof *c);
  c->rate_hz = rate_hz;
  c->epoch_s = 2.0;
  c->still_max_mps2 = 0.6;
  c->walk_min_mps2 = 0.4;
  c->walk_min_autocorr = 0.4;
  c->lying_min_deg = 60.0;
  c->nonwear_window_s = 3600.0;
  c->nonwear_sd_mps2 = 13.0 * MG_MPS2;
  c->nonwear_range_mps2 = 50.0 * MG_MPS2;
  c->vertical_ref[0] = 1.0; /* lower-back default: sensor x = V (docs/conditioning.md) */
}

int kl_segmenter_create(kl_segmenter **out, const kl_segment_config *c) {
  if (!out || !c || !(c->rate_hz > 0) || !(c->epoch_s > 0) || !(c->nonwear_window_s >= c->epoch_s))
    return KLONOS_E_INVAL;
  double vn = sqrt(c->vertical_ref[0] * c->vertical_ref[0] + c->vertical_ref[1] * c->vertical_ref[1] +
                   c->vertical_ref[2] * c->vertical_ref[2]);
  if (!(vn > 0)) return KLONOS_E_INVAL;
  size_t n_epoch = (size_t)llround(c->epoch_s * c->rate_hz);
  if (n_epoch < 4) return KLONOS_E_RATE;
  kl_segmenter *s = calloc(1, sizeof *s);
  if (!s) return KLONOS_E_NOMEM;
  s->c = *c;
  for (int i = 0; i < 3; i++) s->c.vertical_ref[i] /= vn;
  s->has_step_band = kl_butter_bandpass(&s->step_band, 2, 0.5, fmin(5.0, 0.4 * c->rate_hz), c->rate_hz) == KLONOS_OK;
  s->n_epoch = n_epoch;
  s->nonwear_epochs = (size_t)llround(c->nonwear_window_s / c->epoch_s);
  s->nonwear_step = s->nonwear_epochs / 60 ? s->nonwear_epochs / 60 : 1;
  s->cap = s->nonwear_epochs + 4;
  s->ring = calloc(3 * n_epoch * 3, sizeof(float));
  s->recs = calloc(s->cap, sizeof(epoch_rec));
  s->scratch = calloc(3 * n_epoch * 3, sizeof(double));
  if (!s->ring || !s->recs || !s->scratch) {
    kl_segmenter_destroy(&s);
    return KLONOS_E_NOMEM;
  }
  *out = s;
  return KLONOS_OK;
}

void kl_segmenter_destroy(kl_segmenter **s) {
  if (!s || !*s) return;
  free((*s)->ring);
  free((*s)->recs);
  free((*s)->scratch);
  free(*s);
  *s = NULL;
}

static epoch_rec *rec(kl_segmenter *s, int64_t k) { return &s->recs[(size_t)(k % (int64_t)s->cap)]; }
static float *epoch_samples(kl_segmenter *s, int64_t k) { return s->ring + (size_t)(k % 3) * s->n_epoch * 3; }

/* k-th smallest of v[0..n) (n > 0, k < n; v is clobbered), tmp: 2 n
 * doubles. Each round splits the values around a median-of-three pivot
 * into "less" and "greater" without branching (every value is written to
 * both lists, and only the list it belongs to advances); the k-th smallest
 * is unique, so this returns exactly what any selection does. */
static double select_kth(double *v, size_t n, size_t k, double *tmp) {
  while (n > 24) {
    double a = v[0], b = v[n / 2], c = v[n - 1];
    double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    double *lo = tmp, *hi = tmp + n;
    size_t nl = 0, ng = 0;
    for (size_t i = 0; i < n; i++) {
      const double x = v[i];
      lo[nl] = x;
      hi[ng] = x;
      nl += x < pivot;
      ng += x > pivot;
    }
    if (k < nl) {
      memcpy(v, lo, nl * sizeof(double));
      n = nl;
    } else if (k >= n - ng) {
      k -= n - ng;
      memcpy(v, hi, ng * sizeof(double));
      n = ng;
    } else {
      return pivot;
    }
  }
  for (size_t i = 1; i < n; i++) { /* insertion sort of the last few */
    double x = v[i];
    size_t j = i;
    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
  return v[k];
}

/* Statistics of epoch k from its own samples (n frames, maybe partial). */
static void summarise_epoch(kl_segmenter *s, int64_t k, size_t n) {
  epoch_rec *r = rec(s, k);
  memset(r, 0, sizeof *r);
  r->e.index = k;
  r->e.start_s = (double)k * (double)s->n_epoch / s->c.rate_hz;
  const float *x = epoch_samples(s, k);
  const int any_nan = kl_any_nan(x, 3 * n);
  if (!any_nan) {
    /* Every frame valid (the usual case): the same sums, in the same
     * order, in registers. */
    double s0 = 0, s1 = 0, s2 = 0, q0 = 0, q1 = 0, q2 = 0;
    double mn0 = INFINITY, mn1 = INFINITY, mn2 = INFINITY, mx0 = -INFINITY, mx1 = -INFINITY, mx2 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
      const double a = x[3 * i], b = x[3 * i + 1], c = x[3 * i + 2];
      s0 += a, s1 += b, s2 += c;
      q0 += a * a, q1 += b * b, q2 += c * c;
      mn0 = a < mn0 ? a : mn0, mn1 = b < mn1 ? b : mn1, mn2 = c < mn2 ? c : mn2;
      mx0 = a > mx0 ? a : mx0, mx1 = b > mx1 ? b : mx1, mx2 = c > mx2 ? c : mx2;
    }
    r->sum[0] = s0, r->sum[1] = s1, r->sum[2] = s2;
    r->sumsq[0] = q0, r->sumsq[1] = q1, r->sumsq[2] = q2;
    r->min[0] = mn0, r->min[1] = mn1, r->min[2] = mn2;
    r->max[0] = mx0, r->max[1] = mx1, r->max[2] = mx2;
    r->n_valid = (int64_t)n;
  } else {
    for (int a = 0; a < 3; a++) { r->min[a] = INFINITY; r->max[a] = -INFINITY; }
    for (size_t i = 0; i < n; i++) {
      const float *f = x + i * 3;
      if (isnan(f[0]) || isnan(f[1]) || isnan(f[2])) continue;
      r->n_valid++;
      for (int a = 0; a < 3; a++) {
        r->sum[a] += f[a];
        r->sumsq[a] += (double)f[a] * f[a];
        if (f[a] < r->min[a]) r->min[a] = f[a];
        if (f[a] > r->max[a]) r->max[a] = f[a];
      }
    }
  }
  r->e.valid_fraction = (double)r->n_valid / (double)s->n_epoch;
  if (r->n_valid == 0) { r->e.state = KL_STATE_MISSING; return; }
  for (int a = 0; a < 3; a++) r->e.gravity_mps2[a] = r->sum[a] / (double)r->n_valid;
  /* Median of |a - g|: sqrt is monotone (and correctly rounded), so the
   * median of the magnitudes is the square root of the median of their
   * squares; one sqrt per epoch instead of one per frame. */
  const double g0 = r->e.gravity_mps2[0], g1 = r->e.gravity_mps2[1], g2 = r->e.gravity_mps2[2];
  size_t m = 0;
  if (!any_nan) {
    for (size_t i = 0; i < n; i++) {
      double dx = x[3 * i] - g0, dy = x[3 * i + 1] - g1, dz = x[3 * i + 2] - g2;
      s->scratch[i] = dx * dx + dy * dy + dz * dz;
    }
    m = n;
  } else {
    for (size_t i = 0; i < n; i++) {
      const float *f = x + i * 3;
      if (isnan(f[0]) || isnan(f[1]) || isnan(f[2])) continue;
      double dx = f[0] - g0, dy = f[1] - g1, dz = f[2] - g2;
      s->scratch[m++] = dx * dx + dy * dy + dz * dz;
    }
  }
  r->e.dyn_median_mps2 = sqrt(select_kth(s->scratch, m, m / 2, s->scratch + m));
}

/* Unbiased autocorrelation of the vertical dynamic acceleration over epochs
 * k-1..k+1 (those that exist): the step lag is the highest peak in
 * 0.25-1.2 s; returns the peak value and sets *lag_s and *half (the value at
 * half the lag). */
static double step_autocorr(kl_segmenter *s, int64_t k, int64_t last, double *lag_s, double *half) {
  int64_t first = k > 0 ? k - 1 : 0, end = k + 1 <= last ? k + 1 : last;
  double g[3] = {0, 0, 0};
  for (int64_t e = first; e <= end; e++)
    for (int a = 0; a < 3; a++) g[a] += rec(s, e)->e.gravity_mps2[a];
  double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  if (!(gn > 0)) return 0;
  for (int a = 0; a < 3; a++) g[a] /= gn;
  size_t n = 0;
  double mean = 0;
  for (int64_t e = first; e <= end; e++) {
    const float *x = epoch_samples(s, e);
    for (size_t i = 0; i < s->n_epoch; i++) {
      const float *f = x + i * 3;
      double v = f[0] * g[0] + f[1] * g[1] + f[2] * g[2];
      if (isnan(v)) v = 0; /* a rare NaN inside a mostly valid window */
      s->scratch[n++] = v;
      mean += v;
    }
  }
  mean /= (double)n;
  for (size_t i = 0; i < n; i++) s->scratch[i] -= mean;
  /* Posture drifts and carrying things add slow trends that swamp the step
   * rhythm in the raw signal: band-pass 0.5-5 Hz (zero-phase) first, a band
   * holding every step frequency from 50 to 300 steps/min. */
  double *filtered = s->scratch + 2 * n;
  if (s->has_step_band && kl_sos_filtfilt_d(&s->step_band, s->scratch, filtered, n, 1) == KLONOS_OK)
    memcpy(s->scratch, filtered, n * sizeof(double));
  double c0 = 0;
  for (size_t i = 0; i < n; i++) c0 += s->scratch[i] * s->scratch[i];
  c0 /= (double)n;
  if (!(c0 > 0)) return 0;
  size_t lo = (size_t)ceil(0.25 * s->c.rate_hz), hi = (size_t)floor(1.2 * s->c.rate_hz);
  size_t lo_half = lo / 2 ? lo / 2 : 1;
  if (hi >= n / 2) hi = n / 2;
  if (hi <= lo) return 0;
  double *ac = s->scratch + n; /* scratch holds 3 epochs x 3 channels: room after the n samples */
  /* The lags are computed as the scan below reaches them, eight at a time
   * (kl_autocorr_sums: each lag's sum bit-identical to a plain loop): a
   * walking epoch's first peak comes about halfway, so the lags after it
   * are never needed. */
  size_t done = lo_half; /* lags [lo_half, done) are in ac */
#define AC_UPTO(l)                                                                          \
  while (done <= (l)) {                                                                     \
    size_t cnt = hi + 1 - done < 8 ? hi + 1 - done : 8;                                     \
    kl_autocorr_sums(s->scratch, n, done, cnt, ac + (done - lo_half));                      \
    for (size_t q = done; q < done + cnt; q++) ac[q - lo_half] = ac[q - lo_half] / (double)(n - q) / c0; \
    done += cnt;                                                                            \
  }
#define AC(l) ac[(l) - lo_half]
  /* The fundamental period is the FIRST local maximum that is strong enough:
   * later peaks are its multiples (the stride, or a tremor's harmonics). A
   * first peak below 0.25 s is a fast oscillation (tremor), not stepping. */
  size_t period = 0;
  for (size_t lag = lo_half + 1; lag < hi; lag++) {
    AC_UPTO(lag + 1)
    if (AC(lag) >= s->c.walk_min_autocorr && AC(lag) >= AC(lag - 1) && AC(lag) >= AC(lag + 1)) {
      period = lag;
      break;
    }
  }
  if (period < lo) return 0;
  size_t hl = period / 2 >= lo_half ? period / 2 : lo_half;
  *half = AC(hl);
  *lag_s = (double)period / s->c.rate_hz;
  return AC(period);
#undef AC
#undef AC_UPTO
}

static void classify(kl_segmenter *s, int64_t k, int64_t last) {
  epoch_rec *r = rec(s, k);
  r->classified = 1;
  if (r->e.valid_fraction < 0.5) {
    r->e.state = KL_STATE_MISSING;
  } else {
    int walking = 0;
    if (r->e.dyn_median_mps2 >= s->c.walk_min_mps2) {
      double lag = 0, half = 1;
      double ac = step_autocorr(s, k, last, &lag, &half);
      if (ac >= s->c.walk_min_autocorr && half < 0.2) {
        r->e.state = KL_STATE_WALKING;
        r->e.step_period_s = lag;
        r->e.step_autocorr = ac;
        walking = 1;
      }
    }
    if (walking) {
      /* Walking is upright: its gravity direction is the body's vertical. */
      const double *g = r->e.gravity_mps2;
      double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
      if (gn > 0) {
        for (int a = 0; a < 3; a++) s->walk_vert[a] += g[a] / gn;
        s->walk_n++;
      }
    } else {
      r->e.state = r->e.dyn_median_mps2 < s->c.still_max_mps2 ? KL_STATE_UPRIGHT_STILL : KL_STATE_OTHER;
      r->tilt_pending = 1;
    }
  }
  memcpy(r->cum_vert, s->walk_vert, sizeof r->cum_vert);
  r->cum_walk = s->walk_n;
}

/* The body's vertical for epoch k: the mean gravity direction of the walking
 * epochs classified up to k + window - 1 (at least 5 of them), else the
 * vertical the axes/placement state. Taken from the epoch records, not from
 * the running sum, so the answer does not depend on how frames were chunked. */
static void vertical_for(const kl_segmenter *s, int64_t k, double v[3]) {
  int64_t j = k + (int64_t)s->nonwear_epochs - 1;
  if (j >= s->n_done) j = s->n_done - 1;
  while (j > k && !s->recs[(size_t)(j % (int64_t)s->cap)].classified) j--;
  const epoch_rec *r = &s->recs[(size_t)(j % (int64_t)s->cap)];
  double n = sqrt(r->cum_vert[0] * r->cum_vert[0] + r->cum_vert[1] * r->cum_vert[1] + r->cum_vert[2] * r->cum_vert[2]);
  if (r->cum_walk >= 5 && n > 0) {
    for (int a = 0; a < 3; a++) v[a] = r->cum_vert[a] / n;
  } else {
    memcpy(v, s->c.vertical_ref, 3 * sizeof(double));
  }
}

/* Evaluate the non-wear window of epochs [start, start + len). */
static void nonwear_window(kl_segmenter *s, int64_t start, int64_t len) {
  int axes_quiet = 0;
  const size_t k0 = (size_t)(start % (int64_t)s->cap);
  for (int a = 0; a < 3; a++) {
    double sum = 0, sumsq = 0, mn = INFINITY, mx = -INFINITY;
    int64_t n = 0;
    size_t ri = k0; /* rec(s, k) without a division per record */
    for (int64_t k = start; k < start + len; k++, ri = ri + 1 == s->cap ? 0 : ri + 1) {
      epoch_rec *r = &s->recs[ri];
      sum += r->sum[a];
      sumsq += r->sumsq[a];
      n += r->n_valid;
      if (r->n_valid) {
        if (r->min[a] < mn) mn = r->min[a];
        if (r->max[a] > mx) mx = r->max[a];
      }
    }
    if (n < 2) return; /* all missing: leave as missing */
    double var = (sumsq - sum * sum / (double)n) / (double)(n - 1);
    double sd = sqrt(var > 0 ? var : 0);
    if (sd < s->c.nonwear_sd_mps2 && mx - mn < s->c.nonwear_range_mps2) axes_quiet++;
  }
  if (axes_quiet >= 2)
    for (int64_t k = start; k < start + len; k++)
      if (rec(s, k)->n_valid) rec(s, k)->nonwear = 1;
}

/* Records wait in the ring until popped; a caller that pushes a lot before
 * popping makes it grow rather than lose epochs. */
static int ensure_room(kl_segmenter *s) {
  if ((size_t)(s->n_done - s->next_pop) + 2 < s->cap) return KLONOS_OK;
  size_t cap = s->cap * 2;
  epoch_rec *recs = calloc(cap, sizeof *recs);
  if (!recs) return KLONOS_E_NOMEM;
  for (int64_t k = s->next_pop; k < s->n_done; k++) recs[(size_t)(k % (int64_t)cap)] = *rec(s, k);
  free(s->recs);
  s->recs = recs;
  s->cap = cap;
  return KLONOS_OK;
}

static void epoch_completed(kl_segmenter *s, size_t n) {
  int64_t k = s->n_done;
  summarise_epoch(s, k, n);
  s->n_done++;
  /* Classify the previous epoch now that its successor exists. */
  if (k >= 1) classify(s, k - 1, k);
  int64_t W = (int64_t)s->nonwear_epochs;
  while (s->next_window + W <= s->n_done) {
    nonwear_window(s, s->next_window, W);
    s->next_window += (int64_t)s->nonwear_step;
  }
}

int kl_segmenter_push(kl_segmenter *s, const float *xyz, size_t frames) {
  if (!s || (!xyz && frames)) return KLONOS_E_INVAL;
  if (s->finished) return KLONOS_E_STATE;
  while (frames) {
    size_t take = s->n_epoch - s->fill;
    if (take > frames) take = frames;
    memcpy(epoch_samples(s, s->n_done) + s->fill * 3, xyz, take * 3 * sizeof(float));
    s->fill += take;
    xyz += take * 3;
    frames -= take;
    if (s->fill == s->n_epoch) {
      if (ensure_room(s)) return KLONOS_E_NOMEM;
      epoch_completed(s, s->n_epoch);
      s->fill = 0;
    }
  }
  return KLONOS_OK;
}

int kl_segmenter_finish(kl_segmenter *s) {
  if (!s) return KLONOS_E_INVAL;
  if (s->finished) return KLONOS_OK;
  if (s->fill >= s->n_epoch / 2) {
    /* pad the partial epoch with NaN so statistics see only real frames */
    float *x = epoch_samples(s, s->n_done);
    for (size_t i = s->fill * 3; i < s->n_epoch * 3; i++) x[i] = NAN;
    if (ensure_room(s)) return KLONOS_E_NOMEM;
    epoch_completed(s, s->n_epoch);
  }
  s->fill = 0;
  if (s->n_done >= 1) classify(s, s->n_done - 1, s->n_done - 1);
  int64_t W = (int64_t)s->nonwear_epochs;
  /* A recording shorter than one window is never called non-wear: a healthy
   * person standing still for a few minutes is as quiet as a table, and only
   * the window's length (people do not stay that still for an hour) tells
   * the two apart (van Hees 2011). */
  if (s->n_done >= W && s->next_window < s->n_done - W + 1) {
    nonwear_window(s, s->n_done - W, W); /* the tail's last full window */
  }
  s->finished = 1;
  return KLONOS_OK;
}

int kl_segmenter_pop(kl_segmenter *s, kl_epoch *e) {
  if (!s || s->next_pop >= s->n_done) return 0;
  int64_t k = s->next_pop;
  /* Final once no later non-wear window can still include it. */
  if (!s->finished && k + (int64_t)s->nonwear_epochs + 1 > s->n_done) return 0;
  epoch_rec *r = rec(s, k);
  if (!r->classified) return 0;
  *e = r->e;
  if (r->tilt_pending) {
    double v[3];
    vertical_for(s, k, v);
    const double *g = e->gravity_mps2;
    double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    double c = gn > 0 ? (g[0] * v[0] + g[1] * v[1] + g[2] * v[2]) / gn : 0;
    if (acos(c > 1 ? 1 : c < -1 ? -1 : c) * 180.0 / M_PI >= s->c.lying_min_deg) e->state = KL_STATE_LYING;
  }
  if (r->nonwear && e->state != KL_STATE_MISSING) {
    e->state = KL_STATE_NONWEAR;
    e->step_period_s = 0;
  }
  s->next_pop++;
  return 1;
}
