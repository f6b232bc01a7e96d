/* Atomic file creation and the recording writer (see writer.h).
 *
 * Determinism: the same frames give byte-identical files. libsndfile writes
 * a PEAK chunk holding time(NULL) into float WAV/AIFF/W64/RF64 files; it is
 * switched off (SFC_SET_ADD_PEAK_CHUNK) and, for RF64 where the command has
 * no effect, the timestamp field is zeroed after closing. libsndfile writes
 * no date or software string unless asked to. FLAC files carry libFLAC's
 * vendor string, which depends on the libFLAC version only. */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "klonos/reader.h"
#include "klonos/status.h"

#define G_MPS2 KLONOS_STANDARD_GRAVITY_MPS2
#define DEG_PER_RAD (180.0 / 3.14159265358979323846)
#define CSV_BUF 65536
#define CONVERT_FRAMES 4096

/* ---- atomic files ---- */

int kl_atomic_create(kl_atomic *a, const char *path, char *err, size_t len) {
  memset(a, 0, sizeof *a);
  a->fd = -1;
  a->path = strdup(path);
  const size_t n = strlen(path) + 16;
  a->tmp = malloc(n);
  if (!a->path || !a->tmp) {
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    snprintf(err, len, "out of memory");
    return KLONOS_E_NOMEM;
  }
  /* Our own unique name with O_EXCL rather than mkstemp(): mkstemp creates
   * mode 0600, and fixing that needs umask(), which is process-global. */
  static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)a;
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) == 0) x ^= (uint64_t)ts.tv_nsec * 0xBF58476D1CE4E5B9ULL ^ (uint64_t)ts.tv_sec;
  for (int attempt = 0; attempt < 100; attempt++) {
    char suffix[7];
    for (int i = 0; i < 6; i++) {
      x ^= x >> 29;
      x *= 0x94D049BB133111EBULL;
      x ^= x >> 32;
      suffix[i] = digits[x % 36];
    }
    suffix[6] = '\0';
    snprintf(a->tmp, n, "%s.tmp.%s", path, suffix);
    a->fd = open(a->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (a->fd >= 0) return KLONOS_OK;
    if (errno != EEXIST) break;
    x += (uint64_t)attempt + 1;
  }
  snprintf(err, len, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
  free(a->tmp);
  a->tmp = NULL; /* nothing to remove */
  kl_atomic_discard(a);
  return KLONOS_E_IO;
}

FILE *kl_atomic_stream(kl_atomic *a, char *err, size_t len) {
  if (a->stream) return a->stream;
  a->stream = fdopen(a->fd, "w");
  if (!a->stream) {
    snprintf(err, len, "%s: %s", a->path, strerror(errno));
    return NULL;
  }
  return a->stream;
}

int kl_atomic_finish(kl_atomic *a, char *err, size_t len) {
  int failed = 0, saved = 0;
  if (a->stream) {
    if (fflush(a->stream) != 0 || ferror(a->stream)) { failed = 1; saved = errno ? errno : EIO; }
  }
  if (!failed && a->fd >= 0 && fsync(a->fd) != 0 && errno != EINVAL) { failed = 1; saved = errno; }
  if (a->stream) {
    if (fclose(a->stream) != 0 && !failed) { failed = 1; saved = errno; }
    a->stream = NULL;
    a->fd = -1;
  } else if (a->fd >= 0) {
    if (close(a->fd) != 0 && !failed) { failed = 1; saved = errno; }
    a->fd = -1;
  }
  if (failed) {
    snprintf(err, len, "%s: write failed: %s", a->path, strerror(saved));
    return KLONOS_E_IO;
  }
  return KLONOS_OK;
}

int kl_atomic_publish(kl_atomic *a, char *err, size_t len) {
  if (!a->tmp) {
    snprintf(err, len, "%s: internal: nothing to publish", a->path ? a->path : "?");
    return KLONOS_E_IO;
  }
  if (rename(a->tmp, a->path) != 0) {
    snprintf(err, len, "%s: cannot rename the temporary file into place: %s", a->path, strerror(errno));
    return KLONOS_E_IO;
  }
  free(a->tmp);
  a->tmp = NULL;
  return KLONOS_OK;
}

void kl_atomic_discard(kl_atomic *a) {
  if (a->stream) fclose(a->stream);
  else if (a->fd >= 0) close(a->fd);
  a->stream = NULL;
  a->fd = -1;
  if (a->tmp) unlink(a->tmp);
  free(a->tmp);
  free(a->path);
  a->tmp = NULL;
  a->path = NULL;
}

/* ---- the recording writer ---- */

enum { KIND_SNDFILE = 1, KIND_CSV = 2 };

struct kl_writer {
  kl_atomic file;
  int kind;
  int major;       /* SF_FORMAT_* major type */
  int sample;      /* KL_WRITER_FLOAT / INT16 */
  int channels;
  double rate_hz;
  double full_scale_g;
  SNDFILE *sf;
  int64_t frames;
  int64_t clipped;
  char *buf;       /* CSV text or converted samples */
  size_t buf_used;
  char format_name[32];
};

static int ext_is(const char *path, const char *ext) {
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) return 0;
  return strcasecmp(dot + 1, ext) == 0;
}

