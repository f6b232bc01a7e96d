/* Walking: step timing and the trunk acceleration pattern of each step.
 *
 * Timing. Mean step time T = 60 / cadence; left steps last T(1 + A/2), right
 * steps T(1 - A/2) (A = step_time_asymmetry). Each step time is multiplied by
 * (1 + c e), e standard normal truncated at +-3, independently per step: the
 * stride time (two consecutive steps) then has CV = c sqrt(TL^2 + TR^2) /
 * (TL + TR), so c is chosen to give exactly the requested stride-time CV
 * (with the truncated normal's variance 0.97334 corrected). Stride-to-stride
 * fluctuations are white here: the long-range correlations of healthy gait
 * (Hausdorff 1995) are not modelled.
 *
 * Pattern. Lower-back acceleration during walking is periodic at the step
 * frequency in V and AP and at the stride frequency in ML (Moe-Nilssen &
 * Helbostad 2004; Zijlstra & Hof 2003): V and AP here are four/three
 * harmonics of the step phase phi, ML two odd harmonics of the stride phase.
 * The harmonic phases put the vertical peak shortly after initial contact
 * (loading response) and the AP deceleration at contact; their values are
 * chosen to resemble published L3-L5 traces, not fitted. Each step has its
 * own amplitude factor (step_amp_cv, step_amp_asymmetry left vs right),
 * interpolated across the step so the signal stays continuous. Asymmetry
 * and variability lower the harmonic ratio and step/stride regularity as in
 * ataxic gait. At initial contact a heel-strike transient (damped 18 Hz
 * oscillation, time constant 15 ms, sample-interval averaged like the jerks)
 * is added, mostly vertical.
 *
 * Gyroscope: pitch (step frequency, +-2 deg), roll and yaw (stride
 * frequency, +-3 and +-4 deg) oscillations; plausible magnitudes, not
 * kinematically tied to the acceleration pattern.
 *
 * Bouts ramp in and out over one mean step time (gait initiation and
 * termination): steps there are in the truth but their pattern is weaker. */
#include <math.h>
#include <string.h>

#include "synth_priv.h"

#define HS_FREQ_HZ 18.0
#define HS_TAU_S 0.015
#define HS_SPAN_TAUS 8.0
#define TRUNC_NORMAL_VAR 0.97334 /* variance of N(0,1) truncated at +-3 */

/* Harmonic k of the step (V, AP) or stride (ML) phase: amplitude and the
 * phase (fraction of the cycle) at which it peaks. */
typedef struct harmonic { double amp, peak; } harmonic;
static const harmonic V_H[4] = {{1.0, 0.12}, {0.35, 0.06}, {0.15, 0.04}, {0.08, 0.02}};
static const harmonic AP_H[3] = {{1.0, 0.52}, {0.45, 0.30}, {0.15, 0.10}};
static const harmonic ML_H[2] = {{1.0, 0.20}, {0.25, 0.10}}; /* stride harmonics 1 and 3 */
#define PITCH_AMP_DEG 2.0
#define ROLL_AMP_DEG 3.0
#define YAW_AMP_DEG 4.0

void kl_gait_init(kl_gait *g, uint64_t seed) {
  memset(g, 0, sizeof *g);
  kl_rng_seed(&g->rng, seed, KL_STREAM_GAIT);
}

static double trunc_normal(kl_rng *r) {
  double e;
  do e = kl_rng_normal(r);
  while (fabs(e) > 3.0);
  return e;
}

static void draw_step(klonos_synth *h, kl_step *s, int foot, double t_ic) {
  const klonos_synth_params *p = &h->p;
  kl_gait *g = &h->gait;
  const double T = 60.0 / p->cadence_spm;
  const double side = foot == 0 ? 1.0 : -1.0;
  const double Tf = T * (1.0 + side * 0.5 * p->step_time_asymmetry);
  double dur = Tf * (1.0 + g->step_cv_scale * trunc_normal(&g->rng));
  if (dur < 0.3 * T) dur = 0.3 * T;
  double amp = (1.0 + side * 0.5 * p->step_amp_asymmetry) * (1.0 + p->step_amp_cv * trunc_normal(&g->rng));
  if (amp < 0.2) amp = 0.2;
  s->foot = foot;
  s->t_ic = t_ic;
  s->dur = dur;
  s->amp = amp;
}

static int emit_step(klonos_synth *h, const kl_step *s) {
  kl_gait *g = &h->gait;
  if (s->t_ic >= g->t1) return KLONOS_OK;
  klonos_synth_truth it;
  double end = s->t_ic + s->dur;
  if (end > g->t1) end = g->t1;
  kl_truth_item_init(&it, KLONOS_SYNTH_TRUTH_STEP, KLONOS_SYNTH_STATE_WALKING, s->t_ic, end);
  it.detail = s->foot;
  it.parent_id = g->bout_id;
  it.freq_hz = 1.0 / s->dur;
  g->steps++;
  return kl_truth_add(&h->truth, &it);
}

