/* The timeline: which state the wearer is in, bout by bout, and the posture
 * changes between bouts. Generated lazily, one segment at a time, so memory
 * does not depend on the duration.
 *
 * Trunk orientation is a pitch a (rotation about ML, + = forward lean) then a
 * roll m (about the pitched AP axis, + = toward the right). World-up seen in
 * the body frame (V, AP, ML) is then
 *     u(a, m) = (cos a cos m, -sin a, cos a sin m)
 * so standing upright reads +g on V, lying supine (a = -90 deg) +g on AP, and
 * lying on the left side (m = -90 deg) -g on ML.
 *
 * Posture changes follow minimum-jerk trajectories (Flash & Hogan 1985) of
 * the trunk angles between keyframes, plus a minimum-jerk world-vertical
 * displacement of the trunk (rising / lowering) and, for sit-to-stand and
 * stand-to-sit, a forward/backward one with the forward trunk flexion that
 * precedes seat-off (Schenkman 1990; assumption for the numbers). */
#include <math.h>
#include <string.h>

#include "synth_priv.h"

#define CHANGE_MAX_S 4.0 /* longest posture change: bouts ending closer than this to the end run to the end */

void kl_minjerk(double x, double *s, double *sd, double *sdd) {
  if (x <= 0.0) { *s = 0.0; *sd = 0.0; *sdd = 0.0; return; }
  if (x >= 1.0) { *s = 1.0; *sd = 0.0; *sdd = 0.0; return; }
  const double x2 = x * x;
  *s = x2 * x * (10.0 - 15.0 * x + 6.0 * x2);
  *sd = 30.0 * x2 * (1.0 - x) * (1.0 - x);
  *sdd = 60.0 * x * (1.0 - x) * (1.0 - 2.0 * x);
}

double kl_smoothstep(double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  return x * x * x * (10.0 - 15.0 * x + 6.0 * x * x);
}

void kl_timeline_init(kl_timeline *tl, const klonos_synth *h) {
  memset(tl, 0, sizeof *tl);
  kl_rng_seed(&tl->rng, h->cfg.seed, KL_STREAM_TIMELINE);
  kl_rng_seed(&tl->posture_rng, h->cfg.seed, KL_STREAM_POSTURE);
  tl->scenario = h->cfg.scenario;
  tl->total_s = h->cfg.duration_s;
  tl->total_frames = h->total_frames;
  tl->fs = h->fs;
  kl_falls_timeline_init(tl, h->cfg.seed);
}

static int walking_scenario(int sc) { return sc == KLONOS_SYNTH_WALKING || sc == KLONOS_SYNTH_WALKING_JERKS; }

static int initial_state(int sc) {
  if (sc == KLONOS_SYNTH_DAILY) return KLONOS_SYNTH_STATE_SITTING;
  if (sc == KLONOS_SYNTH_NONWEAR) return KLONOS_SYNTH_STATE_NONWEAR;
  return KLONOS_SYNTH_STATE_STANDING;
}

/* How long a bout lasts (s). Daily-life dwell times are assumptions chosen
 * to give a plausible day (documented in docs/synth.md), log-uniform so that
 * short and long bouts both occur. */
static double dwell_s(kl_timeline *tl, int state, int first) {
  if (walking_scenario(tl->scenario)) {
    if (state == KLONOS_SYNTH_STATE_WALKING) return kl_rng_range(&tl->rng, 30.0, 120.0);
    return first ? kl_rng_range(&tl->rng, 3.0, 8.0) : kl_rng_range(&tl->rng, 5.0, 20.0);
  }
  if (tl->scenario != KLONOS_SYNTH_DAILY) return INFINITY; /* one bout for the whole recording */
  switch (state) {
    case KLONOS_SYNTH_STATE_LYING: return kl_rng_log_uniform(&tl->rng, 600.0, 5400.0);
    case KLONOS_SYNTH_STATE_SITTING: return kl_rng_log_uniform(&tl->rng, 120.0, 2400.0);
    case KLONOS_SYNTH_STATE_STANDING: return kl_rng_log_uniform(&tl->rng, 20.0, 300.0);
    case KLONOS_SYNTH_STATE_WALKING: return kl_rng_log_uniform(&tl->rng, 30.0, 480.0);
    default: return kl_rng_log_uniform(&tl->rng, 600.0, 3600.0); /* non-wear */
  }
}

