/* The fixed body-to-sensor rotation of the mounted device. */
#include <math.h>
#include <string.h>

#include "synth_priv.h"

static void matmul(double out[3][3], double a[3][3], double b[3][3]) {
  double t[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) t[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  memcpy(out, t, sizeof t);
}

/* Right-handed rotation by @p rad about coordinate axis @p k. */
static void axis_rotation(double r[3][3], int k, double rad) {
  const double c = cos(rad), s = sin(rad);
  const int i = (k + 1) % 3, j = (k + 2) % 3;
  memset(r, 0, sizeof(double) * 9);
  r[k][k] = 1.0;
  r[i][i] = c;
  r[i][j] = -s;
  r[j][i] = s;
  r[j][j] = c;
}

void kl_rotation_euler(double r[3][3], const double euler_deg[3]) {
  double a[3][3], b[3][3], c[3][3];
  axis_rotation(a, 0, euler_deg[0] * KL_DEG);
  axis_rotation(b, 1, euler_deg[1] * KL_DEG);
  axis_rotation(c, 2, euler_deg[2] * KL_DEG);
  matmul(r, a, b);
  matmul(r, r, c);
}

/* Uniform on SO(3): a uniform unit quaternion (Shoemake 1992, Graphics Gems III). */
void kl_rotation_random(double r[3][3], kl_rng *rng) {
  const double u1 = kl_rng_uniform(rng), u2 = kl_rng_uniform(rng), u3 = kl_rng_uniform(rng);
  const double a = sqrt(1.0 - u1), b = sqrt(u1);
  const double w = a * sin(2.0 * KL_PI * u2), x = a * cos(2.0 * KL_PI * u2);
  const double y = b * sin(2.0 * KL_PI * u3), z = b * cos(2.0 * KL_PI * u3);
  r[0][0] = 1 - 2 * (y * y + z * z);
  r[0][1] = 2 * (x * y - w * z);
  r[0][2] = 2 * (x * z + w * y);
  r[1][0] = 2 * (x * y + w * z);
  r[1][1] = 1 - 2 * (x * x + z * z);
  r[1][2] = 2 * (y * z - w * x);
  r[2][0] = 2 * (x * z - w * y);
  r[2][1] = 2 * (y * z + w * x);
  r[2][2] = 1 - 2 * (x * x + y * y);
}
