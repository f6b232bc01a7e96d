/* Validity and test-retest reliability of the severity scores on synthetic
 * recordings whose severity is known (docs/scores.md).
 *
 * For severity 0, 0.1, ..., 1 and seeds 1..3: render in memory, analyse with
 * the public API, score. Validity: Spearman's rho between severity and each
 * score (motor on `daily` recordings; each component on the scenario that
 * contains its sign). Reliability: test-retest pairs (same severity, seeds
 * 1 and 2) -> ICC(2,1) (Shrout & Fleiss 1979: two-way random effects,
 * absolute agreement, single measurement) and MDC95 = 1.96 * sqrt(2) * SEM
 * with SEM = sqrt(MS_error) (Weir 2005).
 *
 * Usage: bench_validity [--quick]   (--quick: 3 severities, shorter recordings) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/klonos.h"
#include "klonos/synth.h"

#define LEVELS 11
#define SEEDS 3

static double score_of(int scenario, double severity, uint64_t seed, double duration_s, int which) {
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  c.scenario = scenario;
  c.severity = severity;
  c.seed = seed;
  c.duration_s = duration_s;
  klonos_synth *s = NULL;
  if (klonos_synth_open(&s, &c, NULL)) { fprintf(stderr, "%s\n", klonos_synth_error(s)); exit(1); }
  klonos_analyzer_config ac;
  klonos_analyzer_config_default(&ac);
  snprintf(ac.axes, sizeof ac.axes, "V,AP,ML");
  klonos_analyzer *a = NULL;
  if (klonos_analyzer_open(&a, c.rate_hz, 3, &ac)) { fprintf(stderr, "%s\n", klonos_analyzer_error(a)); exit(1); }
  float *buf = malloc(sizeof(float) * 3 * 16384);
  size_t got;
  while (klonos_synth_render(s, buf, 16384, &got) == KLONOS_OK && got) klonos_analyzer_push_f32(a, buf, got);
  klonos_analyzer_finish(a);
  klonos_scores sc;
  klonos_analyzer_scores(a, &sc);
  free(buf);
  klonos_analyzer_close(&a);
  klonos_synth_close(&s);
  const double v[4] = {sc.motor, sc.myoclonus, sc.stance, sc.gait};
  return v[which];
}

static void ranks(const double *x, int n, double *r) {
  for (int i = 0; i < n; i++) {
    double less = 0, equal = 0;
    for (int j = 0; j < n; j++) {
      if (x[j] < x[i]) less++;
      else if (x[j] == x[i]) equal++;
    }
    r[i] = less + (equal + 1) / 2.0;
  }
}

static double spearman(const double *x, const double *y, int n) {
  double rx[64], ry[64], mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
  ranks(x, n, rx);
  ranks(y, n, ry);
  for (int i = 0; i < n; i++) { mx += rx[i] / n; my += ry[i] / n; }
  for (int i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxy / sqrt(sxx * syy);
}

/* ICC(2,1) and SEM for n subjects x 2 sessions. */
static void icc21(const double (*x)[2], int n, double *icc, double *sem) {
  const int k = 2;
  double grand = 0, row[64], col[2] = {0, 0};
  for (int i = 0; i < n; i++) {
    row[i] = (x[i][0] + x[i][1]) / 2;
    grand += row[i] / n;
    col[0] += x[i][0] / n;
    col[1] += x[i][1] / n;
  }
  double ssr = 0, ssc = 0, sst = 0;
  for (int i = 0; i < n; i++) {
    ssr += k * (row[i] - grand) * (row[i] - grand);
    for (int j = 0; j < k; j++) sst += (x[i][j] - grand) * (x[i][j] - grand);
  }
  for (int j = 0; j < k; j++) ssc += n * (col[j] - grand) * (col[j] - grand);
  double sse = sst - ssr - ssc;
  double msr = ssr / (n - 1), msc = ssc / (k - 1), mse = sse / ((n - 1) * (k - 1));
  *icc = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n);
  *sem = sqrt(mse > 0 ? mse : 0);
}

