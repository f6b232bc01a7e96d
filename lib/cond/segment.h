/* Private: activity-state segmentation of a trunk recording, per epoch.
 *
 * States, decided per epoch (default 2 s) from the acceleration in the sensor
 * frame at the analysis rate:
 *  - missing: more than half of the epoch is NaN (gaps in the file);
 *  - non-wear: van Hees et al. 2011 (PLoS One 6:e22922) and GGIR (van Hees
 *    2013): within a window (default 60 min) the standard deviation is below
 *    13 mg AND the range below 50 mg on at least 2 of 3 axes; every epoch
 *    covered by such a window is non-wear;
 *  - walking: the vertical acceleration is periodic at a step period of
 *    0.25-1.2 s (50-240 steps/min): its unbiased autocorrelation
 *    (Moe-Nilssen & Helbostad 2004) over a 6 s window centred on the epoch
 *    peaks above 0.4 at the step lag, stays low at half that lag (which
 *    rejects 3-12 Hz tremor, periodic at every multiple of its period), and
 *    the movement is vigorous enough (median dynamic acceleration >= 0.4 m/s^2);
 *  - lying: the trunk's long axis is more than 60 degrees from vertical;
 *  - upright still (quiet sitting or standing, where sway is measured): upright
 *    and the median dynamic acceleration is below 0.6 m/s^2 (a median, so a
 *    brief jerk does not make a still epoch "movement");
 *  - other movement: everything else.
 * "Dynamic acceleration" = |a - mean(a) over the epoch|.
 *
 * Epochs come out in order with a delay (the non-wear window and one epoch of
 * look-ahead for walking); memory is bounded by the window length. */
#ifndef KLONOS_COND_SEGMENT_H
#define KLONOS_COND_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

enum kl_state {
  KL_STATE_MISSING = 0,
  KL_STATE_NONWEAR = 1,
  KL_STATE_LYING = 2,
  KL_STATE_UPRIGHT_STILL = 3,
  KL_STATE_WALKING = 4,
  KL_STATE_OTHER = 5,
  KL_STATE_COUNT = 6
};

typedef struct kl_segment_config {
  double rate_hz;             /* analysis rate of the pushed frames */
  double epoch_s;             /* 2.0 */
  double still_max_mps2;      /* 0.6: median dynamic acceleration of a still epoch */
  double walk_min_mps2;       /* 0.4: median dynamic acceleration of a walking epoch */
  double walk_min_autocorr;   /* 0.4: autocorrelation peak at the step lag */
  double lying_min_deg;       /* 60 */
  double nonwear_window_s;    /* 3600 (van Hees 2013: 60 min) */
  double nonwear_sd_mps2;     /* 13 mg */
  double nonwear_range_mps2;  /* 50 mg */
  double vertical_ref[3];     /* body vertical in the sensor frame (from --axes/placement) */
} kl_segment_config;

void kl_segment_config_default(kl_segment_config *c, double rate_hz);

/* One classified epoch. */
typedef struct kl_epoch {
  int64_t index;
  double start_s;
  int state;                  /* enum kl_state */
  double gravity_mps2[3];     /* mean acceleration of the epoch, sensor frame */
  double dyn_median_mps2;     /* median |a - mean| */
  double step_period_s;       /* walking: lag of the autocorrelation peak; else 0 */
  double step_autocorr;       /* the peak value */
  double valid_fraction;      /* share of non-NaN frames */
} kl_epoch;

typedef struct kl_segmenter kl_segmenter;

int kl_segmenter_create(kl_segmenter **out, const kl_segment_config *c);
void kl_segmenter_destroy(kl_segmenter **s);
/* Push interleaved 3-channel acceleration frames (m/s^2, sensor frame). */
int kl_segmenter_push(kl_segmenter *s, const float *xyz, size_t frames);
/* After the last push: classify what remains (a final partial epoch of at
 * least half an epoch counts; shorter tails are dropped). */
int kl_segmenter_finish(kl_segmenter *s);
/* Pop the next finalised epoch; returns 1 and fills @p e, or 0 when none is ready. */
int kl_segmenter_pop(kl_segmenter *s, kl_epoch *e);

const char *kl_state_name(int state);

#endif
