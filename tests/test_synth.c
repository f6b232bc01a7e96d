/* The synthetic-recording generator: determinism, chunking, every
 * component measured against its ground truth, the file writer (read back
 * through the klonos readers), atomic writes and config validation. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "klonos/klonos.h"
#include "testutil.h"

#define G KLONOS_STANDARD_GRAVITY_MPS2
#define PI 3.14159265358979323846

/* ---- helpers ---- */

typedef struct rec {
  float *f;        /* frames */
  int64_t n;       /* frame count */
  int ch;
  double fs;
  double rot[9];   /* body -> sensor */
  klonos_synth_truth *t;
  size_t nt;
  klonos_synth_params p;
} rec;

static klonos_synth_config cfg_for(const char *scenario, double severity, double duration_s, double rate_hz) {
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  cr_assert_eq(klonos_synth_scenario_from_name(scenario, &c.scenario), KLONOS_OK, "scenario %s", scenario);
  c.severity = severity;
  c.duration_s = duration_s;
  c.rate_hz = rate_hz;
  return c;
}

/* Render everything with the given chunk size. */
static rec render_all(const klonos_synth_config *c, const klonos_synth_params *p, size_t chunk) {
  rec r;
  memset(&r, 0, sizeof r);
  klonos_synth *h = NULL;
  int rc = klonos_synth_open(&h, c, p);
  cr_assert_eq(rc, KLONOS_OK, "open: %s: %s", klonos_status_name(rc), klonos_synth_error(h));
  cr_assert_eq(klonos_synth_frame_count(h, &r.n), KLONOS_OK);
  cr_assert_eq(r.n, llround(c->duration_s * c->rate_hz));
  klonos_synth_rotation_matrix(h, r.rot);
  klonos_synth_get_params(h, &r.p);
  r.ch = c->channels;
  r.fs = c->rate_hz;
  r.f = malloc(sizeof(float) * (size_t)r.ch * (size_t)r.n);
  cr_assert(r.f);
  size_t cap_t = 1024;
  r.t = malloc(cap_t * sizeof *r.t);
  int64_t pos = 0;
  for (;;) {
    size_t want = chunk, got = 0, items = 0;
    if ((int64_t)want > r.n - pos) want = (size_t)(r.n - pos);
    rc = klonos_synth_render(h, r.f + pos * r.ch, want, &got);
    cr_assert_eq(rc, KLONOS_OK, "render: %s", klonos_synth_error(h));
    klonos_synth_truth_count(h, &items);
    for (size_t i = 0; i < items; i++) {
      if (r.nt == cap_t) {
        cap_t *= 2;
        r.t = realloc(r.t, cap_t * sizeof *r.t);
      }
      cr_assert_eq(klonos_synth_truth_get(h, i, &r.t[r.nt++]), KLONOS_OK);
    }
    pos += (int64_t)got;
    if (got == 0 && want == 0) {
      /* One more call past the end must deliver nothing and keep working. */
      rc = klonos_synth_render(h, r.f, 0, &got);
      cr_assert_eq(rc, KLONOS_OK);
      break;
    }
    cr_assert(got > 0 || pos == r.n, "render returned 0 frames before the end");
  }
  cr_assert_eq(pos, r.n);
  size_t none = 99;
  klonos_synth_truth_count(h, &none);
  cr_assert_eq(none, 0, "items must belong to the call that completed them");
  klonos_synth_close(&h);
  cr_assert_null(h);
  return r;
}

static void rec_free(rec *r) {
  free(r->f);
  free(r->t);
  memset(r, 0, sizeof *r);
}

/* Sensor frame -> body frame (R^T v). */
static void to_body(const rec *r, int64_t i, double b[3]) {
  const float *v = r->f + i * r->ch;
  for (int j = 0; j < 3; j++) b[j] = r->rot[0 * 3 + j] * v[0] + r->rot[1 * 3 + j] * v[1] + r->rot[2 * 3 + j] * v[2];
}

static double acc_noise_sd(const rec *r) { return r->p.acc_noise_ug_rthz * 1e-6 * G * sqrt(r->fs / 2.0); }

static size_t count_kind(const rec *r, int kind) {
  size_t n = 0;
  for (size_t i = 0; i < r->nt; i++) n += r->t[i].kind == kind;
  return n;
}

/* Body-frame AP and ML RMS around their means over frames [a, b). */
static void sway_rms(const rec *r, int64_t a, int64_t b, double *ap, double *ml) {
  double s[3] = {0}, s2[3] = {0};
  for (int64_t i = a; i < b; i++) {
    double v[3];
    to_body(r, i, v);
    for (int k = 0; k < 3; k++) {
      s[k] += v[k];
      s2[k] += v[k] * v[k];
    }
  }
  const double n = (double)(b - a);
  *ap = sqrt(s2[1] / n - (s[1] / n) * (s[1] / n));
  *ml = sqrt(s2[2] / n - (s[2] / n) * (s[2] / n));
}

/* ---- determinism and chunking ---- */

Test(synth, same_seed_same_frames_other_seed_differs) {
  klonos_synth_config c = cfg_for("daily", 0.7, 900, 50);
  c.channels = 6;
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  rec a = render_all(&c, NULL, 4096), b = render_all(&c, NULL, 4096);
  cr_assert_eq(memcmp(a.f, b.f, sizeof(float) * 6 * (size_t)a.n), 0, "same seed must give identical frames");
  cr_assert_eq(a.nt, b.nt);
  cr_assert_eq(memcmp(a.t, b.t, a.nt * sizeof *a.t), 0);
  c.seed = 2;
  rec d = render_all(&c, NULL, 4096);
  cr_assert_neq(memcmp(a.f, d.f, sizeof(float) * 6 * (size_t)a.n), 0, "another seed must differ");
  cr_assert_neq(memcmp(a.rot, d.rot, sizeof a.rot), 0, "random rotation must follow the seed");
  rec_free(&a);
  rec_free(&b);
  rec_free(&d);
}

static void check_chunking(klonos_synth_config c) {
  rec a = render_all(&c, NULL, 1), b = render_all(&c, NULL, 7), d = render_all(&c, NULL, 4096);
  const size_t bytes = sizeof(float) * (size_t)c.channels * (size_t)a.n;
  cr_assert_eq(memcmp(a.f, b.f, bytes), 0, "%s: chunk 1 vs 7 frames differ", klonos_synth_scenario_name(c.scenario));
  cr_assert_eq(memcmp(a.f, d.f, bytes), 0, "%s: chunk 1 vs 4096 frames differ", klonos_synth_scenario_name(c.scenario));
  cr_assert_eq(a.nt, b.nt, "%s: truth counts %zu vs %zu", klonos_synth_scenario_name(c.scenario), a.nt, b.nt);
  cr_assert_eq(a.nt, d.nt, "%s: truth counts %zu vs %zu", klonos_synth_scenario_name(c.scenario), a.nt, d.nt);
  cr_assert_eq(memcmp(a.t, b.t, a.nt * sizeof *a.t), 0, "%s: truth differs (1 vs 7)", klonos_synth_scenario_name(c.scenario));
  cr_assert_eq(memcmp(a.t, d.t, a.nt * sizeof *a.t), 0, "%s: truth differs (1 vs 4096)", klonos_synth_scenario_name(c.scenario));
  rec_free(&a);
  rec_free(&b);
  rec_free(&d);
}

