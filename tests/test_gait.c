/* Gait metrics (lib/detect/gait.c, gait_steps.c) against a parametric gait
 * signal with known step times (harmonics of the step and stride phase, so
 * regularity and harmonic ratios have closed forms when the gait is
 * periodic), against the synthetic walking recording of klonos/synth.h, and
 * refusals, rate independence and monotonicity in injected irregularity. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond/orientation.h"
#include "detect/gait.h"
#include "klonos/status.h"
#include "klonos/synth.h"

static const double PI = 3.14159265358979323846;

typedef struct {
  uint64_t s;
} rng;
static double urand(rng *r) {
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return ((double)(r->s >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double grand(rng *r) { return sqrt(-2.0 * log(urand(r))) * cos(2.0 * PI * urand(r)); }

/* ---- a parametric gait ----------------------------------------------------
 * Step i starts at contact t[i] and lasts d[i]; step phase phi in [0, 1),
 * stride phase psi = (i mod 2 + phi) / 2. In stride harmonics:
 *   V  = k A_v [cos 2pi(phi - .1) + .35 cos 4pi(phi - .05)]   (even: 2, 4)
 *        + A_v v_odd [cos 2pi(psi - .05) + .5 cos 6pi(psi - .05)]  (odd: 1, 3)
 *   AP = k A_ap [cos 2pi(phi - .5) + .4 cos 4pi(phi - .3)] + A_ap ap_odd cos 2pi psi
 *   ML = A_ml [cos 2pi(psi - .2) + .25 cos 6pi(psi - .1)] + A_ml ml_even cos 4pi psi
 * with k the step's amplitude factor (interpolated across the step). For a
 * periodic gait HR_V = 1.35 / (1.5 v_odd), HR_AP = 1.4 / ap_odd,
 * HR_ML = 1.25 / ml_even, and the V step regularity is
 * (P_even - P_odd) / (P_even + P_odd). */
typedef struct {
  double cadence_spm, step_cv, asym, amp_cv;
  double v_odd, ap_odd, ml_even;
  double noise_density; /* m/s^2 per sqrt(Hz) */
  double stand_s;       /* quiet standing before and after the walk */
  double walk_s;
  uint64_t seed;
} gait_gen;

static const double A_V = 2.0, A_AP = 1.3, A_ML = 0.8;

static gait_gen gen_default(void) {
  gait_gen g = {120.0, 0.0, 0.0, 0.0, 0.2, 0.4, 0.3, 0.0, 0.0, 60.0, 1};
  return g;
}

typedef struct {
  double *t, *d, *k;
  size_t n;
} step_list;

static step_list make_steps(const gait_gen *g) {
  step_list s;
  size_t cap = (size_t)(g->walk_s * g->cadence_spm / 60.0 * 2.0) + 16;
  s.t = malloc(sizeof(double) * cap);
  s.d = malloc(sizeof(double) * cap);
  s.k = malloc(sizeof(double) * cap);
  s.n = 0;
  rng r = {g->seed * 7919 + 13};
  const double T = 60.0 / g->cadence_spm;
  double t = g->stand_s;
  while (t < g->stand_s + g->walk_s && s.n < cap) {
    double side = s.n % 2 ? -1.0 : 1.0, e = grand(&r);
    if (e > 3) e = 3;
    if (e < -3) e = -3;
    s.t[s.n] = t;
    s.d[s.n] = T * (1.0 + 0.5 * side * g->asym) * (1.0 + g->step_cv * e);
    s.k[s.n] = 1.0 + g->amp_cv * grand(&r);
    t += s.d[s.n++];
  }
  return s;
}

static void free_steps(step_list *s) {
  free(s->t);
  free(s->d);
  free(s->k);
}

