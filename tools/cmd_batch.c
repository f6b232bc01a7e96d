/* `klonos batch MANIFEST -o OUT.jsonl`: analyse a cohort, one JSON line per
 * recording (docs/batch.md). Built to be killed and rerun: every result is
 * appended with one write(2) and flushed to disk before the next, so a
 * killed run loses at most the recordings in flight; a rerun skips what is
 * already "ok", retries failures, and trims a torn last line. --shard K/N
 * takes a deterministic share so a scheduler's array job (Slurm) or GNU
 * parallel can spread the cohort; batch-merge joins the shards. */
#define _GNU_SOURCE /* sched_getaffinity */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch_lines.h"
#include "cli_args.h"
#include "commands.h"
#include "manifest.h"
#include "pipeline.h"
#include "util/json_writer.h"

static const char usage[] =
    "Usage: klonos batch MANIFEST -o OUT.jsonl [OPTIONS]\n"
    "Analyse every recording of a cohort manifest (CSV with a header naming\n"
    "subject, date and path; relative paths are relative to the manifest's folder)\n"
    "and append one JSON line per recording to OUT (docs/batch.md). Rerunning\n"
    "skips recordings already \"ok\" in OUT and retries failed ones.\n\n"
    "  -o, --output FILE    the JSON Lines results (created if missing, else resumed)\n"
    "  --shard K/N          only this run's share: the rows whose hash of subject and\n"
    "                       path is K mod N (K from 0 to N-1); the N shards together\n"
    "                       cover the manifest exactly once (merge with batch-merge)\n"
    "  --jobs N             recordings analysed in parallel (default: the CPUs this\n"
    "                       process may use)\n"
    "  --score-epoch S      per-epoch scores every S seconds (default 60)\n"
    "  --events             include every jerk, cluster and tremor episode\n"
    "  --dry-run            print this shard's rows (line,subject,date,path,state) and exit\n"
    "  -q, --quiet          report only failures and the summary on stderr\n"
    "  -h, --help           this help\n\n";

static const char usage_tail[] =
    "\nExit status: 0 every recording of the shard is ok, 1 some failed (their\n"
    "error is in OUT and on stderr; the others are done), 2 usage or manifest error,\n"
    "or OUT holds results of another klonos version or other options, 3 OUT\n"
    "cannot be written or is being written by another run.\n";

typedef struct batch {
  kl_pipeline_options opt;
  double score_epoch_s;
  int include_events;
  int quiet;
  uint32_t shard_k, shard_n;
  char *params;                     /* the "parameters" object, serialised */
  const kl_manifest_row **todo;
  size_t ntodo, next, finished, ok, failed, unsaved;
  int fd;
  const char *out_path;
  int write_failed;
  pthread_mutex_t lock;
  struct timespec t0;
} batch;

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* The options that change results, in a fixed key order: with the version,
 * the identity of a run. Lines of one OUT (and the shards merged into one
 * table) must agree on it. */
static char *params_json(const batch *b) {
  kl_json j;
  kl_json_init(&j);
  kl_json_begin_object(&j, NULL);
  kl_pipeline_parameters_json(&j, &b->opt);
  kl_json_number(&j, "score_epoch_s", b->score_epoch_s);
  kl_json_bool(&j, "events", b->include_events);
  kl_json_end_object(&j);
  if (j.failed) { kl_json_free(&j); return NULL; }
  return j.buf;
}

static char *report_json(const char *path, const kl_pipeline_result *r, const batch *b) {
  return kl_pipeline_report(path, r, b->include_events ? KLONOS_REPORT_EVENTS : 0, b->score_epoch_s, NULL);
}