Test(synth, chunk_sizes_give_identical_frames_and_truth) {
  klonos_synth_config c = cfg_for("walking-jerks", 1.0, 400, 100);
  c.channels = 6;
  check_chunking(c);
  check_chunking(cfg_for("clusters", 1.0, 600, 100));
  check_chunking(cfg_for("tremor", 1.0, 300, 200));
  klonos_synth_config d = cfg_for("daily", 1.0, 4 * 3600, 25);
  d.seed = 3;
  check_chunking(d);
}

Test(synth, acc_channels_do_not_depend_on_gyro) {
  klonos_synth_config c = cfg_for("walking-jerks", 0.8, 200, 100);
  rec a = render_all(&c, NULL, 4096);
  c.channels = 6;
  rec b = render_all(&c, NULL, 4096);
  for (int64_t i = 0; i < a.n; i++)
    for (int k = 0; k < 3; k++)
      cr_assert_eq(a.f[i * 3 + k], b.f[i * 6 + k], "frame %lld axis %d", (long long)i, k);
  rec_free(&a);
  rec_free(&b);
}

/* ---- components against truth ---- */

Test(synth, stance_sway_rms_matches_request) {
  const double sev[] = {0.0, 0.5, 1.0};
  for (int s = 0; s < 3; s++) {
    klonos_synth_config c = cfg_for("stance", sev[s], 300, 100);
    c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
    c.seed = 11 + (uint64_t)s;
    rec r = render_all(&c, NULL, 65536);
    double ap, ml;
    sway_rms(&r, 0, r.n, &ap, &ml);
    const double noise = acc_noise_sd(&r);
    const double want_ap = sqrt(r.p.sway_ap_rms_mps2 * r.p.sway_ap_rms_mps2 + noise * noise);
    const double want_ml = sqrt(r.p.sway_ml_rms_mps2 * r.p.sway_ml_rms_mps2 + noise * noise);
    cr_expect(fabs(ap / want_ap - 1.0) < 0.03, "severity %g: AP RMS %g, want %g", sev[s], ap, want_ap);
    cr_expect(fabs(ml / want_ml - 1.0) < 0.03, "severity %g: ML RMS %g, want %g", sev[s], ml, want_ml);
    rec_free(&r);
  }
}

Test(synth, explicit_sway_params_and_centroid) {
  klonos_synth_config c = cfg_for("stance", 0.5, 300, 100);
  klonos_synth_params p;
  cr_assert_eq(klonos_synth_params_derive(&c, &p), KLONOS_OK);
  p.sway_ap_rms_mps2 = 0.08;
  p.sway_ml_rms_mps2 = 0.12;
  p.sway_centroid_hz = 0.9;
  p.acc_noise_ug_rthz = 0.0;
  rec r = render_all(&c, &p, 65536);
  double ap, ml;
  sway_rms(&r, 0, r.n, &ap, &ml);
  cr_expect(fabs(ap / 0.08 - 1.0) < 0.03, "AP RMS %g", ap);
  cr_expect(fabs(ml / 0.12 - 1.0) < 0.03, "ML RMS %g", ml);
  /* Centroidal frequency sqrt(m2/m0) of the AP acceleration over 0.05-5 Hz. */
  const int n = (int)r.n;
  double *x = fftw_alloc_real((size_t)n);
  fftw_complex *X = fftw_alloc_complex((size_t)n / 2 + 1);
  fftw_plan plan = fftw_plan_dft_r2c_1d(n, x, X, FFTW_ESTIMATE);
  double mean = 0;
  for (int i = 0; i < n; i++) {
    double v[3];
    to_body(&r, i, v);
    x[i] = v[1];
    mean += v[1] / n;
  }
  for (int i = 0; i < n; i++) x[i] -= mean;
  fftw_execute(plan);
  double m0 = 0, m2 = 0;
  for (int k = 1; k <= n / 2; k++) {
    const double f = (double)k * r.fs / n;
    if (f < 0.05 || f > 5.0) continue;
    const double pw = X[k][0] * X[k][0] + X[k][1] * X[k][1];
    m0 += pw;
    m2 += pw * f * f;
  }
  const double cf = sqrt(m2 / m0);
  cr_expect(fabs(cf / 0.9 - 1.0) < 0.05, "AP centroid %g Hz, want 0.9", cf);
  fftw_destroy_plan(plan);
  fftw_free(x);
  fftw_free(X);
  rec_free(&r);
}

/* Steps of each bout, in order. Returns stride times (same foot) in *out. */
static size_t strides(const rec *r, double *out, size_t cap, double *cadence_out) {
  size_t ns = 0;
  double steps_total = 0, time_total = 0;
  for (size_t b = 0; b < r->nt; b++) {
    const klonos_synth_truth *bt = &r->t[b];
    if (bt->kind != KLONOS_SYNTH_TRUTH_BOUT || bt->state != KLONOS_SYNTH_STATE_WALKING) continue;
    double ic[4096];
    int foot[4096];
    size_t k = 0;
    for (size_t i = 0; i < r->nt; i++)
      if (r->t[i].kind == KLONOS_SYNTH_TRUTH_STEP && r->t[i].parent_id == bt->id && k < 4096) {
        ic[k] = r->t[i].start_s;
        foot[k++] = r->t[i].detail;
      }
    cr_assert_eq((int64_t)k, bt->count, "bout %lld: step_count %lld, %zu steps", (long long)bt->id, (long long)bt->count, k);
    for (size_t i = 1; i < k; i++) {
      cr_assert(ic[i] > ic[i - 1], "steps out of order");
      cr_assert_neq(foot[i], foot[i - 1], "feet must alternate");
    }
    for (size_t i = 0; i < k; i++) cr_assert(ic[i] >= bt->start_s && ic[i] < bt->end_s, "step outside its bout");
    if (k >= 3) {
      steps_total += (double)(k - 1);
      time_total += ic[k - 1] - ic[0];
    }
    for (size_t i = 0; i + 2 < k && ns < cap; i++) out[ns++] = ic[i + 2] - ic[i];
  }
  *cadence_out = 60.0 * steps_total / time_total;
  return ns;
}

static void check_gait(double severity, double cadence, double cv, double asym) {
  klonos_synth_config c = cfg_for("walking", severity, 3600, 100);
  c.seed = 5;
  klonos_synth_params p;
  klonos_synth_params_derive(&c, &p);
  if (cadence > 0) p.cadence_spm = cadence;
  if (cv >= 0) p.stride_time_cv = cv;
  if (asym >= 0) p.step_time_asymmetry = asym;
  rec r = render_all(&c, &p, 65536);
  static double st[20000];
  double cad;
  const size_t n = strides(&r, st, 20000, &cad);
  cr_assert(n > 1000, "only %zu strides", n);
  double m = 0, v = 0;
  for (size_t i = 0; i < n; i++) m += st[i] / (double)n;
  for (size_t i = 0; i < n; i++) v += (st[i] - m) * (st[i] - m) / (double)(n - 1);
  const double got_cv = sqrt(v) / m;
  cr_expect(fabs(cad - p.cadence_spm) < 0.01 * p.cadence_spm, "cadence %g, want %g", cad, p.cadence_spm);
  cr_expect(fabs(got_cv - p.stride_time_cv) < 0.01, "stride CV %g, want %g", got_cv, p.stride_time_cv);
  rec_free(&r);
}

Test(synth, walking_cadence_and_stride_cv_match_request) {
  check_gait(0.0, -1, -1, -1);
  check_gait(1.0, -1, -1, -1);
  check_gait(0.5, 120.0, 0.05, 0.15);
}

