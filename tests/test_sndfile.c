/* libsndfile-backed formats: round trips (written here with libsndfile, read
 * back through klonos) and every bad input the foundation issue lists. */
#include <criterion/criterion.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <unistd.h>

#include "klonos/klonos.h"
#include "reader_checks.h"
#include "testutil.h"

#define G KLONOS_STANDARD_GRAVITY_MPS2

/* Known signal: channel c of frame i. In g, within +-2 g. */
static double truth_g(long i, int c) { return 0.5 * sin(0.01 * (double)i * (c + 1)) + (c == 2 ? 1.0 : 0.0); }

static void write_sf(const char *path, int format, int channels, int rate, long frames, double full_scale_g,
                     const char *comment, const char *date) {
  SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
  SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
  cr_assert(sf, "cannot write %s: %s", path, sf_strerror(NULL));
  if (comment) sf_set_string(sf, SF_STR_COMMENT, comment);
  if (date) sf_set_string(sf, SF_STR_DATE, date);
  double *buf = calloc((size_t)frames * channels, sizeof *buf);
  for (long i = 0; i < frames; i++)
    for (int c = 0; c < channels; c++) buf[i * channels + c] = truth_g(i, c) / full_scale_g;
  cr_assert_eq(sf_writef_double(sf, buf, frames), frames);
  free(buf);
  sf_close(sf);
}

struct fmt_case { const char *ext; int format; double tol_g; };

Test(sndfile, round_trip_every_container) {
  const struct fmt_case cases[] = {
      {"wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1e-6},  {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8.0 / 32768},
      {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8.0 / 32768}, {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 1e-5},
      {"w64", SF_FORMAT_W64 | SF_FORMAT_PCM_32, 1e-6},  {"rf64", SF_FORMAT_RF64 | SF_FORMAT_FLOAT, 1e-6},
      {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 8.0 / 32768}, {"caf", SF_FORMAT_CAF | SF_FORMAT_DOUBLE, 1e-6},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    char path[512], name[32];
    snprintf(name, sizeof name, "rt%zu.%s", k, cases[k].ext);
    tu_tmp_path(path, sizeof path, name);
    int is_float = (cases[k].format & SF_FORMAT_SUBMASK) == SF_FORMAT_FLOAT ||
                   (cases[k].format & SF_FORMAT_SUBMASK) == SF_FORMAT_DOUBLE;
    double fs = is_float ? 1.0 : 8.0; /* float files hold g directly */
    write_sf(path, cases[k].format, 3, 100, 5000, fs, NULL, NULL);
    klonos_recording_info info;
    klonos_reader *r = open_ok(path, NULL, &info);
    cr_assert_eq(info.channel_count, 3);
    cr_assert_float_eq(info.sample_rate_hz, 100.0, 0);
    cr_assert_eq(info.frame_count, 5000, "%s", name);
    cr_assert_eq(info.source_roles[0], KLONOS_ROLE_ACC_X);
    cr_assert_eq(info.source_roles[2], KLONOS_ROLE_ACC_Z);
    cr_assert_float_eq(info.full_scale_g, is_float ? 0.0 : 8.0, 0);
    float *buf = malloc(sizeof(float) * 3 * 6000);
    long n = read_all(r, buf, 6000, 777);
    cr_assert_eq(n, 5000);
    for (long i = 0; i < n; i++)
      for (int c = 0; c < 3; c++)
        cr_assert_float_eq(buf[i * 3 + c], truth_g(i, c) * G, cases[k].tol_g * G * 1.01, "%s frame %ld ch %d", name, i, c);
    klonos_read_stats st;
    klonos_reader_stats(r, &st);
    cr_assert_eq(st.frames_read, 5000);
    cr_assert_eq(st.clipped[0] + st.clipped[1] + st.clipped[2], 0);
    free(buf);
    klonos_reader_close(&r);
  }
}

Test(sndfile, float_units_option) {
  char path[512];
  tu_tmp_path(path, sizeof path, "mps2.wav");
  write_sf(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 3, 50, 100, 1.0, NULL, NULL);
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.units = KLONOS_UNITS_MPS2;
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, &o, &info);
  cr_assert_eq(info.source_units, KLONOS_UNITS_MPS2);
  float buf[300];
  cr_assert_eq(read_all(r, buf, 100, 4096), 100);
  cr_assert_float_eq(buf[5 * 3 + 1], truth_g(5, 1), 1e-6);
  klonos_reader_close(&r);
}

