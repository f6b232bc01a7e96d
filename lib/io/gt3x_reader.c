/* ActiGraph .gt3x (GT3X+, wGT3X+, wGT3X-BT, ActiSleep, GT9X): a zip archive
 * with info.txt ("Key: Value" lines: Sample Rate, Acceleration Scale, Start
 * Date in .NET ticks, Serial Number, ...) and log.bin, a sequence of records
 *   0x1E, type, uint32 LE timestamp (s since 1970, device local clock),
 *   uint16 LE payload size, payload, checksum
 * where the checksum is the one's complement of the XOR of the header and
 * payload bytes. ACTIVITY (0x00) records hold one second of samples, 12-bit
 * two's complement packed most significant bit first in y, x, z order;
 * ACTIVITY2 (0x1A) holds int16 LE x, y, z. g = value / Acceleration Scale.
 *
 * Spec: https://github.com/actigraph/GT3X-File-Format (README.md,
 * info.txt.md, LogRecords/Activity.md, LogRecords/Activity2.md). The older
 * NHANES layout (activity.bin, no log.bin) is not supported.
 *
 * Idle sleep: while the device is still it writes no ACTIVITY records, so
 * seconds are missing. They are filled per the gap_fill option (default: the
 * last sample, which is what ActiLife and GGIR do, since the device only
 * sleeps when it is still) and always reported as gap notices and in
 * gap_count / gap_total_s (the missing seconds). Gaps no longer than
 * max_gap_s are interpolated silently, as the regridder does.
 *
 * log.bin is read through libzip in a fixed 128 KiB window: memory does not
 * grow with the recording. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "reader_priv.h"

#define REC_SEPARATOR 0x1E
#define REC_ACTIVITY 0x00
#define REC_ACTIVITY2 0x1A
#define REC_HEADER_BYTES 8
#define LOG_BUF_BYTES (1u << 17) /* > the largest record, 8 + 65535 + 1 bytes, plus one */
#define INFO_MAX_BYTES (1u << 16)
#define NET_TICKS_AT_UNIX_EPOCH 621355968000000000LL /* 1970-01-01 in .NET ticks (100 ns) */
#define MAX_GAP_S (366LL * 86400) /* a longer jump is a broken clock, not idle sleep */
#define MIN_SCALE 16.0            /* plausible Acceleration Scale, LSB per g */
#define MAX_SCALE 65536.0

typedef enum fill_kind { FILL_NAN, FILL_LAST, FILL_ZERO, FILL_INTERP } fill_kind;

typedef struct gt3x_info {
  char serial[32], device_type[32], firmware[32], time_zone[16], limb[24];
  double rate_hz;
  double scale;
  double acc_min_g, acc_max_g;
  int have_rate, have_scale, have_min, have_max;
  long long start_ticks;
} gt3x_info;

typedef struct gt3x_record {
  int type;
  uint32_t time_s;
  unsigned size;
  const unsigned char *payload; /* valid until the next read from log.bin */
  uint64_t offset;              /* of the separator in log.bin */
} gt3x_record;

typedef struct gt3x_state {
  zip_t *za;
  zip_file_t *zf;
  unsigned char *buf;
  size_t pos, len;
  int zip_eof;
  uint64_t offset;   /* log.bin offset of buf[pos] */
  int resyncing;     /* skipping from a bad record to the next separator */

  int rate;          /* samples per ACTIVITY record */
  double scale;      /* LSB per g */
  double clip_g;     /* |value| at or above this counts as clipped (ACTIVITY2) */
  int fill_mode;     /* klonos_gap_fill, DEFAULT resolved */

  float *rec;        /* rate x 3 samples of the current record, m/s^2 */
  int rec_n, rec_i;
  uint32_t prev_t;   /* timestamp of the last ACTIVITY record used */
  int have_prev;
  float last[3];

  fill_kind fill;
  int64_t fill_left, fill_total;
  float fill_from[3], fill_to[3];

  int64_t frames_sched; /* frames of records and fills decided so far */
  int64_t bad_since_activity; /* samples possibly lost to bad records since the last ACTIVITY */
  int done;
} gt3x_state;