/* Render v, ap, ml at rate fs; quiet standing (noise only) outside the walk. */
static size_t render(const gait_gen *g, const step_list *s, double fs, float **v, float **ap, float **ml) {
  size_t n = (size_t)llround((2.0 * g->stand_s + g->walk_s) * fs);
  *v = malloc(sizeof(float) * n);
  *ap = malloc(sizeof(float) * n);
  *ml = malloc(sizeof(float) * n);
  rng r = {g->seed * 104729 + (uint64_t)fs};
  const double sd = g->noise_density * sqrt(fs / 2.0);
  size_t i_step = 0;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / fs, x = 0, y = 0, z = 0;
    while (i_step + 1 < s->n && t >= s->t[i_step + 1]) i_step++;
    /* The last step ends the walk. */
    if (s->n && t >= s->t[0] && t < s->t[s->n - 1] + s->d[s->n - 1]) {
      double phi = (t - s->t[i_step]) / s->d[i_step];
      double psi = ((double)(i_step % 2) + phi) / 2.0;
      double k1 = s->k[i_step], k2 = i_step + 1 < s->n ? s->k[i_step + 1] : k1, k = k1 + (k2 - k1) * phi;
      x = k * A_V * (cos(2 * PI * (phi - 0.1)) + 0.35 * cos(4 * PI * (phi - 0.05))) +
          A_V * g->v_odd * (cos(2 * PI * (psi - 0.05)) + 0.5 * cos(6 * PI * (psi - 0.05)));
      y = k * A_AP * (cos(2 * PI * (phi - 0.5)) + 0.4 * cos(4 * PI * (phi - 0.3))) + A_AP * g->ap_odd * cos(2 * PI * psi);
      z = A_ML * (cos(2 * PI * (psi - 0.2)) + 0.25 * cos(6 * PI * (psi - 0.1))) + A_ML * g->ml_even * cos(4 * PI * psi);
    }
    (*v)[i] = (float)(x + sd * grand(&r));
    (*ap)[i] = (float)(y + sd * grand(&r));
    (*ml)[i] = (float)(z + sd * grand(&r));
  }
  return n;
}

static kl_gait_config cfg_default(void) {
  kl_gait_config c;
  kl_gait_config_default(&c);
  return c;
}

static void free3(float *a, float *b, float *c) {
  free(a);
  free(b);
  free(c);
}

/* Realised stride CV of the generator's contacts: strides t[i+2] - t[i]. */
static double truth_stride_cv(const step_list *s) {
  double m = 0, q = 0;
  size_t n = 0;
  for (size_t i = 0; i + 2 < s->n; i++) m += s->t[i + 2] - s->t[i], n++;
  m /= (double)n;
  for (size_t i = 0; i + 2 < s->n; i++) q += pow(s->t[i + 2] - s->t[i] - m, 2);
  return sqrt(q / (double)(n - 1)) / m;
}

static double truth_cadence(const step_list *s) { return 60.0 * (double)(s->n - 1) / (s->t[s->n - 1] - s->t[0]); }

/* ---- tests ------------------------------------------------------------------ */

Test(gait, defaults) {
  kl_gait_config c = cfg_default();
  cr_assert_eq(c.min_duration_s, 5.0);
  cr_assert_eq(c.min_steps, 6);
  cr_assert_eq(c.lowpass_hz, 20.0);
  cr_assert_eq(c.harmonics, 20);
  cr_assert_eq(c.min_harmonics, 10);
  cr_assert_eq(c.refine_factor, 4.0);
}

