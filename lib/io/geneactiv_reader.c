/* GENEActiv .bin: a text file (CR LF lines, "Key:Value") with a header of
 * sections ("Device Identity" ... "Calibration Data", "Memory Status") and
 * then pages. Each page is the line "Recorded Data", 8 "Key:Value" lines
 * (serial, sequence number, "Page Time:YYYY-MM-DD hh:mm:ss:mmm", unassigned,
 * temperature, battery, status, "Measurement Frequency") and one line of
 * 3600 hex digits: 300 samples of 48 bits, most significant first, x, y, z
 * (12-bit two's complement each), light (10 bits), button (1), reserved (1).
 *
 * Spec: GENEActiv Operating Instructions, "Decoding .bin files" (Activinsights);
 * calibration g = (raw * 100 - offset) / gain per axis, as in the
 * manufacturer's software and GGIRread's GENEActivReader.
 *
 * Timing: every page carries its own time. Samples inside a page are spread
 * evenly up to the next page's time when the two pages are contiguous (the
 * header's "85.7 Hz" is rounded; the device's true rate is 600/7 Hz), else at
 * the page's stated frequency, and all samples go through the shared
 * regridder (regrid.h) onto a uniform grid at the header's rate: missing or
 * skipped pages become NaN frames and gap notices. Bad pages (bad hex, wrong
 * length, unreadable time) are skipped with a notice and counted in
 * bad_blocks; a page cut off by the end of the file likewise.
 *
 * Memory: one line buffer and two decoded pages (the current page and the
 * next, for its time), whatever the file's length. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_priv.h"
#include "regrid.h"

#define GA_SAMPLES_PER_PAGE 300
#define GA_HEX_PER_SAMPLE 12
#define GA_HEX_LINE_LEN (GA_SAMPLES_PER_PAGE * GA_HEX_PER_SAMPLE)
#define GA_LINE_MAX 8192          /* longer lines are cut (and a data line is then bad) */
#define GA_MAX_HEADER_LINES 10000 /* the real header has ~60 lines */
#define GA_MAX_PAGE_KEYS 16       /* the spec has 8 "Key:Value" lines per page */
#define GA_RAW_MAX 2047           /* 12-bit two's complement limits: clipped */
#define GA_RAW_MIN (-2048)
/* Two pages are contiguous when the second starts within this fraction of
 * a page's nominal length of where the first would end. */
#define GA_CONTIGUOUS_TOL 0.02

typedef struct ga_page {
  int64_t t_ms;     /* page time, ms since 1970 on the device clock (exact) */
  double rate_hz;   /* the page's Measurement Frequency (else the header's) */
  long long seq;    /* Sequence Number, -1 when absent */
  long long number; /* 1-based position among the file's pages */
  float v[GA_SAMPLES_PER_PAGE][3]; /* m/s^2 */
  int64_t clipped[3];
} ga_page;

typedef struct ga_state {
  FILE *f;
  char line[GA_LINE_MAX];
  size_t len;          /* characters in line (NULs kept, CR LF removed) */
  int line_cut;        /* the line was longer than GA_LINE_MAX */
  int line_at_eof;     /* the line ended at the end of the file, not at '\n' */
  long long line_no;
  int eof;
  int pending_page;    /* a "Recorded Data" line was already read */

  double gain[3], offset[3];
  int have_cal;        /* bit mask: gains 1,2,4; offsets 8,16,32 */
  double header_rate_hz;
  long long declared_pages;
  long long pages_seen;     /* "Recorded Data" lines met */
  long long pages_good;

  ga_page page[2];
  int cur;             /* index of the current page in page[] */
  int have_cur, have_next;
  int cur_sample;      /* next sample of the current page to push */
  double cur_dt_s;     /* sample spacing inside the current page */
  double last_dt_s;    /* spacing used for the previous contiguous page */
  int64_t last_page_t_ms;
  double last_page_rate_hz;
  int64_t t0_ms;       /* the first good page's time: times pushed are relative to it */
  int have_last_page_t;
  char where[64];      /* names the current page in messages */
  int done;            /* every page pushed */
  kl_regrid grid;
} ga_state;

/* ------------------------------------------------------------ text --- */

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Read the next line into s->line. Returns 1 with a line, 0 at the end of
 * the file, or KLONOS_E_IO. Memory stays bounded: a longer line is cut. */