int kl_gait_begin(klonos_synth *h, const kl_segment *seg) {
  kl_gait *g = &h->gait;
  const klonos_synth_params *p = &h->p;
  g->active = 1;
  g->bout_id = seg->id;
  g->t0 = seg->t0;
  g->t1 = seg->t1;
  g->steps = 0;
  const double T = 60.0 / p->cadence_spm;
  const double tl = T * (1.0 + 0.5 * p->step_time_asymmetry), tr = T * (1.0 - 0.5 * p->step_time_asymmetry);
  g->step_cv_scale = p->stride_time_cv * (tl + tr) / sqrt(tl * tl + tr * tr) / sqrt(TRUNC_NORMAL_VAR);
  const int foot = kl_rng_int(&g->rng, 0, 1);
  draw_step(h, &g->cur, foot, seg->t0);
  draw_step(h, &g->next, 1 - foot, g->cur.t_ic + g->cur.dur);
  g->rot_n = -1;
  g->hs_n = -1;
  /* Heel-strike transient constants: p = -1/tau + i w. */
  const double w = 2.0 * KL_PI * HS_FREQ_HZ, dt = h->dt;
  g->hs_pr = -1.0 / HS_TAU_S;
  g->hs_pi = w;
  g->hs_er = exp(g->hs_pr * dt) * cos(w * dt);
  g->hs_ei = exp(g->hs_pr * dt) * sin(w * dt);
  /* C = (1 - e^{-p dt}) / (p dt) */
  const double emr = exp(-g->hs_pr * dt) * cos(-w * dt), emi = exp(-g->hs_pr * dt) * sin(-w * dt);
  const double nr = 1.0 - emr, ni = -emi, dr = g->hs_pr * dt, di = g->hs_pi * dt, dd = dr * dr + di * di;
  g->hs_cr = (nr * dr + ni * di) / dd;
  g->hs_ci = (ni * dr - nr * di) / dd;
  int rc = emit_step(h, &g->cur);
  if (rc == KLONOS_OK) rc = emit_step(h, &g->next);
  return rc;
}

int kl_gait_end(klonos_synth *h, klonos_synth_truth *bout) {
  kl_gait *g = &h->gait;
  bout->count = g->steps;
  bout->freq_hz = h->p.cadence_spm / 60.0;
  g->active = 0;
  return KLONOS_OK;
}

static int advance_step(klonos_synth *h) {
  kl_gait *g = &h->gait;
  g->cur = g->next;
  draw_step(h, &g->next, 1 - g->cur.foot, g->cur.t_ic + g->cur.dur);
  g->rot_n = -1;
  g->hs_n = -1;
  return emit_step(h, &g->next);
}

/* Peak of e^{-x/tau} sin(w x): at tan(w x) = w tau. */
static double hs_norm(void) {
  const double w = 2.0 * KL_PI * HS_FREQ_HZ;
  const double x = atan(w * HS_TAU_S) / w;
  return 1.0 / (exp(-x / HS_TAU_S) * sin(w * x));
}

