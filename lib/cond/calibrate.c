#include "calibrate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/reader.h"
#include "klonos/status.h"

#define WINDOW_S 10.0
#define STILL_SD_G 0.013
#define SPHERE_G 0.3
#define MAX_POINTS 20000
#define G KLONOS_STANDARD_GRAVITY_MPS2

struct kl_calibrator {
  size_t window_frames;
  size_t n;                  /* frames in the current window */
  double sum[3], sumsq[3];
  double (*pts)[3];          /* still-window means, in g */
  size_t n_pts;
  size_t keep_every;         /* decimation once MAX_POINTS is reached */
  size_t seen;               /* still windows seen */
};

int kl_calibrator_create(kl_calibrator **out, double rate_hz) {
  if (!out || !(rate_hz > 0) || !isfinite(rate_hz)) return KLONOS_E_INVAL;
  kl_calibrator *c = calloc(1, sizeof *c);
  if (!c) return KLONOS_E_NOMEM;
  c->window_frames = (size_t)llround(WINDOW_S * rate_hz);
  if (c->window_frames < 2) c->window_frames = 2;
  c->pts = malloc(sizeof *c->pts * MAX_POINTS);
  if (!c->pts) { free(c); return KLONOS_E_NOMEM; }
  c->keep_every = 1;
  *out = c;
  return KLONOS_OK;
}

void kl_calibrator_destroy(kl_calibrator **c) {
  if (!c || !*c) return;
  free((*c)->pts);
  free(*c);
  *c = NULL;
}

static void close_window(kl_calibrator *c) {
  if (c->n == c->window_frames) {
    double mean[3];
    int still = 1;
    for (int a = 0; a < 3; a++) {
      mean[a] = c->sum[a] / (double)c->n;
      double var = c->sumsq[a] / (double)c->n - mean[a] * mean[a];
      if (sqrt(var > 0 ? var : 0) / G >= STILL_SD_G) still = 0;
    }
    if (still) {
      /* Keep a bounded, evenly thinned set: when full, drop every other point
       * and keep only every 2nd, 4th, ... window from then on. */
      if (c->seen++ % c->keep_every == 0) {
        if (c->n_pts == MAX_POINTS) {
          for (size_t i = 0; i < MAX_POINTS / 2; i++) memcpy(c->pts[i], c->pts[2 * i], sizeof c->pts[0]);
          c->n_pts = MAX_POINTS / 2;
          c->keep_every *= 2;
        }
        for (int a = 0; a < 3; a++) c->pts[c->n_pts][a] = mean[a] / G;
        c->n_pts++;
      }
    }
  }
  c->n = 0;
  memset(c->sum, 0, sizeof c->sum);
  memset(c->sumsq, 0, sizeof c->sumsq);
}

int kl_calibrator_push(kl_calibrator *c, const float *xyz, size_t frames) {
  if (!c || (!xyz && frames)) return KLONOS_E_INVAL;
  for (size_t i = 0; i < frames; i++) {
    const float *f = xyz + 3 * i;
    if (isnan(f[0]) || isnan(f[1]) || isnan(f[2])) { c->n = 0; memset(c->sum, 0, sizeof c->sum); memset(c->sumsq, 0, sizeof c->sumsq); continue; }
    for (int a = 0; a < 3; a++) {
      c->sum[a] += f[a];
      c->sumsq[a] += (double)f[a] * f[a];
    }
    if (++c->n == c->window_frames) close_window(c);
  }
  return KLONOS_OK;
}

static double mean_sphere_error_mg(double (*p)[3], size_t n, const double off[3], const double sc[3]) {
  double e = 0;
  for (size_t i = 0; i < n; i++) {
    double x = (p[i][0] + off[0]) * sc[0], y = (p[i][1] + off[1]) * sc[1], z = (p[i][2] + off[2]) * sc[2];
    e += fabs(sqrt(x * x + y * y + z * z) - 1.0);
  }
  return n ? 1000.0 * e / (double)n : 0;
}

