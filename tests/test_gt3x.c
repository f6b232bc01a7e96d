/* ActiGraph .gt3x: archives written here with libzip (info.txt + log.bin with
 * known samples, idle-sleep gaps, a bad checksum), every bad input, and the
 * real GGIR test file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "klonos/klonos.h"
#include "reader_checks.h"
#include "testutil.h"

#define G KLONOS_STANDARD_GRAVITY_MPS2
#define T0 1600000000u /* first record, device clock */

/* ------------------------------------------------------------ writer -- */

typedef struct bytes {
  unsigned char *p;
  size_t n, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    cr_assert(b->p);
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}

static void put_byte(bytes *b, unsigned char c) { put(b, &c, 1); }

/* One log record; @p corrupt flips the checksum. */
static void put_record(bytes *b, int type, uint32_t t, const unsigned char *payload, unsigned size, int corrupt) {
  unsigned char h[8] = {0x1E, (unsigned char)type, (unsigned char)t, (unsigned char)(t >> 8), (unsigned char)(t >> 16),
                        (unsigned char)(t >> 24), (unsigned char)size, (unsigned char)(size >> 8)};
  unsigned char x = 0;
  for (int i = 0; i < 8; i++) x ^= h[i];
  for (unsigned i = 0; i < size; i++) x ^= payload[i];
  put(b, h, 8);
  put(b, payload, size);
  put_byte(b, (unsigned char)(~x ^ (corrupt ? 0x55 : 0)));
}

/* Known raw 12-bit value of sample i, axis a (0 x, 1 y, 2 z) in second s. */
static int raw_of(uint32_t s, int i, int a) { return (int)((s * 131u + (unsigned)i * 29u + (unsigned)a * 977u) % 4096u) - 2048; }

/* ACTIVITY payload: y, x, z per sample, 12 bits each, MSB first. */
static void put_activity(bytes *b, uint32_t t, int rate, int corrupt) {
  unsigned size = (unsigned)(rate * 36 + 7) / 8;
  unsigned char *p = calloc(size, 1);
  size_t bit = 0;
  static const int order[3] = {1, 0, 2};
  for (int i = 0; i < rate; i++)
    for (int k = 0; k < 3; k++) {
      unsigned v = (unsigned)raw_of(t, i, order[k]) & 0xFFF;
      for (int j = 11; j >= 0; j--, bit++)
        if (v >> j & 1) p[bit / 8] |= (unsigned char)(0x80 >> (bit % 8));
    }
  put_record(b, 0x00, t, p, size, corrupt);
  free(p);
}

/* ACTIVITY2 payload: int16 LE x, y, z. */
static void put_activity2(bytes *b, uint32_t t, int rate) {
  unsigned size = (unsigned)rate * 6;
  unsigned char *p = calloc(size, 1);
  for (int i = 0; i < rate; i++)
    for (int a = 0; a < 3; a++) {
      int v = raw_of(t, i, a) * 4; /* use more than 12 bits */
      p[(i * 3 + a) * 2] = (unsigned char)(v & 0xFF);
      p[(i * 3 + a) * 2 + 1] = (unsigned char)((v >> 8) & 0xFF);
    }
  put_record(b, 0x1A, t, p, size, 0);
  free(p);
}

static void put_lux(bytes *b, uint32_t t) {
  const unsigned char lux[2] = {0x08, 0x00};
  put_record(b, 0x05, t, lux, 2, 0);
}

