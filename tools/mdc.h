/* Minimal detectable change (MDC95) of each severity score, in score points:
 * a change from baseline larger than this is unlikely (5 %) to be measurement
 * noise alone. MDC95 = 1.96 * sqrt(2) * SEM with SEM = sqrt(MS_error) of an
 * ICC(2,1) analysis (Weir 2005).
 *
 * Measured by tools/bench/bench_validity on synthetic test-retest pairs
 * (same severity 0..1, seeds 1 and 2; docs/scores-validation.md): motor,
 * myoclonus and stance from 60-minute `daily` recordings (4.00, 5.30, 3.72),
 * gait from 10-minute `walking` recordings (3.00, the daily recordings of
 * those seeds hold too little walking), each rounded up. These measure the
 * analysis's own noise only: a patient's day-to-day variability adds to it,
 * so a clinic should measure its own and pass it with --mdc.
 *
 * Overrides, highest first: `klonos track show|plot --mdc score=value`, then
 * the environment variable KLONOS_MDC ("motor=8,myoclonus=12"). */
#ifndef KLONOS_TOOLS_MDC_H
#define KLONOS_TOOLS_MDC_H

enum { KL_SCORE_MOTOR, KL_SCORE_MYOCLONUS, KL_SCORE_STANCE, KL_SCORE_GAIT, KL_SCORE_COUNT };

/* Score names as in the report's "severity" object, in the order above. */
static const char *const kl_score_names[KL_SCORE_COUNT] = {"motor", "myoclonus", "stance", "gait"};

/* Default MDC95 in score points (0-100 scale), measured (see above). */
static const double kl_mdc95_default[KL_SCORE_COUNT] = {
    4.0, /* motor */
    6.0, /* myoclonus */
    4.0, /* stance */
    3.0, /* gait */
};

/* 1: the defaults above are the synthetic test-retest measurement. */
#define KL_MDC95_MEASURED 1

#endif
