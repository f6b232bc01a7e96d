/* Streaming fall / near-fall detector; the method is in falls.h and
 * docs/falls.md.
 *
 * Every pushed frame goes into a ring of raw acceleration (NaN marks a gap)
 * long enough for the windows around one impact. Impacts are found on the
 * fly (clusters of frames above the candidate threshold) and queued; a
 * queued impact is judged as soon as the frame that ends its post window
 * has been pushed, from the ring alone. Every decision therefore depends on
 * the frame sequence only, never on how it was chunked. */
#include "detect/falls.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cond/segment.h"
#include "dsp/autocorr.h"
#include "klonos/reader.h"
#include "klonos/status.h"

#define G KLONOS_STANDARD_GRAVITY_MPS2
#define RAD2DEG (180.0 / 3.14159265358979323846)
#define CLUSTER_CAP_S 2.0   /* a run of high |a| longer than this is cut (vigorous play): bounded memory */
#define ONSET_SEARCH_S 0.3  /* impact onset: |a| last below 1 g within this before the peak */
#define DROP_PRE_S 2.0      /* height lost: integrated from this before the impact ... */
#define WALK_EXTRA_S 1.5    /* walking test: the pre window extended back by this */
#define WALK_RATE_HZ 50.0   /* ... decimated to about this rate */
#define WALK_MIN_AC 0.4     /* autocorrelation at the step lag (segment.h's walking test) */
#define WALK_MIN_SD 0.4     /* m/s^2 */
#define EXC_BLOCK_S 0.2     /* trunk excursion: direction of 0.2 s means, hop 0.1 s ... */
#define EXC_SPAN_S 1.0      /* ... within +-1 s of the impact ... */
#define EXC_GUARD_S 0.15    /* ... skipping the impact itself */
#define MAX_PENDING 32

typedef struct candidate {
  int64_t peak;    /* frame of the largest |a| */
  double peak_m;   /* its |a| */
  double v[3];     /* body vertical in force at the peak */
} candidate;

struct kl_falls {
  kl_falls_config c;
  double fs;
  int nch;
  int finished;
  double vertical[3];
  /* Ring of raw acceleration. */
  float *ring;      /* 3 floats per frame */
  int64_t cap;      /* frames */
  int64_t n;        /* frames pushed */
  /* Frame counts of the windows. */
  int64_t post_end, judge_after, merge, cluster_cap, pre_a, pre_b, post_a, descent, onset_search, drop_pre;
  int64_t walk_a, exc_block, exc_hop, exc_span, exc_guard;
  double cand_m;    /* candidate threshold, m/s^2 */
  /* Open cluster. */
  int open;
  candidate cl;
  int64_t cl_start, cl_last;
  /* Queued impacts (judged in order). */
  candidate q[MAX_PENDING];
  int nq;
  int64_t last_fall; /* peak frame of the last fall, -inf */
  /* Events ready to pop. */
  kl_fall_event *ev;
  size_t nev, cap_ev, head;
  /* Exposure: 1-s blocks. */
  int64_t blk_len, blk_n, blk_valid;
  double blk_sum[3], blk_v[3];
  kl_falls_stats st;
  kl_falls_trace_fn trace;
  void *trace_ctx;
  /* Scratch for the walking test. */
  float *walk_x;
  double *walk_ad;
  size_t walk_cap;
};

void kl_falls_config_default(kl_falls_config *c) {
  if (!c) return;
  memset(c, 0, sizeof *c);
  c->impact_min_g = 2.0;
  c->severe_impact_g = 3.5;
  c->near_impact_g = 1.8;
  c->merge_s = 0.5;
  c->descent_window_s = 1.5;
  c->fall_velocity_mps = 1.2;
  c->drop_min_m = 0.15;
  c->pre_start_s = 3.0;
  c->pre_end_s = 1.0;
  c->post_delay_s = 0.5;
  c->post_window_s = 1.5;
  c->upright_max_deg = 45.0;
  c->lying_min_deg = 60.0;
  c->lying_change_deg = 40.0;
  c->tilt_change_deg = 20.0;
  c->still_max_mps2 = 1.0;
  c->near_tilt_deg = 10.0;
  c->near_ratio = 2.0;
  c->refractory_s = 5.0;
}