static int next_state(kl_timeline *tl, int cur) {
  if (walking_scenario(tl->scenario))
    return cur == KLONOS_SYNTH_STATE_WALKING ? KLONOS_SYNTH_STATE_STANDING : KLONOS_SYNTH_STATE_WALKING;
  if (tl->scenario == KLONOS_SYNTH_FALLS) {
    /* Toddler play, when no fall or fast sit ended the bout (assumption). */
    const double u = kl_rng_uniform(&tl->rng);
    switch (cur) {
      case KLONOS_SYNTH_STATE_STANDING:
        if (u < 0.75) return KLONOS_SYNTH_STATE_WALKING;
        return u < 0.9 ? KLONOS_SYNTH_STATE_SITTING : KLONOS_SYNTH_STATE_LYING;
      case KLONOS_SYNTH_STATE_WALKING: return KLONOS_SYNTH_STATE_STANDING;
      case KLONOS_SYNTH_STATE_SITTING: return u < 0.85 ? KLONOS_SYNTH_STATE_STANDING : KLONOS_SYNTH_STATE_LYING;
      default: return KLONOS_SYNTH_STATE_SITTING;
    }
  }
  /* Daily: a Markov chain over the bouts (assumption). */
  const double u = kl_rng_uniform(&tl->rng);
  switch (cur) {
    case KLONOS_SYNTH_STATE_SITTING:
      if (u < 0.7) return KLONOS_SYNTH_STATE_STANDING;
      if (u < 0.9) return KLONOS_SYNTH_STATE_LYING;
      return KLONOS_SYNTH_STATE_NONWEAR;
    case KLONOS_SYNTH_STATE_STANDING:
      return u < 0.6 ? KLONOS_SYNTH_STATE_WALKING : KLONOS_SYNTH_STATE_SITTING;
    case KLONOS_SYNTH_STATE_WALKING: return KLONOS_SYNTH_STATE_STANDING;
    default: return KLONOS_SYNTH_STATE_SITTING; /* lying, non-wear */
  }
}

static int needs_change(int from, int to) {
  if (from == to) return 0;
  if ((from == KLONOS_SYNTH_STATE_STANDING && to == KLONOS_SYNTH_STATE_WALKING) ||
      (from == KLONOS_SYNTH_STATE_WALKING && to == KLONOS_SYNTH_STATE_STANDING))
    return 0; /* gait initiation/termination is part of the walking bout */
  return 1;
}

/* Angles of the world-up vector u (body frame): inverse of u(a, m). */
static void angles_of(const double u[3], double *a, double *m) {
  double s = -u[1];
  if (s > 1.0) s = 1.0;
  if (s < -1.0) s = -1.0;
  *a = asin(s);
  *m = (fabs(u[0]) < 1e-12 && fabs(u[2]) < 1e-12) ? 0.0 : atan2(u[2], u[0]);
}

/* Draw a bout of @p state starting at t0: posture angles and duration.
 * @p landing: the fall or fast sit that leads into it (falls scenario), or NULL. */
static void draw_bout(kl_timeline *tl, const klonos_synth *h, int state, double t0, int first, kl_segment *b,
                      const kl_fallmotion *landing) {
  const klonos_synth_params *p = &h->p;
  kl_rng *r = &tl->posture_rng;
  memset(b, 0, sizeof *b);
  b->state = state;
  b->t0 = t0;
  b->from_state = b->to_state = state;
  b->next_state = -1;
  const double j = p->posture_jitter_deg;
  double a_deg = 0.0, m_deg = 0.0;
  switch (state) {
    case KLONOS_SYNTH_STATE_STANDING: a_deg = p->standing_pitch_deg; break;
    case KLONOS_SYNTH_STATE_SITTING: a_deg = p->sitting_pitch_deg; break;
    case KLONOS_SYNTH_STATE_WALKING: a_deg = p->walking_pitch_deg; break;
    case KLONOS_SYNTH_STATE_LYING: {
      const double u = kl_rng_uniform(r);
      if (u < 0.5) { b->detail = KLONOS_SYNTH_LYING_SUPINE; a_deg = -90.0; }
      else if (u < 0.7) { b->detail = KLONOS_SYNTH_LYING_LEFT; m_deg = -90.0; }
      else if (u < 0.9) { b->detail = KLONOS_SYNTH_LYING_RIGHT; m_deg = 90.0; }
      else { b->detail = KLONOS_SYNTH_LYING_PRONE; a_deg = 90.0; }
      break;
    }
    default: break;
  }
  if (state == KLONOS_SYNTH_STATE_NONWEAR) {
    /* Resting on one face of the device, tilted by up to ~4 deg (a table
     * is rarely level with the housing): defined in the SENSOR frame, then
     * expressed in body coordinates through the fixed mounting rotation. */
    double v[3] = {0.0, 0.0, 0.0};
    const int face = kl_rng_int(r, 0, 5);
    v[face / 2] = (face & 1) ? -1.0 : 1.0;
    for (int k = 0; k < 3; k++)
      if (k != face / 2) v[k] = kl_rng_range(r, -0.05, 0.05);
    const double norm = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int k = 0; k < 3; k++) v[k] /= norm;
    for (int k = 0; k < 3; k++) b->u_table[k] = h->rot[0][k] * v[0] + h->rot[1][k] * v[1] + h->rot[2][k] * v[2];
    angles_of(b->u_table, &b->a, &b->m);
  } else {
    b->a = (a_deg + kl_rng_range(r, -j, j)) * KL_DEG;
    b->m = (m_deg + kl_rng_range(r, -j, j)) * KL_DEG;
  }
  double t1;
  if (tl->scenario == KLONOS_SYNTH_FALLS) {
    if (landing) kl_falls_landing_posture(tl, landing, b);
    b->next_state = kl_falls_bout_end(tl, h, b);
    t1 = b->t1;
  } else {
    t1 = t0 + dwell_s(tl, state, first);
  }
  if (!(t1 < tl->total_s - CHANGE_MAX_S - 1.0)) { /* no room for another bout: run to the end */
    t1 = tl->total_s;
    memset(&b->fm, 0, sizeof b->fm);
    b->next_state = -1;
  }
  b->t1 = t1;
}

