/* `klonos track list` (the subjects) and `klonos track export` (every stored
 * recording, with its full report in JSON). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "track_cmd.h"
#include "track_db.h"
#include "util/json_writer.h"

static const char list_usage[] =
    "Usage: klonos track list [--format text|csv|json] [--db PATH]\n"
    "The subjects in the database with their number of recordings and the\n"
    "first and last recording dates.\n";

static const char export_usage[] =
    "Usage: klonos track export [--subject ID] [--format csv|json] [--db PATH]\n"
    "Every stored recording (of one subject with --subject) in time order.\n"
    "  csv   one row per recording: dates, scores, provenance, parameters (default)\n"
    "  json  one object per line, with the stored analysis report\n"
    "        (docs/report.md) and the analysis parameters\n";

enum { FMT_TEXT, FMT_CSV, FMT_JSON };

/* Shared options; returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, const char *cmd, const char *usage, int allow_subject, int allow_text,
                 const char **db_path, const char **subject, int *format) {
  char err[256];
  for (int i = 1; i < argc; i++) {
    int used_next = 0, missing = 0;
    const char *v;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return kl_finish_stdout(KL_EXIT_OK);
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--db", &used_next, &missing)) || missing) {
      if (!v || !*v) { fprintf(stderr, "klonos track %s: --db needs a path\n", cmd); return KL_EXIT_USAGE; }
      *db_path = v;
    } else if ((v = kl_cli_flag_value(argc, argv, i, "--format", &used_next, &missing)) || missing) {
      if (v && allow_text && strcmp(v, "text") == 0) *format = FMT_TEXT;
      else if (v && strcmp(v, "csv") == 0) *format = FMT_CSV;
      else if (v && strcmp(v, "json") == 0) *format = FMT_JSON;
      else {
        fprintf(stderr, "klonos track %s: --format needs %s\n", cmd, allow_text ? "text, csv or json" : "csv or json");
        return KL_EXIT_USAGE;
      }
    } else if (allow_subject && ((v = kl_cli_flag_value(argc, argv, i, "--subject", &used_next, &missing)) || missing)) {
      if (!v || kl_track_check_subject(v, err, sizeof err) != 0) {
        fprintf(stderr, "klonos track %s: %s\n", cmd, v ? err : "--subject needs an ID");
        return KL_EXIT_USAGE;
      }
      *subject = v;
    } else {
      fprintf(stderr, "klonos track %s: unknown option or argument '%s' (see klonos track %s --help)\n", cmd, argv[i], cmd);
      return KL_EXIT_USAGE;
    }
    i += used_next;
  }
  return -1;
}

int kl_track_list(int argc, char **argv) {
  const char *db_path = KL_TRACK_DEFAULT_DB, *unused = NULL;
  int format = FMT_TEXT;
  int rc = parse(argc, argv, "list", list_usage, 0, 1, &db_path, &unused, &format);
  if (rc >= 0) return rc;
  char err[1024];
  kl_track_db *db = NULL;
  if (kl_track_db_open(&db, db_path, 0, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track list: %s\n", err);
    return KL_EXIT_FILE_FAILED;
  }
  kl_track_subject *v = NULL;
  size_t n = 0;
  rc = kl_track_db_subjects(db, &v, &n, err, sizeof err);
  kl_track_db_close(&db);
  if (rc != 0) {
    fprintf(stderr, "klonos track list: %s\n", err);
    return KL_EXIT_FILE_FAILED;
  }
  if (format == FMT_JSON) {
    kl_json j;
    kl_json_init(&j);
    kl_json_begin_array(&j, NULL);
    for (size_t i = 0; i < n; i++) {
      kl_json_begin_object(&j, NULL);
      kl_json_string(&j, "subject", v[i].name);
      kl_json_int(&j, "recordings", v[i].recordings);
      kl_json_string(&j, "first", v[i].recordings ? v[i].first : NULL);
      kl_json_string(&j, "last", v[i].recordings ? v[i].last : NULL);
      kl_json_end_object(&j);
    }
    kl_json_end_array(&j);
    kl_cli_print_json(&j);
  } else if (format == FMT_CSV) {
    printf("subject,recordings,first,last\n");
    for (size_t i = 0; i < n; i++) {
      kl_csv_cell(v[i].name);
      printf(",%lld,%s,%s\n", (long long)v[i].recordings, v[i].first, v[i].last);
    }
  } else if (!n) {
    printf("No subjects in %s yet (klonos track add --subject ID FILE... adds recordings).\n", db_path);
  } else {
    printf("%-24s %10s  %-19s  %s\n", "subject", "recordings", "first", "last");
    for (size_t i = 0; i < n; i++)
      printf("%-24s %10lld  %-19s  %s\n", v[i].name, (long long)v[i].recordings, v[i].first, v[i].last);
  }
  free(v);
  return kl_finish_stdout(KL_EXIT_OK);
}

static void csv_number(double v) {
  if (isfinite(v)) printf(",%.6g", v);
  else printf(",");
}

typedef struct export_ctx {
  int format;
} export_ctx;

static int export_row(void *ctx, const kl_track_row *row) {
  const export_ctx *x = ctx;
  kl_track_row r = *row; /* ours to free */
  if (x->format == FMT_JSON) {
    kl_json j;
    kl_json_init(&j);
    kl_json_begin_object(&j, NULL);
    kl_json_string(&j, "subject", r.subject);
    kl_json_int(&j, "id", r.id);
    kl_json_string(&j, "recorded_at", r.recorded_at);
    kl_json_string(&j, "date_source", r.date_source);
    kl_json_string(&j, "file", r.file_path);
    kl_json_int(&j, "file_size_bytes", r.file_size_bytes);
    kl_json_string(&j, "content_sha256", r.content_sha256);
    kl_json_string(&j, "klonos_version", r.klonos_version);
    kl_json_string(&j, "added_at", r.added_at);
    kl_json_raw(&j, "parameters", r.params_json);
    kl_json_raw(&j, "report", r.report_json);
    kl_json_end_object(&j);
    kl_cli_print_json(&j);
  } else {
    kl_csv_cell(r.subject);
    printf(",%lld,%s,%s", (long long)r.id, r.recorded_at, r.date_source);
    csv_number(r.duration_s);
    csv_number(r.wear_s);
    for (int k = 0; k < KL_SCORE_COUNT; k++) csv_number(r.score[k]);
    csv_number(r.events_per_min);
    csv_number(r.amp_median_mps2);
    printf(",%s,%s,%lld,", r.klonos_version, r.content_sha256, (long long)r.file_size_bytes);
    kl_csv_cell(r.file_path);
    printf(",%s,", r.added_at);
    kl_csv_cell(r.params_json);
    printf("\n");
  }
  kl_track_rows_free_strings(&r);
  return 0;
}

int kl_track_export(int argc, char **argv) {
  const char *db_path = KL_TRACK_DEFAULT_DB, *subject = NULL;
  int format = FMT_CSV;
  int rc = parse(argc, argv, "export", export_usage, 1, 0, &db_path, &subject, &format);
  if (rc >= 0) return rc;
  char err[1024];
  kl_track_db *db = NULL;
  if (kl_track_db_open(&db, db_path, 0, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track export: %s\n", err);
    return KL_EXIT_FILE_FAILED;
  }
  if (format == FMT_CSV)
    printf("subject,id,recorded_at,date_source,duration_s,wear_s,motor,myoclonus,stance,gait,events_per_min,"
           "amp_median_mps2,klonos_version,content_sha256,file_size_bytes,file,added_at,parameters\n");
  export_ctx x = {format};
  rc = kl_track_db_each(db, subject, format == FMT_JSON, export_row, &x, err, sizeof err);
  kl_track_db_close(&db);
  if (rc != 0) {
    fprintf(stderr, "klonos track export: %s\n", err);
    return kl_finish_stdout(KL_EXIT_FILE_FAILED);
  }
  return kl_finish_stdout(KL_EXIT_OK);
}
