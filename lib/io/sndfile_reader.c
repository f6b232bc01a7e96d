/* Recordings in any format libsndfile reads (WAV, W64, RF64, FLAC, AIFF, CAF,
 * ...), including omconvert's 4-channel WAV, which is recognised from its
 * INFO metadata.
 *
 * Units: float/double samples are in the units the user states (default g).
 * Integer PCM is normalised by libsndfile to +-1 and multiplied by the full
 * scale (omconvert's Scale-n metadata, else the option, else 8 g).
 * Channels: 3 = acc x,y,z; 6 (float only) = acc x,y,z + gyro x,y,z;
 * 4 with omconvert metadata = acc x,y,z + aux bit-field. */
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "omconvert_meta.h"
#include "reader_priv.h"
#include "util/simd.h"

#define CHUNK_FRAMES 4096

typedef struct sf_state {
  SNDFILE *sf;
  SF_INFO sfi;
  int src_ch;
  int is_float;
  int omconvert;
  double acc_scale;   /* stored value -> m/s^2 */
  double gyro_scale;  /* stored value -> rad/s */
  double om_scale[3]; /* per-channel m/s^2 at normalised 1.0 (omconvert) */
  float *buf;         /* CHUNK_FRAMES * src_ch, when the layout differs from output */
  int64_t declared_frames;
} sf_state;

static int probe(const char *path, const unsigned char *h, size_t n) {
  static const char *const magics[] = {"RIFF", "RIFX", "RF64", "FORM", "fLaC", "OggS", "caff", ".snd", "riff", "wvpk"};
  if (n >= 4)
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
      if (memcmp(h, magics[i], 4) == 0) return 100;
  if (kl_path_has_ext(path, "wav") || kl_path_has_ext(path, "flac") || kl_path_has_ext(path, "w64") ||
      kl_path_has_ext(path, "aiff") || kl_path_has_ext(path, "caf"))
    return 20;
  return 0;
}

static const char *subformat_name(int fmt) {
  switch (fmt & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: return "PCM_S8";
    case SF_FORMAT_PCM_U8: return "PCM_U8";
    case SF_FORMAT_PCM_16: return "PCM_16";
    case SF_FORMAT_PCM_24: return "PCM_24";
    case SF_FORMAT_PCM_32: return "PCM_32";
    case SF_FORMAT_FLOAT: return "FLOAT";
    case SF_FORMAT_DOUBLE: return "DOUBLE";
    default: return "other";
  }
}

/* A WAV whose data chunk claims more bytes than the file holds: libsndfile
 * quietly shortens such files, so check the RIFF chunk table ourselves.
 * Returns the declared data size, or -1 when not a plain RIFF/WAVE. */
static int64_t riff_declared_data_bytes(const char *path, int64_t *data_offset) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  unsigned char hdr[12];
  int64_t result = -1;
  if (fread(hdr, 1, 12, f) == 12 && memcmp(hdr, "RIFF", 4) == 0 && memcmp(hdr + 8, "WAVE", 4) == 0) {
    int64_t pos = 12;
    unsigned char ch[8];
    for (int guard = 0; guard < 64 && fread(ch, 1, 8, f) == 8; guard++) {
      uint32_t size = (uint32_t)ch[4] | (uint32_t)ch[5] << 8 | (uint32_t)ch[6] << 16 | (uint32_t)ch[7] << 24;
      if (memcmp(ch, "data", 4) == 0) {
        *data_offset = pos + 8;
        result = size;
        break;
      }
      pos += 8 + (int64_t)size + (size & 1);
      if (fseeko(f, (off_t)pos, SEEK_SET) != 0) break;
    }
  }
  fclose(f);
  return result;
}

