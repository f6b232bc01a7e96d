/* CSV/TSV reader: layouts, units, times, regridding, every refused input,
 * and the real Mobilise-D and IPOL exports. Files are written here and read
 * back through the public API; numbers are checked against the values written. */
#include <criterion/criterion.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader_priv.h"
#include "klonos/reader.h"
#include "klonos/status.h"
#include "testutil.h"

#define G0 KLONOS_STANDARD_GRAVITY_MPS2
#define DEG 0.017453292519943295 /* rad per degree */
#define MAX_KEPT_NOTICES 16

/* ------------------------------------------------------------ helpers -- */

typedef struct {
  int rc;             /* first error, from open or from a read */
  int failed_in_read; /* the error came from a read, after a good open */
  klonos_recording_info info;
  klonos_read_stats stats;
  float *frames;      /* every frame read (before the error, if any) */
  size_t n;
  char error[512];
  int n_notices;
  klonos_notice notices[MAX_KEPT_NOTICES];
} csv_result;

static void result_free(csv_result *res) { free(res->frames); res->frames = NULL; }

/* Write text to a scratch file; returns its path (static per name slot). */
static const char *write_text(char *path, size_t cap, const char *name, const char *text) {
  tu_tmp_path(path, cap, name);
  cr_assert_eq(tu_write_file(path, text, strlen(text)), 0, "cannot write %s", path);
  return path;
}

/* Open a scratch file to print rows into. */
static FILE *create_text(char *path, size_t cap, const char *name) {
  tu_tmp_path(path, cap, name);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot create %s", path);
  return f;
}

static klonos_reader_options opts_rate(double rate_hz, const char *columns) {
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.rate_hz = rate_hz;
  if (columns) snprintf(o.columns, sizeof o.columns, "%s", columns);
  return o;
}

/* Open and read to the end in chunks of `chunk` frames. */
static csv_result run(const char *path, const klonos_reader_options *o, size_t chunk) {
  csv_result res;
  memset(&res, 0, sizeof res);
  klonos_reader *r = NULL;
  res.rc = klonos_reader_open(&r, path, o);
  cr_assert_not_null(r);
  if (res.rc == KLONOS_OK) {
    cr_assert_eq(klonos_reader_info(r, &res.info), KLONOS_OK);
    size_t cap = 1024, nch = (size_t)res.info.channel_count;
    res.frames = malloc(cap * nch * sizeof(float));
    float *buf = malloc(chunk * nch * sizeof(float));
    cr_assert(res.frames && buf);
    for (;;) {
      size_t got = 99;
      int rc = klonos_reader_read_f32(r, buf, chunk, &got);
      if (rc != KLONOS_OK) {
        res.rc = rc;
        res.failed_in_read = 1;
        cr_assert_eq(got, 0u);
        /* Sticky: the next read refuses with the same code. */
        cr_assert_eq(klonos_reader_read_f32(r, buf, chunk, &got), rc);
        break;
      }
      if (got == 0) break;
      cr_assert_leq(got, chunk);
      while (res.n + got > cap) {
        cap *= 2;
        res.frames = realloc(res.frames, cap * nch * sizeof(float));
        cr_assert_not_null(res.frames);
      }
      memcpy(res.frames + res.n * nch, buf, got * nch * sizeof(float));
      res.n += got;
    }
    free(buf);
  }
  snprintf(res.error, sizeof res.error, "%s", klonos_reader_error(r));
  klonos_reader_stats(r, &res.stats);
  for (int i = 0; i < MAX_KEPT_NOTICES && klonos_reader_notice(r, (size_t)i, &res.notices[i]) == KLONOS_OK; i++)
    res.n_notices++;
  klonos_reader_close(&r);
  cr_assert_null(r);
  return res;
}

static csv_result run_text(const char *name, const char *text, const klonos_reader_options *o) {
  char path[512];
  write_text(path, sizeof path, name, text);
  return run(path, o, 4096);
}

static int has_notice(const csv_result *res, int kind, const char *needle) {
  for (int i = 0; i < res->n_notices; i++)
    if (res->notices[i].kind == kind && strstr(res->notices[i].message, needle)) return 1;
  return 0;
}

static float frame_at(const csv_result *res, size_t frame, int ch) {
  return res->frames[frame * (size_t)res->info.channel_count + (size_t)ch];
}

/* An error must be `code` and its message must hold every needle. */
static void expect_error(const csv_result *res, int code, int n_needles, ...) {
  cr_assert_eq(res->rc, code, "expected %s, got %s: %s", klonos_status_name(code), klonos_status_name(res->rc),
               res->error);
  va_list ap;
  va_start(ap, n_needles);
  for (int i = 0; i < n_needles; i++) {
    const char *needle = va_arg(ap, const char *);
    cr_assert_not_null(strstr(res->error, needle), "error \"%s\" lacks \"%s\"", res->error, needle);
  }
  va_end(ap);
}

/* Deterministic uniform numbers in [-1, 1). */
static double lcg_uniform(uint64_t *state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*state >> 11) / 4503599627370496.0 - 1.0;
}

/* ------------------------------------------------------------ layouts -- */

Test(csv_layout, comma_header_seconds) {
  csv_result res = run_text("comma.csv",
                            "time,x,y,z\n"
                            "0.00,0.1,0.2,1.0\n"
                            "0.01,0.2,0.3,0.9\n"
                            "0.02,0.3,0.4,0.8\n"
                            "0.03,0.4,0.5,0.7\n",
                            NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.format, KLONOS_FORMAT_CSV);
  cr_assert_eq(res.info.channel_count, 3);
  cr_assert_eq(res.info.source_channel_count, 4);
  cr_assert_eq(res.info.source_roles[0], KLONOS_ROLE_TIME);
  cr_assert_eq(res.info.source_roles[1], KLONOS_ROLE_ACC_X);
  cr_assert_eq(res.info.source_roles[3], KLONOS_ROLE_ACC_Z);
  cr_assert_eq(res.info.timestamped, 1);
  cr_assert_float_eq(res.info.sample_rate_hz, 100.0, 1e-9);
  cr_assert_float_eq(res.info.measured_rate_hz, 100.0, 1e-6);
  cr_assert_eq(res.info.has_start_time, 0);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_G);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "inferred g"));
  cr_assert_eq(res.n, 4u);
  cr_assert_float_eq(frame_at(&res, 0, 0), 0.1 * G0, 1e-5);
  cr_assert_float_eq(frame_at(&res, 2, 1), 0.4 * G0, 1e-5);
  cr_assert_float_eq(frame_at(&res, 3, 2), 0.7 * G0, 1e-5);
  result_free(&res);
}

