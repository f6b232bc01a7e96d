/* CSV/TSV text reader.
 *
 * Tables of numbers exported by phones, loggers, MATLAB/Python scripts and
 * device software (Xsens MT Manager, Mobilise-D, ActiGraph, OMGUI). The file
 * is streamed line by line through one bounded buffer, so memory does not
 * depend on the file's length.
 *
 * open() works in three steps:
 *   1. layout: find the delimiter, the first data row, the optional header
 *      row and any preamble (which may state the sample rate);
 *   2. columns: pick time / acc / gyro columns by the `columns` option or by
 *      recognising header names, and their units;
 *   3. prescan: parse up to CSV_RATE_ROWS data rows to infer acceleration
 *      units and measure the timestamp rate, then rewind to the first row.
 * read() then parses rows, converts them to SI units and either copies them
 * out (untimed rows at a given rate) or pushes them through the shared
 * regridder (timestamped rows). See docs/format-csv.md for the rules. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "reader_priv.h"
#include "regrid.h"

#define CSV_LINE_MAX 65536   /* longest accepted line, bytes without its end of line */
#define CSV_SCAN_LINES 1000  /* non-blank lines searched for the first data row */
#define CSV_CONFIRM_ROWS 4   /* rows after the first data row checked for the same layout */
#define CSV_UNIT_ROWS 200    /* rows used to infer acceleration units */
#define CSV_RATE_ROWS 1000   /* rows used to measure the timestamp rate */
#define CSV_CELL_MAX 128     /* longest cell parsed as a number or time, bytes */
#define CSV_NAME_MAX 48      /* column name kept for messages */
#define CSV_SHOW_MAX 40      /* characters of a bad cell quoted in a message */
#define CSV_PI 3.14159265358979323846

/* Slots: the columns the reader uses. */
enum { SLOT_T = 0, SLOT_AX = 1, SLOT_GX = 4, N_SLOTS = 7 };

enum { TIME_NONE = 0, TIME_SECONDS = 1, TIME_ISO = 2 };

typedef struct csv_state {
  FILE *f;
  char *line;             /* CSV_LINE_MAX + 1 bytes */
  size_t len;
  int64_t line_no;        /* 1-based number of the line in `line` */
  char delim;             /* ',', ';', '\t', or ' ' for runs of blanks */
  int decimal_comma;      /* "1,5" means 1.5 (delimiter is not ',') */
  int ncols;              /* cells in every data row */
  int has_header;
  int64_t header_line_no;
  off_t data_off;         /* offset of the first data row */
  int64_t data_line_no;
  int col[N_SLOTS];       /* 0-based column per slot, -1 = unused */
  int order[N_SLOTS];     /* used slots sorted by column, for errors in reading order */
  int n_used;
  char name[N_SLOTS][CSV_NAME_MAX];
  int nch;                /* 3 or 6 */
  int time_kind;
  double time_scale_s;    /* seconds per unit of a numeric time column */
  double acc_scale;       /* source acceleration unit -> m/s^2 */
  double gyro_scale;      /* source angular-rate unit -> rad/s */
  double last_zone_offset_s;
  int have_time_base;
  double time_base;       /* whole part of the first row's time, in the column's unit */
  /* A sample-index column (PacketCounter, samples): checked for skipped numbers. */
  int index_col;
  char index_name[CSV_NAME_MAX];
  int index_tracking;
  double index_prev;
  int64_t index_jumps;
  double index_skipped;
  int64_t index_first_line, index_first_frame;
  int64_t rows_read;
  int timestamped;
  kl_regrid grid;
  int eof;
} csv_state;

/* ---------------------------------------------------------------- text -- */

/* ASCII-only classes: <ctype.h> follows the process locale. */
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_blank(int c) { return c == ' ' || c == '\t'; }
static int to_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

static int ascii_ieq(const char *a, size_t an, const char *b) {
  size_t bn = strlen(b);
  if (an != bn) return 0;
  for (size_t i = 0; i < an; i++)
    if (to_lower((unsigned char)a[i]) != to_lower((unsigned char)b[i])) return 0;
  return 1;
}

static int line_is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!is_blank((unsigned char)s[i])) return 0;
  return 1;
}

/* '#', '%' and '//' start comment lines (R, MATLAB/Octave, C-style exports). */
static int line_is_comment(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && is_blank((unsigned char)s[i])) i++;
  if (i == n) return 0;
  return s[i] == '#' || s[i] == '%' || (s[i] == '/' && i + 1 < n && s[i + 1] == '/');
}

/* ------------------------------------------------------------- numbers -- */

typedef enum { NUM_OK = 0, NUM_BAD = 1, NUM_NONFINITE = 2 } num_result;

static int is_nonfinite_word(const char *s, size_t n) {
  size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  const char *w = s + i;
  size_t wn = n - i;
  if (wn >= 3 && ascii_ieq(w, 3, "nan")) return 1; /* also "nan(0x..)", "NaN%" */
  return ascii_ieq(w, wn, "inf") || ascii_ieq(w, wn, "infinity");
}

/* mant * 10^exp10, exact (hence correctly rounded) when both factors are
 * exactly representable, the usual case for sensor exports. */
static double scale_pow10(uint64_t mant, int exp10) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double m = (double)mant;
  if (mant == 0) return 0.0;
  if (mant <= (UINT64_C(1) << 53)) {
    if (exp10 >= 0 && exp10 <= 22) return m * p10[exp10];
    if (exp10 < 0 && exp10 >= -22) return m / p10[-exp10];
  }
  /* Split the power so neither factor overflows or underflows on its own. */
  return m * pow(10.0, exp10 / 2) * pow(10.0, exp10 - exp10 / 2);
}

/* A decimal number as sign * mant * 10^exp10. */
typedef struct {
  int neg;
  uint64_t mant;
  int exp10;
} decimal_parts;

/* Parse a whole cell as a decimal number. Our own parser, because strtod
 * follows the process locale's decimal separator (the library must not
 * depend on setlocale) and accepts hex, "inf" and leading junk. */
static num_result parse_decimal_parts(const char *s, size_t n, int decimal_comma, decimal_parts *d) {
  while (n > 0 && is_blank((unsigned char)s[0])) { s++; n--; }
  while (n > 0 && is_blank((unsigned char)s[n - 1])) n--;
  if (n == 0) return NUM_BAD;
  if (is_nonfinite_word(s, n)) return NUM_NONFINITE;
  size_t i = 0;
  int sig = 0, digits = 0, seen_point = 0;
  memset(d, 0, sizeof *d);
  if (s[i] == '+' || s[i] == '-') d->neg = (s[i++] == '-');
  for (; i < n; i++) {
    char c = s[i];
    if (is_digit((unsigned char)c)) {
      digits++;
      if (d->mant == 0 && c == '0') { if (seen_point) d->exp10--; continue; }
      if (sig < 19) { d->mant = d->mant * 10u + (uint64_t)(c - '0'); sig++; if (seen_point) d->exp10--; }
      else if (!seen_point) d->exp10++; /* digits beyond 19 only scale */
    } else if (!seen_point && (c == '.' || (decimal_comma && c == ','))) {
      seen_point = 1;
    } else {
      break;
    }
  }
  if (digits == 0) return NUM_BAD;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    int eneg = 0, edigits = 0;
    long e = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) eneg = (s[i++] == '-');
    for (; i < n && is_digit((unsigned char)s[i]); i++, edigits++)
      if (e < 100000) e = e * 10 + (s[i] - '0');
    if (edigits == 0) return NUM_BAD;
    d->exp10 += (int)(eneg ? -e : e);
  }
  if (i != n) return NUM_BAD;
  if (!isfinite(scale_pow10(d->mant, d->exp10))) return NUM_NONFINITE; /* 1e999 */
  return NUM_OK;
}

static num_result parse_decimal(const char *s, size_t n, int decimal_comma, double *out) {
  decimal_parts d;
  num_result nr = parse_decimal_parts(s, n, decimal_comma, &d);
  if (nr == NUM_OK) *out = d.neg ? -scale_pow10(d.mant, d.exp10) : scale_pow10(d.mant, d.exp10);
  return nr;
}

/* Whole and fractional parts, each exact where a double can hold it: unix
 * times (1.6e9 s, 1.6e12 ms) keep their sub-microsecond digits. */
