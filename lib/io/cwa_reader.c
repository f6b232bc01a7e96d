/* Axivity CWA reader (AX3, AX6): continuous-wave-accelerometry files of
 * Open Movement devices.
 *
 * Format: Open Movement, Docs/ax3/cwa.h and Docs/ax3/ax3-technical.md
 * (github.com/openmovementproject/openmovement). The file is a 1024-byte
 * header ("MD") followed by 512-byte data blocks ("AX"), little-endian and
 * tightly packed. docs/format-cwa.md says what is read and why.
 *
 * Timing: every block carries a clock reading (whole second, plus a 15-bit
 * fraction on newer firmware) and the index of the sample at which that
 * reading holds: an "anchor". Sample times are a piecewise-linear function
 * through the anchors of consecutive good blocks (a "chain"); the device's
 * sample clock drifts by a few percent, so these times are then put on a
 * uniform grid by the shared regridder (regrid.h).
 *
 * open() scans every block once (headers and checksums only, constant
 * memory) with exactly the code read() uses, so frame_count is exact.
 * read() walks the blocks again, one block of lookahead. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "reader_priv.h"
#include "regrid.h"

enum {
  CWA_HEADER_BYTES = 1024,
  CWA_HEADER_LENGTH_FIELD = 1020, /* header length after the 4-byte "MD" + length */
  CWA_BLOCK_BYTES = 512,
  CWA_BLOCK_LENGTH_FIELD = 508,
  CWA_PAYLOAD_OFFSET = 30,
  CWA_PAYLOAD_BYTES = 480,
  CWA_MAX_SAMPLES = 120,          /* packed 3-axis: 480 / 4 */
  CWA_RING = 8,                   /* anchors kept: a block needs its chain's last few */
  CWA_MIN_RATE_NIBBLE = 6         /* 6.25 Hz, the lowest rate the AX3/AX6 documentation lists */
};

/* Blocks whose timestamps imply a rate outside nominal / 1.25 .. nominal *
 * 1.25 are not interpolated across: that is a pause or lost data, not clock
 * drift (AX devices drift by a few percent). */
#define CWA_CHAIN_RATE_TOLERANCE 1.25
/* Two clock readings this close (s) are the same reading. */
#define CWA_TIME_EPSILON_S 1e-6
/* Default gyroscope range when neither the block nor the header states one (Open Movement's readers use the same). */
#define CWA_DEFAULT_GYRO_DPS 2000.0
#define CWA_PI 3.14159265358979323846
/* The regridder refuses forward jumps longer than this (lib/io/regrid.c);
 * open() refuses them too, so frame_count never promises frames that read()
 * would then refuse. */
#define CWA_MAX_JUMP_S KL_REGRID_MAX_JUMP_S /* the regridder refuses longer jumps */

/* ---- little-endian fields ---------------------------------------------- */

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | ((unsigned)p[1] << 8); }

static int sle16(const unsigned char *p) {
  unsigned u = le16(p);
  return u >= 0x8000u ? (int)u - 0x10000 : (int)u;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ---- header ------------------------------------------------------------- */

typedef struct cwa_header {
  unsigned hardware_type; /* @4: 0x00/0xFF/0x17 AX3, 0x64 AX6 */
  uint32_t device_id;     /* @5 lower word, @11 upper word (0xFFFF = 0) */
  uint32_t session_id;    /* @7 */
  unsigned sensor_config; /* @35: low nibble = gyro range code, 0x00/0xFF = accelerometer only */
  unsigned rate_code;     /* @36 */
  unsigned firmware;      /* @41 */
  char metadata[449];     /* @64, 448 bytes of URL-encoded text, trailing padding removed */
} cwa_header;

static double rate_code_hz(unsigned code) { return 3200.0 / (double)(1u << (15u - (code & 0x0Fu))); }

static double rate_code_range_g(unsigned code) { return (double)(16u >> (code >> 6)); }

static double gyro_code_dps(unsigned code) { return code ? 8000.0 / (double)(1u << code) : 0.0; }

static const char *model_name(unsigned hardware_type) {
  switch (hardware_type) {
    case 0x00: case 0xFF: case 0x17: return "AX3";
    case 0x64: return "AX6";
    default: return NULL;
  }
}

static void parse_header(const unsigned char *h, cwa_header *out) {
  memset(out, 0, sizeof *out);
  out->hardware_type = h[4];
  unsigned upper = le16(h + 11);
  out->device_id = ((uint32_t)(upper == 0xFFFFu ? 0u : upper) << 16) | le16(h + 5);
  out->session_id = le32(h + 7);
  out->sensor_config = h[35];
  out->rate_code = h[36];
  out->firmware = h[41];
  /* Trailing spaces, NULs and 0xFF are padding (cwa.h); anything not
   * printable ASCII inside is replaced so the text is always safe to show. */
  size_t n = 448;
  while (n > 0 && (h[64 + n - 1] == 0x20 || h[64 + n - 1] == 0x00 || h[64 + n - 1] == 0xFF)) n--;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = h[64 + i];
    out->metadata[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
  }
  out->metadata[n] = '\0';
}

/* ---- data blocks --------------------------------------------------------- */

/* How samples are stored, from the block's numAxesBPS byte (@25). */
typedef struct cwa_layout {
  unsigned axes_bps;
  int axes;          /* stored values per sample: 3, 6 (gyro + acc) or 9 (+ magnetometer) */
  int packed;        /* 1: one uint32 per 3-axis sample, 10-bit values + exponent */
  int capacity;      /* samples in a full block */
  int acc_axis;      /* index of the first accelerometer value in a sample */
  int gyro_axis;     /* index of the first gyroscope value, -1 when none */
  int out_channels;  /* 3 or 6 */
} cwa_layout;

static int layout_from_code(unsigned code, cwa_layout *l) {
  memset(l, 0, sizeof *l);
  l->axes_bps = code;
  l->axes = (int)(code >> 4);
  unsigned packing = code & 0x0Fu;
  l->gyro_axis = -1;
  if (packing == 0 && l->axes == 3) {
    l->packed = 1;
    l->capacity = CWA_PAYLOAD_BYTES / 4;
  } else if (packing == 2 && (l->axes == 3 || l->axes == 6 || l->axes == 9)) {
    l->capacity = CWA_PAYLOAD_BYTES / (2 * l->axes);
    /* 6 and 9 axes store gx, gy, gz, ax, ay, az[, mx, my, mz] (cwa.h). */
    if (l->axes >= 6) { l->gyro_axis = 0; l->acc_axis = 3; }
  } else {
    return -1;
  }
  l->out_channels = l->gyro_axis >= 0 ? 6 : 3;
  return 0;
}

typedef struct cwa_block {
  int64_t index;         /* data block number in the file, 0-based */
  uint32_t session_id;
  uint32_t sequence;
  unsigned rate_code;
  unsigned axes_bps;
  unsigned light;        /* @18: scale bits AAAGGG + 10-bit light */
  int count;             /* samples in this block */
  int anchor;            /* sample index (within the block) at which the clock reading holds */
  double clock_unix_s;   /* whole-second clock reading */
  double fraction_s;     /* its sub-second part (0 on old firmware) */
  double time_s;         /* anchor time, seconds after the pass's base time */
  int64_t first_sample;  /* running sample index over accepted blocks */
  int64_t chain;         /* run of blocks interpolated together */
} cwa_block;

static int days_in_month(int year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return days[month - 1] + (month == 2 && leap);
}

/* Packed clock YYYYYYMM MMDDDDDh hhhhmmmm mmssssss (year - 2000). */
static int decode_clock(uint32_t v, double *unix_s) {
  int year = (int)((v >> 26) & 0x3Fu) + 2000;
  int month = (int)((v >> 22) & 0x0Fu);
  int day = (int)((v >> 17) & 0x1Fu);
  int hour = (int)((v >> 12) & 0x1Fu);
  int minute = (int)((v >> 6) & 0x3Fu);
  int second = (int)(v & 0x3Fu);
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 59)
    return -1;
  *unix_s = kl_unix_time(year, month, day, hour, minute, (double)second);
  return 0;
}

