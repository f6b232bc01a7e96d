/* The falls scenario: toddler-like play with falls and fast intentional
 * sits (docs/falls.md describes the model and where its numbers come from).
 *
 * Timeline. Bouts of standing, walking, sitting and lying follow a chain of
 * their own; on top of each upright bout run competing hazards: a fall
 * (fall_rate_per_hour of upright time) and, from standing, a fast
 * intentional sit (fast_sit_rate_per_hour); a sitting toddler may topple
 * over (a fifth of the fall rate, per hour of sitting). Whichever comes
 * first ends the bout. Adolph et al. 2012 (Psychol Sci 23:1387) counted 17
 * falls per hour of free play in 12-19-month-olds, in short walking bouts.
 *
 * Kinematics of a fall (world frame: up, forward, left; the sensor sees
 * the specific force f = R^T (g up + a)):
 *  1. loss of balance (0.1-0.4 s): a slight unloading, the trunk starts to
 *     rotate toward the fall;
 *  2. uncontrolled drop: the trunk accelerates downward at k g (k 0.35-0.95,
 *     ramped in over 60 ms) over the height it loses (0.25-0.45 m from
 *     standing, 0.05-0.15 m when toppling from sitting), while
 *     the trunk rotation accelerates like an inverted pendulum (angle ~
 *     time^p, p 2-3), reaching the final posture at contact;
 *  3. impact: a raised-cosine deceleration pulse of duration D whose area
 *     equals the impact speed (momentum: the body stops), so its peak is
 *     2 v / D, followed by a zero-area rebound; horizontal speed is
 *     stopped the same way;
 *  4. the next bout starts with a still period (2-8 s).
 * A fast intentional sit is a controlled minimum-jerk squat (trunk flexing
 * forward then back upright) followed by a short drop onto the buttocks and
 * a softer, slower impact (the speed comes from a drop of a few cm only).
 * The impact pulse is averaged over each sampling interval like the jerks
 * (kl_jerk_shape_avg), so it is not aliased at low rates. */
#include <math.h>
#include <string.h>

#include "synth_priv.h"

#define DROP_RAMP_S 0.06
#define TOPPLE_SHARE 0.2 /* toppling from sitting: this x fall_rate_per_hour, per hour of sitting */

void kl_falls_timeline_init(kl_timeline *tl, uint64_t seed) { kl_rng_seed(&tl->falls_rng, seed, KL_STREAM_FALLS); }

static double hazard_time(kl_rng *r, double rate_per_hour) {
  if (!(rate_per_hour > 0.0)) return INFINITY;
  return kl_rng_exponential(r, 3600.0 / rate_per_hour);
}

/* Direction of the fall: world (forward, left) unit vector. */
static void pick_direction(kl_rng *r, int type, double d[2]) {
  const double u = kl_rng_uniform(r);
  double pf, pb, pl; /* forward, backward, left; right = the rest */
  if (type == KLONOS_SYNTH_FALL_TO_SITTING) { pf = 0.0; pb = 0.7; pl = 0.15; }
  else if (type == KLONOS_SYNTH_FALL_TO_LYING) { pf = 0.4; pb = 0.3; pl = 0.15; }
  else { pf = 0.0; pb = 0.4; pl = 0.3; } /* topple */
  d[0] = d[1] = 0.0;
  if (u < pf) d[0] = 1.0;
  else if (u < pf + pb) d[0] = -1.0;
  else if (u < pf + pb + pl) d[1] = 1.0;
  else d[1] = -1.0;
}

static void draw_fall(kl_rng *r, int type, kl_fallmotion *fm) {
  memset(fm, 0, sizeof *fm);
  fm->kind = KL_FM_FALL;
  fm->type = type;
  pick_direction(r, type, fm->dir_h);
  const int topple = type == KLONOS_SYNTH_FALL_TOPPLE;
  fm->lob_s = kl_rng_range(r, 0.1, 0.4);
  fm->lob_k = kl_rng_range(r, 0.05, 0.2);
  /* Height the lower back loses: a toddler's pelvis is ~0.3-0.45 m above
   * the floor standing and ~0.05 m sitting or lying (assumption from body
   * proportions); toppling from sitting pivots near the sensor. The drop is
   * braked (k < 1: hands, knees, a partial step), so the speed at contact
   * is sqrt(v_lob^2 + 2 k g H). */
  const double H = topple ? kl_rng_range(r, 0.05, 0.15) : kl_rng_range(r, 0.25, 0.45);
  fm->k_ff = topple ? kl_rng_range(r, 0.3, 0.8) : kl_rng_range(r, 0.35, 0.95);
  const double v_lob = 0.5 * fm->lob_k * KL_G * fm->lob_s; /* the sin^2 unloading has mean 1/2 */
  fm->v_impact = sqrt(v_lob * v_lob + 2.0 * fm->k_ff * KL_G * H);
  fm->impact_s = topple ? kl_rng_range(r, 0.08, 0.16) : kl_rng_range(r, 0.07, 0.15);
  fm->v_horiz = topple ? kl_rng_range(r, 0.1, 0.3) : kl_rng_range(r, 0.2, 0.8);
  fm->bounce = kl_rng_range(r, 0.1, 0.3);
  fm->rot_p = kl_rng_range(r, 2.0, 3.0);
  fm->ramp_s = DROP_RAMP_S;
  fm->t_drop = fm->lob_s;
  fm->t_impact = fm->t_drop + (fm->v_impact - v_lob) / (fm->k_ff * KL_G) + 0.5 * fm->ramp_s;
  fm->settle_s = kl_rng_range(r, 0.3, 0.5);
}