Test(sndfile, six_float_channels_are_acc_and_gyro) {
  char path[512];
  tu_tmp_path(path, sizeof path, "imu.wav");
  write_sf(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 6, 100, 200, 1.0, NULL, NULL);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_eq(info.channel_count, 6);
  cr_assert_eq(info.source_roles[3], KLONOS_ROLE_GYRO_X);
  float buf[6 * 200];
  cr_assert_eq(read_all(r, buf, 200, 64), 200);
  /* gyro stored in deg/s by default -> rad/s */
  cr_assert_float_eq(buf[10 * 6 + 4], truth_g(10, 4) * M_PI / 180.0, 1e-6);
  cr_assert_float_eq(buf[10 * 6 + 0], truth_g(10, 0) * G, 1e-5);
  klonos_reader_close(&r);
}

Test(sndfile, chunk_sizes_give_identical_frames) {
  char path[512];
  tu_tmp_path(path, sizeof path, "chunks.flac");
  write_sf(path, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 3, 100, 3001, 8.0, NULL, NULL);
  const size_t chunks[] = {1, 7, 4096};
  float *ref = NULL;
  for (size_t k = 0; k < 3; k++) {
    klonos_recording_info info;
    klonos_reader *r = open_ok(path, NULL, &info);
    float *buf = malloc(sizeof(float) * 3 * 3001);
    cr_assert_eq(read_all(r, buf, 3001, chunks[k]), 3001);
    if (!ref) ref = buf;
    else { cr_assert_arr_eq(ref, buf, sizeof(float) * 3 * 3001); free(buf); }
    klonos_reader_close(&r);
  }
  free(ref);
}

Test(sndfile, clipping_is_counted_per_channel) {
  char path[512];
  tu_tmp_path(path, sizeof path, "clip.wav");
  SF_INFO si = {.samplerate = 100, .channels = 3, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
  short frames[10 * 3] = {0};
  frames[0] = 32767; frames[3] = -32768; frames[3 * 5 + 2] = 32767; frames[3 * 6 + 1] = 1000;
  sf_writef_short(sf, frames, 10);
  sf_close(sf);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  float buf[30];
  read_all(r, buf, 10, 4096);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.clipped[0], 2);
  cr_assert_eq(st.clipped[1], 0);
  cr_assert_eq(st.clipped[2], 1);
  cr_assert_float_eq(buf[0], 8.0 * G * 32767.0 / 32768.0, 1e-3);
  klonos_reader_close(&r);
}

