/* The Axivity CWA reader against truth: synthetic files written here from
 * known sample values and clock readings (layout per Open Movement's cwa.h),
 * and the real recordings described in ../shared/data/real/README.md. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/reader_priv.h"
#include "klonos/reader.h"
#include "klonos/status.h"
#include "testutil.h"

#define G_MPS2 9.80665
#define DEG2RAD (3.14159265358979323846 / 180.0)

/* ---- a small CWA writer ---------------------------------------------------- */

static void put16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v & 0xFF);
  p[1] = (unsigned char)((v >> 8) & 0xFF);
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)((v >> (8 * i)) & 0xFF);
}

/* Packed clock YYYYYYMM MMDDDDDh hhhhmmmm mmssssss from whole unix seconds. */
static uint32_t pack_clock(time_t unix_s) {
  struct tm tm;
  gmtime_r(&unix_s, &tm);
  return ((uint32_t)(tm.tm_year + 1900 - 2000) << 26) | ((uint32_t)(tm.tm_mon + 1) << 22) |
         ((uint32_t)tm.tm_mday << 17) | ((uint32_t)tm.tm_hour << 12) | ((uint32_t)tm.tm_min << 6) |
         (uint32_t)tm.tm_sec;
}

/* A recording to synthesise. Sample n truly happens at t0 + n / true_hz;
 * each block's clock reading is exact (anchors fall on quarter or half
 * seconds, or whole seconds without the fraction). */
typedef struct synth {
  unsigned hardware;       /* header byte 4 */
  unsigned device_lo, device_hi, session;
  unsigned sensor_config;  /* header byte 35 */
  unsigned rate_code;      /* header and blocks */
  unsigned axes_bps;       /* 0x30 packed, 0x32 / 0x62 / 0x92 16-bit */
  unsigned light;          /* scale bits AAAGGG in the top 6 */
  int blocks, per_block;
  double true_hz;
  time_t t0;
  int fraction;            /* 1: new firmware (15-bit fraction), 0: device id at byte 4 */
  int anchor_step;         /* anchors at sample indices that are multiples of this */
  int anchor_after_end;    /* 1: anchor at/after the block's end, like the firmware */
  /* Stored value of axis a (file order) of sample n: device units for
   * 16-bit, 1/256 g units for packed (a 10-bit mantissa shifted by 0-3). */
  int (*value)(int64_t n, int axis);
} synth;

static double nominal_hz(unsigned code) { return 3200.0 / (double)(1u << (15u - (code & 15u))); }

static int packed_mantissa(int64_t n, int axis) {
  /* -500..499: never at the full-scale code */
  return (int)((n * (7 + 6 * axis) + 31 * axis) % 1000) - 500;
}
static int packed_value(int64_t n, int axis) { return packed_mantissa(n, axis) * (1 << (n % 4)); }

static int ramp_value(int64_t n, int axis) {
  return axis == 0 ? (int)n : axis == 1 ? 100 : -(int)n;
}

static int imu_value(int64_t n, int axis) {
  /* gyro (file axes 0-2) and accelerometer (3-5), away from the 16-bit limits */
  return (int)((n * (17 + 10 * axis) + 1000 * axis) % 60000) - 30000;
}

static void write_header(unsigned char *h, const synth *s, const char *meta) {
  memset(h, 0xFF, 1024);
  memset(h, 0, 64);
  h[0] = 'M';
  h[1] = 'D';
  put16(h + 2, 1020);
  h[4] = (unsigned char)s->hardware;
  put16(h + 5, s->device_lo);
  put32(h + 7, s->session);
  put16(h + 11, s->device_hi);
  put32(h + 13, 0);
  put32(h + 17, 0xFFFFFFFFu);
  h[35] = (unsigned char)s->sensor_config;
  h[36] = (unsigned char)s->rate_code;
  h[41] = 50;
  put16(h + 42, 0xFFFF);
  memset(h + 64, ' ', 448);
  memcpy(h + 64, meta, strlen(meta));
}

static void seal_block(unsigned char *b) {
  unsigned sum = 0;
  put16(b + 510, 0);
  for (int i = 0; i < 255; i++) sum += (unsigned)b[2 * i] | ((unsigned)b[2 * i + 1] << 8);
  put16(b + 510, (0x10000u - (sum & 0xFFFFu)) & 0xFFFFu);
}

static void write_block(unsigned char *b, const synth *s, int index) {
  const int64_t first = (int64_t)index * s->per_block;
  memset(b, 0, 512);
  b[0] = 'A';
  b[1] = 'X';
  put16(b + 2, 508);
  put32(b + 6, s->session);
  put32(b + 10, (uint32_t)index);
  /* Anchor: the first sample index at/after the wanted place that is a
   * multiple of anchor_step, so its true time is exactly representable. */
  int64_t want = first + (s->anchor_after_end ? s->per_block : index % 3 * 7);
  int64_t m = (want + s->anchor_step - 1) / s->anchor_step * s->anchor_step;
  double t = (double)s->t0 + (double)m / s->true_hz;
  double whole = floor(t + 1e-9);
  int frac15 = (int)lround((t - whole) * 32768.0);
  int offset = (int)(m - first);
  if (s->fraction) {
    put16(b + 4, 0x8000u | (unsigned)frac15);
    offset -= (int)((((uint32_t)frac15 << 1) * (uint32_t)nominal_hz(s->rate_code)) >> 16);
  } else {
    cr_assert_eq(frac15, 0, "old-firmware anchors must be on whole seconds");
    put16(b + 4, s->device_lo & 0x7FFFu);
  }
  put32(b + 14, pack_clock((time_t)whole));
  put16(b + 18, s->light | 0x155u);
  put16(b + 20, 600);
  b[24] = (unsigned char)s->rate_code;
  b[25] = (unsigned char)s->axes_bps;
  put16(b + 26, (unsigned)(offset & 0xFFFF));
  put16(b + 28, (unsigned)s->per_block);
  const int axes = (int)(s->axes_bps >> 4);
  for (int i = 0; i < s->per_block; i++) {
    int64_t n = first + i;
    if ((s->axes_bps & 15u) == 0) {
      /* the smallest exponent that stores all three values exactly */
      int e = 0;
      for (; e < 4; e++) {
        int fits = 1;
        for (int a = 0; a < 3; a++) {
          int v = s->value(n, a), mant = v / (1 << e);
          fits &= mant * (1 << e) == v && mant >= -512 && mant <= 511;
        }
        if (fits) break;
      }
      cr_assert_lt(e, 4, "sample %lld cannot be packed", (long long)n);
      uint32_t v = (uint32_t)e << 30;
      for (int a = 0; a < 3; a++) v |= ((uint32_t)(s->value(n, a) / (1 << e)) & 0x3FFu) << (10 * a);
      put32(b + 30 + 4 * i, v);
    } else {
      for (int a = 0; a < axes; a++) put16(b + 30 + 2 * (axes * i + a), (unsigned)(s->value(n, a) & 0xFFFF));
    }
  }
  seal_block(b);
}

