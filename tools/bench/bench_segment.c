/* Activity-state segmentation against ground truth.
 *
 * Synthetic: `daily`, `walking` and `nonwear` recordings rendered in memory
 * (klonos synth), analysed with the public analyzer API; every 2 s epoch's
 * state (at its midpoint) is compared with the truth bout there (sitting and
 * standing both count as upright still). Prints the confusion matrix and the
 * accuracy, for the default configuration and with a 10-minute non-wear
 * window (the synthetic non-wear bouts are shorter than the default hour).
 * Real: the two IPOL trials (walking between TrialBoundaries, standing
 * before) and the Mobilise-D lab tests (micro walking bouts from the INDIP
 * reference), when ../shared/data/real is present.
 *
 * Usage: bench_segment [REAL_DATA_DIR]   (run from the build directory) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/klonos.h"
#include "klonos/synth.h"

#define NS KLONOS_STATE_COUNT

typedef struct truth_bout { double t0, t1; int state; } truth_bout;

static int map_truth(int synth_state) {
  switch (synth_state) {
    case KLONOS_SYNTH_STATE_LYING: return KLONOS_STATE_LYING;
    case KLONOS_SYNTH_STATE_SITTING:
    case KLONOS_SYNTH_STATE_STANDING: return KLONOS_STATE_UPRIGHT_STILL;
    case KLONOS_SYNTH_STATE_WALKING: return KLONOS_STATE_WALKING;
    case KLONOS_SYNTH_STATE_NONWEAR: return KLONOS_STATE_NONWEAR;
    default: return KLONOS_STATE_OTHER;
  }
}

static int state_at(const truth_bout *b, size_t n, double t) {
  for (size_t i = 0; i < n; i++)
    if (t >= b[i].t0 && t < b[i].t1) return b[i].state;
  return -1;
}

static int analysed_state_at(klonos_analyzer *a, double t) {
  size_t n;
  klonos_analyzer_bout_count(a, &n);
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    klonos_bout b;
    klonos_analyzer_bout_get(a, mid, &b);
    if (b.end_s <= t) lo = mid + 1; else hi = mid;
  }
  klonos_bout b;
  if (lo < n && klonos_analyzer_bout_get(a, lo, &b) == KLONOS_OK && t >= b.start_s) return b.state;
  return -1;
}

/* Render, analyse, and add the epoch comparison to conf. */
static void run_synth(int scenario, uint64_t seed, double duration_s, double rate_hz, double nonwear_window_s,
                      int conf[NS][NS]) {
  klonos_synth_config sc;
  klonos_synth_config_default(&sc);
  sc.scenario = scenario;
  sc.seed = seed;
  sc.duration_s = duration_s;
  sc.rate_hz = rate_hz;
  sc.severity = 0.5;
  sc.rotation = KLONOS_SYNTH_ROTATION_NONE;
  klonos_synth *s = NULL;
  if (klonos_synth_open(&s, &sc, NULL)) { fprintf(stderr, "synth: %s\n", klonos_synth_error(s)); exit(1); }
  klonos_analyzer_config ac;
  klonos_analyzer_config_default(&ac);
  ac.nonwear_window_s = nonwear_window_s;
  snprintf(ac.axes, sizeof ac.axes, "V,AP,ML"); /* the synthetic mounting with no rotation */
  klonos_analyzer *a = NULL;
  if (klonos_analyzer_open(&a, rate_hz, 3, &ac)) { fprintf(stderr, "analyzer: %s\n", klonos_analyzer_error(a)); exit(1); }
  size_t cap = 256, nb = 0;
  truth_bout *tb = malloc(cap * sizeof *tb);
  float *buf = malloc(sizeof(float) * 3 * 8192);
  size_t got;
  while (klonos_synth_render(s, buf, 8192, &got) == KLONOS_OK && got) {
    klonos_analyzer_push_f32(a, buf, got);
    size_t nt;
    klonos_synth_truth_count(s, &nt);
    for (size_t i = 0; i < nt; i++) {
      klonos_synth_truth t;
      klonos_synth_truth_get(s, i, &t);
      if (t.kind != KLONOS_SYNTH_TRUTH_BOUT) continue;
      if (nb == cap) tb = realloc(tb, (cap *= 2) * sizeof *tb);
      tb[nb++] = (truth_bout){t.start_s, t.end_s, map_truth(t.state)};
    }
  }
  klonos_analyzer_finish(a);
  double dur;
  klonos_analyzer_duration_s(a, &dur);
  for (double t = 1.0; t < dur - 1.0; t += 2.0) {
    int truth = state_at(tb, nb, t), got_state = analysed_state_at(a, t);
    if (truth >= 0 && got_state >= 0) conf[truth][got_state]++;
  }
  free(buf);
  free(tb);
  klonos_analyzer_close(&a);
  klonos_synth_close(&s);
}