/* A perfectly periodic gait at 120 steps/min: every metric has a closed form. */
Test(gait, periodic_gait_closed_forms) {
  gait_gen g = gen_default();
  step_list s = make_steps(&g);
  float *v, *ap, *ml;
  size_t n = render(&g, &s, 100.0, &v, &ap, &ml);
  kl_gait_config c = cfg_default();
  kl_gait_metrics m;
  cr_assert_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &m), KLONOS_OK);
  cr_expect(fabs(m.cadence_spm - 120.0) < 0.05, "cadence %g", m.cadence_spm);
  cr_expect(fabs(m.step_time_s - 0.5) < 1e-3, "step time %g", m.step_time_s);
  cr_expect(fabs(m.stride_time_s - 1.0) < 1e-3, "stride time %g", m.stride_time_s);
  cr_expect(m.stride_time_cv < 0.002, "stride CV %g", m.stride_time_cv);
  /* The odd (left/right) V component shifts the loading peak by a few ms
   * on alternate steps: trunk events see a small asymmetry in a periodic
   * gait whose contacts are perfectly even (docs/gait.md). */
  cr_expect(m.step_time_asymmetry < 0.02, "asymmetry %g", m.step_time_asymmetry);
  cr_expect(fabs(m.step_period_autocorr_s - 0.5) < 0.01, "autocorrelation step period %g", m.step_period_autocorr_s);
  cr_expect(m.steps >= 118 && m.steps <= 121, "steps %d", m.steps);
  /* Regularity: P_even = (1 + .35^2)/2, P_odd = v_odd^2 (1 + .5^2)/2 (V);
   * AP: P_even = (1 + .4^2)/2, P_odd = ap_odd^2/2. */
  double pe = 1 + 0.35 * 0.35, po = g.v_odd * g.v_odd * 1.25;
  cr_expect(fabs(m.step_regularity_v - (pe - po) / (pe + po)) < 0.02, "step reg V %g vs %g", m.step_regularity_v,
            (pe - po) / (pe + po));
  cr_expect(m.stride_regularity_v > 0.98, "stride reg V %g", m.stride_regularity_v);
  pe = 1 + 0.4 * 0.4, po = g.ap_odd * g.ap_odd;
  cr_expect(fabs(m.step_regularity_ap - (pe - po) / (pe + po)) < 0.02, "step reg AP %g vs %g", m.step_regularity_ap,
            (pe - po) / (pe + po));
  cr_expect(fabs(m.step_symmetry_v - m.step_regularity_v / m.stride_regularity_v) < 1e-12);
  /* Harmonic ratios (DFT amplitudes of exact strides). */
  cr_expect(fabs(m.harmonic_ratio_v / (1.35 / (1.5 * g.v_odd)) - 1) < 0.02, "HR V %g vs %g", m.harmonic_ratio_v,
            1.35 / (1.5 * g.v_odd));
  cr_expect(fabs(m.harmonic_ratio_ap / (1.4 / g.ap_odd) - 1) < 0.02, "HR AP %g vs %g", m.harmonic_ratio_ap,
            1.4 / g.ap_odd);
  cr_expect(fabs(m.harmonic_ratio_ml / (1.25 / g.ml_even) - 1) < 0.02, "HR ML %g vs %g", m.harmonic_ratio_ml,
            1.25 / g.ml_even);
  cr_expect(m.hr_strides > 100, "strides used %d", m.hr_strides);
  /* ML amplitude: RMS of the three components. */
  double ml_rms = A_ML * sqrt((1 + 0.0625 + g.ml_even * g.ml_even) / 2);
  cr_expect(fabs(m.ml_rms_mps2 / ml_rms - 1) < 0.01, "ML RMS %g vs %g", m.ml_rms_mps2, ml_rms);
  double v_rms = A_V * sqrt((1 + 0.1225 + g.v_odd * g.v_odd * 1.25) / 2);
  cr_expect(fabs(m.v_rms_mps2 / v_rms - 1) < 0.01, "V RMS %g vs %g", m.v_rms_mps2, v_rms);
  cr_expect(m.ml_range_mps2 > 2.0 * ml_rms && m.ml_range_mps2 < 2.0 * A_ML * 1.6, "ML range %g", m.ml_range_mps2);
  free3(v, ap, ml);
  free_steps(&s);
}

/* Known, variable step times: cadence within 1 step/min, stride CV within
 * 0.01 of the realised truth, every contact matched by an event at a
 * constant lag (the V loading peak follows the contact). */