/* Header + blocks in a fresh heap buffer; caller frees. */
static unsigned char *build(const synth *s, size_t *len) {
  *len = 1024 + (size_t)s->blocks * 512;
  unsigned char *buf = malloc(*len);
  cr_assert_not_null(buf);
  write_header(buf, s, "_p=test&_sc=1");
  for (int b = 0; b < s->blocks; b++) write_block(buf + 1024 + 512 * (size_t)b, s, b);
  return buf;
}

static const char *save(const unsigned char *buf, size_t len, const char *name) {
  static char path[512]; /* test-only scratch */
  tu_tmp_path(path, sizeof path, name);
  cr_assert_eq(tu_write_file(path, buf, len), 0);
  return path;
}

static const char *write_synth(const synth *s, const char *name) {
  size_t len;
  unsigned char *buf = build(s, &len);
  const char *path = save(buf, len, name);
  free(buf);
  return path;
}

static synth ax3_packed(void) {
  synth s = {.hardware = 0x00, .device_lo = 1234, .device_hi = 0xFFFF, .session = 7, .sensor_config = 0xFF,
             .rate_code = 0x0A, /* 100 Hz, ±16 g */
             .axes_bps = 0x30, .light = 0, .blocks = 10, .per_block = 120, .true_hz = 100.0,
             .t0 = 1614834367 /* 2021-03-04T05:06:07 */, .fraction = 1, .anchor_step = 25,
             .anchor_after_end = 1, .value = packed_value};
  return s;
}

/* ---- reading helpers ------------------------------------------------------- */

typedef struct readout {
  klonos_recording_info info;
  klonos_read_stats stats;
  float *frames;
  size_t n;
} readout;

static klonos_reader *open_ok(const char *path, const klonos_reader_options *o) {
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, o);
  cr_assert_eq(rc, KLONOS_OK, "open: %s", klonos_reader_error(r));
  return r;
}

static readout read_all(const char *path, const klonos_reader_options *o, size_t chunk) {
  readout out;
  memset(&out, 0, sizeof out);
  klonos_reader *r = open_ok(path, o);
  cr_assert_eq(klonos_reader_info(r, &out.info), KLONOS_OK);
  const size_t nch = (size_t)out.info.channel_count;
  size_t cap = out.info.frame_count > 0 ? (size_t)out.info.frame_count + chunk : 1024;
  out.frames = malloc(cap * nch * sizeof(float));
  cr_assert_not_null(out.frames);
  for (;;) {
    if (out.n + chunk > cap) {
      cap = 2 * (out.n + chunk);
      out.frames = realloc(out.frames, cap * nch * sizeof(float));
      cr_assert_not_null(out.frames);
    }
    size_t got = 0;
    int rc = klonos_reader_read_f32(r, out.frames + out.n * nch, chunk, &got);
    cr_assert_eq(rc, KLONOS_OK, "read: %s", klonos_reader_error(r));
    if (got == 0) break;
    out.n += got;
  }
  cr_assert_eq(klonos_reader_stats(r, &out.stats), KLONOS_OK);
  klonos_reader_close(&r);
  cr_assert_eq((int64_t)out.n, out.info.frame_count, "frame_count %lld promised, %zu delivered",
               (long long)out.info.frame_count, out.n);
  return out;
}

static int open_fails(const char *path, const klonos_reader_options *o, char *err, size_t len) {
  klonos_reader *r = NULL;
  int rc = klonos_reader_open(&r, path, o);
  snprintf(err, len, "%s", klonos_reader_error(r));
  klonos_reader_close(&r);
  return rc;
}

static int notice_with(const char *path, const klonos_reader_options *o, int kind, const char *text) {
  klonos_reader *r = open_ok(path, o);
  float buf[4096 * 6];
  size_t got;
  while (klonos_reader_read_f32(r, buf, 4096, &got) == KLONOS_OK && got) {}
  klonos_read_stats st;
  klonos_reader_stats(r, &st);
  int found = 0;
  for (size_t i = 0; i < (size_t)st.notice_count && i < 256; i++) {
    klonos_notice n;
    cr_assert_eq(klonos_reader_notice(r, i, &n), KLONOS_OK);
    if (n.kind == kind && strstr(n.message, text)) found++;
  }
  klonos_reader_close(&r);
  return found;
}

/* ---- synthetic files ------------------------------------------------------- */