static void print_conf(const char *title, int conf[NS][NS]) {
  int right = 0, all = 0;
  printf("\n%s\n%-14s", title, "truth \\ got");
  for (int p = 0; p < NS; p++) printf("%14s", klonos_state_name(p));
  printf("\n");
  for (int t = 0; t < NS; t++) {
    int row = 0;
    for (int p = 0; p < NS; p++) row += conf[t][p];
    if (!row) continue;
    printf("%-14s", klonos_state_name(t));
    for (int p = 0; p < NS; p++) printf("%14d", conf[t][p]);
    printf("\n");
    right += conf[t][t];
    all += row;
  }
  printf("accuracy: %d / %d epochs = %.1f %%\n", right, all, all ? 100.0 * right / all : 0.0);
}

/* ---- real recordings ---- */

static klonos_analyzer *analyse_file(const char *path, double rate) {
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.rate_hz = rate;
  klonos_reader *r = NULL;
  if (klonos_reader_open(&r, path, &o)) { fprintf(stderr, "%s\n", klonos_reader_error(r)); klonos_reader_close(&r); return NULL; }
  klonos_recording_info in;
  klonos_reader_info(r, &in);
  klonos_analyzer_config ac;
  klonos_analyzer_config_default(&ac);
  klonos_analyzer *a = NULL;
  klonos_analyzer_open(&a, in.sample_rate_hz, in.channel_count, &ac);
  float buf[6 * 4096];
  size_t got;
  while (klonos_reader_read_f32(r, buf, 4096, &got) == KLONOS_OK && got) klonos_analyzer_push_f32(a, buf, got);
  klonos_analyzer_finish(a);
  klonos_reader_close(&r);
  return a;
}

/* Epochs fully inside [w0, w1) should be walking; epochs fully before
 * standing_end should be upright still. */
static void score_real(const char *label, klonos_analyzer *a, const double *w0, const double *w1, int nw,
                       double standing_end, int *right, int *all) {
  double dur;
  klonos_analyzer_duration_s(a, &dur);
  int r = 0, n = 0;
  for (double t0 = 0; t0 + 2.0 <= dur; t0 += 2.0) {
    int truth = -1;
    for (int k = 0; k < nw; k++)
      if (t0 >= w0[k] && t0 + 2.0 <= w1[k]) truth = KLONOS_STATE_WALKING;
    if (truth < 0 && t0 + 2.0 <= standing_end) truth = KLONOS_STATE_UPRIGHT_STILL;
    if (truth < 0) continue;
    n++;
    r += analysed_state_at(a, t0 + 1.0) == truth;
  }
  printf("%-44s %3d / %3d epochs agree\n", label, r, n);
  *right += r;
  *all += n;
}

static void real_ipol(const char *dir, int *right, int *all) {
  static const struct { const char *name; double walk0, walk1, turn0, turn1; } trials[] = {
      {"1-1", 459, 2464, 1316, 1474}, {"5-2", 570, 2494, 1445, 1600}};
  for (int i = 0; i < 2; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/ipol-lowerback-feet-gait/%s_lb.txt", dir, trials[i].name);
    klonos_analyzer *a = analyse_file(path, 0);
    if (!a) continue;
    /* walking: from the first step to the U-turn and after it (100 Hz samples) */
    double w0[2] = {trials[i].walk0 / 100.0, trials[i].turn1 / 100.0};
    double w1[2] = {trials[i].turn0 / 100.0, trials[i].walk1 / 100.0};
    char label[64];
    snprintf(label, sizeof label, "ipol %s (walk vs initial standing)", trials[i].name);
    score_real(label, a, w0, w1, 2, trials[i].walk0 / 100.0, right, all);
    klonos_analyzer_close(&a);
  }
}