Test(gait, cadence_cv_and_events_vs_truth) {
  const double cvs[3] = {0.02, 0.05, 0.08};
  for (int k = 0; k < 3; k++) {
    gait_gen g = gen_default();
    g.cadence_spm = 105.0;
    g.step_cv = cvs[k] * sqrt(2.0); /* stride CV ~ step CV / sqrt 2 */
    g.amp_cv = 0.1;
    g.noise_density = 0.0015;
    g.seed = 40 + (uint64_t)k;
    step_list s = make_steps(&g);
    float *v, *ap, *ml;
    size_t n = render(&g, &s, 100.0, &v, &ap, &ml);
    kl_gait_config c = cfg_default();
    kl_gait_metrics m;
    double ev[400];
    size_t ne = 0;
    cr_assert_eq(kl_gait_compute_steps(&c, v, ap, ml, n, 1, 100.0, &m, ev, 400, &ne), KLONOS_OK);
    cr_expect_eq((size_t)m.steps, ne);
    double cad = truth_cadence(&s), cv = truth_stride_cv(&s);
    cr_expect(fabs(m.cadence_spm - cad) < 1.0, "CV %g: cadence %g vs %g", cvs[k], m.cadence_spm, cad);
    cr_expect(fabs(m.stride_time_cv - cv) < 0.01, "CV %g: stride CV %g vs %g", cvs[k], m.stride_time_cv, cv);
    /* Events: offset of the nearest event to each contact. */
    double offs[400] = {0}, sorted[400] = {0};
    for (size_t i = 0; i < s.n; i++) {
      double best = INFINITY;
      for (size_t j = 0; j < ne; j++)
        if (fabs(ev[j] - s.t[i]) < fabs(best)) best = ev[j] - s.t[i];
      offs[i] = sorted[i] = best;
    }
    for (size_t i = 0; i < s.n; i++)
      for (size_t j = i + 1; j < s.n; j++)
        if (sorted[j] < sorted[i]) {
          double x = sorted[i];
          sorted[i] = sorted[j];
          sorted[j] = x;
        }
    double med = sorted[s.n / 2];
    size_t hit = 0;
    for (size_t i = 0; i < s.n; i++) hit += fabs(offs[i] - med) < 0.05;
    cr_expect(med > 0.0 && med < 0.1, "event lag after contact %g s", med);
    cr_expect((double)hit >= 0.97 * (double)s.n, "CV %g: %zu of %zu contacts matched", cvs[k], hit, s.n);
    cr_expect(ne <= s.n + 1, "%zu events for %zu steps", ne, s.n);
    free3(v, ap, ml);
    free_steps(&s);
  }
}

/* Regularity falls strictly as timing and amplitude irregularity grow. */
Test(gait, regularity_decreases_with_irregularity) {
  double prev_step = 2, prev_stride = 2, prev_ap = 2, prev_hr = 1e9;
  for (int k = 0; k < 6; k++) {
    gait_gen g = gen_default();
    g.step_cv = 0.025 * k;
    g.amp_cv = 0.04 * k;
    g.noise_density = 0.0015;
    g.seed = 3; /* the same normal draws, scaled */
    step_list s = make_steps(&g);
    float *v, *ap, *ml;
    size_t n = render(&g, &s, 100.0, &v, &ap, &ml);
    kl_gait_config c = cfg_default();
    kl_gait_metrics m;
    cr_assert_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &m), KLONOS_OK);
    cr_expect(m.step_regularity_v < prev_step, "level %d: step reg V %g after %g", k, m.step_regularity_v, prev_step);
    cr_expect(m.stride_regularity_v < prev_stride, "level %d: stride reg V %g after %g", k, m.stride_regularity_v,
              prev_stride);
    cr_expect(m.stride_regularity_ap < prev_ap, "level %d: stride reg AP %g", k, m.stride_regularity_ap);
    cr_expect(m.harmonic_ratio_v < prev_hr, "level %d: HR V %g after %g", k, m.harmonic_ratio_v, prev_hr);
    prev_step = m.step_regularity_v;
    prev_stride = m.stride_regularity_v;
    prev_ap = m.stride_regularity_ap;
    prev_hr = m.harmonic_ratio_v;
    free3(v, ap, ml);
    free_steps(&s);
  }
}

