/* klonos: seeded synthetic trunk-sensor recordings with exact ground truth. */
#ifndef KLONOS_SYNTH_H
#define KLONOS_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "klonos/attributes.h"

KLONOS_BEGIN_DECLS

/**
 * @file
 * A deterministic generator of lower-back (trunk) accelerometer recordings:
 * postures, postural sway, walking, myoclonic jerks (isolated and in
 * clusters), tremor episodes, posture changes, falls, near-falls, fast
 * intentional sits, non-wear and sensor noise, each with its ground truth. The models, their parameters and their sources
 * are described in docs/synth.md.
 *
 * Frames: rendered in chunks of any size (memory does not grow with the
 * duration); the same config, params and seed give bit-identical frames and
 * truth for every chunking. Frames are interleaved floats in the SENSOR frame:
 * acceleration x, y, z in m/s^2 (specific force, so gravity reads +9.80665
 * m/s^2 upward), then, with 6 channels, angular rate x, y, z in rad/s.
 *
 * Body frame: V (vertical, up), AP (antero-posterior, forward), ML
 * (medio-lateral, positive to the LEFT), a right-handed frame. The sensor
 * frame is sensor = R * body with the fixed rotation R of
 * klonos_synth_rotation_matrix(); with KLONOS_SYNTH_ROTATION_NONE the sensor's
 * x, y, z are V, AP, ML.
 *
 * Thread safety: distinct handles may be used from different threads at once;
 * one handle must not be used by two threads at the same time.
 */

/** Sample rates the generator accepts (inclusive). */
#define KLONOS_SYNTH_MIN_RATE_HZ 25.0
#define KLONOS_SYNTH_MAX_RATE_HZ 1000.0
/** Longest recording the generator accepts (about 3.2 years). */
#define KLONOS_SYNTH_MAX_DURATION_S 1.0e8
/** Revision of the generator's models; changes whenever the output for a given seed changes. */
#define KLONOS_SYNTH_MODEL_VERSION 1

/** Scenarios: what happens over the recording (docs/synth.md describes each). */
typedef enum klonos_synth_scenario {
  KLONOS_SYNTH_STANCE = 0,        /**< quiet standing, postural sway only */
  KLONOS_SYNTH_STANCE_JERKS = 1,  /**< quiet standing + isolated jerks 1.5-12 m/s^2 */
  KLONOS_SYNTH_CLUSTERS = 2,      /**< quiet standing + jerk clusters (jerks 0.25-1.2 s apart) */
  KLONOS_SYNTH_WALKING = 3,       /**< walking bouts separated by standing pauses */
  KLONOS_SYNTH_WALKING_JERKS = 4, /**< walking bouts + isolated jerks 4-14 m/s^2 */
  KLONOS_SYNTH_TREMOR = 5,        /**< quiet standing + tremor episodes 4-9 Hz, up to 1.5 m/s^2 */
  KLONOS_SYNTH_DAILY = 6,         /**< lying, sitting, standing, walking, posture changes, jerks, non-wear */
  KLONOS_SYNTH_NONWEAR = 7,       /**< device still on a table: gravity + noise only */
  KLONOS_SYNTH_FALLS = 8          /**< toddler-like play: walking, standing, fast intentional sits, falls,
                                       near-falls with recovery steps, sitting and lying (docs/falls.md) */
} klonos_synth_scenario;
#define KLONOS_SYNTH_SCENARIO_COUNT 9

/** How the sensor is mounted relative to the body. */
typedef enum klonos_synth_rotation {
  KLONOS_SYNTH_ROTATION_NONE = 0,   /**< sensor x, y, z = body V, AP, ML */
  KLONOS_SYNTH_ROTATION_RANDOM = 1, /**< uniformly random rotation drawn from the seed */
  KLONOS_SYNTH_ROTATION_EULER = 2   /**< R = Rx(e0) * Ry(e1) * Rz(e2) from rotation_euler_deg */
} klonos_synth_rotation;