static void decimal_split(const decimal_parts *d, double *whole, double *frac) {
  double sign = d->neg ? -1.0 : 1.0;
  if (d->exp10 >= 0) {
    *whole = sign * scale_pow10(d->mant, d->exp10);
    *frac = 0.0;
  } else if (d->exp10 >= -19) {
    uint64_t p = 1;
    for (int k = 0; k < -d->exp10; k++) p *= 10u;
    *whole = sign * (double)(d->mant / p);
    *frac = sign * ((double)(d->mant % p) / (double)p);
  } else {
    *whole = 0.0;
    *frac = sign * scale_pow10(d->mant, d->exp10);
  }
}

/* --------------------------------------------------------------- times -- */

static int take_digits(const char *s, size_t n, size_t *i, int count, int *value) {
  int v = 0;
  for (int k = 0; k < count; k++) {
    if (*i >= n || !is_digit((unsigned char)s[*i])) return 0;
    v = v * 10 + (s[(*i)++] - '0');
  }
  *value = v;
  return 1;
}

static int days_in_month(int year, int month) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : dim[month - 1];
}

/* Fractional seconds ".123456" (or ",123"), returned as a fraction. */
static int take_fraction(const char *s, size_t n, size_t *i, double *frac) {
  double f = 0.0, unit = 0.1;
  int digits = 0;
  for (; *i < n && is_digit((unsigned char)s[*i]); (*i)++, digits++, unit *= 0.1) f += (s[*i] - '0') * unit;
  *frac = f;
  return digits > 0;
}

/* Zone "Z", "+hh", "+hh:mm" or "+hhmm": seconds east of UTC. */
static int take_zone(const char *s, size_t n, size_t *i, double *offset_s) {
  *offset_s = 0.0;
  if (*i == n) return 1;
  if (s[*i] == 'Z' || s[*i] == 'z') { (*i)++; return 1; }
  if (s[*i] != '+' && s[*i] != '-') return 0;
  int sign = s[(*i)++] == '-' ? -1 : 1, hh, mm = 0;
  if (!take_digits(s, n, i, 2, &hh)) return 0;
  if (*i < n && s[*i] == ':') (*i)++;
  if (*i < n && !take_digits(s, n, i, 2, &mm)) return 0;
  if (hh > 23 || mm > 59) return 0;
  *offset_s = sign * (hh * 3600.0 + mm * 60.0);
  return 1;
}

/* ISO-8601 "YYYY-MM-DD[T ]hh:mm[:ss[.fff]][zone]". The time as written
 * (device clock) is *wall_s whole seconds plus *frac_s; *offset_s is the
 * zone offset (0 when none). */
static int parse_iso_time(const char *s, size_t n, double *wall_s, double *frac_s, double *offset_s) {
  while (n > 0 && is_blank((unsigned char)s[0])) { s++; n--; }
  while (n > 0 && is_blank((unsigned char)s[n - 1])) n--;
  size_t i = 0;
  int y, mo, d, h, mi, sec = 0;
  double frac = 0.0;
  if (!take_digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-') return 0;
  if (!take_digits(s, n, &i, 2, &mo) || i >= n || s[i++] != '-') return 0;
  if (!take_digits(s, n, &i, 2, &d) || i >= n) return 0;
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return 0;
  i++;
  if (!take_digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':') return 0;
  if (!take_digits(s, n, &i, 2, &mi)) return 0;
  if (i < n && s[i] == ':') {
    i++;
    if (!take_digits(s, n, &i, 2, &sec)) return 0;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
      i++;
      if (!take_fraction(s, n, &i, &frac)) return 0;
    }
  }
  if (!take_zone(s, n, &i, offset_s) || i != n) return 0;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) return 0;
  *wall_s = kl_unix_time(y, mo, d, h, mi, sec);
  *frac_s = frac;
  return 1;
}

/* --------------------------------------------------------------- cells -- */

typedef struct {
  const char *s;
  size_t n;
  int quoted;
} cell_span;

typedef struct {
  const char *p, *end;
  char delim;
  int done;
} cell_iter;

static void cells_begin(cell_iter *it, const char *line, size_t len, char delim) {
  it->p = line;
  it->end = line + len;
  it->delim = delim;
  it->done = 0;
}

/* Past a double-quoted field starting at q ("" is an escaped quote). */
static const char *skip_quoted(const char *q, const char *end) {
  for (q++; q < end; q++) {
    if (*q != '"') continue;
    if (q + 1 < end && q[1] == '"') { q++; continue; }
    return q + 1;
  }
  return end;
}

/* Trim blanks; a tab is content only when it is the delimiter. */
static cell_span make_span(const char *a, const char *b, char delim) {
  while (a < b && (*a == ' ' || (*a == '\t' && delim != '\t'))) a++;
  while (b > a && (b[-1] == ' ' || (b[-1] == '\t' && delim != '\t'))) b--;
  cell_span c = {a, (size_t)(b - a), b > a && *a == '"'};
  return c;
}

/* Next cell of the line; 0 after the last. "a,,b," has 4 cells. */
static int cells_next(cell_iter *it, cell_span *cell) {
  if (it->done) return 0;
  const char *p = it->p, *end = it->end;
  if (it->delim == ' ') {
    while (p < end && is_blank((unsigned char)*p)) p++;
    if (p == end) { it->done = 1; return 0; }
    const char *q = *p == '"' ? skip_quoted(p, end) : p;
    while (q < end && !is_blank((unsigned char)*q)) q++;
    *cell = make_span(p, q, ' ');
    it->p = q;
    return 1;
  }
  const char *q = p;
  while (q < end && (*q == ' ' || (*q == '\t' && it->delim != '\t'))) q++;
  if (q < end && *q == '"') q = skip_quoted(q, end);
  while (q < end && *q != it->delim) q++;
  *cell = make_span(p, q, it->delim);
  if (q < end) it->p = q + 1;
  else it->done = 1;
  return 1;
}

/* Copy a cell's text (unquoted) into buf. Returns the full length, which
 * may exceed cap - 1 (then the copy is truncated). */
static size_t cell_text(const cell_span *c, char *buf, size_t cap) {
  size_t o = 0, full = 0;
  const char *s = c->s, *end = c->s + c->n;
  if (c->quoted) {
    for (s++; s < end; s++) {
      if (*s == '"') {
        if (s + 1 < end && s[1] == '"') s++;
        else break;
      }
      if (o + 1 < cap) buf[o++] = *s;
      full++;
    }
  } else {
    for (; s < end; s++, full++)
      if (o + 1 < cap) buf[o++] = *s;
  }
  if (cap) buf[o] = '\0';
  return full;
}

/* A cell shown in an error: at most CSV_SHOW_MAX printable characters. */
static void cell_show(const cell_span *c, char *buf, size_t cap) {
  char tmp[CSV_SHOW_MAX + 1];
  size_t full = cell_text(c, tmp, sizeof tmp);
  size_t o = 0;
  for (size_t i = 0; tmp[i] && o + 1 < cap; i++)
    buf[o++] = ((unsigned char)tmp[i] < 0x20 || tmp[i] == 0x7f) ? '?' : tmp[i];
  buf[o] = '\0';
  if (full > CSV_SHOW_MAX && o + 4 < cap) strcpy(buf + o, "...");
}

/* Parse a cell as a number (quotes removed first). */
static num_result cell_number(const cell_span *c, int decimal_comma, double *out) {
  if (!c->quoted) return parse_decimal(c->s, c->n, decimal_comma, out);
  char buf[CSV_CELL_MAX];
  size_t n = cell_text(c, buf, sizeof buf);
  if (n >= sizeof buf) return NUM_BAD;
  return parse_decimal(buf, n, decimal_comma, out);
}

static num_result cell_number_parts(const cell_span *c, int decimal_comma, decimal_parts *d) {
  if (!c->quoted) return parse_decimal_parts(c->s, c->n, decimal_comma, d);
  char buf[CSV_CELL_MAX];
  size_t n = cell_text(c, buf, sizeof buf);
  if (n >= sizeof buf) return NUM_BAD;
  return parse_decimal_parts(buf, n, decimal_comma, d);
}

static int cell_iso(const cell_span *c, double *wall_s, double *frac_s, double *offset_s) {
  char buf[CSV_CELL_MAX];
  size_t n = cell_text(c, buf, sizeof buf);
  if (n >= sizeof buf) return 0;
  return parse_iso_time(buf, n, wall_s, frac_s, offset_s);
}

/* Cells of a line under a delimiter, and how many look like data. */
static int count_cells(const char *line, size_t len, char delim, int *numeric) {
  cell_iter it;
  cell_span c;
  int n = 0, num = 0;
  double v, w, frac, off;
  cells_begin(&it, line, len, delim);
  while (cells_next(&it, &c)) {
    n++;
    if (cell_number(&c, delim != ',', &v) == NUM_OK || cell_iso(&c, &w, &frac, &off)) num++;
  }
  if (numeric) *numeric = num;
  return n;
}