/* ----------------------------------------------------------- info.txt -- */

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* A decimal number; '.' or ',' as the separator (info.txt is written with the
 * PC's locale: "Battery Voltage: 4,03"). Our own parser: strtod follows the
 * process locale. Returns 1 when the whole text is a number. */
static int parse_decimal(const char *s, size_t n, double *out) {
  size_t i = 0;
  int neg = 0, digits = 0, point = 0, exp10 = 0;
  uint64_t mant = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  for (; i < n; i++) {
    if (is_digit((unsigned char)s[i])) {
      digits++;
      if (mant < UINT64_C(100000000000000000)) {
        mant = mant * 10 + (uint64_t)(s[i] - '0');
        if (point) exp10--;
      } else if (!point) {
        exp10++;
      }
    } else if ((s[i] == '.' || s[i] == ',') && !point) {
      point = 1;
    } else {
      return 0;
    }
  }
  if (!digits) return 0;
  double v = (double)mant;
  if (exp10 < 0) v /= pow(10.0, -exp10);
  else if (exp10 > 0) v *= pow(10.0, exp10);
  *out = neg ? -v : v;
  return 1;
}

static int parse_ticks(const char *s, size_t n, long long *out) {
  long long v = 0;
  if (n == 0 || n > 18) return 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit((unsigned char)s[i])) return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n) {
  if (n >= cap) n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = '\0';
}

static int key_is(const char *k, size_t n, const char *name) {
  return n == strlen(name) && memcmp(k, name, n) == 0;
}

static void info_pair(gt3x_info *in, const char *k, size_t kn, const char *v, size_t vn) {
  if (key_is(k, kn, "Serial Number")) copy_value(in->serial, sizeof in->serial, v, vn);
  else if (key_is(k, kn, "Device Type")) copy_value(in->device_type, sizeof in->device_type, v, vn);
  else if (key_is(k, kn, "Firmware")) copy_value(in->firmware, sizeof in->firmware, v, vn);
  else if (key_is(k, kn, "TimeZone")) {
    /* "02:00:00" or "-05:00:00": the seconds are always zero. */
    if (vn > 3 && memcmp(v + vn - 3, ":00", 3) == 0 && memchr(v, ':', vn - 3)) vn -= 3;
    copy_value(in->time_zone, sizeof in->time_zone, v, vn);
  }
  else if (key_is(k, kn, "Limb")) copy_value(in->limb, sizeof in->limb, v, vn);
  else if (key_is(k, kn, "Sample Rate")) in->have_rate = parse_decimal(v, vn, &in->rate_hz) ? 1 : -1;
  else if (key_is(k, kn, "Acceleration Scale")) in->have_scale = parse_decimal(v, vn, &in->scale) ? 1 : -1;
  else if (key_is(k, kn, "Acceleration Min")) in->have_min = parse_decimal(v, vn, &in->acc_min_g);
  else if (key_is(k, kn, "Acceleration Max")) in->have_max = parse_decimal(v, vn, &in->acc_max_g);
  else if (key_is(k, kn, "Start Date")) parse_ticks(v, vn, &in->start_ticks);
}

static void parse_info_text(gt3x_info *in, const char *text, size_t n) {
  size_t i = 0;
  if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
  while (i < n) {
    size_t e = i;
    while (e < n && text[e] != '\n') e++;
    size_t le = e;
    while (le > i && (text[le - 1] == '\r' || text[le - 1] == ' ' || text[le - 1] == '\t')) le--;
    const char *colon = memchr(text + i, ':', le - i);
    if (colon) {
      size_t kn = (size_t)(colon - (text + i));
      while (kn > 0 && text[i + kn - 1] == ' ') kn--;
      const char *v = colon + 1;
      while (v < text + le && (*v == ' ' || *v == '\t')) v++;
      info_pair(in, text + i, kn, v, (size_t)(text + le - v));
    }
    i = e + 1;
  }
}

