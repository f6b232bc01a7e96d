/* `klonos batch-merge -o TABLE SHARD.jsonl...`: join the JSON Lines of
 * `klonos batch` runs (shards, reruns) into one table, one row per
 * recording (docs/batch.md). Two passes so a cohort of week-long
 * recordings never needs all its reports in memory: the first indexes every
 * line (key, status, file offset), the second copies or tabulates the kept
 * ones. The output is written to a temporary file and renamed into place. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_lines.h"
#include "cli_args.h"
#include "commands.h"
#include "manifest.h"
#include "util/metric_fields.h"

static const char usage[] =
    "Usage: klonos batch-merge -o TABLE.csv|TABLE.jsonl [OPTIONS] RESULTS.jsonl...\n"
    "Join the output of klonos batch runs (e.g. the shards of an array job) into\n"
    "one table with one row per recording (subject, path), sorted by subject and\n"
    "path. A recording found more than once keeps its last \"ok\" result (files in\n"
    "the order given, lines in file order), else its last error.\n\n"
    "  -o, --output FILE   the table; - for stdout\n"
    "  --format csv|jsonl  default: from FILE's extension (.csv, else jsonl)\n"
    "  --manifest FILE     also check that every recording of this manifest is\n"
    "                      present: missing ones are listed and the exit status is 1\n"
    "  --allow-mixed       merge results of different klonos versions or options\n"
    "                      (refused by default: their scores are not comparable)\n"
    "  -q, --quiet         only problems on stderr\n"
    "  -h, --help          this help\n\n"
    "Exit status: 0 table written, every recording ok; 1 table written, but some\n"
    "recording failed or is missing, or an input line was unreadable; 2 usage\n"
    "error or mixed versions/options; 3 the table could not be written.\n";

/* One complete line of an input. */
typedef struct entry {
  char *subject, *path;
  int ok;
  uint32_t file;
  long lineno;
  long long offset;
  size_t len;
  char *csv;        /* the CSV row (CSV output only) */
} entry;

typedef struct merge {
  entry *e;
  size_t n, cap;
  int csv;
  int allow_mixed, quiet;
  char *version, *params;   /* of the first line read */
  size_t params_len;
  const char *first_where;  /* file of that line */
  long first_line;
  size_t mixed, unreadable;
} merge;

/* ---- the CSV table ---- */

typedef struct column {
  char name[64];
  char json[64];    /* dotted path under "report" */
} column;

static column *columns;
static size_t ncolumns;

static void add_column(const char *section, const char *key) {
  column *c = &columns[ncolumns++];
  snprintf(c->json, sizeof c->json, "%s.%s", section, key);
  /* recording.* keep their own names; others get the section as a prefix,
   * not repeated (myoclonus.myoclonus_index_per_min -> myoclonus_index_per_min). */
  size_t sl = strlen(section);
  if (strcmp(section, "recording") == 0 || (strncmp(key, section, sl) == 0 && key[sl] == '_'))
    snprintf(c->name, sizeof c->name, "%s", key);
  else
    snprintf(c->name, sizeof c->name, "%s_%s", section, key);
}

static int build_columns(void) {
  static const char *const recording[] = {"duration_s", "wear_s", "start_time", "format", "sample_rate_hz",
                                          "gap_count", "gap_total_s", "bad_blocks", "clipped_samples"};
  static const char *const severity[] = {"motor", "myoclonus", "stance", "gait"};
  static const char *const states[] = {"lying_s", "upright_still_s", "walking_s", "other_s", "nonwear_s", "missing_s"};
  static const char *const myoclonus[] = {"event_count", "events_per_min", "amp_median_mps2", "amp_p90_mps2",
                                          "iei_median_s", "cluster_count", "tremor_episode_count", "tremor_s",
                                          "myoclonus_index_per_min"};
  columns = calloc(64 + kl_sway_field_count + kl_gait_field_count, sizeof *columns);
  if (!columns) return -1;
#define ADD_ALL(section, list) \
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) add_column(section, list[i])
  ADD_ALL("recording", recording);
  ADD_ALL("severity", severity);
  ADD_ALL("states", states);
  ADD_ALL("myoclonus", myoclonus);
  add_column("sway", "bouts");
  add_column("sway", "measured_s");
  for (size_t i = 0; i < kl_sway_field_count; i++) add_column("sway", kl_sway_fields[i].name);
  add_column("gait", "bouts");
  add_column("gait", "measured_s");
  for (size_t i = 0; i < kl_gait_field_count; i++) add_column("gait", kl_gait_fields[i].name);
  add_column("calibration", "applied");
  add_column("calibration", "error_after_mg");
