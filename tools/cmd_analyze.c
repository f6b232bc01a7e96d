/* `klonos analyze FILE...`: the main job. Each recording goes through the
 * whole pipeline (readers, conditioning, jerks, sway, gait, scores); several
 * files run in parallel (--jobs), and reports come out in input order. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_args.h"
#include "commands.h"
#include "pipeline.h"
#include "plot.h"
#include "util/json_writer.h"

static const char usage[] =
    "Usage: klonos analyze [OPTIONS] FILE...\n"
    "Measure myoclonus (jerks), truncal sway, gait and activity states, and\n"
    "score their severity 0-100 (docs/scores.md).\n\n"
    "  --format text|json|csv   report (default text); json = one object per file\n"
    "                           (docs/report.md); csv = the per-epoch score table\n"
    "  --score-epoch S          per-epoch scores every S seconds (default 60)\n"
    "  --events                 json: include every jerk, cluster and tremor episode\n"
    "  --jobs N                 files analysed in parallel (default: the number of cores)\n"
    "  --plot FILE              draw each recording's timeline (.png, .svg or .pdf);\n"
    "                           with several inputs FILE-1.png, FILE-2.png... in input order\n"
    "  -h, --help               this help\n\n";

enum { FMT_TEXT, FMT_JSON, FMT_CSV };

typedef struct job {
  const char *path;
  char *out;          /* what to print on stdout */
  char err[640];      /* what to print on stderr ("" when fine) */
  int status;
  int done;
  int plot_failed;    /* --plot could not be written: exit status 3 */
} job;

typedef struct shared {
  kl_pipeline_options opt;
  int format;
  int include_events;
  const char *plot;   /* --plot FILE, or NULL */
  double score_epoch_s;
  job *jobs;
  int njobs;
  int next;           /* next job to start */
  pthread_mutex_t lock;
  pthread_cond_t cond;
} shared;


/* A growing text buffer for the human-readable and CSV forms. */
typedef struct text {
  char *s;
  size_t len, cap;
} text;

static void tprintf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void tprintf(text *t, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    size_t room = t->cap - t->len;
    int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? room : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (t->s && (size_t)n < room) { t->len += (size_t)n; return; }
    size_t cap = t->cap ? t->cap * 2 : 1024;
    while (cap < t->len + (size_t)n + 1) cap *= 2;
    char *p = realloc(t->s, cap);
    if (!p) return;
    t->s = p;
    t->cap = cap;
  }
}

static void fmt_score(char *buf, size_t len, double v) {
  if (isfinite(v)) snprintf(buf, len, "%.0f", v);
  else snprintf(buf, len, "n/a");
}

static void fmt_minutes(char *buf, size_t len, double s) {
  if (s >= 3600) snprintf(buf, len, "%.0f h %02.0f min", floor(s / 3600), fmod(floor(s / 60), 60));
  else if (s >= 60) snprintf(buf, len, "%.1f min", s / 60);
  else snprintf(buf, len, "%.1f s", s);
}