static unsigned block_sum(const unsigned char *b) {
  unsigned sum = 0;
  for (int i = 0; i < CWA_BLOCK_BYTES / 2; i++) sum += le16(b + 2 * i);
  return sum & 0xFFFFu;
}

/* Check a block on its own. 0 when usable, else -1 with the reason in why. */
static int parse_block(const unsigned char *b, int64_t index, cwa_block *out, char *why, size_t why_len) {
  memset(out, 0, sizeof *out);
  out->index = index;
  if (b[0] != 'A' || b[1] != 'X' || le16(b + 2) != CWA_BLOCK_LENGTH_FIELD) {
    snprintf(why, why_len, "not a data block (signature %02x %02x, length %u; expected \"AX\", 508)", b[0], b[1],
             le16(b + 2));
    return -1;
  }
  unsigned sum = block_sum(b);
  if (sum != 0) {
    snprintf(why, why_len, "checksum mismatch (16-bit word sum 0x%04x, expected 0)", sum);
    return -1;
  }
  out->session_id = le32(b + 6);
  out->sequence = le32(b + 10);
  out->light = le16(b + 18);
  out->rate_code = b[24];
  out->axes_bps = b[25];
  out->count = (int)le16(b + 28);
  cwa_layout l;
  if (layout_from_code(out->axes_bps, &l) != 0) {
    snprintf(why, why_len, "unsupported sample layout 0x%02x (byte 25)", out->axes_bps);
    return -1;
  }
  if (out->count < 1 || out->count > l.capacity) {
    snprintf(why, why_len, "absurd sample count %d (a block holds 1 to %d)", out->count, l.capacity);
    return -1;
  }
  if ((out->rate_code & 0x0Fu) < CWA_MIN_RATE_NIBBLE) {
    snprintf(why, why_len, "rate code 0x%02x is not a documented rate", out->rate_code);
    return -1;
  }
  uint32_t clock = le32(b + 14);
  if (decode_clock(clock, &out->clock_unix_s) != 0) {
    snprintf(why, why_len, "invalid timestamp 0x%08lx", (unsigned long)clock);
    return -1;
  }
  out->anchor = sle16(b + 26);
  unsigned device_fraction = le16(b + 4);
  if (device_fraction & 0x8000u) {
    uint32_t frac16 = (uint32_t)(device_fraction & 0x7FFFu) << 1;
    out->fraction_s = (double)frac16 / 65536.0;
    /* The firmware moved the offset back by the whole samples the fraction
     * spans, so readers that ignore the fraction still see the whole second
     * at the right sample. Undo that to anchor the exact time; the firmware
     * truncates the frequency to an integer (cwa.h; OmReader/omconvert). */
    uint32_t freq_int = (uint32_t)rate_code_hz(out->rate_code);
    out->anchor += (int)((frac16 * freq_int) >> 16);
  }
  /* An anchor more than a second of samples outside its block cannot come
   * from the firmware; trusting it would bend the times of the whole chain. */
  int one_second = (int)rate_code_hz(out->rate_code) + 1;
  if (out->anchor < -(one_second + l.capacity) || out->anchor > one_second + 2 * l.capacity) {
    snprintf(why, why_len, "timestamp offset %d is absurd for a %d-sample block", out->anchor, out->count);
    return -1;
  }
  return 0;
}