#define GAIT_NF 17
static void fields(const kl_gait_metrics *m, double f[GAIT_NF]) {
  const double v[GAIT_NF] = {m->cadence_spm,       m->step_time_s,         m->stride_time_s,    m->stride_time_cv,
                             m->step_regularity_v, m->stride_regularity_v, m->step_symmetry_v,  m->step_regularity_ap,
                             m->stride_regularity_ap, m->step_symmetry_ap, m->harmonic_ratio_v, m->harmonic_ratio_ap,
                             m->harmonic_ratio_ml, m->v_rms_mps2,          m->ap_rms_mps2,      m->ml_rms_mps2,
                             m->ml_range_mps2};
  memcpy(f, v, sizeof v);
}
static const char *const NAMES[GAIT_NF] = {
    "cadence", "step_time", "stride_time", "stride_cv", "step_reg_v", "stride_reg_v", "sym_v", "step_reg_ap",
    "stride_reg_ap", "sym_ap", "hr_v", "hr_ap", "hr_ml", "v_rms", "ap_rms", "ml_rms", "ml_range"};

Test(gait, rate_independence_50_100_200) {
  gait_gen g = gen_default();
  g.cadence_spm = 108.0;
  g.step_cv = 0.05;
  g.amp_cv = 0.1;
  g.noise_density = 0.0015; /* 150 ug/sqrt(Hz) */
  step_list s = make_steps(&g);
  const double rates[3] = {50, 100, 200};
  double f[3][GAIT_NF];
  for (int k = 0; k < 3; k++) {
    float *v, *ap, *ml;
    size_t n = render(&g, &s, rates[k], &v, &ap, &ml);
    kl_gait_config c = cfg_default();
    kl_gait_metrics m;
    cr_assert_eq(kl_gait_compute(&c, v, ap, ml, n, 1, rates[k], &m), KLONOS_OK);
    fields(&m, f[k]);
    free3(v, ap, ml);
  }
  /* The stride CV is a small number: compare it absolutely (0.005). */
  for (int i = 0; i < GAIT_NF; i++)
    for (int k = 0; k < 3; k += 2) {
      if (i == 3)
        cr_expect(fabs(f[k][i] - f[1][i]) < 0.005, "%s at %g Hz: %g vs %g", NAMES[i], rates[k], f[k][i], f[1][i]);
      else
        cr_expect(fabs(f[k][i] / f[1][i] - 1) < 0.05, "%s at %g Hz: %g vs %g at 100 Hz", NAMES[i], rates[k], f[k][i],
                  f[1][i]);
    }
  free_steps(&s);
}

/* A limp: V repeats more per stride than per step (v_odd large), so the
 * stride peak of the autocorrelation is the taller; the step period must
 * still be the step. */
Test(gait, asymmetric_gait_keeps_the_step_period) {
  gait_gen g = gen_default();
  g.v_odd = 0.8;
  g.asym = 0.15;
  g.cadence_spm = 100.0;
  g.noise_density = 0.0015;
  step_list s = make_steps(&g);
  float *v, *ap, *ml;
  size_t n = render(&g, &s, 100.0, &v, &ap, &ml);
  kl_gait_config c = cfg_default();
  kl_gait_metrics m;
  cr_assert_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &m), KLONOS_OK);
  cr_expect(fabs(m.cadence_spm - truth_cadence(&s)) < 1.0, "cadence %g vs %g", m.cadence_spm, truth_cadence(&s));
  /* The strong left/right difference of the V pattern moves the low peak
   * toward the tall one: event-based asymmetry is then underestimated
   * (0.06 for 0.15 here; docs/gait.md), but not missed. */
  cr_expect(m.step_time_asymmetry > 0.03, "asymmetry %g", m.step_time_asymmetry);
  cr_expect(m.step_regularity_v < m.stride_regularity_v);
  free3(v, ap, ml);
  free_steps(&s);
  /* A timing asymmetry with a mildly asymmetric pattern is measured. The
   * generator's V peak sits at a fixed phase (~0.085) of each step, not at
   * a fixed delay after contact, so event intervals are 0.915 d[i] +
   * 0.085 d[i+1]: alternating differences shrink by 1 - 2 x 0.085. */
  g = gen_default();
  g.asym = 0.10;
  g.v_odd = 0.1;
  g.noise_density = 0.0015;
  s = make_steps(&g);
  n = render(&g, &s, 100.0, &v, &ap, &ml);
  cr_assert_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &m), KLONOS_OK);
  cr_expect(fabs(m.step_time_asymmetry - 0.10 * (1 - 2 * 0.085)) < 0.01, "asymmetry %g vs 0.083",
            m.step_time_asymmetry);
  free3(v, ap, ml);
  free_steps(&s);
}

