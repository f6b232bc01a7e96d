/* The fall / near-fall detector (lib/detect/falls.c): hand-built falls and
 * intentional sits with known physics, the synthetic falls scenario against
 * its truth, chunking invariance, a lying infant (no upright time), gaps,
 * 3 vs 6 channels, extreme rates and config validation. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond/segment.h"
#include "detect/falls.h"
#include "klonos/klonos.h"
#include "klonos/synth.h"

#define G 9.80665
#define PI 3.14159265358979323846

/* ---- hand-built recordings (sensor = body frame: x = V, y = AP, z = ML) ---- */

typedef struct sig {
  float *x;
  int64_t n, cap;
  double fs;
} sig;

static void sig_push(sig *s, double v, double ap, double ml) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 4096;
    s->x = realloc(s->x, sizeof(float) * 3 * (size_t)s->cap);
    cr_assert(s->x);
  }
  s->x[3 * s->n] = (float)v;
  s->x[3 * s->n + 1] = (float)ap;
  s->x[3 * s->n + 2] = (float)ml;
  s->n++;
}

/* Still posture for @p secs: trunk pitch a (rad, + forward), a little sway. */
static void still(sig *s, double secs, double a) {
  const int64_t k = llround(secs * s->fs);
  for (int64_t i = 0; i < k; i++) {
    const double t = (double)(s->n) / s->fs, sw = 0.03 * sin(2 * PI * 0.7 * t);
    sig_push(s, G * cos(a), -G * sin(a) + sw, 0.5 * sw);
  }
}

/* Raised-cosine pulse of unit area... averaged at the sample: 2/D sin^2(pi x/D) on [0, D]. */
static double pulse(double x, double D) {
  if (x <= 0 || x >= D) return 0;
  const double s = sin(PI * x / D);
  return 2.0 / D * s * s;
}

/* A fall or a fast sit from pitch a0 to a1: optional controlled squat
 * (min-jerk lowering of squat_m over squat_s), a drop at k g lasting
 * until speed v, an impact pulse of duration D, then the end posture. */
static double descend(sig *s, double a0, double a1, double squat_m, double squat_s, double k, double v, double D) {
  const double dt = 1.0 / s->fs, t_ff = v / (k * G), total = squat_s + t_ff + D;
  double impact_t = 0;
  const int64_t n = llround(total * s->fs);
  for (int64_t i = 0; i < n; i++) {
    const double x = (double)i * dt;
    double up = 0, a;
    if (x < squat_s) {
      const double y = x / squat_s;
      up = -squat_m * 60 * y * (1 - y) * (1 - 2 * y) / (squat_s * squat_s);
      a = a0;
    } else if (x < squat_s + t_ff) {
      up = -k * G;
      const double y = (x - squat_s) / t_ff;
      a = a0 + (a1 - a0) * y * y;
    } else {
      up = v * pulse(x - squat_s - t_ff, D);
      a = a1;
      if (impact_t == 0) impact_t = (double)s->n / s->fs + D / 2;
    }
    sig_push(s, (G + up) * cos(a), -(G + up) * sin(a), 0);
  }
  return impact_t;
}

typedef struct run {
  kl_fall_event e[256];
  int n;
  kl_falls_stats st;
} run;

static void detect(const float *x, int64_t n, int nch, double fs, const double v[3], size_t chunk, run *o) {
  memset(o, 0, sizeof *o);
  kl_falls *d = NULL;
  cr_assert_eq(kl_falls_create(&d, NULL, fs, nch, v), KLONOS_OK);
  kl_fall_event e;
  for (int64_t pos = 0; pos < n;) {
    const size_t k = (size_t)(n - pos) < chunk ? (size_t)(n - pos) : chunk;
    cr_assert_eq(kl_falls_push(d, x + (size_t)nch * (size_t)pos, k), KLONOS_OK);
    pos += (int64_t)k;
    while (kl_falls_pop(d, &e) == 1) {
      cr_assert(o->n < 256);
      o->e[o->n++] = e;
    }
  }
  cr_assert_eq(kl_falls_finish(d), KLONOS_OK);
  while (kl_falls_pop(d, &e) == 1) {
    cr_assert(o->n < 256);
    o->e[o->n++] = e;
  }
  cr_assert_eq(kl_falls_get_stats(d, &o->st), KLONOS_OK);
  kl_falls_destroy(&d);
  cr_assert_null(d);
}