static void draw_fast_sit(kl_rng *r, kl_fallmotion *fm) {
  memset(fm, 0, sizeof *fm);
  fm->kind = KL_FM_FAST_SIT;
  fm->dir_h[0] = -1.0; /* the buttocks land slightly behind the feet */
  fm->squat_s = kl_rng_range(r, 0.4, 0.9);
  fm->squat_m = kl_rng_range(r, 0.12, 0.25);
  fm->a_flex = kl_rng_range(r, 15.0, 35.0) * KL_DEG;
  fm->v_impact = kl_rng_range(r, 0.3, 1.05);
  fm->k_ff = kl_rng_range(r, 0.6, 1.0);
  fm->impact_s = kl_rng_range(r, 0.10, 0.20);
  fm->v_horiz = kl_rng_range(r, 0.0, 0.2);
  fm->bounce = kl_rng_range(r, 0.05, 0.2);
  fm->ramp_s = DROP_RAMP_S;
  fm->t_drop = fm->squat_s;
  fm->t_impact = fm->t_drop + fm->v_impact / (fm->k_ff * KL_G) + 0.5 * fm->ramp_s;
  fm->settle_s = kl_rng_range(r, 0.2, 0.4);
}

int kl_falls_bout_end(kl_timeline *tl, const klonos_synth *h, kl_segment *b) {
  const klonos_synth_params *p = &h->p;
  kl_rng *r = &tl->falls_rng;
  const int after = b->still_s > 0.0;
  double dwell, t_fall = INFINITY, t_sit = INFINITY;
  switch (b->state) {
    case KLONOS_SYNTH_STATE_STANDING:
      dwell = kl_rng_log_uniform(&tl->rng, 3.0, 30.0);
      t_fall = hazard_time(r, p->fall_rate_per_hour);
      t_sit = hazard_time(r, p->fast_sit_rate_per_hour);
      break;
    case KLONOS_SYNTH_STATE_WALKING:
      dwell = kl_rng_log_uniform(&tl->rng, 3.0, 30.0);
      t_fall = hazard_time(r, p->fall_rate_per_hour);
      break;
    case KLONOS_SYNTH_STATE_SITTING:
      dwell = after ? kl_rng_range(&tl->rng, 3.0, 40.0) : kl_rng_log_uniform(&tl->rng, 5.0, 90.0);
      t_fall = hazard_time(r, TOPPLE_SHARE * p->fall_rate_per_hour);
      break;
    default: /* lying */
      dwell = after ? kl_rng_range(&tl->rng, 3.0, 30.0) : kl_rng_log_uniform(&tl->rng, 5.0, 60.0);
      break;
  }
  /* A bout lasts at least a second before anything ends it. */
  if (t_fall < 1.0) t_fall = 1.0 + t_fall;
  if (t_sit < 1.0) t_sit = 1.0 + t_sit;
  memset(&b->fm, 0, sizeof b->fm);
  if (t_fall < dwell && t_fall <= t_sit) {
    b->t1 = b->t0 + t_fall;
    int type = KLONOS_SYNTH_FALL_TOPPLE;
    if (b->state != KLONOS_SYNTH_STATE_SITTING)
      type = kl_rng_uniform(r) < p->fall_to_lying_fraction ? KLONOS_SYNTH_FALL_TO_LYING : KLONOS_SYNTH_FALL_TO_SITTING;
    draw_fall(r, type, &b->fm);
    return type == KLONOS_SYNTH_FALL_TO_SITTING ? KLONOS_SYNTH_STATE_SITTING : KLONOS_SYNTH_STATE_LYING;
  }
  if (t_sit < dwell) {
    b->t1 = b->t0 + t_sit;
    draw_fast_sit(r, &b->fm);
    return KLONOS_SYNTH_STATE_SITTING;
  }
  b->t1 = b->t0 + dwell;
  return -1;
}