/* Slow and fast walking; quiet standing before and after the walk. */
Test(gait, cadence_range_and_standing_edges) {
  const double cad[4] = {60.0, 85.0, 130.0, 160.0};
  for (int k = 0; k < 4; k++) {
    gait_gen g = gen_default();
    g.cadence_spm = cad[k];
    g.step_cv = 0.03;
    g.stand_s = 3.0;
    g.walk_s = 30.0;
    g.noise_density = 0.0015;
    g.seed = 77 + (uint64_t)k;
    step_list s = make_steps(&g);
    float *v, *ap, *ml;
    size_t n = render(&g, &s, 100.0, &v, &ap, &ml);
    kl_gait_config c = cfg_default();
    kl_gait_metrics m;
    double ev[200];
    size_t ne;
    cr_assert_eq(kl_gait_compute_steps(&c, v, ap, ml, n, 1, 100.0, &m, ev, 200, &ne), KLONOS_OK, "cadence %g",
                 cad[k]);
    cr_expect(fabs(m.cadence_spm - truth_cadence(&s)) < 1.0, "cadence %g vs %g", m.cadence_spm, truth_cadence(&s));
    /* No event in the standing parts. */
    cr_expect(ev[0] > g.stand_s - 0.05 && ev[ne - 1] < g.stand_s + g.walk_s + 0.6, "events %g .. %g", ev[0],
              ev[ne - 1]);
    cr_expect(fabs(m.walking_s - (s.t[s.n - 1] - s.t[0])) < 0.7, "walking span %g", m.walking_s);
    free3(v, ap, ml);
    free_steps(&s);
  }
}

Test(gait, refuses_short_nan_and_standing) {
  gait_gen g = gen_default();
  g.walk_s = 20.0;
  step_list s = make_steps(&g);
  float *v, *ap, *ml;
  size_t n = render(&g, &s, 100.0, &v, &ap, &ml);
  kl_gait_config c = cfg_default();
  kl_gait_metrics m;
  memset(&m, 0xff, sizeof m);
  cr_expect_eq(kl_gait_compute(&c, v, ap, ml, 2, 1, 100.0, &m), KLONOS_E_NODATA);
  cr_expect_eq(m.cadence_spm, 0.0, "no number from 2 samples");
  cr_expect_eq(m.steps, 0);
  cr_expect_eq(kl_gait_compute(&c, v, ap, ml, 0, 1, 100.0, &m), KLONOS_E_NODATA);
  cr_expect_eq(kl_gait_compute(&c, v, ap, ml, 499, 1, 100.0, &m), KLONOS_E_NODATA); /* 4.99 s */
  cr_expect_eq(kl_gait_compute(&c, v, ap, ml, 500, 1, 100.0, &m), KLONOS_OK);
  /* Too few steps for the configured minimum. */
  c.min_steps = 40;
  size_t cnt = 0;
  double ev[64];
  cr_expect_eq(kl_gait_compute_steps(&c, v, ap, ml, 1000, 1, 100.0, &m, ev, 64, &cnt), KLONOS_E_NODATA);
  cr_expect(cnt >= 18 && cnt <= 21, "events still reported: %zu", cnt);
  cr_expect_eq(m.cadence_spm, 0.0);
  c = cfg_default();
  ap[777] = NAN;
  cr_expect_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &m), KLONOS_E_NODATA);
  ap[777] = INFINITY;
  cr_expect_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &m), KLONOS_E_NODATA);
  ap[777] = 0.0f;
  /* Standing: sensor noise and slow sway, no steps. */
  rng r = {9};
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / 100.0;
    v[i] = (float)(0.01 * grand(&r));
    ap[i] = (float)(0.05 * sin(2 * PI * 0.3 * t) + 0.01 * grand(&r));
    ml[i] = (float)(0.03 * sin(2 * PI * 0.2 * t) + 0.01 * grand(&r));
  }
  cr_expect_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &m), KLONOS_E_NODATA);
  /* All zero. */
  memset(v, 0, sizeof(float) * n);
  cr_expect_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &m), KLONOS_E_NODATA);
  free3(v, ap, ml);
  free_steps(&s);
}

