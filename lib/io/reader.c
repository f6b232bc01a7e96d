/* The reader handle: format detection, the sticky error model, and the
 * bookkeeping (frame and clipping counters, notices) shared by every format. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "reader_priv.h"
#include "util/simd.h"

static const klonos_reader_ops *const formats[] = {&kl_cwa_ops, &kl_sndfile_ops, &kl_csv_ops,
                                                   &kl_geneactiv_ops, &kl_gt3x_ops, &kl_edf_ops};
#define N_FORMATS (sizeof formats / sizeof formats[0])

void klonos_reader_options_default(klonos_reader_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->format = KLONOS_FORMAT_AUTO;
  o->units = KLONOS_UNITS_AUTO;
  o->gyro_units = KLONOS_UNITS_AUTO;
  o->max_gap_s = 1.0;
}

int kl_reader_fail(klonos_reader *r, int code, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(r->error, sizeof r->error, "%s: %s", r->path ? r->path : "(no path)", msg);
  r->status = code;
  return code;
}

void kl_reader_notice(klonos_reader *r, int kind, int64_t frame, double duration_s,
                      const char *fmt, ...) {
  if (r->stats.notice_count < KL_NOTICES_KEPT) {
    klonos_notice *n = &r->notices[r->stats.notice_count];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->frame = frame;
    n->time_s = r->info.sample_rate_hz > 0 ? (double)frame / r->info.sample_rate_hz : 0.0;
    n->duration_s = duration_s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->message, sizeof n->message, fmt, ap);
    va_end(ap);
  }
  r->stats.notice_count++;
}

int kl_reader_check_rate(klonos_reader *r, double rate_hz, const char *what) {
  if (!isfinite(rate_hz) || rate_hz <= 0.0)
    return kl_reader_fail(r, KLONOS_E_RATE, "%s: sample rate %g Hz is not a positive number", what, rate_hz);
  if (rate_hz > 100000.0)
    return kl_reader_fail(r, KLONOS_E_RATE, "%s: sample rate %g Hz is absurd for body-worn sensors (limit 100 kHz)",
                          what, rate_hz);
  return KLONOS_OK;
}

double kl_unix_time(int year, int month, int day, int hour, int minute, double second) {
  /* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
  int y = year - (month <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (unsigned)((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1);
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  double days = (double)era * 146097.0 + (double)doe - 719468.0;
  return days * 86400.0 + hour * 3600.0 + minute * 60.0 + second;
}

void kl_format_iso_time(double unix_s, char *buf, size_t len) {
  double whole = floor(unix_s);
  int ms = (int)lround((unix_s - whole) * 1000.0);
  if (ms == 1000) { whole += 1.0; ms = 0; }
  time_t t = (time_t)whole;
  struct tm tmv;
  if (!gmtime_r(&t, &tmv)) { snprintf(buf, len, "invalid"); return; }
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tmv.tm_year + 1900, tmv.tm_mon + 1,
           tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec, ms);
}

int kl_path_has_ext(const char *path, const char *ext) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) return 0;
  return strcasecmp(dot + 1, ext) == 0;
}

static int check_options(klonos_reader *r, const klonos_reader_options *o) {
  if (o->format < KLONOS_FORMAT_AUTO || o->format > KLONOS_FORMAT_EDF)
    return kl_reader_fail(r, KLONOS_E_INVAL, "unknown format code %d", (int)o->format);
  if (o->units != KLONOS_UNITS_AUTO && o->units != KLONOS_UNITS_G && o->units != KLONOS_UNITS_MPS2 &&
      o->units != KLONOS_UNITS_MG)
    return kl_reader_fail(r, KLONOS_E_INVAL, "units code %d is not an acceleration unit", (int)o->units);
  if (o->gyro_units != KLONOS_UNITS_AUTO && o->gyro_units != KLONOS_UNITS_DPS &&
      o->gyro_units != KLONOS_UNITS_RADPS)
    return kl_reader_fail(r, KLONOS_E_INVAL, "gyro units code %d is not an angular-rate unit", (int)o->gyro_units);
  if (o->rate_hz != 0.0 && kl_reader_check_rate(r, o->rate_hz, "option rate_hz")) return r->status;
  if (!isfinite(o->full_scale_g) || o->full_scale_g < 0.0 || o->full_scale_g > 1000.0)
    return kl_reader_fail(r, KLONOS_E_INVAL, "full scale %g g is out of range (0 = default, up to 1000)", o->full_scale_g);
  if (!isfinite(o->max_gap_s) || o->max_gap_s <= 0.0)
    return kl_reader_fail(r, KLONOS_E_INVAL, "max_gap_s %g must be a positive number of seconds", o->max_gap_s);
  if (o->gap_fill < KLONOS_GAP_FILL_DEFAULT || o->gap_fill > KLONOS_GAP_FILL_ZERO)
    return kl_reader_fail(r, KLONOS_E_INVAL, "gap_fill code %d is not a klonos_gap_fill", (int)o->gap_fill);
  if (memchr(o->columns, '\0', sizeof o->columns) == NULL)
    return kl_reader_fail(r, KLONOS_E_INVAL, "columns option is not NUL-terminated");
  for (size_t i = 0; i < sizeof o->reserved; i++)
    if (o->reserved[i]) return kl_reader_fail(r, KLONOS_E_INVAL, "reserved option bytes must be zero");
  return KLONOS_OK;
}

/* Pick the format: the user's choice, else the best probe score. */
static int choose_format(klonos_reader *r) {
  struct stat st;
  if (stat(r->path, &st) != 0)
    return kl_reader_fail(r, KLONOS_E_IO, "cannot open: %s", strerror(errno));
  if (S_ISDIR(st.st_mode)) return kl_reader_fail(r, KLONOS_E_IO, "is a directory, not a recording");
  FILE *f = fopen(r->path, "rb");
  if (!f) return kl_reader_fail(r, KLONOS_E_IO, "cannot open: %s", strerror(errno));
  unsigned char head[4096];
  size_t n = fread(head, 1, sizeof head, f);
  int read_error = ferror(f);
  int saved_errno = errno;
  fclose(f);
  if (read_error) return kl_reader_fail(r, KLONOS_E_IO, "cannot read: %s", strerror(saved_errno));
  if (n == 0) return kl_reader_fail(r, KLONOS_E_EMPTY, "file is empty (0 bytes)");

  if (r->opt.format != KLONOS_FORMAT_AUTO) {
    for (size_t i = 0; i < N_FORMATS; i++)
      if (formats[i]->format == r->opt.format ||
          (r->opt.format == KLONOS_FORMAT_OMCONVERT && formats[i]->format == KLONOS_FORMAT_SNDFILE)) {
        r->ops = formats[i];
        return KLONOS_OK;
      }
    return kl_reader_fail(r, KLONOS_E_FORMAT, "format %d is not supported", (int)r->opt.format);
  }
  int best = 0;
  for (size_t i = 0; i < N_FORMATS; i++) {
    int score = formats[i]->probe(r->path, head, n);
    if (score > best) { best = score; r->ops = formats[i]; }
  }
  if (!r->ops)
    return kl_reader_fail(r, KLONOS_E_FORMAT,
                          "not a recognised recording format (expected WAV/FLAC/other libsndfile format, CSV/TSV, Axivity CWA, "
                          "GENEActiv .bin, ActiGraph .gt3x or EDF/BDF)");
  return KLONOS_OK;
}

