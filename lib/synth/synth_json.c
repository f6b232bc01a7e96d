/* The ground-truth JSON document. Numbers use the shortest decimal form that
 * reads back to the same double (15-17 significant digits, C locale digits
 * from glibc's correctly rounded printf), so files are reproducible. */
#include "synth_json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void num(FILE *f, double v) {
  if (!isfinite(v)) {
    fputs("null", f);
    return;
  }
  if (v == 0.0) v = 0.0; /* no "-0" */
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  /* strtod/printf use the C locale decimal point unless the program called
   * setlocale(); make sure of a dot. */
  for (char *p = buf; *p; p++)
    if (*p == ',') *p = '.';
  fputs(buf, f);
}

static void key(FILE *f, const char *k, int *first) {
  if (!*first) fputc(',', f);
  *first = 0;
  fprintf(f, "\"%s\":", k);
}

static void knum(FILE *f, const char *k, double v, int *first) { key(f, k, first); num(f, v); }
static void kint(FILE *f, const char *k, long long v, int *first) { key(f, k, first); fprintf(f, "%lld", v); }
static void kstr(FILE *f, const char *k, const char *v, int *first) { key(f, k, first); fprintf(f, "\"%s\"", v); }
static void kvec(FILE *f, const char *k, const double *v, int n, int *first) {
  key(f, k, first);
  fputc('[', f);
  for (int i = 0; i < n; i++) {
    if (i) fputc(',', f);
    num(f, v[i]);
  }
  fputc(']', f);
}

static const char *fall_type_name(int t) {
  switch (t) {
    case KLONOS_SYNTH_FALL_TO_SITTING: return "to_sitting";
    case KLONOS_SYNTH_FALL_TO_LYING: return "to_lying";
    case KLONOS_SYNTH_FALL_TOPPLE: return "topple";
    default: return "unknown";
  }
}

static const char *rotation_name(int r) {
  switch (r) {
    case KLONOS_SYNTH_ROTATION_NONE: return "none";
    case KLONOS_SYNTH_ROTATION_RANDOM: return "random";
    default: return "euler";
  }
}

static void states_list(FILE *f, const char *k, int mask, int *first) {
  key(f, k, first);
  fputc('[', f);
  int any = 0;
  for (int s = 0; s <= KLONOS_SYNTH_STATE_NONWEAR; s++)
    if (mask & KLONOS_SYNTH_STATE_BIT(s)) {
      fprintf(f, "%s\"%s\"", any ? "," : "", klonos_synth_state_name(s));
      any = 1;
    }
  fputc(']', f);
}

static void params_obj(FILE *f, const klonos_synth_params *p) {
  int first = 1;
  fputc('{', f);
#define P(name) knum(f, #name, p->name, &first)
  P(standing_pitch_deg); P(sitting_pitch_deg); P(walking_pitch_deg); P(posture_jitter_deg);
  P(sway_ap_rms_mps2); P(sway_ml_rms_mps2); P(sway_centroid_hz); P(sway_band_low_hz); P(sway_band_high_hz);
  P(sway_tilt_fraction); P(sitting_sway_factor); P(lying_sway_factor);
  P(cadence_spm); P(stride_time_cv); P(step_time_asymmetry); P(step_amp_cv); P(step_amp_asymmetry);
  P(gait_v_amp_mps2); P(gait_ap_amp_mps2); P(gait_ml_amp_mps2); P(heel_strike_mps2); P(gait_ml_sway_rms_mps2);
  P(jerk_rate_per_min); P(jerk_min_gap_s); P(cluster_rate_per_hour);
  kint(f, "cluster_size_min", p->cluster_size_min, &first);
  kint(f, "cluster_size_max", p->cluster_size_max, &first);
  P(cluster_gap_min_s); P(cluster_gap_max_s); P(jerk_amp_min_mps2); P(jerk_amp_max_mps2);
  P(jerk_duration_min_s); P(jerk_duration_max_s);
  key(f, "jerk_shapes", &first);
  fputc('[', f);
  int any = 0;
  for (int s = KLONOS_SYNTH_JERK_MONOPHASIC; s <= KLONOS_SYNTH_JERK_DAMPED; s++)
    if (p->jerk_shape_mask & KLONOS_SYNTH_SHAPE_BIT(s)) {
      fprintf(f, "%s\"%s\"", any ? "," : "", klonos_synth_jerk_shape_name(s));
      any = 1;
    }
  fputc(']', f);
  states_list(f, "jerk_states", p->jerk_states_mask, &first);
  P(tremor_rate_per_min); P(tremor_freq_min_hz); P(tremor_freq_max_hz); P(tremor_amp_min_mps2);
  P(tremor_amp_max_mps2); P(tremor_duration_min_s); P(tremor_duration_max_s);
  states_list(f, "tremor_states", p->tremor_states_mask, &first);
  P(acc_noise_ug_rthz); P(gyro_noise_dps_rthz);
  kvec(f, "acc_offset_mps2", p->acc_offset_mps2, 3, &first);
  kvec(f, "acc_gain_error", p->acc_gain_error, 3, &first);
  /* Printed only when in use, so the files of the other scenarios stay as they were. */
  if (p->fall_rate_per_hour != 0.0 || p->fast_sit_rate_per_hour != 0.0 || p->near_fall_rate_per_hour != 0.0 ||
      p->play_rate_per_min != 0.0) {
    P(fall_rate_per_hour); P(fall_to_lying_fraction); P(fast_sit_rate_per_hour); P(near_fall_rate_per_hour);
    P(play_rate_per_min);
  }
#undef P
  fputc('}', f);
}