/** Activity states of bouts. */
typedef enum klonos_synth_state {
  KLONOS_SYNTH_STATE_OTHER = 0,   /**< posture change or device handling */
  KLONOS_SYNTH_STATE_LYING = 1,
  KLONOS_SYNTH_STATE_SITTING = 2,
  KLONOS_SYNTH_STATE_STANDING = 3,
  KLONOS_SYNTH_STATE_WALKING = 4,
  KLONOS_SYNTH_STATE_NONWEAR = 5
} klonos_synth_state;

/** Lying variants (klonos_synth_truth.detail of a lying bout). */
typedef enum klonos_synth_lying {
  KLONOS_SYNTH_LYING_NONE = 0,
  KLONOS_SYNTH_LYING_SUPINE = 1,
  KLONOS_SYNTH_LYING_PRONE = 2,
  KLONOS_SYNTH_LYING_LEFT = 3,   /**< on the left side */
  KLONOS_SYNTH_LYING_RIGHT = 4
} klonos_synth_lying;

/** Jerk waveforms (all exactly zero outside [onset, offset]). */
typedef enum klonos_synth_jerk_shape {
  KLONOS_SYNTH_JERK_MONOPHASIC = 1, /**< raised-cosine pulse sin^2(pi t/D) */
  KLONOS_SYNTH_JERK_BIPHASIC = 2,   /**< Hann-windowed single cycle sin(2 pi t/D) sin^2(pi t/D) */
  KLONOS_SYNTH_JERK_DAMPED = 3      /**< damped oscillation sin(4 pi t/D) exp(-4 t/D) */
} klonos_synth_jerk_shape;
/** Bit of a shape in klonos_synth_params.jerk_shape_mask. */
#define KLONOS_SYNTH_SHAPE_BIT(shape) (1 << (shape))
/** Bit of a state in the *_states_mask fields. */
#define KLONOS_SYNTH_STATE_BIT(state) (1 << (state))

/** Kinds of ground-truth item. */
typedef enum klonos_synth_truth_kind {
  KLONOS_SYNTH_TRUTH_BOUT = 1,           /**< a stretch of one state; bouts tile the recording */
  KLONOS_SYNTH_TRUTH_POSTURE_CHANGE = 2, /**< sit-to-stand, lying down, device removed, ... */
  KLONOS_SYNTH_TRUTH_STEP = 3,           /**< one step: its initial contact */
  KLONOS_SYNTH_TRUTH_JERK = 4,           /**< one myoclonic jerk */
  KLONOS_SYNTH_TRUTH_CLUSTER = 5,        /**< a cluster ("storm") of jerks */
  KLONOS_SYNTH_TRUTH_TREMOR = 6,         /**< a tremor episode */
  KLONOS_SYNTH_TRUTH_FALL = 7,           /**< a fall: uncontrolled descent, impact, lower posture (falls scenario) */
  KLONOS_SYNTH_TRUTH_NEAR_FALL = 8,      /**< a trip or slip caught by recovery steps: no posture change */
  KLONOS_SYNTH_TRUTH_INTENTIONAL_SIT = 9 /**< a fast but controlled sit to the floor (squat, short drop) */
} klonos_synth_truth_kind;

/** How a fall ends (klonos_synth_truth.detail of a fall item). */
typedef enum klonos_synth_fall_type {
  KLONOS_SYNTH_FALL_TO_SITTING = 1, /**< from standing/walking onto the buttocks */
  KLONOS_SYNTH_FALL_TO_LYING = 2,   /**< from standing/walking to lying */
  KLONOS_SYNTH_FALL_TOPPLE = 3      /**< from sitting over to lying */
} klonos_synth_fall_type;

