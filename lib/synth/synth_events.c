/* Events laid over the bouts: myoclonic jerks (isolated and in clusters)
 * and tremor episodes. Each process draws from its own random stream, one
 * event ahead, and only inside bouts whose state its mask allows; events
 * never cross a bout boundary, so every jerk's state is exact.
 *
 * Isolated jerks: a renewal process whose intervals are (duration + least
 * gap + an exponential), the exponential's mean set so the mean rate is the
 * one requested: Poisson-like irregularity without overlapping jerks.
 * Clusters ("storms"): cluster starts form the same kind of process (rate
 * per hour); a cluster holds a uniform number of jerks whose onset-to-onset
 * intervals are uniform in [cluster_gap_min_s, cluster_gap_max_s]: irregular,
 * unlike tremor. Jerk amplitude is log-uniform, duration uniform (30-150 ms
 * by default, Eberhardt & Topka 2017 EMG bursts 10-100 ms widened by the
 * trunk's mechanics), shape uniform among the allowed ones, direction mostly
 * AP (flexion 70%, extension 30%, axial myoclonus) with random V/ML parts.
 *
 * Tremor: a sinusoid of constant frequency and plateau amplitude along a
 * random mostly-horizontal direction, with 0.5 s quintic fade-in/out (or a
 * quarter of the episode when shorter); frequency uniform in its range.
 *
 * Activation follows time order across the processes, so that the active
 * list (and the order in which the events are summed) never depends on how
 * the recording is chunked. */
#include <math.h>
#include <string.h>

#include "synth_priv.h"

#define TREMOR_RAMP_S 0.5
#define LEVER_M 0.5 /* assumed trunk lever arm turning linear into angular motion */

void kl_events_init(kl_events *e, uint64_t seed) {
  memset(e, 0, sizeof *e);
  kl_rng_seed(&e->jerk_rng, seed, KL_STREAM_JERK);
  kl_rng_seed(&e->cluster_rng, seed, KL_STREAM_CLUSTER);
  kl_rng_seed(&e->tremor_rng, seed, KL_STREAM_TREMOR);
}

static void normalize(double v[3]) {
  const double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  for (int k = 0; k < 3; k++) v[k] /= n;
}

/* Rotation axis for a linear motion along d: perpendicular to V and d. */
static void rotation_axis(const double d[3], double axis[3]) {
  axis[0] = 0.0;
  axis[1] = -d[2];
  axis[2] = d[1];
  const double n = sqrt(axis[1] * axis[1] + axis[2] * axis[2]);
  if (n < 1e-9) {
    axis[1] = 0.0;
    axis[2] = 1.0;
  } else {
    axis[1] /= n;
    axis[2] /= n;
  }
}

static void draw_jerk(klonos_synth *h, kl_rng *r, double onset, int64_t cluster, kl_jerk *j) {
  const klonos_synth_params *p = &h->p;
  memset(j, 0, sizeof *j);
  j->onset = onset;
  j->dur = kl_rng_range(r, p->jerk_duration_min_s, p->jerk_duration_max_s);
  j->amp = kl_rng_log_uniform(r, p->jerk_amp_min_mps2, p->jerk_amp_max_mps2);
  int shapes[3], ns = 0;
  for (int s = KLONOS_SYNTH_JERK_MONOPHASIC; s <= KLONOS_SYNTH_JERK_DAMPED; s++)
    if (p->jerk_shape_mask & KLONOS_SYNTH_SHAPE_BIT(s)) shapes[ns++] = s;
  j->shape = shapes[kl_rng_int(r, 0, ns - 1)];
  const double sign = kl_rng_uniform(r) < 0.7 ? 1.0 : -1.0;
  j->dir[0] = 0.5 * kl_rng_normal(r);
  j->dir[1] = sign + 0.3 * kl_rng_normal(r);
  j->dir[2] = 0.5 * kl_rng_normal(r);
  normalize(j->dir);
  rotation_axis(j->dir, j->axis);
  /* Peak angular rate ~ velocity change / lever: 0.2 A D / 0.5 m. */
  j->gyro_peak = 0.2 * j->amp * j->dur / LEVER_M;
  j->cluster = cluster;
  j->state = h->ev.seg_state;
}

/* Latest time an event may end inside the current bout: its last frame. */
static double seg_limit(const klonos_synth *h) {
  const double last = (double)(h->seg.n1 - 1) / h->fs;
  return last < h->ev.seg_t1 ? last : h->ev.seg_t1;
}

