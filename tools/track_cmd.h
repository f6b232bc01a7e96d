/* The `klonos track` subcommands (cmd_track.c dispatches) and the option
 * handling they share. */
#ifndef KLONOS_TOOLS_TRACK_CMD_H
#define KLONOS_TOOLS_TRACK_CMD_H

#include <stddef.h>

#include "mdc.h"

#define KL_TRACK_DEFAULT_DB "klonos.db"

int kl_track_add(int argc, char **argv);
int kl_track_show(int argc, char **argv);
int kl_track_plot(int argc, char **argv);
int kl_track_list(int argc, char **argv);
int kl_track_export(int argc, char **argv);

/* A subject ID: 1-64 bytes, no control characters. 0 if fine, else -1 with err. */
int kl_track_check_subject(const char *subject, char *err, size_t errlen);

/* MDC95 in effect: defaults, then KLONOS_MDC, then --mdc options. */
typedef struct kl_track_mdc {
  double value[KL_SCORE_COUNT];
  int overridden[KL_SCORE_COUNT]; /* 0 default, 1 environment, 2 option */
} kl_track_mdc;
/* Defaults + the environment. 0, or -1 with err (bad KLONOS_MDC). */
int kl_track_mdc_init(kl_track_mdc *m, char *err, size_t errlen);
/* Apply "score=value[,score=value...]" from source 1 (env) or 2 (option). */
int kl_track_mdc_parse(kl_track_mdc *m, const char *text, int source, char *err, size_t errlen);
/* "default, not yet measured", "measured", or what was overridden. */
void kl_track_mdc_describe(const kl_track_mdc *m, char *buf, size_t len);

/* Write a CSV cell, quoted when it needs to be (RFC 4180). */
void kl_csv_cell(const char *s);

#endif
