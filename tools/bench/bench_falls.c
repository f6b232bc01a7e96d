/* bench_falls: accuracy of the streaming fall / near-fall detector
 * (lib/detect/falls.h) on synthetic recordings with ground truth and its
 * false-alarm rate on real recordings of adults who did not fall.
 *
 *   bench_falls [--quick] [--verbose] [--real DIR] [--no-real] [--seeds N]
 *
 * Tables (Markdown, stdout):
 *  1. the "falls" scenario (toddler-like play with falls, near-falls, fast
 *     intentional sits; klonos/synth.h), one hour per seed, random sensor
 *     rotation (the detector is given the true body vertical), at 50, 100
 *     and 200 Hz: falls sensitivity, false falls per hour, near-fall
 *     detection rate, false near-falls per hour, intentional sits called
 *     falls;
 *  2. "sits and play": the same scenario without falls or near-falls but
 *     with 120 fast sits per upright hour and twice the play: false falls
 *     per hour;
 *  3. robustness: the vertical given 15 deg off, the fall-velocity threshold
 *     swept (what separates a fall ending upright from a fast sit);
 *  4. real recordings (REAL_DATA_DIR, default $KLONOS_REAL_DATA or
 *     ../shared/data/real): false falls and near-falls per hour; the body
 *     vertical is taken as the mean acceleration of the recording.
 * A detection matches a true event when the impact times are within +-1 s
 * (one-to-one, in time order). Exit status 1 when a synthetic target is
 * missed (sensitivity >= 0.9 and <= 1 false fall per hour at every rate),
 * 2 on a setup error. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/falls.h"
#include "klonos/klonos.h"
#include "klonos/synth.h"

#define MATCH_S 1.0
#define PI 3.14159265358979323846

static int g_failed = 0, g_verbose = 0;

/* ---- one synthetic recording ------------------------------------------- */

typedef struct truth_ev {
  int kind;       /* KLONOS_SYNTH_TRUTH_FALL / NEAR_FALL / INTENTIONAL_SIT */
  int detail;
  double t;       /* impact */
  double peak;    /* sampled peak |a| */
  int hit;        /* matched by a detection of the same kind */
  int called_fall;
} truth_ev;

typedef struct rec {
  float *x;
  int64_t n;
  double fs;
  double vertical[3];
  truth_ev *t;
  size_t nt, cap;
  double upright_s; /* truth: standing + walking */
} rec;

static void rec_free(rec *r) {
  free(r->x);
  free(r->t);
  memset(r, 0, sizeof *r);
}

static int render(const klonos_synth_config *c, const klonos_synth_params *p, rec *r) {
  memset(r, 0, sizeof *r);
  klonos_synth *h = NULL;
  int rc = klonos_synth_open(&h, c, p);
  if (rc) {
    fprintf(stderr, "synth: %s\n", klonos_synth_error(h));
    klonos_synth_close(&h);
    return rc;
  }
  klonos_synth_frame_count(h, &r->n);
  double rot[9];
  klonos_synth_rotation_matrix(h, rot);
  for (int k = 0; k < 3; k++) r->vertical[k] = rot[3 * k]; /* body V in sensor coordinates */
  r->fs = c->rate_hz;
  r->x = malloc(sizeof(float) * 3 * (size_t)r->n);
  int64_t pos = 0;
  for (;;) {
    size_t got = 0, items = 0;
    size_t want = (size_t)(r->n - pos) < 65536 ? (size_t)(r->n - pos) : 65536;
    rc = klonos_synth_render(h, r->x + 3 * pos, want, &got);
    if (rc) break;
    klonos_synth_truth_count(h, &items);
    for (size_t i = 0; i < items; i++) {
      klonos_synth_truth it;
      klonos_synth_truth_get(h, i, &it);
      if (it.kind == KLONOS_SYNTH_TRUTH_BOUT &&
          (it.state == KLONOS_SYNTH_STATE_STANDING || it.state == KLONOS_SYNTH_STATE_WALKING))
        r->upright_s += it.end_s - it.start_s;
      if (it.kind != KLONOS_SYNTH_TRUTH_FALL && it.kind != KLONOS_SYNTH_TRUTH_NEAR_FALL &&
          it.kind != KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT)
        continue;
      if (r->nt == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->t = realloc(r->t, r->cap * sizeof *r->t);
      }
      truth_ev *e = &r->t[r->nt++];
      memset(e, 0, sizeof *e);
      e->kind = it.kind;
      e->detail = it.detail;
      e->t = it.peak_s;
      e->peak = it.sampled_peak_mps2;
    }
    pos += (int64_t)got;
    if (got == 0) break;
  }
  klonos_synth_close(&h);
  return rc;
}