Test(synth, walking_pattern_is_periodic_at_step_frequency) {
  /* The vertical acceleration of a healthy walk has its dominant spectral
   * peak at the step frequency (Moe-Nilssen & Helbostad 2004). */
  klonos_synth_config c = cfg_for("walking", 0.0, 600, 100);
  rec r = render_all(&c, NULL, 65536);
  const klonos_synth_truth *bout = NULL;
  for (size_t i = 0; i < r.nt; i++)
    if (r.t[i].kind == KLONOS_SYNTH_TRUTH_BOUT && r.t[i].state == KLONOS_SYNTH_STATE_WALKING &&
        r.t[i].end_s - r.t[i].start_s > 30)
      bout = &r.t[i];
  cr_assert(bout, "no walking bout");
  const int64_t a = (int64_t)((bout->start_s + 3) * r.fs), b = (int64_t)((bout->end_s - 3) * r.fs);
  double best = 0, best_f = 0;
  for (double f = 0.5; f <= 4.0; f += 0.005) {
    double re = 0, im = 0;
    for (int64_t i = a; i < b; i++) {
      double v[3];
      to_body(&r, i, v);
      re += (v[0] - G) * cos(2 * PI * f * (double)i / r.fs);
      im += (v[0] - G) * sin(2 * PI * f * (double)i / r.fs);
    }
    if (re * re + im * im > best) {
      best = re * re + im * im;
      best_f = f;
    }
  }
  cr_expect(fabs(best_f - r.p.cadence_spm / 60.0) < 0.03, "V peak at %g Hz, step frequency %g", best_f,
            r.p.cadence_spm / 60.0);
  rec_free(&r);
}

/* Is another jerk within @p s of jerk i? */
static int jerk_isolated(const rec *r, size_t i, double s) {
  for (size_t j = 0; j < r->nt; j++) {
    if (j == i || r->t[j].kind != KLONOS_SYNTH_TRUTH_JERK) continue;
    if (r->t[j].end_s > r->t[i].start_s - s && r->t[j].start_s < r->t[i].end_s + s) return 0;
  }
  return 1;
}

Test(synth, jerks_lie_inside_the_recording_and_peak_as_stated) {
  klonos_synth_config c = cfg_for("stance-jerks", 1.0, 600, 400);
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  rec r = render_all(&c, NULL, 65536);
  const double dur = c.duration_s;
  size_t n = 0, checked = 0;
  int shapes_seen = 0;
  for (size_t i = 0; i < r.nt; i++) {
    const klonos_synth_truth *j = &r.t[i];
    if (j->kind != KLONOS_SYNTH_TRUTH_JERK) continue;
    n++;
    shapes_seen |= 1 << j->detail;
    cr_assert(j->start_s >= 0 && j->end_s <= dur, "jerk %lld at %g-%g outside 0-%g", (long long)j->id, j->start_s, j->end_s, dur);
    cr_assert(j->end_s - j->start_s >= 0.03 - 1e-9 && j->end_s - j->start_s <= 0.15 + 1e-9, "jerk duration %g",
              j->end_s - j->start_s);
    cr_assert(j->peak_s > j->start_s && j->peak_s < j->end_s);
    cr_assert(j->amplitude_mps2 >= 1.5 - 1e-9 && j->amplitude_mps2 <= 12.0 + 1e-9);
    cr_assert_eq(j->state, KLONOS_SYNTH_STATE_STANDING);
    cr_assert_eq(j->parent_id, -1);
    const double dn = sqrt(j->direction[0] * j->direction[0] + j->direction[1] * j->direction[1] +
                           j->direction[2] * j->direction[2]);
    cr_assert(fabs(dn - 1.0) < 1e-9);
    if (!jerk_isolated(&r, i, 0.6) || j->start_s < 1.0) continue;
    /* Baseline: mean over the 0.5 s before onset; peak |a - baseline| near the jerk. */
    double base[3] = {0, 0, 0};
    const int64_t b0 = (int64_t)((j->start_s - 0.5) * r.fs), b1 = (int64_t)(j->start_s * r.fs);
    for (int64_t k = b0; k < b1; k++)
      for (int a = 0; a < 3; a++) base[a] += r.f[k * 3 + a] / (double)(b1 - b0);
    double peak = 0;
    for (int64_t k = b1; k <= (int64_t)(j->end_s * r.fs) + 2 && k < r.n; k++) {
      double d2 = 0;
      for (int a = 0; a < 3; a++) d2 += (r.f[k * 3 + a] - base[a]) * (r.f[k * 3 + a] - base[a]);
      if (sqrt(d2) > peak) peak = sqrt(d2);
    }
    cr_expect(fabs(peak - j->amplitude_mps2) < 0.1 * j->amplitude_mps2 + 0.3, "jerk %lld (%s, %g s): measured peak %g, truth %g",
              (long long)j->id, klonos_synth_jerk_shape_name(j->detail), j->end_s - j->start_s, peak, j->amplitude_mps2);
    checked++;
  }
  cr_assert(n > 60, "only %zu jerks in 10 min at 12/min", n);
  cr_assert(checked > 30, "only %zu isolated jerks checked", checked);
  cr_assert_eq(shapes_seen, (1 << 1) | (1 << 2) | (1 << 3), "all three shapes must occur");
  rec_free(&r);
}

Test(synth, sampled_peak_is_what_the_frames_show) {
  /* At low rates the frames (sample-interval averages) see less than the
   * physical peak; sampled_peak_mps2 says how much a perfect detector sees. */
  const double rates[] = {25, 100};
  for (int r_i = 0; r_i < 2; r_i++) {
    klonos_synth_config c = cfg_for("stance-jerks", 1.0, 900, rates[r_i]);
    klonos_synth_params p;
    klonos_synth_params_derive(&c, &p);
    p.sway_ap_rms_mps2 = p.sway_ml_rms_mps2 = 0.01;
    rec r = render_all(&c, &p, 65536);
    size_t checked = 0, lower = 0;
    for (size_t i = 0; i < r.nt; i++) {
      const klonos_synth_truth *j = &r.t[i];
      if (j->kind != KLONOS_SYNTH_TRUTH_JERK) continue;
      cr_assert(j->sampled_peak_mps2 <= j->amplitude_mps2 * (1 + 1e-9), "sampled peak above the physical one");
      lower += j->sampled_peak_mps2 < 0.9 * j->amplitude_mps2;
      if (!jerk_isolated(&r, i, 0.6) || j->start_s < 1.0) continue;
      double base[3] = {0, 0, 0};
      const int64_t b0 = (int64_t)((j->start_s - 0.5) * r.fs), b1 = (int64_t)(j->start_s * r.fs);
      for (int64_t k = b0; k < b1; k++)
        for (int a = 0; a < 3; a++) base[a] += r.f[k * 3 + a] / (double)(b1 - b0);
      double peak = 0;
      for (int64_t k = b1; k <= (int64_t)(j->end_s * r.fs) + 2 && k < r.n; k++) {
        double d2 = 0;
        for (int a = 0; a < 3; a++) d2 += (r.f[k * 3 + a] - base[a]) * (r.f[k * 3 + a] - base[a]);
        peak = fmax(peak, sqrt(d2));
      }
      cr_expect(fabs(peak - j->sampled_peak_mps2) < 0.03 * j->sampled_peak_mps2 + 0.1,
                "%g Hz jerk %lld (%s, %.3f s): frames show %g, sampled_peak %g (physical %g)", r.fs, (long long)j->id,
                klonos_synth_jerk_shape_name(j->detail), j->end_s - j->start_s, peak, j->sampled_peak_mps2,
                j->amplitude_mps2);
      checked++;
    }
    cr_assert(checked > 50, "only %zu jerks checked", checked);
    cr_assert(lower > 0, "%g Hz: some short jerks must be attenuated", r.fs);
    rec_free(&r);
  }
}

