/* Private: the ground-truth JSON document (format in docs/synth.md). One
 * serializer in the library, so the CLI, the tests and the Python binding
 * all get the same file. */
#ifndef KLONOS_SYNTH_JSON_H
#define KLONOS_SYNTH_JSON_H

#include <stdio.h>

#include "klonos/synth.h"

typedef struct kl_tjson {
  FILE *f;
  int n_items;
  int scenario;
  long long falls, near_falls, intentional_sits; /* summary of the falls scenario */
} kl_tjson;

/* Everything before the items: config, file description, rotation, params. */
void kl_tjson_begin(kl_tjson *j, FILE *f, const klonos_synth_config *cfg, const klonos_synth_params *p,
                    const double rot[9], int64_t frames, const char *file_format, int sample_format);
void kl_tjson_item(kl_tjson *j, const klonos_synth_truth *it);
/* The summary and the closing brace. */
void kl_tjson_end(kl_tjson *j, const klonos_synth_file_info *info);

#endif
