/* libFuzzer harness for the analysis entry point: bytes become a
 * configuration (rate, channels, epoch) and float frames, including NaN, Inf,
 * denormals and huge values. The analyzer must return a klonos status, never
 * crash, and its results must be finite. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/klonos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  static const double rates[] = {1, 10, 25, 50, 100, 128, 200, 1000};
  double rate = rates[data[0] & 7];
  int nch = (data[0] & 8) ? 6 : 3;
  klonos_analyzer_config c;
  klonos_analyzer_config_default(&c);
  c.epoch_s = 0.5 + (data[1] % 8);
  c.nonwear_window_s = c.epoch_s * (1 + data[2] % 64);
  data += 4;
  size -= 4;
  klonos_analyzer *a = NULL;
  int rc = klonos_analyzer_open(&a, rate, nch, &c);
  if (rc == KLONOS_OK) {
    size_t frames = size / (sizeof(float) * (size_t)nch);
    float *f = malloc(frames * (size_t)nch * sizeof(float) + 1);
    if (!f) abort();
    memcpy(f, data, frames * (size_t)nch * sizeof(float));
    /* Push in two uneven pieces: chunking must not matter, only exercise it. */
    size_t first = frames / 3;
    rc = klonos_analyzer_push_f32(a, f, first);
    if (rc == KLONOS_OK) rc = klonos_analyzer_push_f32(a, f + first * (size_t)nch, frames - first);
    if (rc == KLONOS_OK) rc = klonos_analyzer_finish(a);
    if (rc == KLONOS_OK) {
      double d;
      size_t nb;
      if (klonos_analyzer_duration_s(a, &d) || !isfinite(d)) abort();
      if (klonos_analyzer_bout_count(a, &nb)) abort();
      for (size_t i = 0; i < nb; i++) {
        klonos_bout b;
        if (klonos_analyzer_bout_get(a, i, &b) || !isfinite(b.start_s) || !(b.end_s > b.start_s)) abort();
      }
    }
    free(f);
  }
  if (rc > 0 || rc < KLONOS_E_RANGE) abort();
  klonos_analyzer_close(&a);
  return 0;
}
