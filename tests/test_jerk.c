/* The streaming jerk detector (lib/detect/jerk.h) against ground truth:
 * synthetic recordings of the library's generator (klonos/synth.h) and a few
 * signals built here (posture changes, gaps). An event is found when its
 * onset lies within +-100 ms of a true onset (one-to-one). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/jerk.h"
#include "klonos/klonos.h"
#include "klonos/synth.h"

#define G 9.80665
#define TOL_S 0.1

typedef struct rec {
  double rate;
  size_t n;
  float *x; /* 3 channels */
  double onset[4096];
  size_t ntruth;
  double trem_f[64];
  size_t ntrem;
} rec;

static rec *render(int scenario, double severity, double dur, double rate, uint64_t seed) {
  rec *r = calloc(1, sizeof *r);
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  c.scenario = scenario;
  c.severity = severity;
  c.duration_s = dur;
  c.rate_hz = rate;
  c.seed = seed;
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  klonos_synth *s = NULL;
  cr_assert_eq(klonos_synth_open(&s, &c, NULL), KLONOS_OK, "%s", klonos_synth_error(s));
  int64_t nf = 0;
  klonos_synth_frame_count(s, &nf);
  r->rate = rate;
  r->n = (size_t)nf;
  r->x = malloc(r->n * 3 * sizeof(float));
  size_t pos = 0, got = 0;
  do {
    cr_assert_eq(klonos_synth_render(s, r->x + 3 * pos, r->n - pos, &got), KLONOS_OK);
    size_t nt = 0;
    klonos_synth_truth_count(s, &nt);
    for (size_t i = 0; i < nt; i++) {
      klonos_synth_truth it;
      klonos_synth_truth_get(s, i, &it);
      if (it.kind == KLONOS_SYNTH_TRUTH_JERK && r->ntruth < 4096) r->onset[r->ntruth++] = it.start_s;
      if (it.kind == KLONOS_SYNTH_TRUTH_TREMOR && r->ntrem < 64) r->trem_f[r->ntrem++] = it.freq_hz;
    }
    pos += got;
  } while (got > 0 && pos < r->n);
  klonos_synth_close(&s);
  return r;
}

static void rec_free(rec *r) {
  free(r->x);
  free(r);
}

typedef struct out {
  kl_jerk_event ev[4096];
  size_t nev;
  kl_jerk_cluster cl[256];
  size_t ncl;
  kl_tremor_episode tr[64];
  size_t ntr;
  kl_jerk_stats st;
} out;

static void drain(kl_jerk_detector *d, out *o) {
  while (o->nev < 4096 && kl_jerk_detector_pop_event(d, &o->ev[o->nev]) == 1) o->nev++;
  while (o->ncl < 256 && kl_jerk_detector_pop_cluster(d, &o->cl[o->ncl]) == 1) o->ncl++;
  while (o->ntr < 64 && kl_jerk_detector_pop_tremor(d, &o->tr[o->ntr]) == 1) o->ntr++;
}

static out *run(const float *x, size_t n, double rate, size_t chunk) {
  out *o = calloc(1, sizeof *o);
  kl_jerk_detector *d = NULL;
  cr_assert_eq(kl_jerk_detector_create(&d, NULL, rate, 3), KLONOS_OK);
  for (size_t i = 0; i < n; i += chunk) {
    cr_assert_eq(kl_jerk_detector_push(d, x + 3 * i, n - i < chunk ? n - i : chunk), KLONOS_OK);
    drain(d, o);
  }
  cr_assert_eq(kl_jerk_detector_finish(d), KLONOS_OK);
  drain(d, o);
  kl_jerk_detector_stats(d, &o->st);
  kl_jerk_detector_destroy(&d);
  cr_assert_null(d);
  return o;
}

