/* Rhythmic-tremor tracker: spectral peak test per window; see tremor.h. */
#include "detect/tremor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/welch.h"
#include "klonos/status.h"

/* Windows remembered for status queries (the detector asks about frames a
 * few seconds back) and segment spectra cached for the overlapping windows. */
#define WIN_KEEP 32
/* Consecutive tremor windows an episode needs (3 hops: ~6 s of signal). */
#define MIN_WINDOWS 3
/* Least share of a window's mean peak power that each segment must hold. */
#define SUSTAIN 0.3
/* Most segments per window (window / hop - 1 with a hop of a 30th of it). */
#define MAX_SEGS 32

typedef struct seg_entry {
  int64_t end; /* -1 = empty */
  int valid;
  double *psd; /* nbins, summed over the three axes */
} seg_entry;

struct kl_tremor_tracker {
  double fs;
  size_t nh, nw, nseg_len, nseg; /* hop, window, segment (frames), segments per window */
  size_t nbins;
  double df;
  double lo_hz, hi_hz, band_lo_hz, peak_ratio, min_amp;
  kl_welch *welch;
  double *axis_psd; /* nbins */
  float *seg_buf;   /* nseg_len x 3 */
  double *win_psd;  /* nbins */
  seg_entry *segs;  /* nseg + 1 entries, a ring by insertion */
  size_t seg_next;
  kl_tremor_window wins[WIN_KEEP];
  int64_t nwins;    /* windows received */
  int finished;
  /* the open run of flagged windows */
  int run_open;
  int64_t run_first_centre, run_last_centre;
  int run_count;
  double run_pw, run_pwf, run_amp2;
  /* completed episodes (a small queue: episodes last at least two hops) */
  kl_tremor_episode *eps;
  size_t eps_cap, eps_head, eps_len;
  int64_t ffts;
};

size_t kl_tremor_window_frames(const kl_tremor_tracker *t) { return t->nw; }
size_t kl_tremor_hop_frames(const kl_tremor_tracker *t) { return t->nh; }
int64_t kl_tremor_tracker_ffts(const kl_tremor_tracker *t) { return t->ffts; }

void kl_tremor_tracker_destroy(kl_tremor_tracker **pt) {
  if (!pt || !*pt) return;
  kl_tremor_tracker *t = *pt;
  kl_welch_destroy(&t->welch);
  if (t->segs)
    for (size_t i = 0; i <= t->nseg; i++) free(t->segs[i].psd);
  free(t->segs);
  free(t->axis_psd);
  free(t->seg_buf);
  free(t->win_psd);
  free(t->eps);
  free(t);
  *pt = NULL;
}

int kl_tremor_tracker_create(kl_tremor_tracker **out, const kl_jerk_config *c, double fs) {
  if (!out || !c || !(fs > 0)) return KLONOS_E_INVAL;
  *out = NULL;
  kl_tremor_tracker *t = calloc(1, sizeof *t);
  if (!t) return KLONOS_E_NOMEM;
  t->fs = fs;
  t->nh = (size_t)llround(c->tremor_hop_s * fs);
  if (t->nh < 1) t->nh = 1;
  size_t hops = (size_t)llround(c->tremor_window_s / c->tremor_hop_s);
  if (hops < 2) hops = 2;
  t->nw = hops * t->nh;
  t->nseg_len = t->nw / 2;
  t->nseg = (t->nw - t->nseg_len) / t->nh + 1;
  t->lo_hz = c->tremor_lo_hz;
  t->hi_hz = c->tremor_hi_hz;
  t->band_lo_hz = c->band_lo_hz;
  t->peak_ratio = c->tremor_peak_ratio;
  t->min_amp = c->tremor_min_amp_mps2;
  int rc = kl_welch_create(&t->welch, t->nseg_len, KL_WELCH_OVERLAP_DEFAULT, fs);
  if (rc != KLONOS_OK) {
    kl_tremor_tracker_destroy(&t);
    return rc;
  }
  t->nbins = kl_welch_nbins(t->welch);
  t->df = kl_welch_df_hz(t->welch);
  t->axis_psd = malloc(t->nbins * sizeof(double));
  t->seg_buf = malloc(t->nseg_len * 3 * sizeof(float));
  t->win_psd = malloc(t->nbins * sizeof(double));
  t->segs = calloc(t->nseg + 1, sizeof(seg_entry));
  t->eps_cap = 8;
  t->eps = malloc(t->eps_cap * sizeof(kl_tremor_episode));
  if (!t->axis_psd || !t->seg_buf || !t->win_psd || !t->segs || !t->eps) {
    kl_tremor_tracker_destroy(&t);
    return KLONOS_E_NOMEM;
  }
  for (size_t i = 0; i <= t->nseg; i++) {
    t->segs[i].end = -1;
    t->segs[i].psd = malloc(t->nbins * sizeof(double));
    if (!t->segs[i].psd) {
      kl_tremor_tracker_destroy(&t);
      return KLONOS_E_NOMEM;
    }
  }
  *out = t;
  return KLONOS_OK;
}

