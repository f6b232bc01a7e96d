/* The generator handle: validation, the render loop, the posture + sway
 * base signal, and the sensor (rotation, gain/offset, noise, clipping).
 *
 * Body-frame specific force of a bout with trunk angles (a, m) is
 *     f = g u(a + da, m + dm) + linear acceleration
 * where da, dm are the sway tilts. The sway acceleration asked for (h_AP,
 * h_ML, unit-RMS multisines times the state's RMS) is what the sensor sees
 * on AP and ML beyond the static gravity component: a share
 * sway_tilt_fraction of it comes from tilting the trunk (gravity projection;
 * da = -c h_AP / g, dm = c h_ML / g) and the rest is linear acceleration.
 * So AP - g u0_AP = h_AP exactly and the RMS of the body-frame AP/ML
 * fluctuation is the requested one; the tilt shows in V at second order
 * (cos) and in the gyroscope. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_priv.h"

#define SWAY_SLEW_S 0.5 /* time constant of sway changes between bouts */

int kl_synth_fail(klonos_synth *h, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->error, sizeof h->error, fmt, ap);
  va_end(ap);
  h->status = code;
  return code;
}

/* sin and cos of a small angle (|x| < 0.1 rad) by Taylor series: exact to
 * < 1e-9, and no per-sample libm call. */
static inline void small_sincos(double x, double *s, double *c) {
  const double x2 = x * x;
  *s = x * (1.0 - x2 * (1.0 / 6.0) * (1.0 - x2 * (1.0 / 20.0)));
  *c = 1.0 - x2 * 0.5 * (1.0 - x2 * (1.0 / 12.0) * (1.0 - x2 * (1.0 / 30.0)));
}

static void sway_targets(const klonos_synth *h, int state, double g[2]) {
  const klonos_synth_params *p = &h->p;
  switch (state) {
    case KLONOS_SYNTH_STATE_STANDING: g[0] = p->sway_ap_rms_mps2; g[1] = p->sway_ml_rms_mps2; break;
    case KLONOS_SYNTH_STATE_SITTING:
      g[0] = p->sway_ap_rms_mps2 * p->sitting_sway_factor;
      g[1] = p->sway_ml_rms_mps2 * p->sitting_sway_factor;
      break;
    case KLONOS_SYNTH_STATE_LYING:
      g[0] = p->sway_ap_rms_mps2 * p->lying_sway_factor;
      g[1] = p->sway_ml_rms_mps2 * p->lying_sway_factor;
      break;
    case KLONOS_SYNTH_STATE_WALKING: g[0] = 0.5 * p->gait_ml_sway_rms_mps2; g[1] = p->gait_ml_sway_rms_mps2; break;
    default: g[0] = g[1] = 0.0; break;
  }
}

int klonos_synth_open(klonos_synth **out, const klonos_synth_config *cfg, const klonos_synth_params *params) {
  if (!out) return KLONOS_E_INVAL;
  *out = NULL;
  klonos_synth *h = calloc(1, sizeof *h);
  if (!h) return KLONOS_E_NOMEM;
  *out = h;
  if (!cfg) return kl_synth_fail(h, KLONOS_E_INVAL, "no config given");
  h->cfg = *cfg;
  char err[200];
  int rc = kl_synth_check_config(cfg, err, sizeof err);
  if (rc) return kl_synth_fail(h, rc, "%s", err);
  if (params) h->p = *params;
  else klonos_synth_params_derive(cfg, &h->p);
  rc = kl_synth_check_params(&h->p, cfg->rate_hz, err, sizeof err);
  if (rc) return kl_synth_fail(h, rc, "%s", err);
  if (cfg->scenario != KLONOS_SYNTH_FALLS && (h->p.fall_rate_per_hour > 0.0 || h->p.fast_sit_rate_per_hour > 0.0))
    return kl_synth_fail(h, KLONOS_E_INVAL, "fall_rate_per_hour and fast_sit_rate_per_hour apply to the falls scenario only");
  if (h->p.cluster_rate_per_hour > 0.0 && h->p.cluster_gap_min_s < h->p.jerk_duration_max_s)
    return kl_synth_fail(h, KLONOS_E_INVAL, "cluster_gap_min_s = %g is shorter than jerk_duration_max_s = %g: jerks of a cluster would overlap",
                         h->p.cluster_gap_min_s, h->p.jerk_duration_max_s);

  h->fs = cfg->rate_hz;
  h->dt = 1.0 / cfg->rate_hz;
  h->total_frames = llround(cfg->duration_s * cfg->rate_hz);
  h->acc_sd_mps2 = h->p.acc_noise_ug_rthz * 1e-6 * KL_G * sqrt(0.5 * h->fs);
  h->gyro_sd_radps = h->p.gyro_noise_dps_rthz * KL_DEG * sqrt(0.5 * h->fs);
  h->clip_mps2 = cfg->full_scale_g * KL_G;
  h->sway_slew = 1.0 - exp(-1.0 / (SWAY_SLEW_S * h->fs));

  memset(h->rot, 0, sizeof h->rot);
  if (cfg->rotation == KLONOS_SYNTH_ROTATION_EULER) {
    kl_rotation_euler(h->rot, cfg->rotation_euler_deg);
  } else if (cfg->rotation == KLONOS_SYNTH_ROTATION_RANDOM) {
    kl_rng r;
    kl_rng_seed(&r, cfg->seed, KL_STREAM_ROTATION);
    kl_rotation_random(h->rot, &r);
  } else {
    h->rot[0][0] = h->rot[1][1] = h->rot[2][2] = 1.0;
  }
  kl_rng_seed(&h->acc_noise, cfg->seed, KL_STREAM_ACC_NOISE);
  kl_rng_seed(&h->gyro_noise, cfg->seed, KL_STREAM_GYRO_NOISE);
  kl_sway_init(&h->sway, cfg->seed, h->p.sway_band_low_hz, h->p.sway_band_high_hz, h->p.sway_centroid_hz, h->fs);
  kl_timeline_init(&h->tl, h);
  kl_gait_init(&h->gait, cfg->seed);
  kl_events_init(&h->ev, cfg->seed);
  kl_fx_init(&h->fx, cfg->seed);
  return KLONOS_OK;
}