/* One result line, newline included; NULL when out of memory. */
static char *result_line(const batch *b, const kl_manifest_row *row, int rc, const char *report, const char *err) {
  kl_json j;
  kl_json_init(&j);
  kl_json_begin_object(&j, NULL);
  kl_json_string(&j, "subject", row->subject);
  if (row->date[0]) kl_json_string(&j, "date", row->date);
  else kl_json_null(&j, "date");
  kl_json_string(&j, "path", row->path);
  kl_json_string(&j, "status", rc ? "error" : "ok");
  kl_json_string(&j, "klonos_version", klonos_version());
  kl_json_raw(&j, "parameters", b->params);
  if (rc) {
    kl_json_begin_object(&j, "error");
    kl_json_int(&j, "code", rc);
    kl_json_string(&j, "name", klonos_status_name(rc));
    kl_json_string(&j, "message", err);
    kl_json_end_object(&j);
  } else {
    kl_json_raw(&j, "report", report);
  }
  kl_json_end_object(&j);
  char *line = j.failed ? NULL : realloc(j.buf, j.len + 2);
  if (!line) { kl_json_free(&j); return NULL; }
  line[j.len] = '\n';
  line[j.len + 1] = 0;
  return line;
}

/* Append one whole line with a single write(2) when the kernel takes it all
 * (it does for regular files barring a full disk or a fatal signal), then
 * flush it to disk: a result once logged survives a crash or a node reboot. */
static int append_line(int fd, const char *line, size_t len) {
  while (len) {
    ssize_t n = write(fd, line, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    line += n;
    len -= (size_t)n;
  }
  return fdatasync(fd) == 0 || errno == EINVAL ? 0 : -1; /* EINVAL: a file system that cannot sync */
}

static void analyse_one(batch *b, const kl_manifest_row *row) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char err[640];
  kl_pipeline_result r;
  char *report = NULL;
  int rc = kl_pipeline_run(row->resolved, &b->opt, &r, err, sizeof err);
  if (!rc) {
    report = report_json(row->resolved, &r, b);
    if (!report) {
      rc = KLONOS_E_NOMEM;
      snprintf(err, sizeof err, "%s: cannot write the report: %s", row->resolved, klonos_strerror(rc));
    }
    klonos_analyzer_close(&r.analyzer);
  }
  char *line = result_line(b, row, rc, report, err);
  free(report);
  double took = seconds_since(&t0);
  pthread_mutex_lock(&b->lock);
  b->finished++;
  char where[32] = "";
  if (b->shard_n > 1) snprintf(where, sizeof where, " [shard %u/%u]", b->shard_k, b->shard_n);
  if (!line) {
    rc = rc ? rc : KLONOS_E_NOMEM;
    snprintf(err, sizeof err, "out of memory writing the result line");
  } else if (!b->write_failed && append_line(b->fd, line, strlen(line))) {
    fprintf(stderr, "klonos batch%s: cannot write %s: %s\n", where, b->out_path, strerror(errno));
    b->write_failed = 1;
  }
  if (b->write_failed) {
    b->unsaved++; /* not in OUT: the next run does it again */
  } else if (rc) {
    b->failed++;
    fprintf(stderr, "klonos batch%s: [%zu/%zu] FAILED subject %s, %s: %s\n", where, b->finished, b->ntodo,
            row->subject, row->path, err);
  } else {
    b->ok++;
    if (!b->quiet)
      fprintf(stderr, "klonos batch%s: [%zu/%zu] ok subject %s, %s (%.2f s)\n", where, b->finished, b->ntodo,
              row->subject, row->path, took);
  }
  pthread_mutex_unlock(&b->lock);
  free(line);
}

static void *worker(void *arg) {
  batch *b = arg;
  for (;;) {
    pthread_mutex_lock(&b->lock);
    /* After a write failure, stop starting work that could not be logged. */
    size_t i = !b->write_failed && b->next < b->ntodo ? b->next++ : (size_t)-1;
    pthread_mutex_unlock(&b->lock);
    if (i == (size_t)-1) return NULL;
    analyse_one(b, b->todo[i]);
  }
}

static int default_jobs(void) {
  /* The CPUs this process may run on: under a scheduler's cpuset or
   * `taskset` fewer than the machine has. */
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? (int)cores : 1;
}

/* Read what OUT already holds: mark this shard's rows that are done, refuse
 * lines of another version or other parameters, and cut a torn last line.
 * Returns 0, or an exit status. With fd < 0 (dry run) nothing is changed. */