static int in(double x, double lo, double hi) { return isfinite(x) && x >= lo && x <= hi; }

static int check_config(const kl_falls_config *c) {
  const int ok = in(c->impact_min_g, 1.1, 16.0) && in(c->severe_impact_g, c->impact_min_g, 32.0) &&
                 in(c->near_impact_g, 1.1, 16.0) && in(c->merge_s, 0.05, 2.0) && in(c->descent_window_s, 0.3, 3.0) &&
                 in(c->fall_velocity_mps, 0.0, 10.0) && in(c->drop_min_m, 0.0, 2.0) && in(c->pre_end_s, 0.2, 5.0) &&
                 in(c->pre_start_s, c->pre_end_s + 0.2, 10.0) && in(c->post_delay_s, 0.0, 5.0) &&
                 in(c->post_window_s, 0.2, 10.0) && in(c->upright_max_deg, 1.0, 90.0) &&
                 in(c->lying_min_deg, 1.0, 90.0) && in(c->lying_change_deg, 0.0, 180.0) &&
                 in(c->tilt_change_deg, 0.0, 180.0) && in(c->still_max_mps2, 1e-3, 100.0) &&
                 in(c->near_tilt_deg, 0.0, 90.0) && in(c->near_ratio, 0.0, 100.0) && in(c->refractory_s, 0.0, 60.0) &&
                 c->reserved_i == 0;
  return ok ? KLONOS_OK : KLONOS_E_INVAL;
}

static int unit(const double v[3], double out[3]) {
  if (!v) return KLONOS_E_INVAL;
  const double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  if (!isfinite(n) || n < 1e-9) return KLONOS_E_INVAL;
  for (int k = 0; k < 3; k++) out[k] = v[k] / n;
  return KLONOS_OK;
}

static int64_t frames_of(double s, double fs) { return (int64_t)llround(s * fs); }

int kl_falls_create(kl_falls **out, const kl_falls_config *c, double rate_hz, int nch,
                    const double vertical_sensor[3]) {
  if (!out) return KLONOS_E_INVAL;
  *out = NULL;
  kl_falls_config cfg;
  kl_falls_config_default(&cfg);
  if (c) cfg = *c;
  if (!isfinite(rate_hz) || rate_hz < 25.0 || rate_hz > 1000.0) return KLONOS_E_RATE;
  if (nch != 3 && nch != 6) return KLONOS_E_CHANNELS;
  if (check_config(&cfg)) return KLONOS_E_INVAL;
  double v[3];
  if (unit(vertical_sensor, v)) return KLONOS_E_INVAL;
  kl_falls *d = calloc(1, sizeof *d);
  if (!d) return KLONOS_E_NOMEM;
  d->c = cfg;
  d->fs = rate_hz;
  d->nch = nch;
  memcpy(d->vertical, v, sizeof v);
  const double fs = rate_hz;
  d->pre_a = frames_of(cfg.pre_start_s, fs);
  d->pre_b = frames_of(cfg.pre_end_s, fs);
  d->post_a = frames_of(cfg.post_delay_s, fs);
  d->post_end = frames_of(cfg.post_delay_s + cfg.post_window_s, fs);
  d->merge = frames_of(cfg.merge_s, fs);
  d->cluster_cap = frames_of(CLUSTER_CAP_S, fs);
  d->descent = frames_of(cfg.descent_window_s, fs);
  d->onset_search = frames_of(ONSET_SEARCH_S, fs);
  d->drop_pre = frames_of(DROP_PRE_S, fs);
  d->walk_a = frames_of(cfg.pre_start_s + WALK_EXTRA_S, fs);
  d->exc_block = frames_of(EXC_BLOCK_S, fs);
  d->exc_hop = frames_of(0.5 * EXC_BLOCK_S, fs);
  d->exc_span = frames_of(EXC_SPAN_S, fs);
  d->exc_guard = frames_of(EXC_GUARD_S, fs);
  int64_t back = d->walk_a;
  if (d->descent > back) back = d->descent;
  if (d->drop_pre > back) back = d->drop_pre;
  if (d->exc_span + d->exc_block > back) back = d->exc_span + d->exc_block;
  /* A peak is judged when its post window has been pushed and its cluster
   * closed (at most cluster_cap + merge after the peak). */
  int64_t ahead = d->post_end;
  if (d->exc_span > ahead) ahead = d->exc_span;
  if (d->cluster_cap + d->merge > ahead) ahead = d->cluster_cap + d->merge;
  d->cap = back + ahead + 2;
  d->judge_after = d->post_end > d->exc_span ? d->post_end : d->exc_span;
  d->cand_m = (cfg.impact_min_g < cfg.near_impact_g ? cfg.impact_min_g : cfg.near_impact_g) * G;
  d->last_fall = INT64_MIN / 2;
  d->blk_len = frames_of(1.0, fs);
  d->ring = malloc(sizeof(float) * 3 * (size_t)d->cap);
  d->walk_cap = (size_t)(d->walk_a - d->pre_b) + 2;
  d->walk_x = malloc(sizeof(float) * d->walk_cap);
  d->walk_ad = malloc(sizeof(double) * d->walk_cap);
  if (!d->ring || !d->walk_x || !d->walk_ad) {
    kl_falls_destroy(&d);
    return KLONOS_E_NOMEM;
  }
  memcpy(d->blk_v, v, sizeof v);
  *out = d;
  return KLONOS_OK;
}