static int check_truncation(klonos_reader *r, sf_state *s) {
  int64_t data_off = 0;
  int64_t declared = riff_declared_data_bytes(r->path, &data_off);
  if (declared < 0 || declared == 0xFFFFFFFFLL) return KLONOS_OK;
  struct stat st;
  if (stat(r->path, &st) != 0) return KLONOS_OK;
  int64_t available = (int64_t)st.st_size - data_off;
  int bytes_per_sample = 0;
  switch (s->sfi.format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: bytes_per_sample = 1; break;
    case SF_FORMAT_PCM_16: bytes_per_sample = 2; break;
    case SF_FORMAT_PCM_24: bytes_per_sample = 3; break;
    case SF_FORMAT_PCM_32: case SF_FORMAT_FLOAT: bytes_per_sample = 4; break;
    case SF_FORMAT_DOUBLE: bytes_per_sample = 8; break;
    default: return KLONOS_OK;
  }
  int64_t frame_bytes = (int64_t)bytes_per_sample * s->src_ch;
  if (declared > available)
    return kl_reader_fail(r, KLONOS_E_CORRUPT,
                          "truncated: the WAV header claims %lld frames but the file holds only %lld",
                          (long long)(declared / frame_bytes), (long long)(available / frame_bytes));
  return KLONOS_OK;
}

static void read_omconvert_meta(sf_state *s, kl_om_meta *m) {
  memset(m, 0, sizeof *m);
  kl_om_meta_parse(m, sf_get_string(s->sf, SF_STR_DATE), 1);
  kl_om_meta_parse(m, sf_get_string(s->sf, SF_STR_ARTIST), 0);
  kl_om_meta_parse(m, sf_get_string(s->sf, SF_STR_TITLE), 0);
  kl_om_meta_parse(m, sf_get_string(s->sf, SF_STR_COMMENT), 0);
}

static double acc_units_to_mps2(int units) {
  switch (units) {
    case KLONOS_UNITS_MPS2: return 1.0;
    case KLONOS_UNITS_MG: return KLONOS_STANDARD_GRAVITY_MPS2 / 1000.0;
    default: return KLONOS_STANDARD_GRAVITY_MPS2;
  }
}

static int set_roles(klonos_reader *r, sf_state *s, const kl_om_meta *om) {
  klonos_recording_info *in = &r->info;
  in->source_channel_count = s->src_ch;
  if (s->src_ch == 3 || s->src_ch == 6) {
    for (int c = 0; c < s->src_ch; c++) in->source_roles[c] = KLONOS_ROLE_ACC_X + c;
    in->channel_count = s->src_ch;
    if (s->src_ch == 6 && !s->is_float)
      return kl_reader_fail(r, KLONOS_E_CHANNELS,
                            "6 integer PCM channels: the gyroscope full scale is unknown; store acc+gyro as float (acc in g or m/s^2, gyro in deg/s or rad/s)");
    return KLONOS_OK;
  }
  if (s->src_ch == 4 && om->found && !s->is_float) {
    s->omconvert = 1;
    for (int c = 0; c < 3; c++) in->source_roles[c] = KLONOS_ROLE_ACC_X + c;
    in->source_roles[3] = KLONOS_ROLE_AUX;
    in->channel_count = 3;
    return KLONOS_OK;
  }
  if (s->src_ch == 4)
    return kl_reader_fail(r, KLONOS_E_CHANNELS,
                          "4 channels but no omconvert metadata (Scale-n/Session in the INFO chunk): expected 3 (acc x,y,z) or 6 (acc + gyro) channels");
  return kl_reader_fail(r, KLONOS_E_CHANNELS,
                        "%d channel%s: expected 3 (acc x,y,z), 6 (acc + gyro, float) or omconvert's 4", s->src_ch,
                        s->src_ch == 1 ? "" : "s");
}

