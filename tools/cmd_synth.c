/* `klonos synth -o FILE`: write a synthetic recording and its ground truth
 * (FILE.truth.json) with the library's generator. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "klonos/klonos.h"

static const char usage[] =
    "Usage: klonos synth [OPTIONS] -o FILE\n"
    "Write a synthetic lower-back accelerometer recording with exact ground truth:\n"
    "FILE (format from its extension) and FILE.truth.json beside it. The same\n"
    "options give byte-identical files.\n\n"
    "  -o, --output FILE      .wav .w64 .rf64 .aiff (float32 in g), .flac (int16 over\n"
    "                         the full scale) or .csv (t,x,y,z in s and g)\n"
    "  --scenario NAME        what happens (default stance; --list-scenarios)\n"
    "  --severity S           0 (healthy) .. 1 (severe) (default 0.5)\n"
    "  --duration T           seconds, or with a unit: 90s, 30m, 24h, 7d (default 60)\n"
    "  --rate HZ              25..1000 (default 100)\n"
    "  --seed N               any 64-bit number (default 1)\n"
    "  --channels 3|6         acceleration only, or + gyroscope (default 3)\n"
    "  --rotation R           sensor mounting: none, random (from the seed) or\n"
    "                         X,Y,Z Euler angles in degrees (default none)\n"
    "  --full-scale G         sensor range in g: clipping, int16 scaling (default 8)\n"
    "  --sample-format F      auto|float|int16 (default auto: int16 for FLAC only)\n"
    "  --no-truth             do not write FILE.truth.json\n"
    "  --list-scenarios       list the scenarios and exit\n"
    "  -q, --quiet            no summary on stdout\n"
    "  -h, --help             this help\n\n"
    "Axes: body frame V (up), AP (forward), ML (left); the file holds the sensor\n"
    "frame = R * body (R in the truth file). See docs/synth.md for the models.\n"
    "Exit status: 0 written, 1 generation or writing failed, 2 usage error.\n";

static int parse_duration(const char *text, double *out, char *err, size_t len) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  double mult = 1.0;
  if (end != text && *end) {
    if (strcmp(end, "s") == 0) mult = 1.0;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0) mult = 60.0;
    else if (strcmp(end, "h") == 0) mult = 3600.0;
    else if (strcmp(end, "d") == 0) mult = 86400.0;
    else end = NULL;
  }
  if (end == text || !end || errno || !isfinite(v)) {
    snprintf(err, len, "--duration: '%s' is not a duration (seconds, or a number with s, m, h or d)", text);
    return -1;
  }
  *out = v * mult;
  return 0;
}

static int parse_seed(const char *text, uint64_t *out, char *err, size_t len) {
  char *end = NULL;
  errno = 0;
  if (*text == '-' || !*text) end = (char *)text;
  else *out = strtoull(text, &end, 0);
  if (end == text || *end || errno) {
    snprintf(err, len, "--seed: '%s' is not a non-negative 64-bit integer", text);
    return -1;
  }
  return 0;
}

static int parse_rotation(const char *text, klonos_synth_config *c, char *err, size_t len) {
  if (strcmp(text, "none") == 0) {
    c->rotation = KLONOS_SYNTH_ROTATION_NONE;
    return 0;
  }
  if (strcmp(text, "random") == 0) {
    c->rotation = KLONOS_SYNTH_ROTATION_RANDOM;
    return 0;
  }
  double a[3];
  const char *p = text;
  for (int i = 0; i < 3; i++) {
    char *end = NULL;
    a[i] = strtod(p, &end);
    if (end == p || !isfinite(a[i]) || (i < 2 && *end != ',') || (i == 2 && *end)) {
      snprintf(err, len, "--rotation: '%s' is not none, random or three angles X,Y,Z in degrees", text);
      return -1;
    }
    p = end + 1;
  }
  c->rotation = KLONOS_SYNTH_ROTATION_EULER;
  for (int i = 0; i < 3; i++) c->rotation_euler_deg[i] = a[i];
  return 0;
}

static void list_scenarios(void) {
  for (int s = 0; s < KLONOS_SYNTH_SCENARIO_COUNT; s++)
    printf("  %-14s %s\n", klonos_synth_scenario_name(s), klonos_synth_scenario_description(s));
}

/* Options with a value: returns the value and advances *i, NULL when argv[*i] is not @p flag. */
static const char *take(int argc, char **argv, int *i, const char *flag, int *missing) {
  int used_next = 0, m = 0;
  const char *v = kl_cli_flag_value(argc, argv, *i, flag, &used_next, &m);
  *missing |= m;
  if (v && used_next) (*i)++;
  return v;
}