Test(synth, clusters_hold_their_jerks) {
  klonos_synth_config c = cfg_for("clusters", 1.0, 1800, 100);
  rec r = render_all(&c, NULL, 65536);
  size_t nc = 0;
  for (size_t i = 0; i < r.nt; i++) {
    const klonos_synth_truth *cl = &r.t[i];
    if (cl->kind != KLONOS_SYNTH_TRUTH_CLUSTER) continue;
    nc++;
    double prev = -1;
    int64_t count = 0;
    for (size_t k = 0; k < r.nt; k++) {
      const klonos_synth_truth *j = &r.t[k];
      if (j->kind != KLONOS_SYNTH_TRUTH_JERK || j->parent_id != cl->id) continue;
      cr_assert(j->start_s >= cl->start_s - 1e-12 && j->end_s <= cl->end_s + 1e-12);
      if (prev >= 0) {
        const double gap = j->start_s - prev;
        cr_assert(gap >= 0.25 - 1e-9 && gap <= 1.2 + 1e-9, "cluster %lld: gap %g s", (long long)cl->id, gap);
      }
      prev = j->start_s;
      count++;
    }
    cr_assert_eq(count, cl->count, "cluster %lld: %lld jerks, truth says %lld", (long long)cl->id, (long long)count,
                 (long long)cl->count);
    cr_assert(count >= 1 && count <= r.p.cluster_size_max);
  }
  cr_assert(nc >= 20, "only %zu clusters in 30 min at 90/h", nc);
  for (size_t i = 0; i < r.nt; i++)
    if (r.t[i].kind == KLONOS_SYNTH_TRUTH_JERK) cr_assert(r.t[i].parent_id >= 0, "clusters scenario: isolated jerk");
  rec_free(&r);
}

Test(synth, tremor_frequency_and_amplitude_match_truth) {
  klonos_synth_config c = cfg_for("tremor", 1.0, 900, 100);
  c.rotation = KLONOS_SYNTH_ROTATION_EULER;
  c.rotation_euler_deg[0] = 20;
  c.rotation_euler_deg[1] = -70;
  c.rotation_euler_deg[2] = 135;
  rec r = render_all(&c, NULL, 65536);
  size_t checked = 0;
  for (size_t i = 0; i < r.nt; i++) {
    const klonos_synth_truth *e = &r.t[i];
    if (e->kind != KLONOS_SYNTH_TRUTH_TREMOR) continue;
    cr_assert(e->freq_hz >= 4.0 && e->freq_hz <= 9.0 && e->amplitude_mps2 <= 1.5 + 1e-9);
    cr_assert(e->start_s >= 0 && e->end_s <= c.duration_s);
    if (e->end_s - e->start_s < 5.0) continue;
    const int64_t a = (int64_t)((e->start_s + 0.6) * r.fs), b = (int64_t)((e->end_s - 0.6) * r.fs);
    const int64_t n = b - a;
    double *x = malloc(sizeof(double) * (size_t)n), mean = 0;
    for (int64_t k = 0; k < n; k++) {
      double v[3];
      to_body(&r, a + k, v);
      x[k] = v[0] * e->direction[0] + v[1] * e->direction[1] + v[2] * e->direction[2];
      mean += x[k] / (double)n;
    }
    double best = 0, best_f = 0;
    for (double f = 3.0; f <= 12.0; f += 0.005) {
      double re = 0, im = 0;
      for (int64_t k = 0; k < n; k++) {
        re += (x[k] - mean) * cos(2 * PI * f * (double)k / r.fs);
        im += (x[k] - mean) * sin(2 * PI * f * (double)k / r.fs);
      }
      if (re * re + im * im > best) {
        best = re * re + im * im;
        best_f = f;
      }
    }
    /* Amplitude of the sinusoid at the truth frequency (least squares). */
    const double amp = 2.0 * sqrt(best) / (double)n;
    cr_expect(fabs(best_f - e->freq_hz) < 0.1, "tremor %lld: dominant %g Hz, truth %g Hz", (long long)e->id, best_f, e->freq_hz);
    cr_expect(fabs(amp / e->amplitude_mps2 - 1.0) < 0.15, "tremor %lld: amplitude %g, truth %g", (long long)e->id, amp,
              e->amplitude_mps2);
    free(x);
    checked++;
  }
  cr_assert(checked >= 5, "only %zu tremor episodes checked", checked);
  rec_free(&r);
}

Test(synth, gravity_magnitude_in_still_states) {
  klonos_synth_config c = cfg_for("daily", 0.5, 12 * 3600, 25);
  c.seed = 7;
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  rec r = render_all(&c, NULL, 65536);
  int states = 0;
  for (size_t i = 0; i < r.nt; i++) {
    const klonos_synth_truth *b = &r.t[i];
    if (b->kind != KLONOS_SYNTH_TRUTH_BOUT || b->end_s - b->start_s < 20) continue;
    if (b->state == KLONOS_SYNTH_STATE_WALKING || b->state == KLONOS_SYNTH_STATE_OTHER) continue;
    const int64_t a = (int64_t)((b->start_s + 2) * r.fs), e = (int64_t)((b->end_s - 2) * r.fs);
    double m[3] = {0, 0, 0};
    for (int64_t k = a; k < e; k++)
      for (int j = 0; j < 3; j++) m[j] += r.f[k * 3 + j] / (double)(e - a);
    const double g = sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
    cr_expect(fabs(g / G - 1.0) < 0.01, "%s bout %lld: |mean a| = %g", klonos_synth_state_name(b->state), (long long)b->id, g);
    states |= 1 << b->state;
  }
  cr_assert_eq(states & 0x2E, 0x2E, "lying, sitting, standing and non-wear must all occur (got 0x%x)", states);
  rec_free(&r);
}

Test(synth, bouts_tile_the_recording_and_orientation_is_recorded) {
  klonos_synth_config c = cfg_for("daily", 0.5, 24 * 3600, 25);
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  c.seed = 9;
  rec r = render_all(&c, NULL, 65536);
  /* R is a rotation. */
  double det = r.rot[0] * (r.rot[4] * r.rot[8] - r.rot[5] * r.rot[7]) - r.rot[1] * (r.rot[3] * r.rot[8] - r.rot[5] * r.rot[6]) +
               r.rot[2] * (r.rot[3] * r.rot[7] - r.rot[4] * r.rot[6]);
  cr_assert(fabs(det - 1.0) < 1e-12);
  double prev_end = 0;
  int64_t prev_id = -1;
  size_t changes = 0;
  for (size_t i = 0; i < r.nt; i++) {
    const klonos_synth_truth *b = &r.t[i];
    if (b->kind == KLONOS_SYNTH_TRUTH_POSTURE_CHANGE) {
      changes++;
      cr_assert(b->end_s - b->start_s >= 1.5 - 1e-9 && b->end_s - b->start_s <= 4.0 + 1e-9);
      cr_assert_neq(b->from_state, b->state);
    }
    if (b->kind != KLONOS_SYNTH_TRUTH_BOUT) continue;
    cr_assert_eq(b->id, prev_id + 1);
    cr_assert(fabs(b->start_s - prev_end) < 1e-9, "bout %lld starts at %g, previous ended at %g", (long long)b->id, b->start_s, prev_end);
    prev_end = b->end_s;
    prev_id = b->id;
    /* Upright bouts: mean sensor vector = R g u(pitch, roll). */
    if ((b->state == KLONOS_SYNTH_STATE_SITTING || b->state == KLONOS_SYNTH_STATE_STANDING) && b->end_s - b->start_s > 30) {
      const int64_t a = (int64_t)((b->start_s + 2) * r.fs), e = (int64_t)((b->end_s - 2) * r.fs);
      double m[3] = {0, 0, 0};
      for (int64_t k = a; k < e; k++) {
        double v[3];
        to_body(&r, k, v);
        for (int j = 0; j < 3; j++) m[j] += v[j] / (double)(e - a);
      }
      const double pa = b->pitch_deg * PI / 180, pm = b->roll_deg * PI / 180;
      const double u[3] = {cos(pa) * cos(pm), -sin(pa), cos(pa) * sin(pm)};
      for (int j = 0; j < 3; j++)
        cr_expect(fabs(m[j] - G * u[j]) < 0.1, "bout %lld axis %d: %g vs %g", (long long)b->id, j, m[j], G * u[j]);
    }
  }
  cr_assert(fabs(prev_end - c.duration_s) < 1e-9, "bouts end at %g", prev_end);
  cr_assert(changes > 10, "only %zu posture changes in a day", changes);
  rec_free(&r);
}

