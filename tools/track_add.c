/* `klonos track add`: analyse each recording, then store it in one short
 * transaction. The order matters for concurrency and crashes: hash the file
 * and check whether it is already stored (read only), run the whole analysis
 * with no lock held, and only then open the write transaction that re-checks
 * and inserts. A process killed at any point leaves the database as it was
 * or with the whole new row; never part of one. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_args.h"
#include "commands.h"
#include "pipeline.h"
#include "sha256.h"
#include "track_cmd.h"
#include "track_db.h"
#include "track_time.h"
#include "util/json_writer.h"

static const char usage[] =
    "Usage: klonos track add --subject ID [OPTIONS] FILE...\n"
    "Analyse recordings (as klonos analyze does) and store their scores for a\n"
    "subject. A file already stored for the subject with the same analysis\n"
    "parameters is skipped (the content is identified by its SHA-256).\n\n"
    "  --subject ID       who the recordings belong to (a pseudonym, 1-64 bytes)\n"
    "  --date DATE        when the recordings were made, for files that do not say:\n"
    "                     YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss], local time, no zone\n"
    "  --replace          re-analyse a file stored for this subject with other\n"
    "                     analysis parameters, replacing that entry\n"
    "  --db PATH          the database (default ./" KL_TRACK_DEFAULT_DB ", created if missing)\n"
    "  -q, --quiet        print nothing on success\n"
    "  -h, --help         this help\n\n";

/* The analysis parameters that change scores, in a fixed key order: with the
 * subject and the content hash, the identity of a stored analysis. */
static char *params_json(const kl_pipeline_options *o) {
  kl_json j;
  kl_json_init(&j);
  kl_json_begin_object(&j, NULL);
  kl_pipeline_parameters_json(&j, o);
  kl_json_end_object(&j);
  if (j.failed) { kl_json_free(&j); return NULL; }
  return j.buf; /* the caller frees */
}

static char *report_json(const char *path, const kl_pipeline_result *r) {
  return kl_pipeline_report(path, r, 0, 60, NULL);
}

typedef struct add_opts {
  const char *subject;
  const char *db_path;
  double date_unix_s;       /* NaN: not given */
  int replace, quiet;
  kl_pipeline_options pipe;
  char *params;
} add_opts;

/* Where the recording's date comes from: the file's own start time first,
 * then --date. Fills *unix_s and *source; -1 with err when neither exists. */
static int recording_date(const char *path, const add_opts *o, const klonos_recording_info *info, double *unix_s,
                          const char **source, char *err, size_t errlen) {
  if (info->has_start_time) {
    *unix_s = info->start_time_unix_s;
    *source = "file";
    return 0;
  }
  if (isfinite(o->date_unix_s)) {
    *unix_s = o->date_unix_s;
    *source = "option";
    return 0;
  }
  snprintf(err, errlen, "%s: the file does not say when it was recorded; give the date with --date YYYY-MM-DD", path);
  return -1;
}

/* A look at the header before a long analysis that could not be stored
 * without a date. Unreadable files say "yes": the analysis reports why. */
static int has_start_time(const char *path, const kl_pipeline_options *o) {
  klonos_reader *r = NULL;
  int yes = 1;
  if (klonos_reader_open(&r, path, &o->reader) == KLONOS_OK) {
    klonos_recording_info info;
    klonos_reader_info(r, &info);
    yes = info.has_start_time;
  }
  klonos_reader_close(&r);
  return yes;
}

