/* klonos: the streaming analysis of one recording. */
#ifndef KLONOS_ANALYZER_H
#define KLONOS_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "klonos/attributes.h"
#include "klonos/reader.h"

KLONOS_BEGIN_DECLS

/** Activity states (docs/conditioning.md). */
typedef enum klonos_state {
  KLONOS_STATE_MISSING = 0,       /**< no data (gaps in the file) */
  KLONOS_STATE_NONWEAR = 1,       /**< device not worn (van Hees 2011/2013 criteria) */
  KLONOS_STATE_LYING = 2,         /**< trunk more than 60 degrees from vertical */
  KLONOS_STATE_UPRIGHT_STILL = 3, /**< quiet sitting or standing: where sway is measured */
  KLONOS_STATE_WALKING = 4,       /**< periodic stepping */
  KLONOS_STATE_OTHER = 5,         /**< any other movement */
  KLONOS_STATE_COUNT = 6
} klonos_state;

/** Configuration. Fill with klonos_analyzer_config_default(); reserved bytes stay zero. */
typedef struct klonos_analyzer_config {
  double analysis_rate_hz;        /**< internal rate all analyses run at (default 100 Hz); input at another rate is resampled */
  double epoch_s;                 /**< activity-state epoch (default 2 s, 0.5-60) */
  double nonwear_window_s;        /**< non-wear window (default 3600 s, van Hees 2013) */
  char placement[24];             /**< "lower-back" (default), "chest", "wrist", "ankle" */
  char axes[32];                  /**< sensor x,y,z as body axes, e.g. "V,ML,-AP"; "" = placement default */
  int32_t apply_calibration;      /**< 1: apply calib_offset_g/calib_scale to acceleration first */
  int32_t reserved_i;
  double calib_offset_g[3];       /**< corrected = (raw + offset) * scale, per axis (see klonos_calibrator) */
  double calib_scale[3];
  uint8_t reserved[256];
} klonos_analyzer_config;

/** A run of consecutive epochs in one state. */
typedef struct klonos_bout {
  double start_s;                 /**< from the first frame */
  double end_s;
  int32_t state;                  /**< klonos_state */
  int32_t reserved_i;
  double mean_cadence_spm;        /**< walking bouts: steps/min from the step period; else 0 */
} klonos_bout;

typedef struct klonos_analyzer klonos_analyzer;

KLONOS_API void klonos_analyzer_config_default(klonos_analyzer_config *config);

/**
 * Create an analyzer for frames of @p channel_count (3: acc; 6: acc + gyro)
 * interleaved floats in m/s^2 (and rad/s) at @p sample_rate_hz.
 * @return KLONOS_OK, KLONOS_E_INVAL (bad config or channels), KLONOS_E_RATE
 *   (rate not in 1 Hz..100 kHz, or too low for the analysis rate), KLONOS_E_NOMEM.
 *   As with readers, *out may hold a handle carrying the message: always close it.
 */
KLONOS_API int klonos_analyzer_open(klonos_analyzer **out, double sample_rate_hz, int channel_count,
                                    const klonos_analyzer_config *config);
KLONOS_API void klonos_analyzer_close(klonos_analyzer **analyzer);

/** Feed @p frames frames (any chunk size; results do not depend on it). NaN frames are gaps. */
KLONOS_API int klonos_analyzer_push_f32(klonos_analyzer *analyzer, const float *frames, size_t frames_count);

/** Flush: after this, results are final and pushes are refused (KLONOS_E_STATE). */
KLONOS_API int klonos_analyzer_finish(klonos_analyzer *analyzer);

/** Bouts of activity states, in time order (available after finish). */
KLONOS_API int klonos_analyzer_bout_count(const klonos_analyzer *analyzer, size_t *count);
KLONOS_API int klonos_analyzer_bout_get(const klonos_analyzer *analyzer, size_t index, klonos_bout *bout);

/** Seconds spent in @p state (klonos_state) and the analysed duration. */
KLONOS_API int klonos_analyzer_state_seconds(const klonos_analyzer *analyzer, int state, double *seconds);
KLONOS_API int klonos_analyzer_duration_s(const klonos_analyzer *analyzer, double *seconds);

