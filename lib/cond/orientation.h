/* Private: gravity direction, tilt correction and heading for a trunk sensor.
 *
 * Body frame (right-handed, ISO 8855 / REP-103 style): AP = forward
 * (anterior), ML = to the left, V = up. An accelerometer at rest measures the
 * reaction to gravity, +9.81 m/s^2 along V.
 *
 * Tilt correction follows Moe-Nilssen (1998), "A new method for evaluating
 * motor control in gait under real-life environmental conditions. Part 1:
 * The instrument", Clin Biomech 13:320-327: the mean acceleration over the
 * analysis window estimates the gravity direction; the signal is rotated so
 * that this direction becomes V, and gravity is subtracted from V. Written
 * here as one rotation (the smallest rotation taking the gravity direction to
 * V, Rodrigues' formula), which equals Moe-Nilssen's two-angle (AP then ML)
 * correction to first order and is exact for any tilt.
 *
 * Heading (which horizontal direction is AP) comes from the axes the user
 * states (--axes), or, during walking, from the direction of greatest
 * horizontal power at the step frequency: the trunk oscillates
 * antero-posteriorly once per step and medio-laterally once per stride
 * (Moe-Nilssen & Helbostad 2004, J Biomech 37:121; Zijlstra & Hof 2003).
 * The AP sign cannot be told from acceleration alone; it follows the axes
 * hint, and the metrics klonos reports do not depend on it. */
#ifndef KLONOS_COND_ORIENTATION_H
#define KLONOS_COND_ORIENTATION_H

#include <stddef.h>

typedef struct kl_mat3 {
  double m[3][3]; /* row-major: body = m * sensor */
} kl_mat3;

/* Parse an axes mapping "AP,ML,V" style: three signed body-axis names for the
 * sensor's x, y, z ("V,-ML,AP" = x points up, y to the right, z forward).
 * Names: AP, ML, V (case-insensitive), each once. 0 ok, -1 malformed. */
int kl_axes_parse(const char *text, kl_mat3 *sensor_to_body);

/* Default sensor_to_body for a placement name ("lower-back", "chest",
 * "wrist", "ankle"): 0 ok, -1 unknown placement. Documented in docs/conditioning.md. */
int kl_placement_default_axes(const char *placement, kl_mat3 *sensor_to_body);

/* The rotation that takes sensor-frame vectors to the body frame given the
 * gravity direction g_sensor (any length > 0, pointing up) and a sensor-frame
 * hint for the AP direction (projected to the horizontal plane; if nearly
 * vertical, the next hint axis is used). Returns 0, or -1 when g is zero/NaN. */
int kl_body_rotation(const double g_sensor[3], const double ap_hint_sensor[3], kl_mat3 *out);

/* Apply: out = R * in (in and out may alias). */
void kl_mat3_apply(const kl_mat3 *r, const double in[3], double out[3]);
void kl_mat3_apply_f(const kl_mat3 *r, const float in[3], float out[3]);
kl_mat3 kl_mat3_mul(const kl_mat3 *a, const kl_mat3 *b);
kl_mat3 kl_mat3_transpose(const kl_mat3 *a);
kl_mat3 kl_mat3_identity(void);
/* Rotation from Euler angles (rad), applied z (yaw) then y (pitch) then x (roll). */
kl_mat3 kl_mat3_from_euler(double roll, double pitch, double yaw);
/* Angle between two rotations, degrees. */
double kl_mat3_angle_deg(const kl_mat3 *a, const kl_mat3 *b);

/* Heading from horizontal acceleration during walking: given the 2x2
 * covariance of the two horizontal body-frame components (after tilt
 * correction with any heading), band-passed around the step frequency,
 * return the angle (rad) of the principal axis: rotating the horizontal
 * plane by -angle puts that axis on AP. */
double kl_heading_from_cov(double cxx, double cxy, double cyy);

#endif