/* ---- timeline: anchors -> sample times ---------------------------------- */

typedef struct cwa_anchor {
  int64_t chain;
  int64_t sample;  /* running sample index */
  double time_s;   /* seconds after the base time */
} cwa_anchor;

typedef struct cwa_timeline {
  cwa_anchor ring[CWA_RING]; /* newest last */
  int count;
  double nominal_hz;
  /* Measured rate: samples / seconds between the first and last anchors of
   * each chain, summed over chains (pauses and bad blocks do not count). */
  int chain_anchors;
  cwa_anchor chain_first, chain_last;
  double measured_samples, measured_seconds;
} cwa_timeline;

static void timeline_close_chain(cwa_timeline *tl) {
  if (tl->chain_anchors >= 2) {
    tl->measured_samples += (double)(tl->chain_last.sample - tl->chain_first.sample);
    tl->measured_seconds += tl->chain_last.time_s - tl->chain_first.time_s;
  }
  tl->chain_anchors = 0;
}

static void timeline_add(cwa_timeline *tl, cwa_anchor a) {
  if (tl->chain_anchors > 0 && a.chain != tl->chain_last.chain) timeline_close_chain(tl);
  if (tl->chain_anchors == 0) tl->chain_first = a;
  tl->chain_last = a;
  tl->chain_anchors++;
  if (tl->count == CWA_RING) {
    memmove(tl->ring, tl->ring + 1, sizeof(cwa_anchor) * (CWA_RING - 1));
    tl->count--;
  }
  tl->ring[tl->count++] = a;
}

static double timeline_measured_hz(const cwa_timeline *tl) {
  double samples = tl->measured_samples, seconds = tl->measured_seconds;
  if (tl->chain_anchors >= 2) {
    samples += (double)(tl->chain_last.sample - tl->chain_first.sample);
    seconds += tl->chain_last.time_s - tl->chain_first.time_s;
  }
  return seconds > 0.0 ? samples / seconds : 0.0;
}

/* Time of running sample n of @p chain: linear between the chain's anchors
 * on either side, extrapolated with the first/last segment's rate at the
 * chain's ends, and with the nominal rate when the chain has one anchor. */
static double timeline_time(const cwa_timeline *tl, int64_t chain, int64_t n) {
  int lo = -1, hi = -1;
  for (int i = 0; i < tl->count; i++)
    if (tl->ring[i].chain == chain) {
      if (lo < 0) lo = i;
      hi = i;
    }
  if (lo < 0) return NAN; /* cannot happen: a chain's own anchor stays in the ring */
  const cwa_anchor *a = tl->ring + lo;
  int m = hi - lo + 1;
  if (m == 1) return a[0].time_s + (double)(n - a[0].sample) / tl->nominal_hz;
  int k = 0;
  for (int i = 0; i < m - 1; i++)
    if (a[i].sample <= n) k = i;
  double s_per_sample = (a[k + 1].time_s - a[k].time_s) / (double)(a[k + 1].sample - a[k].sample);
  return a[k].time_s + (double)(n - a[k].sample) * s_per_sample;
}

/* ---- a pass over the blocks ---------------------------------------------- */

/* open() runs one silent pass to learn the layout, times and frame count;
 * read() runs a second, reporting pass. Both use this same code, so both
 * compute bit-identical times. */
typedef struct cwa_pass {
  int report;
  int started;
  int64_t next_index;              /* next data block to read from the file */
  int have_ref;                    /* the first usable block fixes layout and rate */
  unsigned ref_axes_bps, ref_rate_code, ref_light;
  int have_base;
  double base_unix_s;              /* whole-second clock of the first usable block */
  int have_prev;
  cwa_block prev;                  /* last accepted block */
  int skipped;                     /* blocks skipped since prev */
  int64_t samples;                 /* samples in accepted blocks */
  int64_t chain;
  cwa_timeline tl;
  int have_next;
  cwa_block next;
  unsigned char next_raw[CWA_BLOCK_BYTES];
  int have_cur;
  cwa_block cur;
  unsigned char cur_raw[CWA_BLOCK_BYTES];
  int cur_pos;                     /* next sample of cur to place */
  int have_pushed;
  double first_pushed_s, last_pushed_s;
  int64_t bad_blocks;
  int64_t first_bad_index;
  char first_bad_why[160];
} cwa_pass;

typedef struct cwa_state {
  FILE *f;
  int64_t n_blocks;                /* whole data blocks after the header */
  int64_t tail_bytes;              /* bytes of a trailing partial block */
  cwa_header hdr;
  cwa_layout layout;
  double nominal_hz;
  double out_rate_hz;
  double full_scale_g;
  double gyro_dps_fallback;        /* when a block's light word gives no gyro range */
  double first_time_s;             /* first output frame, seconds after base */
  cwa_pass pass;                   /* the read pass */
  kl_regrid grid;
  float cur_values[CWA_MAX_SAMPLES * KLONOS_MAX_FRAME_CHANNELS];
  uint8_t cur_clip[CWA_MAX_SAMPLES]; /* bit c: output channel c at full scale */
  char cur_where[64];              /* "block N (byte B)" for the regridder's messages */
} cwa_state;

static void pass_init(cwa_pass *p, int report, double nominal_hz) {
  memset(p, 0, sizeof *p);
  p->report = report;
  p->tl.nominal_hz = nominal_hz;
  p->chain = -1;
  p->first_bad_index = -1;
}

static int64_t block_offset(int64_t index) { return CWA_HEADER_BYTES + index * CWA_BLOCK_BYTES; }

