/* Configuration defaults, scenario names, the severity mapping, and the
 * validation of every field (each failure names the field and its range).
 *
 * Severity s in [0, 1] moves every "disease" parameter linearly from its
 * healthy value (s = 0) to a severe one (s = 1); docs/synth.md tabulates the
 * mapping and where each end point comes from. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "synth_priv.h"

static const struct {
  const char *name;
  const char *description;
} scenarios[KLONOS_SYNTH_SCENARIO_COUNT] = {
    {"stance", "quiet standing with postural sway only"},
    {"stance-jerks", "quiet standing with isolated myoclonic jerks (1.5-12 m/s^2)"},
    {"clusters", "quiet standing with clusters of jerks 0.25-1.2 s apart"},
    {"walking", "walking bouts (30-120 s) separated by standing pauses (5-20 s)"},
    {"walking-jerks", "walking bouts and pauses with isolated jerks (4-14 m/s^2)"},
    {"tremor", "quiet standing with tremor episodes (4-9 Hz, up to 1.5 m/s^2)"},
    {"daily", "lying, sitting, standing, walking, posture changes, jerks and non-wear"},
    {"nonwear", "device still on a table: gravity and sensor noise only"},
    {"falls", "toddler-like play: walking, standing, fast intentional sits, falls, near-falls, sitting, lying"},
};

const char *klonos_synth_scenario_name(int scenario) {
  if (scenario < 0 || scenario >= KLONOS_SYNTH_SCENARIO_COUNT) return "unknown";
  return scenarios[scenario].name;
}

const char *klonos_synth_scenario_description(int scenario) {
  if (scenario < 0 || scenario >= KLONOS_SYNTH_SCENARIO_COUNT) return "";
  return scenarios[scenario].description;
}

int klonos_synth_scenario_from_name(const char *name, int32_t *scenario) {
  if (!name || !scenario) return KLONOS_E_INVAL;
  for (int i = 0; i < KLONOS_SYNTH_SCENARIO_COUNT; i++)
    if (strcmp(name, scenarios[i].name) == 0) {
      *scenario = i;
      return KLONOS_OK;
    }
  return KLONOS_E_INVAL;
}

const char *klonos_synth_state_name(int state) {
  static const char *const names[] = {"other", "lying", "sitting", "standing", "walking", "nonwear"};
  if (state < 0 || state > KLONOS_SYNTH_STATE_NONWEAR) return "unknown";
  return names[state];
}

const char *klonos_synth_truth_kind_name(int kind) {
  static const char *const names[] = {"unknown", "bout",  "posture_change", "step",           "jerk",
                                      "cluster", "tremor", "fall",           "near_fall", "intentional_sit"};
  if (kind < KLONOS_SYNTH_TRUTH_BOUT || kind > KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT) return "unknown";
  return names[kind];
}

const char *klonos_synth_jerk_shape_name(int shape) {
  switch (shape) {
    case KLONOS_SYNTH_JERK_MONOPHASIC: return "monophasic";
    case KLONOS_SYNTH_JERK_BIPHASIC: return "biphasic";
    case KLONOS_SYNTH_JERK_DAMPED: return "damped";
    default: return "unknown";
  }
}

const char *klonos_synth_lying_name(int lying) {
  static const char *const names[] = {"none", "supine", "prone", "left", "right"};
  if (lying < 0 || lying > KLONOS_SYNTH_LYING_RIGHT) return "unknown";
  return names[lying];
}

void klonos_synth_config_default(klonos_synth_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->seed = 1;
  cfg->scenario = KLONOS_SYNTH_STANCE;
  cfg->channels = 3;
  cfg->severity = 0.5;
  cfg->duration_s = 60.0;
  cfg->rate_hz = 100.0;
  cfg->rotation = KLONOS_SYNTH_ROTATION_NONE;
  cfg->full_scale_g = 8.0;
}

void klonos_synth_file_options_default(klonos_synth_file_options *opt) {
  if (!opt) return;
  memset(opt, 0, sizeof *opt);
  opt->sample_format = KLONOS_SYNTH_SAMPLES_AUTO;
}

static int all_zero(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (b[i]) return 0;
  return 1;
}

int kl_synth_check_config(const klonos_synth_config *c, char *err, size_t len) {
  if (c->scenario < 0 || c->scenario >= KLONOS_SYNTH_SCENARIO_COUNT) {
    snprintf(err, len, "scenario %d is unknown (0..%d)", (int)c->scenario, KLONOS_SYNTH_SCENARIO_COUNT - 1);
    return KLONOS_E_INVAL;
  }
  if (!isfinite(c->rate_hz) || c->rate_hz < KLONOS_SYNTH_MIN_RATE_HZ || c->rate_hz > KLONOS_SYNTH_MAX_RATE_HZ) {
    snprintf(err, len, "rate %g Hz is outside %g..%g Hz", c->rate_hz, KLONOS_SYNTH_MIN_RATE_HZ,
             KLONOS_SYNTH_MAX_RATE_HZ);
    return KLONOS_E_RATE;
  }
  if (!isfinite(c->duration_s) || c->duration_s <= 0.0 || c->duration_s > KLONOS_SYNTH_MAX_DURATION_S) {
    snprintf(err, len, "duration %g s must be a positive number up to %g s", c->duration_s,
             KLONOS_SYNTH_MAX_DURATION_S);
    return KLONOS_E_INVAL;
  }
  if (llround(c->duration_s * c->rate_hz) < 1) {
    snprintf(err, len, "duration %g s is shorter than one sample at %g Hz", c->duration_s, c->rate_hz);
    return KLONOS_E_INVAL;
  }
  if (!isfinite(c->severity) || c->severity < 0.0 || c->severity > 1.0) {
    snprintf(err, len, "severity %g is outside 0..1", c->severity);
    return KLONOS_E_INVAL;
  }
  if (c->channels != 3 && c->channels != 6) {
    snprintf(err, len, "channels %d: must be 3 (acc) or 6 (acc + gyro)", (int)c->channels);
    return KLONOS_E_CHANNELS;
  }
  if (c->rotation < KLONOS_SYNTH_ROTATION_NONE || c->rotation > KLONOS_SYNTH_ROTATION_EULER) {
    snprintf(err, len, "rotation mode %d is unknown (0 none, 1 random, 2 euler)", (int)c->rotation);
    return KLONOS_E_INVAL;
  }
  for (int i = 0; i < 3; i++)
    if (!isfinite(c->rotation_euler_deg[i]) || fabs(c->rotation_euler_deg[i]) > 720.0) {
      snprintf(err, len, "rotation_euler_deg[%d] = %g is not an angle within +-720 degrees", i,
               c->rotation_euler_deg[i]);
      return KLONOS_E_INVAL;
    }
  if (!isfinite(c->full_scale_g) || c->full_scale_g < 1.0 || c->full_scale_g > 1000.0) {
    snprintf(err, len, "full scale %g g is outside 1..1000 g", c->full_scale_g);
    return KLONOS_E_INVAL;
  }
  if (c->reserved_i != 0 || !all_zero(c->reserved, sizeof c->reserved)) {
    snprintf(err, len, "reserved config fields must be zero (fill the config with klonos_synth_config_default)");
    return KLONOS_E_INVAL;
  }
  return KLONOS_OK;
}

#define ALL_WEAR_STATES                                                                        \
  (KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_LYING) | KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_SITTING) | \
   KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_STANDING) | KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_WALKING))
#define ALL_SHAPES                                                                                    \
  (KLONOS_SYNTH_SHAPE_BIT(KLONOS_SYNTH_JERK_MONOPHASIC) | KLONOS_SYNTH_SHAPE_BIT(KLONOS_SYNTH_JERK_BIPHASIC) | \
   KLONOS_SYNTH_SHAPE_BIT(KLONOS_SYNTH_JERK_DAMPED))

/* Linear interpolation from the healthy (s = 0) to the severe (s = 1) value. */
static double sev(double s, double healthy, double severe) { return healthy + (severe - healthy) * s; }

