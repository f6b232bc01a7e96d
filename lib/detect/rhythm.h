/* Private: periodic context (walking) for the jerk detector.
 *
 * The detector summarises the band-passed signal in short blocks (default
 * 40 ms): the largest norm-jerk and the largest |a_bp| of each block, the
 * "envelopes". Walking makes them periodic at the step period.
 *
 * Period: the unbiased autocorrelation (Moe-Nilssen & Helbostad 2004,
 * kl_autocorr_unbiased) of the band-passed acceleration vector, averaged in
 * ~40 ms blocks, over a window (default 6 s) centred on the point of
 * interest: the per-axis autocorrelations weighted by the axis variances,
 * i.e. sum_t a(t).a(t+L) normalised, which does not depend on the sensor's
 * orientation. The highest peak at a lag between step_min_s and step_max_s,
 * reaching step_min_autocorr, is the period (its half when that is almost
 * as periodic: the step, not the stride). The unbiased estimate weights the
 * walking part of a window that straddles the start of a bout by its
 * variance, so the first steps are already seen as periodic.
 *
 * Comb reference: for a block k and period T the signal one and two
 * periods before and after, each the largest envelope value within
 * +-step_tolerance x T: ref = max(min(M(k-T), M(k-2T)), min(M(k+T), M(k+2T))).
 * A transient that is no larger than a few times what the same phase of
 * the neighbouring steps holds is part of the gait (heel strike); one that
 * stands out from it breaks the rhythm. Requiring two periods on one side
 * keeps a lone other jerk one period away from hiding this one, and the
 * side maximum keeps the first and last steps of a bout in the train. */
#ifndef KLONOS_DETECT_RHYTHM_H
#define KLONOS_DETECT_RHYTHM_H

#include <stddef.h>
#include <stdint.h>

#include "detect/jerk.h"

typedef struct kl_rhythm kl_rhythm;

/* nd: frames per envelope block; keep: blocks remembered (a ring). */
int kl_rhythm_create(kl_rhythm **out, const kl_jerk_config *c, double fs_hz, size_t nd, size_t keep);
void kl_rhythm_destroy(kl_rhythm **r);

/* Block k (blocks come in order 0, 1, 2 ...): the largest norm-jerk and
 * |a_bp|, the mean a_bp per axis and the a_bp vector at the largest
 * |a_bp|; NaN marks a block touching a gap. */
void kl_rhythm_push(kl_rhythm *r, float env_j, float env_a, const float mean[3], const float vec[3]);

/* Period (in blocks) of the window centred on block kc using blocks up to
 * `horizon` (inclusive). 1 = periodic (*period, *acorr set), 0 = not. */
int kl_rhythm_analyse(kl_rhythm *r, int64_t kc, int64_t horizon, double *period, double *acorr);

/* Comb references of the norm-jerk and |a_bp| envelopes for block k,
 * period in blocks, blocks up to `horizon`. 0 when neither side has both
 * periods available. */
int kl_rhythm_ref(const kl_rhythm *r, int64_t k, double period, int64_t horizon, double *ref_j, double *ref_a);

/* Steps compared on each side of a candidate. */
#define KL_RHYTHM_STEPS 3

/* What the neighbouring steps hold at a candidate's phase of the gait cycle. */
typedef struct kl_rhythm_cmp {
  double ref_j, ref_a; /* second largest norm-jerk and |a_bp| over the aligned steps */
  int n;               /* aligned steps found (3..2 x KL_RHYTHM_STEPS) */
  double a[2 * KL_RHYTHM_STEPS], j[2 * KL_RHYTHM_STEPS]; /* per aligned step: largest |a_bp| and norm-jerk */
} kl_rhythm_cmp;

/* Aligned comparison for a candidate transient whose envelope blocks are
 * kp - core .. kp + core: for each of the KL_RHYTHM_STEPS steps before and
 * after, the lag within +-(15 + 10 k)% of k periods that best matches the
 * |a_bp| envelope around the candidate (its core excluded, +-0.3 s of
 * context; least sum of squared differences) aligns that step on the
 * candidate's phase of the gait cycle, however irregular the steps. Their
 * largest norm-jerk and |a_bp| over the aligned core are compared with the
 * candidate's. 1 = done (at least three steps found), 0 = not. */
int kl_rhythm_aligned(const kl_rhythm *r, int64_t kp, int64_t core, double period, int64_t horizon, kl_rhythm_cmp *out);

/* Beats around block kc: blocks within +-w (and up to the horizon) whose
 * |a_bp| is the largest within half the shortest step period, at least
 * min_a, and whose a_bp vector points within acos(min_cos) of dir (a unit
 * vector). Their block indices go to out (at most cap); returns the count. */
int kl_rhythm_beats(const kl_rhythm *r, int64_t kc, int64_t w, int64_t horizon, double min_a, const double dir[3],
                    double min_cos, int64_t *out, int cap);

int64_t kl_rhythm_analyses(const kl_rhythm *r);

#endif