/* The first output frame after time t_s (seconds after base). */
static int64_t frame_after(const cwa_state *st, double t_s) {
  double k = floor((t_s - st->first_time_s) * st->out_rate_hz) + 1.0;
  return isfinite(k) && k > 0.0 ? (int64_t)k : 0;
}

/* Where in the output a skipped block falls: just after the last accepted
 * block's last sample (frame 0 before any). */
static int64_t hole_frame(const cwa_state *st, const cwa_pass *p) {
  if (!p->have_prev) return 0;
  return frame_after(st, timeline_time(&p->tl, p->prev.chain, p->prev.first_sample + p->prev.count - 1));
}

static void pass_bad_block(cwa_state *st, cwa_pass *p, klonos_reader *r, int64_t index, const char *why) {
  p->skipped = 1;
  p->bad_blocks++;
  if (p->first_bad_index < 0) {
    p->first_bad_index = index;
    snprintf(p->first_bad_why, sizeof p->first_bad_why, "%s", why);
  }
  if (!p->report) return;
  r->stats.bad_blocks++;
  kl_reader_notice(r, KLONOS_NOTICE_BAD_BLOCK, hole_frame(st, p), st->layout.capacity / st->nominal_hz,
                   "block %lld (byte %lld): %s; skipped", (long long)index, (long long)block_offset(index), why);
}

/* How a block that passed parse_block() relates to the timeline so far. */
typedef enum cwa_fit {
  CWA_FIT_BAD = -1,        /* time or configuration wrong: skip the block */
  CWA_FIT_CONTINUES = 0,   /* next block of the current chain */
  CWA_FIT_REPEATS = 1,     /* same clock reading at the same sample: no new anchor */
  CWA_FIT_AFTER_BREAK = 2, /* starts a chain: first block, skipped block, sequence or session change */
  CWA_FIT_AFTER_JUMP = 3   /* starts a chain: its time does not follow the previous block's */
} cwa_fit;

/* Real AX clocks drift by a few percent; a pause or lost data moves the
 * implied rate far more. */
static int rate_plausible(double nominal_hz, int64_t samples, double seconds) {
  if (samples <= 0 || !(seconds > CWA_TIME_EPSILON_S)) return 0;
  double rate_hz = (double)samples / seconds;
  return rate_hz >= nominal_hz / CWA_CHAIN_RATE_TOLERANCE && rate_hz <= nominal_hz * CWA_CHAIN_RATE_TOLERANCE;
}

/* Classify b without changing the pass; fills b's time and sample fields. */
static cwa_fit pass_classify(const cwa_pass *p, cwa_block *b, char *why, size_t why_len) {
  if (p->have_ref && (b->axes_bps != p->ref_axes_bps || b->rate_code != p->ref_rate_code)) {
    snprintf(why, why_len, "configuration changed (layout 0x%02x, rate code 0x%02x; the file's first block has 0x%02x, 0x%02x)",
             b->axes_bps, b->rate_code, p->ref_axes_bps, p->ref_rate_code);
    return CWA_FIT_BAD;
  }
  const double base = p->have_base ? p->base_unix_s : b->clock_unix_s;
  b->time_s = (b->clock_unix_s - base) + b->fraction_s;
  b->first_sample = p->samples;
  const int broken = !p->have_prev || p->skipped || b->index != p->prev.index + 1 ||
                     b->sequence != p->prev.sequence + 1 || b->session_id != p->prev.session_id;
  if (p->tl.count == 0) return CWA_FIT_AFTER_BREAK;
  const cwa_anchor *last = &p->tl.ring[p->tl.count - 1];
  const int64_t sample = b->first_sample + b->anchor;
  const double step_s = b->time_s - last->time_s;
  if (step_s < -CWA_TIME_EPSILON_S) {
    snprintf(why, why_len, "timestamp goes backwards by %.3f s", -step_s);
    return CWA_FIT_BAD;
  }
  if (step_s <= CWA_TIME_EPSILON_S) {
    /* Old firmware at high rates: a block without a new clock tick
     * repeats the previous reading at the same sample. */
    if (broken || sample != last->sample) {
      snprintf(why, why_len, "timestamp does not advance");
      return CWA_FIT_BAD;
    }
    return CWA_FIT_REPEATS;
  }
  if (broken) return CWA_FIT_AFTER_BREAK;
  return rate_plausible(p->tl.nominal_hz, sample - last->sample, step_s) ? CWA_FIT_CONTINUES : CWA_FIT_AFTER_JUMP;
}

/* Does the block after b (peeked at, then the file position restored)
 * continue b's timeline? 1 yes, 0 no, -1 no usable successor to judge by. */
static int successor_agrees(cwa_state *st, const cwa_pass *p, const cwa_block *b, klonos_reader *r, int *status) {
  *status = KLONOS_OK;
  if (b->index + 1 >= st->n_blocks) return -1;
  unsigned char raw[CWA_BLOCK_BYTES];
  if (fread(raw, 1, CWA_BLOCK_BYTES, st->f) != CWA_BLOCK_BYTES || fseeko(st->f, -(off_t)CWA_BLOCK_BYTES, SEEK_CUR) != 0) {
    *status = kl_reader_fail(r, KLONOS_E_IO, "block %lld (byte %lld): read failed: %s", (long long)(b->index + 1),
                             (long long)block_offset(b->index + 1), ferror(st->f) ? strerror(errno) : "file got shorter");
    return -1;
  }
  cwa_block next;
  char why[160];
  if (parse_block(raw, b->index + 1, &next, why, sizeof why) != 0 || next.sequence != b->sequence + 1 ||
      next.session_id != b->session_id || next.axes_bps != b->axes_bps || next.rate_code != b->rate_code)
    return -1;
  const int64_t samples = (int64_t)b->count + next.anchor - b->anchor;
  const double seconds = (next.clock_unix_s - b->clock_unix_s) + (next.fraction_s - b->fraction_s);
  return rate_plausible(p->tl.nominal_hz, samples, seconds);
}

