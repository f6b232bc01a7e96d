/* The jerk detector's decisions: transients inside a closed region, the
 * acceptance tests, the train test, clusters and the output queues. See
 * jerk.h for the method. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "detect/jerk_priv.h"
#include "klonos/status.h"

static int ev_push(ev_queue *q, const kl_jerk_event *e) {
  if (q->len == q->cap) {
    size_t cap = q->cap ? 2 * q->cap : 16;
    kl_jerk_event *v = malloc(cap * sizeof *v);
    if (!v) return KLONOS_E_NOMEM;
    for (size_t i = 0; i < q->len; i++) v[i] = q->v[(q->head + i) % q->cap];
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
  }
  q->v[(q->head + q->len) % q->cap] = *e;
  q->len++;
  return KLONOS_OK;
}

static int cl_push(cl_queue *q, const kl_jerk_cluster *e) {
  if (q->len == q->cap) {
    size_t cap = q->cap ? 2 * q->cap : 8;
    kl_jerk_cluster *v = malloc(cap * sizeof *v);
    if (!v) return KLONOS_E_NOMEM;
    for (size_t i = 0; i < q->len; i++) v[i] = q->v[(q->head + i) % q->cap];
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
  }
  q->v[(q->head + q->len) % q->cap] = *e;
  q->len++;
  return KLONOS_OK;
}

/* ---- clusters: runs of accepted jerks with onset gaps <= cluster_max_gap_s ---- */

void kl_jerk_fail(kl_jerk_detector *d, int rc) {
  if (rc != KLONOS_OK && d->error == KLONOS_OK) d->error = rc;
}

void kl_jerk_close_run(kl_jerk_detector *d) {
  if (d->run_count >= d->c.cluster_min_count) {
    kl_jerk_cluster cl = {d->run_id, d->run_start_s, d->run_end_s, d->run_count};
    kl_jerk_fail(d, cl_push(&d->out_cl, &cl));
  } else {
    for (int i = 0; i < d->run_count; i++) kl_jerk_fail(d, ev_push(&d->out_ev, &d->pend[i]));
  }
  d->run_count = 0;
  d->run_id = -1;
}

static void add_jerk(kl_jerk_detector *d, kl_jerk_event *e, int64_t onset) {
  if (d->run_count > 0 && onset - d->run_last_onset > d->cluster_gap) kl_jerk_close_run(d);
  if (d->run_count == 0) {
    d->run_first_onset = onset;
    d->run_start_s = e->onset_s;
  }
  d->run_last_onset = onset;
  d->run_end_s = e->offset_s;
  d->run_count++;
  if (d->run_count < d->c.cluster_min_count) {
    e->cluster_id = -1;
    d->pend[d->run_count - 1] = *e;
  } else if (d->run_count == d->c.cluster_min_count) {
    d->run_id = d->next_cluster_id++;
    for (int i = 0; i < d->run_count - 1; i++) {
      d->pend[i].cluster_id = d->run_id;
      kl_jerk_fail(d, ev_push(&d->out_ev, &d->pend[i]));
    }
    e->cluster_id = d->run_id;
    kl_jerk_fail(d, ev_push(&d->out_ev, e));
  } else {
    e->cluster_id = d->run_id;
    kl_jerk_fail(d, ev_push(&d->out_ev, e));
  }
}

/* ---- decision on a closed transient ---- */

static int gap_within(const kl_jerk_detector *d, int64_t a, int64_t b) {
  for (int64_t i = a; i <= b; i++) {
    if (i < 0 || i >= d->n) continue;
    if (isnan(d->r_j[(size_t)(i % (int64_t)d->R)])) return 1;
  }
  return 0;
}

static float rj(const kl_jerk_detector *d, int64_t i) { return d->r_j[(size_t)(i % (int64_t)d->R)]; }
static float rs(const kl_jerk_detector *d, int64_t i) { return d->r_s[(size_t)(i % (int64_t)d->R)]; }

