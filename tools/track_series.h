/* One subject's recordings as a series: the baseline, each recording's change
 * from it against the MDC95, and the Theil-Sen trend per week, computed once
 * for `track show` and `track plot` so the table and the plot agree. */
#ifndef KLONOS_TOOLS_TRACK_SERIES_H
#define KLONOS_TOOLS_TRACK_SERIES_H

#include "mdc.h"
#include "theil_sen.h"
#include "track_db.h"

typedef struct kl_track_series {
  kl_track_row *rows;       /* in time order; owned */
  size_t n;
  size_t baseline;          /* index of the baseline recording */
  /* Per score: the row whose value is the baseline (the baseline recording,
   * or the first later one with data for that score); n when none. */
  size_t baseline_row[KL_SCORE_COUNT];
  double baseline_value[KL_SCORE_COUNT];
  double mdc95[KL_SCORE_COUNT];
  double *change;           /* n x KL_SCORE_COUNT: score - baseline value; NaN without data */
  int *beyond_mdc;          /* n x KL_SCORE_COUNT: |change| > MDC95 */
  kl_theil_sen trend[KL_SCORE_COUNT]; /* score points per week, recordings from the baseline on */
  int mixed_params;         /* 1 when the recordings were analysed with different parameters */
} kl_track_series;

/* Build the series of @p rows (taken over: free with kl_track_series_free,
 * also after a failure). The
 * baseline is the first recording at or after @p baseline_unix_s (NaN: the
 * first recording). Returns 0, or -1 with @p err (no recording at or after
 * the baseline date, out of memory). */
int kl_track_series_build(kl_track_series *s, kl_track_row *rows, size_t n, double baseline_unix_s,
                          const double mdc95[KL_SCORE_COUNT], char *err, size_t errlen);
void kl_track_series_free(kl_track_series *s);

#define KL_TREND_CONFIDENCE 0.95
#define KL_SECONDS_PER_WEEK 604800.0

#endif