/* A posture change from bout @p from to bout @p to over [t0, t0 + dur]. */
static void make_change(kl_timeline *tl, const kl_segment *from, const kl_segment *to, double t0, double dur,
                        kl_segment *c) {
  memset(c, 0, sizeof *c);
  c->state = KLONOS_SYNTH_STATE_OTHER;
  c->is_change = 1;
  c->next_state = -1;
  c->from_state = from->state;
  c->to_state = to->state;
  c->t0 = t0;
  c->t1 = t0 + dur;
  c->a = to->a;
  c->m = to->m;
  c->nkeys = 2;
  c->key_tau[0] = 0.0;
  c->key_a[0] = from->a;
  c->key_m[0] = from->m;
  c->key_tau[1] = 1.0;
  c->key_a[1] = to->a;
  c->key_m[1] = to->m;
  const int f = from->state, t = to->state;
  if (f == KLONOS_SYNTH_STATE_SITTING && t == KLONOS_SYNTH_STATE_STANDING) {
    /* Flexion-momentum phase: trunk leans forward ~35 deg before seat-off. */
    c->nkeys = 3;
    c->key_tau[1] = 0.4;
    c->key_a[1] = kl_rng_range(&tl->posture_rng, 30.0, 40.0) * KL_DEG;
    c->key_m[1] = 0.5 * (from->m + to->m);
    c->key_tau[2] = 1.0;
    c->key_a[2] = to->a;
    c->key_m[2] = to->m;
    c->lift_m = 0.45; c->lift_tau0 = 0.3; c->lift_tau1 = 1.0;
    c->fwd_m = 0.15; c->fwd_tau0 = 0.0; c->fwd_tau1 = 0.6;
  } else if (f == KLONOS_SYNTH_STATE_STANDING && t == KLONOS_SYNTH_STATE_SITTING) {
    c->nkeys = 3;
    c->key_tau[1] = 0.55;
    c->key_a[1] = kl_rng_range(&tl->posture_rng, 25.0, 35.0) * KL_DEG;
    c->key_m[1] = 0.5 * (from->m + to->m);
    c->key_tau[2] = 1.0;
    c->key_a[2] = to->a;
    c->key_m[2] = to->m;
    c->lift_m = -0.45; c->lift_tau0 = 0.0; c->lift_tau1 = 0.75;
    c->fwd_m = -0.15; c->fwd_tau0 = 0.0; c->fwd_tau1 = 0.7;
  } else if (t == KLONOS_SYNTH_STATE_LYING) {
    c->lift_m = -0.3; c->lift_tau0 = 0.2; c->lift_tau1 = 1.0;
  } else if (f == KLONOS_SYNTH_STATE_LYING) {
    c->lift_m = 0.3; c->lift_tau0 = 0.0; c->lift_tau1 = 0.8;
  } else if (t == KLONOS_SYNTH_STATE_NONWEAR) {
    c->lift_m = -0.3; c->lift_tau0 = 0.2; c->lift_tau1 = 0.9; /* taken off, put on a table */
  } else if (f == KLONOS_SYNTH_STATE_NONWEAR) {
    c->lift_m = 0.3; c->lift_tau0 = 0.1; c->lift_tau1 = 0.8;
  }
}

