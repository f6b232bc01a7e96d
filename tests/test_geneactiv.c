/* GENEActiv .bin: synthetic files with known raw values (exact g values back),
 * bad and cut pages, bad headers, and the real GGIRread test file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/klonos.h"
#include "reader_checks.h"
#include "testutil.h"

#define G KLONOS_STANDARD_GRAVITY_MPS2
#define SPP 300 /* samples per page */

/* Calibration of the synthetic files (x gain/offset, y ..., z ...). */
static const double gain[3] = {25600, 25000, 26000};
static const double offset[3] = {0, 500, -1000};

/* Known raw 12-bit values of sample i of page p: covers the whole range. */
static int raw_of(int p, int i, int c) {
  int v = (i * 13 + p * 7 + c * 1001) % 4096;
  return v - 2048;
}

static double g_of(int p, int i, int c) { return (raw_of(p, i, c) * 100.0 - offset[c]) / gain[c]; }

enum { PAGE_OK, PAGE_BAD_HEX, PAGE_CUT, PAGE_SHORT_LINE, PAGE_NO_TIME };

typedef struct ga_spec {
  const char *rate_text; /* header Measurement Frequency, e.g. "100 Hz" */
  double page_step_s;    /* page time step */
  int pages;
  int kind[32];          /* per page */
  int clip_first;        /* sample 0 of page 0 at raw +2047 on x */
} ga_spec;

static void fmt_time(char *buf, size_t n, double t_s) {
  /* 2021-03-04 05:06:07:000 + t */
  long ms_total = lround(t_s * 1000.0);
  long s = 7 + ms_total / 1000, ms = ms_total % 1000;
  long m = 6 + s / 60;
  s %= 60;
  snprintf(buf, n, "2021-03-04 05:%02ld:%02ld:%03ld", m, s, ms);
}

static void write_ga(const char *path, const ga_spec *sp) {
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  fprintf(f, "Device Identity\r\nDevice Unique Serial Code:123456\r\nDevice Type:GENEActiv           \r\n"
             "Device Model:1.1                 \r\nDevice Firmware Version:Ver1.30\r\n\r\n"
             "Device Capabilities\r\nAccelerometer Range:-8 to 8             \r\n\r\n"
             "Configuration Info\r\nMeasurement Frequency:%s\r\nStart Time:2021-03-04 05:06:00:000\r\n"
             "Time Zone:GMT +00:00\r\n\r\nSubject Info\r\nSubject Code:", sp->rate_text);
  fputc(0, f); /* NUL padding as in real files */
  fputc(0, f);
  fprintf(f, "\r\n\r\nCalibration Data\r\n");
  const char axes[3] = {'x', 'y', 'z'};
  for (int c = 0; c < 3; c++) fprintf(f, "%c gain:%.0f\r\n%c offset:%.0f\r\n", axes[c], gain[c], axes[c], offset[c]);
  fprintf(f, "Volts:300\r\nLux:800\r\n\r\nMemory Status\r\nNumber of Pages:%d\r\n\r\n", sp->pages);
  for (int p = 0; p < sp->pages; p++) {
    char t[40];
    fmt_time(t, sizeof t, p * sp->page_step_s);
    fprintf(f, "Recorded Data\r\nDevice Unique Serial Code:123456\r\nSequence Number:%d\r\n", p);
    if (sp->kind[p] != PAGE_NO_TIME) fprintf(f, "Page Time:%s\r\n", t);
    else fprintf(f, "Page Time:not a time\r\n");
    fprintf(f, "Unassigned:\r\nTemperature:21.5\r\nBattery voltage:4.1\r\nDevice Status:Recording\r\n"
               "Measurement Frequency:%.*s\r\n", (int)strcspn(sp->rate_text, " "), sp->rate_text);
    int n = sp->kind[p] == PAGE_SHORT_LINE ? SPP - 1 : SPP;
    for (int i = 0; i < n; i++) {
      uint64_t w = 0;
      for (int c = 0; c < 3; c++) {
        int raw = (sp->clip_first && p == 0 && i == 0 && c == 0) ? 2047 : raw_of(p, i, c);
        w = w << 12 | (uint64_t)(raw & 0xFFF);
      }
      w = w << 12 | 0x5A4; /* light 361, button 0, reserved 0 */
      char hex[20];
      snprintf(hex, sizeof hex, "%012llX", (unsigned long long)(w & 0xFFFFFFFFFFFFull));
      if (sp->kind[p] == PAGE_BAD_HEX && i == 17) hex[4] = 'G';
      if (sp->kind[p] == PAGE_CUT && i == 150) {
        fwrite(hex, 1, 5, f);
        break;
      }
      fputs(hex, f);
    }
    if (sp->kind[p] != PAGE_CUT) fputs("\r\n", f);
  }
  fclose(f);
}