#undef ADD_ALL
  return 0;
}

static void csv_header(FILE *out) {
  fputs("subject,date,path,status", out);
  for (size_t i = 0; i < ncolumns; i++) fprintf(out, ",%s", columns[i].name);
  fputs(",error_name,error_message,file,klonos_version\n", out);
}

/* A scalar as a CSV cell: numbers exactly as the report wrote them, null
 * and absent keys as an empty cell. */
static void csv_value(FILE *out, const char *line, const kl_jv *v) {
  if (!v || v->type == KL_JV_NULL || v->type == KL_JV_ARRAY || v->type == KL_JV_OBJECT) return;
  if (v->type == KL_JV_STRING) kl_batch_csv_cell(out, v->string);
  else if (v->type == KL_JV_BOOL) fputs(v->boolean ? "true" : "false", out);
  else fwrite(line + v->start, 1, v->end - v->start, out);
}

static char *csv_row(const char *line, const kl_result *r) {
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  if (!out) return NULL;
  const kl_jv *report = kl_jget(r->root, "report"), *error = kl_jget(r->root, "error");
  kl_batch_csv_cell(out, r->subject);
  fputc(',', out);
  kl_batch_csv_cell(out, r->date);
  fputc(',', out);
  kl_batch_csv_cell(out, r->path);
  fputs(r->ok ? ",ok" : ",error", out);
  for (size_t i = 0; i < ncolumns; i++) {
    fputc(',', out);
    csv_value(out, line, kl_jpath(report, columns[i].json));
  }
  fputc(',', out);
  csv_value(out, line, kl_jget(error, "name"));
  fputc(',', out);
  csv_value(out, line, kl_jget(error, "message"));
  fputc(',', out);
  csv_value(out, line, kl_jget(report, "file"));
  fputc(',', out);
  kl_batch_csv_cell(out, r->version);
  fputc('\n', out);
  if (fclose(out) != 0) { free(buf); return NULL; }
  return buf;
}

/* ---- pass 1: index every line ---- */

static int add_entry(merge *mg, const char *line, const kl_result *r, uint32_t file, const kl_line_reader *lr) {
  if (mg->n == mg->cap) {
    size_t cap = mg->cap ? mg->cap * 2 : 256;
    entry *e = realloc(mg->e, cap * sizeof *e);
    if (!e) return -1;
    mg->e = e;
    mg->cap = cap;
  }
  entry *e = &mg->e[mg->n];
  memset(e, 0, sizeof *e);
  e->subject = strdup(r->subject);
  e->path = strdup(r->path);
  e->ok = r->ok;
  e->file = file;
  e->lineno = lr->lineno;
  e->offset = lr->offset;
  e->len = (size_t)(lr->next_offset - lr->offset);
  if (mg->csv) e->csv = csv_row(line, r);
  mg->n++;
  if (!e->subject || !e->path || (mg->csv && !e->csv)) return -1;
  return 0;
}

/* Check one line's version and parameters against the first line's. */
static void check_same_run(merge *mg, const kl_result *r, const char *file, long lineno) {
  if (!mg->version) {
    mg->version = strdup(r->version);
    mg->params = malloc(r->params_len + 1);
    if (mg->params) { memcpy(mg->params, r->params, r->params_len); mg->params[r->params_len] = 0; }
    mg->params_len = r->params_len;
    mg->first_where = file;
    mg->first_line = lineno;
    return;
  }
  if (!mg->params || kl_result_same_run(r, mg->version, mg->params, mg->params_len)) return;
  if (mg->mixed++ == 0)
    fprintf(stderr,
            "klonos batch-merge: %s%s:%ld is from klonos %s with parameters %.*s,\n"
            "  but %s:%ld is from klonos %s with parameters %s.\n",
            mg->allow_mixed ? "warning: " : "", file, lineno, r->version, (int)r->params_len, r->params,
            mg->first_where, mg->first_line, mg->version, mg->params);
}