int kl_writer_open(kl_writer **out, const char *path, int channels, double rate_hz, double full_scale_g,
                   int sample_format, char *err, size_t len) {
  *out = NULL;
  if (!path || !*path) {
    snprintf(err, len, "no output path given");
    return KLONOS_E_INVAL;
  }
  if (channels != 3 && channels != 6) {
    snprintf(err, len, "%s: %d channels: must be 3 or 6", path, channels);
    return KLONOS_E_CHANNELS;
  }
  int kind = KIND_SNDFILE, major = 0;
  const char *name = "";
  if (ext_is(path, "wav")) { major = SF_FORMAT_WAV; name = "WAV"; }
  else if (ext_is(path, "w64")) { major = SF_FORMAT_W64; name = "W64"; }
  else if (ext_is(path, "rf64")) { major = SF_FORMAT_RF64; name = "RF64"; }
  else if (ext_is(path, "aiff") || ext_is(path, "aif")) { major = SF_FORMAT_AIFF; name = "AIFF"; }
  else if (ext_is(path, "flac")) { major = SF_FORMAT_FLAC; name = "FLAC"; }
  else if (ext_is(path, "csv")) { kind = KIND_CSV; name = "CSV"; }
  else {
    const char *dot = strrchr(path, '.');
    snprintf(err, len, "%s: unknown extension '%s': use .wav, .flac, .w64, .rf64, .aiff or .csv", path,
             dot ? dot : "(none)");
    return KLONOS_E_FORMAT;
  }
  int sample = sample_format;
  if (sample != KL_WRITER_AUTO && sample != KL_WRITER_FLOAT && sample != KL_WRITER_INT16) {
    snprintf(err, len, "sample format %d is unknown (0 auto, 1 float, 2 int16)", sample);
    return KLONOS_E_INVAL;
  }
  if (kind == KIND_SNDFILE) {
    if (sample == KL_WRITER_AUTO) sample = major == SF_FORMAT_FLAC ? KL_WRITER_INT16 : KL_WRITER_FLOAT;
    if (major == SF_FORMAT_FLAC && sample == KL_WRITER_FLOAT) {
      snprintf(err, len, "%s: FLAC stores integers only; use int16 (the default) or a float format (.wav)", path);
      return KLONOS_E_FORMAT;
    }
    if (sample == KL_WRITER_INT16 && channels == 6) {
      snprintf(err, len, "%s: 6 channels (acc + gyro) need a float format: int16 has no agreed gyroscope full scale; use .wav, .w64, .rf64 or .aiff", path);
      return KLONOS_E_CHANNELS;
    }
    if (rate_hz != floor(rate_hz) || rate_hz < 1.0 || rate_hz > 1e6) {
      snprintf(err, len, "%s: %s needs an integer sample rate (got %g Hz); use .csv for fractional rates", path, name,
               rate_hz);
      return KLONOS_E_RATE;
    }
  }
  if (!isfinite(full_scale_g) || full_scale_g <= 0.0) {
    snprintf(err, len, "full scale %g g must be positive", full_scale_g);
    return KLONOS_E_INVAL;
  }
  kl_writer *w = calloc(1, sizeof *w);
  if (!w) {
    snprintf(err, len, "out of memory");
    return KLONOS_E_NOMEM;
  }
  w->file.fd = -1;
  w->kind = kind;
  w->major = major;
  w->sample = kind == KIND_CSV ? KL_WRITER_FLOAT : sample;
  w->channels = channels;
  w->rate_hz = rate_hz;
  w->full_scale_g = full_scale_g;
  snprintf(w->format_name, sizeof w->format_name, "%s%s", name,
           kind == KIND_CSV ? "" : (w->sample == KL_WRITER_INT16 ? " (PCM_16)" : " (FLOAT)"));
  w->buf = malloc(kind == KIND_CSV ? CSV_BUF : sizeof(float) * CONVERT_FRAMES * 6);
  if (!w->buf) {
    free(w);
    snprintf(err, len, "out of memory");
    return KLONOS_E_NOMEM;
  }
  int rc = kl_atomic_create(&w->file, path, err, len);
  if (rc) {
    free(w->buf);
    free(w);
    return rc;
  }
  *out = w;
  if (kind == KIND_CSV) {
    const char *hdr = channels == 6 ? "t,x,y,z,gx,gy,gz\n" : "t,x,y,z\n";
    memcpy(w->buf, hdr, strlen(hdr));
    w->buf_used = strlen(hdr);
    return KLONOS_OK;
  }
  SF_INFO info;
  memset(&info, 0, sizeof info);
  info.samplerate = (int)rate_hz;
  info.channels = channels;
  info.format = major | (w->sample == KL_WRITER_INT16 ? SF_FORMAT_PCM_16 : SF_FORMAT_FLOAT);
  if (!sf_format_check(&info)) {
    snprintf(err, len, "%s: libsndfile cannot write %s", path, w->format_name);
    kl_writer_close(out);
    return KLONOS_E_FORMAT;
  }
  w->sf = sf_open_fd(w->file.fd, SFM_WRITE, &info, SF_FALSE);
  if (!w->sf) {
    snprintf(err, len, "%s: libsndfile cannot create it: %s", path, sf_strerror(NULL));
    kl_writer_close(out);
    return KLONOS_E_IO;
  }
  if (w->sample == KL_WRITER_FLOAT) sf_command(w->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
  return KLONOS_OK;
}

static int write_all(kl_writer *w, const char *data, size_t n, char *err, size_t len) {
  while (n > 0) {
    ssize_t k = write(w->file.fd, data, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      snprintf(err, len, "%s: write failed: %s", w->file.path, strerror(errno));
      return KLONOS_E_IO;
    }
    data += k;
    n -= (size_t)k;
  }
  return KLONOS_OK;
}

/* Fixed-point text with 6 decimals, correctly rounded from the double:
 * faster than printf and independent of the locale. */
static size_t put_fixed6(char *p, double v) {
  long long r = llround(v * 1e6);
  char tmp[32];
  size_t n = 0;
  int neg = r < 0;
  unsigned long long u = neg ? (unsigned long long)(-(r + 1)) + 1u : (unsigned long long)r;
  for (int i = 0; i < 6; i++) {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  }
  tmp[n++] = '.';
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (neg) tmp[n++] = '-';
  for (size_t i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
  return n;
}

static int write_csv(kl_writer *w, const float *frames, size_t count, char *err, size_t len) {
  const int ch = w->channels;
  for (size_t i = 0; i < count; i++) {
    if (w->buf_used > CSV_BUF - 256) {
      int rc = write_all(w, w->buf, w->buf_used, err, len);
      if (rc) return rc;
      w->buf_used = 0;
    }
    char *p = w->buf + w->buf_used;
    p += put_fixed6(p, (double)w->frames / w->rate_hz);
    for (int c = 0; c < ch; c++) {
      *p++ = ',';
      const double v = (double)frames[i * (size_t)ch + (size_t)c];
      p += put_fixed6(p, c < 3 ? v / G_MPS2 : v * DEG_PER_RAD);
    }
    *p++ = '\n';
    w->buf_used = (size_t)(p - w->buf);
    w->frames++;
  }
  return KLONOS_OK;
}

static int write_sf(kl_writer *w, const float *frames, size_t count, char *err, size_t len) {
  const int ch = w->channels;
  while (count > 0) {
    size_t n = count < CONVERT_FRAMES ? count : CONVERT_FRAMES;
    sf_count_t done;
    if (w->sample == KL_WRITER_INT16) {
      short *q = (short *)(void *)w->buf;
      const double scale = 32768.0 / (w->full_scale_g * G_MPS2);
      for (size_t i = 0; i < n * (size_t)ch; i++) {
        /* Reader convention: int16 code k reads as k / 32768 of full scale. */
        double v = nearbyint((double)frames[i] * scale);
        if (v > 32767.0) { v = 32767.0; w->clipped++; }
        else if (v < -32768.0) { v = -32768.0; w->clipped++; }
        q[i] = (short)v;
      }
      done = sf_writef_short(w->sf, q, (sf_count_t)n);
    } else {
      float *f = (float *)(void *)w->buf;
      for (size_t i = 0; i < n; i++)
        for (int c = 0; c < ch; c++) {
          const double v = (double)frames[i * (size_t)ch + (size_t)c];
          f[i * (size_t)ch + (size_t)c] = (float)(c < 3 ? v / G_MPS2 : v * DEG_PER_RAD);
        }
      done = sf_writef_float(w->sf, f, (sf_count_t)n);
    }
    if (done != (sf_count_t)n) {
      snprintf(err, len, "%s: write failed: %s", w->file.path, sf_strerror(w->sf));
      return KLONOS_E_IO;
    }
    w->frames += (int64_t)n;
    frames += n * (size_t)ch;
    count -= n;
  }
  return KLONOS_OK;
}

int kl_writer_write(kl_writer *w, const float *frames, size_t count, char *err, size_t len) {
  if (!w || (!frames && count)) {
    snprintf(err, len, "invalid writer call");
    return KLONOS_E_INVAL;
  }
  return w->kind == KIND_CSV ? write_csv(w, frames, count, err, len) : write_sf(w, frames, count, err, len);
}

/* RF64 ignores SFC_SET_ADD_PEAK_CHUNK: zero the PEAK chunk's timestamp
 * (4 bytes after its version field) so the file does not depend on the
 * clock. Walks the chunk list up to the data chunk. */
static int zero_peak_timestamp(kl_writer *w, char *err, size_t len) {
  unsigned char head[1024];
  ssize_t n = pread(w->file.fd, head, sizeof head, 0);
  if (n < 0) {
    snprintf(err, len, "%s: cannot reread the header: %s", w->file.path, strerror(errno));
    return KLONOS_E_IO;
  }
  size_t pos = 12; /* after "RF64" size "WAVE" */
  while (pos + 8 <= (size_t)n && memcmp(head + pos, "data", 4) != 0) {
    const uint32_t size = (uint32_t)head[pos + 4] | (uint32_t)head[pos + 5] << 8 | (uint32_t)head[pos + 6] << 16 |
                          (uint32_t)head[pos + 7] << 24;
    if (memcmp(head + pos, "PEAK", 4) == 0 && size >= 8) {
      static const unsigned char zero[4] = {0, 0, 0, 0};
      if (pwrite(w->file.fd, zero, 4, (off_t)(pos + 12)) != 4) {
        snprintf(err, len, "%s: cannot patch the header: %s", w->file.path, strerror(errno));
        return KLONOS_E_IO;
      }
      break;
    }
    pos += 8 + (size_t)size + (size & 1u);
  }
  return KLONOS_OK;
}

int kl_writer_finish(kl_writer *w, char *err, size_t len) {
  if (w->kind == KIND_CSV) {
    int rc = write_all(w, w->buf, w->buf_used, err, len);
    if (rc) return rc;
    w->buf_used = 0;
  } else if (w->sf) {
    int e = sf_close(w->sf);
    w->sf = NULL;
    if (e != 0) {
      snprintf(err, len, "%s: closing failed: %s", w->file.path, sf_error_number(e));
      return KLONOS_E_IO;
    }
    if (w->major == SF_FORMAT_RF64 && w->sample == KL_WRITER_FLOAT) {
      int rc = zero_peak_timestamp(w, err, len);
      if (rc) return rc;
    }
  }
  return kl_atomic_finish(&w->file, err, len);
}

int kl_writer_publish(kl_writer *w, char *err, size_t len) { return kl_atomic_publish(&w->file, err, len); }

void kl_writer_close(kl_writer **wp) {
  if (!wp || !*wp) return;
  kl_writer *w = *wp;
  if (w->sf) sf_close(w->sf);
  kl_atomic_discard(&w->file);
  free(w->buf);
  free(w);
  *wp = NULL;
}

int64_t kl_writer_clipped(const kl_writer *w) { return w ? w->clipped : 0; }

const char *kl_writer_format_name(const kl_writer *w) { return w ? w->format_name : ""; }