static void schedule_isolated(klonos_synth *h, double after) {
  kl_events *e = &h->ev;
  const klonos_synth_params *p = &h->p;
  e->iso_ready = 0;
  if (!(e->jerks_on && p->jerk_rate_per_min > 0.0)) return;
  const double mean = 60.0 / p->jerk_rate_per_min;
  double extra = mean - 0.5 * (p->jerk_duration_min_s + p->jerk_duration_max_s) - p->jerk_min_gap_s;
  if (extra < 1e-3) extra = 1e-3;
  const double onset = after + kl_rng_exponential(&e->jerk_rng, extra);
  draw_jerk(h, &e->jerk_rng, onset, -1, &e->iso);
  if (e->iso.onset + e->iso.dur <= seg_limit(h)) e->iso_ready = 1;
}

static void schedule_cluster_start(klonos_synth *h, double after) {
  kl_events *e = &h->ev;
  e->cl_next_start = INFINITY;
  if (!(e->jerks_on && h->p.cluster_rate_per_hour > 0.0)) return;
  const double start = after + kl_rng_exponential(&e->cluster_rng, 3600.0 / h->p.cluster_rate_per_hour);
  if (start < seg_limit(h)) e->cl_next_start = start;
}

static void schedule_tremor(klonos_synth *h, double after) {
  kl_events *e = &h->ev;
  const klonos_synth_params *p = &h->p;
  e->tr_ready = 0;
  if (!(e->tremor_on && p->tremor_rate_per_min > 0.0)) return;
  kl_rng *r = &e->tremor_rng;
  kl_tremor *tr = &e->tr_next;
  memset(tr, 0, sizeof *tr);
  tr->t0 = after + kl_rng_exponential(r, 60.0 / p->tremor_rate_per_min);
  double dur = kl_rng_range(r, p->tremor_duration_min_s, p->tremor_duration_max_s);
  tr->freq = kl_rng_range(r, p->tremor_freq_min_hz, p->tremor_freq_max_hz);
  tr->amp = kl_rng_range(r, p->tremor_amp_min_mps2, p->tremor_amp_max_mps2);
  tr->dir[0] = 0.3 * kl_rng_normal(r);
  tr->dir[1] = kl_rng_normal(r);
  tr->dir[2] = kl_rng_normal(r);
  normalize(tr->dir);
  rotation_axis(tr->dir, tr->axis);
  tr->gyro_amp = tr->amp / (2.0 * KL_PI * tr->freq * LEVER_M);
  const double limit = seg_limit(h);
  if (tr->t0 + dur > limit) {
    if (limit - tr->t0 < p->tremor_duration_min_s) return; /* no room left in this bout */
    dur = limit - tr->t0;
  }
  tr->t1 = tr->t0 + dur;
  tr->ramp = dur / 4.0 < TREMOR_RAMP_S ? dur / 4.0 : TREMOR_RAMP_S;
  tr->n = -1;
  tr->state = e->seg_state;
  e->tr_ready = 1;
}

void kl_events_begin_segment(klonos_synth *h, const kl_segment *seg) {
  kl_events *e = &h->ev;
  e->seg_state = seg->state;
  e->seg_t0 = seg->t0;
  e->seg_t1 = seg->t1;
  const int bit = KLONOS_SYNTH_STATE_BIT(seg->state);
  e->jerks_on = seg->n1 > seg->n0 && !seg->is_change && (h->p.jerk_states_mask & bit) != 0;
  e->tremor_on = seg->n1 > seg->n0 && !seg->is_change && (h->p.tremor_states_mask & bit) != 0;
  e->cl_active = 0;
  schedule_isolated(h, seg->t0);
  schedule_cluster_start(h, seg->t0);
  schedule_tremor(h, seg->t0);
}

static int push_jerk(klonos_synth *h, const kl_jerk *j) {
  kl_events *e = &h->ev;
  if (e->n_active == KL_MAX_ACTIVE_JERKS) return kl_synth_fail(h, KLONOS_E_STATE, "internal: too many overlapping jerks");
  e->active[e->n_active++] = *j;
  return KLONOS_OK;
}

/* A jerk's truth is emitted when no later frame touches it, so that it can
 * carry the peak actually rendered. */
