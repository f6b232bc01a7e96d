/* `klonos info FILE...`: what a recording holds, read to the end so that
 * frames, clipping, gaps and bad blocks are counted, not guessed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "util/json_writer.h"
#include "klonos/klonos.h"

#define READ_CHUNK_FRAMES 65536

static const char usage[] =
    "Usage: klonos info [OPTIONS] FILE...\n"
    "Show format, channels, sample rate, frames, duration, start time, units,\n"
    "full scale, clipped samples, gaps and bad blocks of each recording.\n\n"
    "  --json                 one JSON object per file (JSON Lines)\n"
    "  -h, --help             this help\n\n";

typedef struct file_report {
  int status;
  klonos_recording_info info;
  klonos_read_stats stats;
  int64_t frames;
} file_report;

static int read_through(klonos_reader *r, file_report *rep, float *buf) {
  size_t got;
  int rc;
  while ((rc = klonos_reader_read_f32(r, buf, READ_CHUNK_FRAMES, &got)) == KLONOS_OK && got) rep->frames += (int64_t)got;
  klonos_reader_stats(r, &rep->stats);
  return rc;
}

static void format_duration(double s, char *buf, size_t len) {
  long total = (long)floor(s);
  snprintf(buf, len, "%.3f s (%02ld:%02ld:%02ld)", s, total / 3600, (total / 60) % 60, total % 60);
}

static const char *axis_names[KLONOS_MAX_FRAME_CHANNELS] = {"acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"};

static void print_text(const char *path, const file_report *rep, klonos_reader *r) {
  const klonos_recording_info *in = &rep->info;
  const klonos_read_stats *st = &rep->stats;
  char dur[64];
  printf("%s\n", path);
  printf("  format        %s (%s)\n", klonos_format_name(in->format), in->format_detail);
  if (in->device[0]) printf("  device        %s\n", in->device);
  printf("  channels      %d per frame:", in->channel_count);
  for (int c = 0; c < in->channel_count; c++) printf(" %s", axis_names[c]);
  printf("\n  source        %d channel%s:", in->source_channel_count, in->source_channel_count == 1 ? "" : "s");
  for (int c = 0; c < in->source_channel_count && c < KLONOS_MAX_SOURCE_CHANNELS; c++)
    printf(" %s", klonos_role_name(in->source_roles[c]));
  printf("\n  sample rate   %g Hz", in->sample_rate_hz);
  if (in->nominal_rate_hz > 0 && fabs(in->nominal_rate_hz - in->sample_rate_hz) > 1e-9)
    printf(" (nominal %g Hz)", in->nominal_rate_hz);
  if (in->measured_rate_hz > 0) printf(" (measured from timestamps %.3f Hz)", in->measured_rate_hz);
  printf("\n  frames        %lld\n", (long long)rep->frames);
  format_duration((double)rep->frames / in->sample_rate_hz, dur, sizeof dur);
  printf("  duration      %s\n", dur);
  printf("  start time    %s\n", in->has_start_time ? in->start_time_iso : "unknown (not in file)");
  printf("  units         stored in %s; delivered in m/s^2%s\n", klonos_units_name(in->source_units),
         in->channel_count == 6 ? " and rad/s" : "");
  if (in->full_scale_g > 0) printf("  full scale    +-%g g", in->full_scale_g);
  else printf("  full scale    unknown");
  if (in->gyro_full_scale_dps > 0) printf(", +-%g deg/s", in->gyro_full_scale_dps);
  printf("\n  clipped       x %lld, y %lld, z %lld\n", (long long)st->clipped[0], (long long)st->clipped[1],
         (long long)st->clipped[2]);
  printf("  gaps          %lld (%.3f s, %lld NaN frames)\n", (long long)st->gap_count, st->gap_total_s,
         (long long)st->nan_frames);
  printf("  bad blocks    %lld\n", (long long)st->bad_blocks);
  for (size_t i = 0; i < 10; i++) {
    klonos_notice n;
    if (klonos_reader_notice(r, i, &n) != KLONOS_OK) break;
    printf("  notice        %s\n", n.message);
  }
  if (st->notice_count > 10) printf("  notice        ... %lld more\n", (long long)(st->notice_count - 10));
}

static void print_json(const char *path, const file_report *rep, klonos_reader *r) {
  const klonos_recording_info *in = &rep->info;
  const klonos_read_stats *st = &rep->stats;
  kl_json j;
  kl_json_init(&j);
  kl_json_begin_object(&j, NULL);
  kl_json_string(&j, "file", path);
  kl_json_bool(&j, "ok", 1);
  kl_json_string(&j, "format", klonos_format_name(in->format));
  kl_json_string(&j, "format_detail", in->format_detail);
  kl_json_string(&j, "device", in->device[0] ? in->device : NULL);
  kl_json_int(&j, "channel_count", in->channel_count);
  kl_json_begin_array(&j, "channels");
  for (int c = 0; c < in->channel_count; c++) kl_json_string(&j, NULL, axis_names[c]);
  kl_json_end_array(&j);
  kl_json_begin_array(&j, "source_channels");
  for (int c = 0; c < in->source_channel_count && c < KLONOS_MAX_SOURCE_CHANNELS; c++)
    kl_json_string(&j, NULL, klonos_role_name(in->source_roles[c]));
  kl_json_end_array(&j);
  kl_json_number(&j, "sample_rate_hz", in->sample_rate_hz);
  kl_json_number(&j, "nominal_rate_hz", in->nominal_rate_hz > 0 ? in->nominal_rate_hz : NAN);
  kl_json_number(&j, "measured_rate_hz", in->measured_rate_hz > 0 ? in->measured_rate_hz : NAN);
  kl_json_int(&j, "frames", rep->frames);
  kl_json_number(&j, "duration_s", (double)rep->frames / in->sample_rate_hz);
  kl_json_string(&j, "start_time", in->has_start_time ? in->start_time_iso : NULL);
  kl_json_string(&j, "source_units", klonos_units_name(in->source_units));
  kl_json_number(&j, "full_scale_g", in->full_scale_g > 0 ? in->full_scale_g : NAN);
  kl_json_number(&j, "gyro_full_scale_dps", in->gyro_full_scale_dps > 0 ? in->gyro_full_scale_dps : NAN);
  kl_json_begin_object(&j, "clipped");
  for (int c = 0; c < in->channel_count; c++) kl_json_int(&j, axis_names[c], st->clipped[c]);
  kl_json_end_object(&j);
  kl_json_int(&j, "gap_count", st->gap_count);
  kl_json_number(&j, "gap_total_s", st->gap_total_s);
  kl_json_int(&j, "nan_frames", st->nan_frames);
  kl_json_int(&j, "bad_blocks", st->bad_blocks);
  kl_json_begin_array(&j, "notices");
  for (size_t i = 0;; i++) {
    klonos_notice n;
    if (klonos_reader_notice(r, i, &n) != KLONOS_OK) break;
    kl_json_string(&j, NULL, n.message);
  }
  kl_json_end_array(&j);
  kl_json_int(&j, "notice_count", st->notice_count);
  kl_json_end_object(&j);
  kl_cli_print_json(&j);
}

static void print_json_error(const char *path, int rc, const char *msg) {
  kl_json j;
  kl_json_init(&j);
  kl_json_begin_object(&j, NULL);
  kl_json_string(&j, "file", path);
  kl_json_bool(&j, "ok", 0);
  kl_json_begin_object(&j, "error");
  kl_json_int(&j, "code", rc);
  kl_json_string(&j, "name", klonos_status_name(rc));
  kl_json_string(&j, "message", msg);
  kl_json_end_object(&j);
  kl_json_end_object(&j);
  kl_cli_print_json(&j);
}

int kl_cmd_info(int argc, char **argv) {
  klonos_reader_options opt;
  klonos_reader_options_default(&opt);
  int json = 0;
  int first_file = 0, nfiles = 0;
  char **files = calloc((size_t)argc, sizeof *files);
  if (!files) return KL_EXIT_FILE_FAILED;
  for (int i = 1; i < argc; i++) {
    char err[256];
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      fputs(kl_cli_reader_options_help, stdout);
      free(files);
      return kl_finish_stdout(KL_EXIT_OK);
    }
    if (strcmp(argv[i], "--json") == 0) { json = 1; continue; }
    if (strcmp(argv[i], "--") == 0) { first_file = 1; continue; }
    if (!first_file && argv[i][0] == '-' && argv[i][1]) {
      int t = kl_cli_reader_option(argc, argv, i, &opt, err, sizeof err);
      if (t == KL_ARG_ERROR) { fprintf(stderr, "klonos info: %s\n", err); free(files); return KL_EXIT_USAGE; }
      if (t == KL_ARG_NOT_MINE) {
        fprintf(stderr, "klonos info: unknown option '%s' (see klonos info --help)\n", argv[i]);
        free(files);
        return KL_EXIT_USAGE;
      }
      if (t == KL_ARG_TAKEN_WITH_VALUE) i++;
      continue;
    }
    files[nfiles++] = argv[i];
  }
  if (nfiles == 0) {
    fprintf(stderr, "klonos info: no FILE given (see klonos info --help)\n");
    free(files);
    return KL_EXIT_USAGE;
  }
  float *buf = malloc(sizeof(float) * KLONOS_MAX_FRAME_CHANNELS * READ_CHUNK_FRAMES);
  if (!buf) { free(files); fprintf(stderr, "klonos info: out of memory\n"); return KL_EXIT_FILE_FAILED; }
  int status = KL_EXIT_OK;
  for (int f = 0; f < nfiles; f++) {
    file_report rep;
    memset(&rep, 0, sizeof rep);
    klonos_reader *r = NULL;
    int rc = klonos_reader_open(&r, files[f], &opt);
    if (rc == KLONOS_OK) {
      klonos_reader_info(r, &rep.info);
      rc = read_through(r, &rep, buf);
    }
    if (rc != KLONOS_OK) {
      const char *msg = r ? klonos_reader_error(r) : klonos_strerror(rc);
      fprintf(stderr, "klonos info: %s\n", msg[0] ? msg : klonos_strerror(rc));
      if (json) print_json_error(files[f], rc, msg);
      status = KL_EXIT_FILE_FAILED;
    } else if (json) {
      print_json(files[f], &rep, r);
    } else {
      if (f > 0) printf("\n");
      print_text(files[f], &rep, r);
    }
    klonos_reader_close(&r);
    fflush(stdout);
  }
  free(buf);
  free(files);
  return kl_finish_stdout(status);
}
