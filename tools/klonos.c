/* The klonos command-line tool: dispatch to one command per file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "klonos/klonos.h"
#include "util/json_writer.h"

static const char usage[] =
    "Usage: klonos COMMAND [OPTIONS] FILE...\n"
    "Accelerometry measurements of myoclonus and ataxia.\n\n"
    "Commands:\n"
    "  analyze    measure jerks, sway, gait and activity; severity scores 0-100 (the main job)\n"
    "  info       format, channels, rate, duration, start time, clipping, gaps of recordings\n"
    "  synth      write a synthetic recording with exact ground truth (FILE + FILE.truth.json)\n"
    "  events     one row per myoclonic jerk (CSV/JSON for other tools), tremor episodes\n"
    "  sway       truncal sway per quiet-upright bout and summary\n"
    "  gait       gait per walking bout and summary\n"
    "  track      a patient's scores over time: add, show, plot, list, export (SQLite)\n"
    "  batch      analyse a cohort manifest (CSV subject,date,path) to JSON Lines; resumable, --shard K/N\n"
    "  batch-merge  join batch outputs (shards) into one CSV or JSON Lines table\n"
    "  states     activity-state bouts: lying, upright still, walking, other, non-wear\n\n"
    "Options:\n"
    "  -h, --help     this help (klonos COMMAND --help for a command's options)\n"
    "  -V, --version  print the version\n\n"
    "Exit status: 0 success, 1 a file could not be processed (the others still are),\n"
    "2 usage error, 3 output could not be written.\n";

int kl_finish_stdout(int status) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "klonos: cannot write output: %s\n", strerror(errno ? errno : EIO));
    return KL_EXIT_OUTPUT;
  }
  return status;
}

void kl_cli_print_json(struct kl_json *j) {
  if (j->failed) fputs("{\"error\":\"out of memory while writing JSON\"}", stdout);
  else fputs(j->buf ? j->buf : "null", stdout);
  fputc('\n', stdout);
  kl_json_free(j);
}

int main(int argc, char **argv) {
  /* A closed pipe (klonos info x | head -1) must give an error status, not a
   * silent death by signal. */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    fputs(usage, stderr);
    return KL_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return kl_finish_stdout(KL_EXIT_OK);
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
    printf("klonos %s\n", klonos_version());
    if (klonos_version_number() != KLONOS_VERSION_NUMBER)
      fprintf(stderr, "klonos: warning: built with headers %d.%d.%d but running library %s\n", KLONOS_VERSION_MAJOR,
              KLONOS_VERSION_MINOR, KLONOS_VERSION_PATCH, klonos_version());
    return kl_finish_stdout(KL_EXIT_OK);
  }
  if (strcmp(cmd, "info") == 0) return kl_cmd_info(argc - 1, argv + 1);
  if (strcmp(cmd, "synth") == 0) return kl_cmd_synth(argc - 1, argv + 1);
  if (strcmp(cmd, "analyze") == 0) return kl_cmd_analyze(argc - 1, argv + 1);
  if (strcmp(cmd, "events") == 0) return kl_cmd_events(argc - 1, argv + 1);
  if (strcmp(cmd, "sway") == 0) return kl_cmd_sway(argc - 1, argv + 1);
  if (strcmp(cmd, "gait") == 0) return kl_cmd_gait(argc - 1, argv + 1);
  if (strcmp(cmd, "states") == 0) return kl_cmd_states(argc - 1, argv + 1);
  if (strcmp(cmd, "track") == 0) return kl_cmd_track(argc - 1, argv + 1);
  if (strcmp(cmd, "batch") == 0) return kl_cmd_batch(argc - 1, argv + 1);
  if (strcmp(cmd, "batch-merge") == 0) return kl_cmd_batch_merge(argc - 1, argv + 1);
  fprintf(stderr, "klonos: unknown command '%s' (see klonos --help)\n", cmd);
  return KL_EXIT_USAGE;
}