/* Mean of the raw acceleration (gravity and posture) over floor blocks
 * [b0, b1]; 0 when a block is missing or beyond the horizon. */
static int raw_mean(const kl_jerk_detector *d, int64_t b0, int64_t b1, double v[3]) {
  int64_t bmax = d->finished ? d->fb_count - 1 : (d->horizon + 1) / (int64_t)d->nb - 1;
  if (bmax > d->fb_count - 1) bmax = d->fb_count - 1;
  v[0] = v[1] = v[2] = 0;
  int n = 0;
  for (int64_t b = b0; b <= b1; b++) {
    if (b < 0 || b > bmax || b < d->fb_count - (int64_t)d->FB) continue;
    const float *p = d->fb_raw + 3 * (size_t)(b % (int64_t)d->FB);
    if (!isfinite(p[0])) continue;
    for (int c = 0; c < 3; c++) v[c] += p[c];
    n++;
  }
  return n > 0;
}

/* A change of posture across the transient: the direction of the raw
 * acceleration (gravity) averaged over [onset - 1.5 s, onset - 0.5 s]
 * differs from that over [offset + 0.5 s, offset + 1.5 s] by more than
 * posture_max_deg. Sitting down, standing up and lying down end with a
 * sharp transient (the seat, the bed) that is not a jerk; a jerk leaves
 * the trunk where it was. */
static int posture_change(const kl_jerk_detector *d, const transient *t) {
  const int64_t nb = (int64_t)d->nb, side = (int64_t)llround(1.0 / d->c.floor_block_s);
  int64_t gap = (int64_t)llround(0.5 / d->c.floor_block_s);
  double u[3], v[3];
  if (!raw_mean(d, t->onset / nb - gap - side, t->onset / nb - gap, u)) return 0;
  if (!raw_mean(d, t->offset / nb + gap, t->offset / nb + gap + side, v)) return 0;
  double uv = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  double uu = u[0] * u[0] + u[1] * u[1] + u[2] * u[2], vv = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
  if (!(uu > 0) || !(vv > 0)) return 0;
  double c = uv / sqrt(uu * vv);
  return c < cos(d->c.posture_max_deg * 3.14159265358979323846 / 180.0);
}

/* Background activity around a transient: the lower quartile of the RMS
 * |a_bp| of the floor blocks within BG_S before it and, separately, after
 * it (its own blocks excluded), the larger of the two. The quartile, not
 * the median: in a dense storm most blocks hold another jerk, while
 * walking or fidgeting keeps even the quiet blocks active. Each side on
 * its own: at the start or end of a bout one side is still quiet. */
#define BG_S 1.5
static double background(kl_jerk_detector *d, const transient *t) {
  const int64_t nb = (int64_t)d->nb, w = (int64_t)llround(BG_S / d->c.floor_block_s);
  int64_t bmax = d->finished ? d->fb_count - 1 : (d->horizon + 1) / nb - 1;
  if (bmax > d->fb_count - 1) bmax = d->fb_count - 1;
  const int64_t b0 = t->onset / nb, b1 = t->offset / nb;
  double bg = 0;
  for (int side = 0; side < 2; side++) {
    int64_t lo = side ? b1 + 1 : b0 - w, hi = side ? b1 + w : b0 - 1;
    size_t n = 0;
    for (int64_t b = lo; b <= hi; b++) {
      if (b < 0 || b > bmax || b < d->fb_count - (int64_t)d->FB) continue;
      float v = d->fb_rms[(size_t)(b % (int64_t)d->FB)];
      if (isfinite(v)) d->scratch[n++] = v;
    }
    if (n) {
      double q = kl_jerk_select_kth(d->scratch, n, n / 4);
      if (q > bg) bg = q;
    }
  }
  return bg;
}

/* The train test of a pending event (see TRAIN_WINDOW_S): beats are the
 * local maxima of the |a_bp| envelope around it (rhythm.h). */