int kl_calibrator_fit(kl_calibrator *c, kl_calib_result *res) {
  if (!c || !res) return KLONOS_E_INVAL;
  memset(res, 0, sizeof *res);
  for (int a = 0; a < 3; a++) res->scale[a] = 1.0;
  res->n_points = c->n_pts;
  const double zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  res->error_before_mg = mean_sphere_error_mg(c->pts, c->n_pts, zero, one);
  res->error_after_mg = res->error_before_mg;
  if (c->n_pts < 10) {
    snprintf(res->why, sizeof res->why, "only %zu still 10 s windows (need at least 10)", c->n_pts);
    return KLONOS_E_NODATA;
  }
  static const char axis_name[3] = {'x', 'y', 'z'};
  for (int a = 0; a < 3; a++) {
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < c->n_pts; i++) { mn = fmin(mn, c->pts[i][a]); mx = fmax(mx, c->pts[i][a]); }
    if (mn > -SPHERE_G || mx < SPHERE_G) {
      snprintf(res->why, sizeof res->why,
               "too few still orientations: axis %c spans %.2f..%.2f g, needs points below -%.1f and above +%.1f g",
               axis_name[a], mn, mx, SPHERE_G, SPHERE_G);
      return KLONOS_E_NODATA;
    }
  }
  double off[3] = {0, 0, 0}, sc[3] = {1, 1, 1};
  double *w = malloc(sizeof(double) * c->n_pts);
  if (!w) return KLONOS_E_NOMEM;
  for (size_t i = 0; i < c->n_pts; i++) w[i] = 1.0;
  int it;
  for (it = 0; it < 1000; it++) {
    double new_off[3], new_sc[3];
    for (int a = 0; a < 3; a++) {
      /* Weighted regression of the sphere projection on the raw value. */
      double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
      for (size_t i = 0; i < c->n_pts; i++) {
        double v[3];
        for (int b = 0; b < 3; b++) v[b] = (c->pts[i][b] + off[b]) * sc[b];
        double nrm = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        double target = v[a] / nrm, x = c->pts[i][a];
        sw += w[i]; sx += w[i] * x; sy += w[i] * target; sxx += w[i] * x * x; sxy += w[i] * x * target;
      }
      double det = sw * sxx - sx * sx;
      double slope = det != 0 ? (sw * sxy - sx * sy) / det : 1.0;
      double icept = (sy - slope * sx) / sw;
      new_sc[a] = slope;
      new_off[a] = slope != 0 ? icept / slope : 0;
    }
    double change = 0;
    for (int a = 0; a < 3; a++) change += fabs(new_off[a] - off[a]) + fabs(new_sc[a] - sc[a]);
    memcpy(off, new_off, sizeof off);
    memcpy(sc, new_sc, sizeof sc);
    for (size_t i = 0; i < c->n_pts; i++) {
      double v[3];
      for (int b = 0; b < 3; b++) v[b] = (c->pts[i][b] + off[b]) * sc[b];
      double r = fabs(sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) - 1.0);
      w[i] = fmin(1.0 / fmax(r, 0.01), 100.0);
    }
    if (change / 6.0 < 1e-9) break;
  }
  free(w);
  memcpy(res->offset_g, off, sizeof off);
  memcpy(res->scale, sc, sizeof sc);
  res->iterations = it + 1;
  res->error_after_mg = mean_sphere_error_mg(c->pts, c->n_pts, off, sc);
  return KLONOS_OK;
}

void kl_calib_apply(const kl_calib_result *res, float *xyz, size_t frames, int stride) {
  const float o0 = (float)(res->offset_g[0] * G), o1 = (float)(res->offset_g[1] * G), o2 = (float)(res->offset_g[2] * G);
  const float s0 = (float)res->scale[0], s1 = (float)res->scale[1], s2 = (float)res->scale[2];
  for (size_t i = 0; i < frames; i++) {
    float *f = xyz + i * (size_t)stride;
    f[0] = (f[0] + o0) * s0;
    f[1] = (f[1] + o1) * s1;
    f[2] = (f[2] + o2) * s2;
  }
}