void klonos_synth_close(klonos_synth **synth) {
  if (!synth || !*synth) return;
  kl_truth_free(&(*synth)->truth);
  free(*synth);
  *synth = NULL;
}

const char *klonos_synth_error(const klonos_synth *h) { return h ? h->error : ""; }

int klonos_synth_get_config(const klonos_synth *h, klonos_synth_config *cfg) {
  if (!h || !cfg) return KLONOS_E_INVAL;
  if (h->fs <= 0.0) return KLONOS_E_STATE;
  *cfg = h->cfg;
  return KLONOS_OK;
}

int klonos_synth_get_params(const klonos_synth *h, klonos_synth_params *params) {
  if (!h || !params) return KLONOS_E_INVAL;
  if (h->fs <= 0.0) return KLONOS_E_STATE;
  *params = h->p;
  return KLONOS_OK;
}

int klonos_synth_frame_count(const klonos_synth *h, int64_t *frames) {
  if (!h || !frames) return KLONOS_E_INVAL;
  if (h->fs <= 0.0) return KLONOS_E_STATE;
  *frames = h->total_frames;
  return KLONOS_OK;
}

int klonos_synth_rotation_matrix(const klonos_synth *h, double m[9]) {
  if (!h || !m) return KLONOS_E_INVAL;
  if (h->fs <= 0.0) return KLONOS_E_STATE;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) m[3 * i + j] = h->rot[i][j];
  return KLONOS_OK;
}

int klonos_synth_clipped_count(const klonos_synth *h, int64_t *clipped) {
  if (!h || !clipped) return KLONOS_E_INVAL;
  *clipped = h->clipped;
  return KLONOS_OK;
}

int klonos_synth_truth_count(const klonos_synth *h, size_t *count) {
  if (!h || !count) return KLONOS_E_INVAL;
  *count = h->truth.n_out;
  return KLONOS_OK;
}

int klonos_synth_truth_get(const klonos_synth *h, size_t index, klonos_synth_truth *item) {
  if (!h || !item) return KLONOS_E_INVAL;
  if (index >= h->truth.n_out) return KLONOS_E_RANGE;
  *item = h->truth.out[index];
  return KLONOS_OK;
}

/* ---- segments ---- */

static int begin_segment(klonos_synth *h, int first) {
  const kl_segment *s = &h->seg;
  double tgt[2];
  sway_targets(h, s->state, tgt);
  if (first || s->state == KLONOS_SYNTH_STATE_NONWEAR) {
    h->sway_gain[0] = tgt[0];
    h->sway_gain[1] = tgt[1];
  }
  int rc = KLONOS_OK;
  if (s->state == KLONOS_SYNTH_STATE_WALKING) rc = kl_gait_begin(h, s);
  kl_events_begin_segment(h, s);
  kl_fx_begin_segment(h, s);
  return rc;
}