static char *info_text(int rate, const char *scale) {
  char *s = malloc(1024);
  int n = snprintf(s, 1024, "Serial Number: MOS2TEST0001\r\nDevice Type: wGT3XBT\r\nFirmware: 1.9.2\r\n"
                            "Battery Voltage: 4,03\r\n");
  if (rate > 0) n += snprintf(s + n, 1024 - (size_t)n, "Sample Rate: %d\r\n", rate);
  n += snprintf(s + n, 1024 - (size_t)n, "Start Date: %lld\r\nTimeZone: -05:00:00\r\n",
                621355968000000000LL + (long long)T0 * 10000000LL);
  if (scale) n += snprintf(s + n, 1024 - (size_t)n, "Acceleration Scale: %s\r\n", scale);
  snprintf(s + n, 1024 - (size_t)n, "Acceleration Min: -8.0\r\nAcceleration Max: 8.0\r\nLimb: Wrist\r\n");
  return s;
}

/* Write a zip with the given members (NULL data = leave out). */
static void write_zip(const char *path, const char *info, const bytes *log, const char *log_name) {
  remove(path);
  int err = 0;
  zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
  cr_assert(za, "zip_open %d", err);
  if (log) {
    zip_source_t *src = zip_source_buffer(za, log->p, log->n, 0);
    cr_assert(src);
    cr_assert(zip_file_add(za, log_name ? log_name : "log.bin", src, ZIP_FL_OVERWRITE) >= 0);
  }
  if (info) {
    zip_source_t *src = zip_source_buffer(za, info, strlen(info), 0);
    cr_assert(src);
    cr_assert(zip_file_add(za, "info.txt", src, ZIP_FL_OVERWRITE) >= 0);
  }
  cr_assert_eq(zip_close(za), 0, "%s", zip_strerror(za));
}

/* The standard synthetic log at @p rate: seconds 0-2, a 3 s idle gap, 6-7,
 * second 8 with a bad checksum, 9, then a 1-byte ACTIVITY (USB marker). */
static void standard_log(bytes *b, int rate) {
  const unsigned char meta[] = "{\"MetadataType\":\"Bio\"}";
  put_record(b, 0x06, T0 - 1, meta, sizeof meta - 1, 0);
  for (uint32_t s = 0; s <= 9; s++) {
    if (s >= 3 && s <= 5) continue;
    put_activity(b, T0 + s, rate, s == 8);
    if (s == 1) put_lux(b, T0 + s);
    if (s == 6) { put_byte(b, 0); put_byte(b, 0); } /* zero padding: allowed by the spec */
  }
  const unsigned char usb = 0x5A;
  put_record(b, 0x00, T0 + 10, &usb, 1, 0);
}

static void write_standard(const char *path, int rate) {
  bytes b = {0};
  standard_log(&b, rate);
  char *info = info_text(rate, "256.0");
  write_zip(path, info, &b, NULL);
  free(info);
  free(b.p);
}

/* ------------------------------------------------------------ readers -- */

static int count_kind(klonos_reader *r, int kind, const char *needle) {
  int n = 0;
  klonos_notice nt;
  for (size_t i = 0; klonos_reader_notice(r, i, &nt) == KLONOS_OK; i++)
    if (nt.kind == kind && (!needle || strstr(nt.message, needle))) n++;
  return n;
}

static double want_mps2(uint32_t s, int i, int a) { return raw_of(T0 + s, i, a) / 256.0 * G; }

static klonos_reader *open_fill(const char *path, int fill, klonos_recording_info *info) {
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.gap_fill = fill;
  return open_ok(path, &o, info);
}

/* -------------------------------------------------------------- tests -- */