void kl_falls_destroy(kl_falls **d) {
  if (!d || !*d) return;
  free((*d)->ring);
  free((*d)->ev);
  free((*d)->walk_x);
  free((*d)->walk_ad);
  free(*d);
  *d = NULL;
}

int kl_falls_set_vertical(kl_falls *d, const double v[3]) {
  if (!d) return KLONOS_E_INVAL;
  double u[3];
  if (unit(v, u)) return KLONOS_E_INVAL;
  memcpy(d->vertical, u, sizeof u);
  return KLONOS_OK;
}

/* ---- ring access ---- */

static const float *frame_at(const kl_falls *d, int64_t i) { return d->ring + 3 * (size_t)(i % d->cap); }

static double mag_at(const kl_falls *d, int64_t i) {
  const float *a = frame_at(d, i);
  return sqrt((double)a[0] * a[0] + (double)a[1] * a[1] + (double)a[2] * a[2]);
}

/* Mean and vector SD of frames [a, b); 0 if any is a gap. */
static int window_stats(const kl_falls *d, int64_t a, int64_t b, double mean[3], double *sd) {
  double s[3] = {0, 0, 0}, s2 = 0.0;
  for (int64_t i = a; i < b; i++) {
    const float *f = frame_at(d, i);
    for (int k = 0; k < 3; k++) {
      if (!isfinite(f[k])) return 0;
      s[k] += f[k];
      s2 += (double)f[k] * f[k];
    }
  }
  const double n = (double)(b - a);
  double var = s2 / n;
  for (int k = 0; k < 3; k++) {
    mean[k] = s[k] / n;
    var -= mean[k] * mean[k];
  }
  if (sd) *sd = var > 0.0 ? sqrt(var) : 0.0;
  return 1;
}

static double angle_deg(const double a[3], const double b[3]) {
  const double na = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]), nb = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
  if (!(na > 0.0) || !(nb > 0.0)) return 0.0;
  double c = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (na * nb);
  if (c > 1.0) c = 1.0;
  if (c < -1.0) c = -1.0;
  return acos(c) * RAD2DEG;
}

static int has_gap(const kl_falls *d, int64_t a, int64_t b) {
  for (int64_t i = a; i < b; i++) {
    const float *f = frame_at(d, i);
    if (!isfinite(f[0]) || !isfinite(f[1]) || !isfinite(f[2])) return 1;
  }
  return 0;
}

/* ---- features ---- */

/* Free-fall speed at contact: the largest sum of (g - |a|) dt over a run
 * ending at the impact onset (|a| last below 1 g before the peak). */
static double descent_speed(const kl_falls *d, int64_t peak, int64_t *start, int64_t *onset) {
  int64_t j = peak;
  const int64_t lim = peak - d->onset_search;
  while (j > lim && mag_at(d, j) >= G) j--;
  *start = peak - frames_of(1.0, d->fs);
  *onset = j + 1;
  if (mag_at(d, j) >= G) return 0.0; /* no free fall right before the impact */
  double sum = 0.0, best = 0.0;
  const double dt = 1.0 / d->fs;
  for (int64_t i = j; i >= peak - d->descent; i--) {
    sum += (G - mag_at(d, i)) * dt;
    if (sum > best) {
      best = sum;
      *start = i;
    }
  }
  return best;
}