/** One myoclonic jerk (docs/myoclonus.md). */
typedef struct klonos_jerk_event {
  double onset_s;                 /**< from the first frame */
  double offset_s;
  double peak_acc_mps2;           /**< peak |band-passed acceleration| */
  double peak_jerk_mps3;          /**< peak norm-jerk */
  double direction[3];            /**< unit vector of the peak acceleration in the body frame (AP, ML, V) */
  double confidence;              /**< 0..1 */
  int64_t cluster_id;             /**< -1 isolated, else the cluster's id */
  int32_t state;                  /**< klonos_state at the onset */
  int32_t reserved_i;
} klonos_jerk_event;

/** A cluster ("storm") of jerks 0.2-1.5 s apart. */
typedef struct klonos_jerk_cluster {
  int64_t id;
  double start_s, end_s;
  int32_t count;
  int32_t reserved_i;
} klonos_jerk_cluster;

/** A rhythmic tremor episode (reported instead of jerks). */
typedef struct klonos_tremor_episode {
  double start_s, end_s;
  double freq_hz;                 /**< power-weighted mean peak frequency */
  double amp_mps2;                /**< amplitude (peak) of the oscillation */
} klonos_tremor_episode;

/** Sway of one quiet-upright bout (or the recording's duration-weighted
 * summary). Definitions and sources: docs/sway.md. */
typedef struct klonos_sway_metrics {
  double start_s, end_s, duration_s;
  double rms_ap_mps2, rms_ml_mps2, rms_mps2;
  double range_ap_mps2, range_ml_mps2, range_mps2;
  double mean_distance_mps2;
  double path_mps2;               /**< path length of the AP-ML acceleration trajectory */
  double path_per_s_mps3;
  double mean_velocity_mps;       /**< of the integrated, detrended acceleration */
  double jerk_m2ps5;              /**< Mancini 2012 JERK: 1/2 integral of (dAP/dt)^2 + (dML/dt)^2 dt over the bout */
  double jerk_per_s_m2ps6;        /**< the same per second of bout: compares bouts of different length */
  double ellipse_area_m2ps4;      /**< 95 % confidence ellipse (Prieto 1996) */
  double prediction_ellipse_area_m2ps4; /**< 95 % prediction ellipse (Schubert & Kirchner 2014) */
  double mean_freq_hz;
  double total_power_m2ps4;       /**< 0.15-5 Hz, AP + ML */
  double f50_hz, f95_hz, centroid_freq_hz, freq_dispersion;
  int32_t bouts;                  /**< 1 for a bout; bouts pooled in a summary */
  int32_t reserved_i;
  uint8_t reserved[32];
} klonos_sway_metrics;

/** Gait of one walking bout (or the recording's step-weighted summary).
 * Definitions and sources: docs/gait.md. */
typedef struct klonos_gait_metrics {
  double start_s, end_s, duration_s;
  int32_t steps, strides;
  double cadence_spm, step_time_s, stride_time_s, stride_time_cv, step_time_asymmetry;
  double step_regularity_v, stride_regularity_v, step_symmetry_v;
  double step_regularity_ap, stride_regularity_ap, step_symmetry_ap;
  double harmonic_ratio_v, harmonic_ratio_ap, harmonic_ratio_ml;
  double ml_rms_mps2, ml_range_mps2;
  int32_t bouts;
  int32_t reserved_i;
  uint8_t reserved[32];
} klonos_gait_metrics;

/** Jerk events, clusters and tremor episodes in time order (after finish). */
KLONOS_API int klonos_analyzer_event_count(const klonos_analyzer *analyzer, size_t *count);
KLONOS_API int klonos_analyzer_event_get(const klonos_analyzer *analyzer, size_t index, klonos_jerk_event *event);
KLONOS_API int klonos_analyzer_cluster_count(const klonos_analyzer *analyzer, size_t *count);
KLONOS_API int klonos_analyzer_cluster_get(const klonos_analyzer *analyzer, size_t index, klonos_jerk_cluster *cluster);
KLONOS_API int klonos_analyzer_tremor_count(const klonos_analyzer *analyzer, size_t *count);
KLONOS_API int klonos_analyzer_tremor_get(const klonos_analyzer *analyzer, size_t index, klonos_tremor_episode *episode);