int main(int argc, char **argv) {
  int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  struct { const char *name; int scenario; double duration_s; int which; } comps[] = {
      {"motor (daily)", KLONOS_SYNTH_DAILY, quick ? 1800 : 3600, 0},
      {"myoclonus (stance-jerks)", KLONOS_SYNTH_STANCE_JERKS, quick ? 300 : 600, 1},
      {"stance (stance)", KLONOS_SYNTH_STANCE, quick ? 120 : 300, 2},
      {"gait (walking)", KLONOS_SYNTH_WALKING, quick ? 300 : 600, 3},
  };
  int levels = quick ? 3 : LEVELS;
  printf("%-26s %10s %10s %10s %10s   scores at severity 0 / 0.5 / 1 (seed 1)\n", "score", "spearman", "ICC(2,1)",
         "SEM", "MDC95");
  for (size_t c = 0; c < sizeof comps / sizeof comps[0]; c++) {
    double sev[64], val[64], pairs[64][2];
    int n = 0, nanv = 0;
    for (int l = 0; l < levels; l++) {
      double s = levels == 1 ? 0 : (double)l / (levels - 1);
      for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        double v = score_of(comps[c].scenario, s, seed, comps[c].duration_s, comps[c].which);
        if (!isfinite(v)) { nanv++; fprintf(stderr, "no score: %s severity %.1f seed %llu\n", comps[c].name, s, (unsigned long long)seed); v = NAN; }
        if (seed <= 2) pairs[l][seed - 1] = v;
        if (!isfinite(v)) continue;
        sev[n] = s;
        val[n++] = v;
      }
    }
    /* ICC over the severity levels where both sessions gave a score. */
    double valid[64][2];
    int nv = 0;
    for (int l = 0; l < levels; l++)
      if (isfinite(pairs[l][0]) && isfinite(pairs[l][1])) { valid[nv][0] = pairs[l][0]; valid[nv][1] = pairs[l][1]; nv++; }
    double icc = NAN, sem = NAN;
    if (nv >= 3) icc21((const double (*)[2])valid, nv, &icc, &sem);
    double lo = pairs[0][0], mid = pairs[levels / 2][0], hi = pairs[levels - 1][0];
    printf("%-26s %10.3f %10.3f %10.2f %10.2f   %.1f / %.1f / %.1f%s\n", comps[c].name, spearman(sev, val, n), icc, sem,
           1.96 * sqrt(2.0) * sem, lo, mid, hi, nanv ? "  (some recordings without data)" : "");
  }
  /* The tracker's situation: any score from the same kind of free-living
   * recording (daily), test-retest at each severity. */
  const double lengths[2] = {600, 3600};
  static const char *const names[4] = {"motor", "myoclonus", "stance", "gait"};
  for (int li = 0; li < 2; li++) {
    double len = quick ? lengths[li] / 2 : lengths[li];
    printf("\ndaily %.0f min, test-retest over %d severities (seeds 1, 2):\n", len / 60, levels);
    printf("%-12s %10s %10s %10s %12s\n", "score", "ICC(2,1)", "SEM", "MDC95", "pairs scored");
    for (int w = 0; w < 4; w++) {
      double pairs[64][2];
      int nv = 0;
      for (int l = 0; l < levels; l++) {
        double s = levels == 1 ? 0 : (double)l / (levels - 1);
        double a = score_of(KLONOS_SYNTH_DAILY, s, 1, len, w), b = score_of(KLONOS_SYNTH_DAILY, s, 2, len, w);
        if (isfinite(a) && isfinite(b)) { pairs[nv][0] = a; pairs[nv][1] = b; nv++; }
      }
      double icc = NAN, sem = NAN;
      if (nv >= 3) icc21((const double (*)[2])pairs, nv, &icc, &sem);
      printf("%-12s %10.3f %10.2f %10.2f %12d\n", names[w], icc, sem, 1.96 * sqrt(2.0) * sem, nv);
    }
  }
  return 0;
}