static int emit_jerk(klonos_synth *h, const kl_jerk *j) {
  klonos_synth_truth it;
  kl_truth_item_init(&it, KLONOS_SYNTH_TRUTH_JERK, j->state, j->onset, j->onset + j->dur);
  it.detail = j->shape;
  it.parent_id = j->cluster;
  it.peak_s = j->onset + kl_jerk_shape_peak_tau(j->shape) * j->dur;
  it.amplitude_mps2 = j->amp;
  it.sampled_peak_mps2 = j->sampled_peak;
  for (int k = 0; k < 3; k++) it.direction[k] = j->dir[k];
  return kl_truth_add(&h->truth, &it);
}

static int close_cluster(klonos_synth *h) {
  kl_events *e = &h->ev;
  e->cl_active = 0;
  klonos_synth_truth it;
  kl_truth_item_init(&it, KLONOS_SYNTH_TRUTH_CLUSTER, e->seg_state, e->cl_start, e->cl_end);
  it.id = e->cl_id;
  it.count = e->cl_count;
  schedule_cluster_start(h, e->cl_end);
  return kl_truth_add(&h->truth, &it);
}

static void open_cluster(klonos_synth *h) {
  kl_events *e = &h->ev;
  const double start = e->cl_next_start;
  e->cl_next_start = INFINITY;
  draw_jerk(h, &e->cluster_rng, start, e->cl_next_id, &e->cl_jerk);
  const int size = kl_rng_int(&e->cluster_rng, h->p.cluster_size_min, h->p.cluster_size_max);
  if (e->cl_jerk.onset + e->cl_jerk.dur > seg_limit(h)) return; /* not even one jerk fits: no cluster */
  e->cl_active = 1;
  e->cl_id = e->cl_next_id++;
  e->cl_left = size;
  e->cl_count = 0;
  e->cl_start = start;
  e->cl_end = start;
}

/* Activate the cluster's pending jerk and draw the next one. */
static int step_cluster(klonos_synth *h) {
  kl_events *e = &h->ev;
  int rc = push_jerk(h, &e->cl_jerk);
  if (rc) return rc;
  e->cl_count++;
  e->cl_end = e->cl_jerk.onset + e->cl_jerk.dur;
  e->cl_left--;
  if (e->cl_left > 0) {
    const double onset = e->cl_jerk.onset + kl_rng_range(&e->cluster_rng, h->p.cluster_gap_min_s, h->p.cluster_gap_max_s);
    draw_jerk(h, &e->cluster_rng, onset, e->cl_id, &e->cl_jerk);
    if (e->cl_jerk.onset + e->cl_jerk.dur > seg_limit(h)) e->cl_left = 0; /* the bout ends: the cluster stops */
  }
  if (e->cl_left == 0) return close_cluster(h);
  return KLONOS_OK;
}

static int activate(klonos_synth *h, double t_last) {
  kl_events *e = &h->ev;
  for (;;) {
    /* The earliest pending start among the processes (ties: listed order). */
    double best = INFINITY;
    int which = -1;
    if (e->iso_ready && e->iso.onset < best) { best = e->iso.onset; which = 0; }
    const double cl_t = e->cl_active ? e->cl_jerk.onset : e->cl_next_start;
    if (cl_t < best) { best = cl_t; which = 1; }
    if (e->tr_ready && e->tr_next.t0 < best) { best = e->tr_next.t0; which = 2; }
    if (which < 0 || !(best < t_last)) return KLONOS_OK;
    int rc = KLONOS_OK;
    if (which == 0) {
      rc = push_jerk(h, &e->iso);
      if (rc == KLONOS_OK) schedule_isolated(h, e->iso.onset + e->iso.dur + h->p.jerk_min_gap_s);
    } else if (which == 1) {
      if (e->cl_active) rc = step_cluster(h);
      else open_cluster(h);
    } else {
      if (e->n_tr == 4) return kl_synth_fail(h, KLONOS_E_STATE, "internal: too many tremor episodes at once");
      const kl_tremor *tr = &e->tr_active[e->n_tr++];
      e->tr_active[e->n_tr - 1] = e->tr_next;
      klonos_synth_truth it;
      kl_truth_item_init(&it, KLONOS_SYNTH_TRUTH_TREMOR, tr->state, tr->t0, tr->t1);
      it.amplitude_mps2 = tr->amp;
      it.freq_hz = tr->freq;
      for (int k = 0; k < 3; k++) it.direction[k] = tr->dir[k];
      rc = kl_truth_add(&h->truth, &it);
      /* Draw the next episode now: it may start within this very block. */
      if (rc == KLONOS_OK) schedule_tremor(h, tr->t1);
    }
    if (rc) return rc;
  }
}