Test(synth, gyro_integrates_to_the_pitch_change_of_sit_to_stand) {
  klonos_synth_config c = cfg_for("daily", 0.0, 24 * 3600, 50);
  c.channels = 6;
  c.seed = 4;
  rec r = render_all(&c, NULL, 65536);
  size_t checked = 0;
  for (size_t i = 0; i < r.nt; i++) {
    const klonos_synth_truth *ch = &r.t[i];
    if (ch->kind != KLONOS_SYNTH_TRUTH_POSTURE_CHANGE) continue;
    if (!(ch->from_state == KLONOS_SYNTH_STATE_SITTING && ch->state == KLONOS_SYNTH_STATE_STANDING)) continue;
    const klonos_synth_truth *before = NULL, *after = NULL;
    for (size_t k = 0; k < r.nt; k++)
      if (r.t[k].kind == KLONOS_SYNTH_TRUTH_BOUT) {
        if (fabs(r.t[k].end_s - ch->start_s) < 1e-9) before = &r.t[k];
        if (fabs(r.t[k].start_s - ch->end_s) < 1e-9) after = &r.t[k];
      }
    cr_assert(before && after);
    double integral = 0;
    for (int64_t k = (int64_t)(ch->start_s * r.fs); k < (int64_t)(ch->end_s * r.fs) + 1; k++)
      integral += r.f[k * 6 + 5] / r.fs; /* no rotation: gyro z = body ML = pitch rate */
    const double want = (after->pitch_deg - before->pitch_deg) * PI / 180;
    cr_expect(fabs(integral - want) < 2.0 * PI / 180, "sit-to-stand at %g s: integral %g rad, pitch change %g rad",
              ch->start_s, integral, want);
    checked++;
  }
  cr_assert(checked >= 3, "only %zu sit-to-stand changes", checked);
  rec_free(&r);
}

Test(synth, nonwear_is_gravity_plus_noise) {
  klonos_synth_config c = cfg_for("nonwear", 1.0, 120, 100);
  rec r = render_all(&c, NULL, 65536);
  double m[3] = {0, 0, 0}, v = 0;
  for (int64_t k = 0; k < r.n; k++)
    for (int j = 0; j < 3; j++) m[j] += r.f[k * 3 + j] / (double)r.n;
  for (int64_t k = 0; k < r.n; k++)
    for (int j = 0; j < 3; j++) v += (r.f[k * 3 + j] - m[j]) * (r.f[k * 3 + j] - m[j]) / (3.0 * (double)r.n);
  cr_expect(fabs(sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]) - G) < 0.005);
  cr_expect(fabs(sqrt(v) / acc_noise_sd(&r) - 1.0) < 0.05, "noise SD %g, want %g", sqrt(v), acc_noise_sd(&r));
  cr_assert_eq(r.nt, 1);
  cr_assert_eq(r.t[0].state, KLONOS_SYNTH_STATE_NONWEAR);
  rec_free(&r);
}

Test(synth, severity_is_monotonic) {
  const double sev[] = {0.0, 0.5, 1.0};
  double prev_ap = 0, prev_ml = 0;
  size_t prev_jerks = 0;
  klonos_synth_params prev_p;
  for (int s = 0; s < 3; s++) {
    klonos_synth_config c = cfg_for("stance-jerks", sev[s], 300, 100);
    rec r = render_all(&c, NULL, 65536);
    double ap, ml;
    /* Sway only: leave out 1 s around every jerk. */
    double s1[3] = {0}, s2[3] = {0};
    double n = 0;
    for (int64_t k = 0; k < r.n; k++) {
      const double t = (double)k / r.fs;
      int near = 0;
      for (size_t i = 0; i < r.nt && !near; i++)
        near = r.t[i].kind == KLONOS_SYNTH_TRUTH_JERK && t > r.t[i].start_s - 0.5 && t < r.t[i].end_s + 0.5;
      if (near) continue;
      double v[3];
      to_body(&r, k, v);
      for (int j = 0; j < 3; j++) {
        s1[j] += v[j];
        s2[j] += v[j] * v[j];
      }
      n++;
    }
    ap = sqrt(s2[1] / n - (s1[1] / n) * (s1[1] / n));
    ml = sqrt(s2[2] / n - (s1[2] / n) * (s1[2] / n));
    const size_t jerks = count_kind(&r, KLONOS_SYNTH_TRUTH_JERK);
    if (s == 0) {
      cr_assert_eq(jerks, 0, "severity 0 must have no jerks");
    } else {
      cr_expect(ap > prev_ap && ml > prev_ml, "sway must grow with severity: %g/%g after %g/%g", ap, ml, prev_ap, prev_ml);
      cr_expect(jerks > prev_jerks, "jerks must grow with severity: %zu after %zu", jerks, prev_jerks);
      cr_expect(r.p.stride_time_cv > prev_p.stride_time_cv && r.p.step_time_asymmetry > prev_p.step_time_asymmetry &&
                r.p.jerk_amp_max_mps2 > prev_p.jerk_amp_max_mps2 && r.p.jerk_rate_per_min > prev_p.jerk_rate_per_min);
    }
    prev_ap = ap;
    prev_ml = ml;
    prev_jerks = jerks;
    prev_p = r.p;
    rec_free(&r);
  }
}

/* ---- validation ---- */