Test(gt3x, values_metadata_and_default_last_fill) {
  char path[512];
  tu_tmp_path(path, sizeof path, "std.gt3x");
  write_standard(path, 10);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_eq(info.format, KLONOS_FORMAT_GT3X);
  cr_assert_str_eq(klonos_format_name(info.format), "gt3x");
  cr_assert_eq(info.channel_count, 3);
  cr_assert_float_eq(info.sample_rate_hz, 10.0, 0);
  cr_assert_float_eq(info.nominal_rate_hz, 10.0, 0);
  cr_assert_float_eq(info.full_scale_g, 8.0, 0);
  cr_assert_eq(info.has_start_time, 1);
  cr_assert_float_eq(info.start_time_unix_s, (double)T0, 0);
  cr_assert_str_eq(info.start_time_iso, "2020-09-13T12:26:40.000");
  cr_assert_str_eq(info.device, "ActiGraph wGT3XBT serial MOS2TEST0001, firmware 1.9.2, worn at Wrist");
  cr_assert(strstr(info.format_detail, "256 LSB/g"), "%s", info.format_detail);
  cr_assert(strstr(info.format_detail, "UTC-05:00"), "%s", info.format_detail);
  cr_assert_eq(info.source_units, KLONOS_UNITS_G);

  float buf[3 * 200];
  long n = read_all(r, buf, 200, 4096);
  cr_assert_eq(n, 100, "seconds 0..9 at 10 Hz");
  for (uint32_t s = 0; s <= 9; s++)
    for (int i = 0; i < 10; i++)
      for (int a = 0; a < 3; a++) {
        float got = buf[(s * 10 + (uint32_t)i) * 3 + (uint32_t)a];
        double want;
        if (s >= 3 && s <= 5) want = want_mps2(2, 9, a);      /* idle gap: last sample of second 2 */
        else if (s == 8) want = want_mps2(7, 9, a);           /* bad checksum: last of second 7 */
        else want = want_mps2(s, i, a);
        cr_assert_float_eq(got, want, 1e-5, "second %u sample %d axis %d", s, i, a);
      }
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.frames_read, 100);
  cr_assert_eq(st.gap_count, 2);
  cr_assert_float_eq(st.gap_total_s, 4.0, 0);
  cr_assert_eq(st.nan_frames, 0, "nan_frames counts only NaN fills");
  cr_assert_eq(st.bad_blocks, 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "checksum mismatch"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_GAP, "filled with the last value"), 2);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_GAP, "(idle sleep)"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_GAP, "(bad records skipped)"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_OTHER, "USB connection marker"), 1);
  klonos_notice nt;
  cr_assert_eq(klonos_reader_notice(r, 0, &nt), KLONOS_OK);
  klonos_reader_close(&r);
}

Test(gt3x, gap_fill_zero_and_nan) {
  char path[512];
  tu_tmp_path(path, sizeof path, "fill.gt3x");
  write_standard(path, 10);
  for (int mode = 0; mode < 2; mode++) {
    klonos_recording_info info;
    klonos_reader *r = open_fill(path, mode ? KLONOS_GAP_FILL_NAN : KLONOS_GAP_FILL_ZERO, &info);
    float buf[3 * 200];
    cr_assert_eq(read_all(r, buf, 200, 7), 100);
    for (int f = 30; f < 60; f++)
      for (int a = 0; a < 3; a++) {
        if (mode) cr_assert(isnan(buf[f * 3 + a]), "frame %d", f);
        else cr_assert_eq(buf[f * 3 + a], 0.0f, "frame %d", f);
      }
    cr_assert_float_eq(buf[60 * 3], want_mps2(6, 0, 0), 1e-5);
    klonos_read_stats st;
    klonos_reader_stats(r, &st);
    cr_assert_eq(st.gap_count, 2);
    cr_assert_float_eq(st.gap_total_s, 4.0, 0);
    cr_assert_eq(st.nan_frames, mode ? 40 : 0);
    cr_assert_eq(count_kind(r, KLONOS_NOTICE_GAP, mode ? "filled with NaN" : "filled with zero"), 2);
    klonos_notice nt;
    for (size_t i = 0; klonos_reader_notice(r, i, &nt) == KLONOS_OK; i++)
      if (nt.kind == KLONOS_NOTICE_GAP && nt.duration_s == 3.0) {
        cr_assert_eq(nt.frame, 30);
        cr_assert_float_eq(nt.time_s, 3.0, 1e-12);
      }
    klonos_reader_close(&r);
  }
}