/* The spectrum of the segment ending at `end`. Cached: each segment is
 * transformed once. */
static const seg_entry *segment(kl_tremor_tracker *t, int64_t end, kl_tremor_fetch_fn fetch, void *ctx) {
  for (size_t i = 0; i <= t->nseg; i++)
    if (t->segs[i].end == end) return &t->segs[i];
  seg_entry *s = &t->segs[t->seg_next];
  t->seg_next = (t->seg_next + 1) % (t->nseg + 1);
  s->end = end;
  s->valid = 1;
  fetch(ctx, end - (int64_t)t->nseg_len, t->nseg_len, t->seg_buf);
  /* The trace of the spectral matrix: the three axes' densities summed
   * (kl_welch_single_sum: one axis at a time, in order, bit for bit). */
  int done = 0;
  if (kl_welch_single_sum(t->welch, t->seg_buf, 3, s->psd, &done) != KLONOS_OK) s->valid = 0;
  t->ffts += done;
  return s;
}

/* Peak position refined by a parabola through the log-densities. */
static double refine_bin(const double *S, size_t k, size_t nbins) {
  if (k == 0 || k + 1 >= nbins || !(S[k - 1] > 0) || !(S[k] > 0) || !(S[k + 1] > 0)) return (double)k;
  double a = log(S[k - 1]), b = log(S[k]), c = log(S[k + 1]);
  double den = a - 2.0 * b + c;
  if (!(den < 0)) return (double)k;
  double d = 0.5 * (a - c) / den;
  if (d > 0.5) d = 0.5;
  if (d < -0.5) d = -0.5;
  return (double)k + d;
}

static void analyse(kl_tremor_tracker *t, kl_tremor_window *w, const seg_entry *const *segs) {
  const double *S = t->win_psd;
  const double df = t->df;
  size_t klo = (size_t)ceil(t->lo_hz / df);
  size_t khi = (size_t)floor(t->hi_hz / df);
  if (khi >= t->nbins - 1) khi = t->nbins - 2;
  if (klo < 1 || klo > khi) return;
  size_t kp = klo;
  for (size_t k = klo + 1; k <= khi; k++)
    if (S[k] > S[kp]) kp = k;
  if (!(S[kp] > 0)) return;
  /* a peak, not the flank of stronger movement just below the band */
  if (S[kp - 1] > S[kp] || S[kp + 1] > S[kp]) return;
  /* peak band |f - fp| <= 0.5 Hz, neighbours 0.5 < |f - fp| <= 1.5 Hz */
  double pk = 0, nb = 0, amp2 = 0;
  int npk = 0, nnb = 0;
  long span = (long)floor(1.5 / df + 1e-9);
  for (long o = -span; o <= span; o++) {
    long k = (long)kp + o;
    if (k < 1 || k >= (long)t->nbins) continue;
    double off = fabs((double)o) * df;
    if (off <= 0.5 + 1e-9) {
      pk += S[k];
      npk++;
    } else {
      nb += S[k];
      nnb++;
    }
    if (off <= 1.0 + 1e-9) amp2 += S[k] * df;
  }
  pk /= npk;
  w->ratio = nnb > 0 && nb > 0 ? pk / (nb / nnb) : INFINITY;
  w->amp_mps2 = sqrt(2.0 * amp2);
  w->freq_hz = refine_bin(S, kp, t->nbins) * df;
  int tremor = w->ratio >= t->peak_ratio && w->amp_mps2 >= t->min_amp && w->freq_hz >= t->lo_hz && w->freq_hz <= t->hi_hz;
  if (tremor) {
    /* Sustained: every segment holds at least SUSTAIN of the mean power at
     * the peak (+-1 Hz). A tremor is; a pair of jerks, whose spectrum has
     * interference peaks at multiples of 1/their interval, is not. */
    double mean = 0, lo = INFINITY;
    long span1 = (long)floor(1.0 / df + 1e-9);
    for (size_t i = 0; i < t->nseg; i++) {
      double p = 0;
      for (long o = -span1; o <= span1; o++) {
        long k = (long)kp + o;
        if (k >= 1 && k < (long)t->nbins) p += segs[i]->psd[k];
      }
      mean += p / (double)t->nseg;
      if (p < lo) lo = p;
    }
    if (lo < SUSTAIN * mean) tremor = 0;
  }
  if (tremor) {
    /* A harmonic of a stronger peak below the tremor band (walking: the step
     * frequency and its multiples) is not tremor. */
    size_t k0lo = (size_t)ceil(t->band_lo_hz / df);
    if (k0lo < 1) k0lo = 1;
    size_t k0 = 0;
    for (size_t k = k0lo; k < klo; k++)
      if (!k0 || S[k] > S[k0]) k0 = k;
    if (k0 && S[k0] >= S[kp]) {
      double f0 = refine_bin(S, k0, t->nbins) * df;
      double h = w->freq_hz / f0;
      if (f0 > 0 && h >= 1.5 && fabs(h - floor(h + 0.5)) <= 0.2) tremor = 0;
    }
  }
  w->flagged = tremor;
}