static int end_segment(klonos_synth *h) {
  const kl_segment *s = &h->seg;
  klonos_synth_truth bout;
  kl_truth_item_init(&bout, KLONOS_SYNTH_TRUTH_BOUT, s->state, s->t0, s->t1);
  bout.id = s->id;
  bout.detail = s->state == KLONOS_SYNTH_STATE_LYING ? s->detail : KLONOS_SYNTH_LYING_NONE;
  if (s->state != KLONOS_SYNTH_STATE_OTHER && s->state != KLONOS_SYNTH_STATE_NONWEAR) {
    bout.pitch_deg = s->a / KL_DEG;
    bout.roll_deg = s->m / KL_DEG;
  }
  int rc = KLONOS_OK;
  if (s->state == KLONOS_SYNTH_STATE_WALKING) rc = kl_gait_end(h, &bout);
  if (rc == KLONOS_OK) rc = kl_events_end_segment(h);
  if (rc == KLONOS_OK) rc = kl_fx_end_segment(h);
  if (s->is_change) {
    bout.from_state = s->from_state;
    klonos_synth_truth ch;
    kl_truth_item_init(&ch, KLONOS_SYNTH_TRUTH_POSTURE_CHANGE, s->to_state, s->t0, s->t1);
    ch.from_state = s->from_state;
    if (rc == KLONOS_OK) rc = kl_truth_add(&h->truth, &ch);
    if (s->fm.kind != KL_FM_NONE && rc == KLONOS_OK) {
      klonos_synth_truth fall;
      kl_falls_truth(s, &fall);
      rc = kl_truth_add(&h->truth, &fall);
    }
  }
  if (rc == KLONOS_OK) rc = kl_truth_add(&h->truth, &bout);
  return rc;
}

/* ---- the base signal: posture + sway (every state) ---- */

static void base_block(klonos_synth *h, int64_t n0, int count) {
  const kl_segment *s = &h->seg;
  const double c = h->p.sway_tilt_fraction;
  double tgt[2];
  sway_targets(h, s->state, tgt);
  const double alpha = h->sway_slew;
  const double ca0 = cos(s->a), sa0 = sin(s->a), cm0 = cos(s->m), sm0 = sin(s->m);
  const double u0_ap = -sa0, u0_ml = ca0 * sm0;
  for (int i = 0; i < count; i++) {
    const int64_t n = n0 + i;
    double x[2], xd[2];
    kl_sway_next(&h->sway, n, x, xd); /* every frame, so the sway's state never depends on the bouts */
    h->sway_gain[0] += (tgt[0] - h->sway_gain[0]) * alpha;
    h->sway_gain[1] += (tgt[1] - h->sway_gain[1]) * alpha;
    const double h_ap = h->sway_gain[0] * x[0], h_ml = h->sway_gain[1] * x[1];
    double *av = &h->acc[0][i], *aa = &h->acc[1][i], *am = &h->acc[2][i];
    double *wv = &h->gyr[0][i], *wa = &h->gyr[1][i], *wm = &h->gyr[2][i];
    if (s->state == KLONOS_SYNTH_STATE_NONWEAR) {
      *av = KL_G * s->u_table[0];
      *aa = KL_G * s->u_table[1];
      *am = KL_G * s->u_table[2];
      *wv = *wa = *wm = 0.0;
    } else if (s->is_change && s->fm.kind != KL_FM_NONE) {
      /* A fall or a fast sit (synth_falls.c): its own kinematics, sway on top. */
      double f[3], w[3];
      kl_falls_kinematics(s, (double)n / h->fs, h->dt, f, w);
      *av = f[0];
      *aa = f[1] + h_ap;
      *am = f[2] + h_ml;
      *wv = w[0];
      *wa = w[1];
      *wm = w[2];
      const double mag = sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]);
      if (mag > h->seg.fm.peak_seen) h->seg.fm.peak_seen = mag;
    } else if (s->is_change) {
      const double t = (double)n / h->fs;
      double a, m, ad, md, vert, fwd;
      kl_change_angles(s, t, &a, &m, &ad, &md);
      kl_change_linear(s, t, &vert, &fwd);
      const double ca = cos(a), sa = sin(a), cm = cos(m), sm = sin(m);
      const double u[3] = {ca * cm, -sa, ca * sm}, f[3] = {sa * cm, ca, sa * sm};
      *av = (KL_G + vert) * u[0] + fwd * f[0];
      *aa = (KL_G + vert) * u[1] + fwd * f[1] + h_ap;
      *am = (KL_G + vert) * u[2] + fwd * f[2] + h_ml;
      *wv = -ad * sm;
      *wa = md;
      *wm = ad * cm;
    } else {
      double sda, cda, sdm, cdm;
      const double da = -c * h_ap / KL_G, dm = c * h_ml / KL_G;
      small_sincos(da, &sda, &cda);
      small_sincos(dm, &sdm, &cdm);
      const double ca = ca0 * cda - sa0 * sda;
      const double cm = cm0 * cdm - sm0 * sdm, sm = sm0 * cdm + cm0 * sdm;
      *av = KL_G * ca * cm;
      *aa = KL_G * u0_ap + h_ap;
      *am = KL_G * u0_ml + h_ml;
      const double ad = -c * h->sway_gain[0] * xd[0] / KL_G, md = c * h->sway_gain[1] * xd[1] / KL_G;
      *wv = -ad * sm;
      *wa = md;
      *wm = ad * cm;
    }
  }
}