static int count_kind(klonos_reader *r, int kind, const char *needle) {
  int n = 0;
  klonos_notice nt;
  for (size_t i = 0; klonos_reader_notice(r, i, &nt) == KLONOS_OK; i++)
    if (nt.kind == kind && (!needle || strstr(nt.message, needle))) n++;
  return n;
}

Test(geneactiv, exact_values_and_metadata) {
  char path[512];
  tu_tmp_path(path, sizeof path, "exact.bin");
  ga_spec sp = {.rate_text = "100 Hz", .page_step_s = 3.0, .pages = 3};
  write_ga(path, &sp);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_eq(info.format, KLONOS_FORMAT_GENEACTIV);
  cr_assert_str_eq(klonos_format_name(info.format), "geneactiv");
  cr_assert_eq(info.channel_count, 3);
  cr_assert_eq(info.source_channel_count, 5);
  cr_assert_eq(info.source_roles[0], KLONOS_ROLE_ACC_X);
  cr_assert_eq(info.source_roles[3], KLONOS_ROLE_AUX);
  cr_assert_float_eq(info.sample_rate_hz, 100.0, 1e-12);
  cr_assert_float_eq(info.nominal_rate_hz, 100.0, 1e-12);
  cr_assert_float_eq(info.measured_rate_hz, 100.0, 1e-9);
  cr_assert_float_eq(info.full_scale_g, 8.0, 0);
  cr_assert_eq(info.has_start_time, 1);
  cr_assert_eq(info.timestamped, 1);
  cr_assert_str_eq(info.start_time_iso, "2021-03-04T05:06:07.000");
  cr_assert_str_eq(info.device, "GENEActiv 1.1 serial 123456, firmware Ver1.30");
  cr_assert(strstr(info.format_detail, "GENEActiv"), "%s", info.format_detail);
  cr_assert_eq(info.source_units, KLONOS_UNITS_G);

  float *buf = malloc(sizeof(float) * 3 * 1000);
  long n = read_all(r, buf, 1000, 4096);
  cr_assert_eq(n, 3 * SPP);
  for (int p = 0; p < 3; p++)
    for (int i = 0; i < SPP; i++)
      for (int c = 0; c < 3; c++) {
        float got = buf[(p * SPP + i) * 3 + c];
        double want = g_of(p, i, c) * G;
        cr_assert(fabs(got - want) <= 1e-5 * fmax(1.0, fabs(want)), "page %d sample %d axis %d: %g vs %g", p, i, c, got,
                  want);
      }
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.frames_read, 3 * SPP);
  cr_assert_eq(st.bad_blocks, 0);
  cr_assert_eq(st.gap_count, 0);
  cr_assert_eq(st.nan_frames, 0);
  cr_assert_eq(st.notice_count, 0);
  free(buf);
  klonos_reader_close(&r);
}

Test(geneactiv, chunk_sizes_identical) {
  char path[512];
  tu_tmp_path(path, sizeof path, "chunks.bin");
  ga_spec sp = {.rate_text = "85.7 Hz", .page_step_s = 3.5, .pages = 4};
  write_ga(path, &sp);
  const size_t chunks[] = {1, 7, 4096};
  float *ref = NULL;
  long ref_n = 0;
  for (size_t k = 0; k < 3; k++) {
    klonos_recording_info info;
    klonos_reader *r = open_ok(path, NULL, &info);
    cr_assert_float_eq(info.measured_rate_hz, 300 / 3.5, 1e-6);
    float *buf = malloc(sizeof(float) * 3 * 2000);
    long n = read_all(r, buf, 2000, chunks[k]);
    /* "85.7 Hz" with 300 samples per 3.5 s page: frames at 600/7 Hz, one per sample. */
    cr_assert_float_eq(info.sample_rate_hz, 600.0 / 7.0, 1e-9);
    cr_assert_float_eq(info.nominal_rate_hz, 85.7, 1e-9);
    cr_assert_eq(n, 4 * SPP);
    for (int i = 0; i < 4 * SPP; i++)
      cr_assert_float_eq(buf[i * 3 + 2], g_of(i / SPP, i % SPP, 2) * G, 1e-4, "frame %d", i);
    if (!ref) {
      ref = buf;
      ref_n = n;
    } else {
      cr_assert_eq(n, ref_n);
      cr_assert_eq(memcmp(buf, ref, sizeof(float) * 3 * (size_t)n), 0, "chunk %zu differs", chunks[k]);
      free(buf);
    }
    klonos_reader_close(&r);
  }
  free(ref);
}