static int on_train(kl_jerk_detector *d, const pending *q) {
  if (q->background < d->c.step_min_activity_mps2) return 0;
  const int64_t nd = (int64_t)d->nd;
  int64_t kb[64];
  int64_t hb = d->finished ? INT64_MAX : (d->horizon + 1) / nd - 1;
  int n = kl_rhythm_beats(d->rh, q->peak / nd, d->train_window / nd, hb, q->e.peak_acc_mps2 / d->c.step_amp_ratio_acc,
                          q->e.direction, TRAIN_MIN_COS, kb, 64);
  const int64_t kc = q->peak / nd;
  const double lo = d->c.step_min_s * d->fs / (double)nd, hi = d->c.step_max_s * d->fs / (double)nd;
  /* three beats x < y < z, the candidate one of them, at regular step intervals */
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++) {
      if (i == k || kb[i] == kc || kb[k] == kc) continue;
      int64_t v[3] = {kc, kb[i], kb[k]};
      for (int a = 1; a < 3; a++) /* sort three */
        for (int b = a; b > 0 && v[b - 1] > v[b]; b--) {
          int64_t x = v[b];
          v[b] = v[b - 1];
          v[b - 1] = x;
        }
      double i1 = (double)(v[1] - v[0]), i2 = (double)(v[2] - v[1]);
      if (i1 < lo || i1 > hi || i2 < lo || i2 > hi) continue;
      if ((i1 > i2 ? i1 / i2 : i2 / i1) <= TRAIN_MAX_IRREG) return 1;
    }
  return 0;
}

/* Hand the pending events whose train window has been seen (or all of
 * them) to the clustering, in onset order. */
void kl_jerk_release(kl_jerk_detector *d, int all) {
  while (d->pq_len > 0) {
    pending *q = &d->pq[d->pq_head];
    if (!all) {
      if (d->m <= q->deadline + d->bridge) break;
      if (d->rg.open && d->rg.start <= q->deadline) break;
    }
    if (q->test && q->e.peak_acc_mps2 < d->c.local_ratio * q->background) {
      d->st.rejected_background++;
      if (d->ctrace) d->ctrace(d->ctrace_ctx, q->e.onset_s, q->e.peak_jerk_mps3, q->e.peak_acc_mps2, 9, NULL, 0);
    } else if (q->test && on_train(d, q)) {
      d->st.rejected_rhythm++;
      if (d->ctrace) d->ctrace(d->ctrace_ctx, q->e.onset_s, q->e.peak_jerk_mps3, q->e.peak_acc_mps2, 7, NULL, 0);
    } else {
      d->st.accepted++;
      add_jerk(d, &q->e, q->onset);
    }
    d->pq_head = (d->pq_head + 1) % MAX_PENDING;
    d->pq_len--;
  }
}