/* Posture of the bout that follows a fall: the trunk ends where the fall
 * took it. Sets the bout's angles (and lying side). */
void kl_falls_landing_posture(kl_timeline *tl, const kl_fallmotion *fm, kl_segment *to) {
  kl_rng *r = &tl->falls_rng;
  if (fm->kind == KL_FM_FAST_SIT) {
    to->after_sit = 1;
    return; /* the ordinary sitting posture */
  }
  to->still_s = kl_rng_range(r, 2.0, 8.0);
  const double j = 5.0 * KL_DEG;
  if (fm->type == KLONOS_SYNTH_FALL_TO_SITTING) {
    /* Half of them end leaning back (on the hands), half upright. */
    if (kl_rng_uniform(r) < 0.5) to->a = -kl_rng_range(r, 15.0, 40.0) * KL_DEG;
    if (fm->dir_h[1] != 0.0) to->m = -fm->dir_h[1] * kl_rng_range(r, 5.0, 20.0) * KL_DEG;
    return;
  }
  double a = 0.0, m = 0.0;
  if (fm->dir_h[0] > 0.0) { a = 90.0; to->detail = KLONOS_SYNTH_LYING_PRONE; }
  else if (fm->dir_h[0] < 0.0) { a = -90.0; to->detail = KLONOS_SYNTH_LYING_SUPINE; }
  else if (fm->dir_h[1] > 0.0) { m = -90.0; to->detail = KLONOS_SYNTH_LYING_LEFT; }
  else { m = 90.0; to->detail = KLONOS_SYNTH_LYING_RIGHT; }
  to->a = a * KL_DEG + kl_rng_range(r, -j, j);
  to->m = m * KL_DEG + kl_rng_range(r, -j, j);
}

void kl_falls_make_change(const kl_segment *from, const kl_segment *to, double t0, kl_segment *c) {
  memset(c, 0, sizeof *c);
  c->state = KLONOS_SYNTH_STATE_OTHER;
  c->is_change = 1;
  c->next_state = -1;
  c->from_state = from->state;
  c->to_state = to->state;
  c->fm = from->fm;
  kl_fallmotion *fm = &c->fm;
  fm->a0 = from->a;
  fm->m0 = from->m;
  fm->a1 = to->a;
  fm->m1 = to->m;
  fm->peak_seen = 0.0;
  c->a = to->a;
  c->m = to->m;
  c->t0 = t0;
  c->t1 = t0 + kl_falls_duration(fm);
}

double kl_falls_duration(const kl_fallmotion *fm) {
  return fm->t_impact + 1.5 * fm->impact_s + fm->settle_s;
}

/* ---- kinematics ---- */

/* Trunk angles and their rates at x seconds into the motion. */
static void angles(const kl_fallmotion *fm, double x, double *a, double *m, double *ad, double *md) {
  const double da = fm->a1 - fm->a0, dm = fm->m1 - fm->m0;
  if (fm->kind == KL_FM_FAST_SIT) {
    /* Min-jerk flexion to a_flex by mid-squat, then back to the end posture at contact. */
    const double tm = 0.5 * fm->squat_s;
    double s, sd, sdd;
    if (x < tm) {
      kl_minjerk(x / tm, &s, &sd, &sdd);
      *a = fm->a0 + (fm->a_flex - fm->a0) * s;
      *ad = (fm->a_flex - fm->a0) * sd / tm;
      *m = fm->m0;
      *md = 0.0;
    } else {
      const double span = fm->t_impact - tm;
      kl_minjerk((x - tm) / span, &s, &sd, &sdd);
      *a = fm->a_flex + (fm->a1 - fm->a_flex) * s;
      *ad = (fm->a1 - fm->a_flex) * sd / span;
      *m = fm->m0 + dm * s;
      *md = dm * sd / span;
    }
    return;
  }
  /* Fall: 10% of the rotation while balance is lost, the rest accelerating to contact. */
  double q, qd;
  if (x <= 0.0) { q = 0.0; qd = 0.0; }
  else if (x < fm->t_drop) {
    double s, sd, sdd;
    kl_minjerk(x / fm->t_drop, &s, &sd, &sdd);
    q = 0.1 * s;
    qd = 0.1 * sd / fm->t_drop;
  } else if (x < fm->t_impact) {
    const double T = fm->t_impact - fm->t_drop, y = (x - fm->t_drop) / T;
    q = 0.1 + 0.9 * pow(y, fm->rot_p);
    qd = 0.9 * fm->rot_p * pow(y, fm->rot_p - 1.0) / T;
  } else { q = 1.0; qd = 0.0; }
  *a = fm->a0 + da * q;
  *m = fm->m0 + dm * q;
  *ad = da * qd;
  *md = dm * qd;
}