void kl_tjson_begin(kl_tjson *j, FILE *f, const klonos_synth_config *cfg, const klonos_synth_params *p,
                    const double rot[9], int64_t frames, const char *file_format, int sample_format) {
  j->f = f;
  j->n_items = 0;
  j->scenario = cfg->scenario;
  j->falls = j->near_falls = j->intentional_sits = 0;
  int first = 1;
  fputc('{', f);
  kstr(f, "format", "klonos-synth-truth", &first);
  kint(f, "format_version", 1, &first);
  kint(f, "model_version", KLONOS_SYNTH_MODEL_VERSION, &first);
  fputs(",\n\"config\":{", f);
  int cf = 1;
  key(f, "seed", &cf);
  fprintf(f, "%llu", (unsigned long long)cfg->seed);
  kstr(f, "scenario", klonos_synth_scenario_name(cfg->scenario), &cf);
  knum(f, "severity", cfg->severity, &cf);
  knum(f, "duration_s", cfg->duration_s, &cf);
  knum(f, "rate_hz", cfg->rate_hz, &cf);
  kint(f, "channels", cfg->channels, &cf);
  kstr(f, "rotation", rotation_name(cfg->rotation), &cf);
  kvec(f, "rotation_euler_deg", cfg->rotation_euler_deg, 3, &cf);
  knum(f, "full_scale_g", cfg->full_scale_g, &cf);
  fputs("},\n\"file\":{", f);
  int ff = 1;
  kstr(f, "format", file_format, &ff);
  kstr(f, "samples", sample_format == 2 ? "int16" : (strncmp(file_format, "CSV", 3) == 0 ? "text" : "float32"), &ff);
  kint(f, "frames", (long long)frames, &ff);
  kstr(f, "acc_units", "g", &ff);
  if (cfg->channels == 6) kstr(f, "gyro_units", "deg/s", &ff);
  kstr(f, "axes", "sensor frame", &ff);
  fputs("},\n\"body_frame\":{\"axes\":[\"V\",\"AP\",\"ML\"],\"description\":\"V up, AP forward, ML left (right-handed); sensor = R * body; truth directions are body-frame unit vectors\"},\n", f);
  fputs("\"rotation_body_to_sensor\":[", f);
  for (int r = 0; r < 3; r++) {
    fputs(r ? ",[" : "[", f);
    for (int c = 0; c < 3; c++) {
      if (c) fputc(',', f);
      num(f, rot[3 * r + c]);
    }
    fputc(']', f);
  }
  fputs("],\n\"params\":", f);
  params_obj(f, p);
  fputs(",\n\"items\":[", f);
}