static int index_file(merge *mg, const char *file, uint32_t index) {
  FILE *f = fopen(file, "rb");
  if (!f) {
    fprintf(stderr, "klonos batch-merge: cannot open %s: %s\n", file, strerror(errno));
    mg->unreadable++;
    return 0;
  }
  kl_line_reader lr;
  kl_lines_init(&lr, f);
  const char *line;
  size_t len;
  int t, rc = 0;
  while ((t = kl_lines_next(&lr, &line, &len)) != KL_LINE_END) {
    if (t == KL_LINE_ERROR) {
      fprintf(stderr, "klonos batch-merge: cannot read %s: %s\n", file, strerror(errno));
      mg->unreadable++;
      break;
    }
    if (t == KL_LINE_TORN) { /* a run still writing, or killed mid-line: its rerun redoes that recording */
      fprintf(stderr, "klonos batch-merge: warning: %s:%ld: incomplete last line skipped (a run interrupted or still running)\n",
              file, lr.lineno);
      break;
    }
    kl_jdoc doc;
    kl_result r;
    char err[256];
    if (kl_result_parse(&doc, line, len, &r, err, sizeof err)) {
      fprintf(stderr, "klonos batch-merge: %s:%ld: skipped: %s\n", file, lr.lineno, err);
      mg->unreadable++;
    } else {
      check_same_run(mg, &r, file, lr.lineno);
      if (add_entry(mg, line, &r, index, &lr)) rc = -1;
    }
    kl_jdoc_free(&doc);
    if (rc) break;
  }
  kl_lines_free(&lr);
  fclose(f);
  return rc;
}

/* ---- pass 2: choose and write ---- */

static int entry_compare(const void *a, const void *b) {
  const entry *x = a, *y = b;
  int d = kl_key_compare(x->subject, x->path, y->subject, y->path);
  if (d) return d;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return (x->lineno > y->lineno) - (x->lineno < y->lineno);
}

/* Copy one input line (newline included) to out. */
static int copy_line(FILE *out, const char *file, const entry *e, FILE **cached, uint32_t *cached_index) {
  if (!*cached || *cached_index != e->file) {
    if (*cached) fclose(*cached);
    *cached = fopen(file, "rb");
    *cached_index = e->file;
    if (!*cached) return -1;
  }
  if (fseeko(*cached, (off_t)e->offset, SEEK_SET)) return -1;
  char buf[65536];
  size_t left = e->len;
  while (left) {
    size_t n = fread(buf, 1, left < sizeof buf ? left : sizeof buf, *cached);
    if (!n) return -1;
    fwrite(buf, 1, n, out);
    left -= n;
  }
  return 0;
}

static int write_table(merge *mg, FILE *out, char **files, const entry **kept, size_t nkept) {
  FILE *cached = NULL;
  uint32_t cached_index = 0;
  int rc = 0;
  if (mg->csv) csv_header(out);
  for (size_t i = 0; i < nkept && !rc; i++) {
    if (mg->csv) fputs(kept[i]->csv, out);
    else if (copy_line(out, files[kept[i]->file], kept[i], &cached, &cached_index)) {
      fprintf(stderr, "klonos batch-merge: cannot read %s again: %s\n", files[kept[i]->file],
              errno ? strerror(errno) : "it changed");
      rc = -1;
    }
  }
  if (cached) fclose(cached);
  return rc;
}

/* Write through a temporary file in the same folder, renamed at the end, so
 * TABLE is never half-written. */
