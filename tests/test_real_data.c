/* Every real recording in ../shared/data/real: supported formats must open
 * and read to the end; files that are not recordings klonos reads (TSDF
 * .bin, MATLAB .mat, an annotation table) must be refused cleanly with an
 * error naming the file, never crash. Per-format value checks live in test_cwa.c
 * and test_csv.c. Skips, saying why, when the folder is absent. */
#include <criterion/criterion.h>
#include <dirent.h>

#include "klonos/klonos.h"
#include "testutil.h"

static int is_recording(const char *name) {
  static const char *const skip[] = {"LICENSE.txt", "NOTICE.txt", "README.md"};
  for (size_t i = 0; i < 3; i++)
    if (strcmp(name, skip[i]) == 0) return 0;
  const char *dot = strrchr(name, '.');
  return dot && strcmp(dot, ".json") != 0;
}

/* Not recordings klonos reads: MATLAB files, TSDF raw binaries (no
 * self-describing header), and an annotation table. */
static int expected_refusal(const char *path, const char *name) {
  const char *dot = strrchr(name, '.');
  return strcmp(dot, ".mat") == 0 || (strcmp(dot, ".bin") == 0 && strstr(path, "paradigma")) ||
         strcmp(name, "reference_initial_contacts.csv") == 0;
}

static int visited;

static void visit(const char *path, const char *name) {
  if (!is_recording(name)) return;
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  if (strstr(path, "mobilised-lowerback")) o.rate_hz = 100.0; /* 'samples' is an index column */
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, &o);
  visited++;
  if (expected_refusal(path, name)) {
    cr_expect_neq(rc, KLONOS_OK, "%s opened although its format is not supported", path);
    cr_expect(strstr(klonos_reader_error(r), path), "error does not name the file: %s", klonos_reader_error(r));
    klonos_reader_close(&r);
    return;
  }
  cr_assert_eq(rc, KLONOS_OK, "%s: %s", path, klonos_reader_error(r));
  klonos_recording_info info;
  klonos_reader_info(r, &info);
  float *buf = malloc(sizeof(float) * 6 * 8192);
  size_t got;
  int64_t total = 0;
  while ((rc = klonos_reader_read_f32(r, buf, 8192, &got)) == KLONOS_OK && got) total += (int64_t)got;
  cr_assert_eq(rc, KLONOS_OK, "%s: %s", path, klonos_reader_error(r));
  cr_assert_gt(total, 100, "%s: only %lld frames", path, (long long)total);
  if (info.frame_count >= 0) cr_assert_eq(total, info.frame_count, "%s", path);
  free(buf);
  klonos_reader_close(&r);
}

static void walk(const char *dir) {
  DIR *d = opendir(dir);
  cr_assert(d, "cannot list %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) walk(path);
    else visit(path, e->d_name);
  }
  closedir(d);
}

Test(real_data, every_recording_opens_or_is_refused_cleanly, .timeout = 120) {
  const char *dir = tu_real_data_dir();
  if (!dir) cr_skip_test("../shared/data/real is absent (KLONOS_REAL_DATA unset or missing): real-recording checks skipped");
  walk(dir);
  cr_assert_gt(visited, 20, "only %d files visited", visited);
}
