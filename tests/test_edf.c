/* EDF+/BDF+ written here with EDFlib's writer and read back: values, units,
 * annotations, channel choice by label and index, signals at different
 * rates, and bad inputs. */
#include <criterion/criterion.h>
#include <edflib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/klonos.h"
#include "reader_checks.h"
#include "testutil.h"

#define G KLONOS_STANDARD_GRAVITY_MPS2

typedef struct sigdef {
  const char *label;
  int per_record; /* samples per 1 s record */
  const char *unit;
  double phys_max; /* symmetric range */
} sigdef;

typedef double (*value_fn)(int sig, long j, int per_record);

/* Smooth known signals within +-2 (physical units). */
static double smooth(int sig, long j, int per_record) {
  double t = (double)j / per_record;
  return 0.8 * sin(2 * M_PI * (0.7 + 0.3 * sig) * t) + (sig == 2 ? 1.0 : 0.1 * sig);
}

/* Straight lines: linear interpolation reproduces them exactly. */
static double ramp(int sig, long j, int per_record) {
  double t = (double)j / per_record;
  return -1.5 + 0.5 * t + 0.25 * sig;
}

static void write_edf(const char *path, int bdf, const sigdef *s, int n, int records, value_fn fn, const char *annotation,
                      long long onset_100us) {
  int h = edfopen_file_writeonly(path, bdf ? EDFLIB_FILETYPE_BDFPLUS : EDFLIB_FILETYPE_EDFPLUS, n);
  cr_assert(h >= 0, "edfopen_file_writeonly: %d", h);
  int dmax = bdf ? 8388607 : 32767;
  for (int i = 0; i < n; i++) {
    cr_assert_eq(edf_set_samplefrequency(h, i, s[i].per_record), 0);
    cr_assert_eq(edf_set_physical_maximum(h, i, s[i].phys_max), 0);
    cr_assert_eq(edf_set_physical_minimum(h, i, -s[i].phys_max), 0);
    cr_assert_eq(edf_set_digital_maximum(h, i, dmax), 0);
    cr_assert_eq(edf_set_digital_minimum(h, i, -dmax - 1), 0);
    cr_assert_eq(edf_set_label(h, i, s[i].label), 0);
    cr_assert_eq(edf_set_physical_dimension(h, i, s[i].unit), 0);
  }
  cr_assert_eq(edf_set_startdatetime(h, 2022, 1, 2, 3, 4, 5), 0);
  edf_set_equipment(h, "TestAcc 3000");
  edf_set_patientname(h, "Secret Person");
  double *buf = malloc(sizeof(double) * 10000);
  for (int rec = 0; rec < records; rec++)
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < s[i].per_record; k++) {
        double v = fn(i, (long)rec * s[i].per_record + k, s[i].per_record);
        buf[k] = fmax(-s[i].phys_max, fmin(s[i].phys_max, v));
      }
      cr_assert_eq(edfwrite_physical_samples(h, buf), 0);
    }
  free(buf);
  if (annotation) cr_assert_eq(edfwrite_annotation_utf8(h, onset_100us, -1, annotation), 0);
  cr_assert_eq(edfclose_file(h), 0);
}

static int count_kind(klonos_reader *r, int kind, const char *needle) {
  int n = 0;
  klonos_notice nt;
  for (size_t i = 0; klonos_reader_notice(r, i, &nt) == KLONOS_OK; i++)
    if (nt.kind == kind && (!needle || strstr(nt.message, needle))) n++;
  return n;
}

static klonos_reader_options columns(const char *list) {
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  snprintf(o.columns, sizeof o.columns, "%s", list);
  return o;
}

static const sigdef acc3_temp[] = {
    {"Acc X", 100, "g", 8}, {"Acc Y", 100, "g", 8}, {"Acc Z", 100, "g", 8}, {"Temp", 1, "degC", 100}};