static char *text_report(const char *path, const kl_pipeline_result *r) {
  klonos_analyzer *a = r->analyzer;
  text t = {0};
  double dur, st[KLONOS_STATE_COUNT];
  klonos_analyzer_duration_s(a, &dur);
  for (int s = 0; s < KLONOS_STATE_COUNT; s++) klonos_analyzer_state_seconds(a, s, &st[s]);
  klonos_scores sc;
  klonos_analyzer_scores(a, &sc);
  char d1[32], d2[32], s1[16], s2[16], s3[16], s4[16];
  fmt_minutes(d1, sizeof d1, dur);
  fmt_minutes(d2, sizeof d2, sc.wear_s);
  tprintf(&t, "%s\n", path);
  tprintf(&t, "  recording   %g Hz, %s (worn %s)%s%s\n", r->info.sample_rate_hz, d1, d2,
          r->info.has_start_time ? ", start " : "", r->info.has_start_time ? r->info.start_time_iso : "");
  if (r->calibration_status == KLONOS_OK)
    tprintf(&t, "  calibration error %.1f -> %.1f mg (%lld still windows)\n", r->calibration.error_before_mg,
            r->calibration.error_after_mg, (long long)r->calibration.still_windows);
  else if (r->calibration_status != 1)
    tprintf(&t, "  calibration not applied: %s\n", r->calibration.why);
  tprintf(&t, "  states      lying %.1f min, upright still %.1f min, walking %.1f min, other %.1f min, non-wear %.1f min",
          st[KLONOS_STATE_LYING] / 60, st[KLONOS_STATE_UPRIGHT_STILL] / 60, st[KLONOS_STATE_WALKING] / 60,
          st[KLONOS_STATE_OTHER] / 60, st[KLONOS_STATE_NONWEAR] / 60);
  if (st[KLONOS_STATE_MISSING] > 0) tprintf(&t, ", missing %.1f min", st[KLONOS_STATE_MISSING] / 60);
  tprintf(&t, "\n");
  size_t ne = 0, nc = 0, nt = 0;
  klonos_analyzer_event_count(a, &ne);
  klonos_analyzer_cluster_count(a, &nc);
  klonos_analyzer_tremor_count(a, &nt);
  fmt_score(s1, sizeof s1, sc.myoclonus);
  tprintf(&t, "  myoclonus   %zu jerks", ne);
  if (isfinite(sc.events_per_min)) tprintf(&t, " (%.2f per min worn)", sc.events_per_min);
  if (isfinite(sc.amp_median_mps2)) tprintf(&t, ", median %.1f m/s^2", sc.amp_median_mps2);
  tprintf(&t, ", %zu cluster%s, %zu tremor episode%s   score %s\n", nc, nc == 1 ? "" : "s", nt, nt == 1 ? "" : "s", s1);
  klonos_sway_metrics sw;
  fmt_score(s2, sizeof s2, sc.stance);
  if (klonos_analyzer_sway_summary(a, &sw) == KLONOS_OK)
    tprintf(&t, "  sway        %d bout%s, %.1f min: RMS AP %.3f ML %.3f m/s^2, jerk %.3g m^2/s^6, centroid %.2f Hz   score %s\n",
            sw.bouts, sw.bouts == 1 ? "" : "s", sw.duration_s / 60, sw.rms_ap_mps2, sw.rms_ml_mps2, sw.jerk_per_s_m2ps6,
            sw.centroid_freq_hz, s2);
  else
    tprintf(&t, "  sway        no quiet upright bout of 10 s or more   score n/a\n");
  klonos_gait_metrics gm;
  fmt_score(s3, sizeof s3, sc.gait);
  if (klonos_analyzer_gait_summary(a, &gm) == KLONOS_OK)
    tprintf(&t, "  gait        %d bout%s, %d steps: cadence %.0f steps/min, stride CV %.3f, step regularity %.2f, HR AP %.2f, ML RMS %.2f m/s^2   score %s\n",
            gm.bouts, gm.bouts == 1 ? "" : "s", gm.steps, gm.cadence_spm, gm.stride_time_cv, gm.step_regularity_v,
            gm.harmonic_ratio_ap, gm.ml_rms_mps2, s3);
  else
    tprintf(&t, "  gait        no walking bout of at least 6 steps and 5 s   score n/a\n");
  klonos_function fn;
  char s5[16];
  klonos_analyzer_function(a, &fn);
  fmt_score(s5, sizeof s5, sc.function);
  tprintf(&t, "  function    upright %.0f %%, walking %.0f %% of worn time, %lld walking bouts, %lld falls", fn.upright_pct,
          fn.walking_pct, (long long)fn.walking_bouts, (long long)fn.falls);
  if (isfinite(fn.falls_per_upright_h)) tprintf(&t, " (%.1f per upright hour)", fn.falls_per_upright_h);
  else tprintf(&t, " (no upright time: rates not applicable)");
  tprintf(&t, ", %lld near-falls   score %s\n", (long long)fn.near_falls, s5);
  fmt_score(s4, sizeof s4, sc.motor);
  tprintf(&t, "  severity    motor %s (myoclonus %s, stance %s, gait %s, function %s; 0 = no sign, 100 = severe)\n", s4, s1,
          s2, s3, s5);
  return t.s;
}

static char *csv_report(const char *path, const kl_pipeline_result *r, double epoch_s) {
  text t = {0};
  size_t n = 0;
  klonos_analyzer_epoch_count(r->analyzer, epoch_s, &n);
  tprintf(&t, "%s", "");
  for (size_t i = 0; i < n; i++) {
    klonos_epoch_scores e;
    klonos_analyzer_epoch_get(r->analyzer, epoch_s, i, &e);
    char m[16], s[16], g[16], mo[16];
    snprintf(m, sizeof m, isfinite(e.myoclonus) ? "%.2f" : "", e.myoclonus);
    snprintf(s, sizeof s, isfinite(e.stance) ? "%.2f" : "", e.stance);
    snprintf(g, sizeof g, isfinite(e.gait) ? "%.2f" : "", e.gait);
    snprintf(mo, sizeof mo, isfinite(e.motor) ? "%.2f" : "", e.motor);
    tprintf(&t, "%s,%.3f,%.3f,%.1f,%.1f,%.1f,%.1f,%lld,%s,%s,%s,%s,%lld\n", path, e.start_s, e.end_s, e.wear_s,
            e.upright_still_s, e.walking_s, e.lying_s, (long long)e.events, m, s, g, mo, (long long)e.falls);
  }
  return t.s;
}