static int same_file_state(const struct stat *a, const struct stat *b) {
  return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

/* One file; returns KL_EXIT_OK or KL_EXIT_FILE_FAILED (message printed). */
static int add_one(kl_track_db *db, const add_opts *o, const char *path) {
  char err[1024] = "", sha[65], abs_path[PATH_MAX];
  int64_t size = 0;
  struct stat before, after;
  if (stat(path, &before) != 0 || kl_sha256_file(path, sha, &size) != 0) {
    fprintf(stderr, "klonos track add: %s: %s\n", path, strerror(errno));
    return KL_EXIT_FILE_FAILED;
  }
  if (!S_ISREG(before.st_mode)) {
    fprintf(stderr, "klonos track add: %s: not a regular file\n", path);
    return KL_EXIT_FILE_FAILED;
  }
  if (!realpath(path, abs_path)) snprintf(abs_path, sizeof abs_path, "%s", path);
  kl_track_add_result look;
  if (kl_track_db_lookup(db, o->subject, sha, o->params, &look, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track add: %s\n", err);
    return KL_EXIT_FILE_FAILED;
  }
  if (look.outcome == KL_ADD_DUPLICATE) {
    if (!o->quiet) printf("%s: already stored for subject %s (#%lld), skipped\n", path, o->subject, (long long)look.id);
    return KL_EXIT_OK;
  }
  if (look.outcome == KL_ADD_PARAMS_DIFFER && !o->replace) {
    fprintf(stderr, "klonos track add: %s: already stored for subject %s (#%lld) with other analysis parameters; "
            "--replace re-analyses it with these\n", path, o->subject, (long long)look.id);
    return KL_EXIT_FILE_FAILED;
  }
  if (!isfinite(o->date_unix_s) && !has_start_time(path, &o->pipe)) {
    fprintf(stderr, "klonos track add: %s: the file does not say when it was recorded; give the date with "
            "--date YYYY-MM-DD\n", path);
    return KL_EXIT_FILE_FAILED;
  }
  kl_pipeline_result r;
  if (kl_pipeline_run(path, &o->pipe, &r, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track add: %s\n", err);
    return KL_EXIT_FILE_FAILED;
  }
  int status = KL_EXIT_FILE_FAILED;
  char *report = NULL;
  kl_track_new rec;
  memset(&rec, 0, sizeof rec);
  if (recording_date(path, o, &r.info, &rec.recorded_at_unix_s, &rec.date_source, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track add: %s\n", err);
    goto done;
  }
  if (stat(path, &after) != 0 || !same_file_state(&before, &after)) {
    fprintf(stderr, "klonos track add: %s: the file changed while it was being added; try again\n", path);
    goto done;
  }
  report = report_json(abs_path, &r);
  if (!report) {
    fprintf(stderr, "klonos track add: %s: cannot write the report (out of memory)\n", path);
    goto done;
  }
  klonos_scores sc;
  klonos_analyzer_scores(r.analyzer, &sc);
  klonos_analyzer_duration_s(r.analyzer, &rec.duration_s);
  rec.subject = o->subject;
  rec.file_path = abs_path;
  rec.file_size_bytes = size;
  rec.content_sha256 = sha;
  rec.klonos_version = klonos_version();
  rec.params_json = o->params;
  rec.wear_s = sc.wear_s;
  rec.score[KL_SCORE_MOTOR] = sc.motor;
  rec.score[KL_SCORE_MYOCLONUS] = sc.myoclonus;
  rec.score[KL_SCORE_STANCE] = sc.stance;
  rec.score[KL_SCORE_GAIT] = sc.gait;
  rec.events_per_min = sc.events_per_min;
  rec.amp_median_mps2 = sc.amp_median_mps2;
  rec.report_json = report;
  kl_track_add_result res;
  if (kl_track_db_add(db, &rec, o->replace, &res, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track add: %s: %s\n", path, err);
    goto done;
  }
  char when[32], motor[16];
  kl_time_format(rec.recorded_at_unix_s, when);
  snprintf(motor, sizeof motor, isfinite(sc.motor) ? "%.0f" : "n/a", sc.motor);
  status = KL_EXIT_OK;
  switch (res.outcome) {
    case KL_ADD_INSERTED:
    case KL_ADD_REPLACED:
      if (!o->quiet)
        printf("%s: %s as #%lld for subject %s, recorded %s (%s), motor %s\n", path,
               res.outcome == KL_ADD_REPLACED ? "re-analysed and replaced" : "added", (long long)res.id, o->subject,
               when, rec.date_source[0] == 'f' ? "from the file" : "from --date", motor);
      break;
    case KL_ADD_DUPLICATE: /* another process stored it while we analysed */
      if (!o->quiet) printf("%s: already stored for subject %s (#%lld), skipped\n", path, o->subject, (long long)res.id);
      break;
    default:
      fprintf(stderr, "klonos track add: %s: already stored for subject %s (#%lld) with other analysis parameters; "
              "--replace re-analyses it with these\n", path, o->subject, (long long)res.id);
      status = KL_EXIT_FILE_FAILED;
  }
  if (res.other_subject[0] && res.outcome != KL_ADD_PARAMS_DIFFER)
    fprintf(stderr, "klonos track add: warning: %s: the same recording is also stored for subject %s\n", path,
            res.other_subject);
done:
  free(report);
  klonos_analyzer_close(&r.analyzer);
  return status;
}

int kl_track_add(int argc, char **argv) {
  add_opts o;
  memset(&o, 0, sizeof o);
  o.db_path = KL_TRACK_DEFAULT_DB;
  o.date_unix_s = NAN;
  kl_pipeline_options_default(&o.pipe);
  const char **files = calloc((size_t)argc, sizeof *files);
  int nfiles = 0, only_files = 0, status = KL_EXIT_USAGE;
  char err[512];
  if (!files) return KL_EXIT_FILE_FAILED;
  for (int i = 1; i < argc; i++) {
    int used_next = 0, missing = 0;
    const char *v;
    if (only_files || argv[i][0] != '-' || !argv[i][1]) { files[nfiles++] = argv[i]; continue; }
    if (strcmp(argv[i], "--") == 0) { only_files = 1; continue; }
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      fputs(kl_pipeline_options_help, stdout);
      fputs(kl_cli_reader_options_help, stdout);
      free(files);
      return kl_finish_stdout(KL_EXIT_OK);
    }
    if (strcmp(argv[i], "--replace") == 0) { o.replace = 1; continue; }
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) { o.quiet = 1; continue; }
    if ((v = kl_cli_flag_value(argc, argv, i, "--subject", &used_next, &missing)) || missing) {
      if (!v || kl_track_check_subject(v, err, sizeof err) != 0) {
        fprintf(stderr, "klonos track add: %s\n", v ? err : "--subject needs an ID");
        goto out;
      }
      o.subject = v;
      i += used_next;
      continue;
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--db", &used_next, &missing)) || missing) {
      if (!v || !*v) { fprintf(stderr, "klonos track add: --db needs a path\n"); goto out; }
      o.db_path = v;
      i += used_next;
      continue;
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--date", &used_next, &missing)) || missing) {
      if (!v || kl_time_parse(v, &o.date_unix_s, err, sizeof err) != 0) {
        fprintf(stderr, "klonos track add: --date: %s\n", v ? err : "needs a date, YYYY-MM-DD[Thh:mm[:ss]]");
        goto out;
      }
      i += used_next;
      continue;
    }
    int t = kl_pipeline_option(argc, argv, i, &o.pipe, err, sizeof err);
    if (t == KL_ARG_ERROR || t == KL_ARG_NOT_MINE) {
      fprintf(stderr, "klonos track add: %s\n", t == KL_ARG_ERROR ? err : "unknown option (see klonos track add --help)");
      goto out;
    }
    if (t == KL_ARG_TAKEN_WITH_VALUE) i++;
  }
  if (!o.subject) { fprintf(stderr, "klonos track add: --subject ID is required\n"); goto out; }
  if (!nfiles) { fprintf(stderr, "klonos track add: no FILE given (see klonos track add --help)\n"); goto out; }
  o.params = params_json(&o.pipe);
  if (!o.params) { fprintf(stderr, "klonos track add: out of memory\n"); status = KL_EXIT_FILE_FAILED; goto out; }
  kl_track_db *db = NULL;
  if (kl_track_db_open(&db, o.db_path, 1, err, sizeof err) != 0) {
    fprintf(stderr, "klonos track add: %s\n", err);
    status = KL_EXIT_FILE_FAILED;
    goto out;
  }
  status = KL_EXIT_OK;
  for (int f = 0; f < nfiles; f++)
    if (add_one(db, &o, files[f]) != KL_EXIT_OK) status = KL_EXIT_FILE_FAILED;
  kl_track_db_close(&db);
  status = kl_finish_stdout(status);
out:
  free(o.params);
  free(files);
  return status;
}