/* World-frame linear acceleration: up, forward, left (m/s^2), averaged over
 * [x - dt, x] for the impact pulses. */
static void linear(const kl_fallmotion *fm, double x, double dt, double acc[3]) {
  double up = 0.0, h = 0.0;
  if (fm->kind == KL_FM_FAST_SIT && x > 0.0 && x < fm->squat_s) {
    double s, sd, sdd;
    kl_minjerk(x / fm->squat_s, &s, &sd, &sdd);
    up -= fm->squat_m * sdd / (fm->squat_s * fm->squat_s);
  }
  if (fm->kind == KL_FM_FALL && x > 0.0 && x < fm->t_drop) {
    const double sn = sin(KL_PI * x / fm->t_drop);
    up -= fm->lob_k * KL_G * sn * sn;
  }
  const double T_ff = fm->t_impact - fm->t_drop;
  if (x > fm->t_drop && x < fm->t_impact) {
    up -= fm->k_ff * KL_G * kl_smoothstep((x - fm->t_drop) / fm->ramp_s);
    h += fm->v_horiz / T_ff;
  }
  /* Impact: the pulse's area is the speed at contact; then a zero-area rebound. */
  const double D = fm->impact_s, tau = (x - fm->t_impact) / D, dtau = dt / D;
  const double pulse = kl_jerk_shape_avg(KLONOS_SYNTH_JERK_MONOPHASIC, tau, dtau);
  const double half = 0.5 * D;
  const double rebound = kl_jerk_shape_avg(KLONOS_SYNTH_JERK_BIPHASIC, (x - fm->t_impact - D) / half, dt / half);
  const double A = 2.0 * fm->v_impact / D;
  up += A * (pulse + fm->bounce * rebound);
  h -= 2.0 * fm->v_horiz / D * pulse;
  acc[0] = up;
  acc[1] = h * fm->dir_h[0];
  acc[2] = h * fm->dir_h[1];
}

double kl_falls_impact_peak(const kl_fallmotion *fm) { return 2.0 * fm->v_impact / fm->impact_s; }

void kl_falls_kinematics(const kl_segment *s, double t, double dt, double f[3], double w[3]) {
  const kl_fallmotion *fm = &s->fm;
  const double x = t - s->t0;
  double a, m, ad, md, acc[3];
  angles(fm, x, &a, &m, &ad, &md);
  linear(fm, x, dt, acc);
  const double ca = cos(a), sa = sin(a), cm = cos(m), sm = sin(m);
  /* Body coordinates of world up, forward and left (= up x forward). */
  const double u[3] = {ca * cm, -sa, ca * sm}, fw[3] = {sa * cm, ca, sa * sm};
  const double l[3] = {u[1] * fw[2] - u[2] * fw[1], u[2] * fw[0] - u[0] * fw[2], u[0] * fw[1] - u[1] * fw[0]};
  for (int k = 0; k < 3; k++) f[k] = (KL_G + acc[0]) * u[k] + acc[1] * fw[k] + acc[2] * l[k];
  w[0] = -ad * sm;
  w[1] = md;
  w[2] = ad * cm;
}

void kl_falls_truth(const kl_segment *s, klonos_synth_truth *it) {
  const kl_fallmotion *fm = &s->fm;
  const int kind = fm->kind == KL_FM_FALL ? KLONOS_SYNTH_TRUTH_FALL : KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT;
  kl_truth_item_init(it, kind, s->to_state, s->t0, s->t1);
  it->from_state = s->from_state;
  it->detail = fm->kind == KL_FM_FALL ? fm->type : 0;
  it->peak_s = s->t0 + fm->t_impact + 0.5 * fm->impact_s;
  it->amplitude_mps2 = kl_falls_impact_peak(fm);
  it->sampled_peak_mps2 = fm->peak_seen;
  it->pitch_deg = fm->a1 / KL_DEG;
  it->roll_deg = fm->m1 / KL_DEG;
  /* Direction of the fall in the body frame before it (the trunk was upright): forward = +AP, left = +ML. */
  if (fm->kind == KL_FM_FALL) {
    it->direction[1] = fm->dir_h[0];
    it->direction[2] = fm->dir_h[1];
  } else {
    it->direction[0] = -1.0;
  }
}