/* Commit an accepted block to the pass and the timeline. */
static void pass_commit(cwa_pass *p, cwa_block *b, cwa_fit fit) {
  if (!p->have_ref) {
    p->have_ref = 1;
    p->ref_axes_bps = b->axes_bps;
    p->ref_rate_code = b->rate_code;
    p->ref_light = b->light;
  }
  if (!p->have_base) {
    p->have_base = 1;
    p->base_unix_s = b->clock_unix_s; /* b->time_s was computed against this already */
  }
  if (fit == CWA_FIT_AFTER_BREAK || fit == CWA_FIT_AFTER_JUMP) p->chain++;
  b->chain = p->chain;
  if (fit != CWA_FIT_REPEATS) timeline_add(&p->tl, (cwa_anchor){p->chain, b->first_sample + b->anchor, b->time_s});
  p->samples += b->count;
  p->prev = *b;
  p->have_prev = 1;
  p->skipped = 0;
}

/* Is b's time plausible after the last anchor, counting the blocks skipped
 * in between as full? (Used when its successor cannot vouch for it.) */
static int follows_last_anchor(const cwa_pass *p, const cwa_block *b) {
  if (p->tl.count == 0) return 0;
  cwa_layout l;
  layout_from_code(b->axes_bps, &l);
  const cwa_anchor *last = &p->tl.ring[p->tl.count - 1];
  const int64_t skipped_blocks = b->index - p->prev.index - 1;
  const int64_t samples = b->first_sample + b->anchor - last->sample + skipped_blocks * l.capacity;
  return rate_plausible(p->tl.nominal_hz, samples, b->time_s - last->time_s);
}

/* Decide on one parsed block: 1 accepted, 0 skipped (reason in why), or an
 * error status (< 0). A block that would start a new chain must agree in
 * time with the block after it, or (when that one cannot tell) with the
 * blocks before it: one corrupt clock reading with a valid checksum would
 * otherwise open a gap of years, or make every later block look like it
 * went backwards. */
static int pass_decide(cwa_state *st, cwa_pass *p, cwa_block *b, klonos_reader *r, char *why, size_t why_len) {
  cwa_fit fit = pass_classify(p, b, why, why_len);
  if (fit == CWA_FIT_BAD) return 0;
  if (fit == CWA_FIT_AFTER_BREAK || fit == CWA_FIT_AFTER_JUMP) {
    int status;
    int agrees = successor_agrees(st, p, b, r, &status);
    if (status != KLONOS_OK) return status;
    int accept = agrees == 1 || (p->have_prev ? follows_last_anchor(p, b) : agrees < 0);
    if (!accept) {
      snprintf(why, why_len, "timestamp out of line with the blocks %s it",
               agrees == 0 ? (p->have_prev ? "before and after" : "after") : "before");
      return 0;
    }
  }
  pass_commit(p, b, fit);
  return 1;
}

/* Read blocks until one is accepted (into p->next) or the file ends. */
static int pass_load_next(cwa_state *st, cwa_pass *p, klonos_reader *r) {
  p->have_next = 0;
  while (p->next_index < st->n_blocks) {
    int64_t index = p->next_index++;
    if (fread(p->next_raw, 1, CWA_BLOCK_BYTES, st->f) != CWA_BLOCK_BYTES)
      return kl_reader_fail(r, KLONOS_E_IO, "block %lld (byte %lld): read failed: %s", (long long)index,
                            (long long)block_offset(index), ferror(st->f) ? strerror(errno) : "file got shorter");
    char why[160];
    cwa_block b;
    if (parse_block(p->next_raw, index, &b, why, sizeof why) == 0) {
      int decided = pass_decide(st, p, &b, r, why, sizeof why);
      if (decided < 0) return decided;
      if (decided == 1) {
        p->next = b;
        p->have_next = 1;
        return KLONOS_OK;
      }
    }
    pass_bad_block(st, p, r, index, why);
  }
  if (p->report && st->tail_bytes > 0) {
    /* A copy cut mid-block: the device always writes whole blocks. */
    r->stats.bad_blocks++;
    kl_reader_notice(r, KLONOS_NOTICE_BAD_BLOCK, hole_frame(st, p), 0.0,
                     "block %lld (byte %lld): truncated, only %lld of 512 bytes; skipped",
                     (long long)st->n_blocks, (long long)block_offset(st->n_blocks), (long long)st->tail_bytes);
  }
  return KLONOS_OK;
}

/* Make the next accepted block current, keeping one block of lookahead so
 * its chain's following anchor is known before its samples are timed. */
static int pass_advance(cwa_state *st, cwa_pass *p, klonos_reader *r) {
  int rc;
  if (!p->started) {
    p->started = 1;
    if (fseeko(st->f, (off_t)CWA_HEADER_BYTES, SEEK_SET) != 0)
      return kl_reader_fail(r, KLONOS_E_IO, "byte %d: seek failed: %s", CWA_HEADER_BYTES, strerror(errno));
    if ((rc = pass_load_next(st, p, r)) != KLONOS_OK) return rc;
  }
  p->have_cur = p->have_next;
  if (!p->have_cur) return KLONOS_OK;
  p->cur = p->next;
  memcpy(p->cur_raw, p->next_raw, CWA_BLOCK_BYTES);
  p->cur_pos = 0;
  return pass_load_next(st, p, r);
}

static double pass_sample_time(const cwa_pass *p, int j) {
  return timeline_time(&p->tl, p->cur.chain, p->cur.first_sample + j);
}

