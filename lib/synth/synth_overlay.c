/* Near-falls and play movements, laid over the bouts like the jerks
 * (docs/falls.md). Each process draws from its own random stream, one event
 * ahead, only inside bouts whose state allows it, and never across a bout
 * boundary. Both are off (no draws at all) unless their rate is set, so the
 * other scenarios are unchanged.
 *
 * Near-fall (standing, walking): a trip or slip tilts the trunk 10-30 deg
 * (forward 50%, backward 30%, sideways 20%) within 0.25-0.45 s; the body
 * is unloaded for a moment (it starts to sag), then a recovery step lands
 * (a 40-80 ms raised-cosine loading pulse of 0.5-1.4 g, mostly vertical, braking
 * the trip), a second, smaller step follows 0.25-0.4 s later, the trunk
 * rises back to its height and returns upright over 0.5-1 s. The vertical
 * momentum balances (the steps stop the sag) and the height comes back: no
 * posture change, the bout goes on. Weiss et al. 2010 (BMC Res
 * Notes 3:62) detected such treadmill near-falls from the pelvis
 * acceleration derivative.
 *
 * Play (sitting, standing), assumption: bouncing (1.5-3 Hz, 1-4 m/s^2, 1-6
 * s), leaning or reaching (a 10-40 deg trunk excursion over 1-3 s) and bumps
 * (a little hop on the bottom: push-off, flight, a 50-120 ms landing jolt
 * of 0.4-1.2 g; the height comes back). After a
 * fast intentional sit, play starts within about a second 70% of the time;
 * after a fall the bout starts still (no overlays during its still period). */
#include <math.h>
#include <string.h>

#include "synth_priv.h"

enum { OV_NEAR_FALL = 1, OV_BOUNCE = 2, OV_LEAN = 3, OV_BUMP = 4 };
#define OV_MAX 4

void kl_fx_init(kl_fx *x, uint64_t seed) {
  memset(x, 0, sizeof *x);
  kl_rng_seed(&x->near_rng, seed, KL_STREAM_NEAR_FALL);
  kl_rng_seed(&x->play_rng, seed, KL_STREAM_PLAY);
}

static double fx_limit(const klonos_synth *h) {
  const double last = (double)(h->seg.n1 - 1) / h->fs;
  return last < h->fx.seg_t1 ? last : h->fx.seg_t1;
}

static int near_allowed(const klonos_synth *h, int state) {
  return h->p.near_fall_rate_per_hour > 0.0 &&
         (state == KLONOS_SYNTH_STATE_STANDING || state == KLONOS_SYNTH_STATE_WALKING);
}
static int play_allowed(const klonos_synth *h, int state) {
  return h->p.play_rate_per_min > 0.0 && (state == KLONOS_SYNTH_STATE_STANDING || state == KLONOS_SYNTH_STATE_SITTING);
}

static void normalize3(double v[3]) {
  const double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  for (int k = 0; k < 3; k++) v[k] /= n;
}