Test(edf, edf_and_bdf_values_annotation_metadata) {
  for (int bdf = 0; bdf < 2; bdf++) {
    char path[512];
    tu_tmp_path(path, sizeof path, bdf ? "acc.bdf" : "acc.edf");
    write_edf(path, bdf, acc3_temp, 4, 5, smooth, "myoclonic jerk", 15000);
    klonos_recording_info info;
    klonos_reader *r = open_ok(path, NULL, &info);
    cr_assert_eq(info.format, KLONOS_FORMAT_EDF);
    cr_assert_str_eq(klonos_format_name(info.format), "edf");
    cr_assert_eq(info.channel_count, 3);
    cr_assert_eq(info.source_channel_count, 4, "annotation signals are not counted");
    cr_assert_eq(info.source_roles[0], KLONOS_ROLE_ACC_X);
    cr_assert_eq(info.source_roles[2], KLONOS_ROLE_ACC_Z);
    cr_assert_eq(info.source_roles[3], KLONOS_ROLE_IGNORED);
    cr_assert_float_eq(info.sample_rate_hz, 100.0, 0);
    cr_assert_eq(info.frame_count, 500);
    cr_assert_float_eq(info.full_scale_g, 8.0, 1e-9);
    cr_assert_eq(info.source_units, KLONOS_UNITS_G);
    cr_assert_eq(info.has_start_time, 1);
    cr_assert_str_eq(info.start_time_iso, "2022-01-02T03:04:05.000");
    cr_assert_str_eq(info.device, "TestAcc 3000");
    cr_assert(strstr(info.format_detail, bdf ? "BDF+" : "EDF+"), "%s", info.format_detail);
    cr_assert(strstr(info.format_detail, "1 annotation"), "%s", info.format_detail);
    cr_assert_eq(count_kind(r, KLONOS_NOTICE_OTHER, "annotation at 1.500 s: myoclonic jerk"), 1);
    klonos_notice nt;
    cr_assert_eq(klonos_reader_notice(r, 0, &nt), KLONOS_OK);
    cr_assert_eq(nt.frame, 150);
    float buf[3 * 600];
    cr_assert_eq(read_frames(r, buf, 600, 4096, 3), 500);
    double lsb_g = 16.0 / (bdf ? 16777215.0 : 65535.0);
    for (long i = 0; i < 500; i++)
      for (int c = 0; c < 3; c++)
        cr_assert_float_eq(buf[i * 3 + c], smooth(c, i, 100) * G, lsb_g * G + 1e-5, "frame %ld ch %d", i, c);
    klonos_read_stats st;
    klonos_reader_stats(r, &st);
    cr_assert_eq(st.clipped[0] + st.clipped[1] + st.clipped[2], 0);
    cr_assert_eq(st.gap_count, 0);
    klonos_reader_close(&r);
  }
}

static const sigdef mixed_rates[] = {{"Acc X", 100, "g", 4}, {"Acc Y", 50, "g", 4}, {"Acc Z", 100, "g", 4}};

Test(edf, differing_rates_resampled_linearly) {
  char path[512];
  tu_tmp_path(path, sizeof path, "rates.edf");
  write_edf(path, 0, mixed_rates, 3, 4, ramp, NULL, 0);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_float_eq(info.sample_rate_hz, 100.0, 0);
  cr_assert_eq(info.frame_count, 400);
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_OTHER, "linearly interpolated to 100 Hz"), 1);
  float buf[3 * 500];
  cr_assert_eq(read_frames(r, buf, 500, 4096, 3), 400);
  const double lsb = 8.0 / 65535.0;
  for (long k = 0; k < 400; k++) {
    double t = k / 100.0;
    double y_t = fmin(t, 199 / 50.0); /* past Y's last sample (3.98 s) its value is held */
    cr_assert_float_eq(buf[k * 3 + 0], ramp(0, k, 100) * G, 2 * lsb * G, "x frame %ld", k);
    cr_assert_float_eq(buf[k * 3 + 1], (-1.5 + 0.5 * y_t + 0.25) * G, 2 * lsb * G, "y frame %ld", k);
    cr_assert_float_eq(buf[k * 3 + 2], ramp(2, k, 100) * G, 2 * lsb * G, "z frame %ld", k);
  }
  klonos_reader_close(&r);

  /* rate_hz picks another output rate (linear interpolation, no filter). */
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.rate_hz = 40;
  r = open_ok(path, &o, &info);
  cr_assert_eq(info.frame_count, 160);
  cr_assert_eq(read_frames(r, buf, 500, 4096, 3), 160);
  for (long k = 0; k < 160; k++) cr_assert_float_eq(buf[k * 3 + 0], (-1.5 + 0.5 * k / 40.0) * G, 2 * lsb * G);
  klonos_reader_close(&r);
}

