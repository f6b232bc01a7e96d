/* Helpers shared by the Criterion tests: scratch files and the real-data folder. */
#ifndef KLONOS_TESTUTIL_H
#define KLONOS_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh path in the build's scratch folder (KLONOS_TEST_TMP, set by meson),
 * unique per process and name. */
static inline const char *tu_tmp_path(char *buf, size_t len, const char *name) {
  const char *dir = getenv("KLONOS_TEST_TMP");
  if (!dir || !*dir) dir = "/tmp";
  mkdir(dir, 0755);
  snprintf(buf, len, "%s/%ld-%s", dir, (long)getpid(), name);
  return buf;
}

/* Write bytes to a file; returns 0 on success. */
static inline int tu_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t n = len ? fwrite(data, 1, len, f) : 0;
  int rc = fclose(f);
  return (n == len && rc == 0) ? 0 : -1;
}

/* The real recordings (../shared/data/real), or NULL when absent: callers
 * must then skip with cr_skip_test("...: reason"). */
static inline const char *tu_real_data_dir(void) {
  const char *dir = getenv("KLONOS_REAL_DATA");
  struct stat st;
  if (!dir || !*dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
  return dir;
}

#endif