static int zip_fail(klonos_reader *r, int code, const char *what, zip_error_t *ze) {
  return kl_reader_fail(r, code, "%s: %s", what, zip_error_strerror(ze));
}

static int read_info(klonos_reader *r, gt3x_state *s, gt3x_info *in) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(s->za, "info.txt", ZIP_FL_NOCASE | ZIP_FL_NODIR, &st) != 0)
    return kl_reader_fail(r, KLONOS_E_CORRUPT, "the archive has no info.txt (needed for the sample rate and scale)");
  zip_file_t *f = zip_fopen(s->za, "info.txt", ZIP_FL_NOCASE | ZIP_FL_NODIR);
  if (!f) return zip_fail(r, KLONOS_E_CORRUPT, "info.txt", zip_get_error(s->za));
  char *text = malloc(INFO_MAX_BYTES);
  if (!text) {
    zip_fclose(f);
    return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  }
  size_t n = 0;
  int rc = KLONOS_OK;
  for (;;) {
    zip_int64_t got = zip_fread(f, text + n, INFO_MAX_BYTES - n);
    if (got < 0) {
      rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "info.txt: %s", zip_file_strerror(f));
      break;
    }
    if (got == 0) break;
    n += (size_t)got;
    if (n == INFO_MAX_BYTES) {
      rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "info.txt is larger than %u bytes (the real ones hold ~500)", INFO_MAX_BYTES);
      break;
    }
  }
  zip_fclose(f);
  if (rc == KLONOS_OK) parse_info_text(in, text, n);
  free(text);
  return rc;
}

/* Sample rate and scale: every sample's value depends on them, so a missing
 * or implausible one is an error, never a guess (except the documented
 * default scale per serial prefix). */
static int check_info(klonos_reader *r, gt3x_state *s, gt3x_info *in) {
  if (in->have_rate <= 0)
    return kl_reader_fail(r, KLONOS_E_RATE, "info.txt: %s 'Sample Rate'", in->have_rate < 0 ? "unreadable" : "no");
  if (kl_reader_check_rate(r, in->rate_hz, "info.txt 'Sample Rate'")) return r->status;
  /* An ACTIVITY record holds rate x 36 bits in a payload of at most 65535 bytes. */
  if (in->rate_hz != floor(in->rate_hz) || in->rate_hz > 65535.0 * 8 / 36)
    return kl_reader_fail(r, KLONOS_E_RATE, "info.txt: 'Sample Rate' %g Hz is not a whole number of samples per one-second record",
                          in->rate_hz);
  s->rate = (int)in->rate_hz;
  if (in->have_scale < 0)
    return kl_reader_fail(r, KLONOS_E_CORRUPT, "info.txt: unreadable 'Acceleration Scale'");
  if (in->have_scale == 0) {
    /* Spec (Activity2.md): NEO and CLE serials use 341 LSB/g, MOS 256. */
    in->scale = strncmp(in->serial, "NEO", 3) == 0 || strncmp(in->serial, "CLE", 3) == 0 ? 341.0 : 256.0;
  }
  if (!isfinite(in->scale) || in->scale < MIN_SCALE || in->scale > MAX_SCALE)
    return kl_reader_fail(r, KLONOS_E_CORRUPT, "info.txt: 'Acceleration Scale' %g LSB/g is not plausible (expected %g..%g; 256 or 341)",
                          in->scale, MIN_SCALE, MAX_SCALE);
  s->scale = in->scale;
  return KLONOS_OK;
}

/* ------------------------------------------------------------ log.bin -- */

/* Make at least @p need bytes available from buf[pos] (fewer at the end of
 * log.bin). */