/* ---- running the detector ---------------------------------------------- */

typedef struct traced {
  kl_fall_event e;
  int outcome;
} traced;

typedef struct dets {
  kl_fall_event *e;
  size_t n, cap;
  traced *tr; /* every judged impact (verbose runs) */
  size_t ntr, captr;
  kl_falls_stats st;
  double seconds;
} dets;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_trace(void *ctx, const kl_fall_event *e, int outcome) {
  dets *o = ctx;
  if (o->ntr == o->captr) o->tr = realloc(o->tr, (o->captr = o->captr ? 2 * o->captr : 256) * sizeof *o->tr);
  o->tr[o->ntr].e = *e;
  o->tr[o->ntr++].outcome = outcome;
}

static void print_candidates(const dets *o, double t, const char *what) {
  printf("    %s at %.2f s:", what, t);
  int any = 0;
  for (size_t i = 0; i < o->ntr; i++) {
    const kl_fall_event *e = &o->tr[i].e;
    if (fabs(e->impact_s - t) > 1.5) continue;
    printf("\n      cand %.2f s out=%d %.2f g v=%.2f drop=%.2f tilt %.0f->%.0f reor=%.0f exc=%.0f sd=%.2f bg=%.2f",
           e->impact_s,
           o->tr[i].outcome, e->impact_mps2 / 9.80665, e->descent_mps, e->drop_m, e->tilt_before_deg,
           e->tilt_after_deg, e->reorient_deg, e->excursion_deg, e->still_sd_mps2, e->background_ratio);
    any = 1;
  }
  printf("%s\n", any ? "" : " no impact candidate");
}

static int detect(const float *x, int64_t n, int nch, double fs, const double vertical[3], const kl_falls_config *cfg,
                  size_t chunk, dets *o) {
  memset(o, 0, sizeof *o);
  kl_falls *d = NULL;
  int rc = kl_falls_create(&d, cfg, fs, nch, vertical);
  if (rc) return rc;
  if (g_verbose) kl_falls_set_trace(d, on_trace, o);
  const double t0 = now_s();
  kl_fall_event e;
  for (int64_t pos = 0; pos < n;) {
    size_t k = (size_t)(n - pos) < chunk ? (size_t)(n - pos) : chunk;
    if ((rc = kl_falls_push(d, x + (size_t)nch * (size_t)pos, k))) break;
    pos += (int64_t)k;
    while (kl_falls_pop(d, &e) == 1) {
      if (o->n == o->cap) o->e = realloc(o->e, (o->cap = o->cap ? 2 * o->cap : 64) * sizeof *o->e);
      o->e[o->n++] = e;
    }
  }
  if (!rc) rc = kl_falls_finish(d);
  while (kl_falls_pop(d, &e) == 1) {
    if (o->n == o->cap) o->e = realloc(o->e, (o->cap = o->cap ? 2 * o->cap : 64) * sizeof *o->e);
    o->e[o->n++] = e;
  }
  o->seconds = now_s() - t0;
  kl_falls_get_stats(d, &o->st);
  kl_falls_destroy(&d);
  return rc;
}

/* ---- scoring ------------------------------------------------------------ */

typedef struct score {
  double hours, upright_h;
  int falls, falls_hit, false_falls;
  int near, near_hit, false_near;
  int sits, sits_called_fall;
  int by_type[4], by_type_hit[4];
} score;

/* Match detections of @p kind to truth items of @p tkind, in time order, one-to-one. */
static void match(rec *r, const dets *o, int kind, int tkind, int *hits, int *false_dets) {
  size_t j = 0;
  *hits = 0;
  *false_dets = 0;
  char *used = calloc(r->nt + 1, 1);
  for (size_t i = 0; i < o->n; i++) {
    if (o->e[i].kind != kind) continue;
    const double t = o->e[i].impact_s;
    int found = 0;
    while (j < r->nt && r->t[j].t < t - MATCH_S) j++;
    for (size_t k = j; k < r->nt && r->t[k].t <= t + MATCH_S; k++) {
      if (r->t[k].kind != tkind || used[k]) continue;
      used[k] = 1;
      r->t[k].hit = 1;
      found = 1;
      (*hits)++;
      break;
    }
    if (!found) (*false_dets)++;
  }
  free(used);
}