/* ------------------------------------------------------------- names -- */

typedef enum { NAME_OTHER = 0, NAME_TIME, NAME_INDEX, NAME_ACC, NAME_GYRO } name_kind;

typedef struct {
  int kind;        /* name_kind */
  int axis;        /* 0..2 for ACC/GYRO */
  char unit[24];   /* unit text from "(...)", "[...]" or a "_unit" suffix, lower case */
} name_info;

static const char *const time_names[] = {
    "t", "time", "times", "timestamp", "timestamps", "sec", "secs", "second", "seconds", "elapsed",
    "elapsedtime", "timeelapsed", "datetime", "date", "dateandtime", "unix", "unixtime", "unixtimestamp",
    "epoch", "epochtime", "utc", "utctime", "loggingtime", "timesec", "timeseconds", "relativetime", NULL};
static const char *const index_names[] = {
    "samples", "sample", "sampleindex", "samplenumber", "samplenr", "samplenum", "sampleno", "index", "idx",
    "packetcounter", "packetcount", "counter", "framecounter", "framenumber", NULL};
/* Acceleration "<prefix><axis>" (the empty prefix: plain x, y, z). */
static const char *const acc_prefixes[] = {"", "a", "acc", "accel", "accelerometer", "acceleration",
                                           "accelerations", "accelerometers", NULL};
static const char *const acc_suffixes[] = {"axis", "acc", "accel", "acceleration", NULL};
static const char *const gyro_prefixes[] = {"g", "gyr", "gyro", "gyros", "gyroscope", "rot", "rotation",
                                            "rotationrate", "angularvelocity", "angularrate", "angvel",
                                            "w", "omega", NULL};
static const char *const gyro_suffixes[] = {"gyr", "gyro", "gyroscope", NULL};

static int in_list(const char *s, const char *const *list) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(s, list[i]) == 0) return 1;
  return 0;
}

/* Units, normalised: lower case, no blanks, '²'/'°'/'µ' spelt out. */
static int acc_unit_code(const char *u) {
  static const char *const g[] = {"g", "gs", "gravity", NULL};
  static const char *const mg[] = {"mg", "milli-g", "millig", NULL};
  static const char *const mps2[] = {"m/s^2", "m/s2", "m/s/s", "ms^-2", "ms-2", "m*s^-2", "m.s^-2", "m.s-2",
                                     "mps2", "mpss", "ms2", "m/(s^2)", "m/sec^2", NULL};
  if (in_list(u, g)) return KLONOS_UNITS_G;
  if (in_list(u, mg)) return KLONOS_UNITS_MG;
  if (in_list(u, mps2)) return KLONOS_UNITS_MPS2;
  return KLONOS_UNITS_AUTO;
}

static int gyro_unit_code(const char *u) {
  static const char *const dps[] = {"deg/s", "degs", "degps", "dps", "degrees/s", "degree/s", "deg.s-1",
                                    "deg*s^-1", "deg/sec", "degrees/sec", "degree/sec", NULL};
  static const char *const radps[] = {"rad/s", "rads", "radps", "rad.s-1", "rad*s^-1", "rad/sec", NULL};
  if (in_list(u, dps)) return KLONOS_UNITS_DPS;
  if (in_list(u, radps)) return KLONOS_UNITS_RADPS;
  return KLONOS_UNITS_AUTO;
}

/* Seconds per unit of a time column; 0 when the text is not a time unit. */
static double time_unit_scale(const char *u) {
  static const char *const s[] = {"s", "sec", "secs", "second", "seconds", NULL};
  static const char *const ms[] = {"ms", "msec", "millis", "millisecond", "milliseconds", NULL};
  static const char *const us[] = {"us", "usec", "microsecond", "microseconds", NULL};
  static const char *const ns[] = {"ns", "nsec", "nanosecond", "nanoseconds", NULL};
  if (in_list(u, s)) return 1.0;
  if (in_list(u, ms)) return 1e-3;
  if (in_list(u, us)) return 1e-6;
  if (in_list(u, ns)) return 1e-9;
  return 0.0;
}

static int is_unit_word(const char *u) {
  return acc_unit_code(u) != KLONOS_UNITS_AUTO || gyro_unit_code(u) != KLONOS_UNITS_AUTO ||
         time_unit_scale(u) > 0.0;
}

/* Lower-case ASCII copy with the common non-ASCII unit symbols spelt out. */
static void normalise_name(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < cap; p++) {
    if (p[0] == 0xC2 && p[1] == 0xB2) { out[o++] = '^'; out[o++] = '2'; p++; }      /* ² */
    else if (p[0] == 0xC2 && p[1] == 0xB0) { memcpy(out + o, "deg", 3); o += 3; p++; } /* ° */
    else if (p[0] == 0xC2 && p[1] == 0xB5) { out[o++] = 'u'; p++; }                 /* µ */
    else out[o++] = (char)to_lower(*p);
  }
  out[o] = '\0';
}

static void strip_blanks(char *s) {
  size_t o = 0;
  for (size_t i = 0; s[i]; i++)
    if (!is_blank((unsigned char)s[i])) s[o++] = s[i];
  s[o] = '\0';
}

/* Split "acceleration x (m/s^2)" / "acc_x [g]" / "time_ms" into base and unit. */
static void split_unit(char *low, char *unit, size_t unit_cap) {
  unit[0] = '\0';
  char *open = strpbrk(low, "([");
  if (open) {
    char *close = strchr(open + 1, *open == '(' ? ')' : ']');
    if (close) {
      size_t n = (size_t)(close - open - 1);
      if (n >= unit_cap) n = unit_cap - 1;
      memcpy(unit, open + 1, n);
      unit[n] = '\0';
      memmove(open, close + 1, strlen(close + 1) + 1);
      strip_blanks(unit);
      return;
    }
  }
  char *sep = NULL;
  for (char *p = low; *p; p++)
    if (*p == ' ' || *p == '_') sep = p;
  if (sep && sep > low && sep[1] && is_unit_word(sep + 1) && strlen(sep + 1) < unit_cap) {
    strcpy(unit, sep + 1);
    *sep = '\0';
  }
}

/* "<prefix><axis>" or "<axis><suffix>" with the prefix/suffix in a list. */
static int match_axis(const char *canon, const char *const *prefixes, const char *const *suffixes) {
  size_t n = strlen(canon);
  if (n == 0) return -1;
  char last = canon[n - 1], first = canon[0];
  if (last >= 'x' && last <= 'z') {
    char pre[64];
    if (n - 1 < sizeof pre) {
      memcpy(pre, canon, n - 1);
      pre[n - 1] = '\0';
      if (in_list(pre, prefixes)) return last - 'x';
    }
  }
  if (first >= 'x' && first <= 'z' && suffixes && in_list(canon + 1, suffixes)) return first - 'x';
  return -1;
}

/* Recognise a header name: time, sample index, acc or gyro axis, with units. */
static void classify_name(const char *name, name_info *ni) {
  char low[CSV_CELL_MAX], canon[CSV_CELL_MAX];
  memset(ni, 0, sizeof *ni);
  normalise_name(name, low, sizeof low);
  split_unit(low, ni->unit, sizeof ni->unit);
  size_t o = 0;
  for (size_t i = 0; low[i]; i++)
    if (is_digit((unsigned char)low[i]) || is_alpha((unsigned char)low[i])) canon[o++] = low[i];
  canon[o] = '\0';
  int axis;
  if (in_list(canon, time_names)) ni->kind = NAME_TIME;
  else if (in_list(canon, index_names)) ni->kind = NAME_INDEX;
  else if ((axis = match_axis(canon, acc_prefixes, acc_suffixes)) >= 0) { ni->kind = NAME_ACC; ni->axis = axis; }
  else if ((axis = match_axis(canon, gyro_prefixes, gyro_suffixes)) >= 0) { ni->kind = NAME_GYRO; ni->axis = axis; }
  else ni->kind = NAME_OTHER;
}

/* -------------------------------------------------------------- lines -- */

/* Read the next line into s->line (no end of line, NUL-terminated).
 * Returns 1, 0 at end of file, or an error code. LF, CRLF and CR end lines. */
