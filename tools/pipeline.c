#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "util/json_writer.h"

#define CHUNK_FRAMES 65536

const char kl_pipeline_options_help[] =
    "Analysis options:\n"
    "  --placement P          lower-back (default), chest, wrist, ankle\n"
    "  --axes LIST            body axis of sensor x,y,z, e.g. V,ML,-AP (default: the placement's)\n"
    "  --epoch S              activity-state epoch in seconds (default 2)\n"
    "  --nonwear-window S     non-wear detection window in seconds (default 3600)\n"
    "  --calibrate            autocalibrate from still periods first (van Hees 2014; one extra read)\n";

void kl_pipeline_options_default(kl_pipeline_options *o) {
  memset(o, 0, sizeof *o);
  klonos_reader_options_default(&o->reader);
  klonos_analyzer_config_default(&o->analyzer);
}

int kl_pipeline_option(int argc, char **argv, int i, kl_pipeline_options *o, char *err, size_t errlen) {
  int t = kl_cli_reader_option(argc, argv, i, &o->reader, err, errlen);
  if (t != KL_ARG_NOT_MINE) return t;
  if (strcmp(argv[i], "--calibrate") == 0) {
    o->calibrate = 1;
    return KL_ARG_TAKEN;
  }
  static const char *const flags[] = {"--placement", "--axes", "--epoch", "--nonwear-window"};
  for (size_t f = 0; f < 4; f++) {
    int used_next, missing;
    const char *v = kl_cli_flag_value(argc, argv, i, flags[f], &used_next, &missing);
    if (missing) {
      snprintf(err, errlen, "%s needs a value", flags[f]);
      return KL_ARG_ERROR;
    }
    if (!v) continue;
    int taken = used_next ? KL_ARG_TAKEN_WITH_VALUE : KL_ARG_TAKEN;
    switch (f) {
      case 0:
        if (strlen(v) >= sizeof o->analyzer.placement) break;
        snprintf(o->analyzer.placement, sizeof o->analyzer.placement, "%s", v);
        return taken;
      case 1:
        if (strlen(v) >= sizeof o->analyzer.axes) break;
        snprintf(o->analyzer.axes, sizeof o->analyzer.axes, "%s", v);
        return taken;
      case 2:
        if (kl_cli_parse_double(flags[f], v, &o->analyzer.epoch_s, err, errlen)) return KL_ARG_ERROR;
        return taken;
      case 3:
        if (kl_cli_parse_double(flags[f], v, &o->analyzer.nonwear_window_s, err, errlen)) return KL_ARG_ERROR;
        return taken;
    }
    snprintf(err, errlen, "%s: value too long", flags[f]);
    return KL_ARG_ERROR;
  }
  return KL_ARG_NOT_MINE;
}

static int open_reader(const char *path, const kl_pipeline_options *o, klonos_reader **r, char *err, size_t errlen) {
  int rc = klonos_reader_open(r, path, &o->reader);
  if (rc) snprintf(err, errlen, "%s", *r ? klonos_reader_error(*r) : klonos_strerror(rc));
  return rc;
}

static int calibration_pass(const char *path, const kl_pipeline_options *o, kl_pipeline_result *res, float *buf,
                            char *err, size_t errlen) {
  klonos_reader *r = NULL;
  int rc = open_reader(path, o, &r, err, errlen);
  klonos_calibrator *c = NULL;
  if (!rc) {
    rc = klonos_calibrator_open(&c, res->info.sample_rate_hz, res->info.channel_count);
    if (rc)
      snprintf(err, errlen, "%s: cannot calibrate %g Hz %d-channel frames: %s", path, res->info.sample_rate_hz,
               (int)res->info.channel_count, klonos_strerror(rc));
  }
  size_t got;
  while (!rc && (rc = klonos_reader_read_f32(r, buf, CHUNK_FRAMES, &got)) == KLONOS_OK && got)
    rc = klonos_calibrator_push_f32(c, buf, got);
  if (rc && !err[0]) snprintf(err, errlen, "%s", r ? klonos_reader_error(r) : klonos_strerror(rc));
  if (!rc) res->calibration_status = klonos_calibrator_fit(c, &res->calibration);
  klonos_calibrator_close(&c);
  klonos_reader_close(&r);
  return rc;
}