static void schedule_near(klonos_synth *h, double after) {
  kl_fx *x = &h->fx;
  kl_rng *r = &x->near_rng;
  kl_overlay *o = &x->nf_next;
  x->nf_ready = 0;
  if (!near_allowed(h, x->state)) return;
  memset(o, 0, sizeof *o);
  o->kind = OV_NEAR_FALL;
  o->state = x->state;
  o->t0 = after + kl_rng_exponential(r, 3600.0 / h->p.near_fall_rate_per_hour);
  const double u = kl_rng_uniform(r);
  if (u < 0.5) o->tilt_dir[0] = 1.0;        /* trip: forward */
  else if (u < 0.8) o->tilt_dir[0] = -1.0;  /* slip: backward */
  else o->tilt_dir[1] = kl_rng_uniform(r) < 0.5 ? 1.0 : -1.0;
  o->tilt = kl_rng_range(r, 10.0, 30.0) * KL_DEG;
  o->rise_s = kl_rng_range(r, 0.25, 0.45);
  o->rec_s = kl_rng_range(r, 0.5, 1.0);
  o->amp = kl_rng_range(r, 5.0, 14.0);
  o->dur = kl_rng_range(r, 0.04, 0.08);
  o->second = kl_rng_range(r, 0.2, 0.5);
  /* Momentum: the steps stop the sag the trip started (equal areas). */
  const double a1 = 0.5 * o->amp * o->dur, a2 = o->second * a1, v0 = a1 + a2;
  o->dip_s = o->rise_s * kl_rng_range(r, 0.6, 1.0);
  o->dip_k = 2.0 * v0 / (KL_G * o->dip_s);
  if (o->dip_k > 0.8) { /* cannot unload more than that: softer steps */
    const double f = 0.8 / o->dip_k;
    o->dip_k = 0.8;
    o->amp *= f;
  }
  o->t_peak = o->t0 + o->rise_s;
  o->t_second = o->t_peak + kl_rng_range(r, 0.25, 0.4);
  /* Height lost by the end of the second step (closed form: the sin^2 dip
   * lowers k g D^2 / 4 at speed 0 -> -v0; each pulse acts at its centre),
   * then regained by a min-jerk rise. */
  {
    const double A1 = 0.5 * o->amp * o->dur, A2 = o->second * A1, V0 = A1 + A2;
    const double te = o->t_second + o->dur - o->t_peak;
    const double z =
        -o->dip_k * KL_G * o->dip_s * o->dip_s / 4.0 - V0 * te + A1 * (te - 0.5 * o->dur) + A2 * 0.5 * o->dur;
    o->lift_m = -z;
    o->lift_t0 = o->t_second + o->dur;
    o->lift_s = kl_rng_range(r, 0.4, 0.8);
  }
  /* The steps load the trunk upward and brake the trip: along V, against the tilt. */
  o->dir[0] = 1.0;
  o->dir[1] = -0.4 * o->tilt_dir[0] + 0.1 * kl_rng_normal(r);
  o->dir[2] = 0.4 * o->tilt_dir[1] + 0.1 * kl_rng_normal(r); /* pitch + = forward; roll + = right: ML + = left */
  normalize3(o->dir);
  const double end_tilt = o->t_peak + o->rec_s, end_lift = o->lift_t0 + o->lift_s;
  o->t1 = (end_tilt > end_lift ? end_tilt : end_lift) + 0.05;
  if (o->t1 <= fx_limit(h)) x->nf_ready = 1;
}

static void schedule_play(klonos_synth *h, double after, int right_after_sit) {
  kl_fx *x = &h->fx;
  kl_rng *r = &x->play_rng;
  kl_overlay *o = &x->pl_next;
  x->pl_ready = 0;
  if (!play_allowed(h, x->state)) return;
  memset(o, 0, sizeof *o);
  o->state = x->state;
  if (right_after_sit && kl_rng_uniform(r) < 0.7) o->t0 = after + kl_rng_range(r, 0.3, 1.2);
  else o->t0 = after + kl_rng_exponential(r, 60.0 / h->p.play_rate_per_min);
  const double u = kl_rng_uniform(r);
  if (u < 0.35) {
    o->kind = OV_BOUNCE;
    o->freq = kl_rng_range(r, 1.5, 3.0);
    o->amp = kl_rng_range(r, 1.0, 4.0);
    o->t1 = o->t0 + kl_rng_range(r, 1.0, 6.0);
  } else if (u < 0.75) {
    o->kind = OV_LEAN;
    const double ang = kl_rng_range(r, 0.0, 2.0 * KL_PI);
    o->tilt_dir[0] = cos(ang);
    o->tilt_dir[1] = sin(ang);
    o->tilt = kl_rng_range(r, 10.0, 40.0) * KL_DEG;
    o->t1 = o->t0 + kl_rng_range(r, 1.0, 3.0);
  } else {
    /* A little hop on the bottom: push off (sin^2 over dip_s), a flight of
     * rise_s at -dip_k g, the landing pulse: speeds +u, -u, 0, height back. */
    o->kind = OV_BUMP;
    o->amp = kl_rng_range(r, 4.0, 12.0);
    o->dur = kl_rng_range(r, 0.05, 0.12);
    o->dip_s = kl_rng_range(r, 0.1, 0.2);
    o->dip_k = kl_rng_range(r, 0.7, 1.0);
    const double speed = 0.5 * o->amp * o->dur;
    o->rise_s = 2.0 * speed / (o->dip_k * KL_G);
    o->t_peak = o->t0 + o->dip_s + o->rise_s;
    o->dir[0] = 1.0;
    o->dir[1] = 0.3 * kl_rng_normal(r);
    o->dir[2] = 0.3 * kl_rng_normal(r);
    normalize3(o->dir);
    o->t1 = o->t_peak + o->dur;
  }
  if (o->t1 <= fx_limit(h)) x->pl_ready = 1;
}