static int open_sf(klonos_reader *r) {
  sf_state *s = calloc(1, sizeof *s);
  if (!s) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  r->state = s;
  s->sf = sf_open(r->path, SFM_READ, &s->sfi);
  if (!s->sf) {
    const char *why = sf_strerror(NULL);
    int code = sf_error(NULL) == SF_ERR_UNRECOGNISED_FORMAT ? KLONOS_E_FORMAT : KLONOS_E_CORRUPT;
    return kl_reader_fail(r, code, "libsndfile cannot read it: %s", why);
  }
  sf_command(s->sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
  s->src_ch = s->sfi.channels;
  int sub = s->sfi.format & SF_FORMAT_SUBMASK;
  s->is_float = sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE || sub == SF_FORMAT_VORBIS || sub == SF_FORMAT_OPUS;

  SF_FORMAT_INFO fi = {.format = s->sfi.format & SF_FORMAT_TYPEMASK};
  const char *major = sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name ? fi.name : "?";
  snprintf(r->info.format_detail, sizeof r->info.format_detail, "%s (%s)", major, subformat_name(s->sfi.format));

  kl_om_meta om;
  read_omconvert_meta(s, &om);
  if (set_roles(r, s, &om)) return r->status;
  if (kl_reader_check_rate(r, (double)s->sfi.samplerate, "header")) return r->status;
  if (check_truncation(r, s)) return r->status;

  klonos_recording_info *in = &r->info;
  in->nominal_rate_hz = s->sfi.samplerate;
  in->sample_rate_hz = s->sfi.samplerate;
  if (r->opt.rate_hz != 0.0 && fabs(r->opt.rate_hz - in->sample_rate_hz) > 1e-9)
    return kl_reader_fail(r, KLONOS_E_RATE,
                          "the file's sample rate is %d Hz; resampling on read is not supported for this format (leave rate unset)",
                          s->sfi.samplerate);
  s->declared_frames = s->sfi.frames == SF_COUNT_MAX ? -1 : (int64_t)s->sfi.frames;
  in->frame_count = s->declared_frames;

  if (s->omconvert) {
    in->format = KLONOS_FORMAT_OMCONVERT;
    snprintf(in->format_detail, sizeof in->format_detail, "omconvert WAV (%s, 4 channels)", subformat_name(s->sfi.format));
    for (int c = 0; c < 3; c++) {
      double fs_g = om.scale[c] > 0 ? om.scale[c] : (r->opt.full_scale_g > 0 ? r->opt.full_scale_g : 8.0);
      s->om_scale[c] = fs_g * KLONOS_STANDARD_GRAVITY_MPS2;
      if (c == 0) in->full_scale_g = fs_g;
    }
    in->source_units = KLONOS_UNITS_G;
    if (om.has_time) {
      in->has_start_time = 1;
      in->start_time_unix_s = om.start_unix_s;
      kl_format_iso_time(om.start_unix_s, in->start_time_iso, sizeof in->start_time_iso);
    }
    snprintf(in->device, sizeof in->device, "%s", om.device);
    r->counts_clipping = 1; /* from the aux flags and the codes, see read_omconvert */
  } else if (s->is_float) {
    int units = r->opt.units == KLONOS_UNITS_AUTO ? KLONOS_UNITS_G : r->opt.units;
    s->acc_scale = acc_units_to_mps2(units);
    in->source_units = units;
    in->full_scale_g = r->opt.full_scale_g; /* unknown unless stated */
    s->gyro_scale = r->opt.gyro_units == KLONOS_UNITS_RADPS ? 1.0 : M_PI / 180.0;
  } else {
    double fs_g = r->opt.full_scale_g > 0 ? r->opt.full_scale_g : 8.0;
    s->acc_scale = fs_g * KLONOS_STANDARD_GRAVITY_MPS2;
    in->source_units = KLONOS_UNITS_G;
    in->full_scale_g = fs_g;
  }
  if (s->src_ch != in->channel_count) {
    s->buf = malloc(sizeof(float) * CHUNK_FRAMES * (size_t)s->src_ch);
    if (!s->buf) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  }
  return KLONOS_OK;
}

static int check_finite(klonos_reader *r, const float *v, size_t frames, int nch) {
  if (!kl_any_nonfinite(v, frames * (size_t)nch)) return KLONOS_OK; /* block screen; the loop finds the sample */
  for (size_t i = 0; i < frames * (size_t)nch; i++)
    if (!isfinite(v[i]))
      return kl_reader_fail(r, KLONOS_E_VALUE, "frame %lld channel %d: sample is %s",
                            (long long)(r->stats.frames_read + (int64_t)(i / (size_t)nch)), (int)(i % (size_t)nch) + 1,
                            isnan(v[i]) ? "NaN" : "infinite");
  return KLONOS_OK;
}

/* omconvert aux word (channel 4): bits ncttttuu vvvvvvvv. nc = 00 valid,
 * 01 clipped, 10 no data. A no-data frame becomes NaN. */
static void convert_omconvert(klonos_reader *r, sf_state *s, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float *in = s->buf + i * 4;
    float *o = out + i * 3;
    int aux = (int)lrintf(in[3] * 32768.0f) & 0xFFFF;
    int nc = (aux >> 14) & 3;
    if (nc == 2) {
      o[0] = o[1] = o[2] = NAN;
      r->stats.nan_frames++;
      continue;
    }
    int worst = 0;
    for (int c = 0; c < 3; c++) {
      o[c] = (float)(in[c] * s->om_scale[c]);
      if (fabsf(in[c]) > fabsf(in[worst])) worst = c;
      if (fabsf(in[c]) >= 0.999f) r->stats.clipped[c]++;
    }
    /* The device flagged clipping although no code sits at full scale: charge
     * it to the channel nearest full scale so the flag is never lost. */
    if (nc == 1 && fabsf(in[worst]) < 0.999f) r->stats.clipped[worst]++;
  }
}