Test(gt3x, short_gaps_interpolated_under_max_gap) {
  char path[512];
  tu_tmp_path(path, sizeof path, "interp.gt3x");
  write_standard(path, 10);
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.max_gap_s = 5.0;
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, &o, &info);
  float buf[3 * 200];
  cr_assert_eq(read_all(r, buf, 200, 4096), 100);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.gap_count, 0);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_GAP, NULL), 0);
  /* Frame 30 is 1/31 of the way from the last sample of second 2 to the first of 6. */
  double a = want_mps2(2, 9, 1), b = want_mps2(6, 0, 1);
  cr_assert_float_eq(buf[30 * 3 + 1], a + (b - a) / 31.0, 1e-4);
  klonos_reader_close(&r);
}

Test(gt3x, chunk_sizes_identical) {
  char path[512];
  tu_tmp_path(path, sizeof path, "chunks.gt3x");
  write_standard(path, 30);
  const size_t chunks[] = {1, 7, 4096};
  float ref[3 * 400], buf[3 * 400];
  long ref_n = 0;
  for (size_t k = 0; k < 3; k++) {
    klonos_recording_info info;
    klonos_reader *r = open_ok(path, NULL, &info);
    long n = read_all(r, k ? buf : ref, 400, chunks[k]);
    if (k == 0) ref_n = n;
    else cr_assert_eq(memcmp(buf, ref, sizeof(float) * 3 * (size_t)n), 0, "chunk %zu", chunks[k]);
    cr_assert_eq(n, ref_n);
    cr_assert_eq(n, 300);
    klonos_reader_close(&r);
  }
}

Test(gt3x, odd_rate_nibble_packing) {
  char path[512];
  tu_tmp_path(path, sizeof path, "odd.gt3x");
  bytes b = {0};
  for (uint32_t s = 0; s < 4; s++) put_activity(&b, T0 + s, 3, 0);
  char *info = info_text(3, "256");
  write_zip(path, info, &b, NULL);
  klonos_recording_info ri;
  klonos_reader *r = open_ok(path, NULL, &ri);
  float buf[3 * 20];
  cr_assert_eq(read_all(r, buf, 20, 4096), 12);
  for (uint32_t s = 0; s < 4; s++)
    for (int i = 0; i < 3; i++)
      for (int a = 0; a < 3; a++) cr_assert_float_eq(buf[(s * 3 + (uint32_t)i) * 3 + (uint32_t)a], want_mps2(s, i, a), 1e-5);
  klonos_reader_close(&r);
  free(info);
  free(b.p);
}

Test(gt3x, activity2_records) {
  char path[512];
  tu_tmp_path(path, sizeof path, "act2.gt3x");
  bytes b = {0};
  for (uint32_t s = 0; s < 3; s++) put_activity2(&b, T0 + s, 10);
  char *info = info_text(10, "256.0");
  write_zip(path, info, &b, NULL);
  klonos_recording_info ri;
  klonos_reader *r = open_ok(path, NULL, &ri);
  float buf[3 * 40];
  cr_assert_eq(read_all(r, buf, 40, 4096), 30);
  for (uint32_t s = 0; s < 3; s++)
    for (int i = 0; i < 10; i++)
      for (int a = 0; a < 3; a++)
        cr_assert_float_eq(buf[(s * 10 + (uint32_t)i) * 3 + (uint32_t)a], 4 * want_mps2(s, i, a), 1e-4);
  klonos_reader_close(&r);
  free(info);
  free(b.p);
}