Test(geneactiv, bad_hex_page_skipped_as_gap) {
  char path[512];
  tu_tmp_path(path, sizeof path, "badhex.bin");
  ga_spec sp = {.rate_text = "100 Hz", .page_step_s = 3.0, .pages = 4, .kind = {PAGE_OK, PAGE_BAD_HEX, PAGE_OK, PAGE_OK}};
  write_ga(path, &sp);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  float *buf = malloc(sizeof(float) * 3 * 2000);
  long n = read_all(r, buf, 2000, 333);
  cr_assert_eq(n, 4 * SPP, "the grid still spans the skipped page");
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.bad_blocks, 1);
  cr_assert_eq(st.gap_count, 1);
  cr_assert_float_eq(st.gap_total_s, 3.01, 1e-6);
  cr_assert_eq(st.nan_frames, SPP);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "bad hexadecimal digit at column 209"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_GAP, NULL), 1);
  for (int i = SPP; i < 2 * SPP; i++) cr_assert(isnan(buf[i * 3]), "frame %d should be NaN", i);
  /* Page 3 (index 2) is back on the grid with exact values. */
  cr_assert_float_eq(buf[2 * SPP * 3 + 1], g_of(2, 0, 1) * G, 1e-4);
  free(buf);
  klonos_reader_close(&r);
}

Test(geneactiv, truncated_last_page_reported) {
  char path[512];
  tu_tmp_path(path, sizeof path, "cut.bin");
  ga_spec sp = {.rate_text = "100 Hz", .page_step_s = 3.0, .pages = 3, .kind = {PAGE_OK, PAGE_OK, PAGE_CUT}};
  write_ga(path, &sp);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  float *buf = malloc(sizeof(float) * 3 * 2000);
  cr_assert_eq(read_all(r, buf, 2000, 4096), 2 * SPP);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.bad_blocks, 1);
  cr_assert_eq(st.gap_count, 0);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "truncated"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "1805 of 3600"), 1);
  free(buf);
  klonos_reader_close(&r);
}

Test(geneactiv, wrong_length_and_missing_time_pages) {
  char path[512];
  tu_tmp_path(path, sizeof path, "badpages.bin");
  ga_spec sp = {.rate_text = "100 Hz", .page_step_s = 3.0, .pages = 4,
                .kind = {PAGE_OK, PAGE_SHORT_LINE, PAGE_NO_TIME, PAGE_OK}};
  write_ga(path, &sp);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  float *buf = malloc(sizeof(float) * 3 * 2000);
  cr_assert_eq(read_all(r, buf, 2000, 4096), 4 * SPP);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.bad_blocks, 2);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "wrong length"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "unreadable 'Page Time'"), 1);
  cr_assert_eq(st.nan_frames, 2 * SPP);
  free(buf);
  klonos_reader_close(&r);
}

Test(geneactiv, clipping_counted_from_raw_limits) {
  char path[512];
  tu_tmp_path(path, sizeof path, "clip.bin");
  ga_spec sp = {.rate_text = "100 Hz", .page_step_s = 3.0, .pages = 1, .clip_first = 1};
  write_ga(path, &sp);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  float buf[3 * SPP];
  cr_assert_eq(read_all(r, buf, SPP, 4096), SPP);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  /* raw_of() reaches +2047/-2048 itself on some samples; count them. */
  int64_t want[3] = {1, 0, 0};
  for (int i = 0; i < SPP; i++)
    for (int c = 0; c < 3; c++)
      if (!(i == 0 && c == 0) && (raw_of(0, i, c) == 2047 || raw_of(0, i, c) == -2048)) want[c]++;
  for (int c = 0; c < 3; c++) cr_assert_eq(st.clipped[c], want[c], "axis %d", c);
  klonos_reader_close(&r);
}

Test(geneactiv, no_pages_is_empty) {
  char path[512];
  tu_tmp_path(path, sizeof path, "nopages.bin");
  ga_spec sp = {.rate_text = "100 Hz", .page_step_s = 3.0, .pages = 0};
  write_ga(path, &sp);
  expect_open_error(path, NULL, KLONOS_E_EMPTY, "no data pages");
  /* Only a cut page: also empty, and the reason is given. */
  tu_tmp_path(path, sizeof path, "onlycut.bin");
  ga_spec sp2 = {.rate_text = "100 Hz", .page_step_s = 3.0, .pages = 1, .kind = {PAGE_CUT}};
  write_ga(path, &sp2);
  expect_open_error(path, NULL, KLONOS_E_EMPTY, "no complete data page");
}