/** Sample formats for klonos_synth_write_files(). */
typedef enum klonos_synth_sample_format {
  KLONOS_SYNTH_SAMPLES_AUTO = 0,  /**< float32 for .wav/.w64/.rf64/.aiff, int16 for .flac */
  KLONOS_SYNTH_SAMPLES_FLOAT = 1, /**< 32-bit float in g (and deg/s) */
  KLONOS_SYNTH_SAMPLES_INT16 = 2  /**< 16-bit PCM over +-full_scale_g (3 channels only) */
} klonos_synth_sample_format;

/** What to generate. Fill with klonos_synth_config_default() first; the reserved tail must stay zero. */
typedef struct klonos_synth_config {
  uint64_t seed;              /**< any value; the same seed gives the same recording */
  int32_t scenario;           /**< klonos_synth_scenario (default STANCE) */
  int32_t channels;           /**< 3 (acc) or 6 (acc + gyro) (default 3) */
  double severity;            /**< 0 (healthy) .. 1 (severe); see docs/synth.md (default 0.5) */
  double duration_s;          /**< > 0 and <= KLONOS_SYNTH_MAX_DURATION_S (default 60) */
  double rate_hz;             /**< 25..1000 (default 100) */
  int32_t rotation;           /**< klonos_synth_rotation (default NONE) */
  int32_t reserved_i;         /**< must be 0 */
  double rotation_euler_deg[3]; /**< angles of KLONOS_SYNTH_ROTATION_EULER, degrees */
  double full_scale_g;        /**< sensor range: acceleration is clipped at +-full scale (default 8) */
  uint8_t reserved[64];       /**< must be zero */
} klonos_synth_config;

/**
 * Every model parameter. klonos_synth_params_derive() computes them from the
 * scenario and severity; change any of them and pass them to
 * klonos_synth_open() to generate exactly what a test needs. Accelerations
 * are in the body frame. The reserved tail must stay zero.
 */