static void real_mobilised(const char *dir, int *right, int *all) {
  char ref[1024];
  snprintf(ref, sizeof ref, "%s/mobilised-lowerback/reference_initial_contacts.csv", dir);
  FILE *f = fopen(ref, "r");
  if (!f) return;
  char line[512];
  struct { char key[64]; double w0[64], w1[64]; int n; } tests[16];
  int nt = 0;
  if (!fgets(line, sizeof line, f)) { fclose(f); return; }
  while (fgets(line, sizeof line, f)) {
    char cohort[8], part[8], test[16], trial[16], sys[16];
    int idx;
    double ws, we;
    if (sscanf(line, "%7[^,],%7[^,],%15[^,],%15[^,],%15[^,],%d,%lf,%lf", cohort, part, test, trial, sys, &idx, &ws, &we) != 8) continue;
    char key[64];
    snprintf(key, sizeof key, "%s%s/TimeMeasure1_%s_%s", cohort, part, test, trial);
    int k;
    for (k = 0; k < nt && strcmp(tests[k].key, key); k++) {}
    if (k == nt) { if (nt == 16) continue; memset(&tests[nt], 0, sizeof tests[nt]); snprintf(tests[nt].key, 64, "%s", key); nt++; }
    int m = tests[k].n;
    if (m && tests[k].w0[m - 1] == ws) continue; /* one row per initial contact */
    if (m < 64) { tests[k].w0[m] = ws; tests[k].w1[m] = we; tests[k].n++; }
  }
  fclose(f);
  for (int k = 0; k < nt; k++) {
    char path[4096];
    snprintf(path, sizeof path, "%.3900s/mobilised-lowerback/%.60s.csv", dir, tests[k].key);
    klonos_analyzer *a = analyse_file(path, 100.0);
    if (!a) continue;
    char label[96];
    snprintf(label, sizeof label, "mobilised %.60s (walking bouts)", tests[k].key);
    score_real(label, a, tests[k].w0, tests[k].w1, tests[k].n, 0, right, all);
    klonos_analyzer_close(&a);
  }
}

int main(int argc, char **argv) {
  int conf[NS][NS];
  const double windows[2] = {3600, 600};
  for (int w = 0; w < 2; w++) {
    memset(conf, 0, sizeof conf);
    for (uint64_t seed = 1; seed <= 3; seed++) run_synth(KLONOS_SYNTH_DAILY, seed, 4 * 3600, 100, windows[w], conf);
    run_synth(KLONOS_SYNTH_WALKING, 4, 1800, 100, windows[w], conf);
    run_synth(KLONOS_SYNTH_NONWEAR, 5, 2 * 3600, 100, windows[w], conf);
    char title[160];
    snprintf(title, sizeof title, "synthetic (3 x 4 h daily, 30 min walking, 2 h non-wear; 100 Hz), non-wear window %.0f s", windows[w]);
    print_conf(title, conf);
  }
  for (int k = 0; k < 2; k++) {
    double rate = k ? 200 : 50;
    memset(conf, 0, sizeof conf);
    run_synth(KLONOS_SYNTH_DAILY, 1, 4 * 3600, rate, 600, conf);
    char title[96];
    snprintf(title, sizeof title, "synthetic 4 h daily (seed 1) at %.0f Hz, non-wear window 600 s", rate);
    print_conf(title, conf);
  }
  const char *dir = argc > 1 ? argv[1] : "../../shared/data/real";
  FILE *probe = NULL;
  char ref[1024];
  snprintf(ref, sizeof ref, "%s/README.md", dir);
  if (!(probe = fopen(ref, "r"))) {
    printf("\nreal recordings: %s absent, skipped\n", dir);
    return 0;
  }
  fclose(probe);
  printf("\nreal recordings (walking vs standing from reference annotations)\n");
  int right = 0, all = 0;
  real_ipol(dir, &right, &all);
  real_mobilised(dir, &right, &all);
  printf("total: %d / %d = %.1f %%\n", right, all, all ? 100.0 * right / all : 0.0);
  return 0;
}
