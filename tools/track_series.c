#include "track_series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kl_track_series_build(kl_track_series *s, kl_track_row *rows, size_t n, double baseline_unix_s,
                          const double mdc95[KL_SCORE_COUNT], char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  s->rows = rows;
  s->n = n;
  memcpy(s->mdc95, mdc95, sizeof s->mdc95);
  s->baseline = 0;
  if (isfinite(baseline_unix_s)) {
    while (s->baseline < n && rows[s->baseline].recorded_at_unix_s < baseline_unix_s) s->baseline++;
    if (s->baseline == n) {
      snprintf(err, errlen, "no recording at or after the baseline date");
      return -1;
    }
  }
  s->change = malloc((n ? n : 1) * KL_SCORE_COUNT * sizeof *s->change);
  s->beyond_mdc = calloc((n ? n : 1) * KL_SCORE_COUNT, sizeof *s->beyond_mdc);
  double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
  if (!s->change || !s->beyond_mdc || !x || !y) {
    free(x);
    free(y);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  for (size_t i = 1; i < n; i++)
    if (strcmp(rows[i].params_json, rows[0].params_json) != 0) s->mixed_params = 1;
  double t0 = n ? rows[s->baseline].recorded_at_unix_s : 0;
  for (int k = 0; k < KL_SCORE_COUNT; k++) {
    s->baseline_row[k] = n;
    s->baseline_value[k] = NAN;
    for (size_t i = s->baseline; i < n; i++)
      if (isfinite(rows[i].score[k])) { s->baseline_row[k] = i; s->baseline_value[k] = rows[i].score[k]; break; }
    for (size_t i = 0; i < n; i++) {
      double c = rows[i].score[k] - s->baseline_value[k]; /* NaN propagates "no data" */
      s->change[i * KL_SCORE_COUNT + k] = c;
      s->beyond_mdc[i * KL_SCORE_COUNT + k] = isfinite(c) && fabs(c) > mdc95[k];
    }
    size_t m = 0;
    for (size_t i = s->baseline; i < n; i++) {
      x[m] = (rows[i].recorded_at_unix_s - t0) / KL_SECONDS_PER_WEEK;
      y[m] = rows[i].score[k];
      m++;
    }
    if (kl_theil_sen_fit(x, y, m, KL_TREND_CONFIDENCE, &s->trend[k]) != 0) {
      free(x);
      free(y);
      snprintf(err, errlen, "out of memory");
      return -1;
    }
  }
  free(x);
  free(y);
  return 0;
}

void kl_track_series_free(kl_track_series *s) {
  kl_track_rows_free(s->rows, s->n);
  free(s->change);
  free(s->beyond_mdc);
  memset(s, 0, sizeof *s);
}