void kl_fx_begin_segment(klonos_synth *h, const kl_segment *seg) {
  kl_fx *x = &h->fx;
  x->on = 0;
  x->nf_ready = x->pl_ready = 0;
  if (seg->is_change || seg->n1 <= seg->n0) return;
  if (!near_allowed(h, seg->state) && !play_allowed(h, seg->state)) return;
  x->on = 1;
  x->state = seg->state;
  x->seg_t0 = seg->t0;
  x->seg_t1 = seg->t1;
  x->seg_a = seg->a;
  x->seg_m = seg->m;
  x->quiet_until = seg->t0 + seg->still_s;
  schedule_near(h, x->quiet_until);
  schedule_play(h, x->quiet_until, seg->after_sit);
}

/* Trunk excursion (rad, as pitch/roll weights times this) and its rate at time t. */
static void excursion(const kl_overlay *o, double t, double *e, double *ed) {
  *e = *ed = 0.0;
  if (o->kind == OV_LEAN) {
    const double T = o->t1 - o->t0, y = (t - o->t0) / T;
    if (y <= 0.0 || y >= 1.0) return;
    const double s = sin(KL_PI * y);
    *e = o->tilt * s * s;
    *ed = o->tilt * KL_PI * sin(2.0 * KL_PI * y) / T;
  } else if (o->kind == OV_NEAR_FALL) {
    const double x = t - o->t0;
    double s, sd, sdd;
    if (x <= 0.0) return;
    if (x < o->rise_s) {
      kl_minjerk(x / o->rise_s, &s, &sd, &sdd);
      *e = o->tilt * s;
      *ed = o->tilt * sd / o->rise_s;
    } else {
      kl_minjerk((x - o->rise_s) / o->rec_s, &s, &sd, &sdd);
      *e = o->tilt * (1.0 - s);
      *ed = -o->tilt * sd / o->rec_s;
    }
  }
}

/* Add overlay @p o to frames [n0, n0 + count) of the block. */
static void render(klonos_synth *h, kl_overlay *o, int64_t n0, int count) {
  const double dt = h->dt;
  const double a0 = h->fx.seg_a, m0 = h->fx.seg_m;
  const double u0[3] = {cos(a0) * cos(m0), -sin(a0), cos(a0) * sin(m0)};
  for (int i = 0; i < count; i++) {
    const double t = (double)(n0 + i) / h->fs;
    if (t <= o->t0 || t - dt >= o->t1) continue;
    double add[3] = {0.0, 0.0, 0.0};
    double e, ed;
    excursion(o, t, &e, &ed);
    if (e != 0.0 || ed != 0.0) {
      /* Gravity seen from the tilted trunk, minus what the bout already adds. */
      const double a = a0 + o->tilt_dir[0] * e, m = m0 + o->tilt_dir[1] * e;
      const double u[3] = {cos(a) * cos(m), -sin(a), cos(a) * sin(m)};
      for (int k = 0; k < 3; k++) add[k] += KL_G * (u[k] - u0[k]);
      const double ad = o->tilt_dir[0] * ed, md = o->tilt_dir[1] * ed;
      h->gyr[0][i] += -ad * sin(m);
      h->gyr[1][i] += md;
      h->gyr[2][i] += ad * cos(m);
    }
    if (o->kind == OV_NEAR_FALL) {
      const double xd = t - (o->t_peak - o->dip_s);
      if (xd > 0.0 && xd < o->dip_s) {
        const double s = sin(KL_PI * xd / o->dip_s);
        add[0] -= o->dip_k * KL_G * s * s;
      }
      const double p1 = kl_jerk_shape_avg(KLONOS_SYNTH_JERK_MONOPHASIC, (t - o->t_peak) / o->dur, dt / o->dur);
      const double p2 = kl_jerk_shape_avg(KLONOS_SYNTH_JERK_MONOPHASIC, (t - o->t_second) / o->dur, dt / o->dur);
      /* The pulses' vertical share carries the momentum; the rest brakes the trip. */
      const double v = o->amp * (p1 + o->second * p2) / o->dir[0];
      for (int k = 0; k < 3; k++) add[k] += v * o->dir[k];
      const double xl = (t - o->lift_t0) / o->lift_s;
      if (xl > 0.0 && xl < 1.0) {
        double s, sd, sdd;
        kl_minjerk(xl, &s, &sd, &sdd);
        add[0] += o->lift_m * sdd / (o->lift_s * o->lift_s);
      }
    } else if (o->kind == OV_BOUNCE) {
      const double T = o->t1 - o->t0, y = (t - o->t0) / T;
      if (y > 0.0 && y < 1.0) {
        const double s = sin(KL_PI * y);
        add[0] += o->amp * s * s * sin(2.0 * KL_PI * o->freq * (t - o->t0));
      }
    } else if (o->kind == OV_BUMP) {
      const double u = 0.5 * o->amp * o->dur, x = t - o->t0;
      if (x > 0.0 && x < o->dip_s) {
        const double s = sin(KL_PI * x / o->dip_s);
        add[0] += 2.0 * u / o->dip_s * s * s; /* push off: area u */
      } else if (x >= o->dip_s && x < o->dip_s + o->rise_s) {
        add[0] -= o->dip_k * KL_G; /* flight */
      }
      const double v = o->amp * kl_jerk_shape_avg(KLONOS_SYNTH_JERK_MONOPHASIC, (t - o->t_peak) / o->dur, dt / o->dur);
      for (int k = 0; k < 3; k++) add[k] += v / o->dir[0] * o->dir[k];
    }
    for (int k = 0; k < 3; k++) h->acc[k][i] += add[k];
    const double mag = sqrt(h->acc[0][i] * h->acc[0][i] + h->acc[1][i] * h->acc[1][i] + h->acc[2][i] * h->acc[2][i]);
    if (mag > o->peak_seen) o->peak_seen = mag;
  }
}