/* A sample is placed only when strictly after the last placed one (the
 * regridder's rule, same arithmetic); samples of a new chain that overlap
 * the previous chain's end are dropped. */
static int pass_placeable(const cwa_pass *p, double t_s) {
  return !p->have_pushed || (t_s - p->first_pushed_s) > (p->last_pushed_s - p->first_pushed_s);
}

static void pass_placed(cwa_pass *p, double t_s) {
  if (!p->have_pushed) {
    p->have_pushed = 1;
    p->first_pushed_s = t_s;
  }
  p->last_pushed_s = t_s;
}

/* Samples at the start of the current block that cannot be placed. Times
 * rise strictly within a block (anchors rise in both sample and time), so
 * once one sample is placeable all later ones are. */
static int pass_leading_drops(const cwa_pass *p) {
  int j = 0;
  while (j < p->cur.count && !pass_placeable(p, pass_sample_time(p, j))) j++;
  return j;
}

/* ---- sample decoding ------------------------------------------------------ */

/* Decode the current block to SI units in output order (acc x,y,z then gyro
 * x,y,z) and flag samples at the device's full-scale code. */
static void decode_block(cwa_state *st, const unsigned char *raw, const cwa_block *b) {
  const cwa_layout *l = &st->layout;
  const int nch = l->out_channels;
  const unsigned char *payload = raw + CWA_PAYLOAD_OFFSET;
  if (l->packed) {
    /* 10-bit values shifted left by the 2-bit exponent, 1/256 g. The
     * largest codes are 511 and -512 shifted by the exponent the range
     * needs (±8 g: 2044 and -2048, i.e. +7.984 g and -8 g). */
    int range_shift = 0;
    while ((512 << range_shift) < (int)(st->full_scale_g * 256.0) && range_shift < 3) range_shift++;
    const int clip_hi = 511 * (1 << range_shift), clip_lo = -512 * (1 << range_shift);
    const double to_mps2 = KLONOS_STANDARD_GRAVITY_MPS2 / 256.0;
    for (int i = 0; i < b->count; i++) {
      uint32_t v = le32(payload + 4 * i);
      int scale = 1 << (v >> 30);
      uint8_t clip = 0;
      for (int c = 0; c < 3; c++) {
        int x = (int)((v >> (10 * c)) & 0x3FFu);
        if (x >= 512) x -= 1024;
        x *= scale;
        if (x >= clip_hi || x <= clip_lo) clip |= (uint8_t)(1u << c);
        st->cur_values[i * nch + c] = (float)(x * to_mps2);
      }
      st->cur_clip[i] = clip;
    }
    return;
  }
  /* 16-bit: acc 1/2^(8+n) g with n the light word's top 3 bits; gyro range
   * 8000/2^m deg/s with m the next 3 bits, value * range / 32768. */
  const unsigned acc_bits = (b->light >> 13) & 7u, gyro_bits = (b->light >> 10) & 7u;
  const double counts_per_g = (double)(1u << (8u + acc_bits));
  const double acc_to_mps2 = KLONOS_STANDARD_GRAVITY_MPS2 / counts_per_g;
  double fs_counts = st->full_scale_g * counts_per_g;
  const int acc_hi = fs_counts - 1.0 < 32767.0 ? (int)(fs_counts - 1.0) : 32767;
  const int acc_lo = -fs_counts > -32768.0 ? (int)(-fs_counts) : -32768;
  const double gyro_dps = gyro_bits ? gyro_code_dps(gyro_bits) : st->gyro_dps_fallback;
  const double gyro_to_radps = gyro_dps / 32768.0 * (CWA_PI / 180.0);
  for (int i = 0; i < b->count; i++) {
    const unsigned char *s = payload + 2 * l->axes * i;
    uint8_t clip = 0;
    for (int c = 0; c < 3; c++) {
      int x = sle16(s + 2 * (l->acc_axis + c));
      if (x >= acc_hi || x <= acc_lo) clip |= (uint8_t)(1u << c);
      st->cur_values[i * nch + c] = (float)(x * acc_to_mps2);
    }
    if (l->gyro_axis >= 0) {
      for (int c = 0; c < 3; c++) {
        int x = sle16(s + 2 * (l->gyro_axis + c));
        if (x >= 32767 || x <= -32768) clip |= (uint8_t)(1u << (3 + c));
        st->cur_values[i * nch + 3 + c] = (float)(x * gyro_to_radps);
      }
    }
    st->cur_clip[i] = clip;
  }
}

/* ---- ops ------------------------------------------------------------------- */

static int probe(const char *path, const unsigned char *head, size_t head_len) {
  if (head_len >= 4 && head[0] == 'M' && head[1] == 'D' && le16(head + 2) == CWA_HEADER_LENGTH_FIELD) return 100;
  return kl_path_has_ext(path, "cwa") ? 10 : 0;
}

static void close_reader(klonos_reader *r) {
  cwa_state *st = r->state;
  if (!st) return;
  if (st->f) fclose(st->f);
  free(st);
  r->state = NULL;
}

/* The number of frames the regridder will deliver for samples placed from
 * first_s to last_s. Asked of the regridder itself, so the count follows
 * its grid tolerance by construction: a private instance is put in the
 * state it reaches after the last push (t_cur = last - first, the same
 * subtraction) and drains the last few grid points. With no previous
 * sample it only copies values, touching neither r nor its counters. */