static void score_add(score *s, rec *r, const dets *o) {
  for (size_t k = 0; k < r->nt; k++) r->t[k].hit = r->t[k].called_fall = 0;
  int hits, fdet;
  match(r, o, KL_FALL, KLONOS_SYNTH_TRUTH_FALL, &hits, &fdet);
  s->falls_hit += hits;
  /* False falls: fall detections matching no true fall. Which of them fell on a fast sit? */
  for (size_t i = 0; i < o->n; i++) {
    if (o->e[i].kind != KL_FALL) continue;
    int on_fall = 0;
    for (size_t k = 0; k < r->nt; k++)
      if (r->t[k].kind == KLONOS_SYNTH_TRUTH_FALL && fabs(r->t[k].t - o->e[i].impact_s) <= MATCH_S) on_fall = 1;
    if (on_fall) continue;
    s->false_falls++;
    for (size_t k = 0; k < r->nt; k++)
      if (r->t[k].kind == KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT && fabs(r->t[k].t - o->e[i].impact_s) <= MATCH_S)
        r->t[k].called_fall = 1;
    if (g_verbose)
      printf("    false fall %.2f s: %.2f g v=%.2f drop=%.2f tilt %.0f->%.0f reor=%.0f sd=%.2f conf=%.2f\n",
             o->e[i].impact_s, o->e[i].impact_mps2 / 9.80665, o->e[i].descent_mps, o->e[i].drop_m,
             o->e[i].tilt_before_deg, o->e[i].tilt_after_deg, o->e[i].reorient_deg, o->e[i].still_sd_mps2,
             o->e[i].confidence);
  }
  for (size_t k = 0; k < r->nt; k++) {
    const truth_ev *t = &r->t[k];
    if (t->kind == KLONOS_SYNTH_TRUTH_FALL) {
      s->falls++;
      s->by_type[t->detail & 3]++;
      if (t->hit) s->by_type_hit[t->detail & 3]++;
      if (!t->hit && g_verbose) {
        char what[96];
        snprintf(what, sizeof what, "missed fall (type %d, peak %.2f g)", t->detail, t->peak / 9.80665);
        print_candidates(o, t->t, what);
      }
    }
    if (t->kind == KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT) {
      s->sits++;
      s->sits_called_fall += t->called_fall;
    }
  }
  match(r, o, KL_NEAR_FALL, KLONOS_SYNTH_TRUTH_NEAR_FALL, &hits, &fdet);
  if (g_verbose > 1)
    for (size_t i = 0; i < o->n; i++) {
      if (o->e[i].kind != KL_NEAR_FALL) continue;
      int ok = 0;
      for (size_t k = 0; k < r->nt; k++)
        if (r->t[k].kind == KLONOS_SYNTH_TRUTH_NEAR_FALL && fabs(r->t[k].t - o->e[i].impact_s) <= MATCH_S) ok = 1;
      const kl_fall_event *e = &o->e[i];
      printf("    %s near-fall %.2f s: %.2f g v=%.2f drop=%.2f tilt %.0f->%.0f exc=%.0f sd=%.2f bg=%.2f from %d\n",
             ok ? "true" : "FALSE", e->impact_s, e->impact_mps2 / 9.80665, e->descent_mps, e->drop_m,
             e->tilt_before_deg, e->tilt_after_deg, e->excursion_deg, e->still_sd_mps2, e->background_ratio,
             e->from_state);
    }
  s->near_hit += hits;
  s->false_near += fdet;
  for (size_t k = 0; k < r->nt; k++)
    if (r->t[k].kind == KLONOS_SYNTH_TRUTH_NEAR_FALL) {
      s->near++;
      if (!r->t[k].hit && g_verbose > 1) {
        char what[96];
        snprintf(what, sizeof what, "missed near-fall (peak %.2f g)", r->t[k].peak / 9.80665);
        print_candidates(o, r->t[k].t, what);
      }
    }
  s->hours += (double)r->n / r->fs / 3600.0;
  s->upright_h += r->upright_s / 3600.0;
}