int kl_gait_add(klonos_synth *h, int64_t n0, int count) {
  kl_gait *g = &h->gait;
  const klonos_synth_params *p = &h->p;
  const double ramp_s = 60.0 / p->cadence_spm;
  const double hs_scale = p->heel_strike_mps2 * hs_norm();
  const double hs_span = HS_SPAN_TAUS * HS_TAU_S;
  /* Harmonic phase factors are constants: precompute once per call. */
  double vc[4][2], ac[3][2], mc[2][2];
  for (int k = 0; k < 4; k++) {
    const double th = -2.0 * KL_PI * (double)(k + 1) * V_H[k].peak;
    vc[k][0] = V_H[k].amp * cos(th);
    vc[k][1] = V_H[k].amp * sin(th);
  }
  for (int k = 0; k < 3; k++) {
    const double th = -2.0 * KL_PI * (double)(k + 1) * AP_H[k].peak;
    ac[k][0] = AP_H[k].amp * cos(th);
    ac[k][1] = AP_H[k].amp * sin(th);
  }
  for (int k = 0; k < 2; k++) {
    const int order = k == 0 ? 1 : 3;
    const double th = -2.0 * KL_PI * (double)order * ML_H[k].peak;
    mc[k][0] = ML_H[k].amp * cos(th);
    mc[k][1] = ML_H[k].amp * sin(th);
  }
  const double pitch = PITCH_AMP_DEG * KL_DEG, roll = ROLL_AMP_DEG * KL_DEG, yaw = YAW_AMP_DEG * KL_DEG;

  for (int i = 0; i < count; i++) {
    const int64_t n = n0 + i;
    const double t = (double)n / h->fs;
    while (t >= g->cur.t_ic + g->cur.dur) {
      int rc = advance_step(h);
      if (rc) return rc;
    }
    const double phi = (t - g->cur.t_ic) / g->cur.dur;
    /* hr + i hi = e^{i pi phi}: advanced by one rotation per sample, set
     * afresh at every step. */
    if (g->rot_n == n - 1 && g->rot_n >= 0) {
      const double r = g->hr * g->wr - g->hi * g->wi;
      g->hi = g->hr * g->wi + g->hi * g->wr;
      g->hr = r;
    } else {
      g->hr = cos(KL_PI * phi);
      g->hi = sin(KL_PI * phi);
      g->wr = cos(KL_PI / (g->cur.dur * h->fs));
      g->wi = sin(KL_PI / (g->cur.dur * h->fs));
    }
    g->rot_n = n;
    const double z1r = g->hr * g->hr - g->hi * g->hi, z1i = 2.0 * g->hr * g->hi;
    const double z2r = z1r * z1r - z1i * z1i, z2i = 2.0 * z1r * z1i;
    const double z3r = z1r * z2r - z1i * z2i, z3i = z1r * z2i + z1i * z2r;
    const double z4r = z2r * z2r - z2i * z2i, z4i = 2.0 * z2r * z2i;
    const double side = g->cur.foot == 0 ? 1.0 : -1.0; /* stride phase: left contact at 0 */
    const double sr = side * g->hr, si = side * g->hi;  /* e^{i 2 pi psi} */
    const double s3r = sr * (sr * sr - 3.0 * si * si), s3i = si * (3.0 * sr * sr - si * si);

    const double amp = g->cur.amp + (g->next.amp - g->cur.amp) * phi;
    const double ramp = kl_smoothstep((t - g->t0) / ramp_s) * kl_smoothstep((g->t1 - t) / ramp_s);
    const double k = amp * ramp;

    double v = vc[0][0] * z1r - vc[0][1] * z1i + vc[1][0] * z2r - vc[1][1] * z2i + vc[2][0] * z3r - vc[2][1] * z3i +
               vc[3][0] * z4r - vc[3][1] * z4i;
    double ap = ac[0][0] * z1r - ac[0][1] * z1i + ac[1][0] * z2r - ac[1][1] * z2i + ac[2][0] * z3r - ac[2][1] * z3i;
    double ml = mc[0][0] * sr - mc[0][1] * si + mc[1][0] * s3r - mc[1][1] * s3i;
    v *= p->gait_v_amp_mps2 * k;
    ap *= p->gait_ap_amp_mps2 * k;
    ml *= p->gait_ml_amp_mps2 * k;

    /* Heel strike: the sample-interval average of e^{p x} sin-part, x = t - t_ic. */
    const double x = t - g->cur.t_ic;
    if (x > 0.0 && x < hs_span + h->dt && hs_scale > 0.0) {
      if (g->hs_n == n - 1 && g->hs_n >= 0) {
        const double r = g->hs_zr * g->hs_er - g->hs_zi * g->hs_ei;
        g->hs_zi = g->hs_zr * g->hs_ei + g->hs_zi * g->hs_er;
        g->hs_zr = r;
      } else {
        const double e = exp(g->hs_pr * x);
        g->hs_zr = e * cos(g->hs_pi * x);
        g->hs_zi = e * sin(g->hs_pi * x);
      }
      g->hs_n = n;
      double val;
      if (x < h->dt) {
        /* Interval straddles the contact: (F(x) - F(0)) / dt, F = e^{p x} / p. */
        const double nr = g->hs_zr - 1.0, ni = g->hs_zi, dd = g->hs_pr * g->hs_pr + g->hs_pi * g->hs_pi;
        val = (ni * g->hs_pr - nr * g->hs_pi) / dd / h->dt;
      } else {
        val = g->hs_zr * g->hs_ci + g->hs_zi * g->hs_cr;
      }
      const double hs = hs_scale * k * val;
      v += hs;
      ap -= 0.6 * hs;
      ml += 0.3 * side * hs;
    }
    h->acc[0][i] += v;
    h->acc[1][i] += ap;
    h->acc[2][i] += ml;

    /* Gyroscope: d/dt of pitch P cos(2 pi (phi - 0.1)), roll/yaw R cos(2 pi psi - ...). */
    const double wstep = 2.0 * KL_PI / g->cur.dur;
    const double pitch_rate = -pitch * wstep * (z1i * cos(2.0 * KL_PI * 0.1) - z1r * sin(2.0 * KL_PI * 0.1));
    const double roll_rate = -roll * 0.5 * wstep * si;
    const double yaw_rate = -yaw * 0.5 * wstep * sr;
    h->gyr[0][i] += k * yaw_rate;
    h->gyr[1][i] += k * roll_rate;
    h->gyr[2][i] += k * pitch_rate;
  }
  return KLONOS_OK;
}
