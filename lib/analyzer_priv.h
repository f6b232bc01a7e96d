/* Private: the analyzer's state, shared by lib/analyzer*.c. */
#ifndef KLONOS_ANALYZER_PRIV_H
#define KLONOS_ANALYZER_PRIV_H

#include "cond/calibrate.h"
#include "cond/orientation.h"
#include "cond/segment.h"
#include "detect/falls.h"
#include "detect/gait.h"
#include "detect/jerk.h"
#include "detect/sway.h"
#include "dsp/resample.h"
#include "klonos/analyzer.h"

#define KL_ANALYZER_BLOCK 1024
#define KL_MEASURE_MAX_PIECE_S 600.0
#define KL_EPOCH_NOTES 4096          /* final epochs remembered to place late jerk events */ /* sway/gait bouts are measured in pieces of at most 10 min */

/* A growable array of fixed-size items (results grow with events and bouts,
 * never with samples). */
typedef struct kl_vec {
  void *items;
  size_t n, cap, item_size;
} kl_vec;

int kl_vec_push(kl_vec *v, const void *item);
void kl_vec_free(kl_vec *v);

/* The piece of a sway/gait bout being collected. */
typedef struct kl_piece {
  int state;                    /* KL_STATE_UPRIGHT_STILL or KL_STATE_WALKING; -1 none */
  int64_t start_frame;          /* analysis-rate frame index of its first frame */
  size_t n;                     /* frames collected */
  float *xyz;                   /* up to max_frames x 3, sensor frame */
  size_t max_frames;
  double step_period_sum;       /* walking epochs' step periods, for the heading */
  int step_period_n;
} kl_piece;

struct klonos_analyzer {
  klonos_analyzer_config cfg;
  double in_rate_hz;
  int nch;
  kl_mat3 sensor_to_body_hint;
  double ap_sensor[3];          /* AP direction in sensor coordinates: hint, refined by walking */
  int heading_from_walking;
  kl_resampler *resampler;      /* NULL when the input is already at the analysis rate */
  kl_segmenter *segmenter;
  kl_jerk_detector *jerks;
  kl_falls *falls;              /* falls and near-falls (docs/falls.md) */
  kl_vec fall_events;           /* klonos_fall_event */
  float *block;                 /* KL_ANALYZER_BLOCK frames at the analysis rate (nch) */
  float *acc;                   /* KL_ANALYZER_BLOCK x 3 */
  /* The last frames at the analysis rate, long enough to cover the
   * segmenter's delay, so a final epoch's samples can still be measured. */
  float *ring;
  size_t ring_cap;              /* frames */
  size_t epoch_frames;
  kl_piece piece;
  float *work;                  /* body-frame buffers for one piece: 3 x max_frames */
  kl_sway_config sway_cfg;
  kl_gait_config gait_cfg;
  kl_gait_ws *gait_ws;          /* gait buffers and FFT plans, reused from bout to bout */
  kl_sway_ws *sway_ws;          /* sway Welch plan and buffers, likewise */
  int ws_reserved;              /* both sized for the longest piece (at the first bout) */
  /* results */
  kl_vec bouts;                 /* klonos_bout */
  kl_vec events;                /* klonos_jerk_event (final) */
  kl_vec pending;               /* kl_jerk_event waiting for their epoch's state */
  kl_vec clusters;              /* klonos_jerk_cluster */
  kl_vec tremors;               /* klonos_tremor_episode */
  kl_vec sway;                  /* klonos_sway_metrics */
  kl_vec gait;                  /* klonos_gait_metrics */
  size_t pending_head;          /* first unresolved entry of pending */
  struct kl_epoch_note *notes;  /* the last KL_EPOCH_NOTES final epochs (state, gravity) */
  int64_t final_epochs;         /* epochs made final so far */
  double cadence_sum;           /* of the open walking bout */
  int64_t cadence_n;
  double state_s[KLONOS_STATE_COUNT];
  int64_t frames_analysed;
  int finished;
  int status;
  char error[256];
};

int kl_analyzer_fail(klonos_analyzer *a, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* lib/analyzer_measure.c: sway and gait per bout, jerk events' states. */
int kl_measure_init(klonos_analyzer *a);
void kl_measure_free(klonos_analyzer *a);
void kl_measure_release_work(klonos_analyzer *a);                     /* after finish: keep only results */
void kl_measure_store(klonos_analyzer *a, const float *acc, size_t n); /* append to the ring */
int kl_measure_epoch(klonos_analyzer *a, const kl_epoch *e);          /* a final epoch */
int kl_measure_finish(klonos_analyzer *a);
int kl_measure_take_jerks(klonos_analyzer *a);                         /* pop from the detector */

#endif