Test(cwa, ax3_packed_values_times_and_metadata) {
  synth s = ax3_packed();
  const char *path = write_synth(&s, "ax3-packed.cwa");
  readout o = read_all(path, NULL, 4096);
  cr_assert_eq(o.info.format, KLONOS_FORMAT_CWA);
  cr_assert_str_eq(o.info.format_detail, "CWA AX3 packed");
  cr_assert_str_eq(o.info.device, "Axivity AX3 id 1234 session 7");
  cr_assert_eq(o.info.channel_count, 3);
  cr_assert_eq(o.info.source_channel_count, 3);
  cr_assert_eq(o.info.source_units, KLONOS_UNITS_G);
  for (int c = 0; c < 3; c++) cr_assert_eq(o.info.source_roles[c], KLONOS_ROLE_ACC_X + c);
  cr_assert_float_eq(o.info.nominal_rate_hz, 100.0, 1e-12);
  cr_assert_float_eq(o.info.sample_rate_hz, 100.0, 1e-12);
  cr_assert_float_eq(o.info.measured_rate_hz, 100.0, 1e-9);
  cr_assert_float_eq(o.info.full_scale_g, 16.0, 0);
  cr_assert_float_eq(o.info.gyro_full_scale_dps, 0.0, 0);
  cr_assert_eq(o.info.timestamped, 1);
  cr_assert_eq(o.info.has_start_time, 1);
  cr_assert_float_eq(o.info.start_time_unix_s, (double)s.t0, 1e-6);
  cr_assert_str_eq(o.info.start_time_iso, "2021-03-04T05:06:07.000");
  cr_assert_eq(o.n, 1200);
  for (size_t k = 0; k < o.n; k++)
    for (int c = 0; c < 3; c++) {
      double want = packed_value((int64_t)k, c) * G_MPS2 / 256.0;
      cr_assert_float_eq(o.frames[k * 3 + c], want, 1e-4 + 1e-6 * fabs(want), "frame %zu ch %d: %g vs %g", k, c,
                         o.frames[k * 3 + c], want);
    }
  cr_assert_eq(o.stats.bad_blocks, 0);
  cr_assert_eq(o.stats.notice_count, 0);
  cr_assert_eq(o.stats.clipped[0] + o.stats.clipped[1] + o.stats.clipped[2], 0);
  free(o.frames);
}

Test(cwa, ax3_unpacked_16bit) {
  synth s = ax3_packed();
  s.axes_bps = 0x32;
  s.per_block = 80;
  s.blocks = 6;
  s.rate_code = 0x4A;    /* ±8 g */
  s.light = 4u << 13;    /* 1/4096 g per count */
  s.value = imu_value;
  s.anchor_after_end = 0;
  const char *path = write_synth(&s, "ax3-16bit.cwa");
  readout o = read_all(path, NULL, 4096);
  cr_assert_str_eq(o.info.format_detail, "CWA AX3 16-bit");
  cr_assert_eq(o.info.channel_count, 3);
  cr_assert_float_eq(o.info.full_scale_g, 8.0, 0);
  cr_assert_eq(o.n, 480);
  for (size_t k = 0; k < o.n; k++)
    for (int c = 0; c < 3; c++) {
      double want = imu_value((int64_t)k, c) * G_MPS2 / 4096.0;
      cr_assert_float_eq(o.frames[k * 3 + c], want, 1e-4, "frame %zu ch %d", k, c);
    }
  free(o.frames);
}

Test(cwa, ax6_six_axes_in_acc_then_gyro_order) {
  synth s = ax3_packed();
  s.hardware = 0x64;
  s.device_lo = 48058;
  s.device_hi = 0x005B;
  s.session = 993;
  s.sensor_config = 0x05;         /* ±250 deg/s */
  s.rate_code = 0x0A;             /* 100 Hz, ±16 g */
  s.axes_bps = 0x62;
  s.per_block = 40;
  s.blocks = 12;
  s.light = (3u << 13) | (5u << 10); /* acc 1/2048 g, gyro 8000/2^5 = 250 deg/s */
  s.value = imu_value;
  const char *path = write_synth(&s, "ax6.cwa");
  readout o = read_all(path, NULL, 4096);
  cr_assert_str_eq(o.info.format_detail, "CWA AX6 16-bit 6-axis");
  cr_assert_str_eq(o.info.device, "Axivity AX6 id 6011834 session 993"); /* 0x5B << 16 | 48058 */
  cr_assert_eq(o.info.channel_count, 6);
  cr_assert_eq(o.info.source_channel_count, 6);
  const int roles[6] = {KLONOS_ROLE_GYRO_X, KLONOS_ROLE_GYRO_Y, KLONOS_ROLE_GYRO_Z,
                        KLONOS_ROLE_ACC_X,  KLONOS_ROLE_ACC_Y,  KLONOS_ROLE_ACC_Z};
  for (int c = 0; c < 6; c++) cr_assert_eq(o.info.source_roles[c], roles[c]);
  cr_assert_float_eq(o.info.full_scale_g, 16.0, 0);
  cr_assert_float_eq(o.info.gyro_full_scale_dps, 250.0, 0);
  cr_assert_eq(o.n, 480);
  for (size_t k = 0; k < o.n; k++)
    for (int c = 0; c < 3; c++) {
      double acc = imu_value((int64_t)k, 3 + c) * G_MPS2 / 2048.0;
      double gyro = imu_value((int64_t)k, c) * 250.0 / 32768.0 * DEG2RAD;
      cr_assert_float_eq(o.frames[k * 6 + c], acc, 1e-4, "frame %zu acc %d", k, c);
      cr_assert_float_eq(o.frames[k * 6 + 3 + c], gyro, 1e-5, "frame %zu gyro %d", k, c);
    }
  free(o.frames);
}

Test(cwa, nine_axis_magnetometer_is_ignored) {
  synth s = ax3_packed();
  s.hardware = 0x64;
  s.axes_bps = 0x92;
  s.per_block = 26;
  s.light = (3u << 13) | (2u << 10); /* 2000 deg/s */
  s.value = imu_value;
  s.anchor_after_end = 0;
  const char *path = write_synth(&s, "ax9.cwa");
  readout o = read_all(path, NULL, 4096);
  cr_assert_str_eq(o.info.format_detail, "CWA AX6 16-bit 9-axis");
  cr_assert_eq(o.info.source_channel_count, 9);
  cr_assert_eq(o.info.channel_count, 6);
  for (int c = 6; c < 9; c++) cr_assert_eq(o.info.source_roles[c], KLONOS_ROLE_IGNORED);
  cr_assert_eq(o.n, 260);
  cr_assert_float_eq(o.frames[6 * 10 + 0], imu_value(10, 3) * G_MPS2 / 2048.0, 1e-4);
  cr_assert_float_eq(o.frames[6 * 10 + 3], imu_value(10, 0) * 2000.0 / 32768.0 * DEG2RAD, 1e-5);
  free(o.frames);
}

