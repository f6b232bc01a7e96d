/* Private: metric -> 0..100 severity score mappings (docs/scores.md).
 *
 * Every sub-score is a Hill function of a "sign" x >= 0 that grows with the
 * disorder:  score(x) = 100 * x^p / (x^p + x50^p).  It is 0 only when the
 * sign is absent, 50 at x50, approaches 100, is continuous and strictly
 * increasing for x > 0 (so severity rankings survive), and never NaN: a
 * non-finite or negative input gives no score at all (the caller reports
 * null with a reason). x50 and p per sign are in docs/scores.md with the
 * reference values they come from. */
#ifndef KLONOS_SCORE_SCORE_H
#define KLONOS_SCORE_SCORE_H

#include "klonos/analyzer.h"

/* Hill mapping; returns NaN for x < 0 or non-finite x. */
double kl_score_hill(double x, double x50, double p);

/* Myoclonus index: jerks per minute of wear weighted by the square root of
 * their median amplitude relative to 3 m/s^2 (a typical jerk). */
double kl_myoclonus_index(double events_per_min, double amp_median_mps2);
double kl_score_myoclonus(double events_per_min, double amp_median_mps2);

/* Stance/sitting (truncal sway): from the combined sway RMS. */
double kl_score_stance(const klonos_sway_metrics *m);

/* Gait: mean of the sub-scores for step regularity, harmonic ratio (AP),
 * stride-time variability and lateral sway that are available. */
double kl_score_gait(const klonos_gait_metrics *m);

/* Daily function (OMS stance/gait items: can the child stand and walk
 * without falling): from falls per hour upright. */
double kl_score_function(double falls_per_upright_h);

/* Composite: mean of the available components (NaN = absent), equal
 * weights. *used receives a bit mask: 1 myoclonus, 2 stance, 4 gait, 8 function. */
double kl_score_motor(double myoclonus, double stance, double gait, double function, int *used);

/* The documented constants, also printed in the report. */
#define KL_SCORE_MI_HALF_PER_MIN 1.0      /* myoclonus index giving 50 */
#define KL_SCORE_MI_P 1.0
#define KL_SCORE_JERK_REF_AMP_MPS2 3.0
#define KL_SCORE_STANCE_RMS50_MPS2 0.40   /* sway RMS giving 50 */
#define KL_SCORE_STANCE_P 2.0
#define KL_SCORE_REG50_DEFICIT 0.5        /* 1 - step regularity giving 50 */
#define KL_SCORE_HR_REF 3.0               /* healthy AP harmonic ratio */
#define KL_SCORE_HR50_DEFICIT 0.5         /* (3 - HR_AP) / 3 giving 50 */
#define KL_SCORE_CV50 0.06                /* stride-time CV giving 50 */
#define KL_SCORE_ML50_MPS2 2.5            /* ML RMS while walking giving 50 */
#define KL_SCORE_FALLS50_PER_H 10.0       /* falls per upright hour giving 50 */
#define KL_FUNCTION_MIN_UPRIGHT_S 60.0    /* least upright time for a function score */

#endif