Test(edf, chunk_sizes_identical) {
  char path[512];
  tu_tmp_path(path, sizeof path, "chunks.bdf");
  write_edf(path, 1, mixed_rates, 3, 6, smooth, "a", 10000);
  const size_t chunks[] = {1, 7, 4096};
  float ref[3 * 700], buf[3 * 700];
  for (size_t k = 0; k < 3; k++) {
    klonos_recording_info info;
    klonos_reader *r = open_ok(path, NULL, &info);
    long n = read_frames(r, k ? buf : ref, 700, chunks[k], 3);
    cr_assert_eq(n, 600);
    if (k) cr_assert_eq(memcmp(buf, ref, sizeof(float) * 3 * 600), 0, "chunk %zu", chunks[k]);
    klonos_reader_close(&r);
  }
}

Test(edf, labels_not_matching_list_the_signals) {
  char path[512];
  tu_tmp_path(path, sizeof path, "eeg.edf");
  const sigdef eeg[] = {{"EEG Fpz-Cz", 100, "uV", 500}, {"EOG horizontal", 100, "uV", 500}, {"Resp", 10, "", 1}};
  write_edf(path, 0, eeg, 3, 2, smooth, NULL, 0);
  expect_open_error(path, NULL, KLONOS_E_CHANNELS, "no accelerometer signal for axis X");
  expect_open_error(path, NULL, KLONOS_E_CHANNELS, "1 'EEG Fpz-Cz', 2 'EOG horizontal', 3 'Resp'");
  /* Chosen by number, but in microvolts: not an acceleration. */
  klonos_reader_options o = columns("1,2,3");
  expect_open_error(path, &o, KLONOS_E_CHANNELS, "not an acceleration");
}

Test(edf, auto_label_variants) {
  static const char *const variants[][3] = {
      {"ACC_X", "ACC_Y", "ACC_Z"}, {"AccX", "AccY", "AccZ"}, {"Accelerometer X", "Accelerometer Y", "Accelerometer Z"},
      {"X", "Y", "Z"},             {"aX", "aY", "aZ"},       {"accel-x [g]", "accel-y [g]", "accel-z [g]"}};
  for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
    char path[512];
    tu_tmp_path(path, sizeof path, "variant.edf");
    /* Put them after an unrelated signal and out of order. */
    sigdef s[4] = {{"ECG", 100, "mV", 5}, {variants[v][2], 50, "g", 8}, {variants[v][0], 50, "g", 8},
                   {variants[v][1], 50, "g", 8}};
    write_edf(path, 0, s, 4, 2, smooth, NULL, 0);
    klonos_recording_info info;
    klonos_reader *r = open_ok(path, NULL, &info);
    cr_assert_eq(info.source_roles[0], KLONOS_ROLE_IGNORED, "%s", variants[v][0]);
    cr_assert_eq(info.source_roles[1], KLONOS_ROLE_ACC_Z, "%s", variants[v][0]);
    cr_assert_eq(info.source_roles[2], KLONOS_ROLE_ACC_X, "%s", variants[v][0]);
    cr_assert_eq(info.source_roles[3], KLONOS_ROLE_ACC_Y, "%s", variants[v][0]);
    float buf[3 * 100];
    cr_assert_eq(read_frames(r, buf, 100, 4096, 3), 100);
    cr_assert_float_eq(buf[10 * 3 + 2], smooth(1, 10, 50) * G, 3e-3, "%s", variants[v][0]);
    cr_assert_float_eq(buf[10 * 3 + 0], smooth(2, 10, 50) * G, 3e-3, "%s", variants[v][0]);
    klonos_reader_close(&r);
  }
}