static int read_line(klonos_reader *r, csv_state *s) {
  FILE *f = s->f;
  size_t len = 0;
  int c, any = 0;
  while ((c = getc_unlocked(f)) != EOF) {
    any = 1;
    if (c == '\n') break;
    if (c == '\r') {
      int d = getc_unlocked(f);
      if (d != '\n' && d != EOF) ungetc(d, f);
      break;
    }
    if (c == '\0')
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "line %lld: contains a NUL byte (binary data, not text)",
                            (long long)(s->line_no + 1));
    if (len == CSV_LINE_MAX)
      return kl_reader_fail(r, KLONOS_E_CORRUPT, "line %lld is longer than %d bytes (not a table of numbers?)",
                            (long long)(s->line_no + 1), CSV_LINE_MAX);
    s->line[len++] = (char)c;
  }
  if (ferror(f))
    return kl_reader_fail(r, KLONOS_E_IO, "read error after line %lld: %s", (long long)s->line_no, strerror(errno));
  if (!any) return 0;
  s->line_no++;
  s->line[len] = '\0';
  if (s->line_no == 1 && len >= 3 && memcmp(s->line, "\xEF\xBB\xBF", 3) == 0) {
    memmove(s->line, s->line + 3, len - 2); /* UTF-8 byte order mark */
    len -= 3;
  }
  s->len = len;
  return 1;
}

static int seek_line(klonos_reader *r, csv_state *s, off_t off, int64_t line_no) {
  if (fseeko(s->f, off, SEEK_SET) != 0)
    return kl_reader_fail(r, KLONOS_E_IO, "cannot seek back to line %lld: %s", (long long)line_no, strerror(errno));
  s->line_no = line_no - 1;
  return KLONOS_OK;
}

/* ------------------------------------------------------------- layout -- */

/* @p word in @p text, not inside a longer word. */
static int has_word(const char *text, const char *word) {
  size_t wn = strlen(word);
  for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
    if ((p == text || !is_alpha((unsigned char)p[-1])) && !is_alpha((unsigned char)p[wn])) return 1;
  return 0;
}

/* A preamble line stating the rate: "Acquisition frequency: 100 Hz",
 * "... at 30 Hz ...", "Sample rate = 50". Returns the rate or 0. */
static double preamble_rate_hz(const char *line, size_t len) {
  char low[512];
  size_t n = len < sizeof low - 1 ? len : sizeof low - 1;
  for (size_t i = 0; i < n; i++) low[i] = (char)to_lower((unsigned char)line[i]);
  low[n] = '\0';
  /* Narrow keywords: "rate" alone would catch "heart rate", "fs" "offset". */
  int keyword = strstr(low, "freq") || strstr(low, "sample rate") || strstr(low, "sampling rate") ||
                strstr(low, "samplerate") || strstr(low, "sample_rate") || strstr(low, "sampling_rate") ||
                has_word(low, "fs");
  for (size_t i = 0; i < n; i++) {
    if (!is_digit((unsigned char)low[i]) || (i > 0 && (is_alpha((unsigned char)low[i - 1]) ||
                                                       is_digit((unsigned char)low[i - 1]) || low[i - 1] == '.')))
      continue;
    size_t j = i;
    while (j < n && (is_digit((unsigned char)low[j]) || low[j] == '.')) j++;
    double v;
    if (parse_decimal(low + i, j - i, 0, &v) != NUM_OK) continue;
    size_t k = j;
    while (k < n && low[k] == ' ') k++;
    int khz = strncmp(low + k, "khz", 3) == 0, hz = strncmp(low + k, "hz", 2) == 0;
    size_t after = k + (khz ? 3 : 2);
    if ((hz || khz) && (after >= n || !is_alpha((unsigned char)low[after]))) return khz ? v * 1000.0 : v;
    if (keyword && k >= n) return v; /* "Sample rate: 50" at the end of the line */
  }
  return 0.0;
}

typedef struct {
  char delim;
  int found, settled, agree, count;
  off_t off;
  int64_t line_no;
  int have_prev; /* the non-blank, non-comment line just before the first data row */
  off_t prev_off;
  int64_t prev_line_no;
} delim_cand;

typedef struct {
  double rate_hz;   /* first rate stated before the data, 0 = none */
  int64_t rate_line;
  int single_numbers; /* lines holding one number: a one-column table */
} layout_notes;

/* Feed one line (non-blank, non-comment) to a delimiter candidate. */
static void cand_update(delim_cand *c, const char *line, size_t len, off_t off, int64_t line_no) {
  int numeric, count = count_cells(line, len, c->delim, &numeric);
  int data = count >= 2 && 2 * numeric > count;
  if (!c->found) {
    if (data) { c->found = 1; c->count = count; c->off = off; c->line_no = line_no; }
    else { c->have_prev = 1; c->prev_off = off; c->prev_line_no = line_no; }
    return;
  }
  if (c->settled) return;
  if (data && count == c->count) { if (++c->agree >= CSV_CONFIRM_ROWS) c->settled = 1; }
  else c->settled = 1;
}

/* Best candidate: most agreeing rows, then earliest data, then more columns,
 * then the order tab, ';', ','. Blank runs only when nothing else fits. */
static const delim_cand *pick_cand(const delim_cand *cands, int n) {
  const delim_cand *best = NULL;
  for (int i = 0; i < n; i++) {
    const delim_cand *c = &cands[i];
    if (!c->found || c->delim == ' ') continue;
    if (!best || c->agree > best->agree || (c->agree == best->agree && c->line_no < best->line_no) ||
        (c->agree == best->agree && c->line_no == best->line_no && c->count > best->count))
      best = c;
  }
  if (best) return best;
  /* Prose can hold a line of mostly numbers: blank runs need a second row
   * alike, unless that row is the last. */
  for (int i = 0; i < n; i++)
    if (cands[i].found && cands[i].delim == ' ' && (cands[i].agree >= 1 || !cands[i].settled)) return &cands[i];
  return NULL;
}

/* Step 1: delimiter, first data row, header row, stated rate. */
static int find_layout(klonos_reader *r, csv_state *s, layout_notes *notes) {
  delim_cand cands[4] = {{.delim = '\t'}, {.delim = ';'}, {.delim = ','}, {.delim = ' '}};
  int64_t scanned = 0, since_data = -1, since_blank_run = -1, nonblank = 0;
  memset(notes, 0, sizeof *notes);
  for (;;) {
    off_t off = ftello(s->f);
    int rc = read_line(r, s);
    if (rc < 0) return rc;
    if (rc == 0) break;
    if (line_is_blank(s->line, s->len)) continue;
    nonblank++;
    int comment = line_is_comment(s->line, s->len);
    /* Before the first row of numbers: a preamble, which may state the rate. */
    if (since_data < 0 && notes->rate_hz == 0.0) {
      notes->rate_hz = preamble_rate_hz(s->line, s->len);
      notes->rate_line = s->line_no;
    }
    if (comment) continue;
    int found = 0, blank_found = 0;
    for (int i = 0; i < 4; i++) {
      cand_update(&cands[i], s->line, s->len, off, s->line_no);
      if (cands[i].delim == ' ') blank_found = cands[i].found;
      else found |= cands[i].found;
    }
    if (found) {
      if (++since_data > CSV_CONFIRM_ROWS) break;
    } else if (blank_found) {
      /* Blank runs are the last resort: look further for a real delimiter. */
      if (++since_blank_run > 50) break;
    } else {
      double v;
      if (parse_decimal(s->line, s->len, 1, &v) == NUM_OK) notes->single_numbers++;
      if (++scanned >= CSV_SCAN_LINES)
        return kl_reader_fail(r, KLONOS_E_FORMAT, "no rows of numbers in the first %d lines: not a table of samples",
                              CSV_SCAN_LINES);
    }
  }
  const delim_cand *c = pick_cand(cands, 4);
  if (!c) {
    if (notes->single_numbers)
      return kl_reader_fail(r, KLONOS_E_CHANNELS,
                            "rows hold a single number (1 column); need x,y,z acceleration columns");
    if (nonblank == 0) return kl_reader_fail(r, KLONOS_E_EMPTY, "file holds no rows (only blank lines)");
    return kl_reader_fail(r, KLONOS_E_EMPTY, "no data rows: only a header or text (%lld line%s), no rows of numbers",
                          (long long)nonblank, nonblank == 1 ? "" : "s");
  }
  s->delim = c->delim;
  s->decimal_comma = c->delim != ',';
  s->ncols = c->count;
  s->data_off = c->off;
  s->data_line_no = c->line_no;
  if (notes->rate_line >= c->line_no) notes->rate_hz = 0.0; /* a number inside the data, not a preamble */
  if (c->have_prev) {
    int rc = seek_line(r, s, c->prev_off, c->prev_line_no);
    if (rc) return rc;
    if ((rc = read_line(r, s)) < 0) return rc;
    int numeric, count = count_cells(s->line, s->len, s->delim, &numeric);
    if (count == s->ncols && numeric < count) {
      s->has_header = 1;
      s->header_line_no = c->prev_line_no;
      if (notes->rate_line >= s->header_line_no) notes->rate_hz = 0.0;
    }
  }
  return KLONOS_OK;
}