static int write_output(merge *mg, const char *out_path, char **files, const entry **kept, size_t nkept) {
  if (strcmp(out_path, "-") == 0) {
    int rc = write_table(mg, stdout, files, kept, nkept);
    return kl_finish_stdout(rc ? KL_EXIT_FILE_FAILED : KL_EXIT_OK);
  }
  size_t n = strlen(out_path) + 16;
  char *tmp = malloc(n);
  if (!tmp) return KL_EXIT_OUTPUT;
  snprintf(tmp, n, "%s.tmpXXXXXX", out_path);
  int fd = mkstemp(tmp);
  FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!out) {
    fprintf(stderr, "klonos batch-merge: cannot create %s: %s\n", tmp, strerror(errno));
    if (fd >= 0) { close(fd); unlink(tmp); }
    free(tmp);
    return KL_EXIT_OUTPUT;
  }
  fchmod(fd, 0644); /* mkstemp makes 0600: a results table is meant to be shared */
  int rc = write_table(mg, out, files, kept, nkept);
  int bad = fflush(out) != 0 || ferror(out) || fsync(fd) != 0;
  int err = errno;
  if (fclose(out) != 0) bad = 1;
  if (!rc && !bad && rename(tmp, out_path) == 0) {
    free(tmp);
    return KL_EXIT_OK;
  }
  if (!rc) fprintf(stderr, "klonos batch-merge: cannot write %s: %s\n", out_path, strerror(bad ? err : errno));
  unlink(tmp);
  free(tmp);
  return rc ? KL_EXIT_FILE_FAILED : KL_EXIT_OUTPUT;
}

/* With --manifest: every recording there must be in the table. Returns the
 * number missing, or -1 when the manifest cannot be read. */