static int next_line(klonos_reader *r, ga_state *s) {
  s->len = 0;
  s->line_cut = 0;
  s->line_at_eof = 0;
  if (s->eof) return 0;
  int c;
  int any = 0;
  while ((c = getc_unlocked(s->f)) != EOF) {
    any = 1;
    if (c == '\n') break;
    if (s->len < GA_LINE_MAX - 1) s->line[s->len++] = (char)c;
    else s->line_cut = 1;
  }
  if (c == EOF) {
    if (ferror(s->f)) return kl_reader_fail(r, KLONOS_E_IO, "line %lld: read error", s->line_no + 1);
    s->eof = 1;
    s->line_at_eof = 1;
    if (!any) return 0;
  }
  s->line_no++;
  /* CR LF per the spec; also trailing blanks and NUL padding of fields. */
  while (s->len > 0 && (s->line[s->len - 1] == '\r' || s->line[s->len - 1] == ' ' ||
                        s->line[s->len - 1] == '\t' || s->line[s->len - 1] == '\0'))
    s->len--;
  s->line[s->len] = '\0';
  return 1;
}

static int line_is(const ga_state *s, const char *text) {
  return s->len == strlen(text) && memcmp(s->line, text, s->len) == 0;
}

/* Split "Key:Value" (value trimmed of blanks and NULs). 0 when no ':'. */
static int split_key(ga_state *s, const char **key, size_t *key_len, const char **val, size_t *val_len) {
  const char *colon = memchr(s->line, ':', s->len);
  if (!colon) return 0;
  *key = s->line;
  *key_len = (size_t)(colon - s->line);
  while (*key_len > 0 && (*key)[*key_len - 1] == ' ') (*key_len)--;
  const char *v = colon + 1;
  const char *end = s->line + s->len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  const char *nul = end > v ? memchr(v, '\0', (size_t)(end - v)) : NULL;
  if (nul) end = nul;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
  *val = v;
  *val_len = (size_t)(end - v);
  return 1;
}

static int key_is(const char *key, size_t len, const char *name) {
  size_t n = strlen(name);
  if (len != n) return 0;
  for (size_t i = 0; i < n; i++) {
    int a = (unsigned char)key[i], b = (unsigned char)name[i];
    if (a >= 'A' && a <= 'Z') a += 32;
    if (b >= 'A' && b <= 'Z') b += 32;
    if (a != b) return 0;
  }
  return 1;
}

/* A decimal number at the start of s[0..n) ("85.7 Hz", "-662"). Our own
 * parser: strtod follows the process locale's decimal separator. */
static int parse_number(const char *s, size_t n, double *out, size_t *used) {
  size_t i = 0;
  while (i < n && s[i] == ' ') i++;
  int neg = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  uint64_t mant = 0;
  int exp10 = 0, digits = 0, point = 0;
  for (; i < n; i++) {
    if (is_digit((unsigned char)s[i])) {
      if (mant < UINT64_C(100000000000000000)) {
        mant = mant * 10 + (uint64_t)(s[i] - '0');
        if (point) exp10--;
      } else if (!point) {
        exp10++;
      }
      digits++;
    } else if (s[i] == '.' && !point) {
      point = 1;
    } else {
      break;
    }
  }
  if (!digits) return 0;
  double v = (double)mant;
  /* Exact powers of ten up to 1e22 keep "85.7" correctly rounded. */
  if (exp10 < 0) v /= pow(10.0, -exp10);
  else if (exp10 > 0) v *= pow(10.0, exp10);
  *out = neg ? -v : v;
  if (used) *used = i;
  return 1;
}

static int take_int(const char *s, size_t n, size_t *i, int max_digits, int *value) {
  int v = 0, k = 0;
  while (*i < n && k < max_digits && is_digit((unsigned char)s[*i])) v = v * 10 + (s[(*i)++] - '0'), k++;
  if (k == 0) return 0;
  *value = v;
  return 1;
}

/* "YYYY-MM-DD hh:mm:ss:mmm" (the spec; a '.' before the milliseconds and
 * missing zero padding are accepted). */
