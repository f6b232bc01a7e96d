/* klonos: the streaming analysis of one recording. */
#ifndef KLONOS_ANALYZER_H
#define KLONOS_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "klonos/attributes.h"

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