/* Height lost before the impact (m, + = lower): (|a| - g) integrated twice
 * from DROP_PRE before the peak to the impact onset (|a| last below 1 g),
 * relative to the first second, whose mean vertical speed is taken as zero
 * (standing, or walking: a gait cycle nets zero, whereas pinning one
 * instant would catch the gait's +-0.15 m/s). |a| is used because the
 * trunk's orientation is unknown while it falls and rotates (no gyroscope);
 * g is the magnitude of the posture window before, so a gain error does not
 * integrate into height. A stumble sags a few cm before the recovery step;
 * a fall to the floor loses the height of the pelvis. */
static double height_drop(const kl_falls *d, int64_t peak, int64_t onset, double g_ref) {
  const int64_t a = peak - d->drop_pre, w = frames_of(1.0, d->fs);
  if (onset <= a + w) return 0.0;
  const double dt = 1.0 / d->fs;
  double v = 0.0, sv = 0.0, z = 0.0, sz = 0.0;
  /* Speed and height relative to the mean speed of the first second: with
   * raw speed v_i and its mean vbar there, z_j = sum (v_i - vbar) dt. */
  for (int64_t i = a; i < a + w; i++) {
    v += (mag_at(d, i) - g_ref) * dt;
    sv += v;
  }
  const double vbar = sv / (double)w;
  v = 0.0;
  for (int64_t i = a; i < onset; i++) {
    v += (mag_at(d, i) - g_ref) * dt;
    z += (v - vbar) * dt;
    if (i < a + w) sz += z;
  }
  return -(z - sz / (double)w);
}

/* Largest angle between the posture before and 0.2-s mean directions
 * within +-1 s of the impact (the impact itself left out). */
static double excursion(const kl_falls *d, int64_t peak, const double ref[3]) {
  double best = 0.0;
  for (int64_t s = peak - d->exc_span; s + d->exc_block <= peak + d->exc_span; s += d->exc_hop) {
    if (s + d->exc_block > peak - d->exc_guard && s < peak + d->exc_guard) continue;
    double m[3];
    if (!window_stats(d, s, s + d->exc_block, m, NULL)) continue;
    const double ang = angle_deg(ref, m);
    if (ang > best) best = ang;
  }
  return best;
}

/* The impact's dynamic peak over the largest dynamic peak of the 0.5-s
 * blocks of [walk_a, pre_end] before it (gaps: skipped; none: infinite). */
static double background_ratio(const kl_falls *d, int64_t peak, double peak_m, double g_ref) {
  const int64_t blk = frames_of(0.5, d->fs);
  double bg = 0.0;
  for (int64_t s = peak - d->walk_a; s + blk <= peak - d->pre_b; s += blk) {
    if (s < 0) continue;
    for (int64_t i = s; i < s + blk; i++) {
      const double m = mag_at(d, i);
      if (isfinite(m) && fabs(m - g_ref) > bg) bg = fabs(m - g_ref);
    }
  }
  const double dyn = peak_m - g_ref;
  return bg > 1e-6 ? dyn / bg : 1e9;
}

/* Walking before the event: |a| periodic at a step period of 0.25-1.2 s
 * (the segmenter's test, Moe-Nilssen & Helbostad 2004). */
static int walking_before(kl_falls *d, int64_t peak, double sd) {
  if (sd < WALK_MIN_SD) return 0;
  int64_t a = peak - d->walk_a, b = peak - d->pre_b;
  if (a < 0 || has_gap(d, a, b)) return 0;
  int64_t k = (int64_t)floor(d->fs / WALK_RATE_HZ);
  if (k < 1) k = 1;
  const double fs = d->fs / (double)k;
  size_t n = 0;
  for (int64_t i = a; i + k <= b && n < d->walk_cap; i += k) {
    double s = 0.0;
    for (int64_t j = 0; j < k; j++) s += mag_at(d, i + j);
    d->walk_x[n++] = (float)(s / (double)k);
  }
  const size_t lag_lo = (size_t)ceil(0.25 * fs), lag_hi = (size_t)floor(1.2 * fs);
  if (lag_hi + 2 >= n) return 0;
  if (kl_autocorr_unbiased(d->walk_x, n, 1, lag_hi, 1, KL_AUTOCORR_DIRECT, d->walk_ad) != KLONOS_OK) return 0;
  for (size_t l = lag_lo; l <= lag_hi; l++)
    if (d->walk_ad[l] >= WALK_MIN_AC && d->walk_ad[l] >= d->walk_ad[l - 1] &&
        (l == lag_hi || d->walk_ad[l] >= d->walk_ad[l + 1]))
      return 1;
  return 0;
}