/* omconvert's WAV: 4 x int16, channel 4 = aux bit-field, INFO metadata. */
Test(sndfile, omconvert_wav_is_recognised) {
  char path[512];
  tu_tmp_path(path, sizeof path, "om.wav");
  SF_INFO si = {.samplerate = 100, .channels = 4, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
  sf_set_string(sf, SF_STR_DATE, "2019-02-26 10:55:07.500");
  sf_set_string(sf, SF_STR_ARTIST, "Id: 39434\nDevice: AX3\nRevision: 17\nFirmware: 44");
  sf_set_string(sf, SF_STR_TITLE, "Session: 26\nStart: 2019-02-26 10:55:07\nStop: 2019-02-26 10:58:01\nRate-A: 100,8");
  sf_set_string(sf, SF_STR_COMMENT,
                "Time: 2019-02-26 10:55:07.500\nChannel-1: Accel-X\nScale-1: 8\nChannel-2: Accel-Y\nScale-2: 8\n"
                "Channel-3: Accel-Z\nScale-3: 8\nChannel-4: Aux\nScale-4: 1");
  short fr[5 * 4] = {
      4096, 0, -4096, 0,                  /* 1 g, 0, -1 g; valid */
      32767, 0, 0, (short)(1 << 14),      /* clipped flag + full-scale code */
      100, 100, 100, (short)(2 << 14),    /* no data */
      0, 2048, 0, (short)((3 << 10) | 200), /* temperature aux, valid */
      0, 0, 16000, (short)(1 << 14),      /* flagged clipped, code below full scale */
  };
  sf_writef_short(sf, fr, 5);
  sf_close(sf);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_eq(info.format, KLONOS_FORMAT_OMCONVERT);
  cr_assert_eq(info.channel_count, 3);
  cr_assert_eq(info.source_channel_count, 4);
  cr_assert_eq(info.source_roles[3], KLONOS_ROLE_AUX);
  cr_assert_float_eq(info.full_scale_g, 8.0, 0);
  cr_assert_eq(info.has_start_time, 1);
  cr_assert_str_eq(info.start_time_iso, "2019-02-26T10:55:07.500");
  cr_assert(strstr(info.device, "39434"), "device '%s'", info.device);
  float buf[15];
  cr_assert_eq(read_all(r, buf, 5, 4096), 5);
  cr_assert_float_eq(buf[0], 1.0 * G, 1e-4);
  cr_assert_float_eq(buf[2], -1.0 * G, 1e-4);
  cr_assert(isnan(buf[6]) && isnan(buf[7]) && isnan(buf[8]));
  cr_assert_float_eq(buf[10], 0.5 * G, 1e-4);
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  cr_assert_eq(st.nan_frames, 1);
  cr_assert_eq(st.clipped[0], 1);
  cr_assert_eq(st.clipped[2], 1);
  klonos_reader_close(&r);
}

Test(sndfile, omconvert_scale_16g) {
  char path[512];
  tu_tmp_path(path, sizeof path, "om16.wav");
  SF_INFO si = {.samplerate = 100, .channels = 4, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
  sf_set_string(sf, SF_STR_COMMENT, "Channel-1: Accel-X\nScale-1: 16\nScale-2: 16\nScale-3: 16\nScale-4: 1");
  short fr[4] = {2048, 0, 0, 0};
  sf_writef_short(sf, fr, 1);
  sf_close(sf);
  klonos_recording_info info;
  klonos_reader *r = open_ok(path, NULL, &info);
  cr_assert_eq(info.format, KLONOS_FORMAT_OMCONVERT);
  cr_assert_float_eq(info.full_scale_g, 16.0, 0);
  float buf[3];
  read_all(r, buf, 1, 1);
  cr_assert_float_eq(buf[0], 1.0 * G, 1e-4);
  klonos_reader_close(&r);
}

/* ---- bad input ---- */

Test(sndfile_bad, missing_file) {
  char path[512];
  tu_tmp_path(path, sizeof path, "does-not-exist.wav");
  expect_open_error(path, NULL, KLONOS_E_IO, "No such file");
}

Test(sndfile_bad, directory) {
  char path[512];
  tu_tmp_path(path, sizeof path, "adir");
  mkdir(path, 0755);
  expect_open_error(path, NULL, KLONOS_E_IO, "directory");
}

Test(sndfile_bad, unreadable_file) {
  char path[512];
  tu_tmp_path(path, sizeof path, "secret.wav");
  write_sf(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 3, 100, 10, 1.0, NULL, NULL);
  chmod(path, 0);
  /* root reads anything: drop to nobody (this test runs in its own process). */
  if (geteuid() == 0) cr_assert_eq(setuid(65534), 0);
  expect_open_error(path, NULL, KLONOS_E_IO, "Permission denied");
}

Test(sndfile_bad, empty_file) {
  char path[512];
  tu_tmp_path(path, sizeof path, "empty.wav");
  tu_write_file(path, "", 0);
  expect_open_error(path, NULL, KLONOS_E_EMPTY, "empty");
}

Test(sndfile_bad, zero_frames) {
  char path[512];
  tu_tmp_path(path, sizeof path, "zero.wav");
  write_sf(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 3, 100, 0, 8.0, NULL, NULL);
  expect_open_error(path, NULL, KLONOS_E_EMPTY, "no frames");
}

static void truncate_file(const char *path, long keep) {
  cr_assert_eq(truncate(path, keep), 0);
}

Test(sndfile_bad, truncated_wav_header_claims_more_frames) {
  char path[512];
  tu_tmp_path(path, sizeof path, "trunc.wav");
  write_sf(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 3, 100, 1000, 8.0, NULL, NULL);
  truncate_file(path, 44 + 6 * 400 + 3);
  expect_open_error(path, NULL, KLONOS_E_CORRUPT, "claims 1000 frames");
}

Test(sndfile_bad, truncated_flac) {
  char path[512];
  tu_tmp_path(path, sizeof path, "trunc.flac");
  write_sf(path, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 3, 100, 20000, 8.0, NULL, NULL);
  struct stat st;
  stat(path, &st);
  truncate_file(path, st.st_size / 2);
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, NULL);
  if (rc == KLONOS_OK) {
    float buf[3 * 4096];
    size_t got;
    do rc = klonos_reader_read_f32(r, buf, 4096, &got); while (rc == KLONOS_OK && got > 0);
  }
  cr_assert_eq(rc, KLONOS_E_CORRUPT, "%s", klonos_reader_error(r));
  cr_assert(strstr(klonos_reader_error(r), path));
  /* the error is sticky */
  size_t got;
  float one[3];
  cr_assert_eq(klonos_reader_read_f32(r, one, 1, &got), KLONOS_E_CORRUPT);
  klonos_reader_close(&r);
}

Test(sndfile_bad, wrong_channel_counts) {
  const int counts[] = {1, 2, 4, 5, 8};
  for (size_t k = 0; k < 5; k++) {
    char path[512], name[32];
    snprintf(name, sizeof name, "ch%d.wav", counts[k]);
    tu_tmp_path(path, sizeof path, name);
    write_sf(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, counts[k], 100, 10, 8.0, NULL, NULL);
    expect_open_error(path, NULL, KLONOS_E_CHANNELS, "channel");
  }
}

Test(sndfile_bad, six_int_channels_refused) {
  char path[512];
  tu_tmp_path(path, sizeof path, "six16.wav");
  write_sf(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 6, 100, 10, 8.0, NULL, NULL);
  expect_open_error(path, NULL, KLONOS_E_CHANNELS, "gyroscope full scale");
}

static void nonfinite_case(const char *name, float bad, const char *word) {
  char path[512];
  tu_tmp_path(path, sizeof path, name);
  SF_INFO si = {.samplerate = 100, .channels = 3, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
  SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
  float fr[3 * 100] = {0};
  fr[3 * 57 + 1] = bad;
  sf_writef_float(sf, fr, 100);
  sf_close(sf);
  klonos_reader *r = NULL;
  cr_assert_eq(klonos_reader_open(&r, path, NULL), KLONOS_OK);
  float buf[300];
  size_t got;
  int rc = klonos_reader_read_f32(r, buf, 100, &got);
  cr_assert_eq(rc, KLONOS_E_VALUE);
  const char *msg = klonos_reader_error(r);
  cr_assert(strstr(msg, path) && strstr(msg, "frame 57 channel 2") && strstr(msg, word), "%s", msg);
  klonos_reader_close(&r);
}

Test(sndfile_bad, nan_sample) { nonfinite_case("nan.wav", NAN, "NaN"); }
Test(sndfile_bad, inf_sample) { nonfinite_case("inf.wav", INFINITY, "infinite"); }

/* A hand-made WAV header with a chosen sample rate. */
static void write_wav_with_rate(const char *path, uint32_t rate) {
  unsigned char h[44 + 60] = {0};
  uint32_t data = 60, byte_rate = rate * 6;
  memcpy(h, "RIFF", 4);
  uint32_t riff = 36 + data;
  memcpy(h + 4, &riff, 4);
  memcpy(h + 8, "WAVEfmt ", 8);
  uint32_t fmt_len = 16; uint16_t pcm = 1, ch = 3, align = 6, bits = 16;
  memcpy(h + 16, &fmt_len, 4); memcpy(h + 20, &pcm, 2); memcpy(h + 22, &ch, 2);
  memcpy(h + 24, &rate, 4); memcpy(h + 28, &byte_rate, 4); memcpy(h + 32, &align, 2); memcpy(h + 34, &bits, 2);
  memcpy(h + 36, "data", 4);
  memcpy(h + 40, &data, 4);
  cr_assert_eq(tu_write_file(path, h, sizeof h), 0);
}

Test(sndfile_bad, absurd_sample_rate) {
  char path[512];
  tu_tmp_path(path, sizeof path, "rate200k.wav");
  write_wav_with_rate(path, 200000);
  expect_open_error(path, NULL, KLONOS_E_RATE, "absurd");
}

Test(sndfile_bad, zero_sample_rate) {
  char path[512];
  tu_tmp_path(path, sizeof path, "rate0.wav");
  write_wav_with_rate(path, 0);
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, NULL);
  /* libsndfile itself may refuse a zero rate; either way it is an error that names the file. */
  cr_assert(rc == KLONOS_E_RATE || rc == KLONOS_E_CORRUPT, "%s", klonos_status_name(rc));
  cr_assert(strstr(klonos_reader_error(r), path));
  klonos_reader_close(&r);
}

Test(sndfile_bad, bad_rate_options) {
  char path[512];
  tu_tmp_path(path, sizeof path, "ok.wav");
  write_sf(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 3, 100, 10, 1.0, NULL, NULL);
  const double rates[] = {-5.0, 1e6, NAN};
  for (int k = 0; k < 3; k++) {
    klonos_reader_options o;
    klonos_reader_options_default(&o);
    o.rate_hz = rates[k];
    expect_open_error(path, &o, KLONOS_E_RATE, "rate");
  }
}

Test(sndfile_bad, unsupported_format) {
  char path[512];
  tu_tmp_path(path, sizeof path, "noise.bin");
  unsigned char junk[2048];
  for (int i = 0; i < 2048; i++) junk[i] = (unsigned char)(i * 131 + 7);
  tu_write_file(path, junk, sizeof junk);
  expect_open_error(path, NULL, KLONOS_E_FORMAT, "not a recognised");
}

Test(sndfile_bad, garbage_after_riff_magic) {
  char path[512];
  tu_tmp_path(path, sizeof path, "fake.wav");
  unsigned char junk[300] = "RIFF\x10\x00\x00\x00WAVEjunkjunkjunk";
  tu_write_file(path, junk, sizeof junk);
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, NULL);
  cr_assert(rc == KLONOS_E_CORRUPT || rc == KLONOS_E_FORMAT, "%s", klonos_status_name(rc));
  cr_assert(strstr(klonos_reader_error(r), "libsndfile"));
  klonos_reader_close(&r);
}

