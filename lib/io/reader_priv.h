/* Private: the reader handle and the table of operations each format fills.
 * Only lib/io/ includes this. */
#ifndef KLONOS_IO_READER_PRIV_H
#define KLONOS_IO_READER_PRIV_H

#include <stdio.h>

#include "klonos/reader.h"
#include "klonos/status.h"

#define KL_NOTICES_KEPT KLONOS_NOTICES_KEPT

typedef struct klonos_reader_ops {
  const char *name;
  int format; /* klonos_format */
  /* Score how likely the file is this format from its first bytes (and the
   * path's extension): 0 = no, 100 = certain (a magic number matched). */
  int (*probe)(const char *path, const unsigned char *head, size_t head_len);
  /* Open: fill r->info and r->state. On failure return an error set with
   * kl_reader_fail(). r->path, r->opt are set before. */
  int (*open)(klonos_reader *r);
  /* Deliver up to max frames of r->info.channel_count floats in SI units. */
  int (*read)(klonos_reader *r, float *out, size_t max, size_t *got);
  /* Free r->state (also after a failed open). */
  void (*close)(klonos_reader *r);
} klonos_reader_ops;

struct klonos_reader {
  const klonos_reader_ops *ops;
  void *state;
  char *path;
  klonos_reader_options opt;
  klonos_recording_info info;
  klonos_read_stats stats;
  /* Set by a format that counts clipping itself (e.g. from flags); when 0 the
   * common layer counts |value| >= 0.999 * full scale on acc channels. */
  int counts_clipping;
  int status;                  /* sticky error; KLONOS_OK while healthy */
  int at_end;
  klonos_notice notices[KL_NOTICES_KEPT];
  char error[512];
};

/* Record an error as "PATH: <message>" and make it sticky. Returns code. */
int kl_reader_fail(klonos_reader *r, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Record a non-fatal notice (kept up to KL_NOTICES_KEPT, always counted). */
void kl_reader_notice(klonos_reader *r, int kind, int64_t frame, double duration_s,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Validate a sample rate: finite, > 0 and <= 100 kHz. 0 when fine, else
 * KLONOS_E_RATE after kl_reader_fail() with @p what naming the source. */
int kl_reader_check_rate(klonos_reader *r, double rate_hz, const char *what);

/* Format a unix time (seconds, may have fraction) as ISO-8601 without zone. */
void kl_format_iso_time(double unix_s, char *buf, size_t len);

/* Days-from-civil for building unix times from calendar fields (UTC/device clock). */
double kl_unix_time(int year, int month, int day, int hour, int minute, double second);

/* Case-insensitive check of a path's extension (ext without dot). */
int kl_path_has_ext(const char *path, const char *ext);

/* The formats. */
extern const klonos_reader_ops kl_sndfile_ops;
extern const klonos_reader_ops kl_csv_ops;
extern const klonos_reader_ops kl_cwa_ops;
extern const klonos_reader_ops kl_geneactiv_ops;
extern const klonos_reader_ops kl_gt3x_ops;
extern const klonos_reader_ops kl_edf_ops;

#endif