int kl_cmd_synth(int argc, char **argv) {
  klonos_synth_config c;
  klonos_synth_config_default(&c);
  klonos_synth_file_options fo;
  klonos_synth_file_options_default(&fo);
  const char *out = NULL;
  int truth = 1, quiet = 0;
  char err[512];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    int missing = 0, bad = 0;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return kl_finish_stdout(KL_EXIT_OK);
    }
    if (strcmp(a, "--list-scenarios") == 0) {
      list_scenarios();
      return kl_finish_stdout(KL_EXIT_OK);
    }
    if (strcmp(a, "--no-truth") == 0) { truth = 0; continue; }
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) { quiet = 1; continue; }
    if (strcmp(a, "-o") == 0) {
      if (i + 1 >= argc) { fprintf(stderr, "klonos synth: -o needs a FILE\n"); return KL_EXIT_USAGE; }
      out = argv[++i];
      continue;
    }
    if ((v = take(argc, argv, &i, "--output", &missing))) out = v;
    else if ((v = take(argc, argv, &i, "--scenario", &missing))) {
      if (klonos_synth_scenario_from_name(v, &c.scenario) != KLONOS_OK) {
        fprintf(stderr, "klonos synth: --scenario: unknown scenario '%s'; the scenarios are:\n", v);
        for (int s = 0; s < KLONOS_SYNTH_SCENARIO_COUNT; s++) fprintf(stderr, "  %s\n", klonos_synth_scenario_name(s));
        return KL_EXIT_USAGE;
      }
    } else if ((v = take(argc, argv, &i, "--severity", &missing))) bad = kl_cli_parse_double("--severity", v, &c.severity, err, sizeof err);
    else if ((v = take(argc, argv, &i, "--duration", &missing))) bad = parse_duration(v, &c.duration_s, err, sizeof err);
    else if ((v = take(argc, argv, &i, "--rate", &missing))) bad = kl_cli_parse_double("--rate", v, &c.rate_hz, err, sizeof err);
    else if ((v = take(argc, argv, &i, "--seed", &missing))) bad = parse_seed(v, &c.seed, err, sizeof err);
    else if ((v = take(argc, argv, &i, "--rotation", &missing))) bad = parse_rotation(v, &c, err, sizeof err);
    else if ((v = take(argc, argv, &i, "--full-scale", &missing))) bad = kl_cli_parse_double("--full-scale", v, &c.full_scale_g, err, sizeof err);
    else if ((v = take(argc, argv, &i, "--channels", &missing))) {
      if (strcmp(v, "3") == 0) c.channels = 3;
      else if (strcmp(v, "6") == 0) c.channels = 6;
      else { snprintf(err, sizeof err, "--channels: '%s' must be 3 or 6", v); bad = 1; }
    } else if ((v = take(argc, argv, &i, "--sample-format", &missing))) {
      if (strcmp(v, "auto") == 0) fo.sample_format = KLONOS_SYNTH_SAMPLES_AUTO;
      else if (strcmp(v, "float") == 0) fo.sample_format = KLONOS_SYNTH_SAMPLES_FLOAT;
      else if (strcmp(v, "int16") == 0) fo.sample_format = KLONOS_SYNTH_SAMPLES_INT16;
      else { snprintf(err, sizeof err, "--sample-format: '%s' must be auto, float or int16", v); bad = 1; }
    } else if (missing) {
      fprintf(stderr, "klonos synth: %s needs a value\n", a);
      return KL_EXIT_USAGE;
    } else {
      fprintf(stderr, "klonos synth: unknown %s '%s' (see klonos synth --help)\n", a[0] == '-' ? "option" : "argument", a);
      return KL_EXIT_USAGE;
    }
    if (missing) {
      fprintf(stderr, "klonos synth: %s needs a value\n", a);
      return KL_EXIT_USAGE;
    }
    if (bad) {
      fprintf(stderr, "klonos synth: %s\n", err);
      return KL_EXIT_USAGE;
    }
  }
  if (!out || !*out) {
    fprintf(stderr, "klonos synth: no output file: give -o FILE (see klonos synth --help)\n");
    return KL_EXIT_USAGE;
  }
  /* Refuse bad values as usage errors before any file is touched. */
  klonos_synth *probe = NULL;
  int rc = klonos_synth_open(&probe, &c, NULL);
  if (rc != KLONOS_OK) {
    fprintf(stderr, "klonos synth: %s\n", probe ? klonos_synth_error(probe) : klonos_strerror(rc));
    klonos_synth_close(&probe);
    return KL_EXIT_USAGE;
  }
  klonos_synth_close(&probe);

  size_t tlen = strlen(out) + sizeof ".truth.json";
  char *truth_path = truth ? malloc(tlen) : NULL;
  if (truth && !truth_path) {
    fprintf(stderr, "klonos synth: out of memory\n");
    return KL_EXIT_FILE_FAILED;
  }
  if (truth_path) snprintf(truth_path, tlen, "%s.truth.json", out);
  klonos_synth_file_info info;
  rc = klonos_synth_write_files(&c, NULL, out, truth_path, &fo, &info, err, sizeof err);
  if (rc != KLONOS_OK) {
    fprintf(stderr, "klonos synth: %s\n", err);
    free(truth_path);
    return rc == KLONOS_E_FORMAT || rc == KLONOS_E_CHANNELS || rc == KLONOS_E_RATE ? KL_EXIT_USAGE
                                                                                    : KL_EXIT_FILE_FAILED;
  }
  if (!quiet) {
    printf("%s: %" PRId64 " frames, %.6g s at %g Hz, %d channels, scenario %s, severity %g, seed %" PRIu64 "\n", out,
           info.frames, (double)info.frames / c.rate_hz, c.rate_hz, (int)c.channels,
           klonos_synth_scenario_name(c.scenario), c.severity, c.seed);
    if (truth_path)
      printf("%s: %" PRId64 " bouts, %" PRId64 " posture changes, %" PRId64 " steps, %" PRId64 " jerks (%" PRId64
             " clusters), %" PRId64 " tremor episodes\n",
             truth_path, info.bouts, info.posture_changes, info.steps, info.jerks, info.clusters, info.tremors);
    if (info.clipped_samples > 0)
      printf("%s: %" PRId64 " samples clipped at +-%g g\n", out, info.clipped_samples, c.full_scale_g);
  }
  free(truth_path);
  return kl_finish_stdout(KL_EXIT_OK);
}