Test(geneactiv, bad_headers) {
  char path[512];
  tu_tmp_path(path, sizeof path, "nocal.bin");
  const char nocal[] = "Device Identity\r\nDevice Type:GENEActiv\r\n\r\nRecorded Data\r\n";
  cr_assert_eq(tu_write_file(path, nocal, sizeof nocal - 1), 0);
  expect_open_error(path, NULL, KLONOS_E_CORRUPT, "lacks 'x gain'");

  tu_tmp_path(path, sizeof path, "zerogain.bin");
  const char zerogain[] = "Device Identity\r\nCalibration Data\r\nx gain:0\r\nx offset:0\r\ny gain:25000\r\n"
                          "y offset:0\r\nz gain:25000\r\nz offset:0\r\n\r\nRecorded Data\r\n";
  cr_assert_eq(tu_write_file(path, zerogain, sizeof zerogain - 1), 0);
  expect_open_error(path, NULL, KLONOS_E_CORRUPT, "x gain' 0 is not plausible");

  /* A header cut before its calibration (a truncated file). */
  tu_tmp_path(path, sizeof path, "cuthdr.bin");
  const char cut[] = "Device Identity\r\nDevice Unique Serial Code:0129";
  cr_assert_eq(tu_write_file(path, cut, sizeof cut - 1), 0);
  expect_open_error(path, NULL, KLONOS_E_CORRUPT, "lacks");

  /* Not GENEActiv at all, with the format forced. */
  tu_tmp_path(path, sizeof path, "garbage.bin");
  const unsigned char garbage[] = {0x00, 0xFF, 0x13, 0x37, 'x', '\n', 0x80};
  cr_assert_eq(tu_write_file(path, garbage, sizeof garbage), 0);
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.format = KLONOS_FORMAT_GENEACTIV;
  expect_open_error(path, &o, KLONOS_E_FORMAT, "Device Identity");
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

Test(geneactiv, real_file) {
  const char *dir = tu_real_data_dir();
  if (!dir) cr_skip_test("real data folder (KLONOS_REAL_DATA) not present");
  char path[1024];
  snprintf(path, sizeof path, "%s/geneactiv-bin/GENEActiv_testfile.bin", dir);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_eq(info.format, KLONOS_FORMAT_GENEACTIV);
  /* The header's "85.7 Hz" is 600/7 Hz rounded: the pages are 3.500 s apart. */
  cr_assert_float_eq(info.nominal_rate_hz, 85.7, 1e-9);
  cr_assert_float_eq(info.sample_rate_hz, 600.0 / 7.0, 1e-9);
  cr_assert_float_eq(info.measured_rate_hz, 600.0 / 7.0, 1e-6);
  cr_assert_str_eq(info.start_time_iso, "2013-05-30T10:12:54.500");
  cr_assert_str_eq(info.device, "GENEActiv 1.1 serial 012967, firmware Ver1.30 date 05Aug11");
  cr_assert_float_eq(info.full_scale_g, 8.0, 0);
  float *buf = malloc(sizeof(float) * 3 * 6000);
  long n = read_all(r, buf, 6000, 4096);
  /* 16 complete pages x 300 = 4800 samples, 16 x 3.5 = 56 s. */
  cr_assert_eq(n, 4800);
  cr_assert_float_eq(n / info.sample_rate_hz, 56.0, 0.05);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.bad_blocks, 1, "the cut 17th page");
  cr_assert_eq(st.gap_count, 0);
  cr_assert_eq(st.nan_frames, 0);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "page 17"), 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "2781 of 3600"), 1);
  double *mag = malloc(sizeof(double) * (size_t)n);
  double lo = 1e9, hi = -1e9;
  for (long i = 0; i < n; i++) {
    double s2 = 0;
    for (int c = 0; c < 3; c++) {
      double g = buf[i * 3 + c] / G;
      s2 += g * g;
      lo = fmin(lo, g);
      hi = fmax(hi, g);
    }
    mag[i] = sqrt(s2);
  }
  qsort(mag, (size_t)n, sizeof *mag, cmp_double);
  cr_assert_float_eq(mag[n / 2], 1.008, 0.02, "median |acc| %g g", mag[n / 2]);
  cr_assert(lo > -4.3 && lo < -3.6, "min %g g", lo);
  cr_assert(hi > 4.2 && hi < 4.7, "max %g g", hi);
  free(mag);
  free(buf);
  klonos_reader_close(&r);
}

Test(geneactiv, overlapping_page_time_skipped) {
  char path[512];
  tu_tmp_path(path, sizeof path, "overlap.bin");
  ga_spec sp = {.rate_text = "100 Hz", .page_step_s = 1.0, .pages = 2};
  write_ga(path, &sp);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  float buf[3 * 700];
  cr_assert_eq(read_all(r, buf, 700, 4096), SPP);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.bad_blocks, 1);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_BAD_BLOCK, "overlaps the previous page"), 1);
  klonos_reader_close(&r);
}