static char *json_report(const char *path, const kl_pipeline_result *r, const shared *sh, char *err, size_t errlen) {
  int rc;
  char *buf = kl_pipeline_report(path, r, sh->include_events ? KLONOS_REPORT_EVENTS : 0, sh->score_epoch_s, &rc);
  if (!buf) {
    snprintf(err, errlen, "%s: cannot write the report: %s", path, klonos_strerror(rc));
    return NULL;
  }
  size_t len = strlen(buf);
  char *line = realloc(buf, len + 2);
  if (!line) {
    free(buf);
    snprintf(err, errlen, "%s: cannot write the report: %s", path, klonos_strerror(KLONOS_E_NOMEM));
    return NULL;
  }
  line[len] = '\n';
  line[len + 1] = 0;
  return line;
}

static void run_job(shared *sh, job *jb) {
  kl_pipeline_result r;
  int rc = kl_pipeline_run(jb->path, &sh->opt, &r, jb->err, sizeof jb->err);
  if (rc) {
    jb->status = rc;
    if (sh->format == FMT_JSON) {
      kl_json j;
      kl_json_init(&j);
      kl_json_begin_object(&j, NULL);
      kl_json_string(&j, "klonos_version", klonos_version());
      kl_json_string(&j, "file", jb->path);
      kl_json_begin_object(&j, "error");
      kl_json_int(&j, "code", rc);
      kl_json_string(&j, "name", klonos_status_name(rc));
      kl_json_string(&j, "message", jb->err);
      kl_json_end_object(&j);
      kl_json_end_object(&j);
      if (!j.failed) {
        jb->out = malloc(j.len + 2);
        if (jb->out) { memcpy(jb->out, j.buf, j.len); jb->out[j.len] = '\n'; jb->out[j.len + 1] = 0; }
      }
      kl_json_free(&j);
    }
    return;
  }
  if (sh->format == FMT_JSON) jb->out = json_report(jb->path, &r, sh, jb->err, sizeof jb->err);
  else if (sh->format == FMT_CSV) jb->out = csv_report(jb->path, &r, sh->score_epoch_s);
  else jb->out = text_report(jb->path, &r);
  if (!jb->out && !jb->err[0]) snprintf(jb->err, sizeof jb->err, "%s: out of memory writing the report", jb->path);
  if (jb->err[0]) jb->status = KLONOS_E_NOMEM;
  if (sh->plot && !jb->err[0]) {
    char out[4200];
    kl_plot_numbered_path(sh->plot, (int)(jb - sh->jobs) + 1, sh->njobs, out, sizeof out);
    jb->plot_failed = kl_plot_timeline(out, jb->path, &sh->opt, &r, sh->score_epoch_s, jb->err, sizeof jb->err) != 0;
  }
  klonos_analyzer_close(&r.analyzer);
}

static void *worker(void *arg) {
  shared *sh = arg;
  for (;;) {
    pthread_mutex_lock(&sh->lock);
    int i = sh->next < sh->njobs ? sh->next++ : -1;
    pthread_mutex_unlock(&sh->lock);
    if (i < 0) return NULL;
    run_job(sh, &sh->jobs[i]);
    pthread_mutex_lock(&sh->lock);
    sh->jobs[i].done = 1;
    pthread_cond_broadcast(&sh->cond);
    pthread_mutex_unlock(&sh->lock);
  }
}