/* ---- the sensor ---- */

static void sensor_block(klonos_synth *h, float *out, int count) {
  const int ch = h->cfg.channels;
  const klonos_synth_params *p = &h->p;
  const double clip = h->clip_mps2, sa = h->acc_sd_mps2, sg = h->gyro_sd_radps;
  for (int i = 0; i < count; i++) {
    const double b[3] = {h->acc[0][i], h->acc[1][i], h->acc[2][i]};
    float *o = out + (size_t)i * (size_t)ch;
    for (int r = 0; r < 3; r++) {
      double v = h->rot[r][0] * b[0] + h->rot[r][1] * b[1] + h->rot[r][2] * b[2];
      v = v * (1.0 + p->acc_gain_error[r]) + p->acc_offset_mps2[r] + sa * kl_rng_noise(&h->acc_noise);
      if (v > clip) { v = clip; h->clipped++; }
      else if (v < -clip) { v = -clip; h->clipped++; }
      o[r] = (float)v;
    }
    if (ch == 6) {
      const double w[3] = {h->gyr[0][i], h->gyr[1][i], h->gyr[2][i]};
      for (int r = 0; r < 3; r++) {
        double v = h->rot[r][0] * w[0] + h->rot[r][1] * w[1] + h->rot[r][2] * w[2];
        o[3 + r] = (float)(v + sg * kl_rng_noise(&h->gyro_noise));
      }
    }
  }
}

/* ---- render ---- */

static int next_segment(klonos_synth *h) {
  if (!h->have_seg) {
    kl_timeline_next(&h->tl, h, NULL, &h->seg);
    h->have_seg = 1;
    return begin_segment(h, 1);
  }
  kl_segment prev = h->seg;
  kl_timeline_next(&h->tl, h, &prev, &h->seg);
  return begin_segment(h, 0);
}

int klonos_synth_render(klonos_synth *h, float *frames, size_t max_frames, size_t *frames_rendered) {
  if (frames_rendered) *frames_rendered = 0;
  if (!h || !frames_rendered || (!frames && max_frames)) return KLONOS_E_INVAL;
  if (h->fs <= 0.0) return KLONOS_E_STATE;
  if (h->status != KLONOS_OK) return h->status;
  kl_truth_clear_out(&h->truth);
  size_t produced = 0;
  int rc = KLONOS_OK;
  while (produced < max_frames && h->n < h->total_frames) {
    if (!h->have_seg || h->n >= h->seg.n1) {
      if ((rc = next_segment(h))) break;
      if (h->seg.n1 <= h->n) { /* a bout shorter than one frame */
        if ((rc = end_segment(h))) break;
        continue;
      }
    }
    int64_t cnt = h->seg.n1 - h->n;
    if (cnt > KL_SYNTH_BLOCK) cnt = KL_SYNTH_BLOCK;
    if ((size_t)cnt > max_frames - produced) cnt = (int64_t)(max_frames - produced);
    const int count = (int)cnt;
    base_block(h, h->n, count);
    if (h->seg.state == KLONOS_SYNTH_STATE_WALKING && (rc = kl_gait_add(h, h->n, count))) break;
    if ((rc = kl_events_add(h, h->n, count))) break;
    if ((h->fx.on || h->fx.n_active) && (rc = kl_fx_add(h, h->n, count))) break;
    sensor_block(h, frames + produced * (size_t)h->cfg.channels, count);
    h->n += cnt;
    produced += (size_t)cnt;
    if (h->n == h->seg.n1 && (rc = end_segment(h))) break;
    if ((rc = kl_truth_release(&h->truth, (double)h->n / h->fs, h->dt, 0))) break;
  }
  if (rc == KLONOS_OK && h->n == h->total_frames && !h->done) {
    h->done = 1;
    rc = kl_events_finish(h);
    if (rc == KLONOS_OK) rc = kl_truth_release(&h->truth, (double)h->n / h->fs, h->dt, 1);
  }
  if (rc != KLONOS_OK) {
    if (h->status == KLONOS_OK) kl_synth_fail(h, rc, "%s", klonos_strerror(rc));
    return rc;
  }
  *frames_rendered = produced;
  return KLONOS_OK;
}