static int fill(klonos_reader *r, gt3x_state *s, size_t need) {
  if (s->len - s->pos >= need || s->zip_eof) return KLONOS_OK;
  memmove(s->buf, s->buf + s->pos, s->len - s->pos);
  s->len -= s->pos;
  s->pos = 0;
  while (s->len < need && !s->zip_eof) {
    zip_int64_t got = zip_fread(s->zf, s->buf + s->len, LOG_BUF_BYTES - s->len);
    if (got < 0 && zip_error_code_zip(zip_file_get_error(s->zf)) == ZIP_ER_CRC) {
      /* libzip checks the CRC once the member has been read to its end: all
       * bytes were delivered, and each record carries its own checksum, so
       * the damaged records were already skipped one by one. */
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, s->frames_sched, 0.0,
                       "log.bin: the zip CRC does not match (the member is damaged; records failing their checksum were skipped)");
      got = 0;
    }
    if (got < 0)
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "log.bin near offset %llu: %s",
                            (unsigned long long)(s->offset + s->len), zip_file_strerror(s->zf));
    if (got == 0) s->zip_eof = 1;
    s->len += (size_t)got;
  }
  return KLONOS_OK;
}

static size_t avail(const gt3x_state *s) { return s->len - s->pos; }

static void consume(gt3x_state *s, size_t n) {
  s->pos += n;
  s->offset += n;
}

static void time_text(uint32_t t, char *buf, size_t len) { kl_format_iso_time((double)t, buf, len); }

static void bad_block(klonos_reader *r, gt3x_state *s, const char *fmt_text, uint64_t offset, const char *detail) {
  r->stats.bad_blocks++;
  kl_reader_notice(r, KLONOS_NOTICE_BAD_BLOCK, s->frames_sched, 0.0, "log.bin offset %llu: %s%s",
                   (unsigned long long)offset, fmt_text, detail);
}

/* Skip bytes up to the next separator. Zero bytes between records are
 * allowed by the spec; anything else is reported once per run. */
static int skip_to_separator(klonos_reader *r, gt3x_state *s) {
  uint64_t start = s->offset;
  int junk = 0;
  for (;;) {
    if (avail(s) == 0) {
      int rc = fill(r, s, 1);
      if (rc) return rc;
      if (avail(s) == 0) break;
    }
    unsigned char b = s->buf[s->pos];
    if (b == REC_SEPARATOR) break;
    if (b != 0) junk = 1;
    consume(s, 1);
  }
  if (junk && !s->resyncing) {
    char detail[64];
    snprintf(detail, sizeof detail, " (%llu bytes)", (unsigned long long)(s->offset - start));
    bad_block(r, s, "bytes that are not a record skipped", start, detail);
    s->bad_since_activity++; /* they may have been samples */
  }
  s->resyncing = 0;
  return KLONOS_OK;
}

/* Next record with a valid checksum: 1 = *rec filled, 0 = end of log.bin. */
static int next_record(klonos_reader *r, gt3x_state *s, gt3x_record *rec) {
  for (;;) {
    int rc = fill(r, s, 1);
    if (rc) return rc;
    if (avail(s) == 0) return 0;
    if (s->buf[s->pos] != REC_SEPARATOR) {
      rc = skip_to_separator(r, s);
      if (rc) return rc;
      continue;
    }
    rc = fill(r, s, REC_HEADER_BYTES);
    if (rc) return rc;
    const unsigned char *h = s->buf + s->pos;
    if (avail(s) < REC_HEADER_BYTES) {
      bad_block(r, s, "log.bin ends inside a record header (truncated)", s->offset, "");
      consume(s, avail(s));
      return 0;
    }
    unsigned size = (unsigned)h[6] | (unsigned)h[7] << 8;
    size_t total = REC_HEADER_BYTES + (size_t)size + 1;
    rc = fill(r, s, total + 1);
    if (rc) return rc;
    h = s->buf + s->pos;
    uint32_t t = (uint32_t)h[2] | (uint32_t)h[3] << 8 | (uint32_t)h[4] << 16 | (uint32_t)h[5] << 24;
    char detail[96], when[40];
    time_text(t, when, sizeof when);
    if (avail(s) < total) {
      snprintf(detail, sizeof detail, " (type 0x%02X at %s: %zu of %zu bytes)", h[1], when, avail(s), total);
      bad_block(r, s, "log.bin ends inside a record (truncated)", s->offset, detail);
      consume(s, avail(s));
      return 0;
    }
    unsigned char x = 0;
    for (size_t i = 0; i < total - 1; i++) x ^= h[i];
    if ((unsigned char)~x != h[total - 1]) {
      snprintf(detail, sizeof detail, " (type 0x%02X, %u-byte payload, at %s); record skipped", h[1], size, when);
      bad_block(r, s, "checksum mismatch", s->offset, detail);
      if (h[1] == REC_ACTIVITY || h[1] == REC_ACTIVITY2) s->bad_since_activity++;
      /* Trust the size only when a record follows it; else the size byte
       * itself may be the damage: resynchronise on the next separator. */
      if (avail(s) == total || h[total] == REC_SEPARATOR) {
        consume(s, total);
      } else {
        consume(s, 1);
        s->resyncing = 1;
      }
      continue;
    }
    rec->type = h[1];
    rec->time_s = t;
    rec->size = size;
    rec->payload = h + REC_HEADER_BYTES;
    rec->offset = s->offset;
    consume(s, total);
    return 1;
  }
}