static int read_sf(klonos_reader *r, float *out, size_t max, size_t *got) {
  sf_state *s = r->state;
  const int nout = r->info.channel_count;
  size_t want = max;
  if (s->buf && want > CHUNK_FRAMES) want = CHUNK_FRAMES;
  float *dst = s->buf ? s->buf : out;
  sf_count_t n = sf_readf_float(s->sf, dst, (sf_count_t)want);
  if (n < 0) n = 0;
  if (n == 0) {
    int err = sf_error(s->sf);
    if (err != SF_ERR_NO_ERROR)
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "decoding failed after frame %lld: %s",
                            (long long)r->stats.frames_read, sf_strerror(s->sf));
    if (s->declared_frames > 0 && r->stats.frames_read < s->declared_frames)
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "truncated: the header declares %lld frames but only %lld could be decoded",
                            (long long)s->declared_frames, (long long)r->stats.frames_read);
    *got = 0;
    return KLONOS_OK;
  }
  if (check_finite(r, dst, (size_t)n, s->src_ch)) return r->status;
  if (s->omconvert) {
    convert_omconvert(r, s, out, (size_t)n);
  } else if (s->buf) {
    return kl_reader_fail(r, KLONOS_E_CHANNELS, "internal: unexpected channel layout");
  } else {
    const float acc = (float)s->acc_scale, gyro = (float)s->gyro_scale;
    if (nout == 3) { /* one multiply per sample, four at a time */
      kl_scale_f32(out, 3 * (size_t)n, acc);
      *got = (size_t)n;
      return KLONOS_OK;
    }
    for (size_t i = 0; i < (size_t)n; i++) {
      float *f = out + i * (size_t)nout;
      f[0] *= acc; f[1] *= acc; f[2] *= acc;
      if (nout == 6) { f[3] *= gyro; f[4] *= gyro; f[5] *= gyro; }
    }
  }
  *got = (size_t)n;
  return KLONOS_OK;
}

static void close_sf(klonos_reader *r) {
  sf_state *s = r->state;
  if (!s) return;
  if (s->sf) sf_close(s->sf);
  free(s->buf);
  free(s);
  r->state = NULL;
}

const klonos_reader_ops kl_sndfile_ops = {"sndfile", KLONOS_FORMAT_SNDFILE, probe, open_sf, read_sf, close_sf};