static const double UP[3] = {1, 0, 0};

static int count(const run *o, int kind) {
  int c = 0;
  for (int i = 0; i < o->n; i++) c += o->e[i].kind == kind;
  return c;
}

/* ---- hand-built falls and sits ---- */

Test(falls, backward_fall_to_lying) {
  sig s = {.fs = 100};
  still(&s, 6, 3 * PI / 180);
  const double t_imp = descend(&s, 3 * PI / 180, -88 * PI / 180, 0, 0, 0.8, 2.3, 0.1);
  still(&s, 8, -88 * PI / 180);
  run o;
  detect(s.x, s.n, 3, s.fs, UP, 4096, &o);
  cr_assert_eq(o.n, 1, "%d events", o.n);
  const kl_fall_event *e = &o.e[0];
  cr_assert_eq(e->kind, KL_FALL);
  cr_assert_lt(fabs(e->impact_s - t_imp), 0.1, "impact %.2f vs %.2f", e->impact_s, t_imp);
  cr_assert_eq(e->to_state, KL_STATE_LYING);
  cr_assert_eq(e->from_state, KL_STATE_UPRIGHT_STILL);
  cr_assert_eq(e->lowered, 0);
  cr_assert_gt(e->impact_mps2, 3 * G);
  cr_assert_gt(e->descent_mps, 1.8, "free-fall speed %.2f", e->descent_mps);
  cr_assert(e->confidence > 0 && e->confidence <= 1);
  cr_assert(e->start_s < e->impact_s && e->impact_s < e->end_s);
  free(s.x);
}

Test(falls, fall_to_sitting_upright_is_a_fall) {
  sig s = {.fs = 100};
  still(&s, 6, 3 * PI / 180);
  /* Onto the buttocks: 0.35 m braked at 0.8 g, trunk stays upright. */
  const double v = sqrt(2 * 0.8 * G * 0.35);
  const double t_imp = descend(&s, 3 * PI / 180, 5 * PI / 180, 0, 0, 0.8, v, 0.1);
  still(&s, 8, 5 * PI / 180);
  run o;
  detect(s.x, s.n, 3, s.fs, UP, 4096, &o);
  cr_assert_eq(count(&o, KL_FALL), 1, "%d events", o.n);
  cr_assert_lt(fabs(o.e[0].impact_s - t_imp), 0.1);
  cr_assert_eq(o.e[0].to_state, KL_STATE_UPRIGHT_STILL);
  cr_assert_eq(o.e[0].lowered, 1);
  cr_assert_gt(o.e[0].drop_m, 0.2, "height lost %.2f m", o.e[0].drop_m);
  free(s.x);
}

Test(falls, fast_intentional_sit_is_not_a_fall) {
  /* The same end posture, reached by a controlled squat and a 3 cm drop:
   * the impact still exceeds 2 g, and the child sits still afterwards. */
  sig s = {.fs = 100};
  still(&s, 6, 3 * PI / 180);
  const double v = sqrt(2 * G * 0.03);
  descend(&s, 3 * PI / 180, 5 * PI / 180, 0.25, 0.6, 1.0, v, 0.07);
  still(&s, 8, 5 * PI / 180);
  run o;
  detect(s.x, s.n, 3, s.fs, UP, 4096, &o);
  cr_assert_eq(count(&o, KL_FALL), 0, "a fast sit was called a fall");
  cr_assert_eq(o.st.candidates, 1, "the sit's impact must have been judged (%lld candidates)",
               (long long)o.st.candidates);
  cr_assert_eq(o.st.rejected_controlled, 1);
  free(s.x);
}