typedef struct klonos_synth_params {
  /* Postures: trunk pitch (+ = forward lean) per state, degrees. */
  double standing_pitch_deg;     /**< 3 */
  double sitting_pitch_deg;      /**< -10 (reclined against a backrest) */
  double walking_pitch_deg;      /**< 5 */
  double posture_jitter_deg;     /**< per-bout uniform +- jitter of pitch and roll (2) */
  /* Postural sway (standing; other states scale it). */
  double sway_ap_rms_mps2;       /**< RMS of the AP sway acceleration in standing */
  double sway_ml_rms_mps2;       /**< RMS of the ML sway acceleration in standing */
  double sway_centroid_hz;       /**< spectral centroid sqrt(m2/m0) of the sway (Prieto 1996) */
  double sway_band_low_hz;       /**< lowest sway frequency (0.1) */
  double sway_band_high_hz;      /**< highest sway frequency (2.5) */
  double sway_tilt_fraction;     /**< share of the sway acceleration due to trunk tilt (0.5) */
  double sitting_sway_factor;    /**< sitting sway / standing sway (0.5) */
  double lying_sway_factor;      /**< lying micro-movement / standing sway (0.15) */
  /* Walking. */
  double cadence_spm;            /**< steps per minute */
  double stride_time_cv;         /**< coefficient of variation of stride time */
  double step_time_asymmetry;    /**< (left - right step time) / mean step time */
  double step_amp_cv;            /**< step-to-step CV of the acceleration pattern amplitude */
  double step_amp_asymmetry;     /**< (left - right) / mean pattern amplitude */
  double gait_v_amp_mps2;        /**< vertical step-frequency fundamental amplitude */
  double gait_ap_amp_mps2;       /**< AP step-frequency fundamental amplitude */
  double gait_ml_amp_mps2;       /**< ML stride-frequency fundamental amplitude */
  double heel_strike_mps2;       /**< peak of the heel-strike transient (vertical) */
  double gait_ml_sway_rms_mps2;  /**< irregular lateral sway while walking (ataxia) */
  /* Myoclonic jerks. */
  double jerk_rate_per_min;      /**< isolated jerks: mean rate while in an allowed state */
  double jerk_min_gap_s;         /**< isolated jerks: least gap from one offset to the next onset */
  double cluster_rate_per_hour;  /**< clusters: mean rate while in an allowed state */
  int32_t cluster_size_min;      /**< jerks per cluster, uniform in [min, max] */
  int32_t cluster_size_max;
  double cluster_gap_min_s;      /**< onset-to-onset interval within a cluster, uniform */
  double cluster_gap_max_s;
  double jerk_amp_min_mps2;      /**< peak |a| of a jerk, log-uniform in [min, max] */
  double jerk_amp_max_mps2;
  double jerk_duration_min_s;    /**< duration, uniform in [min, max] (0.03..0.15) */
  double jerk_duration_max_s;
  int32_t jerk_shape_mask;       /**< allowed shapes, KLONOS_SYNTH_SHAPE_BIT(); drawn uniformly */
  int32_t jerk_states_mask;      /**< states in which jerks occur, KLONOS_SYNTH_STATE_BIT() */
  /* Tremor episodes. */
  double tremor_rate_per_min;    /**< episode starts per minute while in an allowed state */
  double tremor_freq_min_hz;     /**< frequency, uniform in [min, max] */
  double tremor_freq_max_hz;
  double tremor_amp_min_mps2;    /**< peak amplitude of the oscillation, uniform in [min, max] */
  double tremor_amp_max_mps2;
  double tremor_duration_min_s;  /**< episode duration, uniform in [min, max] */
  double tremor_duration_max_s;
  int32_t tremor_states_mask;    /**< states in which tremor occurs */
  int32_t reserved_i;            /**< must be 0 */
  /* Sensor. */
  double acc_noise_ug_rthz;      /**< white noise density, micro-g per sqrt(Hz) (150) */
  double gyro_noise_dps_rthz;    /**< white noise density, deg/s per sqrt(Hz) (0.007) */
  double acc_offset_mps2[3];     /**< sensor-frame offset (0) */
  double acc_gain_error[3];      /**< sensor-frame relative gain error (0) */
  /* Falls, near-falls and play (docs/falls.md; appended in the former reserved tail). */
  double fall_rate_per_hour;     /**< falls per hour of upright time (standing/walking); falls scenario only */
  double fall_to_lying_fraction; /**< share of those falls that end lying (the rest end sitting) */
  double fast_sit_rate_per_hour; /**< intentional fast sits per hour of standing; falls scenario only */
  double near_fall_rate_per_hour;/**< trips/slips caught by recovery steps, per hour of upright time */
  double play_rate_per_min;      /**< bursts of play movement (bouncing, leaning, bumps) per minute of
                                      sitting or standing */
  uint8_t reserved[24];          /**< must be zero */
} klonos_synth_params;

/** One ground-truth item. Times are seconds from the first frame. */
typedef struct klonos_synth_truth {
  int32_t kind;          /**< klonos_synth_truth_kind */
  int32_t state;         /**< bout: its state; posture change: state after; jerk/tremor: state it occurs in */
  int32_t from_state;    /**< posture change: state before; otherwise the same as state */
  int32_t detail;        /**< bout: klonos_synth_lying; step: 0 left foot, 1 right; jerk: klonos_synth_jerk_shape */
  int64_t id;            /**< 0-based, per kind */
  int64_t parent_id;     /**< step: its bout; jerk: its cluster (-1 = isolated); else -1 */
  int64_t count;         /**< walking bout: steps; cluster: jerks; else 0 */
  double start_s;        /**< bout/change/cluster/tremor start, jerk onset, step initial contact */
  double end_s;          /**< bout/change/cluster/tremor end, jerk offset, step end (next contact) */
  double peak_s;         /**< jerk: time of the largest |a|; else start_s */
  double amplitude_mps2; /**< jerk: peak |a|; tremor: peak amplitude of the sinusoid; else 0 */
  double freq_hz;        /**< tremor: frequency; walking bout: mean step frequency; step: 1 / its duration; else 0 */
  double direction[3];   /**< jerk/tremor: unit vector in the body frame (V, AP, ML); else 0 */
  double pitch_deg;      /**< bout: trunk pitch (+ forward); else 0 */
  double roll_deg;       /**< bout: trunk roll (+ toward the right); else 0 */
  double sampled_peak_mps2; /**< jerk: largest |jerk acceleration| among the frames (each frame averages
                                 its sampling interval): what a perfect detector can see at this rate; else 0 */
  uint8_t reserved[24];
} klonos_synth_truth;