static int resume_scan(batch *b, FILE *f, int fd, const kl_keyset *shard_keys, char *done) {
  kl_line_reader lr;
  kl_lines_init(&lr, f);
  const char *line;
  size_t len;
  int t, status = 0;
  size_t lines = 0, foreign = 0, bad = 0;
  size_t params_len = strlen(b->params);
  while ((t = kl_lines_next(&lr, &line, &len)) != KL_LINE_END) {
    if (t == KL_LINE_ERROR) {
      fprintf(stderr, "klonos batch: cannot read %s: %s\n", b->out_path, strerror(errno));
      status = KL_EXIT_OUTPUT;
      break;
    }
    if (t == KL_LINE_TORN) {
      /* Only an interrupted write leaves a line without its newline. */
      if (fd >= 0) {
        if (ftruncate(fd, (off_t)lr.offset)) {
          fprintf(stderr, "klonos batch: cannot cut the incomplete last line of %s: %s\n", b->out_path, strerror(errno));
          status = KL_EXIT_OUTPUT;
          break;
        }
        fprintf(stderr, "klonos batch: %s:%ld: removed an incomplete last line (%zu bytes) left by an interrupted run\n",
                b->out_path, lr.lineno, len);
      }
      break;
    }
    lines++;
    kl_jdoc doc;
    kl_result r;
    char err[256];
    if (kl_result_parse(&doc, line, len, &r, err, sizeof err)) {
      if (bad++ < 5) fprintf(stderr, "klonos batch: %s:%ld: ignored: %s\n", b->out_path, lr.lineno, err);
      kl_jdoc_free(&doc);
      continue;
    }
    if (!kl_result_same_run(&r, klonos_version(), b->params, params_len)) {
      fprintf(stderr,
              "klonos batch: %s:%ld holds a result of klonos %s with parameters %.*s,\n"
              "  but this run is klonos %s with parameters %s.\n"
              "  Results of different versions or options must not be mixed in one file:\n"
              "  write to another output file, or rerun with the options that made this one.\n",
              b->out_path, lr.lineno, r.version, (int)r.params_len, r.params, klonos_version(), b->params);
      kl_jdoc_free(&doc);
      status = KL_EXIT_USAGE;
      break;
    }
    const kl_key *k = kl_keyset_find(shard_keys, r.subject, r.path);
    if (!k) foreign++;
    else if (r.ok) done[k->tag] = 1;
    kl_jdoc_free(&doc);
  }
  kl_lines_free(&lr);
  if (bad > 5) fprintf(stderr, "klonos batch: %s: %zu lines ignored in all\n", b->out_path, bad);
  if (!status && foreign && !b->quiet && fd >= 0)
    fprintf(stderr, "klonos batch: %s: %zu of %zu lines are for recordings outside this shard of the manifest (kept)\n",
            b->out_path, foreign, lines);
  return status;
}

static void dry_run_print(const kl_manifest_row *r, const char *state) {
  printf("%ld,", r->line);
  kl_batch_csv_cell(stdout, r->subject);
  fputc(',', stdout);
  kl_batch_csv_cell(stdout, r->date);
  fputc(',', stdout);
  kl_batch_csv_cell(stdout, r->path);
  printf(",%s\n", state);
}

/* Open (creating) and lock OUT; -1 with a message when that fails. */
static int open_output(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) {
    fprintf(stderr, "klonos batch: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { /* a pipe or terminal cannot be read back to resume */
    fprintf(stderr, "klonos batch: %s is not a regular file (OUT is read back when a run resumes)\n", path);
    close(fd);
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      fprintf(stderr, "klonos batch: %s is being written by another klonos batch; each run needs its own output file\n",
              path);
      close(fd);
      return -1;
    }
    /* Some network file systems cannot lock: go on, but say so. */
    fprintf(stderr, "klonos batch: warning: cannot lock %s (%s): make sure no other run writes it\n", path,
            strerror(errno));
  }
  return fd;
}