/* One-to-one matching, closest pairs first: true positives. */
static size_t matched(const double *truth, size_t nt, const out *o) {
  char *used_t = calloc(nt + 1, 1), *used_e = calloc(o->nev + 1, 1);
  size_t tp = 0;
  for (;;) {
    double best = TOL_S;
    size_t bt = 0, be = 0;
    int found = 0;
    for (size_t t = 0; t < nt; t++) {
      if (used_t[t]) continue;
      for (size_t e = 0; e < o->nev; e++) {
        double dd = fabs(o->ev[e].onset_s - truth[t]);
        if (!used_e[e] && dd <= best) best = dd, bt = t, be = e, found = 1;
      }
    }
    if (!found) break;
    used_t[bt] = used_e[be] = 1;
    tp++;
  }
  free(used_t);
  free(used_e);
  return tp;
}

static void check_events_valid(const out *o, double dur) {
  for (size_t e = 0; e < o->nev; e++) {
    const kl_jerk_event *v = &o->ev[e];
    cr_assert(v->onset_s >= 0 && v->onset_s < v->offset_s && v->offset_s <= dur + 1e-9);
    cr_assert(v->peak_acc_mps2 > 0 && v->peak_jerk_mps3 > 0);
    cr_assert(v->confidence >= 0 && v->confidence <= 1);
    double n2 = v->direction[0] * v->direction[0] + v->direction[1] * v->direction[1] +
                v->direction[2] * v->direction[2];
    cr_assert_float_eq(n2, 1.0, 1e-6);
    if (e) cr_assert(v->onset_s >= o->ev[e - 1].onset_s, "events come in onset order");
  }
}

Test(jerk, config_and_arguments) {
  kl_jerk_config c;
  kl_jerk_config_default(&c);
  kl_jerk_detector *d = NULL;
  cr_assert_eq(kl_jerk_detector_create(&d, &c, 100, 3), KLONOS_OK);
  kl_jerk_detector_destroy(&d);
  cr_assert_eq(kl_jerk_detector_create(&d, &c, 100, 6), KLONOS_OK);
  kl_jerk_detector_destroy(&d);
  kl_jerk_detector_destroy(&d); /* NULL is fine */
  cr_assert_eq(kl_jerk_detector_create(&d, &c, 10, 3), KLONOS_E_RATE);
  cr_assert_eq(kl_jerk_detector_create(&d, &c, 2000, 3), KLONOS_E_RATE);
  cr_assert_eq(kl_jerk_detector_create(&d, &c, NAN, 3), KLONOS_E_RATE);
  cr_assert_eq(kl_jerk_detector_create(&d, &c, 100, 4), KLONOS_E_CHANNELS);
  cr_assert_null(d);
  cr_assert_eq(kl_jerk_detector_create(NULL, &c, 100, 3), KLONOS_E_INVAL);
  /* each bad field */
  kl_jerk_config b;
  b = c, b.band_lo_hz = 30;
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  b = c, b.band_hi_hz = NAN;
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  b = c, b.filter_order = 9;
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  b = c, b.thr_abs_mps3 = -1;
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  b = c, b.max_duration_s = 0;
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  b = c, b.tremor_hop_s = 3; /* more than half the window */
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  b = c, b.step_max_s = 0.1;
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  b = c, b.cluster_min_count = 1;
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  b = c, b.reserved_i = 1;
  cr_assert_eq(kl_jerk_detector_create(&d, &b, 100, 3), KLONOS_E_INVAL);
  cr_assert_null(d);
  /* NULL config = defaults; bad calls */
  cr_assert_eq(kl_jerk_detector_create(&d, NULL, 25, 3), KLONOS_OK);
  kl_jerk_event e;
  cr_assert_eq(kl_jerk_detector_push(d, NULL, 5), KLONOS_E_INVAL);
  cr_assert_eq(kl_jerk_detector_push(d, NULL, 0), KLONOS_OK);
  cr_assert_eq(kl_jerk_detector_pop_event(d, NULL), KLONOS_E_INVAL);
  cr_assert_eq(kl_jerk_detector_finish(d), KLONOS_OK);
  float f[3] = {0, 0, G};
  cr_assert_eq(kl_jerk_detector_push(d, f, 1), KLONOS_E_STATE);
  cr_assert_eq(kl_jerk_detector_pop_event(d, &e), 0);
  kl_jerk_detector_destroy(&d);
}

