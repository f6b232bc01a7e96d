/* Private: place timestamped samples on a uniform time grid.
 *
 * Devices with their own clock (Axivity CWA: the sensor's rate drifts by up
 * to a few percent; phone CSV exports: irregular steps) give a time per
 * sample. The analyses need a uniform rate, so samples are linearly
 * interpolated at t0 + k / rate_hz (the approach of omconvert's timestamp
 * resampling, Open Movement, and of GGIR/actipy). Where two consecutive
 * samples are more than max_gap_s apart the grid points between them get NaN
 * (a reported gap), never invented data.
 *
 * Pull model, so memory is constant: push one sample, then drain frames until
 * the grid passes the newest sample; repeat. */
#ifndef KLONOS_IO_REGRID_H
#define KLONOS_IO_REGRID_H

#include <stddef.h>
#include <stdint.h>

#include "reader_priv.h"

/* Longest forward jump between consecutive timestamps that is treated as a
 * gap; anything longer is a broken clock (KLONOS_E_TIME). */
#define KL_REGRID_MAX_JUMP_S (30.0 * 86400.0)

typedef struct kl_regrid {
  int nch;
  double rate_hz;
  double max_gap_s;
  int have_prev, have_cur;
  double t_first;         /* time of the first sample, absolute */
  double t_prev, t_cur;   /* relative to t_first */
  float v_prev[KLONOS_MAX_FRAME_CHANNELS], v_cur[KLONOS_MAX_FRAME_CHANNELS];
  int64_t k;              /* next grid index to emit */
  int gap_open;           /* the prev->cur interval is a gap (already reported) */
  int finished;
} kl_regrid;

void kl_regrid_init(kl_regrid *g, int nch, double rate_hz, double max_gap_s);

/* Add the next sample at absolute time t_s. Returns KLONOS_E_TIME (after
 * kl_reader_fail naming @p where) when t_s is not after the previous one.
 * Reports a gap notice on @p r when the step exceeds max_gap_s. */
int kl_regrid_push(kl_regrid *g, klonos_reader *r, double t_s, const float *v, const char *where);

/* Emit up to max frames whose grid time is <= the newest sample's time. */
size_t kl_regrid_drain(kl_regrid *g, klonos_reader *r, float *out, size_t max);

#endif
