/* Private: the analyzer's state, shared by lib/analyzer*.c. */
#ifndef KLONOS_ANALYZER_PRIV_H
#define KLONOS_ANALYZER_PRIV_H

#include "cond/calibrate.h"
#include "cond/orientation.h"
#include "cond/segment.h"
#include "dsp/resample.h"
#include "klonos/analyzer.h"

#define KL_ANALYZER_BLOCK 1024

struct klonos_analyzer {
  klonos_analyzer_config cfg;
  double in_rate_hz;
  int nch;
  kl_mat3 sensor_to_body_hint;
  kl_resampler *resampler;      /* NULL when the input is already at the analysis rate */
  kl_segmenter *segmenter;
  float *block;                 /* KL_ANALYZER_BLOCK frames at the analysis rate (nch) */
  float *acc;                   /* KL_ANALYZER_BLOCK x 3 */
  klonos_bout *bouts;
  size_t n_bouts, cap_bouts;
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

#endif