Test(synth, bad_config_is_refused) {
  klonos_synth_config c;
  klonos_synth *h = NULL;
#define EXPECT_OPEN(mod, code, needle)                                                                   \
  do {                                                                                                   \
    klonos_synth_config_default(&c);                                                                     \
    mod;                                                                                                 \
    int rc_ = klonos_synth_open(&h, &c, NULL);                                                           \
    cr_expect_eq(rc_, code, "%s: got %s (%s)", #mod, klonos_status_name(rc_), klonos_synth_error(h));    \
    cr_expect(strstr(klonos_synth_error(h), needle), "%s: message '%s' lacks '%s'", #mod, klonos_synth_error(h), needle); \
    size_t got_ = 1;                                                                                     \
    float fr_[3];                                                                                        \
    cr_expect_eq(klonos_synth_render(h, fr_, 1, &got_), KLONOS_E_STATE);                                 \
    cr_expect_eq(got_, 0);                                                                               \
    klonos_synth_close(&h);                                                                              \
  } while (0)
  EXPECT_OPEN(c.rate_hz = 10, KLONOS_E_RATE, "rate");
  EXPECT_OPEN(c.rate_hz = 5000, KLONOS_E_RATE, "rate");
  EXPECT_OPEN(c.rate_hz = NAN, KLONOS_E_RATE, "rate");
  EXPECT_OPEN(c.duration_s = 0, KLONOS_E_INVAL, "duration");
  EXPECT_OPEN(c.duration_s = NAN, KLONOS_E_INVAL, "duration");
  EXPECT_OPEN(c.duration_s = -5, KLONOS_E_INVAL, "duration");
  EXPECT_OPEN(c.duration_s = INFINITY, KLONOS_E_INVAL, "duration");
  EXPECT_OPEN(c.duration_s = 0.001, KLONOS_E_INVAL, "shorter than one sample");
  EXPECT_OPEN(c.severity = 2, KLONOS_E_INVAL, "severity");
  EXPECT_OPEN(c.severity = -0.1, KLONOS_E_INVAL, "severity");
  EXPECT_OPEN(c.scenario = 99, KLONOS_E_INVAL, "scenario");
  EXPECT_OPEN(c.channels = 4, KLONOS_E_CHANNELS, "channels");
  EXPECT_OPEN(c.rotation = 7, KLONOS_E_INVAL, "rotation");
  EXPECT_OPEN(c.full_scale_g = 0.5, KLONOS_E_INVAL, "full scale");
  EXPECT_OPEN(c.reserved[3] = 1, KLONOS_E_INVAL, "reserved");
  int32_t sc = -1;
  cr_assert_eq(klonos_synth_scenario_from_name("no-such-scenario", &sc), KLONOS_E_INVAL);
  cr_assert_eq(klonos_synth_scenario_from_name(NULL, &sc), KLONOS_E_INVAL);
  klonos_synth_config_default(&c);
  c.severity = 2;
  klonos_synth_params p;
  cr_assert_eq(klonos_synth_params_derive(&c, &p), KLONOS_E_INVAL);
  cr_assert_eq(klonos_synth_open(NULL, &c, NULL), KLONOS_E_INVAL);
  cr_assert_eq(klonos_synth_open(&h, NULL, NULL), KLONOS_E_INVAL);
  klonos_synth_close(&h);
  klonos_synth_close(NULL);
}

Test(synth, bad_params_are_refused_with_the_field_named) {
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  klonos_synth_params p;
  klonos_synth *h = NULL;
#define EXPECT_PARAM(mod, needle)                                                                \
  do {                                                                                           \
    klonos_synth_params_derive(&c, &p);                                                          \
    mod;                                                                                         \
    int rc_ = klonos_synth_open(&h, &c, &p);                                                     \
    cr_expect_eq(rc_, KLONOS_E_INVAL, "%s: got %s", #mod, klonos_status_name(rc_));              \
    cr_expect(strstr(klonos_synth_error(h), needle), "%s: '%s'", #mod, klonos_synth_error(h));   \
    klonos_synth_close(&h);                                                                      \
  } while (0)
  EXPECT_PARAM(p.sway_centroid_hz = 5.0, "sway_centroid_hz");
  EXPECT_PARAM(p.sway_ap_rms_mps2 = NAN, "sway_ap_rms_mps2");
  EXPECT_PARAM(p.cadence_spm = 500, "cadence_spm");
  EXPECT_PARAM(p.jerk_duration_min_s = 0.2, "jerk duration");
  EXPECT_PARAM(p.jerk_shape_mask = 0, "jerk_shape_mask");
  EXPECT_PARAM((p.tremor_rate_per_min = 1, p.tremor_freq_max_hz = 45), "tremor_freq_max_hz");
  EXPECT_PARAM(p.reserved[0] = 1, "reserved");
  EXPECT_PARAM((p.cluster_rate_per_hour = 10, p.cluster_gap_min_s = 0.05), "overlap");
}

Test(synth, api_edges) {
  klonos_synth_config c = cfg_for("stance", 0.5, 1, 100);
  klonos_synth *h = NULL;
  cr_assert_eq(klonos_synth_open(&h, &c, NULL), KLONOS_OK);
  klonos_synth_truth t;
  size_t got;
  cr_assert_eq(klonos_synth_truth_get(h, 0, &t), KLONOS_E_RANGE);
  cr_assert_eq(klonos_synth_render(h, NULL, 5, &got), KLONOS_E_INVAL);
  cr_assert_eq(klonos_synth_render(h, NULL, 0, &got), KLONOS_OK);
  cr_assert_eq(got, 0);
  float buf[300];
  cr_assert_eq(klonos_synth_render(h, buf, 100, &got), KLONOS_OK);
  cr_assert_eq(got, 100);
  size_t n;
  klonos_synth_truth_count(h, &n);
  cr_assert_eq(n, 1, "the stance bout completes with the last frame");
  cr_assert_eq(klonos_synth_truth_get(h, 0, &t), KLONOS_OK);
  cr_assert_eq(t.kind, KLONOS_SYNTH_TRUTH_BOUT);
  cr_assert_eq(t.end_s, 1.0);
  cr_assert_eq(klonos_synth_render(h, buf, 100, &got), KLONOS_OK);
  cr_assert_eq(got, 0);
  klonos_synth_close(&h);
  cr_assert_str_eq(klonos_synth_scenario_name(KLONOS_SYNTH_DAILY), "daily");
  cr_assert_str_eq(klonos_synth_scenario_name(-1), "unknown");
  cr_assert_str_eq(klonos_synth_state_name(KLONOS_SYNTH_STATE_NONWEAR), "nonwear");
  cr_assert_str_eq(klonos_synth_truth_kind_name(KLONOS_SYNTH_TRUTH_TREMOR), "tremor");
  cr_assert_str_eq(klonos_synth_jerk_shape_name(KLONOS_SYNTH_JERK_DAMPED), "damped");
  cr_assert_str_eq(klonos_synth_error(NULL), "");
  for (int s = 0; s < KLONOS_SYNTH_SCENARIO_COUNT; s++) {
    int32_t back = -1;
    cr_assert_eq(klonos_synth_scenario_from_name(klonos_synth_scenario_name(s), &back), KLONOS_OK);
    cr_assert_eq(back, s);
    cr_assert(strlen(klonos_synth_scenario_description(s)) > 10);
  }
}

Test(synth, every_rate_from_25_to_1000_works) {
  const double rates[] = {25, 30, 33.3, 100, 128, 512, 1000};
  for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
    klonos_synth_config c = cfg_for("walking-jerks", 1.0, 60, rates[i]);
    c.channels = 6;
    rec r = render_all(&c, NULL, 1000);
    for (int64_t k = 0; k < r.n * 6; k++) cr_assert(isfinite(r.f[k]), "rate %g: frame %lld not finite", rates[i], (long long)(k / 6));
    rec_free(&r);
  }
}

/* ---- files ---- */

static long read_back(const char *path, float *dst, long cap, klonos_recording_info *info, klonos_read_stats *st) {
  klonos_reader *rd = NULL;
  int rc = klonos_reader_open(&rd, path, NULL);
  cr_assert_eq(rc, KLONOS_OK, "%s: %s", klonos_status_name(rc), klonos_reader_error(rd));
  klonos_reader_info(rd, info);
  long total = 0;
  for (;;) {
    size_t got = 0;
    rc = klonos_reader_read_f32(rd, dst + total * info->channel_count, (size_t)(cap - total), &got);
    cr_assert_eq(rc, KLONOS_OK, "%s", klonos_reader_error(rd));
    if (got == 0 || total + (long)got == cap) {
      total += (long)got;
      break;
    }
    total += (long)got;
  }
  if (st) klonos_reader_stats(rd, st);
  klonos_reader_close(&rd);
  return total;
}

static int file_exists(const char *p) {
  struct stat s;
  return stat(p, &s) == 0;
}

static void write_ok(const klonos_synth_config *c, const char *path, const char *truth, klonos_synth_file_info *info) {
  char err[512] = "";
  int rc = klonos_synth_write_files(c, NULL, path, truth, NULL, info, err, sizeof err);
  cr_assert_eq(rc, KLONOS_OK, "%s: %s: %s", path, klonos_status_name(rc), err);
}

Test(synth, float_wav_reads_back_to_the_rendered_frames) {
  klonos_synth_config c = cfg_for("walking-jerks", 1.0, 120, 100);
  c.channels = 6;
  rec r = render_all(&c, NULL, 4096);
  char path[512], truth[600];
  tu_tmp_path(path, sizeof path, "synth6.wav");
  snprintf(truth, sizeof truth, "%s.truth.json", path);
  klonos_synth_file_info info;
  write_ok(&c, path, truth, &info);
  cr_assert_eq(info.frames, r.n);
  cr_assert_eq(info.jerks, (int64_t)count_kind(&r, KLONOS_SYNTH_TRUTH_JERK));
  cr_assert_eq(info.steps, (int64_t)count_kind(&r, KLONOS_SYNTH_TRUTH_STEP));
  float *back = malloc(sizeof(float) * 6 * (size_t)(r.n + 10));
  klonos_recording_info ri;
  const long n = read_back(path, back, r.n + 10, &ri, NULL);
  cr_assert_eq(n, r.n);
  cr_assert_eq(ri.channel_count, 6);
  cr_assert_eq(ri.sample_rate_hz, 100.0);
  /* Files store g and deg/s; the reader multiplies back: at most ~1 float ulp apart. */
  for (long k = 0; k < n * 6; k++) {
    const double tol = 3e-7 * fabs(r.f[k]) + 1e-9;
    cr_assert(fabs(back[k] - r.f[k]) <= tol, "sample %ld: read %.9g, rendered %.9g", k, back[k], r.f[k]);
  }
  free(back);
  unlink(path);
  unlink(truth);
  rec_free(&r);
}

Test(synth, flac_reads_back_within_int16_quantisation) {
  klonos_synth_config c = cfg_for("walking", 0.5, 120, 100);
  rec r = render_all(&c, NULL, 4096);
  char path[512];
  tu_tmp_path(path, sizeof path, "synth.flac");
  write_ok(&c, path, NULL, NULL);
  float *back = malloc(sizeof(float) * 3 * (size_t)(r.n + 10));
  klonos_recording_info ri;
  const long n = read_back(path, back, r.n + 10, &ri, NULL);
  cr_assert_eq(n, r.n);
  const double lsb = c.full_scale_g * G / 32768.0;
  double worst = 0;
  for (long k = 0; k < n * 3; k++) worst = fmax(worst, fabs(back[k] - r.f[k]));
  cr_assert(worst <= 0.5 * lsb * 1.001 + 1e-6, "worst error %g, half LSB %g", worst, 0.5 * lsb);
  cr_assert(worst > 0, "int16 must quantise");
  free(back);
  unlink(path);
  rec_free(&r);
}

Test(synth, csv_holds_the_frames_in_g_with_6_decimals) {
  klonos_synth_config c = cfg_for("stance-jerks", 1.0, 30, 50);
  rec r = render_all(&c, NULL, 4096);
  char path[512];
  tu_tmp_path(path, sizeof path, "synth.csv");
  write_ok(&c, path, NULL, NULL);
  FILE *f = fopen(path, "r");
  cr_assert(f);
  char line[256];
  cr_assert(fgets(line, sizeof line, f));
  cr_assert_str_eq(line, "t,x,y,z\n");
  long k = 0;
  while (fgets(line, sizeof line, f)) {
    double t, x, y, z;
    cr_assert_eq(sscanf(line, "%lf,%lf,%lf,%lf", &t, &x, &y, &z), 4, "line %ld: %s", k, line);
    cr_assert(fabs(t - (double)k / 50.0) < 1e-9);
    const double v[3] = {x, y, z};
    for (int j = 0; j < 3; j++)
      cr_assert(fabs(v[j] - r.f[k * 3 + j] / G) <= 0.5e-6 + 1e-12, "line %ld axis %d: %.7f vs %.7f", k, j, v[j],
                r.f[k * 3 + j] / G);
    k++;
  }
  fclose(f);
  cr_assert_eq(k, r.n);
  /* And through the CSV reader. */
  float *back = malloc(sizeof(float) * 3 * (size_t)(r.n + 10));
  klonos_reader *rd = NULL;
  int rc = klonos_reader_open(&rd, path, NULL);
  if (rc == KLONOS_OK) {
    klonos_recording_info ri;
    klonos_reader_info(rd, &ri);
    long total = 0;
    size_t got;
    while (klonos_reader_read_f32(rd, back + total * 3, (size_t)(r.n + 10 - total), &got) == KLONOS_OK && got) total += (long)got;
    cr_expect_eq(total, r.n, "CSV reader delivered %ld frames", total);
    cr_expect(fabs(ri.sample_rate_hz - 50.0) < 1e-6, "CSV reader rate %g", ri.sample_rate_hz);
    for (long i = 0; i < total * 3 && i < r.n * 3; i++)
      cr_expect(fabs(back[i] - r.f[i]) <= 0.5e-6 * G * 1.01 + 1e-6, "CSV sample %ld: %g vs %g", i, back[i], r.f[i]);
  } else {
    cr_expect_eq(rc, KLONOS_OK, "CSV reader refused the synth CSV: %s", klonos_reader_error(rd));
  }
  klonos_reader_close(&rd);
  free(back);
  unlink(path);
  rec_free(&r);
}

Test(synth, clipping_at_full_scale) {
  klonos_synth_config c = cfg_for("walking-jerks", 1.0, 300, 100);
  c.full_scale_g = 1.5;
  rec r = render_all(&c, NULL, 4096);
  const double fs = 1.5 * G;
  long clipped = 0;
  for (int64_t k = 0; k < r.n * 3; k++) {
    cr_assert(fabs(r.f[k]) <= (float)fs, "sample beyond full scale: %g", r.f[k]);
    clipped += fabs(r.f[k]) >= (float)fs;
  }
  cr_assert(clipped > 0, "nothing reached 1.5 g");
  char path[512];
  tu_tmp_path(path, sizeof path, "clip.flac");
  klonos_synth_file_info info;
  write_ok(&c, path, NULL, &info);
  cr_assert(info.clipped_samples >= clipped, "info says %lld clipped, rendered %ld", (long long)info.clipped_samples, clipped);
  float *back = malloc(sizeof(float) * 3 * (size_t)(r.n + 10));
  klonos_recording_info ri;
  klonos_read_stats st;
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  klonos_reader *rd = NULL;
  o.full_scale_g = 1.5;
  cr_assert_eq(klonos_reader_open(&rd, path, &o), KLONOS_OK);
  klonos_reader_info(rd, &ri);
  size_t got;
  long total = 0;
  while (klonos_reader_read_f32(rd, back + total * 3, (size_t)(r.n + 10 - total), &got) == KLONOS_OK && got) total += (long)got;
  klonos_reader_stats(rd, &st);
  klonos_reader_close(&rd);
  cr_assert_eq(total, r.n);
  cr_assert(st.clipped[0] + st.clipped[1] + st.clipped[2] > 0, "the reader must see clipping");
  for (long k = 0; k < total * 3; k++) cr_assert(fabs(back[k]) <= fs * 1.0001);
  free(back);
  unlink(path);
  rec_free(&r);
}

static int files_equal(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  int same = fa && fb;
  while (same) {
    int ca = fgetc(fa), cb = fgetc(fb);
    if (ca != cb) same = 0;
    if (ca == EOF || cb == EOF) break;
  }
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

Test(synth, same_inputs_give_byte_identical_files) {
  const char *exts[] = {"wav", "flac", "w64", "rf64", "aiff", "csv"};
  klonos_synth_config c = cfg_for("daily", 0.6, 1800, 50);
  c.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  for (size_t e = 0; e < sizeof exts / sizeof exts[0]; e++) {
    char a[512], b[512], ta[600], tb[600], na[64], nb[64];
    snprintf(na, sizeof na, "det_a.%s", exts[e]);
    snprintf(nb, sizeof nb, "det_b.%s", exts[e]);
    tu_tmp_path(a, sizeof a, na);
    tu_tmp_path(b, sizeof b, nb);
    snprintf(ta, sizeof ta, "%s.truth.json", a);
    snprintf(tb, sizeof tb, "%s.truth.json", b);
    write_ok(&c, a, ta, NULL);
    sleep(1); /* a timestamp in a header would now differ */
    write_ok(&c, b, tb, NULL);
    cr_assert(files_equal(a, b), ".%s files differ", exts[e]);
    cr_assert(files_equal(ta, tb), ".%s truth files differ", exts[e]);
    if (strcmp(exts[e], "csv") != 0) {
      klonos_recording_info ri;
      float *back = malloc(sizeof(float) * 3 * (size_t)(1800 * 50 + 10));
      cr_assert_eq(read_back(a, back, 1800 * 50 + 10, &ri, NULL), 1800 * 50, ".%s", exts[e]);
      free(back);
    }
    unlink(a);
    unlink(b);
    unlink(ta);
    unlink(tb);
  }
}

Test(synth, truth_json_is_complete) {
  klonos_synth_config c = cfg_for("clusters", 1.0, 300, 100);
  char path[512], truth[600];
  tu_tmp_path(path, sizeof path, "tj.wav");
  snprintf(truth, sizeof truth, "%s.truth.json", path);
  klonos_synth_file_info info;
  write_ok(&c, path, truth, &info);
  FILE *f = fopen(truth, "rb");
  cr_assert(f);
  static char text[1 << 20];
  const size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  cr_assert(strncmp(text, "{\"format\":\"klonos-synth-truth\"", 30) == 0);
  cr_assert(strstr(text, "\"scenario\":\"clusters\""));
  cr_assert(strstr(text, "\"rotation_body_to_sensor\":[[1,0,0],[0,1,0],[0,0,1]]"));
  cr_assert(strstr(text, "\"sway_ap_rms_mps2\":0.25"));
  size_t jerks = 0, clusters = 0;
  for (const char *p = text; (p = strstr(p, "\"kind\":\"jerk\"")); p++) jerks++;
  for (const char *p = text; (p = strstr(p, "\"kind\":\"cluster\"")); p++) clusters++;
  cr_assert_eq((int64_t)jerks, info.jerks);
  cr_assert_eq((int64_t)clusters, info.clusters);
  cr_assert(jerks > 0);
  char want[64];
  snprintf(want, sizeof want, "\"jerks\":%lld", (long long)info.jerks);
  cr_assert(strstr(text, want), "summary lacks %s", want);
  cr_assert_eq(text[n - 2], '}');
  unlink(path);
  unlink(truth);
}

Test(synth, failed_write_leaves_nothing_behind) {
  char dir[512], path[600], truth[700];
  klonos_synth_config c = cfg_for("stance", 0.5, 10, 100);
  char err[512];
  /* A directory that does not exist. */
  tu_tmp_path(dir, sizeof dir, "no_such_dir");
  snprintf(path, sizeof path, "%s/x.wav", dir);
  int rc = klonos_synth_write_files(&c, NULL, path, NULL, NULL, NULL, err, sizeof err);
  cr_assert_eq(rc, KLONOS_E_IO, "%s", klonos_status_name(rc));
  cr_assert(strstr(err, "x.wav"), "message must name the file: %s", err);
  /* An unwritable directory (root can write anyway: then only check the first case). */
  tu_tmp_path(dir, sizeof dir, "ro_dir");
  mkdir(dir, 0755);
  chmod(dir, 0555);
  snprintf(path, sizeof path, "%s/x.flac", dir);
  snprintf(truth, sizeof truth, "%s.truth.json", path);
  if (geteuid() != 0) {
    rc = klonos_synth_write_files(&c, NULL, path, truth, NULL, NULL, err, sizeof err);
    cr_assert_eq(rc, KLONOS_E_IO, "%s", klonos_status_name(rc));
    cr_assert(strstr(err, "x.flac") && strstr(err, "ermission"), "%s", err);
    cr_assert(!file_exists(path) && !file_exists(truth));
  }
  chmod(dir, 0755);
  /* Truth path in a missing directory: the data file must not stay either. */
  char okpath[512], badtruth[600];
  tu_tmp_path(okpath, sizeof okpath, "orphan.wav");
  snprintf(badtruth, sizeof badtruth, "%s/none/t.json", dir);
  rc = klonos_synth_write_files(&c, NULL, okpath, badtruth, NULL, NULL, err, sizeof err);
  cr_assert_eq(rc, KLONOS_E_IO);
  cr_assert(!file_exists(okpath), "data file left without its truth");
  /* Nothing else left in the directory either (no temporaries). */
  char cmd[700];
  snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
  cr_assert_eq(system(cmd), 0, "temporary files left in %s", dir);
  rmdir(dir);
}

Test(synth, writer_refuses_bad_formats) {
  klonos_synth_config c = cfg_for("stance", 0.5, 5, 100);
  char path[512], err[512];
  klonos_synth_file_options o;
  klonos_synth_file_options_default(&o);
  tu_tmp_path(path, sizeof path, "x.mp3");
  cr_assert_eq(klonos_synth_write_files(&c, NULL, path, NULL, NULL, NULL, err, sizeof err), KLONOS_E_FORMAT);
  cr_assert(strstr(err, ".mp3"), "%s", err);
  tu_tmp_path(path, sizeof path, "x.flac");
  o.sample_format = KLONOS_SYNTH_SAMPLES_FLOAT;
  cr_assert_eq(klonos_synth_write_files(&c, NULL, path, NULL, &o, NULL, err, sizeof err), KLONOS_E_FORMAT);
  c.channels = 6;
  tu_tmp_path(path, sizeof path, "x.wav");
  o.sample_format = KLONOS_SYNTH_SAMPLES_INT16;
  cr_assert_eq(klonos_synth_write_files(&c, NULL, path, NULL, &o, NULL, err, sizeof err), KLONOS_E_CHANNELS);
  c.channels = 3;
  c.rate_hz = 33.3;
  cr_assert_eq(klonos_synth_write_files(&c, NULL, path, NULL, NULL, NULL, err, sizeof err), KLONOS_E_RATE);
  tu_tmp_path(path, sizeof path, "frac.csv");
  cr_assert_eq(klonos_synth_write_files(&c, NULL, path, NULL, NULL, NULL, err, sizeof err), KLONOS_OK, "%s", err);
  unlink(path);
  c.rate_hz = 10;
  cr_assert_eq(klonos_synth_write_files(&c, NULL, path, NULL, NULL, NULL, err, sizeof err), KLONOS_E_RATE);
  cr_assert(!file_exists(path));
}
