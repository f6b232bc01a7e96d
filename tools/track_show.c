/* `klonos track show` and `klonos track plot`: one subject's series (baseline,
 * change against the MDC95, trend) as a table, CSV, JSON or a picture. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "plot.h"
#include "plot_canvas.h"
#include "track_cmd.h"
#include "track_series.h"
#include "track_time.h"
#include "util/json_writer.h"

static const char show_usage[] =
    "Usage: klonos track show --subject ID [OPTIONS]\n"
    "One row per recording in time order: scores, change from the baseline\n"
    "(* where it exceeds the score's MDC95), and each score's trend per week\n"
    "(Theil-Sen slope with its 95% confidence interval) from the baseline on.\n\n"
    "  --subject ID             the subject\n"
    "  --baseline DATE          baseline = first recording at or after DATE\n"
    "                           (default: the first recording)\n"
    "  --format text|csv|json   output (default text)\n"
    "  --mdc SCORE=POINTS       override an MDC95 (repeatable, or comma-separated;\n"
    "                           also from the environment: KLONOS_MDC=motor=8,gait=12)\n"
    "  --db PATH                the database (default ./" KL_TRACK_DEFAULT_DB ")\n"
    "  -h, --help               this help\n";

static const char plot_usage[] =
    "Usage: klonos track plot --subject ID -o FILE.png|svg|pdf [OPTIONS]\n"
    "Draw the subject's scores over time: one panel per score with the baseline,\n"
    "the MDC95 band around it, the trend, and treatment events.\n\n"
    "  --subject ID             the subject\n"
    "  -o, --output FILE        .png, .svg or .pdf (written atomically)\n"
    "  --event DATE:LABEL       mark a treatment or event, e.g. 2026-03-01:IVIG\n"
    "                           (repeatable)\n"
    "  --baseline DATE          as for klonos track show\n"
    "  --mdc SCORE=POINTS       as for klonos track show\n"
    "  --db PATH                the database (default ./" KL_TRACK_DEFAULT_DB ")\n"
    "  -h, --help               this help\n";

enum { FMT_TEXT, FMT_CSV, FMT_JSON };

typedef struct series_opts {
  const char *cmd;
  const char *subject;
  const char *db_path;
  const char *output;
  double baseline_unix_s;
  int format;
  kl_track_mdc mdc;
  kl_plot_event *events;
  size_t nevents;
} series_opts;

/* "DATE:LABEL" where DATE may hold colons itself (2026-03-01T10:30:IVIG):
 * the longest prefix that is a date wins. */
static int parse_event(const char *text, kl_plot_event *ev, char *err, size_t errlen) {
  char date[64];
  int found = 0;
  for (const char *c = strchr(text, ':'); c; c = strchr(c + 1, ':')) {
    size_t n = (size_t)(c - text);
    if (n >= sizeof date || !c[1]) continue;
    memcpy(date, text, n);
    date[n] = 0;
    char e2[160];
    double t;
    if (kl_time_parse(date, &t, e2, sizeof e2) == 0) {
      ev->unix_s = t;
      snprintf(ev->label, sizeof ev->label, "%s", c + 1);
      found = 1;
    }
  }
  if (!found) snprintf(err, errlen, "--event: '%s' is not DATE:LABEL (e.g. 2026-03-01:IVIG)", text);
  return found ? 0 : -1;
}