/* ACTIVITY: 36 bits per sample, y x z, 12-bit two's complement, MSB first. */
static void decode_activity(gt3x_state *s, const unsigned char *p, int64_t clipped[3]) {
  static const int axis_of[3] = {1, 0, 2}; /* y, x, z in the file */
  const double to_mps2 = KLONOS_STANDARD_GRAVITY_MPS2 / s->scale;
  for (int i = 0; i < s->rate; i++) {
    for (int a = 0; a < 3; a++) {
      size_t bit = (size_t)i * 36 + (size_t)a * 12;
      const unsigned char *b = p + bit / 8;
      int raw = bit % 8 == 0 ? (b[0] << 4 | b[1] >> 4) : ((b[0] & 0x0F) << 8 | b[1]);
      if (raw >= 2048) raw -= 4096;
      if (raw == 2047 || raw == -2048) clipped[axis_of[a]]++;
      s->rec[i * 3 + axis_of[a]] = (float)(raw * to_mps2);
    }
  }
}

/* ACTIVITY2: int16 little-endian x, y, z. */
static void decode_activity2(gt3x_state *s, const unsigned char *p, int64_t clipped[3]) {
  const double to_mps2 = KLONOS_STANDARD_GRAVITY_MPS2 / s->scale;
  for (int i = 0; i < s->rate; i++)
    for (int a = 0; a < 3; a++) {
      const unsigned char *b = p + (size_t)(i * 3 + a) * 2;
      int raw = (int16_t)(uint16_t)(b[0] | b[1] << 8);
      if (fabs(raw / s->scale) >= s->clip_g) clipped[a]++;
      s->rec[i * 3 + a] = (float)(raw * to_mps2);
    }
}

/* Decide how the seconds between the previous record and @p t are filled. */
static int plan_gap(klonos_reader *r, gt3x_state *s, uint32_t t) {
  int64_t missing_s = (int64_t)t - (int64_t)s->prev_t - 1;
  if (missing_s <= 0) return KLONOS_OK;
  char when[40];
  time_text(s->prev_t + 1, when, sizeof when);
  if (missing_s > MAX_GAP_S)
    return kl_reader_fail(r, KLONOS_E_TIME, "log.bin: the clock jumps %lld s forward at %s (more than a year)",
                          (long long)missing_s, when);
  s->fill_total = s->fill_left = missing_s * s->rate;
  memcpy(s->fill_from, s->last, sizeof s->last);
  memcpy(s->fill_to, s->rec, sizeof s->fill_to);
  /* The step between the samples either side, as the regridder measures it. */
  double step_s = (double)missing_s + 1.0 / s->rate;
  if (step_s <= r->opt.max_gap_s) {
    s->fill = FILL_INTERP;
  } else {
    static const char *const how[] = {"NaN", "the last value", "zero"};
    s->fill = s->fill_mode == KLONOS_GAP_FILL_NAN ? FILL_NAN : s->fill_mode == KLONOS_GAP_FILL_ZERO ? FILL_ZERO : FILL_LAST;
    r->stats.gap_count++;
    r->stats.gap_total_s += (double)missing_s;
    if (s->fill == FILL_NAN) r->stats.nan_frames += s->fill_total;
    kl_reader_notice(r, KLONOS_NOTICE_GAP, s->frames_sched, (double)missing_s,
                     "log.bin: no samples for %lld s from %s (%s); %lld frames filled with %s", (long long)missing_s,
                     when, s->bad_since_activity ? "bad records skipped" : "idle sleep", (long long)s->fill_total,
                     how[s->fill]);
  }
  s->frames_sched += s->fill_total;
  return KLONOS_OK;
}