/* ------------------------------------------------------------ columns -- */

static const char *const slot_names[N_SLOTS] = {"time", "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"};

/* "a, b, c" of the header names, for messages. */
static void list_header_names(const csv_state *s, char *buf, size_t cap) {
  cell_iter it;
  cell_span c;
  size_t o = 0;
  buf[0] = '\0';
  cells_begin(&it, s->line, s->len, s->delim);
  while (cells_next(&it, &c)) {
    char name[CSV_NAME_MAX];
    cell_text(&c, name, sizeof name);
    int n = snprintf(buf + o, cap - o, "%s'%s'", o ? ", " : "", name);
    if (n < 0 || (size_t)n >= cap - o) {
      if (cap > 4) strcpy(buf + cap - 4, "...");
      return;
    }
    o += (size_t)n;
  }
}

/* Column units and names from the header (s->line holds it). */
typedef struct {
  int acc_units, gyro_units;
  double time_scale_s;
  int xsens; /* Xsens MT Manager export: PacketCounter + Acc_/Gyr_ columns */
} header_units;

static void header_cell(const csv_state *s, int col, char *buf, size_t cap) {
  cell_iter it;
  cell_span c;
  int i = 0;
  buf[0] = '\0';
  cells_begin(&it, s->line, s->len, s->delim);
  while (cells_next(&it, &c))
    if (i++ == col) { cell_text(&c, buf, cap); return; }
}

/* Units stated by the names of the used columns. */
static void units_from_header(const csv_state *s, header_units *hu) {
  for (int slot = 0; slot < N_SLOTS; slot++) {
    if (s->col[slot] < 0) continue;
    char name[CSV_CELL_MAX];
    name_info ni;
    header_cell(s, s->col[slot], name, sizeof name);
    classify_name(name, &ni);
    if (!ni.unit[0]) continue;
    if (slot == SLOT_T && hu->time_scale_s == 0.0) hu->time_scale_s = time_unit_scale(ni.unit);
    else if (slot >= SLOT_GX && hu->gyro_units == KLONOS_UNITS_AUTO) hu->gyro_units = gyro_unit_code(ni.unit);
    else if (slot >= SLOT_AX && slot < SLOT_GX && hu->acc_units == KLONOS_UNITS_AUTO)
      hu->acc_units = acc_unit_code(ni.unit);
  }
}

static int set_column(klonos_reader *r, csv_state *s, int slot, int col, const char *what) {
  for (int k = 0; k < N_SLOTS; k++)
    if (k != slot && s->col[k] == col)
      return kl_reader_fail(r, KLONOS_E_CHANNELS, "%s: column %d is used twice (%s and %s)", what, col + 1,
                            slot_names[k], slot_names[slot]);
  s->col[slot] = col;
  return KLONOS_OK;
}

/* The `columns` option: "[t,]ax,ay,az[,gx,gy,gz]" by header name or 1-based index. */
static int columns_from_option(klonos_reader *r, csv_state *s) {
  char tok[N_SLOTS][CSV_CELL_MAX];
  int n = 0;
  const char *p = r->opt.columns;
  for (;;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    while (len && is_blank((unsigned char)*p)) { p++; len--; }
    while (len && is_blank((unsigned char)p[len - 1])) len--;
    if (n == N_SLOTS || len == 0 || len >= CSV_CELL_MAX)
      return kl_reader_fail(r, KLONOS_E_CHANNELS,
                            "columns \"%s\": expected 3, 4, 6 or 7 non-empty entries [t,]ax,ay,az[,gx,gy,gz]",
                            r->opt.columns);
    memcpy(tok[n], p, len);
    tok[n++][len] = '\0';
    if (!e) break;
    p = e + 1;
  }
  if (n != 3 && n != 4 && n != 6 && n != 7)
    return kl_reader_fail(r, KLONOS_E_CHANNELS,
                          "columns \"%s\" has %d entries; expected 3 (ax,ay,az), 4 (t,ax,ay,az), 6 (+gx,gy,gz) or 7",
                          r->opt.columns, n);
  int has_time = n == 4 || n == 7, first_slot = has_time ? SLOT_T : SLOT_AX;
  for (int i = 0; i < n; i++) {
    int slot = first_slot + i, col = -1;
    const char *t = tok[i];
    if (strspn(t, "0123456789") == strlen(t)) {
      long v = strtol(t, NULL, 10);
      if (v < 1 || v > s->ncols)
        return kl_reader_fail(r, KLONOS_E_CHANNELS, "columns: column %s does not exist (the rows have %d columns)", t,
                              s->ncols);
      col = (int)v - 1;
    } else if (!s->has_header) {
      return kl_reader_fail(r, KLONOS_E_CHANNELS,
                            "columns: '%s' is a name but the file has no header row; give 1-based column numbers", t);
    } else {
      cell_iter it;
      cell_span c;
      int k = 0;
      cells_begin(&it, s->line, s->len, s->delim);
      for (; cells_next(&it, &c); k++) {
        char name[CSV_CELL_MAX];
        size_t nn = cell_text(&c, name, sizeof name);
        if (nn < sizeof name && ascii_ieq(name, nn, t)) { col = k; break; }
      }
      if (col < 0) {
        char names[300];
        list_header_names(s, names, sizeof names);
        return kl_reader_fail(r, KLONOS_E_CHANNELS, "columns: no column named '%s'; the header (line %lld) has %s", t,
                              (long long)s->header_line_no, names);
      }
    }
    int rc = set_column(r, s, slot, col, "columns");
    if (rc) return rc;
  }
  s->nch = n >= 6 ? 6 : 3;
  return KLONOS_OK;
}

/* Auto-detect from header names. */
static int columns_from_header(klonos_reader *r, csv_state *s) {
  cell_iter it;
  cell_span c;
  int k = 0, gyro_found = 0;
  int gyro_col[3] = {-1, -1, -1};
  cells_begin(&it, s->line, s->len, s->delim);
  for (; cells_next(&it, &c); k++) {
    char name[CSV_CELL_MAX];
    name_info ni;
    cell_text(&c, name, sizeof name);
    classify_name(name, &ni);
    if (ni.kind == NAME_TIME && s->col[SLOT_T] < 0) s->col[SLOT_T] = k;
    else if (ni.kind == NAME_INDEX && s->index_col < 0) s->index_col = k;
    else if (ni.kind == NAME_ACC || ni.kind == NAME_GYRO) {
      int *dst = ni.kind == NAME_ACC ? &s->col[SLOT_AX + ni.axis] : &gyro_col[ni.axis];
      if (*dst >= 0) {
        char other[CSV_NAME_MAX];
        header_cell(s, *dst, other, sizeof other);
        return kl_reader_fail(r, KLONOS_E_CHANNELS,
                              "header: columns %d ('%s') and %d ('%s') both look like %s; choose with columns",
                              *dst + 1, other, k + 1, name, slot_names[(ni.kind == NAME_ACC ? SLOT_AX : SLOT_GX) + ni.axis]);
      }
      *dst = k;
      gyro_found += ni.kind == NAME_GYRO;
    }
  }
  if (s->col[SLOT_AX] < 0 || s->col[SLOT_AX + 1] < 0 || s->col[SLOT_AX + 2] < 0) {
    char names[300];
    list_header_names(s, names, sizeof names);
    return kl_reader_fail(r, KLONOS_E_CHANNELS,
                          "no x, y, z acceleration columns recognised in the header (line %lld: %s); "
                          "choose them with columns, e.g. \"t,ax,ay,az\"",
                          (long long)s->header_line_no, names);
  }
  if (gyro_found == 3)
    for (int a = 0; a < 3; a++) s->col[SLOT_GX + a] = gyro_col[a];
  s->nch = gyro_found == 3 ? 6 : 3;
  if (s->col[SLOT_T] >= 0) s->index_col = -1; /* real time wins over a counter */
  return KLONOS_OK;
}

/* Without header: 3 columns are x,y,z; 4 are t,x,y,z. */
static int columns_by_count(klonos_reader *r, csv_state *s) {
  if (s->ncols < 3)
    return kl_reader_fail(r, KLONOS_E_CHANNELS, "rows have only %d columns (line %lld); need x,y,z acceleration",
                          s->ncols, (long long)s->data_line_no);
  if (s->ncols > 4)
    return kl_reader_fail(r, KLONOS_E_CHANNELS,
                          "rows have %d columns and no header names them: say which to use with columns, "
                          "e.g. \"1,2,3,4\" for t,ax,ay,az",
                          s->ncols);
  int first = s->ncols == 4 ? SLOT_T : SLOT_AX;
  for (int i = 0; i < s->ncols; i++) s->col[first + i] = i;
  s->nch = 3;
  return KLONOS_OK;
}