int klonos_reader_open(klonos_reader **out, const char *path, const klonos_reader_options *options) {
  if (!out) return KLONOS_E_INVAL;
  *out = NULL;
  klonos_reader *r = calloc(1, sizeof *r);
  if (!r) return KLONOS_E_NOMEM;
  *out = r;
  if (!path) return kl_reader_fail(r, KLONOS_E_INVAL, "no path given");
  r->path = strdup(path);
  if (!r->path) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  if (options) r->opt = *options; else klonos_reader_options_default(&r->opt);
  if (check_options(r, &r->opt)) return r->status;
  r->info.frame_count = -1;
  if (choose_format(r)) return r->status;
  r->info.format = r->ops->format;
  int rc = r->ops->open(r);
  if (rc != KLONOS_OK) {
    if (r->status == KLONOS_OK) kl_reader_fail(r, rc, "%s", klonos_strerror(rc));
    return r->status;
  }
  if (r->info.channel_count != 3 && r->info.channel_count != 6)
    return kl_reader_fail(r, KLONOS_E_CHANNELS, "internal: reader produced %d channels", (int)r->info.channel_count);
  if (kl_reader_check_rate(r, r->info.sample_rate_hz, "recording")) return r->status;
  if (r->info.frame_count == 0) return kl_reader_fail(r, KLONOS_E_EMPTY, "recording holds no frames");
  return KLONOS_OK;
}

void klonos_reader_close(klonos_reader **reader) {
  if (!reader || !*reader) return;
  klonos_reader *r = *reader;
  if (r->ops && r->ops->close) r->ops->close(r);
  free(r->path);
  free(r);
  *reader = NULL;
}

int klonos_reader_info(const klonos_reader *r, klonos_recording_info *info) {
  if (!r || !info) return KLONOS_E_INVAL;
  if (!r->ops || r->info.channel_count == 0) return KLONOS_E_STATE;
  *info = r->info;
  return KLONOS_OK;
}

/* Count clipped acceleration samples and refuse infinities (a format reader
 * bug or a corrupt float file must never flow on as a number). */
/* Clipped samples of channel c < 3 in interleaved frames of nch (3 or more)
 * channels: |x| >= fs, compared in double as the scalar loop does (a float
 * converts to double exactly). */