Test(cwa, drifting_clock_is_regridded_to_nominal_rate) {
  /* The sensor really samples at 102 Hz; the header says 100 Hz. A ramp
   * x = n counts is x(t) = 102 t: at output frame k (t = k / 100 s) it must
   * read 1.02 k counts. */
  synth s = ax3_packed();
  s.axes_bps = 0x32;
  s.per_block = 80;
  s.blocks = 15;
  s.true_hz = 102.0;
  s.anchor_step = 51; /* half seconds: exact 15-bit fractions */
  s.value = ramp_value;
  const char *path = write_synth(&s, "drift.cwa");
  readout o = read_all(path, NULL, 4096);
  cr_assert_float_eq(o.info.sample_rate_hz, 100.0, 0);
  cr_assert_float_eq(o.info.nominal_rate_hz, 100.0, 0);
  cr_assert_float_eq(o.info.measured_rate_hz, 102.0, 1e-9);
  /* 1200 samples span 1199 / 102 = 11.7549 s -> frames 0 .. 1175 */
  cr_assert_eq(o.info.frame_count, 1176);
  const double count_mps2 = G_MPS2 / 256.0;
  for (size_t k = 0; k < o.n; k++) {
    cr_assert_float_eq(o.frames[k * 3 + 0], 1.02 * (double)k * count_mps2, 1e-4, "frame %zu", k);
    cr_assert_float_eq(o.frames[k * 3 + 1], 100.0 * count_mps2, 1e-5);
    cr_assert_float_eq(o.frames[k * 3 + 2], -1.02 * (double)k * count_mps2, 1e-4);
  }
  free(o.frames);
}

Test(cwa, old_firmware_whole_second_timestamps) {
  /* No fraction (device id at byte 4): each block's reading is a whole-
   * second tick at some sample, here on a sample clock running at 99 Hz, so
   * ticks fall every 99 samples (some after the block's end). */
  synth s = ax3_packed();
  s.fraction = 0;
  s.true_hz = 99.0;
  s.anchor_step = 99;
  s.anchor_after_end = 0;
  s.axes_bps = 0x32;
  s.per_block = 80;
  s.blocks = 15;
  s.value = ramp_value;
  const char *path = write_synth(&s, "oldfw.cwa");
  readout o = read_all(path, NULL, 4096);
  cr_assert_float_eq(o.info.measured_rate_hz, 99.0, 1e-9);
  cr_assert_float_eq(o.info.start_time_unix_s, (double)s.t0, 1e-6);
  cr_assert_eq(o.info.frame_count, (int64_t)floor(1199.0 / 99.0 * 100.0) + 1); /* 1200 samples, 1199 / 99 s */
  const double count_mps2 = G_MPS2 / 256.0;
  for (size_t k = 0; k < o.n; k++)
    cr_assert_float_eq(o.frames[k * 3], 0.99 * (double)k * count_mps2, 1e-4, "frame %zu", k);
  free(o.frames);
}

static const char *bad_checksum_file(void) {
  synth s = ax3_packed();
  size_t len;
  unsigned char *buf = build(&s, &len);
  buf[1024 + 4 * 512 + 100] ^= 0x5A; /* a sample byte of block 4; checksum left stale */
  const char *path = save(buf, len, "badsum.cwa");
  free(buf);
  return path;
}

Test(cwa, bad_checksum_block_becomes_nan_hole) {
  const char *path = bad_checksum_file();
  readout o = read_all(path, NULL, 4096);
  cr_assert_eq(o.stats.bad_blocks, 1);
  cr_assert_eq(notice_with(path, NULL, KLONOS_NOTICE_BAD_BLOCK, "block 4 (byte 3072): checksum mismatch"), 1);
  /* Samples 480..599 are missing: 479 at 4.79 s, 600 at 6.00 s, a 1.21 s
   * hole > max_gap_s = 1 s, so frames 480..599 are NaN and the rest exact. */
  cr_assert_eq(o.n, 1200);
  cr_assert_eq(o.stats.gap_count, 1);
  cr_assert_eq(o.stats.nan_frames, 120);
  for (size_t k = 0; k < o.n; k++) {
    if (k >= 480 && k < 600) {
      cr_assert(isnan(o.frames[k * 3]) && isnan(o.frames[k * 3 + 2]), "frame %zu should be NaN", k);
      continue;
    }
    for (int c = 0; c < 3; c++)
      cr_assert_float_eq(o.frames[k * 3 + c], packed_value((int64_t)k, c) * G_MPS2 / 256.0, 1e-3, "frame %zu", k);
  }
  free(o.frames);
}

Test(cwa, bad_block_hole_shorter_than_max_gap_is_interpolated) {
  const char *path = bad_checksum_file();
  klonos_reader_options opt;
  klonos_reader_options_default(&opt);
  opt.max_gap_s = 2.0;
  readout o = read_all(path, &opt, 4096);
  cr_assert_eq(o.stats.bad_blocks, 1);
  cr_assert_eq(o.stats.nan_frames, 0);
  /* frame 540 lies 61/121 of the way from sample 479 to sample 600 */
  double a = packed_value(479, 0), b = packed_value(600, 0), w = 61.0 / 121.0;
  cr_assert_float_eq(o.frames[540 * 3], ((1 - w) * a + w * b) * G_MPS2 / 256.0, 1e-3);
  free(o.frames);
}