/* Load the next ACTIVITY record with samples into s->rec: 1, or 0 at the end. */
static int next_activity(klonos_reader *r, gt3x_state *s) {
  gt3x_record rec = {0, 0, 0, NULL, 0};
  for (;;) {
    int rc = next_record(r, s, &rec);
    if (rc <= 0) return rc;
    if (rec.type != REC_ACTIVITY && rec.type != REC_ACTIVITY2) continue;
    size_t expected = rec.type == REC_ACTIVITY ? ((size_t)s->rate * 36 + 7) / 8 : (size_t)s->rate * 6;
    char when[40];
    time_text(rec.time_s, when, sizeof when);
    if (rec.size != expected) {
      /* Spec: a 1-byte ACTIVITY payload marks a USB connection, not samples. */
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, s->frames_sched, 0.0,
                       "log.bin offset %llu: ACTIVITY%s record at %s with a %u-byte payload (%zu for %d Hz) is not sample data%s; skipped",
                       (unsigned long long)rec.offset, rec.type == REC_ACTIVITY2 ? "2" : "", when, rec.size, expected,
                       s->rate, rec.size == 1 ? " (USB connection marker)" : "");
      continue;
    }
    if (s->have_prev && rec.time_s <= s->prev_t) {
      char prev[40], detail[160];
      time_text(s->prev_t, prev, sizeof prev);
      snprintf(detail, sizeof detail, " (at %s, not after the previous one at %s); record skipped", when, prev);
      bad_block(r, s, "ACTIVITY record out of time order", rec.offset, detail);
      continue;
    }
    int64_t clipped[3] = {0, 0, 0};
    if (rec.type == REC_ACTIVITY) decode_activity(s, rec.payload, clipped);
    else decode_activity2(s, rec.payload, clipped);
    for (int c = 0; c < 3; c++) r->stats.clipped[c] += clipped[c];
    if (s->have_prev) {
      rc = plan_gap(r, s, rec.time_s);
      if (rc) return rc;
    }
    s->prev_t = rec.time_s;
    s->have_prev = 1;
    s->bad_since_activity = 0;
    s->rec_n = s->rate;
    s->rec_i = 0;
    s->frames_sched += s->rate;
    return 1;
  }
}

/* -------------------------------------------------------------- ops --- */

static int gt3x_probe(const char *path, const unsigned char *h, size_t n) {
  int ext = kl_path_has_ext(path, "gt3x");
  if (n >= 30 && memcmp(h, "PK\x03\x04", 4) == 0) {
    size_t name_len = (size_t)h[26] | (size_t)h[27] << 8;
    if (30 + name_len <= n && ((name_len == 7 && memcmp(h + 30, "log.bin", 7) == 0) ||
                               (name_len == 8 && memcmp(h + 30, "info.txt", 8) == 0)))
      return 100;
    return ext ? 90 : 0;
  }
  return ext ? 40 : 0; /* opened anyway, so the error says what is wrong */
}