static void count_clipped(const float *out, size_t got, int nch, double fs, int64_t clipped[3]) {
  int64_t c0 = 0, c1 = 0, c2 = 0;
  for (size_t i = 0; i < got; i++) {
    const float *f = out + i * (size_t)nch;
    c0 += fabsf(f[0]) >= fs;
    c1 += fabsf(f[1]) >= fs;
    c2 += fabsf(f[2]) >= fs;
  }
  clipped[0] += c0, clipped[1] += c1, clipped[2] += c2;
}

static int account_frames(klonos_reader *r, const float *out, size_t got) {
  const int nch = r->info.channel_count;
  const double fs = r->info.full_scale_g * KLONOS_STANDARD_GRAVITY_MPS2 * 0.999;
  const int count_clip = !r->counts_clipping && fs > 0.0;
  /* The usual case, no infinity: screen the block at once, count clipping
   * without branches. Otherwise the exact per-sample walk below reports the
   * first infinity (and counts what precedes it) as before. */
  if (!kl_any_inf(out, got * (size_t)nch) && nch >= 3) {
    if (count_clip) count_clipped(out, got, nch, fs, r->stats.clipped);
    r->stats.frames_read += (int64_t)got;
    return KLONOS_OK;
  }
  for (size_t i = 0; i < got; i++) {
    const float *f = out + i * (size_t)nch;
    for (int c = 0; c < nch; c++) {
      if (isinf(f[c]))
        return kl_reader_fail(r, KLONOS_E_VALUE, "frame %lld channel %d: infinite value",
                              (long long)(r->stats.frames_read + (int64_t)i), c + 1);
      if (count_clip && c < 3 && fabsf(f[c]) >= fs) r->stats.clipped[c]++;
    }
  }
  r->stats.frames_read += (int64_t)got;
  return KLONOS_OK;
}

int klonos_reader_read_f32(klonos_reader *r, float *frames, size_t max_frames, size_t *frames_read) {
  if (frames_read) *frames_read = 0;
  if (!r || !frames_read || (!frames && max_frames)) return KLONOS_E_INVAL;
  if (r->status != KLONOS_OK) return r->status;
  if (!r->ops) return KLONOS_E_STATE;
  if (r->at_end || max_frames == 0) return KLONOS_OK;
  size_t got = 0;
  int rc = r->ops->read(r, frames, max_frames, &got);
  if (rc != KLONOS_OK) {
    if (r->status == KLONOS_OK) kl_reader_fail(r, rc, "%s", klonos_strerror(rc));
    return r->status;
  }
  if (got > max_frames) return kl_reader_fail(r, KLONOS_E_STATE, "internal: reader overran buffer");
  if (account_frames(r, frames, got)) return r->status;
  if (got == 0) {
    r->at_end = 1;
    if (r->stats.frames_read == 0) return kl_reader_fail(r, KLONOS_E_EMPTY, "recording holds no frames");
  }
  *frames_read = got;
  return KLONOS_OK;
}

int klonos_reader_stats(const klonos_reader *r, klonos_read_stats *stats) {
  if (!r || !stats) return KLONOS_E_INVAL;
  *stats = r->stats;
  return KLONOS_OK;
}

int klonos_reader_notice(const klonos_reader *r, size_t index, klonos_notice *notice) {
  if (!r || !notice) return KLONOS_E_INVAL;
  int64_t kept = r->stats.notice_count < KL_NOTICES_KEPT ? r->stats.notice_count : KL_NOTICES_KEPT;
  if ((int64_t)index >= kept) return KLONOS_E_RANGE;
  *notice = r->notices[index];
  return KLONOS_OK;
}

const char *klonos_reader_error(const klonos_reader *r) { return r ? r->error : ""; }

const char *klonos_format_name(int format) {
  switch (format) {
    case KLONOS_FORMAT_AUTO: return "auto";
    case KLONOS_FORMAT_SNDFILE: return "sndfile";
    case KLONOS_FORMAT_OMCONVERT: return "omconvert-wav";
    case KLONOS_FORMAT_CSV: return "csv";
    case KLONOS_FORMAT_CWA: return "cwa";
    case KLONOS_FORMAT_GENEACTIV: return "geneactiv";
    case KLONOS_FORMAT_GT3X: return "gt3x";
    case KLONOS_FORMAT_EDF: return "edf";
    default: return "unknown";
  }
}

const char *klonos_role_name(int role) {
  static const char *const names[] = {"ignored", "acc_x", "acc_y", "acc_z", "gyro_x",
                                      "gyro_y", "gyro_z", "time", "aux"};
  if (role < 0 || role > KLONOS_ROLE_AUX) return "unknown";
  return names[role];
}

const char *klonos_units_name(int units) {
  switch (units) {
    case KLONOS_UNITS_AUTO: return "auto";
    case KLONOS_UNITS_G: return "g";
    case KLONOS_UNITS_MPS2: return "m/s^2";
    case KLONOS_UNITS_MG: return "mg";
    case KLONOS_UNITS_DPS: return "deg/s";
    case KLONOS_UNITS_RADPS: return "rad/s";
    default: return "unknown";
  }
}