static long check_manifest(const char *path, const entry **kept, size_t nkept, int quiet) {
  kl_manifest m;
  char err[2048];
  if (kl_manifest_load(path, &m, err, sizeof err)) {
    fprintf(stderr, "klonos batch-merge: %s\n", err);
    return -1;
  }
  kl_keyset have = {0};
  for (size_t i = 0; i < nkept; i++) kl_keyset_add(&have, kept[i]->subject, kept[i]->path, i);
  kl_keyset_sort(&have);
  long missing = 0;
  size_t in_manifest = 0;
  char *seen = calloc(nkept ? nkept : 1, 1);
  for (size_t i = 0; i < m.count; i++) {
    if (m.rows[i].duplicate) continue;
    in_manifest++;
    const kl_key *k = kl_keyset_find(&have, m.rows[i].subject, m.rows[i].path);
    if (k && seen) seen[k->tag] = 1;
    if (k) continue;
    if (missing++ < 20)
      fprintf(stderr, "klonos batch-merge: missing: subject %s, %s (%s:%ld)\n", m.rows[i].subject, m.rows[i].path, path,
              m.rows[i].line);
  }
  size_t extra = 0;
  for (size_t i = 0; seen && i < nkept; i++) extra += !seen[i];
  if (missing > 20) fprintf(stderr, "klonos batch-merge: ... %ld missing in all\n", missing);
  if (extra)
    fprintf(stderr, "klonos batch-merge: warning: %zu recordings in the table are not in %s\n", extra, path);
  if (!quiet || missing)
    fprintf(stderr, "klonos batch-merge: %s: %zu recordings, %zu in the table, %ld missing\n", path, in_manifest,
            in_manifest - (size_t)missing, missing);
  free(seen);
  kl_keyset_free(&have);
  kl_manifest_free(&m);
  return missing;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

int kl_cmd_batch_merge(int argc, char **argv) {
  merge mg;
  memset(&mg, 0, sizeof mg);
  const char *out_path = NULL, *format = NULL, *manifest = NULL;
  char **files = calloc((size_t)argc, sizeof *files);
  uint32_t nfiles = 0;
  int status = KL_EXIT_OK, only_files = 0;
  const entry **kept = NULL;
  size_t nkept = 0, failed = 0;
  if (!files) return KL_EXIT_FILE_FAILED;
  for (int i = 1; i < argc; i++) {
    int used_next = 0, missing = 0;
    const char *v;
    if (only_files || argv[i][0] != '-' || !argv[i][1]) { files[nfiles++] = argv[i]; continue; }
    if (strcmp(argv[i], "--") == 0) { only_files = 1; continue; }
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      free(files);
      return kl_finish_stdout(KL_EXIT_OK);
    }
    if (strcmp(argv[i], "--allow-mixed") == 0) { mg.allow_mixed = 1; continue; }
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) { mg.quiet = 1; continue; }
    const char **target = NULL;
    static const char *const flags[] = {"-o", "--output", "--format", "--manifest"};
    for (int f = 0; f < 4 && !target; f++) {
      v = kl_cli_flag_value(argc, argv, i, flags[f], &used_next, &missing);
      if (!v && !missing) continue;
      if (!v || !*v) {
        fprintf(stderr, "klonos batch-merge: %s needs a value\n", flags[f]);
        free(files);
        return KL_EXIT_USAGE;
      }
      target = f < 2 ? &out_path : f == 2 ? &format : &manifest;
      *target = v;
      i += used_next;
    }
    if (target) continue;
    fprintf(stderr, "klonos batch-merge: unknown option '%s' (see klonos batch-merge --help)\n", argv[i]);
    free(files);
    return KL_EXIT_USAGE;
  }
  if (!out_path || !nfiles) {
    fprintf(stderr, "klonos batch-merge: %s (see klonos batch-merge --help)\n",
            !out_path ? "-o TABLE is required" : "no RESULTS.jsonl given");
    free(files);
    return KL_EXIT_USAGE;
  }
  if (format && strcmp(format, "csv") && strcmp(format, "jsonl")) {
    fprintf(stderr, "klonos batch-merge: --format needs csv or jsonl\n");
    free(files);
    return KL_EXIT_USAGE;
  }
  mg.csv = format ? strcmp(format, "csv") == 0 : ends_with(out_path, ".csv");
  if (mg.csv && build_columns()) { free(files); return KL_EXIT_FILE_FAILED; }

  for (uint32_t f = 0; f < nfiles; f++)
    if (index_file(&mg, files[f], f)) {
      fprintf(stderr, "klonos batch-merge: out of memory\n");
      status = KL_EXIT_FILE_FAILED;
      goto out;
    }
  if (mg.mixed) {
    fprintf(stderr, "klonos batch-merge: %s%zu lines differ in version or parameters from the first\n",
            mg.allow_mixed ? "warning: " : "", mg.mixed);
    if (!mg.allow_mixed) {
      fprintf(stderr, "klonos batch-merge: refusing to mix them in one table (--allow-mixed to merge anyway)\n");
      status = KL_EXIT_USAGE;
      goto out;
    }
  }

  /* Group by recording; keep the last ok line, else the last line. */
  if (mg.n) qsort(mg.e, mg.n, sizeof *mg.e, entry_compare);
  kept = calloc(mg.n ? mg.n : 1, sizeof *kept);
  if (!kept) { status = KL_EXIT_FILE_FAILED; goto out; }
  for (size_t i = 0; i < mg.n;) {
    size_t j = i;
    const entry *best = NULL;
    for (; j < mg.n && kl_key_compare(mg.e[j].subject, mg.e[j].path, mg.e[i].subject, mg.e[i].path) == 0; j++)
      if (mg.e[j].ok || !best || !best->ok) best = &mg.e[j];
    kept[nkept++] = best;
    failed += !best->ok;
    i = j;
  }
  status = write_output(&mg, out_path, files, kept, nkept);
  if (status) goto out;
  if (!mg.quiet || failed)
    fprintf(stderr, "klonos batch-merge: %u files, %zu lines, %zu recordings: %zu ok, %zu failed -> %s\n", nfiles, mg.n,
            nkept, nkept - failed, failed, out_path);
  long missing = manifest ? check_manifest(manifest, kept, nkept, mg.quiet) : 0;
  if (missing < 0) status = KL_EXIT_USAGE;
  else if (missing || failed || mg.unreadable) status = KL_EXIT_FILE_FAILED;
out:
  for (size_t i = 0; i < mg.n; i++) {
    free(mg.e[i].subject);
    free(mg.e[i].path);
    free(mg.e[i].csv);
  }
  free(mg.e);
  free(kept);
  free(mg.version);
  free(mg.params);
  free(columns);
  columns = NULL;
  ncolumns = 0;
  free(files);
  return status;
}