Test(jerk, empty_and_short_input) {
  for (int k = 0; k < 3; k++) {
    size_t n = k == 0 ? 0 : k == 1 ? 1 : 50; /* nothing, one frame, half a second */
    float *x = calloc(3 * (n + 1), sizeof(float));
    for (size_t i = 0; i < n; i++) x[3 * i + 2] = (float)G;
    if (n == 50) x[3 * 25] = 8; /* a spike right at the start: inside the start guard */
    out *o = run(x, n, 100, 7);
    cr_assert_eq(o->nev, 0);
    cr_assert_eq(o->ncl, 0);
    cr_assert_eq(o->ntr, 0);
    free(o);
    free(x);
  }
}

/* Quiet stance with isolated jerks 1.5-12 m/s^2 at 50, 100 and 200 Hz: the
 * same motion gives the same number of events within 5%. */
Test(jerk, stance_jerks_three_rates, .timeout = 60) {
  size_t counts[3];
  const double rates[3] = {50, 100, 200};
  for (int k = 0; k < 3; k++) {
    rec *r = render(KLONOS_SYNTH_STANCE_JERKS, 1.0, 240, rates[k], 11);
    out *o = run(r->x, r->n, r->rate, 4096);
    check_events_valid(o, (double)r->n / r->rate);
    size_t tp = matched(r->onset, r->ntruth, o);
    double sens = (double)tp / (double)r->ntruth, prec = o->nev ? (double)tp / (double)o->nev : 0;
    cr_assert(r->ntruth >= 30);
    cr_assert(sens >= 0.95, "%g Hz: sensitivity %g (%zu/%zu)", rates[k], sens, tp, r->ntruth);
    cr_assert(prec >= 0.95, "%g Hz: precision %g (%zu/%zu)", rates[k], prec, tp, o->nev);
    cr_assert_eq(o->ntr, 0, "no tremor in stance");
    counts[k] = o->nev;
    free(o);
    rec_free(r);
  }
  size_t lo = counts[0], hi = counts[0];
  for (int k = 1; k < 3; k++) {
    if (counts[k] < lo) lo = counts[k];
    if (counts[k] > hi) hi = counts[k];
  }
  cr_assert((double)(hi - lo) <= 0.05 * (double)hi, "counts %zu %zu %zu", counts[0], counts[1], counts[2]);
}

Test(jerk, clusters, .timeout = 60) {
  rec *r = render(KLONOS_SYNTH_CLUSTERS, 1.0, 400, 100, 5);
  out *o = run(r->x, r->n, r->rate, 4096);
  check_events_valid(o, (double)r->n / r->rate);
  size_t tp = matched(r->onset, r->ntruth, o);
  double sens = (double)tp / (double)r->ntruth, prec = (double)tp / (double)o->nev;
  cr_assert(r->ntruth >= 20);
  cr_assert(sens >= 0.90, "sensitivity %g (%zu/%zu)", sens, tp, r->ntruth);
  cr_assert(prec >= 0.95, "precision %g (%zu/%zu)", prec, tp, o->nev);
  /* clusters reported, each event of a cluster carries its id */
  cr_assert(o->ncl >= 3, "%zu clusters", o->ncl);
  for (size_t c = 0; c < o->ncl; c++) {
    cr_assert(o->cl[c].count >= 3 && o->cl[c].end_s > o->cl[c].start_s);
    size_t members = 0;
    for (size_t e = 0; e < o->nev; e++) members += o->ev[e].cluster_id == o->cl[c].id;
    cr_assert_eq(members, (size_t)o->cl[c].count);
  }
  free(o);
  rec_free(r);
}

/* Walking (ataxic gait of the generator's severity 0.5) with jerks 4-9 m/s^2,
 * and walking alone: the steps are not jerks. */
