/* Criterion helpers shared by the reader tests: open a file that must open,
 * read frames to the end in chosen chunks, and check an open that must fail
 * with a given code and a message naming the file. */
#ifndef KLONOS_TESTS_READER_CHECKS_H
#define KLONOS_TESTS_READER_CHECKS_H

#include <criterion/criterion.h>
#include <string.h>

#include "klonos/klonos.h"

static inline klonos_reader *open_ok(const char *path, const klonos_reader_options *o, klonos_recording_info *info) {
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, o);
  cr_assert_eq(rc, KLONOS_OK, "%s: %s", klonos_status_name(rc), klonos_reader_error(r));
  cr_assert_eq(klonos_reader_info(r, info), KLONOS_OK);
  return r;
}

/* Read up to cap frames of nch channels in chunks of at most chunk frames. */
static inline long read_frames(klonos_reader *r, float *dst, long cap, size_t chunk, int nch) {
  long total = 0;
  for (;;) {
    size_t want = chunk;
    if ((long)want > cap - total) want = (size_t)(cap - total);
    size_t got = 0;
    int rc = klonos_reader_read_f32(r, dst + total * nch, want, &got);
    cr_assert_eq(rc, KLONOS_OK, "%s", klonos_reader_error(r));
    if (got == 0) break;
    total += (long)got;
    if (total == cap) break;
  }
  return total;
}

/* The same with the recording's own channel count. */
static inline long read_all(klonos_reader *r, float *dst, long cap, size_t chunk) {
  klonos_recording_info info;
  cr_assert_eq(klonos_reader_info(r, &info), KLONOS_OK);
  return read_frames(r, dst, cap, chunk, info.channel_count);
}

static inline void expect_open_error(const char *path, const klonos_reader_options *o, int code, const char *needle) {
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, o);
  cr_assert_eq(rc, code, "%s: expected %s, got %s (%s)", path, klonos_status_name(code), klonos_status_name(rc),
               klonos_reader_error(r));
  const char *msg = klonos_reader_error(r);
  cr_assert(strstr(msg, path), "message does not name the file: %s", msg);
  if (needle) cr_assert(strstr(msg, needle), "message '%s' lacks '%s'", msg, needle);
  klonos_reader_close(&r);
  cr_assert_null(r);
}

#endif