/** Sway per quiet-upright bout of at least 10 s, and the duration-weighted
 * summary (KLONOS_E_NODATA when no bout qualified). Long bouts are measured
 * in pieces of at most 10 minutes. */
KLONOS_API int klonos_analyzer_sway_count(const klonos_analyzer *analyzer, size_t *count);
KLONOS_API int klonos_analyzer_sway_get(const klonos_analyzer *analyzer, size_t index, klonos_sway_metrics *metrics);
KLONOS_API int klonos_analyzer_sway_summary(const klonos_analyzer *analyzer, klonos_sway_metrics *metrics);

/** Gait per walking bout of at least 6 steps / 5 s, and the step-weighted
 * summary (KLONOS_E_NODATA when no bout qualified). */
KLONOS_API int klonos_analyzer_gait_count(const klonos_analyzer *analyzer, size_t *count);
KLONOS_API int klonos_analyzer_gait_get(const klonos_analyzer *analyzer, size_t index, klonos_gait_metrics *metrics);
KLONOS_API int klonos_analyzer_gait_summary(const klonos_analyzer *analyzer, klonos_gait_metrics *metrics);

/** A fall or near-fall (docs/falls.md). */
typedef struct klonos_fall_event {
  double impact_s;                /**< time of the peak impact, from the first frame */
  double start_s, end_s;          /**< descent start .. end of the post-fall check */
  double impact_mps2;             /**< peak |a| including gravity */
  int32_t kind;                   /**< 1 fall, 2 near-fall (impact or recovery without posture change) */
  int32_t from_state, to_state;   /**< klonos_state before and after (near-falls: the same) */
  int32_t lowered;                /**< a fall that ended upright but lower (sitting) */
  double confidence;              /**< 0..1 */
  uint8_t reserved[16];
} klonos_fall_event;

/** Daily-life motor function of the whole recording (docs/falls.md).
 * Rates are NaN ("not applicable", null in the JSON) when their
 * denominator is zero: a lying infant has no falls per upright hour, not 0. */
typedef struct klonos_function {
  double wear_s;                  /**< worn time */
  double upright_s;               /**< upright still + walking */
  double upright_pct, walking_pct, lying_pct; /**< of the worn time */
  int64_t walking_bouts;          /**< walking bouts (activity states) */
  double walking_bout_median_s, longest_bout_s;
  int64_t falls, near_falls;      /**< while worn */
  double falls_per_upright_h;     /**< falls per hour upright (NaN without upright time) */
  double falls_per_100_walking_bouts; /**< NaN without walking bouts */
  double score;                   /**< 0..100 from falls_per_upright_h (docs/scores.md); NaN when not applicable */
  uint8_t reserved[32];
} klonos_function;

/** Falls and near-falls in time order (after finish), and the function summary. */
KLONOS_API int klonos_analyzer_fall_count(const klonos_analyzer *analyzer, size_t *count);
KLONOS_API int klonos_analyzer_fall_get(const klonos_analyzer *analyzer, size_t index, klonos_fall_event *event);
KLONOS_API int klonos_analyzer_function(const klonos_analyzer *analyzer, klonos_function *function);

/** Severity scores, 0 (no sign) .. 100; NaN when a component had no data
 * (docs/scores.md gives every mapping and its reference values). */
typedef struct klonos_scores {
  double motor;                   /**< mean of the available components */
  double myoclonus;               /**< jerk rate per minute of wear x sqrt(median amplitude / 3 m/s^2) */
  double stance;                  /**< truncal sway in quiet sitting/standing */
  double gait;                    /**< regularity, harmonic ratio, stride-time CV, lateral sway */
  int32_t components_used;        /**< bit mask: 1 myoclonus, 2 stance, 4 gait, 8 function */
  int32_t reserved_i;
  double wear_s;                  /**< time worn (not non-wear, not missing) */
  double events_per_min;          /**< jerks per minute of wear */
  double amp_median_mps2;         /**< median jerk amplitude (NaN without jerks) */
  double function;                /**< falls per upright hour (docs/scores.md); NaN without 1 min upright */
  uint8_t reserved[24];
} klonos_scores;

/** Scores of the whole recording. */
KLONOS_API int klonos_analyzer_scores(const klonos_analyzer *analyzer, klonos_scores *scores);