Test(jerk, walking, .timeout = 60) {
  rec *r = render(KLONOS_SYNTH_WALKING_JERKS, 0.5, 600, 100, 3);
  out *o = run(r->x, r->n, r->rate, 4096);
  size_t tp = matched(r->onset, r->ntruth, o);
  double sens = (double)tp / (double)r->ntruth;
  cr_assert(r->ntruth >= 30);
  cr_assert(sens >= 0.70, "sensitivity %g (%zu/%zu)", sens, tp, r->ntruth);
  cr_assert(o->nev - tp <= 6, "%zu false events in 10 min", o->nev - tp);
  free(o);
  rec_free(r);
  r = render(KLONOS_SYNTH_WALKING, 0.0, 600, 100, 3);
  o = run(r->x, r->n, r->rate, 4096);
  cr_assert(o->nev <= 1, "%zu false events in 10 min of healthy walking", o->nev);
  free(o);
  rec_free(r);
}

Test(jerk, tremor_only, .timeout = 60) {
  rec *r = render(KLONOS_SYNTH_TREMOR, 1.0, 300, 100, 2);
  cr_assert(r->ntrem >= 2);
  out *o = run(r->x, r->n, r->rate, 4096);
  cr_assert_eq(o->nev, 0, "%zu false events", o->nev);
  cr_assert(o->ntr >= 1);
  /* every true episode is reported with its frequency within 0.3 Hz */
  for (size_t t = 0; t < r->ntrem; t++) {
    int ok = 0;
    for (size_t k = 0; k < o->ntr; k++) ok |= fabs(o->tr[k].freq_hz - r->trem_f[t]) <= 0.3;
    cr_assert(ok, "tremor at %g Hz not reported", r->trem_f[t]);
  }
  for (size_t k = 0; k < o->ntr; k++) cr_assert(o->tr[k].amp_mps2 > 0 && o->tr[k].end_s > o->tr[k].start_s);
  free(o);
  rec_free(r);
}

/* Sit-to-stand and stand-to-sit and lying down, built here: the trunk
 * rotates by 60-90 degrees over 1.5-3 s (minimum-jerk profile) with a
 * forward swing of 1.5 m/s^2, on postural sway and sensor noise. */
static float *posture_signal(double rate, size_t *n_out) {
  const double dur = 120;
  size_t n = (size_t)(dur * rate);
  float *x = malloc(3 * n * sizeof(float));
  unsigned s = 12345;
  const double t0[6] = {10, 30, 50, 70, 90, 105}, len[6] = {2.0, 1.5, 3.0, 2.5, 1.8, 2.2};
  const double ang[7] = {0, 70, 0, 90, 0, 60, 0};
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / rate, th = ang[0], sw = 0;
    for (int k = 0; k < 6; k++) {
      if (t < t0[k]) break;
      double u = (t - t0[k]) / len[k];
      if (u > 1) u = 1;
      double mj = u * u * u * (10 - 15 * u + 6 * u * u);
      th = ang[k] + (ang[k + 1] - ang[k]) * mj;
      if (u < 1) sw = 1.5 * sin(2 * M_PI * u);
    }
    th *= M_PI / 180;
    s = s * 1664525u + 1013904223u;
    double nz = ((s >> 8) / 16777216.0 - 0.5) * 0.02;
    double ap = 0.05 * sin(2 * M_PI * 0.4 * t) + sw, ml = 0.04 * sin(2 * M_PI * 0.25 * t + 1);
    x[3 * i] = (float)(G * cos(th) + nz);
    x[3 * i + 1] = (float)(G * sin(th) + ap);
    x[3 * i + 2] = (float)(ml - nz);
  }
  *n_out = n;
  return x;
}

Test(jerk, posture_changes_only) {
  const double rates[3] = {50, 100, 200};
  for (int k = 0; k < 3; k++) {
    size_t n;
    float *x = posture_signal(rates[k], &n);
    out *o = run(x, n, rates[k], 4096);
    cr_assert_eq(o->nev, 0, "%g Hz: %zu events", rates[k], o->nev);
    free(o);
    free(x);
  }
}