/** Options of klonos_synth_write_files(). Fill with klonos_synth_file_options_default(). */
typedef struct klonos_synth_file_options {
  int32_t sample_format;  /**< klonos_synth_sample_format (default AUTO) */
  int32_t chunk_frames;   /**< frames rendered per step; 0 = 65536 (does not change the output) */
  uint8_t reserved[56];   /**< must be zero */
} klonos_synth_file_options;

/** What klonos_synth_write_files() wrote. */
typedef struct klonos_synth_file_info {
  int64_t frames;
  int64_t clipped_samples;  /**< acceleration samples clipped at full scale */
  int64_t truth_items;      /**< all kinds */
  int64_t bouts, posture_changes, steps, jerks, clusters, tremors;
  uint8_t reserved[32];
} klonos_synth_file_info;

/** A generator. Opaque; one thread at a time per handle. */
typedef struct klonos_synth klonos_synth;

/** Fill @p cfg with the defaults: seed 1, stance, severity 0.5, 60 s, 100 Hz, 3 channels, no rotation, 8 g. */
KLONOS_API void klonos_synth_config_default(klonos_synth_config *cfg);

/**
 * Derive every model parameter from the scenario and severity of @p cfg.
 * @return KLONOS_OK, KLONOS_E_INVAL (NULL, unknown scenario, severity outside 0..1).
 */
KLONOS_API int klonos_synth_params_derive(const klonos_synth_config *cfg, klonos_synth_params *params);

/**
 * Create a generator positioned at the first frame.
 *
 * Like klonos_reader_open(), *out receives a handle even when opening fails
 * (unless memory ran out), so that klonos_synth_error() can say which field
 * is wrong; always call klonos_synth_close().
 *
 * @param params NULL = klonos_synth_params_derive(cfg); else used as given (validated).
 * @return KLONOS_OK, KLONOS_E_INVAL (NULL, bad field), KLONOS_E_RATE (rate
 *   outside 25..1000 Hz or not finite), KLONOS_E_CHANNELS (not 3 or 6), KLONOS_E_NOMEM.
 */
KLONOS_API int klonos_synth_open(klonos_synth **out, const klonos_synth_config *cfg,
                                 const klonos_synth_params *params);

/** Free the generator and set *synth to NULL. Accepts NULL and *synth == NULL. */
KLONOS_API void klonos_synth_close(klonos_synth **synth);

/** @return the reason of the last failure, or "" when there was none. Never NULL. */
KLONOS_API const char *klonos_synth_error(const klonos_synth *synth);

/** Copy the configuration / parameters in use. @return KLONOS_OK, KLONOS_E_INVAL, KLONOS_E_STATE (open failed). */
KLONOS_API int klonos_synth_get_config(const klonos_synth *synth, klonos_synth_config *cfg);
KLONOS_API int klonos_synth_get_params(const klonos_synth *synth, klonos_synth_params *params);

/** Total frames of the recording: round(duration_s * rate_hz), at least 1. */
KLONOS_API int klonos_synth_frame_count(const klonos_synth *synth, int64_t *frames);

/** The fixed body-to-sensor rotation, row-major: sensor[i] = sum_j m[3*i+j] * body[j]. */
KLONOS_API int klonos_synth_rotation_matrix(const klonos_synth *synth, double m[9]);