static double ratio(int a, int b) { return b > 0 ? (double)a / b : NAN; }

/* ---- tables -------------------------------------------------------------- */

static klonos_synth_config falls_config(uint64_t seed, double fs, double hours) {
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  c.scenario = KLONOS_SYNTH_FALLS;
  c.seed = seed;
  c.rate_hz = fs;
  c.duration_s = hours * 3600.0;
  c.severity = (double)(seed % 5) / 4.0; /* 0, 0.25, ... 1 across the seeds */
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  return c;
}

/* Run @p seeds recordings; @p sits_only: no falls or near-falls, more sits and play. */
static void run_set(double fs, int seeds, int sits_only, const kl_falls_config *cfg, double vert_err_deg, score *s) {
  memset(s, 0, sizeof *s);
  for (int k = 0; k < seeds; k++) {
    klonos_synth_config c = falls_config(1000u * (sits_only ? 7u : 1u) + (uint64_t)k, fs, 1.0);
    klonos_synth_params p;
    klonos_synth_params_derive(&c, &p);
    if (sits_only) {
      p.fall_rate_per_hour = 0.0;
      p.near_fall_rate_per_hour = 0.0;
      p.fast_sit_rate_per_hour = 120.0;
      p.play_rate_per_min = 6.0;
    }
    rec r;
    if (render(&c, &p, &r)) {
      g_failed = 2;
      return;
    }
    double v[3] = {r.vertical[0], r.vertical[1], r.vertical[2]};
    if (vert_err_deg > 0.0) {
      /* Tilt the vertical by vert_err_deg toward a perpendicular axis. */
      double a[3] = {0, 0, 0};
      a[fabs(v[0]) < 0.9 ? 0 : 1] = 1.0;
      double dot = a[0] * v[0] + a[1] * v[1] + a[2] * v[2], w[3], nw = 0;
      for (int i = 0; i < 3; i++) w[i] = a[i] - dot * v[i], nw += w[i] * w[i];
      nw = sqrt(nw);
      const double e = vert_err_deg * PI / 180.0;
      for (int i = 0; i < 3; i++) v[i] = cos(e) * v[i] + sin(e) * w[i] / nw;
    }
    dets o;
    if (detect(r.x, r.n, 3, r.fs, v, cfg, 4096, &o)) {
      g_failed = 2;
      rec_free(&r);
      return;
    }
    if (g_verbose) printf("  seed %d (severity %.2f):\n", k, c.severity);
    score_add(s, &r, &o);
    free(o.e);
    free(o.tr);
    rec_free(&r);
  }
}

static void print_row(const char *label, double fs, const score *s) {
  printf("| %s | %.0f | %.1f | %d | %.3f | %.2f | %.2f | %d / %d | %.2f | %d | %.3f | %.2f |\n", label, fs, s->hours,
         s->falls, ratio(s->falls_hit, s->falls), s->false_falls / s->hours,
         s->upright_h > 0 ? s->false_falls / s->upright_h : NAN, s->sits_called_fall, s->sits,
         s->sits / s->hours, s->near, ratio(s->near_hit, s->near), s->false_near / s->hours);
}

