/* Private: atomic file creation and a small recording writer (libsndfile
 * formats by extension, and CSV). Used by the synthetic-recording generator
 * (klonos_synth_write_files) and the tests. */
#ifndef KLONOS_IO_WRITER_H
#define KLONOS_IO_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A file written under a temporary name (PATH.tmp.XXXXXX, same directory)
 * and renamed into place only when complete. */
typedef struct kl_atomic {
  int fd;         /* -1 once closed */
  FILE *stream;   /* when kl_atomic_stream() was called */
  char *tmp;      /* temporary path; NULL once published or discarded */
  char *path;     /* final path */
} kl_atomic;

/* Create the temporary file. 0, or KLONOS_E_IO / KLONOS_E_NOMEM with @p err set. */
int kl_atomic_create(kl_atomic *a, const char *path, char *err, size_t len);
/* A stdio stream on the file (owned by @p a). NULL with @p err on failure. */
FILE *kl_atomic_stream(kl_atomic *a, char *err, size_t len);
/* Flush, fsync and close the temporary file. */
int kl_atomic_finish(kl_atomic *a, char *err, size_t len);
/* Rename the finished temporary file to its final path. */
int kl_atomic_publish(kl_atomic *a, char *err, size_t len);
/* Close if open and remove the temporary file unless published; frees. Safe to repeat. */
void kl_atomic_discard(kl_atomic *a);

/* Sample formats (the values of klonos_synth_sample_format). */
enum { KL_WRITER_AUTO = 0, KL_WRITER_FLOAT = 1, KL_WRITER_INT16 = 2 };

typedef struct kl_writer kl_writer;

/* Open a recording for writing, format from the extension of @p path:
 * .wav .w64 .rf64 .aiff/.aif (float32 by default, or int16), .flac (int16),
 * .csv (t,x,y,z[,gx,gy,gz]: seconds, g, deg/s, 6 decimals).
 * Frames given to kl_writer_write are in SI units: m/s^2 then rad/s.
 * Float files store acceleration in g and angular rate in deg/s; int16 files
 * store acceleration / full scale (clipped, rounded to nearest).
 * Returns 0 or KLONOS_E_FORMAT (extension, format combination), KLONOS_E_CHANNELS,
 * KLONOS_E_RATE (non-integer rate for an audio format), KLONOS_E_IO, KLONOS_E_NOMEM. */
int kl_writer_open(kl_writer **out, const char *path, int channels, double rate_hz, double full_scale_g,
                   int sample_format, char *err, size_t len);
int kl_writer_write(kl_writer *w, const float *frames, size_t count, char *err, size_t len);
/* Complete the temporary file (headers, flush, fsync, close). */
int kl_writer_finish(kl_writer *w, char *err, size_t len);
/* Rename it into place. */
int kl_writer_publish(kl_writer *w, char *err, size_t len);
/* Free; removes the temporary file unless published. Accepts NULL. */
void kl_writer_close(kl_writer **w);
/* Samples clipped by int16 quantisation so far. */
int64_t kl_writer_clipped(const kl_writer *w);
/* "WAV (FLOAT)", "FLAC (PCM_16)", "CSV". */
const char *kl_writer_format_name(const kl_writer *w);

#endif