static int emit(kl_falls *d, const kl_fall_event *e) {
  if (d->head > 0 && d->head == d->nev) d->head = d->nev = 0;
  if (d->nev == d->cap_ev) {
    if (d->head > 0) {
      memmove(d->ev, d->ev + d->head, (d->nev - d->head) * sizeof *d->ev);
      d->nev -= d->head;
      d->head = 0;
    } else {
      size_t cap = d->cap_ev ? 2 * d->cap_ev : 16;
      kl_fall_event *p = realloc(d->ev, cap * sizeof *p);
      if (!p) return KLONOS_E_NOMEM;
      d->ev = p;
      d->cap_ev = cap;
    }
  }
  d->ev[d->nev++] = *e;
  return KLONOS_OK;
}

static double margin(double x, double thr) { return thr > 0.0 ? x / thr : 1e9; }

/* Features and decision for the impact at c->peak (every frame it needs is
 * in the ring). Returns 0 for an event (kind set) or a KL_FALLS_REJ_* reason. */
static int decide(kl_falls *d, const candidate *c, kl_fall_event *e) {
  const kl_falls_config *cf = &d->c;
  const int64_t p = c->peak;
  const double fs = d->fs;
  memset(e, 0, sizeof *e);
  e->impact_s = (double)p / fs;
  e->impact_mps2 = c->peak_m;
  if (p - d->last_fall <= frames_of(cf->refractory_s, fs)) return KL_FALLS_REJ_REFRACTORY;
  int64_t first = p - d->pre_a;
  if (p - d->drop_pre < first) first = p - d->drop_pre;
  if (p - d->descent < first) first = p - d->descent;
  if (p - d->exc_span < first) first = p - d->exc_span;
  const int64_t last = p + d->judge_after;
  if (first < 0 || last > d->n) return KL_FALLS_REJ_TAIL;
  if (has_gap(d, first, last)) return KL_FALLS_REJ_GAP;

  double pre[3], post[3], pre_sd, post_sd;
  window_stats(d, p - d->pre_a, p - d->pre_b, pre, &pre_sd);
  window_stats(d, p + d->post_a, p + d->post_end, post, &post_sd);
  e->end_s = (double)(p + d->post_end) / fs;
  e->tilt_before_deg = angle_deg(pre, c->v);
  e->tilt_after_deg = angle_deg(post, c->v);
  e->reorient_deg = angle_deg(pre, post);
  e->still_sd_mps2 = post_sd;
  int64_t start, onset;
  e->descent_mps = descent_speed(d, p, &start, &onset);
  e->start_s = (double)start / fs;
  const double g_ref = sqrt(pre[0] * pre[0] + pre[1] * pre[1] + pre[2] * pre[2]);
  e->drop_m = height_drop(d, p, onset, g_ref);
  e->excursion_deg = excursion(d, p, pre);
  e->background_ratio = background_ratio(d, p, c->peak_m, g_ref);
  if (e->tilt_before_deg >= cf->lying_min_deg) e->from_state = KL_STATE_LYING;
  else if (walking_before(d, p, pre_sd)) e->from_state = KL_STATE_WALKING;
  else e->from_state = pre_sd <= cf->still_max_mps2 ? KL_STATE_UPRIGHT_STILL : KL_STATE_OTHER;
  const double peak_g = c->peak_m / G;
  if (e->tilt_before_deg > cf->upright_max_deg) return KL_FALLS_REJ_NOT_UPRIGHT;

  const int lying = e->tilt_after_deg >= cf->lying_min_deg;
  const int to_lying = lying && e->reorient_deg >= cf->lying_change_deg;
  /* Left tilted: further from the vertical than before (a lean that was
   * already there before the impact does not count). */
  const double tilted_by = e->tilt_after_deg - e->tilt_before_deg;
  const int tilted = tilted_by >= cf->tilt_change_deg && e->reorient_deg >= cf->tilt_change_deg;
  const int lowered = !lying && (e->drop_m >= cf->drop_min_m || tilted);
  double r = margin(peak_g, cf->impact_min_g);
  if (peak_g >= cf->impact_min_g && (to_lying || lowered)) {
    if (post_sd > cf->still_max_mps2) return KL_FALLS_REJ_MOVING;
    const double rs = margin(cf->still_max_mps2, post_sd > 1e-6 ? post_sd : 1e-6);
    if (rs < r) r = rs;
    if (to_lying) {
      const double rl = margin(e->tilt_after_deg, cf->lying_min_deg);
      if (rl < r) r = rl;
    } else {
      /* Ending upright: only an uncontrolled descent is a fall. */
      double ru = margin(e->descent_mps, cf->fall_velocity_mps);
      const double rt = tilted ? margin(tilted_by, cf->tilt_change_deg) : 0.0;
      const double ri = margin(peak_g, cf->severe_impact_g);
      if (rt > ru) ru = rt;
      if (ri > ru) ru = ri;
      if (ru < 1.0) return KL_FALLS_REJ_CONTROLLED;
      if (ru < r) r = ru;
    }
    e->kind = KL_FALL;
    e->to_state = to_lying ? KL_STATE_LYING : KL_STATE_UPRIGHT_STILL;
    e->lowered = !to_lying;
  } else if (!lying && !lowered && peak_g >= cf->near_impact_g && e->excursion_deg >= cf->near_tilt_deg &&
             e->background_ratio >= cf->near_ratio) {
    e->kind = KL_NEAR_FALL;
    e->to_state = e->from_state;
    e->end_s = (double)(p + d->exc_span) / fs;
    r = margin(peak_g, cf->near_impact_g);
    const double rx = margin(e->excursion_deg, cf->near_tilt_deg), rb = margin(e->background_ratio, cf->near_ratio);
    if (rx < r) r = rx;
    if (rb < r) r = rb;
  } else {
    return (to_lying || lowered) ? KL_FALLS_REJ_SMALL : KL_FALLS_REJ_NO_CHANGE;
  }
  const double conf = 1.0 - 1.0 / (r > 1.0 ? r : 1.0);
  e->confidence = conf < 0.0 ? 0.0 : (conf > 1.0 ? 1.0 : conf);
  return 0;
}