static int parse_time(const char *s, size_t n, int64_t *unix_ms) {
  int y, mo, d, h, mi, se, ms = 0;
  size_t i = 0;
  if (!take_int(s, n, &i, 4, &y) || i >= n || s[i++] != '-') return 0;
  if (!take_int(s, n, &i, 2, &mo) || i >= n || s[i++] != '-') return 0;
  if (!take_int(s, n, &i, 2, &d) || i >= n || s[i++] != ' ') return 0;
  if (!take_int(s, n, &i, 2, &h) || i >= n || s[i++] != ':') return 0;
  if (!take_int(s, n, &i, 2, &mi) || i >= n || s[i++] != ':') return 0;
  if (!take_int(s, n, &i, 2, &se)) return 0;
  if (i < n && (s[i] == ':' || s[i] == '.')) {
    i++;
    size_t start = i;
    if (!take_int(s, n, &i, 3, &ms)) return 0;
    for (size_t k = i - start; k < 3; k++) ms *= 10; /* ":5" is 500 ms */
  }
  if (i != n) return 0;
  if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return 0;
  *unix_ms = (int64_t)llround(kl_unix_time(y, mo, d, h, mi, se)) * 1000 + ms;
  return 1;
}

/* ---------------------------------------------------------- header --- */

typedef struct ga_header_text {
  char serial[24], type[24], model[24], firmware[40], time_zone[24];
  double range_g;
} ga_header_text;

static void copy_value(char *dst, size_t cap, const char *v, size_t n) {
  if (n >= cap) n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = '\0';
}

static void header_pair(ga_state *s, ga_header_text *h, const char *k, size_t kn, const char *v, size_t vn) {
  static const char *const cal_keys[6] = {"x gain", "y gain", "z gain", "x offset", "y offset", "z offset"};
  double num;
  for (int i = 0; i < 6; i++)
    if (key_is(k, kn, cal_keys[i]) && parse_number(v, vn, &num, NULL)) {
      if (i < 3) s->gain[i] = num; else s->offset[i - 3] = num;
      s->have_cal |= 1 << i;
      return;
    }
  if (key_is(k, kn, "Device Unique Serial Code")) copy_value(h->serial, sizeof h->serial, v, vn);
  else if (key_is(k, kn, "Device Type")) copy_value(h->type, sizeof h->type, v, vn);
  else if (key_is(k, kn, "Device Model")) copy_value(h->model, sizeof h->model, v, vn);
  else if (key_is(k, kn, "Device Firmware Version")) copy_value(h->firmware, sizeof h->firmware, v, vn);
  else if (key_is(k, kn, "Time Zone")) copy_value(h->time_zone, sizeof h->time_zone, v, vn);
  else if (key_is(k, kn, "Measurement Frequency") && parse_number(v, vn, &num, NULL)) s->header_rate_hz = num;
  else if (key_is(k, kn, "Number of Pages") && parse_number(v, vn, &num, NULL)) s->declared_pages = (long long)num;
  else if (key_is(k, kn, "Accelerometer Range")) {
    /* "-8 to 8" */
    size_t used = 0;
    double lo, hi;
    if (parse_number(v, vn, &lo, &used)) {
      const char *rest = v + used;
      size_t rn = vn - used;
      while (rn > 0 && !(is_digit((unsigned char)*rest) || *rest == '-')) rest++, rn--;
      h->range_g = fabs(lo);
      if (parse_number(rest, rn, &hi, NULL) && fabs(hi) > h->range_g) h->range_g = fabs(hi);
    }
  }
}