static int parse_args(int argc, char **argv, batch *b, const char **manifest, int *jobs, int *dry_run) {
  for (int i = 1; i < argc; i++) {
    char err[256];
    int used_next = 0, missing = 0;
    const char *v;
    if (argv[i][0] != '-' || !argv[i][1]) {
      if (*manifest) {
        fprintf(stderr, "klonos batch: one MANIFEST only ('%s' and '%s')\n", *manifest, argv[i]);
        return -1;
      }
      *manifest = argv[i];
      continue;
    }
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      fputs(kl_pipeline_options_help, stdout);
      fputs(kl_cli_reader_options_help, stdout);
      fputs(usage_tail, stdout);
      return 1;
    }
    if (strcmp(argv[i], "--events") == 0) { b->include_events = 1; continue; }
    if (strcmp(argv[i], "--dry-run") == 0) { *dry_run = 1; continue; }
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) { b->quiet = 1; continue; }
    if ((v = kl_cli_flag_value(argc, argv, i, "-o", &used_next, &missing)) || missing ||
        (v = kl_cli_flag_value(argc, argv, i, "--output", &used_next, &missing)) || missing) {
      if (!v || !*v) { fprintf(stderr, "klonos batch: -o needs a file name\n"); return -1; }
      b->out_path = v;
      i += used_next;
      continue;
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--shard", &used_next, &missing)) || missing) {
      if (!v || kl_shard_parse(v, &b->shard_k, &b->shard_n, err, sizeof err)) {
        fprintf(stderr, "klonos batch: %s\n", v ? err : "--shard needs K/N");
        return -1;
      }
      i += used_next;
      continue;
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--jobs", &used_next, &missing)) || missing) {
      double d;
      if (!v || kl_cli_parse_double("--jobs", v, &d, err, sizeof err) || d < 1 || d > 256 || d != floor(d)) {
        fprintf(stderr, "klonos batch: --jobs needs a whole number from 1 to 256\n");
        return -1;
      }
      *jobs = (int)d;
      i += used_next;
      continue;
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--score-epoch", &used_next, &missing)) || missing) {
      if (!v || kl_cli_parse_double("--score-epoch", v, &b->score_epoch_s, err, sizeof err) || b->score_epoch_s < 1) {
        fprintf(stderr, "klonos batch: --score-epoch needs a number of seconds >= 1\n");
        return -1;
      }
      i += used_next;
      continue;
    }
    int t = kl_pipeline_option(argc, argv, i, &b->opt, err, sizeof err);
    if (t == KL_ARG_ERROR || t == KL_ARG_NOT_MINE) {
      fprintf(stderr, "klonos batch: %s\n", t == KL_ARG_ERROR ? err : "unknown option (see klonos batch --help)");
      return -1;
    }
    if (t == KL_ARG_TAKEN_WITH_VALUE) i++;
  }
  if (!*manifest) { fprintf(stderr, "klonos batch: no MANIFEST given (see klonos batch --help)\n"); return -1; }
  if (!b->out_path && !*dry_run) { fprintf(stderr, "klonos batch: -o OUT.jsonl is required\n"); return -1; }
  return 0;
}

/* Analyse b->todo with @p jobs threads (here if none can start). */
static void run_all(batch *b, int jobs) {
  if ((size_t)jobs > b->ntodo) jobs = (int)b->ntodo;
  pthread_t *threads = calloc((size_t)(jobs > 0 ? jobs : 1), sizeof *threads);
  int started = 0;
  for (int k = 0; threads && k < jobs; k++)
    if (pthread_create(&threads[k], NULL, worker, b) == 0) started++;
  if (!started) worker(b);
  for (int k = 0; k < started; k++) pthread_join(threads[k], NULL);
  free(threads);
}