static int judge(kl_falls *d, const candidate *c) {
  kl_fall_event e;
  const int outcome = decide(d, c, &e);
  if (d->trace) d->trace(d->trace_ctx, &e, outcome);
  kl_falls_stats *st = &d->st;
  switch (outcome) {
    case 0: break;
    case KL_FALLS_REJ_REFRACTORY: st->rejected_refractory++; return KLONOS_OK;
    case KL_FALLS_REJ_TAIL: st->rejected_tail++; return KLONOS_OK;
    case KL_FALLS_REJ_GAP: st->rejected_gap++; return KLONOS_OK;
    case KL_FALLS_REJ_NOT_UPRIGHT: st->rejected_not_upright++; return KLONOS_OK;
    case KL_FALLS_REJ_MOVING: st->rejected_moving++; return KLONOS_OK;
    case KL_FALLS_REJ_CONTROLLED: st->rejected_controlled++; return KLONOS_OK;
    case KL_FALLS_REJ_SMALL: st->rejected_small++; return KLONOS_OK;
    default: st->rejected_no_change++; return KLONOS_OK;
  }
  if (e.kind == KL_FALL) {
    d->last_fall = c->peak;
    st->falls++;
  } else {
    st->near_falls++;
  }
  return emit(d, &e);
}

void kl_falls_set_trace(kl_falls *d, kl_falls_trace_fn fn, void *ctx) {
  if (!d) return;
  d->trace = fn;
  d->trace_ctx = ctx;
}

/* ---- streaming ---- */