/* Options of show and plot; returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, series_opts *o, int is_plot) {
  char err[512];
  for (int i = 1; i < argc; i++) {
    int used_next = 0, missing = 0;
    const char *v;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(is_plot ? plot_usage : show_usage, stdout);
      return kl_finish_stdout(KL_EXIT_OK);
    }
#define VALUE(flag) ((v = kl_cli_flag_value(argc, argv, i, flag, &used_next, &missing)) || missing)
    if (VALUE("--subject")) {
      if (!v || kl_track_check_subject(v, err, sizeof err) != 0) {
        fprintf(stderr, "klonos track %s: %s\n", o->cmd, v ? err : "--subject needs an ID");
        return KL_EXIT_USAGE;
      }
      o->subject = v;
    } else if (VALUE("--db")) {
      if (!v || !*v) { fprintf(stderr, "klonos track %s: --db needs a path\n", o->cmd); return KL_EXIT_USAGE; }
      o->db_path = v;
    } else if (VALUE("--baseline")) {
      if (!v || kl_time_parse(v, &o->baseline_unix_s, err, sizeof err) != 0) {
        fprintf(stderr, "klonos track %s: --baseline: %s\n", o->cmd, v ? err : "needs a date");
        return KL_EXIT_USAGE;
      }
    } else if (VALUE("--mdc")) {
      if (!v || kl_track_mdc_parse(&o->mdc, v, 2, err, sizeof err) != 0) {
        fprintf(stderr, "klonos track %s: %s\n", o->cmd, v ? err : "--mdc needs SCORE=POINTS");
        return KL_EXIT_USAGE;
      }
    } else if (!is_plot && VALUE("--format")) {
      if (v && strcmp(v, "text") == 0) o->format = FMT_TEXT;
      else if (v && strcmp(v, "csv") == 0) o->format = FMT_CSV;
      else if (v && strcmp(v, "json") == 0) o->format = FMT_JSON;
      else { fprintf(stderr, "klonos track show: --format needs text, csv or json\n"); return KL_EXIT_USAGE; }
    } else if (is_plot && (VALUE("--output") || VALUE("-o"))) {
      if (!v || !*v) { fprintf(stderr, "klonos track plot: -o needs a file name\n"); return KL_EXIT_USAGE; }
      o->output = v;
    } else if (is_plot && VALUE("--event")) {
      kl_plot_event ev;
      if (!v || parse_event(v, &ev, err, sizeof err) != 0) {
        fprintf(stderr, "klonos track plot: %s\n", v ? err : "--event needs DATE:LABEL");
        return KL_EXIT_USAGE;
      }
      kl_plot_event *p = realloc(o->events, (o->nevents + 1) * sizeof *p);
      if (!p) { fprintf(stderr, "klonos track plot: out of memory\n"); return KL_EXIT_FILE_FAILED; }
      o->events = p;
      o->events[o->nevents++] = ev;
    } else {
      fprintf(stderr, "klonos track %s: unknown option or argument '%s' (see klonos track %s --help)\n", o->cmd, argv[i],
              o->cmd);
      return KL_EXIT_USAGE;
    }
#undef VALUE
    i += used_next;
  }
  if (!o->subject) {
    fprintf(stderr, "klonos track %s: --subject ID is required (klonos track list shows the subjects)\n", o->cmd);
    return KL_EXIT_USAGE;
  }
  if (is_plot && !o->output) {
    fprintf(stderr, "klonos track plot: -o FILE.png|svg|pdf is required\n");
    return KL_EXIT_USAGE;
  }
  kl_plot_format f;
  if (is_plot && kl_plot_format_from_path(o->output, &f) != 0) {
    fprintf(stderr, "klonos track plot: %s: the plot file must end in .png, .svg or .pdf\n", o->output);
    return KL_EXIT_USAGE;
  }
  return -1;
}

/* Open the database and build the subject's series; exit status on failure, else -1. */
static int load(const series_opts *o, kl_track_series *s) {
  char err[1024];
  kl_track_db *db = NULL;
  memset(s, 0, sizeof *s);
  if (kl_track_db_open(&db, o->db_path, 0, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track %s: %s\n", o->cmd, err);
    return KL_EXIT_FILE_FAILED;
  }
  kl_track_row *rows = NULL;
  size_t n = 0;
  int rc = kl_track_db_rows(db, o->subject, 0, &rows, &n, err, sizeof err);
  kl_track_db_close(&db);
  if (rc != 0) {
    fprintf(stderr, "klonos track %s: %s\n", o->cmd, err);
    return KL_EXIT_FILE_FAILED;
  }
  if (!n) {
    fprintf(stderr, "klonos track %s: no recordings for subject %s in %s (klonos track list shows the subjects)\n",
            o->cmd, o->subject, o->db_path);
    kl_track_rows_free(rows, n);
    return KL_EXIT_FILE_FAILED;
  }
  if (kl_track_series_build(s, rows, n, o->baseline_unix_s, o->mdc.value, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track %s: subject %s: %s\n", o->cmd, o->subject, err);
    kl_track_series_free(s);
    return KL_EXIT_FILE_FAILED;
  }
  return -1;
}

static void cell_score(char *buf, size_t len, double v) {
  if (isfinite(v)) snprintf(buf, len, "%.0f", v);
  else snprintf(buf, len, "n/a");
}

static void fmt_wear(char *buf, size_t len, double s) {
  if (s >= 3600) snprintf(buf, len, "%.1f h", s / 3600);
  else snprintf(buf, len, "%.0f min", s / 60);
}

static void print_text(const series_opts *o, const kl_track_series *s) {
  char b[32], mdcs[256];
  const kl_track_row *base = &s->rows[s->baseline];
  printf("Subject %s: %zu recording%s; baseline #%lld, %s\n", o->subject, s->n, s->n == 1 ? "" : "s",
         (long long)base->id, base->recorded_at);
  kl_track_mdc_describe(&o->mdc, mdcs, sizeof mdcs);
  printf("MDC95 (score points): motor %g, myoclonus %g, stance %g, gait %g (%s)\n\n", s->mdc95[0], s->mdc95[1],
         s->mdc95[2], s->mdc95[3], mdcs);
  printf("%5s  %-16s %8s", "#", "recorded at", "worn");
  for (int k = 0; k < KL_SCORE_COUNT; k++) printf(k + 1 < KL_SCORE_COUNT ? "  %-16s" : "  %s", kl_score_names[k]);
  printf("\n");
  int any_flag = 0;
  size_t from_option = 0;
  for (size_t i = 0; i < s->n; i++) {
    const kl_track_row *r = &s->rows[i];
    char when[32];
    snprintf(when, sizeof when, "%s", r->recorded_at);
    when[10] = ' '; /* a space reads better than the T in a table */
    when[16] = 0;   /* minutes are enough to tell visits apart */
    from_option += r->date_source[0] == 'o';
    fmt_wear(b, sizeof b, r->wear_s);
    printf("%5lld  %-16s %8s", (long long)r->id, when, b);
    for (int k = 0; k < KL_SCORE_COUNT; k++) {
      char v[16], c[24];
      cell_score(v, sizeof v, r->score[k]);
      double ch = s->change[i * KL_SCORE_COUNT + k];
      int flag = s->beyond_mdc[i * KL_SCORE_COUNT + k];
      any_flag |= flag;
      if (i == s->baseline_row[k]) snprintf(c, sizeof c, "base");
      else if (isfinite(ch)) snprintf(c, sizeof c, "%+.1f%s", ch, flag ? "*" : "");
      else c[0] = 0;
      if (k + 1 < KL_SCORE_COUNT) printf("  %4s %-11s", v, c);
      else printf("  %4s%s%s", v, c[0] ? " " : "", c);
    }
    printf("\n");
  }
  if (from_option)
    printf("(Dates of %zu of the %zu recordings were given with --date: those files carry no start time.)\n",
           from_option, s->n);
  printf("\nTrend per week from the baseline on (Theil-Sen slope, 95%% CI):\n");
  for (int k = 0; k < KL_SCORE_COUNT; k++) {
    const kl_theil_sen *t = &s->trend[k];
    printf("  %-10s", kl_score_names[k]);
    if (!isfinite(t->slope)) {
      printf("n/a (%s)\n", t->n < 2 ? "fewer than 2 recordings with data" : "all on the same date");
      continue;
    }
    printf("%+.2f points/week", t->slope);
    if (isfinite(t->ci_low)) {
      printf(", CI %+.2f to %+.2f", t->ci_low, t->ci_high);
      if (t->ci_low > 0) printf(", worsening");
      else if (t->ci_high < 0) printf(", improving");
    } else {
      printf(", CI needs at least 5 recordings");
    }
    printf(" (%zu recordings)\n", t->n);
  }
  if (any_flag) printf("\n* change from the baseline larger than the score's MDC95 (positive = more severe).\n");
  if (s->mixed_params)
    printf("\nNote: these recordings were analysed with different parameters (klonos track export shows them);\n"
           "their scores may not be comparable.\n");
}

static void print_csv(const series_opts *o, const kl_track_series *s) {
  printf("subject,id,recorded_at,date_source,duration_s,wear_s");
  for (int k = 0; k < KL_SCORE_COUNT; k++) printf(",%s", kl_score_names[k]);
  for (int k = 0; k < KL_SCORE_COUNT; k++) printf(",%s_change", kl_score_names[k]);
  for (int k = 0; k < KL_SCORE_COUNT; k++) printf(",%s_beyond_mdc", kl_score_names[k]);
  printf(",baseline,file\n");
  for (size_t i = 0; i < s->n; i++) {
    const kl_track_row *r = &s->rows[i];
    kl_csv_cell(o->subject);
    printf(",%lld,%s,%s,%.3f,%.3f", (long long)r->id, r->recorded_at, r->date_source, r->duration_s, r->wear_s);
    for (int k = 0; k < KL_SCORE_COUNT; k++)
      if (isfinite(r->score[k])) printf(",%.2f", r->score[k]);
      else printf(",");
    for (int k = 0; k < KL_SCORE_COUNT; k++)
      if (isfinite(s->change[i * KL_SCORE_COUNT + k])) printf(",%.2f", s->change[i * KL_SCORE_COUNT + k]);
      else printf(",");
    for (int k = 0; k < KL_SCORE_COUNT; k++) printf(",%d", s->beyond_mdc[i * KL_SCORE_COUNT + k]);
    printf(",%d,", i == s->baseline);
    kl_csv_cell(r->file_path);
    printf("\n");
  }
}

static void print_json(const series_opts *o, const kl_track_series *s) {
  kl_json j;
  char mdcs[256];
  kl_json_init(&j);
  kl_json_begin_object(&j, NULL);
  kl_json_string(&j, "subject", o->subject);
  kl_json_begin_object(&j, "baseline");
  kl_json_int(&j, "id", s->rows[s->baseline].id);
  kl_json_string(&j, "recorded_at", s->rows[s->baseline].recorded_at);
  kl_json_begin_object(&j, "values");
  for (int k = 0; k < KL_SCORE_COUNT; k++) kl_json_number(&j, kl_score_names[k], s->baseline_value[k]);
  kl_json_end_object(&j);
  kl_json_end_object(&j);
  kl_json_begin_object(&j, "mdc95");
  for (int k = 0; k < KL_SCORE_COUNT; k++) kl_json_number(&j, kl_score_names[k], s->mdc95[k]);
  kl_json_end_object(&j);
  kl_track_mdc_describe(&o->mdc, mdcs, sizeof mdcs);
  kl_json_string(&j, "mdc95_source", mdcs);
  kl_json_bool(&j, "mixed_parameters", s->mixed_params);
  kl_json_begin_array(&j, "recordings");
  for (size_t i = 0; i < s->n; i++) {
    const kl_track_row *r = &s->rows[i];
    kl_json_begin_object(&j, NULL);
    kl_json_int(&j, "id", r->id);
    kl_json_string(&j, "recorded_at", r->recorded_at);
    kl_json_string(&j, "date_source", r->date_source);
    kl_json_number(&j, "duration_s", r->duration_s);
    kl_json_number(&j, "wear_s", r->wear_s);
    kl_json_string(&j, "file", r->file_path);
    kl_json_string(&j, "klonos_version", r->klonos_version);
    kl_json_bool(&j, "baseline", i == s->baseline);
    kl_json_begin_object(&j, "scores");
    for (int k = 0; k < KL_SCORE_COUNT; k++) kl_json_number(&j, kl_score_names[k], r->score[k]);
    kl_json_end_object(&j);
    kl_json_begin_object(&j, "change");
    for (int k = 0; k < KL_SCORE_COUNT; k++) kl_json_number(&j, kl_score_names[k], s->change[i * KL_SCORE_COUNT + k]);
    kl_json_end_object(&j);
    kl_json_begin_object(&j, "beyond_mdc");
    for (int k = 0; k < KL_SCORE_COUNT; k++) kl_json_bool(&j, kl_score_names[k], s->beyond_mdc[i * KL_SCORE_COUNT + k]);
    kl_json_end_object(&j);
    kl_json_end_object(&j);
  }
  kl_json_end_array(&j);
  kl_json_begin_object(&j, "trend");
  for (int k = 0; k < KL_SCORE_COUNT; k++) {
    const kl_theil_sen *t = &s->trend[k];
    kl_json_begin_object(&j, kl_score_names[k]);
    kl_json_number(&j, "slope_per_week", t->slope);
    kl_json_number(&j, "ci_low", t->ci_low);
    kl_json_number(&j, "ci_high", t->ci_high);
    kl_json_number(&j, "confidence", KL_TREND_CONFIDENCE);
    kl_json_string(&j, "ci_method", t->exact ? "exact Kendall" : "normal approximation");
    kl_json_int(&j, "n", (int64_t)t->n);
    kl_json_end_object(&j);
  }
  kl_json_end_object(&j);
  kl_json_end_object(&j);
  kl_cli_print_json(&j);
}

static int init_opts(series_opts *o, const char *cmd) {
  char err[512];
  memset(o, 0, sizeof *o);
  o->cmd = cmd;
  o->db_path = KL_TRACK_DEFAULT_DB;
  o->baseline_unix_s = NAN;
  if (kl_track_mdc_init(&o->mdc, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track %s: %s\n", cmd, err);
    return KL_EXIT_USAGE;
  }
  return -1;
}

int kl_track_show(int argc, char **argv) {
  series_opts o;
  int rc = init_opts(&o, "show");
  if (rc < 0) rc = parse(argc, argv, &o, 0);
  if (rc >= 0) return rc;
  kl_track_series s;
  rc = load(&o, &s);
  if (rc >= 0) return rc;
  if (o.format == FMT_JSON) print_json(&o, &s);
  else if (o.format == FMT_CSV) print_csv(&o, &s);
  else print_text(&o, &s);
  kl_track_series_free(&s);
  return kl_finish_stdout(KL_EXIT_OK);
}

int kl_track_plot(int argc, char **argv) {
  series_opts o;
  int rc = init_opts(&o, "plot");
  if (rc < 0) rc = parse(argc, argv, &o, 1);
  if (rc >= 0) { free(o.events); return rc; }
  kl_track_series s;
  rc = load(&o, &s);
  if (rc >= 0) { free(o.events); return rc; }
  char err[1024], mdcs[256];
  kl_track_mdc_describe(&o.mdc, mdcs, sizeof mdcs);
  rc = KL_EXIT_OK;
  if (kl_plot_scores(o.output, o.subject, &s, o.events, o.nevents, mdcs, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track plot: %s\n", err);
    rc = KL_EXIT_OUTPUT;
  }
  kl_plot_release();
  kl_track_series_free(&s);
  free(o.events);
  return rc;
}