/* Used slots sorted by column, names for messages, source roles. */
static void finish_columns(klonos_reader *r, csv_state *s) {
  static const int roles[N_SLOTS] = {KLONOS_ROLE_TIME,   KLONOS_ROLE_ACC_X,  KLONOS_ROLE_ACC_Y, KLONOS_ROLE_ACC_Z,
                                     KLONOS_ROLE_GYRO_X, KLONOS_ROLE_GYRO_Y, KLONOS_ROLE_GYRO_Z};
  s->n_used = 0;
  for (int slot = 0; slot < N_SLOTS; slot++) {
    if (s->col[slot] < 0) continue;
    int i = s->n_used++;
    while (i > 0 && s->col[s->order[i - 1]] > s->col[slot]) { s->order[i] = s->order[i - 1]; i--; }
    s->order[i] = slot;
    if (s->has_header) header_cell(s, s->col[slot], s->name[slot], sizeof s->name[slot]);
    if (!s->name[slot][0]) snprintf(s->name[slot], sizeof s->name[slot], "%s", slot_names[slot]);
  }
  if (s->index_col >= 0) header_cell(s, s->index_col, s->index_name, sizeof s->index_name);
  r->info.source_channel_count = s->ncols;
  for (int i = 0; i < KLONOS_MAX_SOURCE_CHANNELS; i++) r->info.source_roles[i] = KLONOS_ROLE_IGNORED;
  for (int slot = 0; slot < N_SLOTS; slot++)
    if (s->col[slot] >= 0 && s->col[slot] < KLONOS_MAX_SOURCE_CHANNELS) r->info.source_roles[s->col[slot]] = roles[slot];
  r->info.channel_count = s->nch;
}

/* Step 2. s->line holds the header when there is one. */
static int choose_columns(klonos_reader *r, csv_state *s, header_units *hu) {
  int rc;
  for (int i = 0; i < N_SLOTS; i++) s->col[i] = -1;
  s->index_col = -1;
  if (r->opt.columns[0]) rc = columns_from_option(r, s);
  else if (s->has_header) rc = columns_from_header(r, s);
  else rc = columns_by_count(r, s);
  if (rc) return rc;
  memset(hu, 0, sizeof *hu);
  if (s->has_header) {
    units_from_header(s, hu);
    if (s->index_col >= 0) {
      char name[CSV_CELL_MAX];
      header_cell(s, s->index_col, name, sizeof name);
      hu->xsens = ascii_ieq(name, strlen(name), "packetcounter");
    }
  }
  finish_columns(r, s);
  return KLONOS_OK;
}

/* ---------------------------------------------------------------- rows -- */

static int cell_error(klonos_reader *r, csv_state *s, int code, int slot, const cell_span *c, const char *what) {
  char shown[CSV_SHOW_MAX + 8];
  cell_show(c, shown, sizeof shown);
  if (c->n == 0)
    return kl_reader_fail(r, code, "line %lld, column %d (%s): empty cell", (long long)s->line_no,
                          s->col[slot] + 1, s->name[slot]);
  return kl_reader_fail(r, code, "line %lld, column %d (%s): '%s' %s", (long long)s->line_no, s->col[slot] + 1,
                        s->name[slot], shown, what);
}

/* The time cell, in seconds after the first row's whole second (s->time_base,
 * in the column's unit). Small relative times keep the regridder exact; an
 * absolute 1.6e9 s double would carry 2e-7 s of rounding. ISO cells count
 * the instant (wall clock minus zone offset), so a DST change keeps order. */
static int parse_time_cell(klonos_reader *r, csv_state *s, const cell_span *c, double *t_s) {
  double whole, frac, scale = 1.0;
  if (s->time_kind == TIME_ISO) {
    double off;
    if (!cell_iso(c, &whole, &frac, &off))
      return cell_error(r, s, KLONOS_E_TIME, SLOT_T, c, "is not an ISO-8601 date-time like 2021-06-27T16:52:20.123");
    s->last_zone_offset_s = off;
    whole -= off;
  } else {
    decimal_parts d;
    num_result nr = cell_number_parts(c, s->decimal_comma, &d);
    if (nr == NUM_NONFINITE) return cell_error(r, s, KLONOS_E_TIME, SLOT_T, c, "is not a finite time");
    if (nr != NUM_OK) return cell_error(r, s, KLONOS_E_TIME, SLOT_T, c, "is not a time in seconds");
    decimal_split(&d, &whole, &frac);
    scale = s->time_scale_s;
  }
  if (!s->have_time_base) {
    s->time_base = whole;
    s->have_time_base = 1;
  }
  *t_s = ((whole - s->time_base) + frac) * scale;
  return KLONOS_OK;
}

/* Next data row: 1 with raw[slot] (time in s, values in source units),
 * 0 at the end, or an error code. *index gets the sample-index cell when
 * there is one (NAN when it does not parse). */
static int next_row(klonos_reader *r, csv_state *s, double raw[N_SLOTS], double *index) {
  int rc;
  do {
    if ((rc = read_line(r, s)) <= 0) return rc;
  } while (line_is_blank(s->line, s->len) || line_is_comment(s->line, s->len));
  cell_span used[N_SLOTS], index_cell = {NULL, 0, 0};
  cell_iter it;
  cell_span c;
  int k = 0;
  cells_begin(&it, s->line, s->len, s->delim);
  for (; cells_next(&it, &c); k++) {
    for (int slot = 0; slot < N_SLOTS; slot++)
      if (s->col[slot] == k) used[slot] = c;
    if (k == s->index_col) index_cell = c;
  }
  if (k != s->ncols)
    return kl_reader_fail(r, KLONOS_E_CORRUPT, "line %lld: %d cell%s, expected %d like line %lld", (long long)s->line_no,
                          k, k == 1 ? "" : "s", s->ncols, (long long)s->data_line_no);
  for (int i = 0; i < s->n_used; i++) {
    int slot = s->order[i];
    if (slot == SLOT_T) {
      if ((rc = parse_time_cell(r, s, &used[slot], &raw[slot]))) return rc;
      continue;
    }
    num_result nr = cell_number(&used[slot], s->decimal_comma, &raw[slot]);
    if (nr == NUM_NONFINITE) return cell_error(r, s, KLONOS_E_VALUE, slot, &used[slot], "is not a finite number");
    if (nr != NUM_OK) return cell_error(r, s, KLONOS_E_VALUE, slot, &used[slot], "is not a number");
  }
  if (index) {
    *index = NAN;
    if (index_cell.s && cell_number(&index_cell, s->decimal_comma, index) != NUM_OK) *index = NAN;
  }
  return 1;
}

/* Raw row -> frame in m/s^2 and rad/s. */
static int convert_row(klonos_reader *r, csv_state *s, const double raw[N_SLOTS], float *v) {
  for (int ch = 0; ch < s->nch; ch++) {
    int slot = SLOT_AX + ch;
    double x = raw[slot] * (ch < 3 ? s->acc_scale : s->gyro_scale);
    if (fabs(x) > FLT_MAX)
      return kl_reader_fail(r, KLONOS_E_VALUE, "line %lld, column %d (%s): %g is out of range",
                            (long long)s->line_no, s->col[slot] + 1, s->name[slot], raw[slot]);
    v[ch] = (float)x;
  }
  return KLONOS_OK;
}

/* ------------------------------------------------------------- prescan -- */

typedef struct {
  int rows;
  double acc_mag[CSV_UNIT_ROWS];
  int n_acc;
  double dt[CSV_RATE_ROWS];
  int n_dt;
  double t_first, first_zone_offset_s; /* absolute: seconds (or the column's unit before the unit guess) */
  double gyro_max; /* largest |value| in the gyro columns, source units */
} prescan_result;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Decide between numeric and ISO time from the first data row's time cell. */
static void detect_time_kind(csv_state *s) {
  cell_iter it;
  cell_span c;
  int k = 0;
  double wall, frac, off;
  s->time_kind = TIME_NONE;
  if (s->col[SLOT_T] < 0) return;
  s->time_kind = TIME_SECONDS;
  cells_begin(&it, s->line, s->len, s->delim);
  for (; cells_next(&it, &c); k++)
    if (k == s->col[SLOT_T]) {
      if (cell_iso(&c, &wall, &frac, &off)) s->time_kind = TIME_ISO;
      return;
    }
}