Test(falls, rates_25_and_1000_hz) {
  const double rates[] = {25, 1000};
  for (int r = 0; r < 2; r++) {
    sig s = {.fs = rates[r]};
    still(&s, 6, 0);
    descend(&s, 0, 85 * PI / 180, 0, 0, 0.8, 2.5, 0.12);
    still(&s, 8, 85 * PI / 180);
    run o;
    detect(s.x, s.n, 3, s.fs, UP, 997, &o);
    cr_assert_eq(count(&o, KL_FALL), 1, "%g Hz: %d falls", rates[r], count(&o, KL_FALL));
    cr_assert_eq(o.e[0].to_state, KL_STATE_LYING);
    free(s.x);
  }
}

Test(falls, six_channels_and_vertical_update) {
  sig s = {.fs = 100};
  still(&s, 6, 0);
  descend(&s, 0, -85 * PI / 180, 0, 0, 0.8, 2.5, 0.1);
  still(&s, 8, -85 * PI / 180);
  run a, b;
  detect(s.x, s.n, 3, s.fs, UP, 4096, &a);
  float *six = calloc((size_t)s.n * 6, sizeof(float));
  for (int64_t i = 0; i < s.n; i++) {
    memcpy(six + 6 * i, s.x + 3 * i, 3 * sizeof(float));
    six[6 * i + 3] = 0.3f; /* the gyroscope is ignored */
  }
  detect(six, s.n, 6, s.fs, UP, 333, &b);
  cr_assert_eq(a.n, 1);
  cr_assert_eq(b.n, a.n);
  cr_assert_eq(memcmp(a.e, b.e, sizeof a.e[0] * (size_t)a.n), 0, "6 channels must give the same events");
  /* A wrong vertical at create time, corrected before the data. */
  kl_falls *d = NULL;
  const double wrong[3] = {0, 0, 2};
  cr_assert_eq(kl_falls_create(&d, NULL, 100, 3, wrong), KLONOS_OK);
  cr_assert_eq(kl_falls_set_vertical(d, UP), KLONOS_OK);
  cr_assert_eq(kl_falls_push(d, s.x, (size_t)s.n), KLONOS_OK);
  cr_assert_eq(kl_falls_finish(d), KLONOS_OK);
  kl_fall_event e;
  cr_assert_eq(kl_falls_pop(d, &e), 1);
  cr_assert_eq(memcmp(&e, &a.e[0], sizeof e), 0);
  cr_assert_eq(kl_falls_pop(d, &e), 0);
  kl_falls_destroy(&d);
  free(six);
  free(s.x);
}

/* ---- a lying infant: no upright time ---- */

Test(falls, lying_infant_has_no_upright_time_and_no_falls) {
  sig s = {.fs = 100};
  const int64_t n = 600 * 100;
  uint64_t r = 12345;
  for (int64_t i = 0; i < n; i++) {
    const double t = (double)i / s.fs;
    /* Supine (gravity on +AP), kicking bouts of 3 s every 20 s, a startle every 30 s. */
    double v = 0.02 * sin(2 * PI * 0.3 * t), ap = G, ml = 0.02 * cos(2 * PI * 0.4 * t);
    const double ph = fmod(t, 20.0);
    if (ph < 3.0) {
      const double env = sin(PI * ph / 3.0);
      v += 2.0 * env * sin(2 * PI * 2.0 * t);
      ml += 1.5 * env * sin(2 * PI * 2.3 * t + 1);
    }
    const double sp = fmod(t, 30.0) - 15.0;
    v += 20.0 * pulse(sp, 0.08) * 0.04; /* ~1 g jolt */
    ap += 15.0 * pulse(sp - 0.02, 0.08) * 0.04;
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    v += 0.01 * ((double)(r >> 11) / 9007199254740992.0 - 0.5);
    sig_push(&s, v, ap, ml);
  }
  run o;
  detect(s.x, s.n, 3, s.fs, UP, 4096, &o);
  cr_assert_eq(o.n, 0, "%d events from a lying infant", o.n);
  cr_assert_eq(o.st.upright_s, 0.0, "upright %.1f s", o.st.upright_s);
  cr_assert_gt(o.st.lying_s, 599.0);
  cr_assert_gt(o.st.valid_s, 599.0);
  cr_assert_gt(o.st.candidates, 0, "the startles must have been judged");
  cr_assert_eq(o.st.rejected_not_upright, o.st.candidates);
  free(s.x);
}