Test(cwa, backwards_timestamp_and_absurd_count_are_skipped) {
  synth s = ax3_packed();
  size_t len;
  unsigned char *buf = build(&s, &len);
  unsigned char *b3 = buf + 1024 + 3 * 512, *b6 = buf + 1024 + 6 * 512;
  put32(b3 + 14, pack_clock(s.t0 - 3600)); /* an hour back, checksum valid */
  seal_block(b3);
  put16(b6 + 28, 500); /* 500 samples cannot fit in 480 bytes */
  seal_block(b6);
  const char *path = save(buf, len, "backwards.cwa");
  free(buf);
  readout o = read_all(path, NULL, 4096);
  cr_assert_eq(o.stats.bad_blocks, 2);
  cr_assert_eq(notice_with(path, NULL, KLONOS_NOTICE_BAD_BLOCK, "block 3 (byte 2560): timestamp goes backwards"), 1);
  cr_assert_eq(notice_with(path, NULL, KLONOS_NOTICE_BAD_BLOCK, "block 6 (byte 4096): absurd sample count 500"), 1);
  cr_assert_eq(o.n, 1200);
  cr_assert_eq(o.stats.nan_frames, 240);
  cr_assert(isnan(o.frames[400 * 3]) && isnan(o.frames[750 * 3]));
  cr_assert_float_eq(o.frames[900 * 3], packed_value(900, 0) * G_MPS2 / 256.0, 1e-3);
  free(o.frames);
}

Test(cwa, truncated_last_block_is_a_notice) {
  synth s = ax3_packed();
  size_t len;
  unsigned char *buf = build(&s, &len);
  const char *path = save(buf, 1024 + 9 * 512 + 200, "truncated.cwa");
  free(buf);
  readout o = read_all(path, NULL, 4096);
  cr_assert_eq(o.n, 9 * 120);
  cr_assert_eq(o.stats.bad_blocks, 1);
  cr_assert_eq(notice_with(path, NULL, KLONOS_NOTICE_BAD_BLOCK, "block 9 (byte 5632): truncated, only 200 of 512 bytes"), 1);
  cr_assert_float_eq(o.frames[1079 * 3], packed_value(1079, 0) * G_MPS2 / 256.0, 1e-3);
  free(o.frames);
}

Test(cwa, errors_name_the_file_and_the_place) {
  char err[600];
  synth s = ax3_packed();
  size_t len;
  unsigned char *buf = build(&s, &len);

  const char *path = save(buf, 1024, "header-only.cwa");
  cr_assert_eq(open_fails(path, NULL, err, sizeof err), KLONOS_E_EMPTY, "%s", err);
  cr_assert(strstr(err, path) && strstr(err, "header only"), "%s", err);

  path = save(buf, 100, "short.cwa");
  cr_assert_eq(open_fails(path, NULL, err, sizeof err), KLONOS_E_CORRUPT, "%s", err);
  cr_assert(strstr(err, path) && strstr(err, "1024-byte"), "%s", err);

  path = save(buf, 1024 + 300, "partial-only.cwa");
  cr_assert_eq(open_fails(path, NULL, err, sizeof err), KLONOS_E_CORRUPT, "%s", err);

  unsigned char *zero_rate = malloc(len);
  memcpy(zero_rate, buf, len);
  zero_rate[36] = 0x00;
  path = save(zero_rate, len, "rate0.cwa");
  cr_assert_eq(open_fails(path, NULL, err, sizeof err), KLONOS_E_RATE, "%s", err);
  cr_assert(strstr(err, path) && strstr(err, "byte 36"), "%s", err);
  free(zero_rate);

  unsigned char *all_bad = malloc(len);
  memcpy(all_bad, buf, len);
  for (int b = 0; b < s.blocks; b++) all_bad[1024 + 512 * b + 200] ^= 1;
  path = save(all_bad, len, "allbad.cwa");
  cr_assert_eq(open_fails(path, NULL, err, sizeof err), KLONOS_E_CORRUPT, "%s", err);
  cr_assert(strstr(err, path) && strstr(err, "block 0 at byte 1024: checksum"), "%s", err);
  free(all_bad);

  unsigned char *not_cwa = malloc(len);
  memcpy(not_cwa, buf, len);
  not_cwa[0] = 'X';
  path = save(not_cwa, len, "notcwa.cwa");
  klonos_reader_options opt;
  klonos_reader_options_default(&opt);
  opt.format = KLONOS_FORMAT_CWA;
  cr_assert_eq(open_fails(path, &opt, err, sizeof err), KLONOS_E_FORMAT, "%s", err);
  cr_assert(strstr(err, path) && strstr(err, "byte 0"), "%s", err);
  free(not_cwa);
  free(buf);
}

Test(cwa, chunk_sizes_give_identical_frames) {
  /* drift, a bad block and six axes together */
  synth s = ax3_packed();
  s.hardware = 0x64;
  s.axes_bps = 0x62;
  s.per_block = 40;
  s.blocks = 40;
  s.true_hz = 102.0;
  s.anchor_step = 51;
  s.light = (3u << 13) | (5u << 10);
  s.value = imu_value;
  size_t len;
  unsigned char *buf = build(&s, &len);
  buf[1024 + 17 * 512 + 77] ^= 0x10;
  const char *path = save(buf, len, "chunks.cwa");
  free(buf);
  readout a = read_all(path, NULL, 1), b = read_all(path, NULL, 7), c = read_all(path, NULL, 4096);
  cr_assert_eq(a.n, b.n);
  cr_assert_eq(a.n, c.n);
  cr_assert_eq(memcmp(a.frames, b.frames, a.n * 6 * sizeof(float)), 0);
  cr_assert_eq(memcmp(a.frames, c.frames, a.n * 6 * sizeof(float)), 0);
  cr_assert_eq(a.stats.bad_blocks, 1);
  cr_assert_eq(c.stats.bad_blocks, 1);
  cr_assert_eq(a.stats.nan_frames, c.stats.nan_frames);
  free(a.frames);
  free(b.frames);
  free(c.frames);
}

Test(cwa, output_rate_option_resamples) {
  synth s = ax3_packed();
  const char *path = write_synth(&s, "rate50.cwa");
  klonos_reader_options opt;
  klonos_reader_options_default(&opt);
  opt.rate_hz = 50.0;
  readout o = read_all(path, &opt, 4096);
  cr_assert_float_eq(o.info.sample_rate_hz, 50.0, 0);
  cr_assert_float_eq(o.info.nominal_rate_hz, 100.0, 0);
  cr_assert_eq(o.n, 600); /* 0 .. 11.99 s at 50 Hz */
  for (size_t k = 0; k < o.n; k++)
    cr_assert_float_eq(o.frames[k * 3 + 1], packed_value(2 * (int64_t)k, 1) * G_MPS2 / 256.0, 1e-3);
  free(o.frames);
}