static void decide(kl_jerk_detector *d, const transient *t) {
  d->st.candidates++;
  int64_t dur = t->offset - t->onset + 1;
  if (t->truncated || dur > d->max_dur) {
    d->st.rejected_long++;
    if (d->ctrace) d->ctrace(d->ctrace_ctx, (double)t->onset / d->fs, rj(d, t->peak), 0, 1, NULL, 0);
    return;
  }
  if (t->onset - d->last_gap_end < d->guard || gap_within(d, t->offset + 1, t->offset + d->guard)) {
    d->st.rejected_gap++;
    return;
  }
  if (posture_change(d, t)) {
    d->st.rejected_posture++;
    if (d->ctrace) d->ctrace(d->ctrace_ctx, (double)t->onset / d->fs, rj(d, t->peak), 0, 6, NULL, 0);
    return;
  }
  double trem_margin = INFINITY;
  if (kl_tremor_tracker_at(d->tr, t->peak, &trem_margin)) {
    d->st.rejected_tremor++;
    if (d->ctrace) d->ctrace(d->ctrace_ctx, (double)t->onset / d->fs, rj(d, t->peak), 0, 3, NULL, 0);
    return;
  }
  kl_jerk_event e;
  memset(&e, 0, sizeof e);
  e.onset_s = (double)t->onset / d->fs;
  e.offset_s = (double)(t->offset + 1) / d->fs;
  double best = -1;
  for (int64_t i = t->onset; i <= t->offset; i++) {
    if (rj(d, i) > e.peak_jerk_mps3) e.peak_jerk_mps3 = rj(d, i);
    const float *a = d->r_abp + (size_t)(i % (int64_t)d->R) * 3;
    double a2 = (double)a[0] * a[0] + (double)a[1] * a[1] + (double)a[2] * a[2];
    if (a2 > best) {
      best = a2;
      for (int k = 0; k < 3; k++) e.direction[k] = a[k];
    }
  }
  e.peak_acc_mps2 = sqrt(best);
  for (int k = 0; k < 3; k++) e.direction[k] = e.peak_acc_mps2 > 0 ? e.direction[k] / e.peak_acc_mps2 : 0.0;
  if (e.peak_acc_mps2 < d->c.min_acc_mps2) {
    d->st.rejected_small++;
    return;
  }
  /* Walking: compare with the same phase of the neighbouring steps, each
   * aligned on the gait pattern around the transient (rhythm.h). A
   * transient that none of the neighbouring steps' aligned phase is more
   * than step_amp_ratio(_acc) times smaller than, in norm-jerk and in
   * |a_bp|, is a step; one that stands out in either breaks the rhythm. */
  double rhythm_margin = INFINITY;
  if (d->per_ok) {
    const int64_t nd = (int64_t)d->nd;
    int64_t kp = t->peak / nd, core = (kp - t->onset / nd > t->offset / nd - kp ? kp - t->onset / nd : t->offset / nd - kp) + 1;
    int64_t hb = d->finished ? INT64_MAX : (d->horizon + 1) / nd - 1;
    kl_rhythm_cmp rr;
    if (kl_rhythm_aligned(d->rh, kp, core, d->per_T, hb, &rr)) {
      double mj = rr.ref_j > 0 ? e.peak_jerk_mps3 / (d->c.step_amp_ratio * rr.ref_j) : INFINITY;
      double ma = rr.ref_a > 0 ? e.peak_acc_mps2 / (d->c.step_amp_ratio_acc * rr.ref_a) : INFINITY;
      rhythm_margin = mj > ma ? mj : ma;
      if (d->ctrace) {
        double f[32] = {0, (double)rr.n};
        for (int q = 0; q < rr.n; q++) f[2 + q] = rr.a[q], f[8 + q] = rr.j[q];
        d->ctrace(d->ctrace_ctx, e.onset_s, e.peak_jerk_mps3, e.peak_acc_mps2, rhythm_margin <= 1 ? 4 : 0, f, 14);
      }
      if (rhythm_margin <= 1) {
        d->st.rejected_rhythm++;
        return;
      }
    }
  }
  if (d->ctrace && !isfinite(rhythm_margin)) {
    double f[2] = {background(d, t), 0};
    d->ctrace(d->ctrace_ctx, e.onset_s, e.peak_jerk_mps3, e.peak_acc_mps2, 0, f, 1);
  }
  /* Confidence: 1 - 1/r with r the smallest margin: peak over the upper
   * threshold, the duration limit over the duration, and (when the window
   * was rhythmic at all) the tremor ratio limit over the window's ratio. */
  double margin = rs(d, t->peak);
  double md = (double)d->max_dur / (double)dur;
  if (md < margin) margin = md;
  if (trem_margin < margin) margin = trem_margin;
  if (rhythm_margin < margin) margin = rhythm_margin;
  e.confidence = margin > 1 ? 1.0 - 1.0 / margin : 0.0;
  if (d->pq_len == MAX_PENDING) kl_jerk_release(d, 1); /* cannot happen with sane rates: keep going */
  pending *q = &d->pq[(d->pq_head + d->pq_len) % MAX_PENDING];
  q->e = e;
  q->onset = t->onset;
  q->peak = t->peak;
  q->deadline = t->peak + d->train_window;
  q->test = !isfinite(rhythm_margin);
  q->background = q->test ? background(d, t) : 0;
  d->pq_len++;
}