static int read_header(klonos_reader *r, ga_state *s, ga_header_text *h) {
  int rc = next_line(r, s);
  if (rc < 0) return rc;
  /* A UTF-8 byte order mark is not in the spec but costs nothing to allow. */
  if (rc == 1 && s->len >= 3 && memcmp(s->line, "\xEF\xBB\xBF", 3) == 0) {
    memmove(s->line, s->line + 3, s->len - 2);
    s->len -= 3;
  }
  if (rc == 0 || !line_is(s, "Device Identity"))
    return kl_reader_fail(r, KLONOS_E_FORMAT, "line 1: expected 'Device Identity' (not a GENEActiv .bin file)");
  for (;;) {
    rc = next_line(r, s);
    if (rc < 0) return rc;
    if (rc == 0) break;
    if (line_is(s, "Recorded Data")) {
      s->pending_page = 1;
      break;
    }
    if (s->line_no > GA_MAX_HEADER_LINES)
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "line %lld: no 'Recorded Data' page after %d header lines",
                            s->line_no, GA_MAX_HEADER_LINES);
    const char *k, *v;
    size_t kn, vn;
    if (split_key(s, &k, &kn, &v, &vn)) header_pair(s, h, k, kn, v, vn);
  }
  static const char *const cal_names[6] = {"x gain", "y gain", "z gain", "x offset", "y offset", "z offset"};
  for (int i = 0; i < 6; i++)
    if (!(s->have_cal & (1 << i)))
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "header (up to line %lld): 'Calibration Data' lacks '%s'",
                            s->line_no, cal_names[i]);
  for (int i = 0; i < 3; i++)
    /* gain = 100 x LSB per g; ~25600 for the +-8 g 12-bit sensor. */
    if (!isfinite(s->gain[i]) || s->gain[i] < 1000.0 || s->gain[i] > 1e6)
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "header: calibration '%c gain' %g is not plausible (expected 1000..1e6, typically ~25600)",
                            'x' + i, s->gain[i]);
  if (!s->pending_page)
    return kl_reader_fail(r, KLONOS_E_EMPTY, "no data pages: the file ends after the header (line %lld)", s->line_no);
  return KLONOS_OK;
}

/* ----------------------------------------------------------- pages --- */

static int64_t frame_of_time(const klonos_reader *r, const ga_state *s, int64_t t_ms) {
  if (!s->grid.have_cur) return 0;
  double f = (double)(t_ms - s->t0_ms) / 1000.0 * r->info.sample_rate_hz;
  return f > 0 ? (int64_t)llround(f) : 0;
}

static void bad_page(klonos_reader *r, ga_state *s, int64_t t_ms, int have_t, const char *fmt, const char *detail) {
  r->stats.bad_blocks++;
  kl_reader_notice(r, KLONOS_NOTICE_BAD_BLOCK, have_t ? frame_of_time(r, s, t_ms) : s->grid.k, 0.0,
                   "page %lld (line %lld): %s%s; page skipped", s->pages_seen, s->line_no, fmt, detail);
}

/* Decode the 3600 hex digits of one page. Returns 0, or the 1-based column
 * of the first bad character. */
static size_t decode_hex(const ga_state *s, ga_page *p) {
  const char *hex = s->line;
  memset(p->clipped, 0, sizeof p->clipped);
  for (int i = 0; i < GA_SAMPLES_PER_PAGE; i++) {
    uint64_t word = 0;
    for (int k = 0; k < GA_HEX_PER_SAMPLE; k++) {
      size_t col = (size_t)i * GA_HEX_PER_SAMPLE + (size_t)k;
      int d = hex_value((unsigned char)hex[col]);
      if (d < 0) return col + 1;
      word = word << 4 | (uint64_t)d;
    }
    /* x: bits 47..36, y: 35..24, z: 23..12; light/button/reserved below. */
    for (int c = 0; c < 3; c++) {
      int raw = (int)((word >> (36 - 12 * c)) & 0xFFF);
      if (raw >= 2048) raw -= 4096;
      if (raw >= GA_RAW_MAX || raw <= GA_RAW_MIN) p->clipped[c]++;
      double g = (raw * 100.0 - s->offset[c]) / s->gain[c];
      p->v[i][c] = (float)(g * KLONOS_STANDARD_GRAVITY_MPS2);
    }
  }
  return 0;
}

/* Read the page whose "Recorded Data" line was just read. Returns 1 with a
 * good page in *p, 0 when the page was bad (skipped, reported) and 2 at the
 * end of the file (a cut page reported), or an error. */