Test(gt3x, junk_time_order_and_cut_record) {
  char path[512];
  tu_tmp_path(path, sizeof path, "junk.gt3x");
  bytes b = {0};
  put_activity(&b, T0, 10, 0);
  put_byte(&b, 0x42); /* junk between records */
  put_byte(&b, 0x43);
  put_activity(&b, T0 + 1, 10, 0);
  put_activity(&b, T0 + 1, 10, 0); /* duplicate second */
  put_activity(&b, T0 + 2, 10, 0);
  bytes cut = {0};
  put_activity(&cut, T0 + 3, 10, 0);
  put(&b, cut.p, cut.n - 10); /* log.bin ends inside this record */
  char *info = info_text(10, "256.0");
  write_zip(path, info, &b, NULL);
  klonos_recording_info ri;
  klonos_reader *r = open_ok(path, NULL, &ri);
  float buf[3 * 60];
  cr_assert_eq(read_all(r, buf, 60, 4096), 30);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.bad_blocks, 3);
  cr_assert_eq(st.gap_count, 0);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "not a record"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "out of time order"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "ends inside a record (truncated)"), 1);
  klonos_reader_close(&r);
  free(info);
  free(b.p);
  free(cut.p);
}

Test(gt3x, bad_archives) {
  char path[512];
  bytes b = {0};
  put_activity(&b, T0, 10, 0);
  char *info = info_text(10, "256.0");

  tu_tmp_path(path, sizeof path, "nolog.gt3x");
  write_zip(path, info, NULL, NULL);
  expect_open_error(path, NULL, KLONOS_E_FORMAT, "no log.bin");

  tu_tmp_path(path, sizeof path, "nhanes.gt3x");
  write_zip(path, info, &b, "activity.bin");
  expect_open_error(path, NULL, KLONOS_E_FORMAT, "NHANES");

  tu_tmp_path(path, sizeof path, "noinfo.gt3x");
  write_zip(path, NULL, &b, NULL);
  expect_open_error(path, NULL, KLONOS_E_CORRUPT, "no info.txt");

  const char *scales[] = {"0", "0.0", "-256", "1e9", "999999", "abc"};
  for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
    char *bad = info_text(10, scales[k]);
    tu_tmp_path(path, sizeof path, "scale.gt3x");
    write_zip(path, bad, &b, NULL);
    expect_open_error(path, NULL, KLONOS_E_CORRUPT, "Acceleration Scale");
    free(bad);
  }

  char *norate = info_text(0, "256.0");
  tu_tmp_path(path, sizeof path, "norate.gt3x");
  write_zip(path, norate, &b, NULL);
  expect_open_error(path, NULL, KLONOS_E_RATE, "Sample Rate");
  free(norate);

  tu_tmp_path(path, sizeof path, "noact.gt3x");
  bytes lux = {0};
  put_lux(&lux, T0);
  write_zip(path, info, &lux, NULL);
  expect_open_error(path, NULL, KLONOS_E_EMPTY, "no ACTIVITY");
  free(lux.p);

  /* The file cut in half: the zip directory at its end is gone. */
  tu_tmp_path(path, sizeof path, "whole.gt3x");
  write_standard(path, 30);
  FILE *f = fopen(path, "rb");
  unsigned char data[8192];
  size_t n = fread(data, 1, sizeof data, f);
  fclose(f);
  tu_tmp_path(path, sizeof path, "half.gt3x");
  cr_assert_eq(tu_write_file(path, data, n / 2), 0);
  expect_open_error(path, NULL, KLONOS_E_CORRUPT, "zip");

  tu_tmp_path(path, sizeof path, "empty.gt3x");
  cr_assert_eq(tu_write_file(path, "", 0), 0);
  expect_open_error(path, NULL, KLONOS_E_EMPTY, NULL);

  /* Options: no resampling, and gap_fill must be a klonos_gap_fill. */
  tu_tmp_path(path, sizeof path, "opts.gt3x");
  write_zip(path, info, &b, NULL);
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.rate_hz = 50;
  expect_open_error(path, &o, KLONOS_E_RATE, "resampling");
  klonos_reader_options_default(&o);
  o.gap_fill = 7;
  expect_open_error(path, &o, KLONOS_E_INVAL, "gap_fill");
  free(info);
  free(b.p);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

