/* `klonos track`: a patient's severity scores over months, kept in a SQLite
 * database (docs/tracker.md). This file dispatches the subcommands and holds
 * what they share: subject checks, MDC95 settings, CSV cells. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "track_cmd.h"

static const char usage[] =
    "Usage: klonos track COMMAND [OPTIONS]\n"
    "Track a patient's severity scores over time in a SQLite database\n"
    "(default ./" KL_TRACK_DEFAULT_DB ", --db PATH; docs/tracker.md).\n\n"
    "Commands:\n"
    "  add --subject ID [--date DATE] FILE...   analyse recordings and store them\n"
    "  show --subject ID [--baseline DATE]      scores in time order, change from the\n"
    "                                           baseline against the MDC95, trend per week\n"
    "  plot --subject ID -o FILE.png|svg|pdf    the scores over time as a picture\n"
    "  list                                     the subjects and their recordings\n"
    "  export [--subject ID] [--format csv|json] every stored recording\n\n"
    "klonos track COMMAND --help gives a command's options.\n"
    "Exit status: 0 success, 1 a file or the database failed (other files are\n"
    "still added), 2 usage error, 3 output could not be written.\n";

int kl_cmd_track(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return KL_EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
    fputs(usage, stdout);
    return kl_finish_stdout(KL_EXIT_OK);
  }
  if (strcmp(sub, "add") == 0) return kl_track_add(argc - 1, argv + 1);
  if (strcmp(sub, "show") == 0) return kl_track_show(argc - 1, argv + 1);
  if (strcmp(sub, "plot") == 0) return kl_track_plot(argc - 1, argv + 1);
  if (strcmp(sub, "list") == 0) return kl_track_list(argc - 1, argv + 1);
  if (strcmp(sub, "export") == 0) return kl_track_export(argc - 1, argv + 1);
  fprintf(stderr, "klonos track: unknown command '%s' (see klonos track --help)\n", sub);
  return KL_EXIT_USAGE;
}

int kl_track_check_subject(const char *subject, char *err, size_t errlen) {
  size_t n = strlen(subject);
  if (n == 0 || n > 64) {
    snprintf(err, errlen, "--subject: an ID of 1 to 64 bytes, please (a pseudonym, not a name)");
    return -1;
  }
  for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
    if (*p < 0x20 || *p == 0x7f) {
      snprintf(err, errlen, "--subject: control characters are not allowed");
      return -1;
    }
  return 0;
}

int kl_track_mdc_parse(kl_track_mdc *m, const char *text, int source, char *err, size_t errlen) {
  const char *what = source == 1 ? "KLONOS_MDC" : "--mdc";
  const char *p = text;
  while (*p) {
    const char *eq = strchr(p, '=');
    int k = -1;
    for (int i = 0; eq && i < KL_SCORE_COUNT; i++)
      if ((size_t)(eq - p) == strlen(kl_score_names[i]) && strncmp(p, kl_score_names[i], (size_t)(eq - p)) == 0) k = i;
    char *end = NULL;
    double v = eq ? strtod(eq + 1, &end) : 0;
    if (k < 0 || end == eq + 1 || (*end && *end != ',') || !(v > 0 && v <= 100)) {
      snprintf(err, errlen, "%s: '%s' is not score=points (score: motor, myoclonus, stance, gait; points in (0, 100])",
               what, text);
      return -1;
    }
    m->value[k] = v;
    m->overridden[k] = source;
    p = *end ? end + 1 : end;
  }
  return 0;
}

int kl_track_mdc_init(kl_track_mdc *m, char *err, size_t errlen) {
  for (int k = 0; k < KL_SCORE_COUNT; k++) {
    m->value[k] = kl_mdc95_default[k];
    m->overridden[k] = 0;
  }
  const char *env = getenv("KLONOS_MDC");
  if (env && *env) return kl_track_mdc_parse(m, env, 1, err, errlen);
  return 0;
}

void kl_track_mdc_describe(const kl_track_mdc *m, char *buf, size_t len) {
  const char *dflt = KL_MDC95_MEASURED ? "measured" : "provisional defaults, not yet measured";
  int any = 0, all = 1;
  for (int k = 0; k < KL_SCORE_COUNT; k++) {
    any |= m->overridden[k] != 0;
    all &= m->overridden[k] != 0;
  }
  if (!any) {
    snprintf(buf, len, "%s", dflt);
    return;
  }
  size_t used = 0;
  buf[0] = 0;
  for (int k = 0; k < KL_SCORE_COUNT && used < len; k++)
    if (m->overridden[k])
      used += (size_t)snprintf(buf + used, len - used, "%s%s from %s", used ? ", " : "", kl_score_names[k],
                               m->overridden[k] == 1 ? "KLONOS_MDC" : "--mdc");
  if (!all && used < len) snprintf(buf + used, len - used, "; others %s", dflt);
}

void kl_csv_cell(const char *s) {
  if (!s) return;
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    if (*s == '"') putchar('"');
    putchar(*s);
  }
  putchar('"');
}
