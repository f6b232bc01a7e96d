/* The CLI's path from a file to a finished analyzer: open, optionally
 * autocalibrate in a first pass, then stream every frame through the analyzer. */
#ifndef KLONOS_TOOLS_PIPELINE_H
#define KLONOS_TOOLS_PIPELINE_H

#include "klonos/klonos.h"

typedef struct kl_pipeline_options {
  klonos_reader_options reader;
  klonos_analyzer_config analyzer;
  int calibrate;             /* 1: run the autocalibration pass first */
} kl_pipeline_options;

typedef struct kl_pipeline_result {
  klonos_recording_info info;
  klonos_read_stats stats;
  klonos_calibration calibration;
  int calibration_status;    /* KLONOS_OK, KLONOS_E_NODATA (refused), or 1 = not requested */
  klonos_analyzer *analyzer; /* finished; the caller closes it */
} kl_pipeline_result;

void kl_pipeline_options_default(kl_pipeline_options *o);

/* Parse --placement, --axes, --epoch, --calibrate, --nonwear-window and the
 * reader options at argv[i]; KL_ARG_* like kl_cli_reader_option. */
int kl_pipeline_option(int argc, char **argv, int i, kl_pipeline_options *o, char *err, size_t errlen);
extern const char kl_pipeline_options_help[];

struct kl_json;

/* The canonical report of a finished run (klonos_analyzer_report_json with
 * the file's reader info, stats and calibration): a malloc'd NUL-terminated
 * string, or NULL with *status set. @p include: klonos_report_part bits. */
char *kl_pipeline_report(const char *path, const kl_pipeline_result *r, int include, double score_epoch_s, int *status);

/* The analysis parameters, as key/value pairs inside an open JSON object:
 * what a stored result was computed with (tracker, batch). */
void kl_pipeline_parameters_json(struct kl_json *j, const kl_pipeline_options *o);

/* Run; on failure returns the status and writes "FILE: problem" to err. */
int kl_pipeline_run(const char *path, const kl_pipeline_options *o, kl_pipeline_result *res, char *err, size_t errlen);

#endif