static int read_one_page(klonos_reader *r, ga_state *s, ga_page *p) {
  s->pages_seen++;
  p->t_ms = 0;
  p->rate_hz = s->header_rate_hz;
  p->seq = -1;
  p->number = s->pages_seen;
  int have_t = 0, bad_time = 0;
  for (int keys = 0;; keys++) {
    int rc = next_line(r, s);
    if (rc < 0) return rc;
    if (rc == 0) {
      bad_page(r, s, p->t_ms, have_t, "the file ends inside the page header (truncated file)", "");
      return 2;
    }
    if (line_is(s, "Recorded Data")) {
      s->pending_page = 1;
      bad_page(r, s, p->t_ms, have_t, "no data line before the next 'Recorded Data'", "");
      return 0;
    }
    const char *k, *v;
    size_t kn, vn;
    if (!split_key(s, &k, &kn, &v, &vn)) break; /* the data line */
    if (keys >= GA_MAX_PAGE_KEYS) {
      bad_page(r, s, p->t_ms, have_t, "more than 16 header lines and no data line", "");
      return 0;
    }
    double num;
    if (key_is(k, kn, "Page Time")) {
      have_t = parse_time(v, vn, &p->t_ms);
      bad_time = !have_t;
    } else if (key_is(k, kn, "Measurement Frequency") && parse_number(v, vn, &num, NULL) && num > 0 && num <= 100000) {
      p->rate_hz = num;
    } else if (key_is(k, kn, "Sequence Number") && parse_number(v, vn, &num, NULL)) {
      p->seq = (long long)num;
    }
  }
  char detail[96];
  if (s->len != GA_HEX_LINE_LEN || s->line_cut) {
    snprintf(detail, sizeof detail, " (%zu%s of %d hex characters)", s->len, s->line_cut ? "+" : "", GA_HEX_LINE_LEN);
    if (s->line_at_eof && s->len < GA_HEX_LINE_LEN) {
      bad_page(r, s, p->t_ms, have_t, "the file ends inside the data line (truncated file)", detail);
      return 2;
    }
    bad_page(r, s, p->t_ms, have_t, "data line has the wrong length", detail);
    return 0;
  }
  size_t col = decode_hex(s, p);
  if (col) {
    snprintf(detail, sizeof detail, " at column %zu", col);
    bad_page(r, s, p->t_ms, have_t, "bad hexadecimal digit", detail);
    return 0;
  }
  if (!have_t) {
    bad_page(r, s, 0, 0, bad_time ? "unreadable 'Page Time'" : "no 'Page Time'", "");
    return 0;
  }
  if (!(p->rate_hz > 0.0)) {
    bad_page(r, s, p->t_ms, 1, "no 'Measurement Frequency' in the page or the header", "");
    return 0;
  }
  if (s->have_last_page_t) {
    /* The previous page must have had time for at least half its samples. */
    double min_step_s = 0.5 * GA_SAMPLES_PER_PAGE / s->last_page_rate_hz;
    double step_s = (double)(p->t_ms - s->last_page_t_ms) / 1000.0;
    if (step_s < min_step_s) {
      snprintf(detail, sizeof detail, " (%.3f s after the previous page; a page lasts %.3f s)", step_s,
               GA_SAMPLES_PER_PAGE / s->last_page_rate_hz);
      bad_page(r, s, p->t_ms, 1, "'Page Time' overlaps the previous page", detail);
      return 0;
    }
  }
  s->last_page_t_ms = p->t_ms;
  s->last_page_rate_hz = p->rate_hz;
  s->have_last_page_t = 1;
  s->pages_good++;
  return 1;
}

/* Load the next good page into *p. 1 = loaded, 0 = end of file. */
static int load_page(klonos_reader *r, ga_state *s, ga_page *p) {
  for (;;) {
    if (!s->pending_page) {
      /* Between pages only blank lines are expected. */
      int rc;
      for (;;) {
        rc = next_line(r, s);
        if (rc <= 0) break;
        if (line_is(s, "Recorded Data")) break;
        if (s->len == 0) continue;
        r->stats.bad_blocks++;
        kl_reader_notice(r, KLONOS_NOTICE_BAD_BLOCK, s->grid.k, 0.0,
                         "line %lld: unexpected text between pages ('%.40s'); skipped", s->line_no, s->line);
      }
      if (rc < 0) return rc;
      if (rc == 0) return 0;
    }
    s->pending_page = 0;
    int rc = read_one_page(r, s, p);
    if (rc < 0) return rc;
    if (rc == 1) return 1;
    if (rc == 2) return 0;
  }
}

/* Spacing of the current page's samples: up to the next page when the two
 * are contiguous (this absorbs the rounding of "85.7 Hz"), else the page's
 * stated rate. */