int kl_cmd_batch(int argc, char **argv) {
  batch b;
  memset(&b, 0, sizeof b);
  kl_pipeline_options_default(&b.opt);
  b.score_epoch_s = 60.0;
  b.shard_n = 1;
  b.fd = -1;
  clock_gettime(CLOCK_MONOTONIC, &b.t0);
  const char *manifest_path = NULL;
  int jobs = default_jobs(), dry_run = 0;
  int a = parse_args(argc, argv, &b, &manifest_path, &jobs, &dry_run);
  if (a) return a > 0 ? kl_finish_stdout(KL_EXIT_OK) : KL_EXIT_USAGE;

  kl_manifest m;
  char err[2048];
  if (kl_manifest_load(manifest_path, &m, err, sizeof err)) {
    fprintf(stderr, "klonos batch: %s\n", err);
    return KL_EXIT_USAGE;
  }
  if (m.duplicates)
    fprintf(stderr, "klonos batch: warning: %s: %zu rows repeat an earlier subject and path; each is analysed once\n",
            manifest_path, m.duplicates);
  b.params = params_json(&b);
  b.todo = calloc(m.count ? m.count : 1, sizeof *b.todo);
  char *done = calloc(m.count ? m.count : 1, 1);
  kl_keyset keys = {0};
  int status = KL_EXIT_OK;
  size_t in_shard = 0;
  if (!b.params || !b.todo || !done) { fprintf(stderr, "klonos batch: out of memory\n"); status = KL_EXIT_FILE_FAILED; goto out; }
  for (size_t i = 0; i < m.count; i++) {
    if (m.rows[i].duplicate || kl_shard_of(m.rows[i].subject, m.rows[i].path, b.shard_n) != b.shard_k) continue;
    in_shard++;
    if (kl_keyset_add(&keys, m.rows[i].subject, m.rows[i].path, i)) { status = KL_EXIT_FILE_FAILED; goto out; }
  }
  kl_keyset_sort(&keys);

  if (dry_run) { /* read OUT if it exists, change nothing */
    FILE *f = b.out_path ? fopen(b.out_path, "rb") : NULL;
    if (f) status = resume_scan(&b, f, -1, &keys, done);
    if (f) fclose(f);
    if (status) goto out;
    printf("line,subject,date,path,state\n");
    for (size_t i = 0; i < m.count; i++) {
      if (kl_shard_of(m.rows[i].subject, m.rows[i].path, b.shard_n) != b.shard_k) continue;
      dry_run_print(&m.rows[i], m.rows[i].duplicate ? "duplicate" : done[i] ? "done" : "todo");
    }
    status = kl_finish_stdout(KL_EXIT_OK);
    goto out;
  }

  if ((b.fd = open_output(b.out_path)) < 0) { status = KL_EXIT_OUTPUT; goto out; }
  int scan_fd = dup(b.fd);
  FILE *f = scan_fd >= 0 ? fdopen(scan_fd, "rb") : NULL;
  if (!f) {
    if (scan_fd >= 0) close(scan_fd);
    fprintf(stderr, "klonos batch: cannot read %s: %s\n", b.out_path, strerror(errno));
    status = KL_EXIT_OUTPUT;
    goto out;
  }
  status = resume_scan(&b, f, b.fd, &keys, done);
  fclose(f);
  if (status) goto out;

  size_t already = 0;
  for (size_t i = 0; i < m.count; i++) {
    if (m.rows[i].duplicate || kl_shard_of(m.rows[i].subject, m.rows[i].path, b.shard_n) != b.shard_k) continue;
    if (done[i]) already++;
    else b.todo[b.ntodo++] = &m.rows[i];
  }
  char where[32] = "";
  if (b.shard_n > 1) snprintf(where, sizeof where, " [shard %u/%u]", b.shard_k, b.shard_n);
  if (!b.quiet || already)
    fprintf(stderr, "klonos batch%s: %zu recordings in this shard, %zu already done, %zu to analyse\n", where, in_shard,
            already, b.ntodo);
  pthread_mutex_init(&b.lock, NULL);
  run_all(&b, jobs);
  pthread_mutex_destroy(&b.lock);
  fprintf(stderr, "klonos batch%s: %zu ok, %zu failed, %zu already done, %zu not started", where, b.ok, b.failed,
          already, b.ntodo - b.finished);
  if (b.unsaved) fprintf(stderr, ", %zu analysed but not saved", b.unsaved);
  fprintf(stderr, "; %.1f s -> %s\n", seconds_since(&b.t0), b.out_path);
  status = b.write_failed ? KL_EXIT_OUTPUT : b.failed ? KL_EXIT_FILE_FAILED : KL_EXIT_OK;
  if (close(b.fd) != 0 && !status) {
    fprintf(stderr, "klonos batch: cannot write %s: %s\n", b.out_path, strerror(errno));
    status = KL_EXIT_OUTPUT;
  }
  b.fd = -1;
out:
  if (b.fd >= 0) close(b.fd);
  kl_keyset_free(&keys);
  free(done);
  free(b.todo);
  free(b.params);
  kl_manifest_free(&m);
  return status;
}