Test(reader_api, null_arguments) {
  cr_assert_eq(klonos_reader_open(NULL, "x", NULL), KLONOS_E_INVAL);
  klonos_reader *r = NULL;
  cr_assert_eq(klonos_reader_open(&r, NULL, NULL), KLONOS_E_INVAL);
  klonos_reader_close(&r);
  klonos_reader_close(NULL);
  cr_assert_str_eq(klonos_reader_error(NULL), "");
  klonos_recording_info info;
  cr_assert_eq(klonos_reader_info(NULL, &info), KLONOS_E_INVAL);
  size_t got = 99;
  cr_assert_eq(klonos_reader_read_f32(NULL, NULL, 0, &got), KLONOS_E_INVAL);
  cr_assert_eq(got, 0);
}

Test(reader_api, reserved_option_bytes_must_be_zero) {
  char path[512];
  tu_tmp_path(path, sizeof path, "res.wav");
  write_sf(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 3, 100, 10, 1.0, NULL, NULL);
  klonos_reader_options o;
  klonos_reader_options_default(&o);
  o.reserved[3] = 1;
  expect_open_error(path, &o, KLONOS_E_INVAL, "reserved");
}

Test(reader_api, names) {
  cr_assert_str_eq(klonos_format_name(KLONOS_FORMAT_CWA), "cwa");
  cr_assert_str_eq(klonos_format_name(99), "unknown");
  cr_assert_str_eq(klonos_role_name(KLONOS_ROLE_GYRO_Z), "gyro_z");
  cr_assert_str_eq(klonos_role_name(-1), "unknown");
  cr_assert_str_eq(klonos_units_name(KLONOS_UNITS_MPS2), "m/s^2");
}