int klonos_synth_params_derive(const klonos_synth_config *cfg, klonos_synth_params *p) {
  if (!cfg || !p) return KLONOS_E_INVAL;
  if (cfg->scenario < 0 || cfg->scenario >= KLONOS_SYNTH_SCENARIO_COUNT) return KLONOS_E_INVAL;
  if (!isfinite(cfg->severity) || cfg->severity < 0.0 || cfg->severity > 1.0) return KLONOS_E_INVAL;
  const double s = cfg->severity;
  memset(p, 0, sizeof *p);

  p->standing_pitch_deg = 3.0;
  p->sitting_pitch_deg = -10.0;
  p->walking_pitch_deg = 5.0;
  p->posture_jitter_deg = 2.0;

  /* Healthy quiet-stance trunk sway ~0.04-0.05 m/s^2 RMS (Neville 2015: 0.037
   * two legs eyes open); severe 0.25 (assumption, ~ tandem/foam levels of
   * the same study). ML grows more than AP (ataxia: Mancini 2012, Ilg 2022). */
  p->sway_ap_rms_mps2 = sev(s, 0.05, 0.25);
  p->sway_ml_rms_mps2 = sev(s, 0.035, 0.25);
  p->sway_centroid_hz = sev(s, 0.6, 1.0);
  p->sway_band_low_hz = 0.1;
  p->sway_band_high_hz = 2.5;
  p->sway_tilt_fraction = 0.5;
  p->sitting_sway_factor = 0.5;
  p->lying_sway_factor = 0.15;

  p->cadence_spm = sev(s, 110.0, 90.0);
  p->stride_time_cv = sev(s, 0.02, 0.10);
  p->step_time_asymmetry = sev(s, 0.01, 0.10);
  p->step_amp_cv = sev(s, 0.05, 0.25);
  p->step_amp_asymmetry = sev(s, 0.02, 0.20);
  p->gait_v_amp_mps2 = sev(s, 2.0, 1.5);
  p->gait_ap_amp_mps2 = sev(s, 1.4, 1.1);
  p->gait_ml_amp_mps2 = sev(s, 0.9, 1.2);
  p->heel_strike_mps2 = sev(s, 3.0, 2.0);
  p->gait_ml_sway_rms_mps2 = sev(s, 0.1, 0.6);

  p->jerk_rate_per_min = 0.0;
  p->jerk_min_gap_s = 0.3;
  p->cluster_rate_per_hour = 0.0;
  p->cluster_size_min = 3;
  p->cluster_size_max = 3 + (int32_t)lround(9.0 * s);
  p->cluster_gap_min_s = 0.2;
  p->cluster_gap_max_s = 1.5;
  p->jerk_amp_min_mps2 = 1.5;
  p->jerk_amp_max_mps2 = sev(s, 1.5, 12.0);
  p->jerk_duration_min_s = 0.03;
  p->jerk_duration_max_s = 0.15;
  p->jerk_shape_mask = ALL_SHAPES;
  p->jerk_states_mask = ALL_WEAR_STATES;

  p->tremor_rate_per_min = 0.0;
  p->tremor_freq_min_hz = 4.0;
  p->tremor_freq_max_hz = 9.0;
  p->tremor_amp_min_mps2 = sev(s, 0.1, 0.5);
  p->tremor_amp_max_mps2 = sev(s, 0.1, 1.5);
  p->tremor_duration_min_s = 5.0;
  p->tremor_duration_max_s = 30.0;
  p->tremor_states_mask = KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_STANDING);

  p->acc_noise_ug_rthz = 150.0;
  p->gyro_noise_dps_rthz = 0.007;
  for (int i = 0; i < 3; i++) {
    p->acc_offset_mps2[i] = 0.0;
    p->acc_gain_error[i] = 0.0;
  }

  const int standing = KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_STANDING);
  switch (cfg->scenario) {
    case KLONOS_SYNTH_STANCE_JERKS:
      p->jerk_rate_per_min = 12.0 * s;
      p->jerk_states_mask = standing;
      break;
    case KLONOS_SYNTH_CLUSTERS:
      p->cluster_rate_per_hour = 90.0 * s;
      p->cluster_gap_min_s = 0.25;
      p->cluster_gap_max_s = 1.2;
      p->jerk_states_mask = standing;
      break;
    case KLONOS_SYNTH_WALKING_JERKS:
      p->jerk_rate_per_min = 10.0 * s;
      p->jerk_amp_min_mps2 = 4.0;
      p->jerk_amp_max_mps2 = sev(s, 4.0, 14.0);
      p->jerk_states_mask = standing | KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_WALKING);
      break;
    case KLONOS_SYNTH_TREMOR:
      p->tremor_rate_per_min = 3.0 * s;
      break;
    case KLONOS_SYNTH_DAILY:
      p->jerk_rate_per_min = 3.0 * s;
      p->cluster_rate_per_hour = 4.0 * s;
      break;
    case KLONOS_SYNTH_FALLS:
      /* Toddler play (docs/falls.md). Adolph et al. 2012: 17 falls per hour
       * of free play at 12-19 months; opsoclonus-myoclonus toddlers fall
       * more (assumption: 10 to 30 per upright hour with severity). Toddler
       * cadence ~150-170 steps/min (assumption, slower when severe); sitting
       * on the floor without a backrest leans slightly forward. */
      p->fall_rate_per_hour = sev(s, 10.0, 30.0);
      p->fall_to_lying_fraction = 0.3;
      p->fast_sit_rate_per_hour = 60.0;
      p->near_fall_rate_per_hour = sev(s, 10.0, 40.0);
      p->play_rate_per_min = 3.0;
      p->cadence_spm = sev(s, 160.0, 140.0);
      p->sitting_pitch_deg = 5.0;
      p->jerk_rate_per_min = 1.0 * s;
      p->jerk_states_mask = standing | KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_WALKING) |
                            KLONOS_SYNTH_STATE_BIT(KLONOS_SYNTH_STATE_SITTING);
      break;
    default:
      break;
  }
  return KLONOS_OK;
}