static int64_t grid_frames(klonos_reader *r, double first_s, double last_s, double rate_hz) {
  kl_regrid g;
  kl_regrid_init(&g, 1, rate_hz, 1.0);
  g.have_cur = 1;
  g.t_first = first_s;
  g.t_cur = last_s - first_s;
  int64_t k0 = (int64_t)floor(g.t_cur * rate_hz) - 2; /* every grid point before k0 is surely inside */
  g.k = k0 > 0 ? k0 : 0;
  float scratch[8];
  while (kl_regrid_drain(&g, r, scratch, 8) == 8) {}
  return g.k;
}

/* The silent pass: learn the layout, the first and last sample times (hence
 * frame_count) and the measured rate. */
static int scan_blocks(klonos_reader *r, cwa_state *st, cwa_pass *scan) {
  int rc;
  while ((rc = pass_advance(st, scan, r)) == KLONOS_OK && scan->have_cur) {
    int j = pass_leading_drops(scan);
    if (j < scan->cur.count) {
      double t_s = pass_sample_time(scan, j);
      if (scan->have_pushed && t_s - scan->last_pushed_s > CWA_MAX_JUMP_S)
        return kl_reader_fail(r, KLONOS_E_TIME,
                              "block %lld (byte %lld): timestamps jump forward by %.0f days; refusing to fill such a gap",
                              (long long)scan->cur.index, (long long)block_offset(scan->cur.index),
                              (t_s - scan->last_pushed_s) / 86400.0);
      pass_placed(scan, t_s);
      pass_placed(scan, pass_sample_time(scan, scan->cur.count - 1));
    }
  }
  return rc;
}

static void fill_info(klonos_reader *r, const cwa_state *st, const cwa_pass *scan) {
  klonos_recording_info *info = &r->info;
  const cwa_layout *l = &st->layout;
  const char *model = model_name(st->hdr.hardware_type);
  char model_buf[16];
  if (!model) {
    snprintf(model_buf, sizeof model_buf, "hw 0x%02x", st->hdr.hardware_type);
    model = model_buf;
  }
  snprintf(info->format_detail, sizeof info->format_detail, "CWA %s %s", model, l->packed ? "packed" : "16-bit");
  if (l->axes != 3) {
    size_t n = strlen(info->format_detail);
    snprintf(info->format_detail + n, sizeof info->format_detail - n, " %d-axis", l->axes);
  }
  snprintf(info->device, sizeof info->device, "Axivity %s id %lu session %lu", model,
           (unsigned long)st->hdr.device_id, (unsigned long)st->hdr.session_id);
  info->source_channel_count = l->axes;
  for (int c = 0; c < l->axes && c < KLONOS_MAX_SOURCE_CHANNELS; c++) info->source_roles[c] = KLONOS_ROLE_IGNORED;
  for (int c = 0; c < 3; c++) info->source_roles[l->acc_axis + c] = KLONOS_ROLE_ACC_X + c;
  if (l->gyro_axis >= 0)
    for (int c = 0; c < 3; c++) info->source_roles[l->gyro_axis + c] = KLONOS_ROLE_GYRO_X + c;
  info->source_units = KLONOS_UNITS_G;
  info->channel_count = l->out_channels;
  info->nominal_rate_hz = st->nominal_hz;
  info->sample_rate_hz = st->out_rate_hz;
  info->measured_rate_hz = timeline_measured_hz(&scan->tl);
  info->frame_count = grid_frames(r, scan->first_pushed_s, scan->last_pushed_s, st->out_rate_hz);
  info->timestamped = 1;
  info->has_start_time = 1;
  info->start_time_unix_s = scan->base_unix_s + scan->first_pushed_s;
  kl_format_iso_time(info->start_time_unix_s, info->start_time_iso, sizeof info->start_time_iso);
  info->full_scale_g = st->full_scale_g;
  info->gyro_full_scale_dps = l->gyro_axis >= 0 ? st->gyro_dps_fallback : 0.0;
}

static int open_file(klonos_reader *r, cwa_state *st, unsigned char *head) {
  st->f = fopen(r->path, "rb");
  if (!st->f) return kl_reader_fail(r, KLONOS_E_IO, "cannot open: %s", strerror(errno));
  struct stat sb;
  if (fstat(fileno(st->f), &sb) != 0) return kl_reader_fail(r, KLONOS_E_IO, "cannot stat: %s", strerror(errno));
  const int64_t size = (int64_t)sb.st_size;
  size_t n = fread(head, 1, CWA_HEADER_BYTES, st->f);
  if (ferror(st->f)) return kl_reader_fail(r, KLONOS_E_IO, "byte 0: cannot read the header: %s", strerror(errno));
  if (n >= 4 && (head[0] != 'M' || head[1] != 'D' || le16(head + 2) != CWA_HEADER_LENGTH_FIELD))
    return kl_reader_fail(r, KLONOS_E_FORMAT,
                          "byte 0: not an Axivity CWA file (found %02x %02x, length %u; expected \"MD\", 1020)",
                          head[0], head[1], le16(head + 2));
  if (n < CWA_HEADER_BYTES || size < CWA_HEADER_BYTES)
    return kl_reader_fail(r, KLONOS_E_CORRUPT, "byte %lld: file ends inside the 1024-byte CWA header",
                          (long long)(size < (int64_t)n ? size : (int64_t)n));
  st->n_blocks = (size - CWA_HEADER_BYTES) / CWA_BLOCK_BYTES;
  st->tail_bytes = (size - CWA_HEADER_BYTES) % CWA_BLOCK_BYTES;
  return KLONOS_OK;
}

