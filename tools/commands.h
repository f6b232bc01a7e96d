/* The klonos commands: each takes its own argv (argv[0] = command name) and
 * returns the process exit status: 0 ok, 1 a file failed, 2 usage error. */
#ifndef KLONOS_TOOLS_COMMANDS_H
#define KLONOS_TOOLS_COMMANDS_H

enum { KL_EXIT_OK = 0, KL_EXIT_FILE_FAILED = 1, KL_EXIT_USAGE = 2, KL_EXIT_OUTPUT = 3 };

int kl_cmd_info(int argc, char **argv);
int kl_cmd_synth(int argc, char **argv);
int kl_cmd_states(int argc, char **argv);
int kl_cmd_analyze(int argc, char **argv);
int kl_cmd_track(int argc, char **argv);
int kl_cmd_events(int argc, char **argv);
int kl_cmd_sway(int argc, char **argv);
int kl_cmd_gait(int argc, char **argv);
int kl_cmd_batch(int argc, char **argv);
int kl_cmd_batch_merge(int argc, char **argv);

/* Check stdout after writing: a closed pipe or a full disk must not pass
 * silently. Returns @p status, or KL_EXIT_OUTPUT with a message on stderr. */
int kl_finish_stdout(int status);

struct kl_json;
/* Print a finished JSON document as one line on stdout and free it. */
void kl_cli_print_json(struct kl_json *j);

#endif