static double page_dt(const ga_state *s) {
  const ga_page *cur = &s->page[s->cur];
  double nominal = GA_SAMPLES_PER_PAGE / cur->rate_hz;
  if (s->have_next) {
    double span = (double)(s->page[1 - s->cur].t_ms - cur->t_ms) / 1000.0;
    if (span <= nominal * (1.0 + GA_CONTIGUOUS_TOL)) return span / GA_SAMPLES_PER_PAGE;
  } else if (s->last_dt_s > 0 && fabs(s->last_dt_s * cur->rate_hz - 1.0) < GA_CONTIGUOUS_TOL) {
    return s->last_dt_s; /* the last page: keep the measured spacing */
  }
  return 1.0 / cur->rate_hz;
}

static void start_page(klonos_reader *r, ga_state *s) {
  const ga_page *p = &s->page[s->cur];
  s->cur_sample = 0;
  s->cur_dt_s = page_dt(s);
  s->last_dt_s = s->cur_dt_s;
  for (int c = 0; c < 3; c++) r->stats.clipped[c] += p->clipped[c];
  if (p->seq >= 0) snprintf(s->where, sizeof s->where, "page %lld (sequence %lld)", p->number, p->seq);
  else snprintf(s->where, sizeof s->where, "page %lld", p->number);
}

/* Make page[cur] hold unpushed samples and page[1-cur] the one after it. */
static int advance(klonos_reader *r, ga_state *s) {
  if (s->have_cur && s->cur_sample < GA_SAMPLES_PER_PAGE) return 1;
  if (s->have_cur) {
    s->have_cur = 0;
    if (s->have_next) {
      s->cur = 1 - s->cur;
      s->have_next = 0;
      s->have_cur = 1;
    }
  }
  if (!s->have_cur) {
    int rc = load_page(r, s, &s->page[s->cur]);
    if (rc <= 0) return rc;
    s->have_cur = 1;
  }
  int rc = load_page(r, s, &s->page[1 - s->cur]);
  if (rc < 0) return rc;
  s->have_next = rc == 1;
  start_page(r, s);
  return 1;
}

/* -------------------------------------------------------------- ops --- */

static int ga_probe(const char *path, const unsigned char *head, size_t n) {
  (void)path;
  static const char magic[] = "Device Identity";
  size_t off = n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  if (n >= off + sizeof magic - 1 && memcmp(head + off, magic, sizeof magic - 1) == 0) return 100;
  return 0;
}

static void ga_close(klonos_reader *r) {
  ga_state *s = r->state;
  if (!s) return;
  if (s->f) fclose(s->f);
  free(s);
  r->state = NULL;
}

static void describe(klonos_reader *r, const ga_header_text *h) {
  klonos_recording_info *in = &r->info;
  const char *model = h->model[0] ? h->model : "(model unknown)";
  if (h->serial[0]) snprintf(in->device, sizeof in->device, "GENEActiv %s serial %s", model, h->serial);
  else snprintf(in->device, sizeof in->device, "GENEActiv %s", model);
  if (h->firmware[0]) {
    size_t n = strlen(in->device);
    snprintf(in->device + n, sizeof in->device - n, ", firmware %s", h->firmware);
  }
  if (h->time_zone[0])
    snprintf(in->format_detail, sizeof in->format_detail, "GENEActiv bin (clock %s)", h->time_zone);
  else
    snprintf(in->format_detail, sizeof in->format_detail, "GENEActiv bin");
}

/* The output rate. The header states the rate rounded to 0.1 Hz ("85.7");
 * the device samples at 600/n Hz (100, 85.714, 75, 66.667, ...; the real
 * file has 300 samples per 3.500 s page). When the page times confirm such a
 * rate, frames are placed at it, so every sample lands on the grid unchanged
 * (at 85.7 Hz the grid would drift across the samples and interpolation
 * would halve single-sample peaks); otherwise the stated rate. */
static double device_rate_hz(double stated_hz, double measured_hz) {
  if (!(stated_hz > 0) || !(measured_hz > 0)) return stated_hz;
  double n = round(600.0 / stated_hz);
  if (n < 1) return stated_hz;
  double exact = 600.0 / n;
  if (fabs(exact - stated_hz) <= 0.05 + 1e-9 && fabs(measured_hz - exact) <= 1e-3 * exact) return exact;
  return stated_hz;
}