static void gt3x_close(klonos_reader *r) {
  gt3x_state *s = r->state;
  if (!s) return;
  if (s->zf) zip_fclose(s->zf);
  if (s->za) zip_discard(s->za); /* read-only: nothing to write back */
  free(s->buf);
  free(s->rec);
  free(s);
  r->state = NULL;
}

static int open_archive(klonos_reader *r, gt3x_state *s) {
  int zerr = 0;
  s->za = zip_open(r->path, ZIP_RDONLY, &zerr);
  if (s->za) return KLONOS_OK;
  zip_error_t ze;
  zip_error_init_with_code(&ze, zerr);
  int code = KLONOS_E_CORRUPT;
  const char *what = "not a readable zip archive (a .gt3x file is a zip with info.txt and log.bin; truncated?)";
  if (zerr == ZIP_ER_MEMORY) code = KLONOS_E_NOMEM, what = "zip";
  else if (zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ || zerr == ZIP_ER_SEEK) code = KLONOS_E_IO, what = "zip";
  int rc = zip_fail(r, code, what, &ze);
  zip_error_fini(&ze);
  return rc;
}

static void describe(klonos_reader *r, const gt3x_info *in) {
  klonos_recording_info *ri = &r->info;
  int n = snprintf(ri->device, sizeof ri->device, "ActiGraph %s", in->device_type[0] ? in->device_type : "(type unknown)");
  if (in->serial[0] && n > 0 && (size_t)n < sizeof ri->device)
    n += snprintf(ri->device + n, sizeof ri->device - (size_t)n, " serial %s", in->serial);
  if (in->firmware[0] && n > 0 && (size_t)n < sizeof ri->device)
    n += snprintf(ri->device + n, sizeof ri->device - (size_t)n, ", firmware %s", in->firmware);
  if (in->limb[0] && n > 0 && (size_t)n < sizeof ri->device)
    snprintf(ri->device + n, sizeof ri->device - (size_t)n, ", worn at %s", in->limb);
  if (in->time_zone[0])
    snprintf(ri->format_detail, sizeof ri->format_detail, "GT3X log.bin, %g LSB/g, clock UTC%s%s", in->scale,
             in->time_zone[0] == '-' ? "" : "+", in->time_zone);
  else
    snprintf(ri->format_detail, sizeof ri->format_detail, "GT3X log.bin, %g LSB/g", in->scale);
}

