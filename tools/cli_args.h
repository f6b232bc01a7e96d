/* Argument parsing shared by the klonos commands: the reader options every
 * command accepts, and number parsing with clear messages. */
#ifndef KLONOS_TOOLS_CLI_ARGS_H
#define KLONOS_TOOLS_CLI_ARGS_H

#include <stddef.h>

#include "klonos/klonos.h"

/* Result of offering one argument to a parser. */
enum { KL_ARG_NOT_MINE = 0, KL_ARG_TAKEN = 1, KL_ARG_TAKEN_WITH_VALUE = 2, KL_ARG_ERROR = -1 };

/* Try to consume argv[i] (and argv[i+1] as its value, or "--flag=value") as a
 * reader option: --units, --gyro-units, --rate, --columns, --full-scale,
 * --max-gap, --input-format. Returns KL_ARG_*; on KL_ARG_ERROR @p err holds
 * the reason. */
int kl_cli_reader_option(int argc, char **argv, int i, klonos_reader_options *o, char *err, size_t errlen);

/* Parse a finite double; 0 on success, -1 with @p err set otherwise. */
int kl_cli_parse_double(const char *flag, const char *text, double *out, char *err, size_t errlen);

/* If argv[i] is "--flag" or "--flag=value", return the value ("--flag" takes
 * argv[i+1] and sets *used_next). NULL when argv[i] is another flag; sets
 * *missing when the value is absent. */
const char *kl_cli_flag_value(int argc, char **argv, int i, const char *flag, int *used_next, int *missing);

/* Help text for the reader options, for each command's --help. */
extern const char kl_cli_reader_options_help[];

#endif