static int ga_open(klonos_reader *r) {
  ga_state *s = calloc(1, sizeof *s);
  if (!s) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  r->state = s;
  s->declared_pages = -1;
  s->f = fopen(r->path, "rb");
  if (!s->f) return kl_reader_fail(r, KLONOS_E_IO, "cannot open");
  ga_header_text h;
  memset(&h, 0, sizeof h);
  int rc = read_header(r, s, &h);
  if (rc) return rc;

  klonos_recording_info *in = &r->info;
  if (s->header_rate_hz > 0 && kl_reader_check_rate(r, s->header_rate_hz, "header 'Measurement Frequency'"))
    return r->status;
  in->nominal_rate_hz = s->header_rate_hz;
  /* Until the first page is known (it may state the rate), notices use this. */
  in->sample_rate_hz = r->opt.rate_hz > 0 ? r->opt.rate_hz : s->header_rate_hz > 0 ? s->header_rate_hz : 100.0;
  in->channel_count = 3;
  in->source_channel_count = 5;
  in->source_roles[0] = KLONOS_ROLE_ACC_X;
  in->source_roles[1] = KLONOS_ROLE_ACC_Y;
  in->source_roles[2] = KLONOS_ROLE_ACC_Z;
  in->source_roles[3] = KLONOS_ROLE_AUX; /* light */
  in->source_roles[4] = KLONOS_ROLE_AUX; /* button */
  in->source_units = KLONOS_UNITS_G;
  in->full_scale_g = h.range_g > 0 ? h.range_g : 8.0;
  in->frame_count = -1;
  in->timestamped = 1;
  r->counts_clipping = 1;
  describe(r, &h);

  rc = load_page(r, s, &s->page[0]);
  if (rc < 0) return rc;
  if (rc == 0)
    return kl_reader_fail(r, KLONOS_E_EMPTY, "no complete data page (%lld page%s seen, all skipped: see the notices)",
                          s->pages_seen, s->pages_seen == 1 ? "" : "s");
  s->cur = 0;
  s->have_cur = 1;
  s->t0_ms = s->page[0].t_ms;
  if (!(in->nominal_rate_hz > 0)) in->nominal_rate_hz = s->page[0].rate_hz;
  rc = load_page(r, s, &s->page[1]);
  if (rc < 0) return rc;
  s->have_next = rc == 1;
  start_page(r, s);
  if (s->have_next && fabs(s->cur_dt_s * s->page[0].rate_hz - 1.0) < GA_CONTIGUOUS_TOL)
    in->measured_rate_hz = 1.0 / s->cur_dt_s;
  in->sample_rate_hz = r->opt.rate_hz > 0 ? r->opt.rate_hz : device_rate_hz(in->nominal_rate_hz, in->measured_rate_hz);
  if (kl_reader_check_rate(r, in->sample_rate_hz, "output")) return r->status;

  in->has_start_time = 1;
  in->start_time_unix_s = (double)s->t0_ms / 1000.0;
  kl_format_iso_time(in->start_time_unix_s, in->start_time_iso, sizeof in->start_time_iso);
  kl_regrid_init(&s->grid, 3, in->sample_rate_hz, r->opt.max_gap_s);
  return KLONOS_OK;
}

static void report_short_file(klonos_reader *r, ga_state *s) {
  if (s->declared_pages > 0 && s->pages_seen < s->declared_pages)
    kl_reader_notice(r, KLONOS_NOTICE_OTHER, s->grid.k, 0.0,
                     "the header declares %lld pages ('Number of Pages') but the file holds %lld (%lld readable)",
                     s->declared_pages, s->pages_seen, s->pages_good);
}

static int ga_read(klonos_reader *r, float *out, size_t max, size_t *got) {
  ga_state *s = r->state;
  size_t n = 0;
  while (n < max) {
    n += kl_regrid_drain(&s->grid, r, out + 3 * n, max - n);
    if (n == max || s->done) break;
    int rc = advance(r, s);
    if (rc < 0) return rc;
    if (rc == 0) {
      s->done = 1;
      report_short_file(r, s);
      break;
    }
    const ga_page *p = &s->page[s->cur];
    double t = (double)(p->t_ms - s->t0_ms) / 1000.0 + s->cur_sample * s->cur_dt_s;
    rc = kl_regrid_push(&s->grid, r, t, p->v[s->cur_sample], s->where);
    if (rc) return rc;
    s->cur_sample++;
  }
  *got = n;
  return KLONOS_OK;
}

const klonos_reader_ops kl_geneactiv_ops = {"geneactiv", KLONOS_FORMAT_GENEACTIV, ga_probe, ga_open, ga_read, ga_close};
