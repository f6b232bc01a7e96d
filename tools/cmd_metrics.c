/* `klonos events`, `klonos sway`, `klonos gait`: one analysis, one part of
 * it printed per bout/event as a table, CSV or JSON. The JSON is the
 * library's canonical report with the matching optional arrays (events, or
 * per-bout metrics), so names never differ from `klonos analyze`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "pipeline.h"
#include "util/metric_fields.h"

enum { PART_EVENTS, PART_SWAY, PART_GAIT };
enum { FMT_TABLE, FMT_CSV, FMT_JSON };

static const char *const part_names[] = {"events", "sway", "gait"};
static const char *const part_usage[] = {
    "Usage: klonos events [OPTIONS] FILE...\n"
    "One row per myoclonic jerk: onset_s,offset_s,peak_acc_mps2,peak_jerk_mps3,direction\n"
    "(AP, ML, V unit vector), state, confidence, cluster; tremor episodes are listed\n"
    "separately (docs/myoclonus.md).\n\n",
    "Usage: klonos sway [OPTIONS] FILE...\n"
    "Truncal sway per quiet-upright bout of at least 10 s, and the recording's\n"
    "duration-weighted summary (docs/sway.md).\n\n",
    "Usage: klonos gait [OPTIONS] FILE...\n"
    "Gait per walking bout of at least 6 steps and 5 s, and the recording's\n"
    "step-weighted summary (docs/gait.md).\n\n"};

static void print_value(double v, int is_int, const char *sep) {
  if (!isfinite(v)) printf("%s", sep[0] == ',' ? "" : "n/a");
  else if (is_int) printf("%.0f", v);
  else printf("%.6g", v);
}

static void print_events(const char *path, klonos_analyzer *a, int fmt, int first_file) {
  size_t n = 0, nt = 0;
  klonos_analyzer_event_count(a, &n);
  klonos_analyzer_tremor_count(a, &nt);
  if (fmt == FMT_TABLE) printf("%s%s: %zu jerks, %zu tremor episodes\n", first_file ? "" : "\n", path, n, nt);
  for (size_t i = 0; i < n; i++) {
    klonos_jerk_event e;
    klonos_analyzer_event_get(a, i, &e);
    if (fmt == FMT_CSV)
      printf("%.3f,%.3f,%.4g,%.4g,%.3f,%.3f,%.3f,%s,%.3f,%lld,%s\n", e.onset_s, e.offset_s, e.peak_acc_mps2,
             e.peak_jerk_mps3, e.direction[0], e.direction[1], e.direction[2], klonos_state_name(e.state),
             e.confidence, (long long)e.cluster_id, path);
    else
      printf("  %9.3f s  %6.3f s  peak %6.2f m/s^2  jerk %7.1f m/s^3  %-13s conf %.2f%s\n", e.onset_s,
             e.offset_s - e.onset_s, e.peak_acc_mps2, e.peak_jerk_mps3, klonos_state_name(e.state), e.confidence,
             e.cluster_id >= 0 ? "  (cluster)" : "");
  }
  if (fmt == FMT_TABLE)
    for (size_t i = 0; i < nt; i++) {
      klonos_tremor_episode t;
      klonos_analyzer_tremor_get(a, i, &t);
      printf("  tremor %8.1f-%.1f s  %.1f Hz  %.2f m/s^2\n", t.start_s, t.end_s, t.freq_hz, t.amp_mps2);
    }
}

static void print_metric_rows(const char *path, klonos_analyzer *a, int part, int fmt, int first_file) {
  const kl_metric_field *f = part == PART_SWAY ? kl_sway_fields : kl_gait_fields;
  size_t nf = part == PART_SWAY ? kl_sway_field_count : kl_gait_field_count;
  size_t n = 0;
  if (part == PART_SWAY) klonos_analyzer_sway_count(a, &n);
  else klonos_analyzer_gait_count(a, &n);
  union { klonos_sway_metrics s; klonos_gait_metrics g; } m, sum;
  int have_sum = part == PART_SWAY ? klonos_analyzer_sway_summary(a, &sum.s) == KLONOS_OK
                                   : klonos_analyzer_gait_summary(a, &sum.g) == KLONOS_OK;
  if (fmt == FMT_TABLE) {
    printf("%s%s: %zu %s bout%s\n", first_file ? "" : "\n", path, n, part_names[part], n == 1 ? "" : "s");
    if (!n) {
      printf("  %s\n", part == PART_SWAY ? "no quiet upright bout of 10 s or more" : "no walking bout of at least 6 steps and 5 s");
      return;
    }
    printf("  %-30s", "bout");
    for (size_t i = 0; i < n; i++) {
      if (part == PART_SWAY) klonos_analyzer_sway_get(a, i, &m.s);
      else klonos_analyzer_gait_get(a, i, &m.g);
      double t0 = part == PART_SWAY ? m.s.start_s : m.g.start_s;
      printf(" %8.0f s", t0);
    }
    printf("   summary\n");
    for (size_t k = 0; k < nf; k++) {
      printf("  %-30s", f[k].name);
      for (size_t i = 0; i < n; i++) {
        if (part == PART_SWAY) klonos_analyzer_sway_get(a, i, &m.s);
        else klonos_analyzer_gait_get(a, i, &m.g);
        printf(" %10.4g", kl_metric_value(&m, &f[k]));
      }
      printf("   %.4g\n", have_sum ? kl_metric_value(&sum, &f[k]) : NAN);
    }
    return;
  }
  for (size_t i = 0; i <= n; i++) {
    int summary = i == n;
    if (summary && !have_sum) break;
    if (summary) m = sum;
    else if (part == PART_SWAY) klonos_analyzer_sway_get(a, i, &m.s);
    else klonos_analyzer_gait_get(a, i, &m.g);
    double t0 = part == PART_SWAY ? m.s.start_s : m.g.start_s, t1 = part == PART_SWAY ? m.s.end_s : m.g.end_s;
    printf("%s,%s,%.3f,%.3f", path, summary ? "summary" : "bout", t0, t1);
    for (size_t k = 0; k < nf; k++) {
      printf(",");
      print_value(kl_metric_value(&m, &f[k]), f[k].is_int, ",");
    }
    printf("\n");
  }
}

static int print_json(const char *path, const kl_pipeline_result *r, int part) {
  int rc;
  char *buf = kl_pipeline_report(path, r, part == PART_EVENTS ? KLONOS_REPORT_EVENTS : KLONOS_REPORT_BOUTS, 60, &rc);
  if (buf) printf("%s\n", buf);
  free(buf);
  return rc;
}

static int run(int part, int argc, char **argv) {
  kl_pipeline_options opt;
  kl_pipeline_options_default(&opt);
  /* Other tools parse the event list: CSV by default there. */
  int fmt = part == PART_EVENTS ? FMT_CSV : FMT_TABLE;
  char **files = calloc((size_t)argc, sizeof *files);
  int nfiles = 0, only_files = 0;
  if (!files) return KL_EXIT_FILE_FAILED;
  for (int i = 1; i < argc; i++) {
    char err[256];
    int used_next = 0, missing = 0;
    const char *v;
    if (only_files || argv[i][0] != '-' || !argv[i][1]) { files[nfiles++] = argv[i]; continue; }
    if (strcmp(argv[i], "--") == 0) { only_files = 1; continue; }
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(part_usage[part], stdout);
      printf("  --format %s   output (default %s)\n  -h, --help              this help\n\n",
             part == PART_EVENTS ? "csv|json|table" : "table|csv|json", part == PART_EVENTS ? "csv" : "table");
      fputs(kl_pipeline_options_help, stdout);
      fputs(kl_cli_reader_options_help, stdout);
      free(files);
      return kl_finish_stdout(KL_EXIT_OK);
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--format", &used_next, &missing)) || missing) {
      if (v && strcmp(v, "table") == 0) fmt = FMT_TABLE;
      else if (v && strcmp(v, "csv") == 0) fmt = FMT_CSV;
      else if (v && strcmp(v, "json") == 0) fmt = FMT_JSON;
      else { fprintf(stderr, "klonos %s: --format needs table, csv or json\n", part_names[part]); free(files); return KL_EXIT_USAGE; }
      i += used_next;
      continue;
    }
    int t = kl_pipeline_option(argc, argv, i, &opt, err, sizeof err);
    if (t == KL_ARG_ERROR || t == KL_ARG_NOT_MINE) {
      fprintf(stderr, "klonos %s: %s\n", part_names[part], t == KL_ARG_ERROR ? err : "unknown option (see --help)");
      free(files);
      return KL_EXIT_USAGE;
    }
    if (t == KL_ARG_TAKEN_WITH_VALUE) i++;
  }
  if (!nfiles) {
    fprintf(stderr, "klonos %s: no FILE given (see klonos %s --help)\n", part_names[part], part_names[part]);
    free(files);
    return KL_EXIT_USAGE;
  }
  if (fmt == FMT_CSV) {
    if (part == PART_EVENTS) {
      printf("onset_s,offset_s,peak_acc_mps2,peak_jerk_mps3,direction_ap,direction_ml,direction_v,state,confidence,cluster,file\n");
    } else {
      const kl_metric_field *f = part == PART_SWAY ? kl_sway_fields : kl_gait_fields;
      size_t nf = part == PART_SWAY ? kl_sway_field_count : kl_gait_field_count;
      printf("file,row,start_s,end_s");
      for (size_t k = 0; k < nf; k++) printf(",%s", f[k].name);
      printf("\n");
    }
  }
  int status = KL_EXIT_OK;
  for (int fi = 0; fi < nfiles; fi++) {
    kl_pipeline_result r;
    char err[512];
    if (kl_pipeline_run(files[fi], &opt, &r, err, sizeof err)) {
      fprintf(stderr, "klonos %s: %s\n", part_names[part], err);
      status = KL_EXIT_FILE_FAILED;
      continue;
    }
    if (fmt == FMT_JSON) {
      if (print_json(files[fi], &r, part)) status = KL_EXIT_FILE_FAILED;
    } else if (part == PART_EVENTS) {
      print_events(files[fi], r.analyzer, fmt, fi == 0);
    } else {
      print_metric_rows(files[fi], r.analyzer, part, fmt, fi == 0);
    }
    klonos_analyzer_close(&r.analyzer);
    fflush(stdout);
  }
  free(files);
  return kl_finish_stdout(status);
}

int kl_cmd_events(int argc, char **argv) { return run(PART_EVENTS, argc, argv); }
int kl_cmd_sway(int argc, char **argv) { return run(PART_SWAY, argc, argv); }
int kl_cmd_gait(int argc, char **argv) { return run(PART_GAIT, argc, argv); }