static int clip_value(int64_t n, int axis) {
  /* ±8 g packed: the largest codes are 511 << 2 = 2044 and -512 << 2 */
  if (n % 10 == 3) return axis == 0 ? 2044 : axis == 1 ? -2048 : 2040;
  return (int)(n % 4 == 0 ? 100 : 0);
}

static int clip16_value(int64_t n, int axis) {
  if (n % 8 == 5) return axis == 0 ? 32767 : axis == 4 ? -32768 : 1000;
  return 0;
}

Test(cwa, clipping_counts_full_scale_codes) {
  synth s = ax3_packed();
  s.rate_code = 0x4A; /* ±8 g */
  s.value = clip_value;
  readout o = read_all(write_synth(&s, "clip.cwa"), NULL, 4096);
  cr_assert_eq(o.stats.clipped[0], 120); /* one sample in ten of 1200 */
  cr_assert_eq(o.stats.clipped[1], 120);
  cr_assert_eq(o.stats.clipped[2], 0);   /* 2040 is below full scale */
  free(o.frames);

  synth g = ax3_packed();
  g.hardware = 0x64;
  g.axes_bps = 0x62;
  g.per_block = 40;
  g.light = (3u << 13) | (5u << 10);
  g.value = clip16_value;
  o = read_all(write_synth(&g, "clip6.cwa"), NULL, 4096);
  cr_assert_eq(o.n, 400);
  cr_assert_eq(o.stats.clipped[3], 50); /* gyro x at +32767 */
  cr_assert_eq(o.stats.clipped[1], 50); /* acc y (file axis 4) at -32768 */
  cr_assert_eq(o.stats.clipped[0] + o.stats.clipped[2] + o.stats.clipped[4] + o.stats.clipped[5], 0);
  free(o.frames);
}

/* Move block b's clock by delta_s (whole seconds) and re-seal it. */
static void shift_clock(unsigned char *file, int b, long delta_s) {
  unsigned char *blk = file + 1024 + 512 * (size_t)b;
  uint32_t packed = (uint32_t)blk[14] | ((uint32_t)blk[15] << 8) | ((uint32_t)blk[16] << 16) | ((uint32_t)blk[17] << 24);
  struct tm tm = {0};
  tm.tm_year = (int)((packed >> 26) & 63u) + 100;
  tm.tm_mon = (int)((packed >> 22) & 15u) - 1;
  tm.tm_mday = (int)((packed >> 17) & 31u);
  tm.tm_hour = (int)((packed >> 12) & 31u);
  tm.tm_min = (int)((packed >> 6) & 63u);
  tm.tm_sec = (int)(packed & 63u);
  put32(blk + 14, pack_clock(timegm(&tm) + delta_s));
  seal_block(blk);
}

Test(cwa, corrupt_clock_with_valid_checksum_is_an_outlier) {
  /* A clock reading that is wrong but checksummed: block 0 a year early,
   * block 5 a year late, the last block a day late. Each disagrees with its
   * neighbours and is skipped; nothing else is lost. */
  synth s = ax3_packed();
  size_t len;
  unsigned char *buf = build(&s, &len);
  shift_clock(buf, 0, -365L * 86400);
  shift_clock(buf, 5, 365L * 86400);
  shift_clock(buf, 9, 86400);
  const char *path = save(buf, len, "outlier.cwa");
  free(buf);
  readout o = read_all(path, NULL, 4096);
  cr_assert_eq(o.stats.bad_blocks, 3);
  cr_assert_eq(notice_with(path, NULL, KLONOS_NOTICE_BAD_BLOCK, "out of line"), 3);
  /* samples 120 .. 1079 remain, 600 .. 719 (block 5) as a NaN hole */
  cr_assert_float_eq(o.info.start_time_unix_s, (double)s.t0 + 1.2, 1e-6);
  cr_assert_eq(o.n, 960);
  cr_assert_eq(o.stats.nan_frames, 120);
  cr_assert(isnan(o.frames[(650 - 120) * 3]));
  cr_assert_float_eq(o.frames[(800 - 120) * 3], packed_value(800, 0) * G_MPS2 / 256.0, 1e-3);
  free(o.frames);
}

Test(cwa, genuine_pause_is_a_nan_gap) {
  /* The clock of blocks 5..9 is one minute later and they agree with each
   * other: the device paused. That is a gap, not a bad block. */
  synth s = ax3_packed();
  size_t len;
  unsigned char *buf = build(&s, &len);
  for (int b = 5; b < s.blocks; b++) shift_clock(buf, b, 60);
  const char *path = save(buf, len, "pause.cwa");
  free(buf);
  readout o = read_all(path, NULL, 4096);
  cr_assert_eq(o.stats.bad_blocks, 0);
  cr_assert_eq(o.stats.gap_count, 1);
  cr_assert_float_eq(o.stats.gap_total_s, 60.01, 1e-6); /* sample 599 at 5.99 s, 600 at 66.00 s */
  cr_assert_eq(o.n, 7200);                              /* sample 1199 at 71.99 s */
  cr_assert_eq(o.stats.nan_frames, 6000);
  cr_assert_float_eq(o.frames[6600 * 3], packed_value(600, 0) * G_MPS2 / 256.0, 1e-3);
  cr_assert_float_eq(o.info.measured_rate_hz, 100.0, 1e-9); /* the pause is not counted */
  free(o.frames);
}

