/* libFuzzer harness for every reader: the input's first byte picks the
 * format (or auto-detection) and a few options, the rest is the file.
 * The file lives in a memfd so no disk is touched; the harness reads every
 * frame (capped so one input cannot run for minutes) and checks the
 * invariants callers rely on: a status from the klonos_status set, an error
 * message naming the file, no infinite samples, the declared frame count
 * honoured. Built with -fsanitize=fuzzer when -Dfuzzing=true, otherwise with
 * fuzz_main.c, which replays files (the regression corpus) through it. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "klonos/klonos.h"

#define MAX_FRAMES_PER_INPUT 2000000

static const int formats[] = {KLONOS_FORMAT_AUTO, KLONOS_FORMAT_SNDFILE, KLONOS_FORMAT_CSV, KLONOS_FORMAT_CWA,
                              KLONOS_FORMAT_GENEACTIV, KLONOS_FORMAT_GT3X, KLONOS_FORMAT_EDF, KLONOS_FORMAT_AUTO};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t sel = data[0];
  data++;
  size--;
  int fd = memfd_create("klonos-fuzz", 0);
  if (fd < 0) return 0;
  if (size && write(fd, data, size) != (ssize_t)size) { close(fd); return 0; }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.format = formats[sel & 7];
  if (sel & 0x08) o.rate_hz = 100.0;
  if (sel & 0x10) o.max_gap_s = 0.05;
  if (sel & 0x20) o.units = KLONOS_UNITS_MPS2;
  if (sel & 0x40) snprintf(o.columns, sizeof o.columns, "1,2,3");

  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, &o);
  if (rc != KLONOS_OK) {
    if (rc > 0 || rc < KLONOS_E_RANGE) abort();                  /* unknown status */
    if (r && !strstr(klonos_reader_error(r), path)) abort();    /* message must name the file */
  } else {
    klonos_recording_info info;
    if (klonos_reader_info(r, &info) != KLONOS_OK) abort();
    if (info.channel_count != 3 && info.channel_count != 6) abort();
    if (!(info.sample_rate_hz > 0 && info.sample_rate_hz <= 100000)) abort();
    float buf[4096 * KLONOS_MAX_FRAME_CHANNELS];
    size_t got;
    int64_t total = 0;
    while ((rc = klonos_reader_read_f32(r, buf, 4096, &got)) == KLONOS_OK && got) {
      for (size_t i = 0; i < got * (size_t)info.channel_count; i++)
        if (isinf(buf[i])) abort();
      total += (int64_t)got;
      if (total > MAX_FRAMES_PER_INPUT) break;
    }
    if (rc == KLONOS_OK && got == 0 && info.frame_count >= 0 && total != info.frame_count) abort();
    if (rc != KLONOS_OK && !strstr(klonos_reader_error(r), path)) abort();
  }
  klonos_reader_close(&r);
  close(fd);
  return 0;
}