static void table_header(void) {
  printf("| set | Hz | hours | falls | sensitivity | false falls/h | per upright h | sits called falls | sits/h "
         "| near-falls | near-fall rate | false near-falls/h |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
}

static void synthetic(int seeds) {
  kl_falls_config cfg;
  kl_falls_config_default(&cfg);
  const double rates[] = {50, 100, 200};
  printf("## Synthetic recordings (klonos synth --scenario falls, 1 h each, random rotation)\n\n");
  table_header();
  score by_rate[3];
  for (int i = 0; i < 3; i++) {
    run_set(rates[i], seeds, 0, &cfg, 0.0, &by_rate[i]);
    print_row("falls", rates[i], &by_rate[i]);
  }
  score sits[3];
  for (int i = 0; i < 3; i++) {
    run_set(rates[i], seeds, 1, &cfg, 0.0, &sits[i]);
    print_row("sits+play", rates[i], &sits[i]);
  }
  printf("\nSensitivity by fall type (100 Hz): to sitting %d/%d, to lying %d/%d, topple from sitting %d/%d\n",
         by_rate[1].by_type_hit[1], by_rate[1].by_type[1], by_rate[1].by_type_hit[2], by_rate[1].by_type[2],
         by_rate[1].by_type_hit[3], by_rate[1].by_type[3]);
  for (int i = 0; i < 3; i++) {
    const int ok = ratio(by_rate[i].falls_hit, by_rate[i].falls) >= 0.9 &&
                   by_rate[i].false_falls / by_rate[i].hours <= 1.0 && sits[i].false_falls / sits[i].hours <= 1.0;
    printf("Target at %.0f Hz (sensitivity >= 0.9, <= 1 false fall/h in both sets): %s\n", rates[i],
           ok ? "met" : "**MISSED**");
    if (!ok) g_failed = 1;
  }

  printf("\n## Robustness (100 Hz)\n\n");
  table_header();
  score s;
  run_set(100, seeds, 0, &cfg, 15.0, &s);
  print_row("falls, vertical 15 deg off", 100, &s);
  run_set(100, seeds, 1, &cfg, 15.0, &s);
  print_row("sits+play, vertical 15 deg off", 100, &s);
  const double nimp[] = {1.6, 2.0};
  for (size_t i = 0; i < sizeof nimp / sizeof nimp[0]; i++) {
    kl_falls_config c2 = cfg;
    c2.near_impact_g = nimp[i];
    char label[64];
    snprintf(label, sizeof label, "falls, near_impact %.1f g", nimp[i]);
    run_set(100, seeds, 0, &c2, 0.0, &s);
    print_row(label, 100, &s);
    snprintf(label, sizeof label, "sits+play, near_impact %.1f g", nimp[i]);
    run_set(100, seeds, 1, &c2, 0.0, &s);
    print_row(label, 100, &s);
  }
  const double dmin[] = {0.10, 0.20};
  for (size_t i = 0; i < sizeof dmin / sizeof dmin[0]; i++) {
    kl_falls_config c2 = cfg;
    c2.drop_min_m = dmin[i];
    char label[64];
    snprintf(label, sizeof label, "falls, drop_min %.2f m", dmin[i]);
    run_set(100, seeds, 0, &c2, 0.0, &s);
    print_row(label, 100, &s);
    snprintf(label, sizeof label, "sits+play, drop_min %.2f m", dmin[i]);
    run_set(100, seeds, 1, &c2, 0.0, &s);
    print_row(label, 100, &s);
  }
  const double vel[] = {0.8, 1.0, 1.4, 1.6};
  for (size_t i = 0; i < sizeof vel / sizeof vel[0]; i++) {
    kl_falls_config c2 = cfg;
    c2.fall_velocity_mps = vel[i];
    char label[64];
    snprintf(label, sizeof label, "falls, fall_velocity %.1f m/s", vel[i]);
    run_set(100, seeds, 0, &c2, 0.0, &s);
    print_row(label, 100, &s);
    snprintf(label, sizeof label, "sits+play, fall_velocity %.1f m/s", vel[i]);
    run_set(100, seeds, 1, &c2, 0.0, &s);
    print_row(label, 100, &s);
  }
}

/* ---- the other scenarios (no falls in them) -------------------------------- */

static void other_scenarios(void) {
  static const struct {
    int scenario;
    double hours;
  } sc[] = {{KLONOS_SYNTH_DAILY, 8.0}, {KLONOS_SYNTH_WALKING_JERKS, 2.0}, {KLONOS_SYNTH_STANCE_JERKS, 2.0},
            {KLONOS_SYNTH_CLUSTERS, 2.0}, {KLONOS_SYNTH_WALKING, 2.0}};
  printf("\n## The other synthetic scenarios (no falls, no near-falls), 100 Hz, severity 1, random rotation\n\n");
  printf("| scenario | hours | false falls | per hour | false near-falls | per hour | upright h (detector) |\n");
  printf("|---|---|---|---|---|---|---|\n");
  kl_falls_config cfg;
  kl_falls_config_default(&cfg);
  for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
    klonos_synth_config c;
    klonos_synth_config_default(&c);
    c.scenario = sc[i].scenario;
    c.severity = 1.0;
    c.seed = 77 + i;
    c.duration_s = sc[i].hours * 3600.0;
    c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
    rec r;
    if (render(&c, NULL, &r)) {
      g_failed = 2;
      return;
    }
    dets o;
    detect(r.x, r.n, 3, r.fs, r.vertical, &cfg, 4096, &o);
    int nf = 0, nn = 0;
    for (size_t k = 0; k < o.n; k++) {
      if (o.e[k].kind == KL_FALL) nf++;
      else nn++;
    }
    printf("| %s | %.1f | %d | %.2f | %d | %.2f | %.2f |\n", klonos_synth_scenario_name(c.scenario), sc[i].hours, nf,
           nf / sc[i].hours, nn, nn / sc[i].hours, o.st.upright_s / 3600.0);
    if (nf / sc[i].hours > 1.0) g_failed = 1;
    free(o.e);
    free(o.tr);
    rec_free(&r);
  }
}