int kl_pipeline_run(const char *path, const kl_pipeline_options *o, kl_pipeline_result *res, char *err, size_t errlen) {
  memset(res, 0, sizeof *res);
  err[0] = 0;
  res->calibration_status = 1;
  klonos_reader *r = NULL;
  float *buf = NULL;
  int rc = open_reader(path, o, &r, err, errlen);
  if (rc) goto done;
  klonos_reader_info(r, &res->info);
  buf = malloc(sizeof(float) * KLONOS_MAX_FRAME_CHANNELS * CHUNK_FRAMES);
  if (!buf) { rc = KLONOS_E_NOMEM; snprintf(err, errlen, "%s: out of memory", path); goto done; }
  klonos_analyzer_config cfg = o->analyzer;
  if (o->calibrate) {
    rc = calibration_pass(path, o, res, buf, err, errlen);
    if (rc) goto done;
    if (res->calibration_status == KLONOS_OK) {
      cfg.apply_calibration = 1;
      memcpy(cfg.calib_offset_g, res->calibration.offset_g, sizeof cfg.calib_offset_g);
      memcpy(cfg.calib_scale, res->calibration.scale, sizeof cfg.calib_scale);
    }
  }
  rc = klonos_analyzer_open(&res->analyzer, res->info.sample_rate_hz, res->info.channel_count, &cfg);
  if (rc) { snprintf(err, errlen, "%s: %s", path, klonos_analyzer_error(res->analyzer)); goto done; }
  size_t got;
  while ((rc = klonos_reader_read_f32(r, buf, CHUNK_FRAMES, &got)) == KLONOS_OK && got) {
    rc = klonos_analyzer_push_f32(res->analyzer, buf, got);
    if (rc) { snprintf(err, errlen, "%s: %s", path, klonos_analyzer_error(res->analyzer)); goto done; }
  }
  if (rc) { snprintf(err, errlen, "%s", klonos_reader_error(r)); goto done; }
  klonos_reader_stats(r, &res->stats);
  rc = klonos_analyzer_finish(res->analyzer);
  if (rc) snprintf(err, errlen, "%s: %s", path, klonos_analyzer_error(res->analyzer));
done:
  if (rc) klonos_analyzer_close(&res->analyzer);
  klonos_reader_close(&r);
  free(buf);
  return rc;
}

char *kl_pipeline_report(const char *path, const kl_pipeline_result *r, int include, double score_epoch_s, int *status) {
  klonos_report_context ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.file = path;
  ctx.info = &r->info;
  ctx.stats = &r->stats;
  ctx.calibration = r->calibration_status == 1 ? NULL : &r->calibration;
  ctx.calibration_status = r->calibration_status;
  ctx.include = include;
  ctx.score_epoch_s = score_epoch_s;
  size_t need = 0;
  int rc = klonos_analyzer_report_json(r->analyzer, &ctx, NULL, 0, &need);
  char *buf = NULL;
  if (rc == KLONOS_OK || rc == KLONOS_E_RANGE) {
    buf = malloc(need);
    rc = buf ? klonos_analyzer_report_json(r->analyzer, &ctx, buf, need, &need) : KLONOS_E_NOMEM;
    if (rc != KLONOS_OK) {
      free(buf);
      buf = NULL;
    }
  }
  if (status) *status = rc;
  return buf;
}

void kl_pipeline_parameters_json(struct kl_json *j, const kl_pipeline_options *o) {
  kl_json_string(j, "placement", o->analyzer.placement);
  kl_json_string(j, "axes", o->analyzer.axes[0] ? o->analyzer.axes : NULL);
  kl_json_number(j, "epoch_s", o->analyzer.epoch_s);
  kl_json_number(j, "nonwear_window_s", o->analyzer.nonwear_window_s);
  kl_json_number(j, "analysis_rate_hz", o->analyzer.analysis_rate_hz);
  kl_json_bool(j, "calibrate", o->calibrate);
  kl_json_begin_object(j, "reader");
  kl_json_int(j, "format", o->reader.format);
  kl_json_int(j, "units", o->reader.units);
  kl_json_int(j, "gyro_units", o->reader.gyro_units);
  kl_json_number(j, "rate_hz", o->reader.rate_hz);
  kl_json_number(j, "full_scale_g", o->reader.full_scale_g);
  kl_json_number(j, "max_gap_s", o->reader.max_gap_s);
  kl_json_string(j, "columns", o->reader.columns);
  kl_json_int(j, "gap_fill", o->reader.gap_fill);
  kl_json_end_object(j);
}