Test(cwa, jump_beyond_thirty_days_is_refused_at_open) {
  synth s = ax3_packed();
  size_t len;
  unsigned char *buf = build(&s, &len);
  for (int b = 5; b < s.blocks; b++) shift_clock(buf, b, 40L * 86400);
  const char *path = save(buf, len, "jump40d.cwa");
  free(buf);
  char err[600];
  cr_assert_eq(open_fails(path, NULL, err, sizeof err), KLONOS_E_TIME, "%s", err);
  cr_assert(strstr(err, path) && strstr(err, "block 5 (byte 3584)") && strstr(err, "40 days"), "%s", err);
}

Test(cwa, frame_count_agrees_with_the_regridder_at_grid_boundaries) {
  /* The samples span exactly 11.99 s. Output rates that put the last grid
   * point just inside or just outside that span (by less than any rounding
   * tolerance, or by more) must still deliver exactly frame_count frames. */
  synth s = ax3_packed();
  const char *path = write_synth(&s, "boundary.cwa");
  const double deltas[] = {-1e-2, -5e-4, -1e-6, -1e-10, 0.0, 1e-10, 1e-6, 5e-4};
  for (size_t i = 0; i < sizeof deltas / sizeof deltas[0]; i++) {
    klonos_reader_options opt;
    klonos_reader_options_default(&opt);
    opt.rate_hz = (600.0 + deltas[i]) / 11.99;
    readout o = read_all(path, &opt, 64); /* asserts delivered == frame_count */
    cr_assert(o.n == 600 || o.n == 601, "rate %.12g: %zu frames", opt.rate_hz, o.n);
    free(o.frames);
  }
}

Test(cwa, probe_scores) {
  const unsigned char good[4] = {'M', 'D', 0xFC, 0x03}; /* 1020 little-endian */
  const unsigned char wrong_length[4] = {'M', 'D', 0xFD, 0x03};
  const unsigned char text[4] = {'t', ',', 'x', '\n'};
  cr_assert_eq(kl_cwa_ops.probe("rec.bin", good, sizeof good), 100);
  cr_assert_eq(kl_cwa_ops.probe("rec.bin", wrong_length, sizeof wrong_length), 0);
  cr_assert_eq(kl_cwa_ops.probe("rec.CWA", wrong_length, sizeof wrong_length), 10);
  cr_assert_eq(kl_cwa_ops.probe("rec.csv", text, sizeof text), 0);
  cr_assert_eq(kl_cwa_ops.probe("rec.bin", good, 2), 0);
}

Test(cwa, header_rate_code_disagreeing_with_blocks) {
  /* The blocks say 100 Hz (what the sensor did), the header 50 Hz. */
  synth s = ax3_packed();
  size_t len;
  unsigned char *buf = build(&s, &len);
  buf[36] = 0x09;
  const char *path = save(buf, len, "ratemismatch.cwa");
  free(buf);
  readout o = read_all(path, NULL, 4096);
  cr_assert_float_eq(o.info.nominal_rate_hz, 100.0, 0);
  cr_assert_eq(o.n, 1200);
  cr_assert_eq(notice_with(path, NULL, KLONOS_NOTICE_OTHER, "header rate code 0x09 (byte 36) differs"), 1);
  free(o.frames);
}

/* ---- real recordings --------------------------------------------------------- */

typedef struct real_case {
  const char *file;
  double rate_hz, full_scale_g;
  int channels;
  double samples;           /* blocks x samples per block (README) */
  double nominal_duration_s;/* README "about N s": samples / nominal rate */
  time_t first_block_clock; /* README: first block's timestamp (device clock) */
  double block_span_s;      /* README: last minus first block timestamp */
  double block_s;           /* one block at the nominal rate */
  const char *start_iso;    /* first sample: see the comment at its use */
} real_case;

static const real_case real_cases[] = {
    {"axivity-ax3-wrist/ax3_testfile.cwa", 100, 8, 3, 17400, 174, 1551178507 /* 2019-02-26 10:55:07 */, 174, 1.2,
     "2019-02-26T10:55:05.9"},
    {"axivity-ax6-gyro/ax6_testfile.cwa", 100, 16, 6, 11320, 113, 1577135047 /* 2019-12-23 21:04:07 */, 114, 0.4,
     "2019-12-23T21:04:06.6"},
    {"axivity-ax3-lowerback-gait/ax3_sample.cwa", 200, 8, 3, 58800, 294, 1581498218 /* 2020-02-12 09:03:38 */, 297,
     0.6, "2020-02-12T09:03:37.4"},
    {"axivity-ax3-walk-610steps/example-610-steps.cwa", 100, 8, 3, 71400, 714, 1332846898 /* 2012-03-27 11:14:58 */,
     724, 1.2, "2012-03-27T11:14:57.4"},
};

static const char *real_path(char *buf, size_t len, const char *file) {
  const char *dir = tu_real_data_dir();
  if (!dir) return NULL;
  snprintf(buf, len, "%s/%s", dir, file);
  return buf;
}