static int gt3x_open(klonos_reader *r) {
  gt3x_state *s = calloc(1, sizeof *s);
  if (!s) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  r->state = s;
  int rc = open_archive(r, s);
  if (rc) return rc;
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(s->za, "log.bin", ZIP_FL_NOCASE | ZIP_FL_NODIR, &st) != 0) {
    if (zip_name_locate(s->za, "activity.bin", ZIP_FL_NOCASE | ZIP_FL_NODIR) >= 0)
      return kl_reader_fail(r, KLONOS_E_FORMAT,
                            "the archive has activity.bin but no log.bin: the older NHANES GT3X layout is not supported");
    return kl_reader_fail(r, KLONOS_E_FORMAT, "the zip archive has no log.bin (not an ActiGraph .gt3x file)");
  }
  gt3x_info info;
  memset(&info, 0, sizeof info);
  rc = read_info(r, s, &info);
  if (rc) return rc;
  rc = check_info(r, s, &info);
  if (rc) return rc;

  klonos_recording_info *in = &r->info;
  in->nominal_rate_hz = s->rate;
  in->sample_rate_hz = s->rate;
  if (r->opt.rate_hz != 0.0 && fabs(r->opt.rate_hz - in->sample_rate_hz) > 1e-9)
    return kl_reader_fail(r, KLONOS_E_RATE,
                          "the file's sample rate is %d Hz; resampling on read is not supported for this format (leave rate unset)",
                          s->rate);
  in->channel_count = 3;
  in->source_channel_count = 3;
  in->source_roles[0] = KLONOS_ROLE_ACC_X;
  in->source_roles[1] = KLONOS_ROLE_ACC_Y;
  in->source_roles[2] = KLONOS_ROLE_ACC_Z;
  in->source_units = KLONOS_UNITS_G;
  double fs = 2048.0 / s->scale;
  if (info.have_min == 1 && info.have_max == 1 && fabs(info.acc_max_g) > 0)
    fs = fmax(fabs(info.acc_min_g), fabs(info.acc_max_g));
  in->full_scale_g = fs;
  s->clip_g = 0.999 * fmin(fs, 32767.0 / s->scale);
  in->frame_count = -1; /* idle-sleep gaps are only known at the end */
  in->timestamped = 1;
  r->counts_clipping = 1;
  describe(r, &info);
  s->fill_mode = r->opt.gap_fill == KLONOS_GAP_FILL_DEFAULT ? KLONOS_GAP_FILL_LAST : r->opt.gap_fill;

  s->buf = malloc(LOG_BUF_BYTES);
  s->rec = malloc(sizeof(float) * 3 * (size_t)s->rate);
  if (!s->buf || !s->rec) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  s->zf = zip_fopen(s->za, "log.bin", ZIP_FL_NOCASE | ZIP_FL_NODIR);
  if (!s->zf) return zip_fail(r, KLONOS_E_CORRUPT, "log.bin", zip_get_error(s->za));

  rc = next_activity(r, s);
  if (rc < 0) return rc;
  if (rc == 0) return kl_reader_fail(r, KLONOS_E_EMPTY, "log.bin holds no ACTIVITY record with samples");
  in->has_start_time = 1;
  in->start_time_unix_s = s->prev_t;
  kl_format_iso_time(in->start_time_unix_s, in->start_time_iso, sizeof in->start_time_iso);
  if (info.start_ticks > NET_TICKS_AT_UNIX_EPOCH) {
    double configured = (double)(info.start_ticks - NET_TICKS_AT_UNIX_EPOCH) / 1e7;
    if (fabs(configured - in->start_time_unix_s) >= 1.0) {
      char when[40];
      kl_format_iso_time(configured, when, sizeof when);
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                       "info.txt: logging was set to start at %s; the first samples are at %s", when, in->start_time_iso);
    }
  }
  return KLONOS_OK;
}

static void fill_frame(const gt3x_state *s, float *f) {
  switch (s->fill) {
    case FILL_NAN: f[0] = f[1] = f[2] = NAN; break;
    case FILL_ZERO: f[0] = f[1] = f[2] = 0.0f; break;
    case FILL_LAST: memcpy(f, s->fill_from, sizeof s->fill_from); break;
    case FILL_INTERP: {
      double w = (double)(s->fill_total - s->fill_left + 1) / (double)(s->fill_total + 1);
      for (int c = 0; c < 3; c++) f[c] = (float)((1.0 - w) * s->fill_from[c] + w * s->fill_to[c]);
      break;
    }
  }
}

static int gt3x_read(klonos_reader *r, float *out, size_t max, size_t *got) {
  gt3x_state *s = r->state;
  size_t n = 0;
  while (n < max) {
    if (s->fill_left > 0) {
      fill_frame(s, out + 3 * n);
      s->fill_left--;
      n++;
    } else if (s->rec_i < s->rec_n) {
      size_t k = (size_t)(s->rec_n - s->rec_i);
      if (k > max - n) k = max - n;
      memcpy(out + 3 * n, s->rec + 3 * s->rec_i, sizeof(float) * 3 * k);
      s->rec_i += (int)k;
      n += k;
      if (s->rec_i == s->rec_n) memcpy(s->last, s->rec + 3 * (s->rec_n - 1), sizeof s->last);
    } else if (s->done) {
      break;
    } else {
      int rc = next_activity(r, s);
      if (rc < 0) return rc;
      if (rc == 0) s->done = 1;
    }
  }
  *got = n;
  return KLONOS_OK;
}

const klonos_reader_ops kl_gt3x_ops = {"gt3x", KLONOS_FORMAT_GT3X, gt3x_probe, gt3x_open, gt3x_read, gt3x_close};