/* ---- gaps ---- */

Test(falls, nan_runs_are_gaps_never_falls) {
  sig s = {.fs = 100};
  still(&s, 10, 0);
  const double t1 = descend(&s, 0, -85 * PI / 180, 0, 0, 0.8, 2.5, 0.1);
  still(&s, 10, -85 * PI / 180);
  still(&s, 15, 0); /* got up */
  const double t2 = descend(&s, 0, 85 * PI / 180, 0, 0, 0.8, 2.5, 0.1);
  still(&s, 10, 85 * PI / 180);
  /* A gap 1.5 s before the first fall, one over the second impact, one far from both. */
  const int64_t g1 = llround((t1 - 1.5) * 100), g2 = llround(t2 * 100) - 5, g3 = llround(2.0 * 100);
  float *orig = malloc(sizeof(float) * 3 * (size_t)s.n);
  memcpy(orig, s.x, sizeof(float) * 3 * (size_t)s.n);
  for (int64_t i = 0; i < 20; i++) {
    s.x[3 * (g1 + i) + 1] = NAN;
    for (int c = 0; c < 3; c++) s.x[3 * (g2 + i) + c] = NAN;
    s.x[3 * (g3 + i)] = INFINITY;
  }
  run o;
  detect(s.x, s.n, 3, s.fs, UP, 1000, &o);
  cr_assert_eq(o.st.gap_frames, 60);
  cr_assert_eq(o.n, 0, "no event may use a window with a gap (%d events)", o.n);
  cr_assert_geq(o.st.rejected_gap, 1);
  /* The same recording with only the far gap: both falls. */
  for (int64_t i = 0; i < 20; i++)
    for (int c = 0; c < 3; c++) {
      s.x[3 * (g1 + i) + c] = orig[3 * (g1 + i) + c];
      s.x[3 * (g2 + i) + c] = orig[3 * (g2 + i) + c];
    }
  detect(s.x, s.n, 3, s.fs, UP, 1000, &o);
  cr_assert_eq(count(&o, KL_FALL), 2, "%d falls", count(&o, KL_FALL));
  /* All NaN: nothing, no crash. */
  for (int64_t i = 0; i < 3 * s.n; i++) s.x[i] = NAN;
  detect(s.x, s.n, 3, s.fs, UP, 77, &o);
  cr_assert_eq(o.n, 0);
  cr_assert_eq(o.st.valid_s, 0.0);
  cr_assert_eq(o.st.upright_s, 0.0);
  free(orig);
  free(s.x);
}

/* ---- the synthetic falls scenario ---- */

typedef struct synrec {
  float *x;
  int64_t n;
  double v[3];
  double fall_t[512], sit_t[512];
  int nf, ns;
} synrec;

static void synth_falls(synrec *r, uint64_t seed, double minutes, double fs, double fall_h, double sit_h, double near_h,
                        double play_min) {
  memset(r, 0, sizeof *r);
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  c.scenario = KLONOS_SYNTH_FALLS;
  c.seed = seed;
  c.duration_s = minutes * 60;
  c.rate_hz = fs;
  c.severity = 0.6;
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  klonos_synth_params p;
  cr_assert_eq(klonos_synth_params_derive(&c, &p), KLONOS_OK);
  p.fall_rate_per_hour = fall_h;
  p.fast_sit_rate_per_hour = sit_h;
  p.near_fall_rate_per_hour = near_h;
  p.play_rate_per_min = play_min;
  klonos_synth *h = NULL;
  cr_assert_eq(klonos_synth_open(&h, &c, &p), KLONOS_OK, "%s", klonos_synth_error(h));
  klonos_synth_frame_count(h, &r->n);
  double rot[9];
  klonos_synth_rotation_matrix(h, rot);
  for (int k = 0; k < 3; k++) r->v[k] = rot[3 * k];
  r->x = malloc(sizeof(float) * 3 * (size_t)r->n);
  int64_t pos = 0;
  for (;;) {
    size_t got = 0, items = 0;
    cr_assert_eq(klonos_synth_render(h, r->x + 3 * pos, (size_t)(r->n - pos), &got), KLONOS_OK);
    klonos_synth_truth_count(h, &items);
    for (size_t i = 0; i < items; i++) {
      klonos_synth_truth t;
      klonos_synth_truth_get(h, i, &t);
      if (t.kind == KLONOS_SYNTH_TRUTH_FALL && r->nf < 512) r->fall_t[r->nf++] = t.peak_s;
      if (t.kind == KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT && r->ns < 512) r->sit_t[r->ns++] = t.peak_s;
    }
    pos += (int64_t)got;
    if (got == 0) break;
  }
  klonos_synth_close(&h);
}

