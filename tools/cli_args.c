#include "cli_args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char kl_cli_reader_options_help[] =
    "Reader options:\n"
    "  --units g|mps2|mg      units of float/text acceleration (default: the file's, else g)\n"
    "  --gyro-units dps|rads  units of text/float angular rate (default: the header's, else deg/s)\n"
    "  --rate HZ              sample rate; required for CSV without a time column,\n"
    "                         for timestamped files the output grid rate\n"
    "  --columns LIST         CSV columns [t,]x,y,z[,gx,gy,gz] by name or 1-based index\n"
    "  --full-scale G         full scale of integer PCM when the file does not say (default 8)\n"
    "  --max-gap S            timestamp gaps longer than S seconds become NaN and are reported (default 1)\n"
    "  --gaps last|zero|nan   fill of ActiGraph idle-sleep gaps (default last; always reported)\n"
    "  --input-format F       auto|sndfile|csv|cwa|geneactiv|gt3x|edf (default auto: detected from content)\n";

int kl_cli_parse_double(const char *flag, const char *text, double *out, char *err, size_t errlen) {
  char *end = NULL;
  double v = strtod(text, &end);
  if (!*text || *end || !isfinite(v)) {
    snprintf(err, errlen, "%s: '%s' is not a number", flag, text);
    return -1;
  }
  *out = v;
  return 0;
}

const char *kl_cli_flag_value(int argc, char **argv, int i, const char *flag, int *used_next, int *missing) {
  size_t n = strlen(flag);
  *used_next = 0;
  *missing = 0;
  if (strncmp(argv[i], flag, n) != 0) return NULL;
  if (argv[i][n] == '=') return argv[i] + n + 1;
  if (argv[i][n] != '\0') return NULL;
  if (i + 1 >= argc) {
    *missing = 1;
    return NULL;
  }
  *used_next = 1;
  return argv[i + 1];
}

static int parse_units(const char *v, int *out) {
  static const struct { const char *name; int units; } table[] = {
      {"g", KLONOS_UNITS_G}, {"mps2", KLONOS_UNITS_MPS2}, {"m/s^2", KLONOS_UNITS_MPS2}, {"mg", KLONOS_UNITS_MG},
      {"dps", KLONOS_UNITS_DPS}, {"deg/s", KLONOS_UNITS_DPS}, {"rads", KLONOS_UNITS_RADPS},
      {"rad/s", KLONOS_UNITS_RADPS}, {"auto", KLONOS_UNITS_AUTO}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(v, table[i].name) == 0) { *out = table[i].units; return 0; }
  return -1;
}

int kl_cli_reader_option(int argc, char **argv, int i, klonos_reader_options *o, char *err, size_t errlen) {
  static const char *const flags[] = {"--units", "--gyro-units", "--rate", "--columns",
                                      "--full-scale", "--max-gap", "--input-format", "--gaps"};
  for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
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
      case 1: {
        int u;
        int ok = parse_units(v, &u) == 0;
        int is_gyro = f == 1;
        if (ok && is_gyro) ok = u == KLONOS_UNITS_DPS || u == KLONOS_UNITS_RADPS || u == KLONOS_UNITS_AUTO;
        if (ok && !is_gyro) ok = u == KLONOS_UNITS_G || u == KLONOS_UNITS_MPS2 || u == KLONOS_UNITS_MG || u == KLONOS_UNITS_AUTO;
        if (!ok) {
          snprintf(err, errlen, "%s: '%s' is not one of %s", flags[f], v, is_gyro ? "dps, rads" : "g, mps2, mg");
          return KL_ARG_ERROR;
        }
        if (is_gyro) o->gyro_units = u; else o->units = u;
        return taken;
      }
      case 2:
        if (kl_cli_parse_double(flags[f], v, &o->rate_hz, err, errlen)) return KL_ARG_ERROR;
        if (o->rate_hz <= 0 || o->rate_hz > 100000) {
          snprintf(err, errlen, "--rate: %s Hz is out of range (0 < rate <= 100000)", v);
          return KL_ARG_ERROR;
        }
        return taken;
      case 3:
        if (strlen(v) >= sizeof o->columns) {
          snprintf(err, errlen, "--columns: list longer than %zu characters", sizeof o->columns - 1);
          return KL_ARG_ERROR;
        }
        snprintf(o->columns, sizeof o->columns, "%s", v);
        return taken;
      case 4:
        if (kl_cli_parse_double(flags[f], v, &o->full_scale_g, err, errlen)) return KL_ARG_ERROR;
        if (o->full_scale_g <= 0 || o->full_scale_g > 1000) {
          snprintf(err, errlen, "--full-scale: %s g is out of range (0 < G <= 1000)", v);
          return KL_ARG_ERROR;
        }
        return taken;
      case 5:
        if (kl_cli_parse_double(flags[f], v, &o->max_gap_s, err, errlen)) return KL_ARG_ERROR;
        if (o->max_gap_s <= 0) {
          snprintf(err, errlen, "--max-gap: must be a positive number of seconds");
          return KL_ARG_ERROR;
        }
        return taken;
      case 6: {
        static const struct { const char *name; int fmt; } fm[] = {
            {"auto", KLONOS_FORMAT_AUTO}, {"sndfile", KLONOS_FORMAT_SNDFILE}, {"wav", KLONOS_FORMAT_SNDFILE},
            {"csv", KLONOS_FORMAT_CSV}, {"cwa", KLONOS_FORMAT_CWA}, {"geneactiv", KLONOS_FORMAT_GENEACTIV},
            {"gt3x", KLONOS_FORMAT_GT3X}, {"edf", KLONOS_FORMAT_EDF}};
        for (size_t k = 0; k < sizeof fm / sizeof fm[0]; k++)
          if (strcmp(v, fm[k].name) == 0) { o->format = fm[k].fmt; return taken; }
        snprintf(err, errlen, "--input-format: '%s' is not one of auto, sndfile, csv, cwa, geneactiv, gt3x, edf", v);
        return KL_ARG_ERROR;
      }
      case 7: {
        static const struct { const char *name; int fill; } gm[] = {
            {"last", KLONOS_GAP_FILL_LAST}, {"zero", KLONOS_GAP_FILL_ZERO}, {"nan", KLONOS_GAP_FILL_NAN}};
        for (size_t k = 0; k < sizeof gm / sizeof gm[0]; k++)
          if (strcmp(v, gm[k].name) == 0) { o->gap_fill = gm[k].fill; return taken; }
        snprintf(err, errlen, "--gaps: '%s' is not one of last, zero, nan", v);
        return KL_ARG_ERROR;
      }
    }
  }
  return KL_ARG_NOT_MINE;
}
