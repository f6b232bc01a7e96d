#include "orientation.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

enum { BODY_AP = 0, BODY_ML = 1, BODY_V = 2 };

kl_mat3 kl_mat3_identity(void) {
  kl_mat3 r = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  return r;
}

void kl_mat3_apply(const kl_mat3 *r, const double in[3], double out[3]) {
  double x = in[0], y = in[1], z = in[2];
  for (int i = 0; i < 3; i++) out[i] = r->m[i][0] * x + r->m[i][1] * y + r->m[i][2] * z;
}

void kl_mat3_apply_f(const kl_mat3 *r, const float in[3], float out[3]) {
  double x = in[0], y = in[1], z = in[2];
  for (int i = 0; i < 3; i++) out[i] = (float)(r->m[i][0] * x + r->m[i][1] * y + r->m[i][2] * z);
}

kl_mat3 kl_mat3_mul(const kl_mat3 *a, const kl_mat3 *b) {
  kl_mat3 r;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) r.m[i][j] = a->m[i][0] * b->m[0][j] + a->m[i][1] * b->m[1][j] + a->m[i][2] * b->m[2][j];
  return r;
}

kl_mat3 kl_mat3_transpose(const kl_mat3 *a) {
  kl_mat3 r;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) r.m[i][j] = a->m[j][i];
  return r;
}

kl_mat3 kl_mat3_from_euler(double roll, double pitch, double yaw) {
  double cr = cos(roll), sr = sin(roll), cp = cos(pitch), sp = sin(pitch), cy = cos(yaw), sy = sin(yaw);
  kl_mat3 rx = {{{1, 0, 0}, {0, cr, -sr}, {0, sr, cr}}};
  kl_mat3 ry = {{{cp, 0, sp}, {0, 1, 0}, {-sp, 0, cp}}};
  kl_mat3 rz = {{{cy, -sy, 0}, {sy, cy, 0}, {0, 0, 1}}};
  kl_mat3 t = kl_mat3_mul(&ry, &rz);
  return kl_mat3_mul(&rx, &t);
}

double kl_mat3_angle_deg(const kl_mat3 *a, const kl_mat3 *b) {
  kl_mat3 bt = kl_mat3_transpose(b);
  kl_mat3 d = kl_mat3_mul(a, &bt);
  double c = (d.m[0][0] + d.m[1][1] + d.m[2][2] - 1.0) / 2.0;
  if (c > 1) c = 1;
  if (c < -1) c = -1;
  return acos(c) * 180.0 / M_PI;
}

static int body_axis(const char *name, size_t len) {
  if (len == 2 && strncasecmp(name, "AP", 2) == 0) return BODY_AP;
  if (len == 2 && strncasecmp(name, "ML", 2) == 0) return BODY_ML;
  if (len == 1 && (name[0] == 'V' || name[0] == 'v')) return BODY_V;
  return -1;
}

int kl_axes_parse(const char *text, kl_mat3 *out) {
  kl_mat3 r = {{{0}}};
  int used[3] = {0};
  const char *p = text;
  for (int sensor = 0; sensor < 3; sensor++) {
    while (isspace((unsigned char)*p)) p++;
    double sign = 1.0;
    if (*p == '-' || *p == '+') { sign = *p == '-' ? -1.0 : 1.0; p++; }
    const char *start = p;
    while (*p && *p != ',' && !isspace((unsigned char)*p)) p++;
    int axis = body_axis(start, (size_t)(p - start));
    if (axis < 0 || used[axis]) return -1;
    used[axis] = 1;
    r.m[axis][sensor] = sign;
    while (isspace((unsigned char)*p)) p++;
    if (sensor < 2) {
      if (*p != ',') return -1;
      p++;
    }
  }
  if (*p) return -1;
  /* A mirror image is not a rotation: refuse left-handed mappings. */
  double det = r.m[0][0] * (r.m[1][1] * r.m[2][2] - r.m[1][2] * r.m[2][1]) -
               r.m[0][1] * (r.m[1][0] * r.m[2][2] - r.m[1][2] * r.m[2][0]) +
               r.m[0][2] * (r.m[1][0] * r.m[2][1] - r.m[1][1] * r.m[2][0]);
  if (det < 0) return -1;
  *out = r;
  return 0;
}

int kl_placement_default_axes(const char *placement, kl_mat3 *out) {
  /* Assumed mountings (docs/conditioning.md): on the lower back and the
   * chest the sensor's x axis points up and z out of the skin (backwards on
   * the back, forwards on the chest); on the wrist x along the forearm. Only
   * the heading depends on this: the vertical always comes from gravity. */
  static const struct { const char *name; const char *axes; } table[] = {
      {"lower-back", "V,ML,-AP"}, {"chest", "V,-ML,AP"}, {"wrist", "AP,ML,V"}, {"ankle", "V,-ML,AP"}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcasecmp(placement, table[i].name) == 0) return kl_axes_parse(table[i].axes, out);
  return -1;
}

static double norm3(const double v[3]) { return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

int kl_body_rotation(const double g_sensor[3], const double ap_hint[3], kl_mat3 *out) {
  double n = norm3(g_sensor);
  if (!(n > 0) || !isfinite(n)) return -1;
  double v[3] = {g_sensor[0] / n, g_sensor[1] / n, g_sensor[2] / n};
  /* AP: the hint with its vertical component removed (Gram-Schmidt). */
  double d = ap_hint[0] * v[0] + ap_hint[1] * v[1] + ap_hint[2] * v[2];
  double ap[3] = {ap_hint[0] - d * v[0], ap_hint[1] - d * v[1], ap_hint[2] - d * v[2]};
  double na = norm3(ap);
  if (!(na > 1e-6)) {
    /* The hint is vertical (e.g. the sensor lies on its side): fall back to
     * the sensor axis least aligned with gravity. */
    int k = 0;
    for (int i = 1; i < 3; i++)
      if (fabs(v[i]) < fabs(v[k])) k = i;
    double e[3] = {0, 0, 0};
    e[k] = 1;
    d = v[k];
    for (int i = 0; i < 3; i++) ap[i] = e[i] - d * v[i];
    na = norm3(ap);
  }
  for (int i = 0; i < 3; i++) ap[i] /= na;
  /* ML = V x AP completes the right-handed frame (AP x ML = V). */
  double ml[3] = {v[1] * ap[2] - v[2] * ap[1], v[2] * ap[0] - v[0] * ap[2], v[0] * ap[1] - v[1] * ap[0]};
  for (int j = 0; j < 3; j++) {
    out->m[BODY_AP][j] = ap[j];
    out->m[BODY_ML][j] = ml[j];
    out->m[BODY_V][j] = v[j];
  }
  return 0;
}

double kl_heading_from_cov(double cxx, double cxy, double cyy) {
  /* Principal axis of a 2x2 covariance. */
  return 0.5 * atan2(2.0 * cxy, cxx - cyy);
}