int kl_cmd_analyze(int argc, char **argv) {
  shared sh;
  memset(&sh, 0, sizeof sh);
  kl_pipeline_options_default(&sh.opt);
  sh.format = FMT_TEXT;
  sh.score_epoch_s = 60.0;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int jobs_n = cores > 0 ? (int)cores : 1;
  const char **files = calloc((size_t)argc, sizeof *files);
  int nfiles = 0, only_files = 0;
  if (!files) return KL_EXIT_FILE_FAILED;
  for (int i = 1; i < argc; i++) {
    char err[256];
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
    if (strcmp(argv[i], "--events") == 0) { sh.include_events = 1; continue; }
    if ((v = kl_cli_flag_value(argc, argv, i, "--plot", &used_next, &missing)) || missing) {
      if (!v || !kl_plot_path_ok(v)) {
        fprintf(stderr, "klonos analyze: --plot needs a file name ending in .png, .svg or .pdf\n");
        free(files);
        return KL_EXIT_USAGE;
      }
      sh.plot = v;
      i += used_next;
      continue;
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--format", &used_next, &missing)) || missing) {
      if (v && strcmp(v, "text") == 0) sh.format = FMT_TEXT;
      else if (v && strcmp(v, "json") == 0) sh.format = FMT_JSON;
      else if (v && strcmp(v, "csv") == 0) sh.format = FMT_CSV;
      else { fprintf(stderr, "klonos analyze: --format needs text, json or csv\n"); free(files); return KL_EXIT_USAGE; }
      i += used_next;
      continue;
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--jobs", &used_next, &missing)) || missing) {
      double d;
      if (!v || kl_cli_parse_double("--jobs", v, &d, err, sizeof err) || d < 1 || d > 256 || d != floor(d)) {
        fprintf(stderr, "klonos analyze: --jobs needs a whole number from 1 to 256\n");
        free(files);
        return KL_EXIT_USAGE;
      }
      jobs_n = (int)d;
      i += used_next;
      continue;
    }
    if ((v = kl_cli_flag_value(argc, argv, i, "--score-epoch", &used_next, &missing)) || missing) {
      if (!v || kl_cli_parse_double("--score-epoch", v, &sh.score_epoch_s, err, sizeof err) || sh.score_epoch_s < 1) {
        fprintf(stderr, "klonos analyze: --score-epoch needs a number of seconds >= 1\n");
        free(files);
        return KL_EXIT_USAGE;
      }
      i += used_next;
      continue;
    }
    int t = kl_pipeline_option(argc, argv, i, &sh.opt, err, sizeof err);
    if (t == KL_ARG_ERROR || t == KL_ARG_NOT_MINE) {
      fprintf(stderr, "klonos analyze: %s\n", t == KL_ARG_ERROR ? err : "unknown option (see klonos analyze --help)");
      free(files);
      return KL_EXIT_USAGE;
    }
    if (t == KL_ARG_TAKEN_WITH_VALUE) i++;
  }
  if (!nfiles) {
    fprintf(stderr, "klonos analyze: no FILE given (see klonos analyze --help)\n");
    free(files);
    return KL_EXIT_USAGE;
  }
  sh.jobs = calloc((size_t)nfiles, sizeof *sh.jobs);
  if (!sh.jobs) { free(files); return KL_EXIT_FILE_FAILED; }
  for (int f = 0; f < nfiles; f++) sh.jobs[f].path = files[f];
  sh.njobs = nfiles;
  pthread_mutex_init(&sh.lock, NULL);
  pthread_cond_init(&sh.cond, NULL);
  if (jobs_n > nfiles) jobs_n = nfiles;
  pthread_t *threads = calloc((size_t)jobs_n, sizeof *threads);
  int started = 0;
  for (int k = 0; threads && k < jobs_n; k++)
    if (pthread_create(&threads[k], NULL, worker, &sh) == 0) started++;
  if (sh.format == FMT_CSV) printf("file,start_s,end_s,wear_s,upright_still_s,walking_s,lying_s,events,myoclonus,stance,gait,motor,falls\n");
  int status = KL_EXIT_OK, plot_failed = 0;
  int tty = isatty(STDERR_FILENO);
  for (int f = 0; f < nfiles; f++) {
    pthread_mutex_lock(&sh.lock);
    while (!sh.jobs[f].done) {
      if (!started) { /* no thread could start: work here */
        pthread_mutex_unlock(&sh.lock);
        run_job(&sh, &sh.jobs[f]);
        pthread_mutex_lock(&sh.lock);
        sh.jobs[f].done = 1;
        break;
      }
      pthread_cond_wait(&sh.cond, &sh.lock);
    }
    pthread_mutex_unlock(&sh.lock);
    job *jb = &sh.jobs[f];
    if (jb->err[0]) fprintf(stderr, "klonos analyze: %s\n", jb->err);
    if (jb->status) status = KL_EXIT_FILE_FAILED;
    if (jb->plot_failed) plot_failed = 1;
    if (jb->out) {
      if (f > 0 && sh.format == FMT_TEXT) fputc('\n', stdout);
      fputs(jb->out, stdout);
      fflush(stdout);
    }
    free(jb->out);
    jb->out = NULL;
    if (tty && nfiles > 1) fprintf(stderr, "\rklonos analyze: %d/%d files", f + 1, nfiles);
  }
  if (tty && nfiles > 1) fprintf(stderr, "\n");
  for (int k = 0; k < started; k++) pthread_join(threads[k], NULL);
  if (sh.plot) kl_plot_release();
  free(threads);
  pthread_mutex_destroy(&sh.lock);
  pthread_cond_destroy(&sh.cond);
  free(sh.jobs);
  free(files);
  return kl_finish_stdout(plot_failed ? KL_EXIT_OUTPUT : status);
}