Test(gt3x, real_file) {
  const char *dir = tu_real_data_dir();
  if (!dir) cr_skip_test("real data folder (KLONOS_REAL_DATA) not present");
  char path[1024];
  snprintf(path, sizeof path, "%s/actigraph-gt3x-waist/actigraph_testfile.gt3x", dir);
  const long cap = 60000;
  float *buf = malloc(sizeof(float) * 3 * (size_t)cap);
  for (int mode = 0; mode < 2; mode++) {
    klonos_recording_info info;
    klonos_reader *r = open_fill(path, mode ? KLONOS_GAP_FILL_NAN : KLONOS_GAP_FILL_DEFAULT, &info);
    cr_assert_float_eq(info.sample_rate_hz, 30.0, 0);
    cr_assert_str_eq(info.start_time_iso, "2020-08-26T10:09:00.000");
    cr_assert(strstr(info.device, "MOS2E39180594"), "%s", info.device);
    long n = read_all(r, buf, cap, 4096);
    klonos_read_stats st;
    klonos_reader_stats(r, &st);
    /* 588 one-second records + 23 gaps of 1180 s in all: 1768 s, ~29.5 min. */
    cr_assert_eq(n, 1768 * 30);
    cr_assert_eq(st.gap_count, 23);
    cr_assert_float_eq(st.gap_total_s, 1180.0, 0);
    cr_assert_eq(st.bad_blocks, 0, "all checksums are valid");
    cr_assert_eq(st.nan_frames, mode ? 1180 * 30 : 0);
    cr_assert_eq(count_kind(r, KLONOS_NOTICE_OTHER, "USB connection marker"), 1);
    if (mode) {
      double *mag = malloc(sizeof(double) * (size_t)n);
      long m = 0;
      double lo = 1e9, hi = -1e9;
      for (long i = 0; i < n; i++) {
        if (isnan(buf[i * 3])) continue;
        double s2 = 0;
        for (int c = 0; c < 3; c++) {
          double g = buf[i * 3 + c] / G;
          s2 += g * g;
          lo = fmin(lo, g);
          hi = fmax(hi, g);
        }
        mag[m++] = sqrt(s2);
      }
      cr_assert_eq(m, 17640, "588 s x 30 Hz of samples");
      qsort(mag, (size_t)m, sizeof *mag, cmp_double);
      cr_assert_float_eq(mag[m / 2], 1.010, 0.02, "median |acc| %g g", mag[m / 2]);
      cr_assert(lo > -2.8 && lo < -2.4, "min %g g", lo);
      cr_assert(hi > 2.1 && hi < 2.5, "max %g g", hi);
      free(mag);
    }
    klonos_reader_close(&r);
  }
  free(buf);
}

Test(gt3x, real_file_with_a_damaged_byte) {
  const char *dir = tu_real_data_dir();
  if (!dir) cr_skip_test("real data folder (KLONOS_REAL_DATA) not present");
  char src[1024], path[512];
  snprintf(src, sizeof src, "%s/actigraph-gt3x-waist/actigraph_testfile.gt3x", dir);
  FILE *f = fopen(src, "rb");
  cr_assert(f);
  static unsigned char data[1 << 17];
  size_t n = fread(data, 1, sizeof data, f);
  fclose(f);
  data[5000] ^= 0xFF; /* inside an ACTIVITY record of the stored log.bin */
  tu_tmp_path(path, sizeof path, "damaged.gt3x");
  cr_assert_eq(tu_write_file(path, data, n), 0);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  float *buf = malloc(sizeof(float) * 3 * 60000);
  cr_assert_eq(read_all(r, buf, 60000, 4096), 1768 * 30, "the lost second is filled");
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.bad_blocks, 1);
  cr_assert_eq(st.gap_count, 24);
  cr_assert_float_eq(st.gap_total_s, 1181.0, 0);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "checksum mismatch"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_OTHER, "zip CRC does not match"), 1);
  free(buf);
  klonos_reader_close(&r);
}