static int enqueue(kl_falls *d) {
  d->open = 0;
  d->st.candidates++;
  if (d->nq == MAX_PENDING) { /* cannot happen with merge_s >= 0.05 s, kept for safety */
    d->st.rejected_tail++;
    return KLONOS_OK;
  }
  d->q[d->nq++] = d->cl;
  return KLONOS_OK;
}

static void block_close(kl_falls *d) {
  if (d->blk_n == 0) return;
  const double s = (double)d->blk_valid / d->fs;
  if (d->blk_valid * 2 >= d->blk_n) {
    const double ang = angle_deg(d->blk_sum, d->blk_v);
    if (ang <= d->c.upright_max_deg) d->st.upright_s += s;
    else if (ang >= d->c.lying_min_deg) d->st.lying_s += s;
  }
  d->st.valid_s += s;
  d->blk_n = d->blk_valid = 0;
  d->blk_sum[0] = d->blk_sum[1] = d->blk_sum[2] = 0.0;
}

static int judge_ready(kl_falls *d, int final) {
  while (d->nq > 0 && (final || d->n >= d->q[0].peak + d->judge_after + 1)) {
    const candidate c = d->q[0];
    memmove(d->q, d->q + 1, (size_t)(d->nq - 1) * sizeof *d->q);
    d->nq--;
    const int rc = judge(d, &c);
    if (rc) return rc;
  }
  return KLONOS_OK;
}

int kl_falls_push(kl_falls *d, const float *frames, size_t n) {
  if (!d || (!frames && n)) return KLONOS_E_INVAL;
  if (d->finished) return KLONOS_E_STATE;
  for (size_t k = 0; k < n; k++) {
    const float *f = frames + k * (size_t)d->nch;
    const int64_t i = d->n;
    float *dst = d->ring + 3 * (size_t)(i % d->cap);
    const int valid = isfinite(f[0]) && isfinite(f[1]) && isfinite(f[2]);
    for (int c = 0; c < 3; c++) dst[c] = valid ? f[c] : NAN;
    d->st.frames++;
    if (!valid) d->st.gap_frames++;
    /* Exposure, 1-s blocks (the vertical of the block's first frame). */
    if (d->blk_n == 0) memcpy(d->blk_v, d->vertical, sizeof d->blk_v);
    d->blk_n++;
    if (valid) {
      d->blk_valid++;
      for (int c = 0; c < 3; c++) d->blk_sum[c] += f[c];
    }
    if (d->blk_n == d->blk_len) block_close(d);
    /* Impact clusters. */
    const double m = valid ? sqrt((double)f[0] * f[0] + (double)f[1] * f[1] + (double)f[2] * f[2]) : 0.0;
    if (d->open && (i - d->cl_last >= d->merge || i - d->cl_start >= d->cluster_cap)) {
      int rc = enqueue(d);
      if (rc) return rc;
    }
    if (valid && m >= d->cand_m) {
      if (!d->open) {
        d->open = 1;
        d->cl_start = i;
        d->cl.peak = i;
        d->cl.peak_m = m;
        memcpy(d->cl.v, d->vertical, sizeof d->cl.v);
      } else if (m > d->cl.peak_m) {
        d->cl.peak = i;
        d->cl.peak_m = m;
        memcpy(d->cl.v, d->vertical, sizeof d->cl.v);
      }
      d->cl_last = i;
    }
    d->n++;
    int rc = judge_ready(d, 0);
    if (rc) return rc;
  }
  return KLONOS_OK;
}

int kl_falls_finish(kl_falls *d) {
  if (!d) return KLONOS_E_INVAL;
  if (d->finished) return KLONOS_OK;
  d->finished = 1;
  if (d->open) {
    int rc = enqueue(d);
    if (rc) return rc;
  }
  block_close(d);
  return judge_ready(d, 1);
}

int kl_falls_pop(kl_falls *d, kl_fall_event *e) {
  if (!d || !e) return KLONOS_E_INVAL;
  if (d->head >= d->nev) return 0;
  *e = d->ev[d->head++];
  return 1;
}

int kl_falls_get_stats(const kl_falls *d, kl_falls_stats *s) {
  if (!d || !s) return KLONOS_E_INVAL;
  *s = d->st;
  return KLONOS_OK;
}