void kl_tjson_item(kl_tjson *j, const klonos_synth_truth *it) {
  FILE *f = j->f;
  fputs(j->n_items ? ",\n{" : "\n{", f);
  j->n_items++;
  int first = 1;
  kstr(f, "kind", klonos_synth_truth_kind_name(it->kind), &first);
  kint(f, "id", (long long)it->id, &first);
  switch (it->kind) {
    case KLONOS_SYNTH_TRUTH_BOUT:
      kstr(f, "state", klonos_synth_state_name(it->state), &first);
      knum(f, "start_s", it->start_s, &first);
      knum(f, "end_s", it->end_s, &first);
      if (it->state == KLONOS_SYNTH_STATE_LYING) kstr(f, "lying", klonos_synth_lying_name(it->detail), &first);
      if (it->state != KLONOS_SYNTH_STATE_OTHER && it->state != KLONOS_SYNTH_STATE_NONWEAR) {
        knum(f, "pitch_deg", it->pitch_deg, &first);
        knum(f, "roll_deg", it->roll_deg, &first);
      }
      if (it->state == KLONOS_SYNTH_STATE_WALKING) {
        kint(f, "step_count", (long long)it->count, &first);
        knum(f, "cadence_spm", it->freq_hz * 60.0, &first);
      }
      break;
    case KLONOS_SYNTH_TRUTH_POSTURE_CHANGE:
      kstr(f, "from", klonos_synth_state_name(it->from_state), &first);
      kstr(f, "to", klonos_synth_state_name(it->state), &first);
      knum(f, "start_s", it->start_s, &first);
      knum(f, "end_s", it->end_s, &first);
      break;
    case KLONOS_SYNTH_TRUTH_STEP:
      kint(f, "bout_id", (long long)it->parent_id, &first);
      kstr(f, "foot", it->detail == 0 ? "left" : "right", &first);
      knum(f, "t_s", it->start_s, &first);
      knum(f, "end_s", it->end_s, &first);
      break;
    case KLONOS_SYNTH_TRUTH_JERK:
      knum(f, "onset_s", it->start_s, &first);
      knum(f, "offset_s", it->end_s, &first);
      knum(f, "peak_s", it->peak_s, &first);
      knum(f, "peak_acc_mps2", it->amplitude_mps2, &first);
      knum(f, "sampled_peak_mps2", it->sampled_peak_mps2, &first);
      kvec(f, "direction", it->direction, 3, &first);
      kstr(f, "shape", klonos_synth_jerk_shape_name(it->detail), &first);
      key(f, "cluster_id", &first);
      if (it->parent_id < 0) fputs("null", f);
      else fprintf(f, "%lld", (long long)it->parent_id);
      kstr(f, "state", klonos_synth_state_name(it->state), &first);
      break;
    case KLONOS_SYNTH_TRUTH_CLUSTER:
      knum(f, "start_s", it->start_s, &first);
      knum(f, "end_s", it->end_s, &first);
      kint(f, "jerk_count", (long long)it->count, &first);
      kstr(f, "state", klonos_synth_state_name(it->state), &first);
      break;
    case KLONOS_SYNTH_TRUTH_TREMOR:
      knum(f, "start_s", it->start_s, &first);
      knum(f, "end_s", it->end_s, &first);
      knum(f, "freq_hz", it->freq_hz, &first);
      knum(f, "amp_mps2", it->amplitude_mps2, &first);
      kvec(f, "direction", it->direction, 3, &first);
      kstr(f, "state", klonos_synth_state_name(it->state), &first);
      break;
    case KLONOS_SYNTH_TRUTH_FALL:
    case KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT:
      if (it->kind == KLONOS_SYNTH_TRUTH_FALL) {
        j->falls++;
        kstr(f, "fall_type", fall_type_name(it->detail), &first);
      } else {
        j->intentional_sits++;
      }
      kstr(f, "from", klonos_synth_state_name(it->from_state), &first);
      kstr(f, "to", klonos_synth_state_name(it->state), &first);
      knum(f, "start_s", it->start_s, &first);
      knum(f, "end_s", it->end_s, &first);
      knum(f, "impact_s", it->peak_s, &first);
      knum(f, "impact_peak_mps2", it->amplitude_mps2, &first);
      knum(f, "sampled_peak_mps2", it->sampled_peak_mps2, &first);
      kvec(f, "direction", it->direction, 3, &first);
      knum(f, "pitch_after_deg", it->pitch_deg, &first);
      knum(f, "roll_after_deg", it->roll_deg, &first);
      break;
    case KLONOS_SYNTH_TRUTH_NEAR_FALL:
      j->near_falls++;
      knum(f, "start_s", it->start_s, &first);
      knum(f, "end_s", it->end_s, &first);
      knum(f, "impact_s", it->peak_s, &first);
      knum(f, "step_peak_mps2", it->amplitude_mps2, &first);
      knum(f, "sampled_peak_mps2", it->sampled_peak_mps2, &first);
      kvec(f, "direction", it->direction, 3, &first);
      kstr(f, "state", klonos_synth_state_name(it->state), &first);
      break;
    default:
      break;
  }
  fputc('}', f);
}

void kl_tjson_end(kl_tjson *j, const klonos_synth_file_info *info) {
  FILE *f = j->f;
  fputs("\n],\n\"summary\":{", f);
  int first = 1;
  kint(f, "frames", (long long)info->frames, &first);
  kint(f, "clipped_samples", (long long)info->clipped_samples, &first);
  kint(f, "items", (long long)info->truth_items, &first);
  kint(f, "bouts", (long long)info->bouts, &first);
  kint(f, "posture_changes", (long long)info->posture_changes, &first);
  kint(f, "steps", (long long)info->steps, &first);
  kint(f, "jerks", (long long)info->jerks, &first);
  kint(f, "clusters", (long long)info->clusters, &first);
  kint(f, "tremors", (long long)info->tremors, &first);
  if (j->scenario == KLONOS_SYNTH_FALLS) {
    kint(f, "falls", j->falls, &first);
    kint(f, "near_falls", j->near_falls, &first);
    kint(f, "intentional_sits", j->intentional_sits, &first);
  }
  fputs("}}\n", f);
}