static int open_reader(klonos_reader *r) {
  cwa_state *st = calloc(1, sizeof *st);
  if (!st) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  r->state = st;
  unsigned char head[CWA_HEADER_BYTES];
  int rc = open_file(r, st, head);
  if (rc != KLONOS_OK) return rc;
  parse_header(head, &st->hdr);

  st->nominal_hz = rate_code_hz(st->hdr.rate_code);
  if ((st->hdr.rate_code & 0x0Fu) < CWA_MIN_RATE_NIBBLE)
    return kl_reader_fail(r, KLONOS_E_RATE,
                          "byte 36: rate code 0x%02x means %g Hz, not a documented AX3/AX6 rate (6.25 to 3200 Hz)",
                          st->hdr.rate_code, st->nominal_hz);
  if (kl_reader_check_rate(r, st->nominal_hz, "byte 36 (rate code)")) return r->status;
  st->full_scale_g = rate_code_range_g(st->hdr.rate_code);
  st->out_rate_hz = r->opt.rate_hz != 0.0 ? r->opt.rate_hz : st->nominal_hz;

  if (st->n_blocks == 0) {
    if (st->tail_bytes > 0)
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "byte %d: truncated: %lld bytes after the header, less than one 512-byte data block",
                            CWA_HEADER_BYTES, (long long)st->tail_bytes);
    return kl_reader_fail(r, KLONOS_E_EMPTY, "byte %d: header only, no data blocks", CWA_HEADER_BYTES);
  }

  /* The data blocks record what the sensor actually did: when the first
   * usable one disagrees with the header's rate code, believe the block. */
  cwa_pass *scan = malloc(sizeof *scan);
  if (!scan) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  pass_init(scan, 0, st->nominal_hz);
  rc = scan_blocks(r, st, scan);
  if (rc == KLONOS_OK && scan->have_ref && scan->ref_rate_code != st->hdr.rate_code) {
    kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                     "header rate code 0x%02x (byte 36) differs from the data blocks' 0x%02x; using the blocks'",
                     st->hdr.rate_code, scan->ref_rate_code);
    st->hdr.rate_code = scan->ref_rate_code;
    st->nominal_hz = rate_code_hz(scan->ref_rate_code);
    st->full_scale_g = rate_code_range_g(scan->ref_rate_code);
    if (r->opt.rate_hz == 0.0) st->out_rate_hz = st->nominal_hz;
    pass_init(scan, 0, st->nominal_hz); /* re-time with the right nominal rate */
    rc = scan_blocks(r, st, scan);
  }
  if (rc != KLONOS_OK) {
    free(scan);
    return rc;
  }
  if (!scan->have_pushed) {
    rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "none of the %lld data blocks is usable (block %lld at byte %lld: %s)",
                        (long long)st->n_blocks, (long long)scan->first_bad_index,
                        (long long)block_offset(scan->first_bad_index), scan->first_bad_why);
    free(scan);
    return rc;
  }
  layout_from_code(scan->ref_axes_bps, &st->layout);
  /* Gyro range: the first block's light word, else the header's sensor
   * configuration (byte 35), else Open Movement's default. */
  st->gyro_dps_fallback = CWA_DEFAULT_GYRO_DPS;
  if (st->hdr.sensor_config != 0x00 && st->hdr.sensor_config != 0xFF && (st->hdr.sensor_config & 0x0Fu))
    st->gyro_dps_fallback = gyro_code_dps(st->hdr.sensor_config & 0x0Fu);
  st->first_time_s = scan->first_pushed_s;
  fill_info(r, st, scan);
  unsigned block_gyro_bits = (scan->ref_light >> 10) & 7u;
  if (st->layout.gyro_axis >= 0 && block_gyro_bits) r->info.gyro_full_scale_dps = gyro_code_dps(block_gyro_bits);
  free(scan);

  pass_init(&st->pass, 1, st->nominal_hz);
  kl_regrid_init(&st->grid, st->layout.out_channels, st->out_rate_hz, r->opt.max_gap_s);
  return KLONOS_OK;
}

static int read_frames(klonos_reader *r, float *out, size_t max, size_t *got) {
  cwa_state *st = r->state;
  cwa_pass *p = &st->pass;
  const int nch = st->layout.out_channels;
  size_t n = 0;
  while (n < max) {
    n += kl_regrid_drain(&st->grid, r, out + n * (size_t)nch, max - n);
    if (n >= max) break;
    if (!p->have_cur || p->cur_pos >= p->cur.count) {
      int rc = pass_advance(st, p, r);
      if (rc != KLONOS_OK) return rc;
      if (!p->have_cur) break; /* every sample placed and drained */
      decode_block(st, p->cur_raw, &p->cur);
      snprintf(st->cur_where, sizeof st->cur_where, "block %lld (byte %lld)", (long long)p->cur.index,
               (long long)block_offset(p->cur.index));
      int drops = pass_leading_drops(p);
      if (drops > 0)
        kl_reader_notice(r, KLONOS_NOTICE_OTHER, frame_after(st, p->last_pushed_s), 0.0,
                         "%s: first %d samples overlap the previous block's time; dropped", st->cur_where, drops);
      continue;
    }
    int j = p->cur_pos++;
    double t_s = pass_sample_time(p, j);
    if (!pass_placeable(p, t_s)) continue;
    int rc = kl_regrid_push(&st->grid, r, t_s, st->cur_values + (size_t)j * (size_t)nch, st->cur_where);
    if (rc != KLONOS_OK) return rc;
    pass_placed(p, t_s);
    for (int c = 0; c < nch; c++)
      if (st->cur_clip[j] & (1u << c)) r->stats.clipped[c]++;
  }
  *got = n;
  return KLONOS_OK;
}

static int open_cwa(klonos_reader *r) {
  int rc = open_reader(r);
  if (rc == KLONOS_OK) r->counts_clipping = 1;
  return rc;
}

const klonos_reader_ops kl_cwa_ops = {"cwa", KLONOS_FORMAT_CWA, probe, open_cwa, read_frames, close_reader};