Test(cwa, real_files_match_block_facts) {
  char path[1024];
  if (!real_path(path, sizeof path, "")) cr_skip_test("../shared/data/real absent: no real CWA files to check");
  for (size_t i = 0; i < sizeof real_cases / sizeof real_cases[0]; i++) {
    const real_case *rc = &real_cases[i];
    real_path(path, sizeof path, rc->file);
    readout o = read_all(path, NULL, 4096);
    cr_assert_float_eq(o.info.sample_rate_hz, rc->rate_hz, 0, "%s", rc->file);
    cr_assert_float_eq(o.info.nominal_rate_hz, rc->rate_hz, 0, "%s", rc->file);
    cr_assert_eq(o.info.channel_count, rc->channels, "%s", rc->file);
    cr_assert_float_eq(o.info.full_scale_g, rc->full_scale_g, 0, "%s", rc->file);
    cr_assert_eq(o.stats.bad_blocks, 0, "%s", rc->file);
    cr_assert_eq(o.stats.nan_frames, 0, "%s", rc->file);
    const double duration_s = (double)o.n / o.info.sample_rate_hz;
    /* The device's sample clock runs 1-1.5 % slow against its real-time
     * clock in these files, so the README's "about N s" (samples / nominal
     * rate) is sample-clock time; the timestamped duration is longer.
     * Check both: the samples fit the measured rate, the sample-clock
     * duration is the README's, and the real duration is the README's
     * first-to-last block timestamp span plus about one block. */
    cr_assert_float_eq(duration_s * o.info.measured_rate_hz, rc->samples, 2 * rc->rate_hz, "%s", rc->file);
    cr_assert_float_eq(duration_s * o.info.measured_rate_hz / rc->rate_hz, rc->nominal_duration_s, 2.0, "%s: %g s",
                       rc->file, duration_s);
    cr_assert_float_eq(duration_s, rc->block_span_s + rc->block_s, 2.0, "%s: %g s", rc->file, duration_s);
    cr_assert_float_eq(o.info.measured_rate_hz, rc->rate_hz, 0.02 * rc->rate_hz, "%s", rc->file);
    /* The first block's whole-second reading holds at a sample near the
     * block's end (its offset @26), so its first sample is about one block
     * earlier: 0.3 to 1.3 s before the README's first block timestamp. */
    double lead_s = (double)rc->first_block_clock - o.info.start_time_unix_s;
    cr_assert(lead_s > 0.3 && lead_s < 1.3, "%s: first sample %.3f s before the first block's clock", rc->file, lead_s);
    cr_assert(strncmp(o.info.start_time_iso, rc->start_iso, strlen(rc->start_iso)) == 0, "%s: %s", rc->file,
              o.info.start_time_iso);
    free(o.frames);
  }
}

Test(cwa, real_ax3_wrist_values_and_corrupt_copy) {
  char path[1024];
  if (!real_path(path, sizeof path, "axivity-ax3-wrist/ax3_testfile.cwa"))
    cr_skip_test("../shared/data/real absent: no real CWA files to check");
  readout o = read_all(path, NULL, 4096);
  cr_assert_str_eq(o.info.device, "Axivity AX3 id 39434 session 26");
  cr_assert_str_eq(o.info.format_detail, "CWA AX3 packed");
  /* Block 0 sample 0 (bytes 1054-1057) is 0x80d0fc15: exponent 2, x = 21 << 2 = 84 -> 84/256 g */
  cr_assert_float_eq(o.frames[0] / G_MPS2, 0.328125, 1e-6);
  free(o.frames);

  real_path(path, sizeof path, "axivity-ax3-wrist/ax3_testfile_corrupt_blocks_0_13_14_142_143_144.cwa");
  readout c = read_all(path, NULL, 4096);
  cr_assert_eq(c.stats.bad_blocks, 6);
  cr_assert_eq(notice_with(path, NULL, KLONOS_NOTICE_BAD_BLOCK, "checksum mismatch"), 6);
  /* Block 0 is bad, so the recording starts at block 1, whose first x is
   * GGIRread's expected 0.7656 g. */
  cr_assert_float_eq(c.frames[0] / G_MPS2, 0.7656, 0.01);
  /* blocks 13 and 14 missing: one hole of about 2.4 s, NaN */
  cr_assert_eq(c.stats.gap_count, 1);
  cr_assert_float_eq(c.stats.gap_total_s, 2.44, 0.05);
  cr_assert_gt(c.stats.nan_frames, 200);
  free(c.frames);
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

Test(cwa, real_ax6_magnitude_and_gyro_agree_with_gravity) {
  char path[1024];
  if (!real_path(path, sizeof path, "axivity-ax6-gyro/ax6_testfile.cwa"))
    cr_skip_test("../shared/data/real absent: no real CWA files to check");
  readout o = read_all(path, NULL, 4096);
  cr_assert_float_eq(o.info.gyro_full_scale_dps, 250.0, 0);
  float *mag = malloc(o.n * sizeof(float));
  for (size_t k = 0; k < o.n; k++) {
    const float *f = o.frames + 6 * k;
    mag[k] = (float)(sqrt((double)f[0] * f[0] + (double)f[1] * f[1] + (double)f[2] * f[2]) / G_MPS2);
  }
  qsort(mag, o.n, sizeof(float), cmp_float);
  cr_assert_float_eq(mag[o.n / 2], 1.007, 0.02, "median |acc| %g g", mag[o.n / 2]);
  free(mag);
  /* Units and axes of the gyroscope, independently of any library: around
   * frame 9850 the device turns by 90 degrees between two rests without
   * saturating. Rotating the gravity vector seen before the turn by the
   * integrated angular rate must give the gravity vector seen after it. */
  double before[3] = {0}, after[3] = {0};
  for (size_t k = 9700; k < 9750; k++)
    for (int c = 0; c < 3; c++) before[c] += o.frames[6 * k + c] / 50.0;
  for (size_t k = 9950; k < 10000; k++)
    for (int c = 0; c < 3; c++) after[c] += o.frames[6 * k + c] / 50.0;
  double v[3] = {before[0], before[1], before[2]};
  for (size_t k = 9750; k < 9950; k++) {
    const float *w = o.frames + 6 * k + 3;
    double dt = 1.0 / o.info.sample_rate_hz;
    double wx = w[0] * dt, wy = w[1] * dt, wz = w[2] * dt;
    double cx = wy * v[2] - wz * v[1], cy = wz * v[0] - wx * v[2], cz = wx * v[1] - wy * v[0];
    v[0] -= cx;
    v[1] -= cy;
    v[2] -= cz;
  }
  double turn = acos((before[0] * after[0] + before[1] * after[1] + before[2] * after[2]) /
                     sqrt(before[0] * before[0] + before[1] * before[1] + before[2] * before[2]) /
                     sqrt(after[0] * after[0] + after[1] * after[1] + after[2] * after[2])) / DEG2RAD;
  double residual = acos((v[0] * after[0] + v[1] * after[1] + v[2] * after[2]) /
                         sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) /
                         sqrt(after[0] * after[0] + after[1] * after[1] + after[2] * after[2])) / DEG2RAD;
  cr_assert_float_eq(turn, 90.0, 5.0, "turn %g deg", turn);
  cr_assert_lt(residual, 5.0, "gyro-predicted gravity is %g deg off", residual);
  free(o.frames);
}