Test(edf, columns_by_label_and_index) {
  char path[512];
  tu_tmp_path(path, sizeof path, "cols.edf");
  write_edf(path, 0, acc3_temp, 4, 2, smooth, NULL, 0);
  const char *lists[] = {"Acc Z,Acc Y,Acc X", "3,2,1", " acc z , 2 ,ACC X"};
  for (size_t k = 0; k < 3; k++) {
    klonos_reader_options o = columns(lists[k]);
    klonos_recording_info info;
    klonos_reader *r = open_ok(path, &o, &info);
    cr_assert_eq(info.source_roles[2], KLONOS_ROLE_ACC_X, "%s", lists[k]);
    cr_assert_eq(info.source_roles[0], KLONOS_ROLE_ACC_Z, "%s", lists[k]);
    float buf[3 * 300];
    cr_assert_eq(read_frames(r, buf, 300, 4096, 3), 200);
    cr_assert_float_eq(buf[5 * 3 + 0], smooth(2, 5, 100) * G, 3e-3);
    cr_assert_float_eq(buf[5 * 3 + 2], smooth(0, 5, 100) * G, 3e-3);
    klonos_reader_close(&r);
  }
  klonos_reader_options o = columns("Acc X,Acc Y,Nope");
  expect_open_error(path, &o, KLONOS_E_CHANNELS, "no signal labelled 'Nope'");
  o = columns("1,2,9");
  expect_open_error(path, &o, KLONOS_E_CHANNELS, "signal number 9 is not 1..4");
  o = columns("1,2");
  expect_open_error(path, &o, KLONOS_E_CHANNELS, "needs 3");
  o = columns("1,2,");
  expect_open_error(path, &o, KLONOS_E_CHANNELS, "empty entry");
}

Test(edf, gyro_and_units) {
  char path[512];
  tu_tmp_path(path, sizeof path, "imu.edf");
  const sigdef imu[] = {{"AccX", 64, "m/s^2", 80}, {"AccY", 64, "m/s2", 80}, {"AccZ", 64, "mg", 8000},
                        {"GyroX", 64, "deg/s", 500}, {"GyroY", 64, "dps", 500}, {"GyroZ", 64, "rad/s", 10}};
  write_edf(path, 1, imu, 6, 2, ramp, NULL, 0);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_eq(info.channel_count, 6);
  cr_assert_eq(info.source_units, KLONOS_UNITS_MPS2);
  cr_assert_eq(info.source_roles[5], KLONOS_ROLE_GYRO_Z);
  cr_assert_float_eq(info.full_scale_g, 8.0, 1e-9, "mg 8000 = 8 g, the smallest range");
  cr_assert_float_eq(info.gyro_full_scale_dps, 500.0, 1e-9);
  float buf[6 * 200];
  cr_assert_eq(read_frames(r, buf, 200, 4096, 6), 128);
  long k = 40;
  cr_assert_float_eq(buf[k * 6 + 0], ramp(0, k, 64), 1e-3);
  cr_assert_float_eq(buf[k * 6 + 1], ramp(1, k, 64), 1e-3);
  cr_assert_float_eq(buf[k * 6 + 2], ramp(2, k, 64) * G / 1000.0, 1e-3);
  cr_assert_float_eq(buf[k * 6 + 3], ramp(3, k, 64) * M_PI / 180.0, 1e-4);
  cr_assert_float_eq(buf[k * 6 + 4], ramp(4, k, 64) * M_PI / 180.0, 1e-4);
  cr_assert_float_eq(buf[k * 6 + 5], ramp(5, k, 64), 1e-4);
  klonos_reader_close(&r);

  /* An unknown unit needs the units option; an empty one means g. */
  tu_tmp_path(path, sizeof path, "units.edf");
  const sigdef odd[] = {{"Acc X", 10, "furlong", 8}, {"Acc Y", 10, "", 8}, {"Acc Z", 10, "g", 8}};
  write_edf(path, 0, odd, 3, 1, ramp, NULL, 0);
  expect_open_error(path, NULL, KLONOS_E_CHANNELS, "unknown physical dimension 'furlong'");
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.units = KLONOS_UNITS_MG;
  r = open_ok(path, &o, &info);
  cr_assert_eq(read_frames(r, buf, 200, 4096, 3), 10);
  cr_assert_float_eq(buf[0], ramp(0, 0, 10) * G / 1000.0, 1e-5, "furlong read as mg by option");
  cr_assert_float_eq(buf[1], ramp(1, 0, 10) * G / 1000.0, 1e-5, "empty read as mg by option");
  cr_assert_float_eq(buf[2], ramp(2, 0, 10) * G, 3e-3, "the header's g wins over the option");
  cr_assert_eq(count_kind(r, KLONOS_NOTICE_OTHER, "option (mg) ignored"), 1);
  klonos_reader_close(&r);
}