/* ---- chunking and speed ---------------------------------------------------- */

static void chunking_and_speed(void) {
  klonos_synth_config c = falls_config(4242, 100, 0.5);
  rec r;
  if (render(&c, NULL, &r)) {
    g_failed = 2;
    return;
  }
  kl_falls_config cfg;
  kl_falls_config_default(&cfg);
  dets a, b, d;
  detect(r.x, r.n, 3, r.fs, r.vertical, &cfg, 1, &a);
  detect(r.x, r.n, 3, r.fs, r.vertical, &cfg, 7, &b);
  detect(r.x, r.n, 3, r.fs, r.vertical, &cfg, 4096, &d);
  const int same = a.n == b.n && a.n == d.n && (a.n == 0 || (!memcmp(a.e, b.e, a.n * sizeof *a.e) &&
                                                             !memcmp(a.e, d.e, a.n * sizeof *a.e)));
  printf("\nChunks of 1, 7 and 4096 frames: %zu events each, identical: %s\n", a.n, same ? "yes" : "**NO**");
  if (!same) g_failed = 1;
  printf("Throughput (100 Hz, chunks of 4096): %.1f M frames/s\n", (double)r.n / d.seconds / 1e6);
  free(a.e);
  free(b.e);
  free(d.e);
  free(a.tr);
  free(b.tr);
  free(d.tr);
  rec_free(&r);
}

/* ---- real recordings ------------------------------------------------------- */