Test(gait, rejects_bad_arguments) {
  float x[1000] = {0};
  kl_gait_config c = cfg_default();
  kl_gait_metrics m;
  double ev[4];
  cr_expect_eq(kl_gait_compute(NULL, x, x, x, 1000, 1, 100.0, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_gait_compute(&c, NULL, x, x, 1000, 1, 100.0, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_gait_compute(&c, x, x, x, 1000, 1, 100.0, NULL), KLONOS_E_INVAL);
  cr_expect_eq(kl_gait_compute(&c, x, x, x, 1000, 0, 100.0, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_gait_compute(&c, x, x, x, 1000, 1, -1.0, &m), KLONOS_E_INVAL);
  cr_expect_eq(kl_gait_compute(&c, x, x, x, 1000, 1, 10.0, &m), KLONOS_E_INVAL); /* 2.5 samples per step */
  cr_expect_eq(kl_gait_compute_steps(&c, x, x, x, 1000, 1, 100.0, &m, NULL, 4, NULL), KLONOS_E_INVAL);
  kl_gait_config b = c;
  b.min_step_s = 2.0;
  cr_expect_eq(kl_gait_compute_steps(&b, x, x, x, 1000, 1, 100.0, &m, ev, 4, NULL), KLONOS_E_INVAL);
  b = c;
  b.interval_tolerance = 1.0;
  cr_expect_eq(kl_gait_compute(&b, x, x, x, 1000, 1, 100.0, &m), KLONOS_E_INVAL);
  b = c;
  b.min_harmonics = 30;
  cr_expect_eq(kl_gait_compute(&b, x, x, x, 1000, 1, 100.0, &m), KLONOS_E_INVAL);
  b = c;
  b.min_steps = 2;
  cr_expect_eq(kl_gait_compute(&b, x, x, x, 1000, 1, 100.0, &m), KLONOS_E_INVAL);
}

/* Interleaved frames give the same numbers as contiguous arrays. */
Test(gait, stride_reads_interleaved_frames) {
  gait_gen g = gen_default();
  g.walk_s = 20.0;
  g.step_cv = 0.03;
  step_list s = make_steps(&g);
  float *v, *ap, *ml;
  size_t n = render(&g, &s, 100.0, &v, &ap, &ml);
  float *fr = malloc(sizeof(float) * 4 * n);
  for (size_t i = 0; i < n; i++) fr[4 * i] = ap[i], fr[4 * i + 1] = ml[i], fr[4 * i + 2] = v[i], fr[4 * i + 3] = 1.0f;
  kl_gait_config c = cfg_default();
  kl_gait_metrics a, b;
  cr_assert_eq(kl_gait_compute(&c, v, ap, ml, n, 1, 100.0, &a), KLONOS_OK);
  cr_assert_eq(kl_gait_compute(&c, fr + 2, fr, fr + 1, n, 4, 100.0, &b), KLONOS_OK);
  cr_expect_eq(memcmp(&a, &b, sizeof a), 0);
  free(fr);
  free3(v, ap, ml);
  free_steps(&s);
}

/* ---- the synthetic walking recording -------------------------------------- */

Test(gait, synthetic_walking_bout) {
  klonos_synth_config cfg;
  klonos_synth_config_default(&cfg);
  cfg.scenario = KLONOS_SYNTH_WALKING;
  cfg.severity = 0.6;
  cfg.duration_s = 150.0;
  cfg.seed = 11;
  cfg.rotation = KLONOS_SYNTH_ROTATION_RANDOM;
  klonos_synth *sy = NULL;
  cr_assert_eq(klonos_synth_open(&sy, &cfg, NULL), KLONOS_OK, "%s", klonos_synth_error(sy));
  double M[9];
  klonos_synth_rotation_matrix(sy, M);
  int64_t frames;
  klonos_synth_frame_count(sy, &frames);
  size_t n = (size_t)frames, got = 0, k;
  float *fr = malloc(sizeof(float) * 3 * n);
  double b0 = -1, b1 = -1, *steps = malloc(sizeof(double) * 4000);
  size_t ns = 0;
  while (got < n && klonos_synth_render(sy, fr + 3 * got, n - got, &k) == KLONOS_OK && k > 0) {
    got += k;
    size_t tc;
    klonos_synth_truth_count(sy, &tc);
    for (size_t i = 0; i < tc; i++) {
      klonos_synth_truth it;
      klonos_synth_truth_get(sy, i, &it);
      if (it.kind == KLONOS_SYNTH_TRUTH_BOUT && it.state == KLONOS_SYNTH_STATE_WALKING && b0 < 0)
        b0 = it.start_s, b1 = it.end_s;
      if (it.kind == KLONOS_SYNTH_TRUTH_STEP && ns < 4000) steps[ns++] = it.start_s;
    }
  }
  klonos_synth_close(&sy);
  cr_assert(b0 >= 0, "no walking bout");
  size_t i0 = (size_t)ceil(b0 * 100.0), i1 = (size_t)floor(b1 * 100.0), m_n = i1 - i0;
  /* Body frame: tilt correction with the bout's mean gravity, heading from
   * the known mounting (body AP = column 1 of M). */
  double g[3] = {0, 0, 0}, hint[3] = {M[1], M[4], M[7]};
  for (size_t i = i0; i < i1; i++)
    for (int a = 0; a < 3; a++) g[a] += fr[3 * i + a] / (double)m_n;
  kl_mat3 R;
  cr_assert_eq(kl_body_rotation(g, hint, &R), 0);
  double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  float *v = malloc(sizeof(float) * m_n), *ap = malloc(sizeof(float) * m_n), *ml = malloc(sizeof(float) * m_n);
  for (size_t i = 0; i < m_n; i++) {
    double sv[3] = {fr[3 * (i0 + i)], fr[3 * (i0 + i) + 1], fr[3 * (i0 + i) + 2]}, bv[3];
    kl_mat3_apply(&R, sv, bv);
    ap[i] = (float)bv[0];
    ml[i] = (float)bv[1];
    v[i] = (float)(bv[2] - gn);
  }
  kl_gait_config c = cfg_default();
  kl_gait_metrics m;
  cr_assert_eq(kl_gait_compute(&c, v, ap, ml, m_n, 1, 100.0, &m), KLONOS_OK);
  /* Truth over the bout's contacts. */
  double tt[4000] = {0};
  size_t nt = 0;
  for (size_t i = 0; i < ns; i++)
    if (steps[i] >= b0 && steps[i] < b1) tt[nt++] = steps[i];
  double cad = 60.0 * (double)(nt - 1) / (tt[nt - 1] - tt[0]), mean = 0, q = 0;
  for (size_t i = 0; i + 2 < nt; i++) mean += (tt[i + 2] - tt[i]) / (double)(nt - 2);
  for (size_t i = 0; i + 2 < nt; i++) q += pow(tt[i + 2] - tt[i] - mean, 2);
  double cv = sqrt(q / (double)(nt - 3)) / mean;
  cr_expect(fabs(m.cadence_spm - cad) < 1.0, "cadence %g vs %g", m.cadence_spm, cad);
  cr_expect(fabs(m.stride_time_cv - cv) < 0.01, "stride CV %g vs %g", m.stride_time_cv, cv);
  cr_expect(abs(m.steps - (int)nt) <= 2, "steps %d vs %zu", m.steps, nt);
  free3(v, ap, ml);
  free(fr);
  free(steps);
}