/**
 * Render the next frames.
 *
 * Also collects the truth items completed by this call (an item is complete
 * once every frame it touches has been rendered; at the end of the recording
 * all remaining items complete). The previous call's items are discarded, so
 * memory stays bounded whatever the duration. Items come in the order of
 * their end time (then kind), identically for every chunking.
 *
 * @param frames        room for @p max_frames frames of config.channels floats
 * @param frames_rendered receives the count; 0 once the recording is complete
 * @return KLONOS_OK, KLONOS_E_INVAL, KLONOS_E_STATE (open failed), KLONOS_E_NOMEM.
 */
KLONOS_API int klonos_synth_render(klonos_synth *synth, float *frames, size_t max_frames, size_t *frames_rendered);

/** Number of truth items completed by the last klonos_synth_render() call. */
KLONOS_API int klonos_synth_truth_count(const klonos_synth *synth, size_t *count);

/** Copy item @p index (< count) of the last render call. @return KLONOS_OK, KLONOS_E_RANGE, KLONOS_E_INVAL. */
KLONOS_API int klonos_synth_truth_get(const klonos_synth *synth, size_t index, klonos_synth_truth *item);

/** Acceleration samples clipped at full scale so far. */
KLONOS_API int klonos_synth_clipped_count(const klonos_synth *synth, int64_t *clipped);

/** Fill @p opt with the defaults (AUTO sample format). */
KLONOS_API void klonos_synth_file_options_default(klonos_synth_file_options *opt);

/**
 * Generate a whole recording into @p data_path and its ground truth into
 * @p truth_path (JSON, format in docs/synth.md). The data format follows the
 * extension: .wav .w64 .rf64 .aiff (float32 in g, gyro in deg/s, or int16),
 * .flac (int16 over +-full_scale_g), .csv (t,x,y,z[,gx,gy,gz] in s, g, deg/s,
 * 6 decimals). Both files are written to temporary files in their
 * directories and renamed into place only when complete; on failure nothing
 * is left behind. The same inputs give byte-identical files.
 *
 * @param params     NULL = derived from @p cfg
 * @param truth_path NULL = no truth file
 * @param opt        NULL = defaults
 * @param info       NULL or receives counts
 * @param error      NULL or a buffer receiving a message on failure
 * @return KLONOS_OK, the codes of klonos_synth_open(), KLONOS_E_FORMAT
 *   (unknown extension, FLAC as float), KLONOS_E_RATE
 *   (non-integer rate for an audio format), KLONOS_E_CHANNELS (6 channels as
 *   int16), KLONOS_E_IO (cannot create, write or rename), KLONOS_E_NOMEM.
 */
KLONOS_API int klonos_synth_write_files(const klonos_synth_config *cfg, const klonos_synth_params *params,
                                        const char *data_path, const char *truth_path,
                                        const klonos_synth_file_options *opt, klonos_synth_file_info *info,
                                        char *error, size_t error_len);

/** Scenario by name ("stance", "stance-jerks", ...). @return KLONOS_OK or KLONOS_E_INVAL. */
KLONOS_API int klonos_synth_scenario_from_name(const char *name, int32_t *scenario);

/** @return the name of a scenario, or "unknown". */
KLONOS_API const char *klonos_synth_scenario_name(int scenario);

/** @return a one-line description of a scenario, or "". */
KLONOS_API const char *klonos_synth_scenario_description(int scenario);

/** @return "other", "lying", "sitting", "standing", "walking", "nonwear", or "unknown". */
KLONOS_API const char *klonos_synth_state_name(int state);

/** @return "bout", "posture_change", "step", "jerk", "cluster", "tremor", "fall", "near_fall",
 *  "intentional_sit", or "unknown". */
KLONOS_API const char *klonos_synth_truth_kind_name(int kind);

/** @return "monophasic", "biphasic", "damped", or "unknown". */
KLONOS_API const char *klonos_synth_jerk_shape_name(int shape);

/** @return "none", "supine", "prone", "left", "right", or "unknown". */
KLONOS_API const char *klonos_synth_lying_name(int lying);

KLONOS_END_DECLS

#endif