/* Step 3: parse the first rows (errors there fail open), then rewind. */
static int prescan(klonos_reader *r, csv_state *s, prescan_result *p) {
  double raw[N_SLOTS], t_prev = 0.0;
  int rc = seek_line(r, s, s->data_off, s->data_line_no);
  if (rc) return rc;
  if ((rc = read_line(r, s)) < 0) return rc;
  detect_time_kind(s);
  if ((rc = seek_line(r, s, s->data_off, s->data_line_no))) return rc;
  memset(p, 0, sizeof *p);
  while (p->rows < CSV_RATE_ROWS && (rc = next_row(r, s, raw, NULL)) == 1) {
    if (s->time_kind != TIME_NONE) {
      if (p->rows == 0) {
        /* Absolute time of the first row, for the start time and the unit guess. */
        p->t_first = s->time_base * (s->time_kind == TIME_ISO ? 1.0 : s->time_scale_s) + raw[SLOT_T];
        p->first_zone_offset_s = s->last_zone_offset_s;
      }
      else {
        double dt = raw[SLOT_T] - t_prev;
        if (!(dt > 0.0)) /* worded like the regridder's check, which takes over after the prescan */
          return kl_reader_fail(r, KLONOS_E_TIME, "line %lld: timestamp %.6f s is %s the previous one (%.6f s)",
                                (long long)s->line_no, raw[SLOT_T], dt == 0.0 ? "a duplicate of" : "before", t_prev);
        p->dt[p->n_dt++] = dt;
      }
      t_prev = raw[SLOT_T];
    }
    if (p->n_acc < CSV_UNIT_ROWS)
      p->acc_mag[p->n_acc++] = sqrt(raw[1] * raw[1] + raw[2] * raw[2] + raw[3] * raw[3]);
    for (int a = 0; s->nch == 6 && a < 3; a++)
      if (fabs(raw[SLOT_GX + a]) > p->gyro_max) p->gyro_max = fabs(raw[SLOT_GX + a]);
    p->rows++;
  }
  if (rc < 0) return rc;
  if (p->rows == 0) return kl_reader_fail(r, KLONOS_E_EMPTY, "no data rows");
  return seek_line(r, s, s->data_off, s->data_line_no);
}

/* ---------------------------------------------------------- units/rate -- */

static double acc_scale_of(int units) {
  return units == KLONOS_UNITS_MPS2 ? 1.0
         : units == KLONOS_UNITS_MG ? KLONOS_STANDARD_GRAVITY_MPS2 / 1000.0
                                    : KLONOS_STANDARD_GRAVITY_MPS2;
}

/* Gravity's size tells the unit: ~1 g, ~9.8 m/s^2, ~1000 mg. */
static int infer_acc_units(double med) {
  if (med >= 0.5 && med <= 2.0) return KLONOS_UNITS_G;
  if (med >= 0.5 * KLONOS_STANDARD_GRAVITY_MPS2 && med <= 2.0 * KLONOS_STANDARD_GRAVITY_MPS2) return KLONOS_UNITS_MPS2;
  if (med >= 500.0 && med <= 2000.0) return KLONOS_UNITS_MG;
  return KLONOS_UNITS_AUTO;
}

static void choose_acc_units(klonos_reader *r, csv_state *s, const header_units *hu, prescan_result *p) {
  double med = median(p->acc_mag, p->n_acc);
  int units = hu->acc_units != KLONOS_UNITS_AUTO ? hu->acc_units : r->opt.units;
  if (hu->acc_units != KLONOS_UNITS_AUTO && r->opt.units != KLONOS_UNITS_AUTO && r->opt.units != hu->acc_units)
    kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0, "header says acceleration in %s; units option (%s) ignored",
                     klonos_units_name(hu->acc_units), klonos_units_name(r->opt.units));
  if (units == KLONOS_UNITS_AUTO) {
    units = infer_acc_units(med);
    if (units == KLONOS_UNITS_AUTO) {
      units = KLONOS_UNITS_G;
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                       "acceleration units not stated and median |acc| %.4g (first %d rows) is not near "
                       "1 g, 9.8 m/s^2 or 1000 mg: assumed g; pass units",
                       med, p->n_acc);
    } else {
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                       "acceleration units not stated: inferred %s from median |acc| %.4g over the first %d rows",
                       klonos_units_name(units), med, p->n_acc);
    }
  } else {
    double g = med * acc_scale_of(units) / KLONOS_STANDARD_GRAVITY_MPS2;
    if (g < 0.5 || g > 2.0)
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                       "acceleration declared in %s but median |acc| is %.4g %s (%.3g g): check the units",
                       klonos_units_name(units), med, klonos_units_name(units), g);
  }
  r->info.source_units = units;
  s->acc_scale = acc_scale_of(units);
}

static void choose_gyro_units(klonos_reader *r, csv_state *s, const header_units *hu, const prescan_result *p) {
  if (s->nch != 6) return;
  int units = hu->gyro_units != KLONOS_UNITS_AUTO ? hu->gyro_units : r->opt.gyro_units;
  int stated = units != KLONOS_UNITS_AUTO;
  /* Xsens MT Manager exports (PacketCounter, Acc_X.., Gyr_X..) write rad/s without saying so. */
  if (!stated) units = hu->xsens ? KLONOS_UNITS_RADPS : KLONOS_UNITS_DPS;
  if (!stated && units == KLONOS_UNITS_DPS && p->gyro_max < 1.0)
    kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                     "angular rate taken as deg/s but never exceeds %.3g in the first %d rows: if the file holds "
                     "rad/s, pass gyro_units",
                     p->gyro_max, p->rows);
  s->gyro_scale = units == KLONOS_UNITS_RADPS ? 1.0 : CSV_PI / 180.0;
}

/* Round a measured rate to a usual device rate when it is within 2 %. */
static double snap_rate_hz(double measured) {
  static const double usual[] = {1,   2,   4,   5,   8,   10,  12.5, 16,  20,   25,   30,   32,   50,  60,  64,
                                 100, 120, 125, 128, 200, 250, 256,  400, 500,  512,  800,  1000, 1024, 1600,
                                 2000, 3200};
  double best = 0.0;
  for (size_t i = 0; i < sizeof usual / sizeof usual[0]; i++)
    if (fabs(measured - usual[i]) <= 0.02 * usual[i] &&
        (best == 0.0 || fabs(measured - usual[i]) < fabs(measured - best)))
      best = usual[i];
  return best > 0.0 ? best : measured;
}

/* Measured rate: the mean rate over intervals up to twice the median (so
 * jitter averages out and gaps do not count). */
static double measure_rate_hz(prescan_result *p) {
  double tmp[CSV_RATE_ROWS];
  memcpy(tmp, p->dt, sizeof(double) * (size_t)p->n_dt);
  double med = median(tmp, p->n_dt), sum = 0.0;
  int kept = 0;
  for (int i = 0; i < p->n_dt; i++)
    if (p->dt[i] <= 2.0 * med) { sum += p->dt[i]; kept++; }
  return kept > 0 && sum > 0.0 ? kept / sum : 0.0;
}

/* Time column's unit when the header does not say: seconds, but values
 * above 1e11 cannot be seconds since 1970 (year 5138): milli/micro/nano.
 * The prescan ran in the header's unit (or seconds); rescale what it saw. */
static void choose_time_scale(klonos_reader *r, csv_state *s, const header_units *hu, prescan_result *p) {
  if (s->time_kind != TIME_SECONDS || hu->time_scale_s > 0.0 || fabs(p->t_first) <= 1e11) return;
  double a = fabs(p->t_first), f = a > 1e17 ? 1e-9 : a > 1e14 ? 1e-6 : 1e-3;
  kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0, "time column '%s' read as %s since 1970 (values near %.4g)",
                   s->name[SLOT_T], f == 1e-3 ? "milliseconds" : f == 1e-6 ? "microseconds" : "nanoseconds",
                   p->t_first);
  s->time_scale_s = f;
  p->t_first *= f;
  for (int i = 0; i < p->n_dt; i++) p->dt[i] *= f;
}