/* Frames [a, b] of a closed region: every transient in it, largest first,
 * then decided in onset order. Everything runs on the score s (the feature
 * over its upper threshold, so s >= 1 is "above threshold"). A transient is
 * the peak of s among frames with s >= 1 and the extent around it where s
 * stays above max(lower threshold, TAIL_FRACTION x peak), dips up to
 * INNER_BRIDGE_S bridged; its onset is then moved back along the rising
 * edge while s keeps falling and stays above the lower threshold. Frames
 * within the refractory gap of a transient cannot start another one. */
static void transients(kl_jerk_detector *d, int64_t a0, int64_t b0, int cut_start, int cut_end) {
  int64_t ra[MAX_TRANSIENTS], rb[MAX_TRANSIENTS];
  int nr = 0, nt = 0;
  const double lo = d->c.thr_lo_fraction;
  ra[nr] = a0;
  rb[nr++] = b0;
  while (nr > 0 && nt < MAX_TRANSIENTS) {
    nr--;
    int64_t a = ra[nr], b = rb[nr];
    int64_t p = -1;
    float ps = -INFINITY;
    for (int64_t i = a; i <= b; i++) {
      float v = rs(d, i);
      if (v > ps) {
        ps = v;
        p = i;
      }
    }
    if (p < 0) continue;
    if (ps < 1.0f) continue;
    double level = lo > TAIL_FRACTION * ps ? lo : TAIL_FRACTION * ps;
    int64_t on = p, off = p;
    for (int64_t i = p - 1, dip = 0; i >= a && dip <= d->inner_bridge; i--) {
      if (rs(d, i) >= level) {
        on = i;
        dip = 0;
      } else {
        dip++;
      }
    }
    for (int64_t i = p + 1, dip = 0; i <= b && dip <= d->inner_bridge; i++) {
      if (rs(d, i) >= level) {
        off = i;
        dip = 0;
      } else {
        dip++;
      }
    }
    while (on > a && rs(d, on - 1) < rs(d, on) && rs(d, on - 1) >= lo) on--;
    transient *t = &d->tq[nt++];
    t->onset = on;
    t->offset = off;
    t->peak = p;
    t->truncated = (cut_start && on == a0) || (cut_end && off == b0);
    if (on - d->bridge - 1 >= a && nr < MAX_TRANSIENTS) {
      ra[nr] = a;
      rb[nr++] = on - d->bridge - 1;
    }
    if (off + d->bridge + 1 <= b && nr < MAX_TRANSIENTS) {
      ra[nr] = off + d->bridge + 1;
      rb[nr++] = b;
    }
  }
  for (int i = 1; i < nt; i++) { /* onset order */
    transient x = d->tq[i];
    int k = i;
    while (k > 0 && d->tq[k - 1].onset > x.onset) {
      d->tq[k] = d->tq[k - 1];
      k--;
    }
    d->tq[k] = x;
  }
  for (int i = 0; i < nt; i++) {
    const transient *t = &d->tq[i];
    double pj = rs(d, t->peak);
    if (t->onset <= d->shadow_until && pj < d->shadow_level) {
      d->st.rejected_tail++;
      continue;
    }
    if (t->onset > d->shadow_until || SHADOW_FRACTION * pj > d->shadow_level) d->shadow_level = SHADOW_FRACTION * pj;
    d->shadow_until = t->offset + d->shadow;
    decide(d, t);
  }
}

void kl_jerk_close_region(kl_jerk_detector *d, int cut_end) {
  region *r = &d->rg;
  if (!r->open) return;
  r->open = 0;
  transients(d, r->start, r->last_above, r->cut_start, cut_end);
}