Test(falls, synthetic_falls_are_found_and_sits_are_not) {
  synrec r;
  synth_falls(&r, 5, 30, 100, 60, 0, 0, 0);
  cr_assert_geq(r.nf, 5, "too few synthetic falls (%d)", r.nf);
  run o;
  detect(r.x, r.n, 3, 100, r.v, 4096, &o);
  int hit = 0;
  for (int k = 0; k < r.nf; k++)
    for (int i = 0; i < o.n; i++)
      if (o.e[i].kind == KL_FALL && fabs(o.e[i].impact_s - r.fall_t[k]) <= 1.0) {
        hit++;
        break;
      }
  cr_assert_geq(hit, (int)ceil(0.9 * r.nf), "found %d of %d falls", hit, r.nf);
  cr_assert_leq(count(&o, KL_FALL), r.nf, "false falls");
  free(r.x);

  /* Fast sits and play only. */
  synth_falls(&r, 6, 30, 100, 0, 240, 0, 4);
  cr_assert_geq(r.ns, 10, "too few synthetic sits (%d)", r.ns);
  detect(r.x, r.n, 3, 100, r.v, 4096, &o);
  cr_assert_eq(count(&o, KL_FALL), 0, "%d of %d fast sits called falls", count(&o, KL_FALL), r.ns);
  cr_assert_geq(o.st.rejected_controlled + o.st.rejected_moving + o.st.rejected_small, r.ns / 2,
                "the sits must have been judged (controlled, play right after, or a soft impact): %d sits, "
                "%lld candidates, "
                "%lld controlled, %lld moving, %lld small, %lld no change, %lld near-falls",
                r.ns, (long long)o.st.candidates, (long long)o.st.rejected_controlled, (long long)o.st.rejected_moving,
                (long long)o.st.rejected_small, (long long)o.st.rejected_no_change, (long long)o.st.near_falls);
  free(r.x);
}

Test(falls, chunking_does_not_change_the_events) {
  synrec r;
  synth_falls(&r, 9, 20, 100, 30, 60, 30, 3);
  run a, b, c;
  detect(r.x, r.n, 3, 100, r.v, 1, &a);
  detect(r.x, r.n, 3, 100, r.v, 7, &b);
  detect(r.x, r.n, 3, 100, r.v, 4096, &c);
  cr_assert_gt(a.n, 2, "the recording must hold events (%d)", a.n);
  cr_assert_eq(a.n, b.n);
  cr_assert_eq(a.n, c.n);
  cr_assert_eq(memcmp(a.e, b.e, sizeof a.e[0] * (size_t)a.n), 0, "chunks of 1 vs 7 differ");
  cr_assert_eq(memcmp(a.e, c.e, sizeof a.e[0] * (size_t)a.n), 0, "chunks of 1 vs 4096 differ");
  cr_assert_eq(memcmp(&a.st, &c.st, sizeof a.st), 0, "stats differ");
  for (int i = 1; i < a.n; i++) cr_assert_gt(a.e[i].impact_s, a.e[i - 1].impact_s, "events out of order");
  /* Popping only at the end gives the same events. */
  kl_falls *d = NULL;
  cr_assert_eq(kl_falls_create(&d, NULL, 100, 3, r.v), KLONOS_OK);
  cr_assert_eq(kl_falls_push(d, r.x, (size_t)r.n), KLONOS_OK);
  cr_assert_eq(kl_falls_finish(d), KLONOS_OK);
  kl_fall_event e;
  int k = 0;
  while (kl_falls_pop(d, &e) == 1) {
    cr_assert(k < a.n);
    cr_assert_eq(memcmp(&e, &a.e[k], sizeof e), 0);
    k++;
  }
  cr_assert_eq(k, a.n);
  kl_falls_destroy(&d);
  free(r.x);
}