static void real(const char *dir) {
  static const char *files[] = {
      "axivity-ax3-lowerback-gait/ax3_sample.cwa",
      "axivity-ax3-walk-610steps/example-610-steps.cwa",
      "geneactiv-bin/GENEActiv_testfile.bin",
      "actigraph-gt3x-waist/actigraph_testfile.gt3x",
      "mobilised-lowerback/HA001/TimeMeasure1_Test11_Trial1.csv",
      "mobilised-lowerback/HA001/TimeMeasure1_Test5_Trial1.csv",
      "mobilised-lowerback/HA001/TimeMeasure1_Test5_Trial2.csv",
      "mobilised-lowerback/HA002/TimeMeasure1_Test11_Trial1.csv",
      "mobilised-lowerback/HA002/TimeMeasure1_Test5_Trial1.csv",
      "mobilised-lowerback/HA002/TimeMeasure1_Test5_Trial2.csv",
      "mobilised-lowerback/MS001/TimeMeasure1_Test11_Trial1.csv",
      "mobilised-lowerback/MS001/TimeMeasure1_Test5_Trial1.csv",
      "mobilised-lowerback/MS001/TimeMeasure1_Test5_Trial2.csv",
      "ipol-lowerback-feet-gait/1-1_lb.txt",
      "ipol-lowerback-feet-gait/5-2_lb.txt",
      "axivity-ax3-wrist/ax3_testfile.cwa",
      "axivity-ax6-gyro/ax6_testfile.cwa",
  };
  printf("\n## Real recordings (adults without falls)\n\n");
  printf("| file | Hz | minutes | upright min | falls | falls/h | near-falls | near-falls/h | note |\n");
  printf("|---|---|---|---|---|---|---|---|---|\n");
  double tot_s = 0.0;
  int tot_f = 0, tot_nf = 0;
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, files[f]);
    klonos_reader_options opt;
    klonos_reader_options_default(&opt);
    if (strstr(files[f], "mobilised")) opt.rate_hz = 100;
    klonos_reader *rd = NULL;
    if (klonos_reader_open(&rd, path, &opt) != KLONOS_OK) {
      printf("| %s | unreadable: %s |\n", files[f], klonos_reader_error(rd));
      klonos_reader_close(&rd);
      continue;
    }
    klonos_recording_info info;
    klonos_reader_info(rd, &info);
    const int nch = info.channel_count;
    const double fs = info.sample_rate_hz;
    size_t cap = 1 << 16, n = 0;
    float *x = malloc(cap * (size_t)nch * sizeof(float));
    for (;;) {
      if (n + 65536 > cap) x = realloc(x, (cap *= 2) * (size_t)nch * sizeof(float));
      size_t got = 0;
      if (klonos_reader_read_f32(rd, x + n * (size_t)nch, 65536, &got) != KLONOS_OK || got == 0) break;
      n += got;
    }
    klonos_reader_close(&rd);
    /* The body vertical: the mean acceleration (these recordings are mostly upright). */
    double v[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
      if (isfinite(x[i * (size_t)nch]))
        for (int k = 0; k < 3; k++) v[k] += x[i * (size_t)nch + (size_t)k];
    kl_falls_config cfg;
    kl_falls_config_default(&cfg);
    dets o;
    const double rate = fs < 25 ? 25 : (fs > 1000 ? 1000 : fs);
    if (n == 0 || detect(x, (int64_t)n, nch, rate, v, &cfg, 4096, &o)) {
      printf("| %s | %.1f | detector failed |\n", files[f], fs);
      free(x);
      continue;
    }
    int nf = 0, nn = 0;
    for (size_t i = 0; i < o.n; i++) {
      if (o.e[i].kind == KL_FALL) nf++;
      else nn++;
      if (g_verbose)
        printf("    %s %.2f s: %.2f g v=%.2f drop=%.2f tilt %.0f->%.0f reor=%.0f exc=%.0f sd=%.2f bg=%.2f\n",
               o.e[i].kind == KL_FALL ? "fall" : "near-fall", o.e[i].impact_s, o.e[i].impact_mps2 / 9.80665,
               o.e[i].descent_mps, o.e[i].drop_m, o.e[i].tilt_before_deg, o.e[i].tilt_after_deg, o.e[i].reorient_deg,
               o.e[i].excursion_deg, o.e[i].still_sd_mps2, o.e[i].background_ratio);
    }
    const double minutes = (double)n / fs / 60.0;
    const int shaken = strstr(files[f], "ax6") != NULL, wrist = strstr(files[f], "wrist") != NULL;
    printf("| %s | %.1f | %.2f | %.2f | %d | %.2f | %d | %.2f | %s |\n", files[f], fs, minutes, o.st.upright_s / 60.0,
           nf, nf / (minutes / 60.0), nn, nn / (minutes / 60.0),
           shaken ? "shaken device, not wear (reported apart)" : (wrist ? "wrist, not trunk (reported apart)" : ""));
    if (!shaken && !wrist) {
      tot_s += (double)n / fs;
      tot_f += nf;
      tot_nf += nn;
    }
    free(o.e);
    free(o.tr);
    free(x);
  }
  printf("| **total, trunk/waist wear** | | %.2f | | %d | %.2f | %d | %.2f | |\n", tot_s / 60.0, tot_f,
         tot_f / (tot_s / 3600.0), tot_nf, tot_nf / (tot_s / 3600.0));
}

int main(int argc, char **argv) {
  int seeds = 20, do_real = 1;
  const char *env = getenv("KLONOS_REAL_DATA");
  const char *dir = env && *env ? env : "../shared/data/real";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) seeds = 4;
    else if (!strcmp(argv[i], "--verbose")) g_verbose = 1;
    else if (!strcmp(argv[i], "-vv")) g_verbose = 2;
    else if (!strcmp(argv[i], "--no-real")) do_real = 0;
    else if (!strcmp(argv[i], "--real") && i + 1 < argc) dir = argv[++i];
    else if (!strcmp(argv[i], "--seeds") && i + 1 < argc) seeds = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_falls [--quick] [--verbose] [--seeds N] [--real DIR] [--no-real]\n");
      return 2;
    }
  }
  if (seeds < 1) seeds = 1;
  printf("# bench_falls (%d one-hour recordings per set)\n\n", seeds);
  synthetic(seeds);
  other_scenarios();
  chunking_and_speed();
  if (do_real) real(dir);
  return g_failed;
}