static void add_jerk(klonos_synth *h, kl_jerk *j, int64_t n0, int count) {
  const double dtau = h->dt / j->dur;
  const int gyro = h->cfg.channels == 6;
  for (int i = 0; i < count; i++) {
    const double tau = ((double)(n0 + i) / h->fs - j->onset) / j->dur;
    if (tau <= 0.0 || tau - dtau >= 1.0) continue;
    const double v = j->amp * kl_jerk_shape_avg(j->shape, tau, dtau);
    if (fabs(v) > j->sampled_peak) j->sampled_peak = fabs(v);
    for (int k = 0; k < 3; k++) h->acc[k][i] += v * j->dir[k];
    if (gyro) {
      const double w = j->gyro_peak * kl_jerk_shape_avg(KLONOS_SYNTH_JERK_MONOPHASIC, tau, dtau);
      for (int k = 0; k < 3; k++) h->gyr[k][i] += w * j->axis[k];
    }
  }
}

static void add_tremor(klonos_synth *h, kl_tremor *tr, int64_t n0, int count) {
  for (int i = 0; i < count; i++) {
    const int64_t n = n0 + i;
    const double t = (double)n / h->fs;
    if (t < tr->t0 || t > tr->t1) continue;
    if (tr->n == n - 1 && tr->n >= 0) {
      const double r = tr->zr * tr->wr - tr->zi * tr->wi;
      tr->zi = tr->zr * tr->wi + tr->zi * tr->wr;
      tr->zr = r;
    } else {
      const double ph = 2.0 * KL_PI * tr->freq * (t - tr->t0);
      tr->zr = cos(ph);
      tr->zi = sin(ph);
      tr->wr = cos(2.0 * KL_PI * tr->freq / h->fs);
      tr->wi = sin(2.0 * KL_PI * tr->freq / h->fs);
    }
    tr->n = n;
    const double env = kl_smoothstep((t - tr->t0) / tr->ramp) * kl_smoothstep((tr->t1 - t) / tr->ramp);
    const double a = tr->amp * env * tr->zi;
    for (int k = 0; k < 3; k++) h->acc[k][i] += a * tr->dir[k];
    const double w = -tr->gyro_amp * env * tr->zr;
    for (int k = 0; k < 3; k++) h->gyr[k][i] += w * tr->axis[k];
  }
}

int kl_events_add(klonos_synth *h, int64_t n, int count) {
  kl_events *e = &h->ev;
  const double t_last = (double)(n + count - 1) / h->fs;
  int rc = activate(h, t_last);
  if (rc) return rc;
  for (int j = 0; j < e->n_active; j++) add_jerk(h, &e->active[j], n, count);
  for (int j = 0; j < e->n_tr; j++) add_tremor(h, &e->tr_active[j], n, count);
  /* Retire what no later frame touches (frame n averages over [t_n - dt, t_n]). */
  const double t_next = (double)(n + count) / h->fs;
  int kept = 0;
  for (int j = 0; j < e->n_active; j++) {
    if (t_next - h->dt < e->active[j].onset + e->active[j].dur) e->active[kept++] = e->active[j];
    else if ((rc = emit_jerk(h, &e->active[j]))) return rc;
  }
  e->n_active = kept;
  kept = 0;
  for (int j = 0; j < e->n_tr; j++)
    if (!(t_next > e->tr_active[j].t1)) e->tr_active[kept++] = e->tr_active[j];
  e->n_tr = kept;
  return KLONOS_OK;
}

int kl_events_end_segment(klonos_synth *h) {
  kl_events *e = &h->ev;
  int rc = KLONOS_OK;
  if (e->cl_active) rc = close_cluster(h); /* defensive: clusters close themselves before the bout ends */
  e->iso_ready = 0;
  e->tr_ready = 0;
  e->n_tr = 0;
  e->cl_next_start = INFINITY;
  e->jerks_on = e->tremor_on = 0;
  return rc;
}

int kl_events_finish(klonos_synth *h) {
  kl_events *e = &h->ev;
  for (int j = 0; j < e->n_active; j++) {
    int rc = emit_jerk(h, &e->active[j]);
    if (rc) return rc;
  }
  e->n_active = 0;
  return KLONOS_OK;
}