/** Scores of one score epoch (a fixed window, default 60 s). */
typedef struct klonos_epoch_scores {
  double start_s, end_s;
  double wear_s, upright_still_s, walking_s, lying_s;
  int64_t events;                 /**< jerks with their onset in the epoch */
  double myoclonus, stance, gait, motor; /**< NaN when the epoch has no data for it */
  int64_t falls;                  /**< falls with their impact in the epoch */
  uint8_t reserved[24];
} klonos_epoch_scores;

/** Number of score epochs of @p epoch_s seconds (>= 1) and epoch @p index. */
KLONOS_API int klonos_analyzer_epoch_count(const klonos_analyzer *analyzer, double epoch_s, size_t *count);
KLONOS_API int klonos_analyzer_epoch_get(const klonos_analyzer *analyzer, double epoch_s, size_t index,
                                         klonos_epoch_scores *scores);

/** Optional parts of the JSON report. */
typedef enum klonos_report_part {
  KLONOS_REPORT_EVENTS = 1,       /**< "events", "clusters", "tremor": every jerk, cluster and tremor episode */
  KLONOS_REPORT_BOUTS = 2         /**< "bouts" (activity states), "sway_bouts", "gait_bouts": metrics per bout */
} klonos_report_part;

/** What the report says about where the frames came from (all optional). */
typedef struct klonos_report_context {
  const char *file;                         /**< printed as "file"; NULL for in-memory samples */
  const klonos_recording_info *info;        /**< from klonos_reader_info(), or NULL */
  const klonos_read_stats *stats;           /**< from klonos_reader_stats(), or NULL */
  const struct klonos_calibration *calibration; /**< NULL when calibration was not requested */
  int32_t calibration_status;               /**< what klonos_calibrator_fit() returned */
  int32_t include;                          /**< bit mask of klonos_report_part: optional arrays to add */
  double score_epoch_s;                     /**< per-epoch scores every this many seconds (0 = 60) */
  uint8_t reserved[32];
} klonos_report_context;

/**
 * The canonical JSON report of a finished analysis (the document `klonos
 * analyze --format json` prints and Python's Result.to_dict() returns; keys
 * in docs/report.md). Writes at most @p capacity bytes including the NUL;
 * *needed receives the full length + 1, so call once with capacity 0 to size
 * the buffer. @return KLONOS_OK, KLONOS_E_RANGE when the buffer was too
 * small (nothing useful written), KLONOS_E_STATE before finish, KLONOS_E_NOMEM.
 */
KLONOS_API int klonos_analyzer_report_json(const klonos_analyzer *analyzer, const klonos_report_context *context,
                                           char *buffer, size_t capacity, size_t *needed);

/** Last error message of the handle ("" when none). Never NULL. */
KLONOS_API const char *klonos_analyzer_error(const klonos_analyzer *analyzer);

/** "upright_still" etc.; "unknown" for other values. */
KLONOS_API const char *klonos_state_name(int state);

/** Result of an autocalibration (van Hees et al. 2014, J Appl Physiol 117:738). */
typedef struct klonos_calibration {
  double offset_g[3];
  double scale[3];
  double error_before_mg;         /**< mean | |a| - 1 g | over still windows */
  double error_after_mg;
  int64_t still_windows;
  int32_t iterations;
  int32_t reserved_i;
  char why[160];                  /**< the reason when calibration was refused */
  uint8_t reserved[64];
} klonos_calibration;

typedef struct klonos_calibrator klonos_calibrator;

/** Collects still 10 s windows from 3- or 6-channel frames at @p sample_rate_hz. */
KLONOS_API int klonos_calibrator_open(klonos_calibrator **out, double sample_rate_hz, int channel_count);
KLONOS_API void klonos_calibrator_close(klonos_calibrator **calibrator);
KLONOS_API int klonos_calibrator_push_f32(klonos_calibrator *calibrator, const float *frames, size_t frames_count);
/** Fit. @return KLONOS_OK, or KLONOS_E_NODATA with result->why saying why it was refused
 * (too few still windows, orientations not covering the sphere). */
KLONOS_API int klonos_calibrator_fit(klonos_calibrator *calibrator, klonos_calibration *result);

KLONOS_END_DECLS

#endif