/* The same recording turned by a fixed rotation gives the same events. */
Test(jerk, rotation_invariance, .timeout = 30) {
  rec *r = render(KLONOS_SYNTH_STANCE_JERKS, 1.0, 180, 100, 21);
  const double a = 0.7, b = -1.1, c = 2.3; /* Rz(c) Ry(b) Rx(a) */
  const double ca = cos(a), sa = sin(a), cb = cos(b), sb = sin(b), cc = cos(c), sc = sin(c);
  const double R[9] = {cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa,
                       sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa,
                       -sb,     cb * sa,                 cb * ca};
  float *y = malloc(r->n * 3 * sizeof(float));
  for (size_t i = 0; i < r->n; i++)
    for (int k = 0; k < 3; k++)
      y[3 * i + k] = (float)(R[3 * k] * r->x[3 * i] + R[3 * k + 1] * r->x[3 * i + 1] + R[3 * k + 2] * r->x[3 * i + 2]);
  out *o1 = run(r->x, r->n, 100, 4096), *o2 = run(y, r->n, 100, 4096);
  cr_assert(o1->nev >= 20);
  cr_assert_eq(o1->nev, o2->nev);
  for (size_t e = 0; e < o1->nev; e++) {
    cr_assert_float_eq(o1->ev[e].onset_s, o2->ev[e].onset_s, 0.011);
    cr_assert_float_eq(o1->ev[e].peak_acc_mps2, o2->ev[e].peak_acc_mps2, 1e-3 * o1->ev[e].peak_acc_mps2 + 1e-3);
    /* the direction turns with the sensor */
    for (int k = 0; k < 3; k++) {
      double v = R[3 * k] * o1->ev[e].direction[0] + R[3 * k + 1] * o1->ev[e].direction[1] +
                 R[3 * k + 2] * o1->ev[e].direction[2];
      cr_assert_float_eq(v, o2->ev[e].direction[k], 1e-3);
    }
  }
  free(o1);
  free(o2);
  free(y);
  rec_free(r);
}

static void same_output(const out *a, const out *b) {
  cr_assert_eq(a->nev, b->nev);
  cr_assert_eq(memcmp(a->ev, b->ev, a->nev * sizeof(kl_jerk_event)), 0, "events differ");
  cr_assert_eq(a->ncl, b->ncl);
  cr_assert_eq(memcmp(a->cl, b->cl, a->ncl * sizeof(kl_jerk_cluster)), 0, "clusters differ");
  cr_assert_eq(a->ntr, b->ntr);
  cr_assert_eq(memcmp(a->tr, b->tr, a->ntr * sizeof(kl_tremor_episode)), 0, "tremor episodes differ");
}

/* Chunks of 1, 7 and 4096 frames give bit-identical results, with gaps,
 * clusters and tremor in the recording. */
Test(jerk, chunking_invariance, .timeout = 60) {
  rec *r = render(KLONOS_SYNTH_DAILY, 1.0, 300, 100, 8);
  for (size_t i = 12000; i < 12150; i++) r->x[3 * i] = r->x[3 * i + 1] = r->x[3 * i + 2] = NAN;
  out *a = run(r->x, r->n, 100, 4096), *b = run(r->x, r->n, 100, 7), *c = run(r->x, r->n, 100, 1);
  cr_assert(a->nev > 0);
  same_output(a, b);
  same_output(a, c);
  free(a);
  free(b);
  free(c);
  rec_free(r);
  rec *t = render(KLONOS_SYNTH_TREMOR, 1.0, 120, 50, 4);
  a = run(t->x, t->n, 50, 4096), b = run(t->x, t->n, 50, 7), c = run(t->x, t->n, 50, 1);
  cr_assert(a->ntr > 0);
  same_output(a, b);
  same_output(a, c);
  free(a);
  free(b);
  free(c);
  rec_free(t);
}

/* NaN runs are gaps: no event inside or at their edges, also when the
 * signal jumps across the gap; the jerks away from the gaps are found. */
