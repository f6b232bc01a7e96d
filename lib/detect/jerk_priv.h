/* Private to lib/detect/jerk*.c: the detector's state and the functions
 * its files share. See jerk.h for the method and jerk.c for the streams. */
#ifndef KLONOS_DETECT_JERK_PRIV_H
#define KLONOS_DETECT_JERK_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "detect/jerk.h"
#include "detect/rhythm.h"
#include "detect/tremor.h"
#include "dsp/sosfilt.h"

/* Frames filtered per step; the delayed stream catches up after each. */
#define SUB 256
/* Constants below are fixed design choices (docs/myoclonus.md, sec. 6). */
#define ENV_BLOCK_S 0.02 /* envelope blocks of the rhythm test (50 Hz) */
#define RHYTHM_HOP_S 3.0 /* one step-period estimate per 3 s: the cadence changes slowly */
/* Extent of a transient (see transients() in jerk_decide.c): where j stays above this
 * fraction of its own peak (and the lower threshold), dips shorter than
 * INNER_BRIDGE_S bridged. The slow tail that the high-pass adds after a
 * large transient with a net velocity change, and background activity
 * around it, are not part of the jerk. */
#define TAIL_FRACTION 0.15
#define INNER_BRIDGE_S 0.04
/* The high-pass answers a transient with a net velocity change by a slow
 * tail of the opposite sign; its norm-jerk stays below ~SHADOW_FRACTION of
 * the transient's peak (a pulse of area A D/2 through a 1 Hz second-order
 * high-pass) and decays within ~1/(2 pi band_lo) s. A later transient
 * within SHADOW_S of a larger one and below that level is taken for its
 * tail. */
#define SHADOW_S 0.4
#define SHADOW_FRACTION 0.10
/* While walking, a frame becomes a candidate when it exceeds this many
 * times the same phase of the neighbouring steps (a cheap, loosely aligned
 * screen); the aligned test in decide() then rules with step_amp_ratio. */
#define CANDIDATE_RATIO 1.2
/* Train test (short walks, turns, stairs: too few steps for the
 * autocorrelation): a candidate is a step when, within +-TRAIN_WINDOW_S, two
 * other transients no more than step_amp_ratio_acc times smaller, whose
 * peak acceleration points the same way (cosine >= TRAIN_MIN_COS), form
 * with it three beats at step intervals (step_min_s..step_max_s, the longer
 * interval at most TRAIN_MAX_IRREG times the shorter), and the background
 * between them is active (>= step_min_activity_mps2). A storm of jerks in
 * quiet stance has a quiet background; jerks of a storm while moving
 * rarely point the same way. */
#define TRAIN_WINDOW_S 2.4
#define TRAIN_MIN_COS 0.7
#define TRAIN_MAX_IRREG 1.5
/* A region longer than this is cut (bounded memory); transients touching
 * the cut are long activity, not jerks. */
#define REGION_CAP_S 2.0

/* A region: frames above the lower threshold, dips up to the refractory
 * gap bridged. It is only a container: the transients inside it are found
 * when it closes (transients() below). */
typedef struct region {
  int open;
  int64_t start, last_above;
  int cut_start; /* began where a too-long region was cut */
} region;

/* One transient found in a region. */
typedef struct transient {
  int64_t onset, offset, peak;
  int truncated;
} transient;
#define MAX_TRANSIENTS 64

/* An accepted event waiting for the train test (and released in order). */
typedef struct pending {
  kl_jerk_event e;
  int64_t onset, peak, deadline;
  double background;
  int test; /* 1: run the train test (not walking) */
} pending;
#define MAX_PENDING 128

typedef struct ev_queue {
  kl_jerk_event *v;
  size_t cap, head, len;
} ev_queue;

typedef struct cl_queue {
  kl_jerk_cluster *v;
  size_t cap, head, len;
} cl_queue;

struct kl_jerk_detector {
  kl_jerk_config c;
  double fs;
  int nch;
  kl_sos_filter bp;
  double band_hi_hz;
  /* live stream */
  int64_t n;
  int live_gap; /* the previous frame was a gap, or nothing came yet */
  float prev[3];
  float buf[SUB * 3];
  float jbuf[SUB], a2buf[SUB];
  size_t R;
  float *r_abp, *r_j, *r_s; /* band-passed acc, norm-jerk, score (feature / upper threshold) per frame */
  /* floor blocks */
  size_t nb;
  size_t FB;
  float *fb_max, *fb_rms, *fb_raw; /* per block: max j, RMS |a_bp|, mean raw acceleration (3) */
  int64_t fb_count;
  float cb_max;
  double cb_sum2, cb_raw[3];
  size_t cb_valid, cb_frames;
  /* envelope blocks */
  size_t nd;
  float ce_j, ce_a2, ce_vec[3];
  double ce_sum[3];
  int ce_gap;
  size_t ce_frames;
  kl_rhythm *rh;
  /* tremor */
  kl_tremor_tracker *tr;
  size_t nh, nw, nhops_win;
  double *hop_pw;
  double hop_sum2;
  int hop_gap;
  size_t hop_frames;
  int64_t hops;
  /* delayed stream */
  int64_t D;
  int64_t m;
  size_t floor_back, floor_ahead;
  double *scratch;
  double thr_floor, activity;
  int per_ok;
  double per_T;
  double thr_comb, thr_comb_a, ref_comb, ref_comb_a, base_floor, inv_floor_span;
  size_t ph_nb, ph_nd, ph_rh, m_ri, n_ri; /* phases of m (and n) in their blocks and rings */
  double *sorted;                         /* finite block maxima of the floor window, sorted */
  size_t nsorted;
  int64_t win_lo, win_hi;                 /* blocks in the floor window (win_hi < win_lo: empty) */
  size_t nrh, nd_comb;                    /* frames per rhythm analysis and per comb update */
  int delayed_gap;
  int64_t horizon; /* frames the delayed stream may look at: <= m + D */
  int64_t last_gap_end;
  int64_t bridge, max_dur, guard, cluster_gap, inner_bridge, region_cap, shadow;
  int64_t shadow_until;
  double shadow_level;
  region rg;
  transient tq[MAX_TRANSIENTS];
  pending pq[MAX_PENDING];
  size_t pq_head, pq_len;
  int64_t train_window;
  /* output */
  ev_queue out_ev;
  cl_queue out_cl;
  kl_jerk_event pend[64];
  int run_count;
  int64_t run_first_onset, run_last_onset, run_id, next_cluster_id;
  double run_start_s, run_end_s;
  kl_jerk_stats st;
  kl_jerk_candidate_fn ctrace;
  void *ctrace_ctx;
  int finished;
  int error;
};


/* jerk_floor.c: robust statistics and the background threshold */
double kl_jerk_select_kth(double *v, size_t n, size_t k);
double kl_jerk_median(double *v, size_t n);
void kl_jerk_update_floor(kl_jerk_detector *d, int64_t b, int64_t horizon);
double kl_jerk_activity(kl_jerk_detector *d, int64_t b);

/* jerk_decide.c: transients, the acceptance tests, clusters and output */
void kl_jerk_close_region(kl_jerk_detector *d, int cut_end);
void kl_jerk_release(kl_jerk_detector *d, int all);
void kl_jerk_close_run(kl_jerk_detector *d);
void kl_jerk_fail(kl_jerk_detector *d, int rc);

#endif