/* Range checks: each names the field. */
#define CHECK(cond, ...)                \
  do {                                  \
    if (!(cond)) {                      \
      snprintf(err, len, __VA_ARGS__);  \
      return KLONOS_E_INVAL;            \
    }                                   \
  } while (0)
#define RANGE(field, lo, hi) \
  CHECK(isfinite(p->field) && p->field >= (lo) && p->field <= (hi), #field " = %g is outside %g..%g", p->field, (double)(lo), (double)(hi))

int kl_synth_check_params(const klonos_synth_params *p, double fs, char *err, size_t len) {
  RANGE(standing_pitch_deg, -60, 60);
  RANGE(sitting_pitch_deg, -60, 60);
  RANGE(walking_pitch_deg, -60, 60);
  RANGE(posture_jitter_deg, 0, 20);
  RANGE(sway_ap_rms_mps2, 0, 5);
  RANGE(sway_ml_rms_mps2, 0, 5);
  RANGE(sway_band_low_hz, 0.02, 10);
  RANGE(sway_band_high_hz, 0.02, 10);
  CHECK(p->sway_band_high_hz >= 2.0 * p->sway_band_low_hz, "sway band %g..%g Hz: the high edge must be at least twice the low one",
        p->sway_band_low_hz, p->sway_band_high_hz);
  CHECK(p->sway_band_high_hz <= 0.4 * fs, "sway_band_high_hz = %g is above 0.4 x the sample rate", p->sway_band_high_hz);
  CHECK(isfinite(p->sway_centroid_hz) && p->sway_centroid_hz >= 1.05 * p->sway_band_low_hz &&
            p->sway_centroid_hz <= 0.95 * p->sway_band_high_hz,
        "sway_centroid_hz = %g must lie inside the sway band (%g..%g Hz, 5%% margin)", p->sway_centroid_hz,
        p->sway_band_low_hz, p->sway_band_high_hz);
  RANGE(sway_tilt_fraction, 0, 1);
  RANGE(sitting_sway_factor, 0, 5);
  RANGE(lying_sway_factor, 0, 5);

  RANGE(cadence_spm, 30, 200);
  RANGE(stride_time_cv, 0, 0.3);
  RANGE(step_time_asymmetry, -0.5, 0.5);
  RANGE(step_amp_cv, 0, 0.5);
  RANGE(step_amp_asymmetry, -0.5, 0.5);
  RANGE(gait_v_amp_mps2, 0, 20);
  RANGE(gait_ap_amp_mps2, 0, 20);
  RANGE(gait_ml_amp_mps2, 0, 20);
  RANGE(heel_strike_mps2, 0, 50);
  RANGE(gait_ml_sway_rms_mps2, 0, 5);

  RANGE(jerk_rate_per_min, 0, 600);
  RANGE(jerk_min_gap_s, 0, 60);
  RANGE(cluster_rate_per_hour, 0, 3600);
  CHECK(p->cluster_size_min >= 1 && p->cluster_size_max >= p->cluster_size_min && p->cluster_size_max <= 1000,
        "cluster size %d..%d: need 1 <= min <= max <= 1000", (int)p->cluster_size_min, (int)p->cluster_size_max);
  RANGE(jerk_duration_min_s, 0.005, 1.0);
  RANGE(jerk_duration_max_s, 0.005, 1.0);
  CHECK(p->jerk_duration_min_s <= p->jerk_duration_max_s, "jerk duration %g..%g s: min > max", p->jerk_duration_min_s,
        p->jerk_duration_max_s);
  RANGE(cluster_gap_min_s, 0.01, 60);
  RANGE(cluster_gap_max_s, 0.01, 60);
  CHECK(p->cluster_gap_min_s <= p->cluster_gap_max_s, "cluster gap %g..%g s: min > max", p->cluster_gap_min_s,
        p->cluster_gap_max_s);
  RANGE(jerk_amp_min_mps2, 0.001, 1000);
  RANGE(jerk_amp_max_mps2, 0.001, 1000);
  CHECK(p->jerk_amp_min_mps2 <= p->jerk_amp_max_mps2, "jerk amplitude %g..%g m/s^2: min > max", p->jerk_amp_min_mps2,
        p->jerk_amp_max_mps2);
  const int shapes = KLONOS_SYNTH_SHAPE_BIT(KLONOS_SYNTH_JERK_MONOPHASIC) |
                     KLONOS_SYNTH_SHAPE_BIT(KLONOS_SYNTH_JERK_BIPHASIC) | KLONOS_SYNTH_SHAPE_BIT(KLONOS_SYNTH_JERK_DAMPED);
  CHECK(p->jerk_shape_mask != 0 && (p->jerk_shape_mask & ~shapes) == 0,
        "jerk_shape_mask 0x%x: must be a non-empty set of KLONOS_SYNTH_SHAPE_BIT(shape)", (unsigned)p->jerk_shape_mask);
  CHECK((p->jerk_states_mask & ~0x3F) == 0, "jerk_states_mask 0x%x has unknown state bits", (unsigned)p->jerk_states_mask);
  CHECK((p->tremor_states_mask & ~0x3F) == 0, "tremor_states_mask 0x%x has unknown state bits",
        (unsigned)p->tremor_states_mask);

  RANGE(tremor_rate_per_min, 0, 60);
  RANGE(tremor_freq_min_hz, 0.5, 50);
  RANGE(tremor_freq_max_hz, 0.5, 50);
  CHECK(p->tremor_freq_min_hz <= p->tremor_freq_max_hz, "tremor frequency %g..%g Hz: min > max", p->tremor_freq_min_hz,
        p->tremor_freq_max_hz);
  CHECK(p->tremor_rate_per_min == 0.0 || p->tremor_freq_max_hz <= 0.4 * fs,
        "tremor_freq_max_hz = %g is above 0.4 x the sample rate (%g Hz): it would alias", p->tremor_freq_max_hz, fs);
  RANGE(tremor_amp_min_mps2, 0, 100);
  RANGE(tremor_amp_max_mps2, 0, 100);
  CHECK(p->tremor_amp_min_mps2 <= p->tremor_amp_max_mps2, "tremor amplitude %g..%g m/s^2: min > max",
        p->tremor_amp_min_mps2, p->tremor_amp_max_mps2);
  RANGE(tremor_duration_min_s, 0.5, 3600);
  RANGE(tremor_duration_max_s, 0.5, 3600);
  CHECK(p->tremor_duration_min_s <= p->tremor_duration_max_s, "tremor duration %g..%g s: min > max",
        p->tremor_duration_min_s, p->tremor_duration_max_s);

  RANGE(acc_noise_ug_rthz, 0, 100000);
  RANGE(gyro_noise_dps_rthz, 0, 100);
  for (int i = 0; i < 3; i++) {
    CHECK(isfinite(p->acc_offset_mps2[i]) && fabs(p->acc_offset_mps2[i]) <= 100, "acc_offset_mps2[%d] = %g is outside +-100",
          i, p->acc_offset_mps2[i]);
    CHECK(isfinite(p->acc_gain_error[i]) && fabs(p->acc_gain_error[i]) <= 0.5, "acc_gain_error[%d] = %g is outside +-0.5", i,
          p->acc_gain_error[i]);
  }
  RANGE(fall_rate_per_hour, 0, 3600);
  RANGE(fall_to_lying_fraction, 0, 1);
  RANGE(fast_sit_rate_per_hour, 0, 3600);
  RANGE(near_fall_rate_per_hour, 0, 3600);
  RANGE(play_rate_per_min, 0, 60);
  CHECK(p->reserved_i == 0 && all_zero(p->reserved, sizeof p->reserved),
        "reserved params fields must be zero (fill the params with klonos_synth_params_derive)");
  return KLONOS_OK;
}