Test(csv_layout, semicolon_decimal_comma) {
  csv_result res = run_text("semi2.csv",
                 "time;acc_x;acc_y;acc_z\n"
                 "0,00;0,5;-0,25;9,5\n"
                 "0,02;0,75;-0,5;9,75\n"
                 "0,04;1,5;-1;10\n",
                 NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_MPS2);
  cr_assert_float_eq(res.info.sample_rate_hz, 50.0, 1e-9);
  cr_assert_eq(res.n, 3u);
  cr_assert_float_eq(frame_at(&res, 0, 0), 0.5, 1e-6);
  cr_assert_float_eq(frame_at(&res, 0, 1), -0.25, 1e-6);
  cr_assert_float_eq(frame_at(&res, 1, 2), 9.75, 1e-5);
  cr_assert_float_eq(frame_at(&res, 2, 0), 1.5, 1e-6);
  result_free(&res);
}

Test(csv_layout, semicolon_without_time_needs_rate) {
  klonos_reader_options o = opts_rate(25.0, NULL);
  csv_result res = run_text("semi3.csv", "zeit;acc_x;acc_y;acc_z\n0,00;0,5;-0,25;9,5\n0,04;1,5;-1;10\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_roles[0], KLONOS_ROLE_IGNORED);
  cr_assert_float_eq(res.info.sample_rate_hz, 25.0, 1e-12);
  cr_assert_eq(res.n, 2u);
  cr_assert_float_eq(frame_at(&res, 1, 2), 10.0, 1e-6);
  result_free(&res);
}

Test(csv_layout, tab_no_header_rate_option) {
  klonos_reader_options o = opts_rate(50.0, NULL);
  csv_result res = run_text("tab.tsv", "0.5\t0.25\t-1\n0.5\t0.5\t-1.5\n1e-1\t-2E-1\t+0.75\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.timestamped, 0);
  cr_assert_eq(res.info.channel_count, 3);
  cr_assert_eq(res.info.source_roles[0], KLONOS_ROLE_ACC_X);
  cr_assert_float_eq(res.info.sample_rate_hz, 50.0, 1e-12);
  cr_assert_eq(res.n, 3u);
  cr_assert_float_eq(frame_at(&res, 2, 0), 0.1 * G0, 1e-5);
  cr_assert_float_eq(frame_at(&res, 2, 1), -0.2 * G0, 1e-5);
  cr_assert_float_eq(frame_at(&res, 2, 2), 0.75 * G0, 1e-5);
  result_free(&res);
}

Test(csv_layout, tab_decimal_comma_and_blank_runs) {
  klonos_reader_options o = opts_rate(10.0, NULL);
  csv_result res = run_text("tabc.tsv", "0,5\t0,25\t9,5\n0,5\t0,5\t9,75\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(frame_at(&res, 1, 2), 9.75, 1e-5);
  result_free(&res);

  res = run_text("blank.txt", "  t   ax   ay   az\n 0.0  0.0  0.0  9.8\n 0.1  0.1  0.0  9.8\n 0.2  0.2  0.0  9.8\n", NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(res.info.sample_rate_hz, 10.0, 1e-9);
  cr_assert_eq(res.n, 3u);
  cr_assert_float_eq(frame_at(&res, 2, 0), 0.2, 1e-6);
  result_free(&res);
}

Test(csv_layout, four_columns_without_header_are_t_x_y_z) {
  csv_result res = run_text("nohdr4.csv", "10.0,0,0,1\n10.5,0,1,0\n11.0,1,0,0\n", NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.timestamped, 1);
  cr_assert_float_eq(res.info.sample_rate_hz, 2.0, 1e-9);
  cr_assert_eq(res.n, 3u);
  cr_assert_float_eq(frame_at(&res, 1, 1), G0, 1e-5);
  /* 2 Hz from a time column is suspicious: it may be a sample index. */
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "sample index"));
  result_free(&res);
}

Test(csv_layout, crlf_bom_comments_preamble_blank_tail) {
  csv_result res = run_text("crlf.csv",
                            "\xEF\xBB\xBF# exported by a logger\r\n"
                            "Device: test unit 7\r\n"
                            "Sampling rate: 20 Hz\r\n"
                            "\r\n"
                            "ax,ay,az\r\n"
                            "0,0,1\r\n"
                            "# a comment inside the data\r\n"
                            "0,1,0\r\n"
                            "1,0,0\r\n"
                            "\r\n\r\n",
                            NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(res.info.sample_rate_hz, 20.0, 1e-12);
  cr_assert_float_eq(res.info.nominal_rate_hz, 20.0, 1e-12);
  cr_assert_eq(res.n, 3u);
  cr_assert_float_eq(frame_at(&res, 2, 0), G0, 1e-5);
  cr_assert_not_null(strstr(res.info.format_detail, "header line 5"), "%s", res.info.format_detail);
  result_free(&res);
}

Test(csv_layout, preamble_rate_statements) {
  static const struct { const char *text; double rate_hz; } cases[] = {
      {"---- ActiGraph GT3X+ ActiLife v6.13.3 Firmware v2.5.0 date format M/d/yyyy at 30 Hz  Filter Normal ----\n"
       "Start Date 1/1/2020\nCurrent Battery Voltage: 4.22     Mode = 12\n"
       "Accelerometer X,Accelerometer Y,Accelerometer Z\n0.012,-0.988,0.047\n0.010,-0.984,0.047\n", 30.0},
      {"% MATLAB export, fs = 128\n% columns: x y z\n0.1 0.2 0.9\n0.1 0.2 0.95\n", 128.0},
      {"Sample rate: 12.5\nx;y;z\n0;0;1\n0;0;1\n", 12.5},
      {"# sampling frequency 1.6 kHz\nx\ty\tz\n0\t0\t1\n", 1600.0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    csv_result res = run_text("pre.csv", cases[i].text, NULL);
    cr_assert_eq(res.rc, KLONOS_OK, "case %zu: %s", i, res.error);
    cr_assert_float_eq(res.info.sample_rate_hz, cases[i].rate_hz, 1e-9, "case %zu", i);
    cr_assert_float_eq(res.info.nominal_rate_hz, cases[i].rate_hz, 1e-9, "case %zu", i);
    result_free(&res);
  }
  /* Numbers that are not rates: an offset, a heart rate. */
  csv_result res = run_text("pre_no.csv", "# offset: 3\n# heart rate 70\nx,y,z\n0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_RATE, 0);
  result_free(&res);
  /* The option overrides a stated rate. */
  klonos_reader_options o = opts_rate(50.0, NULL);
  res = run_text("pre_opt.csv", "Sample rate: 100 Hz\nx,y,z\n0,0,1\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(res.info.sample_rate_hz, 50.0, 1e-12);
  cr_assert_float_eq(res.info.nominal_rate_hz, 100.0, 1e-12);
  result_free(&res);
}

Test(csv_layout, bom_on_header_and_cr_only_lines) {
  klonos_reader_options o = opts_rate(10.0, NULL);
  csv_result res = run_text("bomhdr.csv", "\xEF\xBB\xBFx,y,z\r0,0,1\r0,1,0", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.n, 2u);
  cr_assert_eq(res.info.source_roles[0], KLONOS_ROLE_ACC_X); /* the BOM did not hide the name "x" */
  result_free(&res);
}

Test(csv_layout, quoted_phyphox_header) {
  csv_result res = run_text("phyphox.csv",
                            "\"Time (s)\",\"Acceleration x (m/s^2)\",\"Acceleration y (m/s^2)\","
                            "\"Acceleration z (m/s^2)\"\n"
                            "0.000000000E0,1.0E-1,2.0E-1,9.8E0\n"
                            "2.000000000E-3,1.1E-1,2.1E-1,9.81E0\n"
                            "4.000000000E-3,1.2E-1,2.2E-1,9.82E0\n",
                            NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_MPS2);
  cr_assert(!has_notice(&res, KLONOS_NOTICE_OTHER, "inferred"));
  cr_assert_float_eq(res.info.sample_rate_hz, 500.0, 1e-9);
  cr_assert_float_eq(frame_at(&res, 2, 2), 9.82, 1e-5);
  result_free(&res);
}

Test(csv_layout, columns_by_name_and_index) {
  const char *text = "stamp,u,v,w,extra,p,q,rr\n"
                     "0.0,0.1,0.2,0.3,x,10,20,30\n"
                     "0.1,0.4,0.5,0.6,y,40,50,60\n";
  klonos_reader_options o = opts_rate(0.0, "STAMP, u, v, w");
  csv_result res = run_text("cols.csv", text, &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.timestamped, 1);
  cr_assert_eq(res.info.source_roles[0], KLONOS_ROLE_TIME);
  cr_assert_eq(res.info.source_roles[4], KLONOS_ROLE_IGNORED);
  cr_assert_float_eq(frame_at(&res, 1, 2), 0.6 * G0, 1e-5);
  result_free(&res);

  /* By index, reordered, with gyro; no time so a rate. */
  o = opts_rate(100.0, NULL);
  o.units = KLONOS_UNITS_G;
  o.gyro_units = KLONOS_UNITS_DPS;
  snprintf(o.columns, sizeof o.columns, "4,3,2,6,7,8");
  res = run_text("cols2.csv", text, &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.channel_count, 6);
  cr_assert_eq(res.info.source_roles[3], KLONOS_ROLE_ACC_X);
  cr_assert_eq(res.info.source_roles[1], KLONOS_ROLE_ACC_Z);
  cr_assert_eq(res.info.source_roles[7], KLONOS_ROLE_GYRO_Z);
  cr_assert_eq(res.info.source_roles[0], KLONOS_ROLE_IGNORED);
  cr_assert_float_eq(frame_at(&res, 0, 0), 0.3 * G0, 1e-5);
  cr_assert_float_eq(frame_at(&res, 0, 2), 0.1 * G0, 1e-5);
  cr_assert_float_eq(frame_at(&res, 1, 3), 40 * DEG, 1e-6);
  cr_assert_float_eq(frame_at(&res, 1, 5), 60 * DEG, 1e-6);
  result_free(&res);
}

Test(csv_layout, more_than_sixteen_columns) {
  char path[512];
  FILE *f = create_text(path, sizeof path, "wide.csv");
  for (int c = 0; c < 20; c++) fprintf(f, "%sc%d", c ? "," : "", c);
  fprintf(f, ",acc_x,acc_y,acc_z\n");
  for (int row = 0; row < 5; row++) {
    for (int c = 0; c < 20; c++) fprintf(f, "%d,", c);
    fprintf(f, "0,0,%d\n", 1000 + row);
  }
  fclose(f);
  klonos_reader_options o = opts_rate(10.0, NULL);
  csv_result res = run(path, &o, 3);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_channel_count, 23);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_MG);
  cr_assert_eq(res.n, 5u);
  cr_assert_float_eq(frame_at(&res, 4, 2), 1.004 * G0, 1e-5);
  result_free(&res);
}

/* -------------------------------------------------------------- units -- */

static void check_units(const char *name, const char *header, const char *row, int acc_units, double ax_mps2,
                        double gx_radps) {
  char text[512];
  snprintf(text, sizeof text, "%s\n%s\n%s\n", header, row, row);
  klonos_reader_options o = opts_rate(100.0, NULL);
  csv_result res = run_text(name, text, &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s: %s", header, res.error);
  cr_assert_eq(res.info.source_units, acc_units, "%s: units %d", header, res.info.source_units);
  cr_assert(!has_notice(&res, KLONOS_NOTICE_OTHER, "inferred"), "%s: units were stated", header);
  cr_assert_float_eq(frame_at(&res, 0, 0), ax_mps2, 1e-4 * fabs(ax_mps2) + 1e-6, "%s", header);
  if (gx_radps != 0.0) {
    cr_assert_eq(res.info.channel_count, 6, "%s", header);
    cr_assert_float_eq(frame_at(&res, 0, 3), gx_radps, 1e-6, "%s", header);
  }
  result_free(&res);
}

Test(csv_units, from_header) {
  check_units("u1.csv", "ax (g),ay (g),az (g)", "0.5,0,1", KLONOS_UNITS_G, 0.5 * G0, 0);
  check_units("u2.csv", "acc_x [m/s^2],acc_y [m/s^2],acc_z [m/s^2]", "0.5,0,9.8", KLONOS_UNITS_MPS2, 0.5, 0);
  check_units("u3.csv", "Acceleration x (m/s\xC2\xB2),Acceleration y (m/s\xC2\xB2),Acceleration z (m/s\xC2\xB2)",
              "0.5,0,9.8", KLONOS_UNITS_MPS2, 0.5, 0);
  check_units("u4.csv", "accX_mg,accY_mg,accZ_mg", "500,0,1000", KLONOS_UNITS_MG, 0.5 * G0, 0);
  check_units("u5.csv", "ax (g),ay (g),az (g),gx (deg/s),gy (deg/s),gz (deg/s)", "0.5,0,1,90,0,0", KLONOS_UNITS_G,
              0.5 * G0, 90 * DEG);
  check_units("u6.csv", "ax (g),ay (g),az (g),gyro_x_dps,gyro_y_dps,gyro_z_dps", "0.5,0,1,-45,0,0", KLONOS_UNITS_G,
              0.5 * G0, -45 * DEG);
  check_units("u7.csv", "ax (g),ay (g),az (g),Rotation x (rad/s),Rotation y (rad/s),Rotation z (rad/s)",
              "0.5,0,1,1.25,0,0", KLONOS_UNITS_G, 0.5 * G0, 1.25);
  check_units("u8.csv", "accelerometer x (g),accelerometer y (g),accelerometer z (g),gyr_x (\xC2\xB0/s),gyr_y,gyr_z",
              "0.5,0,1,180,0,0", KLONOS_UNITS_G, 0.5 * G0, 180 * DEG);
}

Test(csv_units, inferred_from_gravity) {
  klonos_reader_options o = opts_rate(100.0, NULL);
  csv_result res = run_text("inf_g.csv", "x,y,z\n0.1,0.2,0.97\n0.1,0.2,0.98\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_G);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "inferred g"));
  cr_assert_float_eq(frame_at(&res, 0, 2), 0.97 * G0, 1e-5);
  result_free(&res);

  res = run_text("inf_m.csv", "x,y,z\n0.1,0.2,9.7\n0.1,0.2,9.8\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_MPS2);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "inferred m/s^2"));
  cr_assert_float_eq(frame_at(&res, 0, 2), 9.7, 1e-5);
  result_free(&res);

  res = run_text("inf_mg.csv", "x,y,z\n10,20,990\n10,20,1010\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_MG);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "inferred mg"));
  cr_assert_float_eq(frame_at(&res, 1, 2), 1.010 * G0, 1e-5);
  result_free(&res);

  /* Nowhere near gravity: assume g (the documented default) and say so. */
  res = run_text("inf_none.csv", "x,y,z\n0.01,0.02,0.03\n0.01,0.02,0.03\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_G);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "assumed g"));
  result_free(&res);
}

Test(csv_units, options_when_header_is_silent) {
  klonos_reader_options o = opts_rate(100.0, NULL);
  o.units = KLONOS_UNITS_MPS2;
  o.gyro_units = KLONOS_UNITS_RADPS;
  csv_result res = run_text("opt_u.csv", "ax,ay,az,gx,gy,gz\n0,0,9.8,0.5,0,0\n0,0,9.8,0.5,0,0\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_MPS2);
  cr_assert(!has_notice(&res, KLONOS_NOTICE_OTHER, "inferred"));
  cr_assert_float_eq(frame_at(&res, 0, 2), 9.8, 1e-5);
  cr_assert_float_eq(frame_at(&res, 0, 3), 0.5, 1e-6);
  result_free(&res);

  /* Default gyro unit deg/s; tiny values raise a hint about rad/s. */
  o.gyro_units = KLONOS_UNITS_AUTO;
  res = run_text("opt_u2.csv", "ax,ay,az,gx,gy,gz\n0,0,9.8,0.5,0,0\n0,0,9.8,0.5,0,0\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(frame_at(&res, 0, 3), 0.5 * DEG, 1e-7);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "gyro_units"));
  result_free(&res);

  /* Declared m/s^2 but gravity reads ~1: a hint to check the units. */
  res = run_text("opt_u4.csv", "ax (m/s^2),ay (m/s^2),az (m/s^2)\n0,0,1\n0,0,1\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_MPS2);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "check the units"));
  result_free(&res);

  /* The header wins over a contradicting option, with a notice. */
  o.units = KLONOS_UNITS_MG;
  res = run_text("opt_u3.csv", "ax (g),ay (g),az (g)\n0,0,1\n0,0,1\n", &o);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_G);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "ignored"));
  result_free(&res);
}

/* -------------------------------------------------------------- times -- */

Test(csv_time, iso_timestamps_give_start_time) {
  char path[512];
  FILE *f = create_text(path, sizeof path, "iso.csv");
  fprintf(f, "timestamp,x,y,z\n");
  for (int i = 0; i < 250; i++) fprintf(f, "2021-06-27T16:52:%02d.%03dZ,0,0,%d\n", 20 + i / 100, (i % 100) * 10, i);
  fclose(f);
  klonos_reader_options o = opts_rate(0.0, NULL);
  o.units = KLONOS_UNITS_MG;
  csv_result res = run(path, &o, 4096);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.timestamped, 1);
  cr_assert_eq(res.info.has_start_time, 1);
  cr_assert_float_eq(res.info.start_time_unix_s, 1624812740.0, 1e-6);
  cr_assert_str_eq(res.info.start_time_iso, "2021-06-27T16:52:20.000");
  cr_assert_float_eq(res.info.sample_rate_hz, 100.0, 1e-9);
  cr_assert_eq(res.n, 250u);
  for (size_t k = 0; k < res.n; k++) cr_assert_float_eq(frame_at(&res, k, 2), k * G0 / 1000.0, 1e-4, "frame %zu", k);
  result_free(&res);
}

Test(csv_time, iso_space_and_zone_offset) {
  /* Device clock +02:00 with a DST-like change to +01:00 that keeps the instant increasing. */
  csv_result res = run_text("iso2.csv",
                            "datetime;ax;ay;az\n"
                            "2021-10-31 02:59:59,000+02:00;0;0;1\n"
                            "2021-10-31 02:59:59,500+02:00;0;0;1\n"
                            "2021-10-31 02:00:00,000+01:00;0;0;1\n"
                            "2021-10-31 02:00:00,500+01:00;0;0;1\n",
                            NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.has_start_time, 1);
  cr_assert_str_eq(res.info.start_time_iso, "2021-10-31T02:59:59.000"); /* the wall clock as written */
  cr_assert_float_eq(res.info.sample_rate_hz, 2.0, 1e-9);
  cr_assert_eq(res.n, 4u);
  result_free(&res);
}

Test(csv_time, unix_seconds_and_milliseconds) {
  char path[512];
  FILE *f = create_text(path, sizeof path, "unixms.csv");
  fprintf(f, "timestamp,x,y,z\n");
  for (int i = 0; i < 50; i++) fprintf(f, "%lld,0,0,1\n", 1624812740000LL + 20LL * i);
  fclose(f);
  csv_result res = run(path, NULL, 4096);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(res.info.sample_rate_hz, 50.0, 1e-9);
  cr_assert_eq(res.info.has_start_time, 1);
  cr_assert_str_eq(res.info.start_time_iso, "2021-06-27T16:52:20.000");
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "milliseconds"));
  cr_assert_eq(res.n, 50u);
  result_free(&res);

  res = run_text("time_ms.csv", "time_ms,x,y,z\n0,0,0,1\n10,0,0,1\n20,0,0,1\n", NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(res.info.sample_rate_hz, 100.0, 1e-9);
  cr_assert_eq(res.info.has_start_time, 0);
  result_free(&res);
}

/* Absolute times near 1.6e9 s must not lose the last on-grid sample to rounding. */
Test(csv_time, absolute_times_keep_every_on_grid_frame) {
  csv_result res = run_text("om.csv",
                            "2014-05-07 13:29:50.430,-0.078125,0.015625,1.015625\n"
                            "2014-05-07 13:29:50.440,-0.078125,0.015625,1.015625\n"
                            "2014-05-07 13:29:50.450,-0.0625,0.015625,1.0\n",
                            NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(res.info.sample_rate_hz, 100.0, 1e-9);
  cr_assert_str_eq(res.info.start_time_iso, "2014-05-07T13:29:50.430");
  cr_assert_eq(res.n, 3u);
  cr_assert_float_eq(frame_at(&res, 2, 2), 1.0 * G0, 1e-5);
  result_free(&res);

  char path[512];
  FILE *f = create_text(path, sizeof path, "unix_s.csv");
  fprintf(f, "unix,x,y,z\n");
  for (int i = 0; i <= 300; i++) fprintf(f, "%lld.%02d,0,0,%d\n", 1624812740LL + i / 100, i % 100, 1000 + i);
  fclose(f);
  res = run(path, NULL, 4096);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.n, 301u);
  cr_assert_float_eq(res.info.start_time_unix_s, 1624812740.0, 1e-6);
  for (size_t k = 0; k < res.n; k++)
    cr_assert_float_eq(frame_at(&res, k, 2), (1000 + k) * G0 / 1000.0, 1e-4, "frame %zu", k);
  result_free(&res);
}

/* Timestamps jittered +-20 % around 10 ms from a known signal: the frames on
 * the uniform 100 Hz grid must match the signal there. */
static double truth(int ch, double t) {
  switch (ch) {
    case 0: return 0.5 * t - 1.0;                        /* ramp: interpolated exactly */
    case 1: return 2.0 * sin(2.0 * 3.141592653589793 * 0.5 * t);
    default: return 9.8;
  }
}

Test(csv_time, jittered_timestamps_regridded) {
  char path[512];
  FILE *f = create_text(path, sizeof path, "jitter.csv");
  fprintf(f, "t,ax (m/s^2),ay (m/s^2),az (m/s^2)\n");
  uint64_t rng = 12345;
  const double t0 = 3.0;
  int rows = 2000;
  double t_last = 0.0;
  for (int i = 0; i < rows; i++) {
    double t = t0 + i * 0.01 + 0.002 * lcg_uniform(&rng); /* steps of 6..14 ms */
    fprintf(f, "%.9f,%.9f,%.9f,%.9f\n", t, truth(0, t), truth(1, t), truth(2, t));
    t_last = t;
  }
  fclose(f);
  csv_result res = run(path, NULL, 4096);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_eq(res.info.timestamped, 1);
  cr_assert_float_eq(res.info.sample_rate_hz, 100.0, 1e-12);
  cr_assert_float_eq(res.info.measured_rate_hz, 100.0, 0.2);
  /* The first sample's time opens the grid. */
  rng = 12345;
  double t_first = t0 + 0.002 * lcg_uniform(&rng);
  size_t expect_frames = (size_t)floor((t_last - t_first) * 100.0) + 1;
  cr_assert_eq(res.n, expect_frames);
  double worst = 0.0;
  for (size_t k = 0; k < res.n; k++) {
    double t = t_first + (double)k / 100.0;
    for (int ch = 0; ch < 3; ch++) {
      double err = fabs(frame_at(&res, k, ch) - truth(ch, t));
      if (err > worst) worst = err;
    }
  }
  cr_assert_lt(worst, 1e-3, "worst interpolation error %g", worst);
  cr_assert_eq(res.stats.gap_count, 0);
  result_free(&res);
}

static const char *write_gap_file(char *path, size_t cap) {
  FILE *f = create_text(path, cap, "gap.csv");
  fprintf(f, "time,ax,ay,az\n");
  for (int i = 0; i <= 200; i++) fprintf(f, "%.2f,0,0,%.3f\n", i * 0.01, 1.0 + i * 0.001);
  for (int i = 500; i <= 700; i++) fprintf(f, "%.2f,0,0,%.3f\n", i * 0.01, 1.0 + i * 0.001);
  fclose(f);
  return path;
}

Test(csv_time, gap_becomes_nan_frames_and_one_notice) {
  char path[512];
  csv_result res = run(write_gap_file(path, sizeof path), NULL, 4096);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(res.info.sample_rate_hz, 100.0, 1e-9);
  cr_assert_eq(res.n, 701u);
  cr_assert_eq(res.stats.gap_count, 1);
  cr_assert_float_eq(res.stats.gap_total_s, 3.0, 1e-6);
  cr_assert_eq(res.stats.nan_frames, 299);
  int gaps = 0;
  for (int i = 0; i < res.n_notices; i++) gaps += res.notices[i].kind == KLONOS_NOTICE_GAP;
  cr_assert_eq(gaps, 1);
  cr_assert(has_notice(&res, KLONOS_NOTICE_GAP, "line "));
  cr_assert(!isnan(frame_at(&res, 200, 2)));
  cr_assert(isnan(frame_at(&res, 201, 0)) && isnan(frame_at(&res, 499, 2)));
  cr_assert_float_eq(frame_at(&res, 500, 2), 1.5 * G0, 1e-4);
  cr_assert_float_eq(frame_at(&res, 700, 2), 1.7 * G0, 1e-4);
  result_free(&res);
}

static int same_frames(const csv_result *a, const csv_result *b) {
  if (a->n != b->n || a->info.channel_count != b->info.channel_count) return 0;
  size_t n = a->n * (size_t)a->info.channel_count;
  for (size_t i = 0; i < n; i++)
    if (!(a->frames[i] == b->frames[i] || (isnan(a->frames[i]) && isnan(b->frames[i])))) return 0;
  return 1;
}

Test(csv_time, chunk_sizes_give_identical_frames) {
  char gap_path[512], plain_path[512];
  write_gap_file(gap_path, sizeof gap_path);
  FILE *f = create_text(plain_path, sizeof plain_path, "plain.csv");
  fprintf(f, "acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n");
  for (int i = 0; i < 5000; i++) fprintf(f, "%d,%d,1000,%d,0,0\n", i % 17, i % 5, i % 360);
  fclose(f);
  klonos_reader_options o = opts_rate(100.0, NULL);
  const char *paths[2] = {gap_path, plain_path};
  const klonos_reader_options *os[2] = {NULL, &o};
  for (int p = 0; p < 2; p++) {
    csv_result ref = run(paths[p], os[p], 4096);
    cr_assert_eq(ref.rc, KLONOS_OK, "%s", ref.error);
    size_t chunks[2] = {1, 7};
    for (int c = 0; c < 2; c++) {
      csv_result other = run(paths[p], os[p], chunks[c]);
      cr_assert_eq(other.rc, KLONOS_OK, "%s", other.error);
      cr_assert(same_frames(&ref, &other), "%s: chunk %zu differs", paths[p], chunks[c]);
      cr_assert_eq(other.stats.notice_count, ref.stats.notice_count);
      result_free(&other);
    }
    result_free(&ref);
  }
}

Test(csv_time, counter_that_skips_is_reported) {
  csv_result res = run_text("xsens.txt",
                            "Acquisition frequency: 100 Hz\n"
                            "PacketCounter\tAcc_X\tAcc_Y\tAcc_Z\tGyr_X\tGyr_Y\tGyr_Z\tMag_X\tMag_Y\tMag_Z\n"
                            "0.0\t9.8\t0\t0\t0.5\t0\t0\t0.1\t0.2\t0.3\n"
                            "1.0\t9.8\t0\t0\t0.5\t0\t0\t0.1\t0.2\t0.3\n"
                            "4.0\t9.8\t0\t0\t0.5\t0\t0\t0.1\t0.2\t0.3\n"
                            "5.0\t9.8\t0\t0\t0.5\t0\t0\t0.1\t0.2\t0.3\n",
                            NULL);
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(res.info.sample_rate_hz, 100.0, 1e-12);
  cr_assert_eq(res.info.channel_count, 6);
  cr_assert_eq(res.info.source_units, KLONOS_UNITS_MPS2);
  cr_assert_eq(res.info.source_roles[0], KLONOS_ROLE_IGNORED);
  cr_assert_eq(res.info.source_roles[9], KLONOS_ROLE_IGNORED);
  cr_assert_float_eq(frame_at(&res, 0, 3), 0.5, 1e-7); /* Xsens export: rad/s */
  cr_assert_eq(res.n, 4u);
  cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, "skips 2 sample numbers at 1 place"));
  result_free(&res);
}

Test(csv_time, numbers_do_not_follow_the_process_locale) {
  /* Decimal-comma locales must not change how "0.5" reads. */
  const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
  if (!loc) loc = setlocale(LC_NUMERIC, "fr_FR.UTF-8");
  klonos_reader_options o = opts_rate(10.0, NULL);
  csv_result res = run_text("locale.csv", "x,y,z\n0.5,0.25,9.5\n", &o);
  setlocale(LC_NUMERIC, "C");
  cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
  cr_assert_float_eq(frame_at(&res, 0, 0), 0.5, 1e-7);
  result_free(&res);
  if (!loc) cr_skip_test("no decimal-comma locale installed: checked under the C locale only");
}

/* -------------------------------------------------------------- probe -- */

Test(csv_probe, scores) {
  const unsigned char text[] = "t,x,y,z\n0,1,2,3\n";
  const unsigned char bin[] = {'R', 'I', 'F', 'F', 0, 0, 1, 2, 0xff, 0xfe};
  const unsigned char bad_utf8[] = {'1', ',', '2', 0xff, '\n'};
  const unsigned char utf8[] = "Zeit;Beschleunigung \xC2\xB5g\n1;2\n";
  int plain = kl_csv_ops.probe("a.dat", text, sizeof text - 1);
  cr_assert_geq(plain, 40);
  cr_assert_lt(plain, 100);
  cr_assert_gt(kl_csv_ops.probe("a.CSV", text, sizeof text - 1), plain);
  cr_assert_gt(kl_csv_ops.probe("a.tsv", text, sizeof text - 1), plain);
  cr_assert_gt(kl_csv_ops.probe("a.txt", text, sizeof text - 1), plain);
  cr_assert_eq(kl_csv_ops.probe("a.csv", bin, sizeof bin), 0);
  cr_assert_eq(kl_csv_ops.probe("a.csv", bad_utf8, sizeof bad_utf8), 0);
  cr_assert_geq(kl_csv_ops.probe("a.csv", utf8, sizeof utf8 - 1), 40);
}

/* ------------------------------------------------------------- errors -- */

Test(csv_errors, non_numeric_cell_names_path_line_column) {
  char path[512];
  write_text(path, sizeof path, "abc.csv", "t,ax,ay,az\n0,0,0,1\n0.01,0,abc,1\n0.02,0,0,1\n");
  csv_result res = run(path, NULL, 4096);
  expect_error(&res, KLONOS_E_VALUE, 5, path, "line 3", "column 3", "(ay)", "'abc' is not a number");
  result_free(&res);

  /* Headerless: the column is named by its role. */
  klonos_reader_options o = opts_rate(100.0, NULL);
  res = run_text("abc2.csv", "0,0,1\n0,x1,1\n", &o);
  expect_error(&res, KLONOS_E_VALUE, 3, "line 2", "column 2", "(acc_y)");
  result_free(&res);

  res = run_text("empty_cell.csv", "x,y,z\n0,0,1\n0,,1\n", &o);
  expect_error(&res, KLONOS_E_VALUE, 3, "line 3", "column 2", "empty cell");
  result_free(&res);
}

Test(csv_errors, error_mid_stream_comes_from_read_and_sticks) {
  char path[512];
  FILE *f = create_text(path, sizeof path, "late.csv");
  fprintf(f, "acc_x,acc_y,acc_z\n");
  for (int i = 0; i < 60000; i++) fprintf(f, i == 49998 ? "0,0,oops\n" : "0,0,1\n");
  fclose(f);
  klonos_reader_options o = opts_rate(100.0, NULL);
  csv_result res = run(path, &o, 1000);
  cr_assert_eq(res.failed_in_read, 1);
  expect_error(&res, KLONOS_E_VALUE, 4, path, "line 50000", "column 3", "'oops'");
  cr_assert_lt(res.n, 50000u);
  result_free(&res);
}

Test(csv_errors, ragged_row) {
  klonos_reader_options o = opts_rate(100.0, NULL);
  csv_result res = run_text("ragged.csv", "x,y,z\n0,0,1\n0,0,1\n0,0\n0,0,1\n", &o);
  expect_error(&res, KLONOS_E_CORRUPT, 3, "line 4", "2 cells", "expected 3");
  result_free(&res);
  res = run_text("ragged2.csv", "x,y,z\n0,0,1\n0,0,1,4\n", &o);
  expect_error(&res, KLONOS_E_CORRUPT, 3, "line 3", "4 cells", "expected 3");
  result_free(&res);
}

Test(csv_errors, timestamps_going_back_or_repeating) {
  csv_result res = run_text("back.csv", "t,x,y,z\n0.00,0,0,1\n0.01,0,0,1\n0.005,0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_TIME, 2, "line 4", "before");
  result_free(&res);
  res = run_text("dup.csv", "t,x,y,z\n0.00,0,0,1\n0.01,0,0,1\n0.01,0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_TIME, 2, "line 4", "duplicate");
  result_free(&res);

  /* Past the prescan the regridder finds them, in read(). */
  char path[512];
  FILE *f = create_text(path, sizeof path, "lateback.csv");
  fprintf(f, "t,x,y,z\n");
  for (int i = 0; i < 3000; i++) fprintf(f, "%.2f,0,0,1\n", i == 2500 ? 24.99 : i * 0.01);
  fclose(f);
  res = run(path, NULL, 256);
  cr_assert_eq(res.failed_in_read, 1);
  expect_error(&res, KLONOS_E_TIME, 2, "line 2502", "duplicate");
  result_free(&res);

  res = run_text("badtime.csv", "t,x,y,z\n0.00,0,0,1\nnoon,0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_TIME, 3, "line 3", "column 1", "'noon'");
  result_free(&res);
  res = run_text("badiso.csv", "t,x,y,z\n2021-06-27T16:52:20Z,0,0,1\n2021-13-27T16:52:20Z,0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_TIME, 2, "line 3", "ISO-8601");
  result_free(&res);
}

Test(csv_errors, nan_and_inf_cells) {
  klonos_reader_options o = opts_rate(100.0, NULL);
  const char *bad[] = {"NaN", "nan", "-inf", "Inf", "infinity", "1e999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[128];
    snprintf(text, sizeof text, "x,y,z\n0,0,1\n0,%s,1\n", bad[i]);
    csv_result res = run_text("nan.csv", text, &o);
    expect_error(&res, KLONOS_E_VALUE, 3, "line 3", "column 2", "not a finite number");
    result_free(&res);
  }
  csv_result res = run_text("nant.csv", "t,x,y,z\n0,0,0,1\nnan,0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_TIME, 2, "line 3", "finite");
  result_free(&res);
}

Test(csv_errors, empty_header_only_blank_only) {
  klonos_reader_options o = opts_rate(100.0, NULL);
  csv_result res = run_text("empty.csv", "", &o);
  expect_error(&res, KLONOS_E_EMPTY, 0);
  result_free(&res);
  res = run_text("hdr.csv", "time,acc_x,acc_y,acc_z\n", &o);
  expect_error(&res, KLONOS_E_EMPTY, 1, "no data rows");
  result_free(&res);
  res = run_text("hdr2.csv", "time,acc_x,acc_y,acc_z\r\n\r\n\n", &o);
  expect_error(&res, KLONOS_E_EMPTY, 0);
  result_free(&res);
  res = run_text("blanks.csv", "\n\n  \n", &o);
  expect_error(&res, KLONOS_E_EMPTY, 0);
  result_free(&res);
}

Test(csv_errors, one_or_two_columns) {
  klonos_reader_options o = opts_rate(100.0, NULL);
  csv_result res = run_text("one.csv", "x\n1\n2\n3\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 1, "1 column");
  result_free(&res);
  res = run_text("one2.csv", "1\n2\n3\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 0);
  result_free(&res);
  res = run_text("two.csv", "1,2\n3,4\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 1, "2 columns");
  result_free(&res);
  res = run_text("two_h.csv", "t,x\n1,2\n3,4\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 2, "'t'", "'x'");
  result_free(&res);
  res = run_text("five.csv", "1,2,3,4,5\n3,4,5,6,7\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 1, "columns");
  result_free(&res);
}

Test(csv_errors, missing_and_bad_rates) {
  csv_result res = run_text("norate.csv", "x,y,z\n0,0,1\n0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_RATE, 1, "pass the sample rate");
  result_free(&res);
  res = run_text("norate_idx.csv", "samples,acc_x,acc_y,acc_z\n0,0,0,1\n1,0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_RATE, 2, "'samples'", "pass the sample rate");
  result_free(&res);
  const double bad[] = {0.0, -5.0, 1e6};
  for (size_t i = 0; i < 3; i++) {
    klonos_reader_options o = opts_rate(bad[i], NULL);
    res = run_text("badrate.csv", "x,y,z\n0,0,1\n0,0,1\n", &o);
    expect_error(&res, KLONOS_E_RATE, 0);
    result_free(&res);
  }
  res = run_text("absurd_pre.csv", "# sampling rate: 500000 Hz\nx,y,z\n0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_RATE, 1, "line 1");
  result_free(&res);
  res = run_text("onestamp.csv", "t,x,y,z\n0,0,0,1\n", NULL);
  expect_error(&res, KLONOS_E_RATE, 1, "one timestamped row");
  result_free(&res);
}

Test(csv_errors, columns_option_mistakes) {
  const char *text = "time,acc_x,acc_y,acc_z,temperature\n0,0,0,1,20\n0.01,0,0,1,20\n";
  klonos_reader_options o = opts_rate(0.0, "time,acc_x,acc_y,acc_w");
  csv_result res = run_text("unk.csv", text, &o);
  expect_error(&res, KLONOS_E_CHANNELS, 4, "'acc_w'", "'time'", "'acc_x'", "'temperature'");
  result_free(&res);
  o = opts_rate(0.0, "1,2,9");
  res = run_text("unk2.csv", text, &o);
  expect_error(&res, KLONOS_E_CHANNELS, 1, "column 9");
  result_free(&res);
  o = opts_rate(0.0, "1,2,3,4,5");
  res = run_text("unk3.csv", text, &o);
  expect_error(&res, KLONOS_E_CHANNELS, 1, "5 entries");
  result_free(&res);
  o = opts_rate(0.0, "1,2,2,4");
  res = run_text("unk4.csv", text, &o);
  expect_error(&res, KLONOS_E_CHANNELS, 1, "twice");
  result_free(&res);
  o = opts_rate(100.0, "ax,ay,az");
  res = run_text("unk5.csv", "0,0,1\n0,0,1\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 1, "no header");
  result_free(&res);
  o = opts_rate(100.0, "1,,3");
  res = run_text("unk6.csv", "0,0,1\n0,0,1\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 0);
  result_free(&res);
}

Test(csv_errors, ambiguous_or_unrecognised_header) {
  klonos_reader_options o = opts_rate(100.0, NULL);
  csv_result res = run_text("amb.csv", "acc_x,ax,acc_y,acc_z\n0,0,0,1\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 2, "'acc_x'", "'ax'");
  result_free(&res);
  res = run_text("unrec.csv", "foo,bar,baz\n0,0,1\n", &o);
  expect_error(&res, KLONOS_E_CHANNELS, 2, "'foo'", "columns");
  result_free(&res);
}

Test(csv_errors, overlong_line_and_binary) {
  char path[512];
  FILE *f = create_text(path, sizeof path, "long.csv");
  fprintf(f, "x,y,z\n0,0,1\n");
  for (int i = 0; i < 70000; i++) fputc(i % 2 ? ',' : '1', f);
  fprintf(f, "\n");
  fclose(f);
  klonos_reader_options o = opts_rate(100.0, NULL);
  csv_result res = run(path, &o, 4096);
  expect_error(&res, KLONOS_E_CORRUPT, 2, "line 3", "longer than");
  result_free(&res);

  const char nul[] = "x,y,z\n0,0,1\n0,\0,1\n";
  write_text(path, sizeof path, "nul.csv", "");
  cr_assert_eq(tu_write_file(path, nul, sizeof nul - 1), 0);
  o.format = KLONOS_FORMAT_CSV; /* the probe would refuse it */
  res = run(path, &o, 4096);
  expect_error(&res, KLONOS_E_CORRUPT, 2, "line 3", "NUL");
  result_free(&res);
}

/* ---------------------------------------------------------- real data -- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_magnitude(const csv_result *res) {
  double *m = malloc(res->n * sizeof *m);
  cr_assert_not_null(m);
  size_t n = 0;
  for (size_t k = 0; k < res->n; k++) {
    double x = frame_at(res, k, 0), y = frame_at(res, k, 1), z = frame_at(res, k, 2);
    if (!isnan(x)) m[n++] = sqrt(x * x + y * y + z * z);
  }
  qsort(m, n, sizeof *m, cmp_double);
  double med = n ? m[n / 2] : NAN;
  free(m);
  return med;
}

Test(csv_real, mobilised_lowerback_csv) {
  const char *dir = tu_real_data_dir();
  if (!dir) cr_skip_test("real data folder not found (KLONOS_REAL_DATA unset or missing)");
  static const struct { const char *file; size_t rows; } files[] = {
      {"HA001/TimeMeasure1_Test5_Trial1.csv", 1246},  {"HA001/TimeMeasure1_Test5_Trial2.csv", 1075},
      {"HA001/TimeMeasure1_Test11_Trial1.csv", 13759}, {"HA002/TimeMeasure1_Test5_Trial1.csv", 768},
      {"HA002/TimeMeasure1_Test5_Trial2.csv", 781},   {"HA002/TimeMeasure1_Test11_Trial1.csv", 15984},
      {"MS001/TimeMeasure1_Test5_Trial1.csv", 1450},  {"MS001/TimeMeasure1_Test5_Trial2.csv", 1115},
      {"MS001/TimeMeasure1_Test11_Trial1.csv", 22728},
  };
  klonos_reader_options o = opts_rate(100.0, NULL);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/mobilised-lowerback/%s", dir, files[i].file);
    csv_result res = run(path, &o, 4096);
    cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
    cr_assert_eq(res.n, files[i].rows, "%s: %zu frames", files[i].file, res.n);
    cr_assert_eq(res.info.channel_count, 6);
    cr_assert_eq(res.info.source_channel_count, 7);
    cr_assert_eq(res.info.source_roles[0], KLONOS_ROLE_IGNORED); /* samples: an index, not a time */
    cr_assert_eq(res.info.source_roles[4], KLONOS_ROLE_GYRO_X);
    cr_assert_eq(res.info.timestamped, 0);
    cr_assert_eq(res.info.source_units, KLONOS_UNITS_G);
    double med = median_magnitude(&res);
    cr_assert(med > 0.95 * G0 && med < 1.03 * G0, "%s: median |acc| %g m/s^2", files[i].file, med);
    cr_assert_eq(res.stats.notice_count, 1); /* only "inferred g": the index never skips */
    result_free(&res);
  }
  /* First row of HA001 Test5 Trial1, converted: acc g -> m/s^2, gyro deg/s -> rad/s. */
  char path[1024];
  snprintf(path, sizeof path, "%s/mobilised-lowerback/HA001/TimeMeasure1_Test5_Trial1.csv", dir);
  csv_result res = run(path, &o, 1);
  cr_assert_float_eq(frame_at(&res, 0, 0), 0.9548392163990763 * G0, 1e-5);
  cr_assert_float_eq(frame_at(&res, 0, 3), 7.540124583921633 * DEG, 1e-6);
  result_free(&res);
}

Test(csv_real, ipol_lowerback_txt_autodetected) {
  const char *dir = tu_real_data_dir();
  if (!dir) cr_skip_test("real data folder not found (KLONOS_REAL_DATA unset or missing)");
  static const struct {
    const char *file;
    size_t rows;
    double skipped; /* PacketCounter numbers missing (dropped radio packets) */
    float first[6];
  } files[] = {
      {"1-1_lb.txt", 2913, 124, {8.225546f, 0.091094f, 5.899778f, -0.003527f, 0.005281f, 0.000665f}},
      {"5-2_lb.txt", 3132, 130, {8.057461f, -0.592881f, 3.504767f, -0.010055f, -0.093618f, -0.069634f}},
  };
  for (size_t i = 0; i < 2; i++) {
    char path[1024], needle[64];
    snprintf(path, sizeof path, "%s/ipol-lowerback-feet-gait/%s", dir, files[i].file);
    csv_result res = run(path, NULL, 4096);
    cr_assert_eq(res.rc, KLONOS_OK, "%s", res.error);
    cr_assert_float_eq(res.info.sample_rate_hz, 100.0, 1e-12, "rate from the preamble");
    cr_assert_float_eq(res.info.nominal_rate_hz, 100.0, 1e-12);
    cr_assert_eq(res.info.channel_count, 6);
    cr_assert_eq(res.info.source_channel_count, 10);
    cr_assert_eq(res.info.source_roles[7], KLONOS_ROLE_IGNORED); /* Mag_X */
    cr_assert_eq(res.info.source_units, KLONOS_UNITS_MPS2);
    cr_assert_eq(res.n, files[i].rows);
    cr_assert_float_eq(res.n / res.info.sample_rate_hz, files[i].rows / 100.0, 1e-9);
    for (int ch = 0; ch < 6; ch++) /* m/s^2 and rad/s pass unchanged */
      cr_assert_float_eq(frame_at(&res, 0, ch), files[i].first[ch], 1e-6, "%s ch %d", files[i].file, ch);
    double med = median_magnitude(&res);
    cr_assert(med > 9.8 && med < 10.2, "%s: median |acc| %g m/s^2", files[i].file, med);
    snprintf(needle, sizeof needle, "skips %.0f sample numbers", files[i].skipped);
    cr_assert(has_notice(&res, KLONOS_NOTICE_OTHER, needle), "%s: no notice \"%s\"", files[i].file, needle);
    result_free(&res);
  }
}
