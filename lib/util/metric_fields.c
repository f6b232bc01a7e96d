#include "metric_fields.h"

#include <stdint.h>

#define SWAY(name) {#name, offsetof(klonos_sway_metrics, name), 0}
#define GAIT(json, field) {json, offsetof(klonos_gait_metrics, field), 0}

const kl_metric_field kl_sway_fields[] = {
    SWAY(rms_ap_mps2), SWAY(rms_ml_mps2), SWAY(rms_mps2), SWAY(range_ap_mps2), SWAY(range_ml_mps2), SWAY(range_mps2),
    SWAY(mean_distance_mps2), SWAY(path_mps2), SWAY(path_per_s_mps3), SWAY(mean_velocity_mps), SWAY(jerk_m2ps5),
    SWAY(jerk_per_s_m2ps6), SWAY(ellipse_area_m2ps4), SWAY(prediction_ellipse_area_m2ps4), SWAY(mean_freq_hz),
    SWAY(total_power_m2ps4), SWAY(f50_hz), SWAY(f95_hz), SWAY(centroid_freq_hz), SWAY(freq_dispersion),
};
const size_t kl_sway_field_count = sizeof kl_sway_fields / sizeof kl_sway_fields[0];

const kl_metric_field kl_gait_fields[] = {
    {"steps", offsetof(klonos_gait_metrics, steps), 1},
    GAIT("cadence_spm", cadence_spm),
    GAIT("step_time_s", step_time_s),
    GAIT("stride_time_s", stride_time_s),
    GAIT("stride_time_cv", stride_time_cv),
    GAIT("step_time_asymmetry", step_time_asymmetry),
    GAIT("step_regularity", step_regularity_v),
    GAIT("stride_regularity", stride_regularity_v),
    GAIT("step_symmetry", step_symmetry_v),
    GAIT("step_regularity_ap", step_regularity_ap),
    GAIT("stride_regularity_ap", stride_regularity_ap),
    GAIT("step_symmetry_ap", step_symmetry_ap),
    GAIT("harmonic_ratio_v", harmonic_ratio_v),
    GAIT("harmonic_ratio_ap", harmonic_ratio_ap),
    GAIT("harmonic_ratio_ml", harmonic_ratio_ml),
    GAIT("ml_rms_mps2", ml_rms_mps2),
    GAIT("ml_range_mps2", ml_range_mps2),
};
const size_t kl_gait_field_count = sizeof kl_gait_fields / sizeof kl_gait_fields[0];

double kl_metric_value(const void *metrics, const kl_metric_field *f) {
  const char *p = (const char *)metrics + f->offset;
  return f->is_int ? (double)*(const int32_t *)p : *(const double *)p;
}