static double big(int sig, long j, int per_record) {
  (void)per_record;
  return j % 10 == 0 ? (sig == 1 ? -100.0 : 100.0) : 0.5; /* clipped to +-2 by the writer */
}

Test(edf, clipping_counted_at_digital_limits) {
  char path[512];
  tu_tmp_path(path, sizeof path, "clip.edf");
  const sigdef s[] = {{"Acc X", 100, "g", 2}, {"Acc Y", 50, "g", 2}, {"Acc Z", 100, "g", 2}};
  write_edf(path, 0, s, 3, 2, big, NULL, 0);
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.rate_hz = 10; /* decimation still counts every source sample */
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, &o, &info);
  float buf[3 * 300];
  cr_assert_eq(read_frames(r, buf, 300, 4096, 3), 20);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.clipped[0], 20);
  cr_assert_eq(st.clipped[1], 10);
  cr_assert_eq(st.clipped[2], 20);
  klonos_reader_close(&r);
}

static void patch(const char *path, long offset, const char *text) {
  FILE *f = fopen(path, "r+b");
  cr_assert(f);
  fseek(f, offset, SEEK_SET);
  fwrite(text, 1, strlen(text), f);
  fclose(f);
}

Test(edf, truncated_and_broken_files) {
  char path[512], cut[512];
  tu_tmp_path(path, sizeof path, "whole.edf");
  write_edf(path, 0, acc3_temp, 4, 5, smooth, NULL, 0);
  FILE *f = fopen(path, "rb");
  static unsigned char data[1 << 16];
  size_t n = fread(data, 1, sizeof data, f);
  fclose(f);
  tu_tmp_path(cut, sizeof cut, "cut.edf");
  cr_assert_eq(tu_write_file(cut, data, n - 100), 0);
  expect_open_error(cut, NULL, KLONOS_E_CORRUPT, "truncated: the header declares 5 data records");
  cr_assert_eq(tu_write_file(cut, data, 300), 0);
  expect_open_error(cut, NULL, KLONOS_E_CORRUPT, "truncated");
  cr_assert_eq(tu_write_file(cut, data, 100), 0);
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.format = KLONOS_FORMAT_EDF;
  expect_open_error(cut, &o, KLONOS_E_CORRUPT, "ends inside the 256-byte header");

  /* Bytes after the last record. */
  cr_assert_eq(tu_write_file(cut, data, n), 0);
  FILE *g = fopen(cut, "ab");
  fputs("xx", g);
  fclose(g);
  expect_open_error(cut, NULL, KLONOS_E_CORRUPT, "2 bytes longer than its 5 data records");

  /* Record count patched to 0 and to -1 (never finalised). */
  cr_assert_eq(tu_write_file(cut, data, n), 0);
  patch(cut, 236, "0       ");
  expect_open_error(cut, NULL, KLONOS_E_EMPTY, "0 data records");
  patch(cut, 236, "-1      ");
  expect_open_error(cut, NULL, KLONOS_E_CORRUPT, "never finalised");
  /* Garbage with the format forced. */
  tu_tmp_path(cut, sizeof cut, "garbage.edf");
  cr_assert_eq(tu_write_file(cut, "hello, world\n", 13), 0);
  expect_open_error(cut, &o, KLONOS_E_FORMAT, "version field");
}

Test(edf, detected_without_extension) {
  char path[512];
  tu_tmp_path(path, sizeof path, "noext");
  write_edf(path, 0, acc3_temp, 4, 1, smooth, NULL, 0);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_eq(info.format, KLONOS_FORMAT_EDF);
  klonos_reader_close(&r);
}