Test(jerk, nan_gaps, .timeout = 30) {
  rec *r = render(KLONOS_SYNTH_STANCE_JERKS, 1.0, 240, 100, 13);
  /* gaps of 0.05, 2 and 10 s; after each the device sits at another angle */
  const size_t g0[3] = {3000, 9000, 16000}, gl[3] = {5, 200, 1000};
  for (int k = 0; k < 3; k++) {
    for (size_t i = g0[k]; i < g0[k] + gl[k]; i++) r->x[3 * i] = r->x[3 * i + 1] = r->x[3 * i + 2] = NAN;
    for (size_t i = g0[k] + gl[k]; i < r->n; i++) {
      float y = r->x[3 * i + 1], z = r->x[3 * i + 2];
      r->x[3 * i + 1] = 0.8f * y - 0.6f * z;
      r->x[3 * i + 2] = 0.6f * y + 0.8f * z;
    }
  }
  out *o = run(r->x, r->n, 100, 4096);
  cr_assert_eq(o->st.gap_frames, 1205);
  for (size_t e = 0; e < o->nev; e++)
    for (int k = 0; k < 3; k++) {
      double a = (double)g0[k] / 100 - 0.3, b = (double)(g0[k] + gl[k]) / 100 + 0.3;
      cr_assert(o->ev[e].offset_s <= a || o->ev[e].onset_s >= b, "event %g-%g at gap %d", o->ev[e].onset_s,
                o->ev[e].offset_s, k);
    }
  /* truth away from the gaps is still found */
  double keep[4096] = {0};
  size_t nk = 0;
  for (size_t t = 0; t < r->ntruth; t++) {
    int near = 0;
    for (int k = 0; k < 3; k++)
      near |= r->onset[t] > (double)g0[k] / 100 - 1.0 && r->onset[t] < (double)(g0[k] + gl[k]) / 100 + 1.0;
    if (!near) keep[nk++] = r->onset[t];
  }
  size_t tp = matched(keep, nk, o);
  cr_assert(tp >= (size_t)(0.95 * (double)nk), "%zu of %zu", tp, nk);
  free(o);
  rec_free(r);
  /* a still signal with gaps and jumps: nothing at all */
  size_t n = 6000;
  float *x = malloc(3 * n * sizeof(float));
  for (size_t i = 0; i < n; i++) {
    int seg = (int)(i / 1000);
    x[3 * i] = (float)(seg % 2 ? 0 : G);
    x[3 * i + 1] = 0.01f * (float)sin(0.01 * (double)i);
    x[3 * i + 2] = (float)(seg % 2 ? G : 0);
    if (i % 1000 >= 900) x[3 * i] = x[3 * i + 1] = x[3 * i + 2] = NAN;
  }
  o = run(x, n, 100, 7);
  cr_assert_eq(o->nev, 0);
  free(o);
  free(x);
}

/* Six channels (accelerometer + gyroscope): the gyroscope does not change
 * the acceleration-based events. */
Test(jerk, six_channels) {
  rec *r = render(KLONOS_SYNTH_STANCE_JERKS, 1.0, 120, 100, 17);
  float *y = malloc(r->n * 6 * sizeof(float));
  for (size_t i = 0; i < r->n; i++) {
    memcpy(y + 6 * i, r->x + 3 * i, 3 * sizeof(float));
    y[6 * i + 3] = 0.1f, y[6 * i + 4] = -0.2f, y[6 * i + 5] = 0.05f;
  }
  out *a = run(r->x, r->n, 100, 4096);
  out *b = calloc(1, sizeof *b);
  kl_jerk_detector *d = NULL;
  cr_assert_eq(kl_jerk_detector_create(&d, NULL, 100, 6), KLONOS_OK);
  cr_assert_eq(kl_jerk_detector_push(d, y, r->n), KLONOS_OK);
  cr_assert_eq(kl_jerk_detector_finish(d), KLONOS_OK);
  drain(d, b);
  kl_jerk_detector_destroy(&d);
  cr_assert(a->nev > 0);
  same_output(a, b);
  free(a);
  free(b);
  free(y);
  rec_free(r);
}