static int choose_rate(klonos_reader *r, csv_state *s, const layout_notes *notes, prescan_result *p) {
  char what[64];
  double stated = 0.0;
  if (notes->rate_hz > 0.0) {
    snprintf(what, sizeof what, "line %lld (preamble)", (long long)notes->rate_line);
    if (r->opt.rate_hz == 0.0 && kl_reader_check_rate(r, notes->rate_hz, what)) return r->status;
    stated = notes->rate_hz;
    r->info.nominal_rate_hz = stated;
  }
  if (r->opt.rate_hz > 0.0) r->info.nominal_rate_hz = stated > 0.0 ? stated : r->opt.rate_hz;
  if (s->time_kind == TIME_NONE) {
    double rate = r->opt.rate_hz > 0.0 ? r->opt.rate_hz : stated;
    if (rate <= 0.0) {
      if (s->index_col >= 0)
        return kl_reader_fail(r, KLONOS_E_RATE,
                              "column %d '%s' counts samples but gives no time, and the file states no rate: "
                              "pass the sample rate (rate_hz, --rate)",
                              s->index_col + 1, s->index_name);
      return kl_reader_fail(r, KLONOS_E_RATE,
                            "no time column and no stated sample rate: pass the sample rate (rate_hz, --rate)");
    }
    r->info.sample_rate_hz = rate;
    return KLONOS_OK;
  }
  if (p->n_dt > 0) r->info.measured_rate_hz = measure_rate_hz(p);
  double rate = r->opt.rate_hz > 0.0 ? r->opt.rate_hz : stated > 0.0 ? stated : snap_rate_hz(r->info.measured_rate_hz);
  if (rate <= 0.0)
    return kl_reader_fail(r, KLONOS_E_RATE,
                          "only one timestamped row: cannot measure a sample rate; pass it (rate_hz, --rate)");
  if (kl_reader_check_rate(r, rate, "timestamps")) return r->status;
  if (r->info.nominal_rate_hz == 0.0) r->info.nominal_rate_hz = rate;
  r->info.sample_rate_hz = rate;
  if (rate < 5.0 && r->opt.rate_hz == 0.0)
    kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                     "time column '%s' steps by %.3g s (%.3g Hz): if it is a sample index, pass columns and the rate",
                     s->name[SLOT_T], 1.0 / rate, rate);
  return KLONOS_OK;
}

/* Start time: ISO timestamps, or numeric ones that are plausibly unix seconds. */
static void choose_start(klonos_reader *r, csv_state *s, const prescan_result *p) {
  r->info.timestamped = s->time_kind != TIME_NONE;
  s->timestamped = r->info.timestamped;
  double wall = 0.0;
  if (s->time_kind == TIME_ISO) wall = p->t_first + p->first_zone_offset_s;
  else if (s->time_kind == TIME_SECONDS && p->t_first >= 946684800.0 && p->t_first < 4102444800.0) wall = p->t_first;
  else return;
  r->info.has_start_time = 1;
  r->info.start_time_unix_s = wall;
  kl_format_iso_time(wall, r->info.start_time_iso, sizeof r->info.start_time_iso);
}

static void describe(klonos_reader *r, const csv_state *s) {
  const char *d = s->delim == ',' ? "comma" : s->delim == ';' ? "semicolon" : s->delim == '\t' ? "tab" : "blank";
  const char *t = s->time_kind == TIME_ISO       ? "ISO times"
                  : s->time_kind == TIME_SECONDS ? "times in s"
                  : s->index_col >= 0            ? "sample index"
                                                 : "no time";
  char hdr[24]; /* sized so the whole detail fits its 64 bytes */
  int hline = s->header_line_no > 99999999 ? 99999999 : (int)s->header_line_no;
  if (s->has_header) snprintf(hdr, sizeof hdr, "header line %d", hline);
  else snprintf(hdr, sizeof hdr, "no header");
  snprintf(r->info.format_detail, sizeof r->info.format_detail, "%s-separated text, %s, %s", d, hdr, t);
}

/* ---------------------------------------------------------------- ops -- */

static int csv_probe(const char *path, const unsigned char *head, size_t n) {
  size_t i = (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF) ? 3 : 0;
  int digits = 0, delims = 0;
  while (i < n) {
    unsigned char c = head[i];
    if (c >= 0x80) { /* a UTF-8 sequence (one cut by the end of head is fine) */
      int need = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : -1;
      if (need < 0) return 0;
      for (int k = 1; k <= need && i + (size_t)k < n; k++)
        if ((head[i + (size_t)k] & 0xC0) != 0x80) return 0;
      i += (size_t)need + 1;
      continue;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return 0;
    digits += is_digit(c);
    delims += c == ',' || c == ';' || c == '\t' || c == ' ';
    i++;
  }
  int score = digits && delims ? 50 : 30; /* header-only or one-column text still gets a clear CSV error */
  if (kl_path_has_ext(path, "csv") || kl_path_has_ext(path, "tsv") || kl_path_has_ext(path, "txt")) score += 10;
  return score;
}

static void csv_close(klonos_reader *r) {
  csv_state *s = r->state;
  if (!s) return;
  if (s->f) fclose(s->f);
  free(s->line);
  free(s);
  r->state = NULL;
}

static int csv_open(klonos_reader *r) {
  csv_state *s = calloc(1, sizeof *s);
  if (!s) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  r->state = s;
  s->line = malloc(CSV_LINE_MAX + 1);
  if (!s->line) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  s->f = fopen(r->path, "rb");
  if (!s->f) return kl_reader_fail(r, KLONOS_E_IO, "cannot open: %s", strerror(errno));
  layout_notes notes;
  header_units hu;
  int rc = find_layout(r, s, &notes);
  if (rc) return rc;
  if ((rc = choose_columns(r, s, &hu))) return rc;
  prescan_result *p = malloc(sizeof *p); /* ~10 KB: keep it off the stack */
  if (!p) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  s->time_scale_s = hu.time_scale_s > 0.0 ? hu.time_scale_s : 1.0;
  rc = prescan(r, s, p);
  if (!rc) {
    choose_time_scale(r, s, &hu, p);
    rc = choose_rate(r, s, &notes, p);
  }
  if (!rc) {
    choose_acc_units(r, s, &hu, p);
    choose_gyro_units(r, s, &hu, p);
    choose_start(r, s, p);
  }
  free(p);
  if (rc) return rc;
  if (s->timestamped) kl_regrid_init(&s->grid, s->nch, r->info.sample_rate_hz, r->opt.max_gap_s);
  s->index_tracking = s->index_col >= 0 && !s->timestamped;
  r->info.frame_count = -1;
  r->info.full_scale_g = 0.0;
  describe(r, s);
  return KLONOS_OK;
}

/* Rows are taken as consecutive samples; a counter that skips numbers
 * (dropped radio packets) is reported once at the end. */
static void track_index(csv_state *s, double index) {
  if (!isfinite(index)) { s->index_tracking = 0; return; }
  if (s->rows_read > 0) {
    double step = index - s->index_prev;
    if (step > 1.0) {
      if (s->index_jumps++ == 0) { s->index_first_line = s->line_no; s->index_first_frame = s->rows_read; }
      s->index_skipped += step - 1.0;
    }
  }
  s->index_prev = index;
}

static void finish_stream(klonos_reader *r, csv_state *s) {
  s->eof = 1;
  if (s->index_tracking && s->index_jumps > 0)
    kl_reader_notice(r, KLONOS_NOTICE_OTHER, s->index_first_frame, s->index_skipped / r->info.sample_rate_hz,
                     "column '%s' skips %.0f sample numbers at %lld places (first at line %lld); rows were read as "
                     "consecutive samples",
                     s->index_name, s->index_skipped, (long long)s->index_jumps, (long long)s->index_first_line);
}

static int csv_read(klonos_reader *r, float *out, size_t max, size_t *got) {
  csv_state *s = r->state;
  const size_t nch = (size_t)s->nch;
  size_t n = 0;
  *got = 0;
  while (n < max) {
    if (s->timestamped) {
      n += kl_regrid_drain(&s->grid, r, out + n * nch, max - n);
      if (n == max) break;
    }
    if (s->eof) break;
    double raw[N_SLOTS], index = NAN;
    float v[KLONOS_MAX_FRAME_CHANNELS];
    int rc = next_row(r, s, raw, s->index_tracking ? &index : NULL);
    if (rc < 0) return rc;
    if (rc == 0) { finish_stream(r, s); continue; }
    if ((rc = convert_row(r, s, raw, v))) return rc;
    if (s->index_tracking) track_index(s, index);
    s->rows_read++;
    if (s->timestamped) {
      char where[40];
      snprintf(where, sizeof where, "line %lld", (long long)s->line_no);
      if ((rc = kl_regrid_push(&s->grid, r, raw[SLOT_T], v, where))) return rc;
    } else {
      memcpy(out + n * nch, v, sizeof(float) * nch);
      n++;
    }
  }
  *got = n;
  return KLONOS_OK;
}

const klonos_reader_ops kl_csv_ops = {"csv", KLONOS_FORMAT_CSV, csv_probe, csv_open, csv_read, csv_close};
