#include "score.h"

#include <math.h>

double kl_score_hill(double x, double x50, double p) {
  if (!isfinite(x) || x < 0 || !(x50 > 0) || !(p > 0)) return NAN;
  if (x == 0) return 0.0;
  double r = pow(x / x50, p);
  if (!isfinite(r)) return 100.0;
  return 100.0 * r / (1.0 + r);
}

double kl_myoclonus_index(double events_per_min, double amp_median_mps2) {
  if (!isfinite(events_per_min) || events_per_min < 0) return NAN;
  if (events_per_min == 0) return 0.0;
  if (!isfinite(amp_median_mps2) || amp_median_mps2 <= 0) return NAN;
  return events_per_min * sqrt(amp_median_mps2 / KL_SCORE_JERK_REF_AMP_MPS2);
}

double kl_score_myoclonus(double events_per_min, double amp_median_mps2) {
  return kl_score_hill(kl_myoclonus_index(events_per_min, amp_median_mps2), KL_SCORE_MI_HALF_PER_MIN, KL_SCORE_MI_P);
}

double kl_score_stance(const klonos_sway_metrics *m) {
  return kl_score_hill(m->rms_mps2, KL_SCORE_STANCE_RMS50_MPS2, KL_SCORE_STANCE_P);
}

/* Mean of the finite values among n sub-scores; NaN when none is. */
static double mean_finite(const double *v, int n) {
  double s = 0;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(v[i])) { s += v[i]; k++; }
  return k ? s / k : NAN;
}

double kl_score_gait(const klonos_gait_metrics *m) {
  double sub[4];
  double reg = m->step_regularity_v;
  sub[0] = isfinite(reg) ? kl_score_hill(fmax(0.0, 1.0 - reg), KL_SCORE_REG50_DEFICIT, 2.0) : NAN;
  double hr = m->harmonic_ratio_ap;
  sub[1] = isfinite(hr) && hr > 0 ? kl_score_hill(fmax(0.0, (KL_SCORE_HR_REF - hr) / KL_SCORE_HR_REF), KL_SCORE_HR50_DEFICIT, 2.0) : NAN;
  sub[2] = kl_score_hill(m->stride_time_cv, KL_SCORE_CV50, 3.0);
  sub[3] = kl_score_hill(m->ml_rms_mps2, KL_SCORE_ML50_MPS2, 3.0);
  return mean_finite(sub, 4);
}

double kl_score_function(double falls_per_upright_h) {
  return kl_score_hill(falls_per_upright_h, KL_SCORE_FALLS50_PER_H, 1.0);
}

double kl_score_motor(double myoclonus, double stance, double gait, double function, int *used) {
  const double v[4] = {myoclonus, stance, gait, function};
  int mask = 0;
  for (int i = 0; i < 4; i++)
    if (isfinite(v[i])) mask |= 1 << i;
  if (used) *used = mask;
  return mean_finite(v, 4); /* equal weights, documented in docs/scores.md */
}