static int emit(klonos_synth *h, const kl_overlay *o) {
  if (o->kind != OV_NEAR_FALL) return KLONOS_OK; /* play has no truth items */
  klonos_synth_truth it;
  kl_truth_item_init(&it, KLONOS_SYNTH_TRUTH_NEAR_FALL, o->state, o->t0, o->t1);
  it.peak_s = o->t_peak + 0.5 * o->dur;
  it.amplitude_mps2 = o->amp;
  it.sampled_peak_mps2 = o->peak_seen;
  it.direction[1] = o->tilt_dir[0];
  it.direction[2] = -o->tilt_dir[1]; /* roll + = toward the right, ML + = left */
  return kl_truth_add(&h->truth, &it);
}

static int push(klonos_synth *h, const kl_overlay *o) {
  kl_fx *x = &h->fx;
  if (x->n_active == OV_MAX) return kl_synth_fail(h, KLONOS_E_STATE, "internal: too many overlapping near-falls/play");
  x->active[x->n_active++] = *o;
  return KLONOS_OK;
}

int kl_fx_add(klonos_synth *h, int64_t n, int count) {
  kl_fx *x = &h->fx;
  const double t_last = (double)(n + count - 1) / h->fs;
  int rc;
  /* Activate in time order across the two processes (ties: near-fall first). */
  for (;;) {
    const double tn = x->nf_ready ? x->nf_next.t0 : INFINITY, tp = x->pl_ready ? x->pl_next.t0 : INFINITY;
    if (!(tn < t_last) && !(tp < t_last)) break;
    if (tn <= tp) {
      if ((rc = push(h, &x->nf_next))) return rc;
      schedule_near(h, x->nf_next.t1 + 0.5);
    } else {
      if ((rc = push(h, &x->pl_next))) return rc;
      schedule_play(h, x->pl_next.t1 + 0.2, 0);
    }
  }
  for (int j = 0; j < x->n_active; j++) render(h, &x->active[j], n, count);
  const double t_next = (double)(n + count) / h->fs;
  int kept = 0;
  for (int j = 0; j < x->n_active; j++) {
    if (t_next - h->dt < x->active[j].t1) x->active[kept++] = x->active[j];
    else if ((rc = emit(h, &x->active[j]))) return rc;
  }
  x->n_active = kept;
  return KLONOS_OK;
}

int kl_fx_end_segment(klonos_synth *h) {
  kl_fx *x = &h->fx;
  for (int j = 0; j < x->n_active; j++) { /* defensive: overlays end inside their bout */
    int rc = emit(h, &x->active[j]);
    if (rc) return rc;
  }
  x->n_active = 0;
  x->on = 0;
  x->nf_ready = x->pl_ready = 0;
  return KLONOS_OK;
}