static double change_duration(kl_timeline *tl, int from, int to) {
  if (from == KLONOS_SYNTH_STATE_NONWEAR || to == KLONOS_SYNTH_STATE_NONWEAR) return kl_rng_range(&tl->rng, 2.0, 4.0);
  if (from == KLONOS_SYNTH_STATE_LYING || to == KLONOS_SYNTH_STATE_LYING) return kl_rng_range(&tl->rng, 2.0, 3.0);
  return kl_rng_range(&tl->rng, 1.5, 3.0);
}

static void finalize(kl_timeline *tl, const kl_segment *prev, kl_segment *s) {
  s->id = tl->next_id++;
  s->n0 = prev ? prev->n1 : 0;
  if (s->t1 >= tl->total_s) {
    s->t1 = tl->total_s;
    s->n1 = tl->total_frames;
  } else {
    int64_t n1 = (int64_t)ceil(s->t1 * tl->fs);
    if (n1 > tl->total_frames) n1 = tl->total_frames;
    if (n1 < s->n0) n1 = s->n0;
    s->n1 = n1;
  }
}

void kl_timeline_next(kl_timeline *tl, const klonos_synth *h, const kl_segment *prev, kl_segment *out) {
  if (!prev) {
    draw_bout(tl, h, initial_state(tl->scenario), 0.0, 1, out, NULL);
    finalize(tl, NULL, out);
    return;
  }
  if (tl->has_pending) {
    *out = tl->pending;
    tl->has_pending = 0;
    finalize(tl, prev, out);
    return;
  }
  const int to = prev->next_state >= 0 ? prev->next_state : next_state(tl, prev->state);
  if (prev->fm.kind != KL_FM_NONE) {
    /* Falls scenario: the bout ends in a fall or a fast sit. */
    draw_bout(tl, h, to, prev->t1 + kl_falls_duration(&prev->fm), 0, &tl->pending, &prev->fm);
    tl->has_pending = 1;
    kl_falls_make_change(prev, &tl->pending, prev->t1, out);
  } else if (needs_change(prev->state, to)) {
    const double dur = change_duration(tl, prev->state, to);
    draw_bout(tl, h, to, prev->t1 + dur, 0, &tl->pending, NULL);
    tl->has_pending = 1;
    make_change(tl, prev, &tl->pending, prev->t1, dur, out);
  } else {
    draw_bout(tl, h, to, prev->t1, 0, out, NULL);
  }
  finalize(tl, prev, out);
}

void kl_change_angles(const kl_segment *s, double t, double *a, double *m, double *a_dot, double *m_dot) {
  const double T = s->t1 - s->t0;
  double tau = T > 0.0 ? (t - s->t0) / T : 1.0;
  if (tau < 0.0) tau = 0.0;
  if (tau > 1.0) tau = 1.0;
  int k = 0;
  while (k < s->nkeys - 2 && tau > s->key_tau[k + 1]) k++;
  const double span = s->key_tau[k + 1] - s->key_tau[k];
  double x = (tau - s->key_tau[k]) / span, sp, sd, sdd;
  kl_minjerk(x, &sp, &sd, &sdd);
  const double da = s->key_a[k + 1] - s->key_a[k], dm = s->key_m[k + 1] - s->key_m[k];
  *a = s->key_a[k] + da * sp;
  *m = s->key_m[k] + dm * sp;
  *a_dot = T > 0.0 ? da * sd / (span * T) : 0.0;
  *m_dot = T > 0.0 ? dm * sd / (span * T) : 0.0;
}

static double profile_acc(double disp, double tau0, double tau1, double tau, double T) {
  if (disp == 0.0 || T <= 0.0) return 0.0;
  const double span = (tau1 - tau0) * T;
  double s, sd, sdd;
  kl_minjerk((tau - tau0) / (tau1 - tau0), &s, &sd, &sdd);
  return disp * sdd / (span * span);
}

void kl_change_linear(const kl_segment *s, double t, double *vert, double *fwd) {
  const double T = s->t1 - s->t0;
  const double tau = T > 0.0 ? (t - s->t0) / T : 1.0;
  *vert = profile_acc(s->lift_m, s->lift_tau0, s->lift_tau1, tau, T);
  *fwd = profile_acc(s->fwd_m, s->fwd_tau0, s->fwd_tau1, tau, T);
}
