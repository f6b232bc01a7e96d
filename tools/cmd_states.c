/* `klonos states FILE...`: the activity-state bouts of each recording
 * (lying, upright still, walking, other, non-wear, missing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "util/json_writer.h"
#include "pipeline.h"

static const char usage[] =
    "Usage: klonos states [OPTIONS] FILE...\n"
    "List activity-state bouts (start_s, end_s, state) and time per state.\n\n"
    "  --format text|csv|json  output format (default text; json = one object per file)\n"
    "  -h, --help              this help\n\n";

static void print_calibration(const kl_pipeline_result *res, FILE *out) {
  if (res->calibration_status == 1) return;
  if (res->calibration_status == KLONOS_OK)
    fprintf(out, "  calibration   offset %+.4f %+.4f %+.4f g, scale %.4f %.4f %.4f; error %.1f -> %.1f mg (%lld still windows)\n",
            res->calibration.offset_g[0], res->calibration.offset_g[1], res->calibration.offset_g[2],
            res->calibration.scale[0], res->calibration.scale[1], res->calibration.scale[2],
            res->calibration.error_before_mg, res->calibration.error_after_mg, (long long)res->calibration.still_windows);
  else
    fprintf(out, "  calibration   not applied: %s\n", res->calibration.why);
}

static void output(const char *path, const char *fmt, const kl_pipeline_result *res) {
  klonos_analyzer *a = res->analyzer;
  size_t n = 0;
  klonos_analyzer_bout_count(a, &n);
  if (strcmp(fmt, "csv") == 0) {
    for (size_t i = 0; i < n; i++) {
      klonos_bout b;
      klonos_analyzer_bout_get(a, i, &b);
      printf("%s,%.3f,%.3f,%s,%.1f\n", path, b.start_s, b.end_s, klonos_state_name(b.state), b.mean_cadence_spm);
    }
    return;
  }
  if (strcmp(fmt, "json") == 0) {
    kl_json j;
    kl_json_init(&j);
    kl_json_begin_object(&j, NULL);
    kl_json_string(&j, "file", path);
    kl_json_bool(&j, "ok", 1);
    double dur;
    klonos_analyzer_duration_s(a, &dur);
    kl_json_number(&j, "duration_s", dur);
    kl_json_begin_object(&j, "state_seconds");
    for (int s = 0; s < KLONOS_STATE_COUNT; s++) {
      double v;
      klonos_analyzer_state_seconds(a, s, &v);
      kl_json_number(&j, klonos_state_name(s), v);
    }
    kl_json_end_object(&j);
    kl_json_begin_array(&j, "bouts");
    for (size_t i = 0; i < n; i++) {
      klonos_bout b;
      klonos_analyzer_bout_get(a, i, &b);
      kl_json_begin_object(&j, NULL);
      kl_json_number(&j, "start_s", b.start_s);
      kl_json_number(&j, "end_s", b.end_s);
      kl_json_string(&j, "state", klonos_state_name(b.state));
      if (b.state == KLONOS_STATE_WALKING) kl_json_number(&j, "cadence_spm", b.mean_cadence_spm);
      kl_json_end_object(&j);
    }
    kl_json_end_array(&j);
    kl_json_end_object(&j);
    kl_cli_print_json(&j);
    return;
  }
  printf("%s\n", path);
  print_calibration(res, stdout);
  for (int s = 0; s < KLONOS_STATE_COUNT; s++) {
    double v;
    klonos_analyzer_state_seconds(a, s, &v);
    printf("  %-14s %10.1f s\n", klonos_state_name(s), v);
  }
  printf("  bouts         %zu\n", n);
  for (size_t i = 0; i < n; i++) {
    klonos_bout b;
    klonos_analyzer_bout_get(a, i, &b);
    printf("  %10.1f %10.1f  %s", b.start_s, b.end_s, klonos_state_name(b.state));
    if (b.state == KLONOS_STATE_WALKING) printf(" (%.0f steps/min)", b.mean_cadence_spm);
    printf("\n");
  }
}

int kl_cmd_states(int argc, char **argv) {
  kl_pipeline_options opt;
  kl_pipeline_options_default(&opt);
  const char *fmt = "text";
  char **files = calloc((size_t)argc, sizeof *files);
  int nfiles = 0, only_files = 0;
  if (!files) return KL_EXIT_FILE_FAILED;
  for (int i = 1; i < argc; i++) {
    char err[256];
    int used_next, missing;
    if (!only_files && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
      fputs(usage, stdout);
      fputs(kl_pipeline_options_help, stdout);
      fputs(kl_cli_reader_options_help, stdout);
      free(files);
      return kl_finish_stdout(KL_EXIT_OK);
    }
    if (!only_files && strcmp(argv[i], "--") == 0) { only_files = 1; continue; }
    const char *v = only_files ? NULL : kl_cli_flag_value(argc, argv, i, "--format", &used_next, &missing);
    if (v || missing) {
      if (!v || (strcmp(v, "text") && strcmp(v, "csv") && strcmp(v, "json"))) {
        fprintf(stderr, "klonos states: --format needs text, csv or json\n");
        free(files);
        return KL_EXIT_USAGE;
      }
      fmt = v;
      i += used_next;
      continue;
    }
    if (!only_files && argv[i][0] == '-' && argv[i][1]) {
      int t = kl_pipeline_option(argc, argv, i, &opt, err, sizeof err);
      if (t == KL_ARG_ERROR || t == KL_ARG_NOT_MINE) {
        fprintf(stderr, "klonos states: %s\n", t == KL_ARG_ERROR ? err : "unknown option (see klonos states --help)");
        free(files);
        return KL_EXIT_USAGE;
      }
      if (t == KL_ARG_TAKEN_WITH_VALUE) i++;
      continue;
    }
    files[nfiles++] = argv[i];
  }
  if (!nfiles) {
    fprintf(stderr, "klonos states: no FILE given (see klonos states --help)\n");
    free(files);
    return KL_EXIT_USAGE;
  }
  if (strcmp(fmt, "csv") == 0) printf("file,start_s,end_s,state,cadence_spm\n");
  int status = KL_EXIT_OK;
  for (int f = 0; f < nfiles; f++) {
    kl_pipeline_result res;
    char err[512];
    int rc = kl_pipeline_run(files[f], &opt, &res, err, sizeof err);
    if (rc) {
      fprintf(stderr, "klonos states: %s\n", err);
      status = KL_EXIT_FILE_FAILED;
      continue;
    }
    output(files[f], fmt, &res);
    klonos_analyzer_close(&res.analyzer);
    fflush(stdout);
  }
  free(files);
  return kl_finish_stdout(status);
}