/* ---- validation ---- */

Test(falls, bad_arguments) {
  kl_falls *d = (kl_falls *)1;
  kl_falls_config c;
  kl_falls_config_default(&c);
  cr_assert_eq(kl_falls_create(&d, &c, 100, 3, UP), KLONOS_OK);
  kl_falls_destroy(&d);
  cr_assert_eq(kl_falls_create(NULL, &c, 100, 3, UP), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_create(&d, &c, 24.9, 3, UP), KLONOS_E_RATE);
  cr_assert_null(d);
  cr_assert_eq(kl_falls_create(&d, &c, 1001, 3, UP), KLONOS_E_RATE);
  cr_assert_eq(kl_falls_create(&d, &c, NAN, 3, UP), KLONOS_E_RATE);
  cr_assert_eq(kl_falls_create(&d, &c, 100, 4, UP), KLONOS_E_CHANNELS);
  cr_assert_eq(kl_falls_create(&d, &c, 100, 3, NULL), KLONOS_E_INVAL);
  const double zero[3] = {0, 0, 0}, nan3[3] = {NAN, 1, 0};
  cr_assert_eq(kl_falls_create(&d, &c, 100, 3, zero), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_create(&d, &c, 100, 3, nan3), KLONOS_E_INVAL);
#define BAD(field, value)                                                                   \
  do {                                                                                      \
    kl_falls_config b = c;                                                                  \
    b.field = value;                                                                        \
    cr_assert_eq(kl_falls_create(&d, &b, 100, 3, UP), KLONOS_E_INVAL, #field " = " #value); \
    cr_assert_null(d);                                                                      \
  } while (0)
  BAD(impact_min_g, 0.5);
  BAD(impact_min_g, NAN);
  BAD(severe_impact_g, 1.5);
  BAD(near_impact_g, INFINITY);
  BAD(merge_s, 0);
  BAD(descent_window_s, -1);
  BAD(fall_velocity_mps, -0.1);
  BAD(drop_min_m, 3);
  BAD(pre_start_s, 1.0); /* not before pre_end_s */
  BAD(pre_end_s, 0);
  BAD(post_window_s, 0);
  BAD(upright_max_deg, 0);
  BAD(lying_min_deg, 91);
  BAD(still_max_mps2, 0);
  BAD(near_tilt_deg, -1);
  BAD(near_ratio, -1);
  BAD(refractory_s, 100);
  BAD(reserved_i, 1);
#undef BAD
  cr_assert_eq(kl_falls_create(&d, NULL, 100, 6, UP), KLONOS_OK);
  float f[6] = {0};
  kl_fall_event e;
  kl_falls_stats st;
  cr_assert_eq(kl_falls_push(NULL, f, 1), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_push(d, NULL, 1), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_push(d, NULL, 0), KLONOS_OK);
  cr_assert_eq(kl_falls_pop(d, NULL), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_pop(NULL, &e), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_get_stats(NULL, &st), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_set_vertical(d, zero), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_set_vertical(NULL, UP), KLONOS_E_INVAL);
  cr_assert_eq(kl_falls_finish(d), KLONOS_OK);
  cr_assert_eq(kl_falls_push(d, f, 1), KLONOS_E_STATE);
  cr_assert_eq(kl_falls_pop(d, &e), 0);
  cr_assert_eq(kl_falls_finish(NULL), KLONOS_E_INVAL);
  kl_falls_destroy(&d);
  kl_falls_destroy(&d);
  kl_falls_destroy(NULL);
  kl_falls_config_default(NULL);
}

/* ---- the generator's falls scenario ---- */

typedef struct gen {
  float *x;
  int64_t n;
  klonos_synth_truth *t;
  size_t nt, cap;
} gen;

static void gen_render(const klonos_synth_config *c, size_t chunk, gen *g) {
  memset(g, 0, sizeof *g);
  klonos_synth *h = NULL;
  cr_assert_eq(klonos_synth_open(&h, c, NULL), KLONOS_OK, "%s", klonos_synth_error(h));
  klonos_synth_frame_count(h, &g->n);
  g->x = malloc(sizeof(float) * (size_t)c->channels * (size_t)g->n);
  int64_t pos = 0;
  for (;;) {
    size_t got = 0, items = 0, want = chunk;
    if ((int64_t)want > g->n - pos) want = (size_t)(g->n - pos);
    cr_assert_eq(klonos_synth_render(h, g->x + (size_t)c->channels * (size_t)pos, want, &got), KLONOS_OK);
    klonos_synth_truth_count(h, &items);
    for (size_t i = 0; i < items; i++) {
      if (g->nt == g->cap) g->t = realloc(g->t, (g->cap = g->cap ? 2 * g->cap : 256) * sizeof *g->t);
      klonos_synth_truth_get(h, i, &g->t[g->nt++]);
    }
    pos += (int64_t)got;
    if (got == 0 && want == 0) break;
  }
  klonos_synth_close(&h);
}

Test(falls, generator_falls_scenario_is_chunk_invariant_and_consistent) {
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  cr_assert_eq(klonos_synth_scenario_from_name("falls", &c.scenario), KLONOS_OK);
  cr_assert_eq(c.scenario, KLONOS_SYNTH_FALLS);
  c.duration_s = 1800;
  c.rate_hz = 50;
  c.channels = 6;
  c.severity = 1.0;
  c.seed = 21;
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  gen a, b, d;
  gen_render(&c, 1, &a);
  gen_render(&c, 7, &b);
  gen_render(&c, 4096, &d);
  const size_t bytes = sizeof(float) * 6 * (size_t)a.n;
  cr_assert_eq(memcmp(a.x, b.x, bytes), 0);
  cr_assert_eq(memcmp(a.x, d.x, bytes), 0);
  cr_assert_eq(a.nt, b.nt);
  cr_assert_eq(a.nt, d.nt);
  cr_assert_eq(memcmp(a.t, b.t, a.nt * sizeof *a.t), 0);
  cr_assert_eq(memcmp(a.t, d.t, a.nt * sizeof *a.t), 0);
  for (int64_t k = 0; k < 6 * a.n; k++) cr_assert(isfinite(a.x[k]));
  int falls = 0, sits = 0, near = 0;
  for (size_t i = 0; i < a.nt; i++) {
    const klonos_synth_truth *t = &a.t[i];
    if (t->kind == KLONOS_SYNTH_TRUTH_FALL || t->kind == KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT) {
      /* Each comes with the posture change it is, over the same span. */
      int found = 0;
      for (size_t j = 0; j < a.nt; j++)
        if (a.t[j].kind == KLONOS_SYNTH_TRUTH_POSTURE_CHANGE && a.t[j].start_s == t->start_s &&
            a.t[j].end_s == t->end_s && a.t[j].state == t->state && a.t[j].from_state == t->from_state)
          found = 1;
      cr_assert(found, "%s at %.2f s without its posture change", klonos_synth_truth_kind_name(t->kind), t->peak_s);
      cr_assert(t->start_s < t->peak_s && t->peak_s < t->end_s);
      cr_assert_gt(t->sampled_peak_mps2, G);
    }
    if (t->kind == KLONOS_SYNTH_TRUTH_FALL) {
      falls++;
      cr_assert(t->detail >= KLONOS_SYNTH_FALL_TO_SITTING && t->detail <= KLONOS_SYNTH_FALL_TOPPLE);
      if (t->detail == KLONOS_SYNTH_FALL_TOPPLE) cr_assert_eq(t->from_state, KLONOS_SYNTH_STATE_SITTING);
      else cr_assert(t->from_state == KLONOS_SYNTH_STATE_STANDING || t->from_state == KLONOS_SYNTH_STATE_WALKING);
      const int to = t->detail == KLONOS_SYNTH_FALL_TO_SITTING ? KLONOS_SYNTH_STATE_SITTING : KLONOS_SYNTH_STATE_LYING;
      cr_assert_eq(t->state, to);
      cr_assert_gt(t->sampled_peak_mps2, 1.5 * G, "fall impact %.1f m/s^2", t->sampled_peak_mps2);
    }
    if (t->kind == KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT) {
      sits++;
      cr_assert_eq(t->from_state, KLONOS_SYNTH_STATE_STANDING);
      cr_assert_eq(t->state, KLONOS_SYNTH_STATE_SITTING);
    }
    if (t->kind == KLONOS_SYNTH_TRUTH_NEAR_FALL) {
      near++;
      cr_assert(t->state == KLONOS_SYNTH_STATE_STANDING || t->state == KLONOS_SYNTH_STATE_WALKING);
      /* Inside one bout of that state. */
      int inside = 0;
      for (size_t j = 0; j < a.nt; j++)
        if (a.t[j].kind == KLONOS_SYNTH_TRUTH_BOUT && a.t[j].state == t->state && a.t[j].start_s <= t->start_s &&
            t->end_s <= a.t[j].end_s)
          inside = 1;
      cr_assert(inside, "near-fall at %.2f s outside its bout", t->peak_s);
    }
  }
  cr_assert_gt(falls, 3, "%d falls", falls);
  cr_assert_gt(sits, 3, "%d sits", sits);
  cr_assert_gt(near, 3, "%d near-falls", near);
  cr_assert_str_eq(klonos_synth_truth_kind_name(KLONOS_SYNTH_TRUTH_FALL), "fall");
  cr_assert_str_eq(klonos_synth_truth_kind_name(KLONOS_SYNTH_TRUTH_NEAR_FALL), "near_fall");
  cr_assert_str_eq(klonos_synth_truth_kind_name(KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT), "intentional_sit");
  cr_assert_str_eq(klonos_synth_truth_kind_name(10), "unknown");
  free(a.x), free(b.x), free(d.x), free(a.t), free(b.t), free(d.t);
}

Test(falls, generator_fall_params_are_validated) {
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  c.scenario = KLONOS_SYNTH_STANCE;
  klonos_synth_params p;
  klonos_synth_params_derive(&c, &p);
  cr_assert_eq(p.fall_rate_per_hour, 0.0);
  cr_assert_eq(p.near_fall_rate_per_hour, 0.0);
  klonos_synth *h = NULL;
  p.fall_rate_per_hour = 5;
  cr_assert_eq(klonos_synth_open(&h, &c, &p), KLONOS_E_INVAL, "falls outside the falls scenario");
  cr_assert(strstr(klonos_synth_error(h), "falls scenario"));
  klonos_synth_close(&h);
  /* Near-falls and play may be laid over any scenario. */
  p.fall_rate_per_hour = 0;
  p.near_fall_rate_per_hour = 600;
  p.play_rate_per_min = 2;
  cr_assert_eq(klonos_synth_open(&h, &c, &p), KLONOS_OK, "%s", klonos_synth_error(h));
  klonos_synth_close(&h);
  c.scenario = KLONOS_SYNTH_FALLS;
  klonos_synth_params_derive(&c, &p);
  cr_assert_gt(p.fall_rate_per_hour, 0.0);
  p.fall_to_lying_fraction = 1.5;
  cr_assert_eq(klonos_synth_open(&h, &c, &p), KLONOS_E_INVAL);
  cr_assert(strstr(klonos_synth_error(h), "fall_to_lying_fraction"));
  klonos_synth_close(&h);
  p.fall_to_lying_fraction = 0.3;
  p.play_rate_per_min = NAN;
  cr_assert_eq(klonos_synth_open(&h, &c, &p), KLONOS_E_INVAL);
  klonos_synth_close(&h);
  p.play_rate_per_min = 1;
  p.reserved[23] = 1;
  cr_assert_eq(klonos_synth_open(&h, &c, &p), KLONOS_E_INVAL);
  klonos_synth_close(&h);
}