static int push_episode(kl_tremor_tracker *t) {
  if (t->eps_len == t->eps_cap) {
    size_t cap = t->eps_cap * 2;
    kl_tremor_episode *e = malloc(cap * sizeof *e);
    if (!e) return KLONOS_E_NOMEM;
    for (size_t i = 0; i < t->eps_len; i++) e[i] = t->eps[(t->eps_head + i) % t->eps_cap];
    free(t->eps);
    t->eps = e;
    t->eps_cap = cap;
    t->eps_head = 0;
  }
  kl_tremor_episode *e = &t->eps[(t->eps_head + t->eps_len) % t->eps_cap];
  double half = 0.5 * (double)t->nh;
  double s = ((double)t->run_first_centre - half) / t->fs;
  e->start_s = s < 0 ? 0 : s;
  e->end_s = ((double)t->run_last_centre + half) / t->fs;
  e->freq_hz = t->run_pw > 0 ? t->run_pwf / t->run_pw : 0;
  e->amp_mps2 = sqrt(t->run_amp2 / t->run_count);
  t->eps_len++;
  return KLONOS_OK;
}

static int close_run(kl_tremor_tracker *t) {
  int rc = KLONOS_OK;
  if (t->run_open && t->run_count >= MIN_WINDOWS) rc = push_episode(t);
  t->run_open = 0;
  t->run_count = 0;
  t->run_pw = t->run_pwf = t->run_amp2 = 0;
  return rc;
}

int kl_tremor_tracker_window(kl_tremor_tracker *t, int64_t end, kl_tremor_fetch_fn fetch, void *ctx, double power) {
  if (!t || !fetch || t->finished) return KLONOS_E_INVAL;
  kl_tremor_window *w = &t->wins[t->nwins % WIN_KEEP];
  memset(w, 0, sizeof *w);
  w->end = end;
  w->valid = isfinite(power);
  if (w->valid && power >= 0.5 * t->min_amp * t->min_amp) {
    memset(t->win_psd, 0, t->nbins * sizeof(double));
    const seg_entry *used[MAX_SEGS];
    for (size_t i = 0; i < t->nseg && w->valid; i++) {
      const seg_entry *s = segment(t, end - (int64_t)(i * t->nh), fetch, ctx);
      if (!s->valid) {
        w->valid = 0;
        break;
      }
      used[i] = s;
      for (size_t k = 0; k < t->nbins; k++) t->win_psd[k] += s->psd[k];
    }
    if (w->valid) {
      for (size_t k = 0; k < t->nbins; k++) t->win_psd[k] /= (double)t->nseg;
      analyse(t, w, used);
    }
  }
  t->nwins++;
  int rc = KLONOS_OK;
  if (w->flagged) {
    int64_t centre = end - (int64_t)t->nw / 2;
    if (!t->run_open) {
      t->run_open = 1;
      t->run_first_centre = centre;
    }
    t->run_last_centre = centre;
    t->run_count++;
    double pw = 0.5 * w->amp_mps2 * w->amp_mps2;
    t->run_pw += pw;
    t->run_pwf += pw * w->freq_hz;
    t->run_amp2 += w->amp_mps2 * w->amp_mps2;
  } else if (t->run_open) {
    rc = close_run(t);
  }
  return rc;
}

int kl_tremor_tracker_at(const kl_tremor_tracker *t, int64_t p, double *margin) {
  double m = INFINITY;
  int flag = 0;
  int64_t first = t->nwins > WIN_KEEP ? t->nwins - WIN_KEEP : 0;
  int64_t best_d = INT64_MAX;
  for (int64_t i = first; i < t->nwins; i++) {
    const kl_tremor_window *w = &t->wins[i % WIN_KEEP];
    int64_t c = w->end - (int64_t)t->nw / 2;
    int64_t lo = c - (int64_t)t->nh, hi = c + (int64_t)t->nh;
    if (i == 0) lo = 0;                             /* the first window also covers the start */
    if (t->finished && i == t->nwins - 1) hi = INT64_MAX; /* and the last one the end */
    if (p < lo || p > hi) continue;
    if (w->flagged) flag = 1;
    int64_t d = p > c ? p - c : c - p;
    if (w->ratio > 0 && w->amp_mps2 >= t->min_amp && d < best_d) {
      best_d = d;
      m = t->peak_ratio / w->ratio;
    }
  }
  if (margin) *margin = m;
  return flag;
}

void kl_tremor_tracker_finish(kl_tremor_tracker *t) {
  if (!t || t->finished) return;
  close_run(t);
  t->finished = 1;
}

int kl_tremor_tracker_pop(kl_tremor_tracker *t, kl_tremor_episode *e) {
  if (!t || !e) return KLONOS_E_INVAL;
  if (t->eps_len == 0) return 0;
  *e = t->eps[t->eps_head];
  t->eps_head = (t->eps_head + 1) % t->eps_cap;
  t->eps_len--;
  return 1;
}
