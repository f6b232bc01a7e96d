/* EDF, EDF+, BDF and BDF+ (European Data Format; BioSemi's 24-bit variant),
 * read through EDFlib (Teuniz, https://gitlab.com/Teuniz/EDFlib; the API is
 * documented in edflib.h). Specs: https://www.edfplus.info/specs/ .
 *
 * Channels: the accelerometer signals are chosen by the columns option
 * ("x,y,z[,gx,gy,gz]" as labels or 1-based signal numbers; EDFlib's
 * numbering, which leaves out EDF+ annotation signals) or else found by
 * label ("Acc X", "ACC_X", "AccX", "Accelerometer X", "aX", "X", ... and
 * "Gyro X", "GyrX", "gX", ... for an optional gyroscope). Units come from each
 * signal's physical dimension ("g", "mg", "m/s^2", "m/s2"; "deg/s", "dps",
 * "rad/s").
 *
 * Rates: every signal has its own samples per data record. Output frames
 * are at the highest rate among the accelerometer signals (or rate_hz), and
 * each channel is linearly interpolated at the frame times t = k / rate
 * (sample j of a signal with n samples per record of D seconds lies at
 * j * D / n). Past a slower signal's last sample its last value is held.
 * Linear interpolation adds no anti-alias filter: when rate_hz asks for a
 * lower rate than a signal's, that signal is decimated, not filtered.
 *
 * EDF+ annotations become notices (KLONOS_NOTICE_OTHER) with their onset, so
 * that clinicians' marks show up next to the data.
 *
 * Memory: one buffer of EDF_CHUNK samples per chosen signal; EDFlib keeps
 * the header and the annotation list (not the samples) in memory. */
#include <edflib.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reader_priv.h"

#define EDF_CHUNK 4096
#define EDF_FIXED_HEADER 256
#define EDF_SIGNAL_HEADER 256 /* bytes per signal in the header */
#define EDF_SPR_OFFSET 216    /* "nr of samples in each data record" within the signal table, per signal */
#define EDF_ANNOT_TEXT_MAX 120

/* EDFlib's open and close are not thread-safe (edflib.h, "EDFlib and
 * thread-safety"): they share its table of open files. This lock is the one
 * piece of process-wide state here, and guards only those two calls. */
static pthread_mutex_t edflib_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct edf_chan {
  int sig;              /* EDFlib signal number (annotation signals excluded) */
  int n_per_record;     /* samples per data record */
  long long total;      /* samples in the file */
  double to_si;         /* physical unit -> m/s^2 or rad/s */
  double clip_hi, clip_lo; /* physical values at (or beyond) the digital limits */
  double *buf;
  int64_t buf_start;
  int buf_len;
  int64_t counted_upto; /* samples before this were checked for clipping */
} edf_chan;

typedef struct edf_state {
  int handle;           /* EDFlib handle, -1 when closed */
  struct edf_hdr_struct *hdr; /* ~170 KiB: on the heap */
  int nch;
  edf_chan ch[KLONOS_MAX_FRAME_CHANNELS];
  double out_per_record; /* output frames per data record */
  int64_t frames_total;
  int64_t k;            /* next output frame */
} edf_state;

/* ------------------------------------------------------------- text --- */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* Copy a header string without its padding blanks. */
static void trimmed(char *dst, size_t cap, const char *src) {
  while (*src == ' ') src++;
  size_t n = strlen(src);
  while (n > 0 && src[n - 1] == ' ') n--;
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* A label reduced to lower-case letters and digits, cut at a unit in
 * brackets: "Acc_X [g]" -> "accx". */
static void normalise_label(char *dst, size_t cap, const char *label) {
  size_t n = 0;
  for (const char *p = label; *p && *p != '[' && *p != '(' && n + 1 < cap; p++) {
    int c = lower((unsigned char)*p);
    if ((c >= 'a' && c <= 'z') || is_digit(c)) dst[n++] = (char)c;
  }
  dst[n] = '\0';
}

static int same_text_nocase(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (lower((unsigned char)*a) != lower((unsigned char)*b)) return 0;
  return *a == *b;
}

/* An ASCII integer field of the raw header ("  3 " -> 3). */
static int field_int(const unsigned char *p, size_t len, long long *out) {
  size_t i = 0;
  while (i < len && p[i] == ' ') i++;
  int neg = 0;
  if (i < len && (p[i] == '-' || p[i] == '+')) neg = p[i++] == '-';
  long long v = 0;
  int digits = 0;
  for (; i < len && is_digit(p[i]); i++, digits++) {
    if (v > 100000000000LL) return 0;
    v = v * 10 + (p[i] - '0');
  }
  while (i < len && p[i] == ' ') i++;
  if (!digits || i != len) return 0;
  *out = neg ? -v : v;
  return 1;
}

/* ---------------------------------------------------- header checks --- */

/* Check the size fields ourselves before EDFlib opens the file: EDFlib
 * reports every inconsistency as one "format error", and a truncated
 * recording deserves a message that says so. */
static int precheck(klonos_reader *r) {
  FILE *f = fopen(r->path, "rb");
  if (!f) return kl_reader_fail(r, KLONOS_E_IO, "cannot open");
  unsigned char h[EDF_FIXED_HEADER];
  size_t n = fread(h, 1, sizeof h, f);
  int rc = KLONOS_OK;
  long long ns = 0, header_bytes = 0, records = 0, record_bytes = 0;
  int bdf = n >= 8 && h[0] == 0xFF && memcmp(h + 1, "BIOSEMI", 7) == 0;
  int edf = n >= 8 && memcmp(h, "0       ", 8) == 0;
  if (!edf && !bdf) {
    rc = kl_reader_fail(r, KLONOS_E_FORMAT, "byte 0: the version field is neither '0' (EDF) nor 0xFF 'BIOSEMI' (BDF)");
  } else if (n < sizeof h) {
    rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "truncated: the file ends inside the %d-byte header (%zu bytes)",
                        EDF_FIXED_HEADER, n);
  } else if (!field_int(h + 252, 4, &ns) || ns < 1 || ns > EDFLIB_MAXSIGNALS) {
    rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "header byte 252: number of signals '%.4s' is not 1..%d", (const char *)h + 252,
                        EDFLIB_MAXSIGNALS);
  } else if (!field_int(h + 184, 8, &header_bytes) || header_bytes != EDF_SIGNAL_HEADER * (ns + 1)) {
    rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "header byte 184: header size '%.8s' is not 256 x (1 + %lld signals)",
                        (const char *)h + 184, ns);
  } else if (!field_int(h + 236, 8, &records)) {
    rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "header byte 236: number of data records '%.8s' is not a number",
                        (const char *)h + 236);
  } else if (records == -1) {
    rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "header byte 236: the number of data records is -1 (the recording was never finalised)");
  } else if (records <= 0) {
    rc = kl_reader_fail(r, KLONOS_E_EMPTY, "the header declares %lld data records", records);
  } else {
    unsigned char spr[8];
    for (long long i = 0; i < ns && rc == KLONOS_OK; i++) {
      long long v;
      long off = (long)(EDF_FIXED_HEADER + EDF_SPR_OFFSET * ns + 8 * i);
      if (fseek(f, off, SEEK_SET) != 0 || fread(spr, 1, 8, f) != 8)
        rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "truncated: the file ends inside the signal header (byte %ld)", off);
      else if (!field_int(spr, 8, &v) || v < 1 || v > 10000000)
        rc = kl_reader_fail(r, KLONOS_E_CORRUPT, "header byte %ld: samples per record of signal %lld ('%.8s') is not valid", off,
                            i + 1, (const char *)spr);
      else
        record_bytes += v * (bdf ? 3 : 2);
    }
  }
  struct stat st;
  if (rc == KLONOS_OK && fstat(fileno(f), &st) == 0) {
    long long have = (long long)st.st_size - header_bytes;
    if (have < records * record_bytes)
      rc = kl_reader_fail(r, KLONOS_E_CORRUPT,
                          "truncated: the header declares %lld data records of %lld bytes, the file holds %lld complete record%s (%lld of %lld data bytes)",
                          records, record_bytes, have > 0 ? have / record_bytes : 0,
                          have > 0 && have / record_bytes == 1 ? "" : "s", have > 0 ? have : 0, records * record_bytes);
    else if (have > records * record_bytes)
      rc = kl_reader_fail(r, KLONOS_E_CORRUPT,
                          "the file is %lld bytes longer than its %lld data records of %lld bytes (wrong record count in the header?)",
                          have - records * record_bytes, records, record_bytes);
  }
  fclose(f);
  return rc;
}

static int edflib_error(klonos_reader *r, int code) {
  switch (code) {
    case EDFLIB_MALLOC_ERROR: return kl_reader_fail(r, KLONOS_E_NOMEM, "EDFlib: out of memory");
    case EDFLIB_NO_SUCH_FILE_OR_DIRECTORY: return kl_reader_fail(r, KLONOS_E_IO, "EDFlib: cannot open");
    case EDFLIB_FILE_READ_ERROR: return kl_reader_fail(r, KLONOS_E_IO, "EDFlib: read error");
    case EDFLIB_MAXFILES_REACHED:
      return kl_reader_fail(r, KLONOS_E_IO, "EDFlib: too many EDF files open in this process (its limit is 64)");
    case EDFLIB_FILE_ALREADY_OPENED:
      return kl_reader_fail(r, KLONOS_E_IO, "EDFlib: the file is already open in this process (EDFlib allows one handle per file)");
    case EDFLIB_FILE_IS_DISCONTINUOUS:
      return kl_reader_fail(r, KLONOS_E_FORMAT, "EDF+D/BDF+D (discontinuous recording) is not supported");
    case EDFLIB_FILETYPE_ERROR: return kl_reader_fail(r, KLONOS_E_FORMAT, "EDFlib: not an EDF/EDF+/BDF/BDF+ file");
    default:
      return kl_reader_fail(r, KLONOS_E_CORRUPT,
                            "EDFlib reports format errors in the header (error %d; EDFbrowser's header check names the field)",
                            code);
  }
}

/* ------------------------------------------------- channel selection --- */

/* Which axis (0..2) of which kind a label names: 1 = acc, 2 = gyro, 0 = none.
 * *strength ranks a bare "X" below "Acc X" so that the latter wins. */
static int label_role(const char *label, int *axis, int *strength) {
  static const char *const acc[] = {"acc", "accel", "accelerometer", "acceleration", "a", "linacc"};
  static const char *const gyro[] = {"gyr", "gyro", "gyroscope", "g", "angvel", "angularvelocity", "angularrate"};
  char norm[32];
  normalise_label(norm, sizeof norm, label);
  size_t n = strlen(norm);
  if (n == 0) return 0;
  char last = norm[n - 1];
  if (last < 'x' || last > 'z') return 0;
  *axis = last - 'x';
  norm[n - 1] = '\0';
  if (n == 1) { *strength = 1; return 1; }
  *strength = 2;
  for (size_t i = 0; i < sizeof acc / sizeof acc[0]; i++)
    if (strcmp(norm, acc[i]) == 0) return 1;
  for (size_t i = 0; i < sizeof gyro / sizeof gyro[0]; i++)
    if (strcmp(norm, gyro[i]) == 0) return 2;
  return 0;
}

static void list_labels(const struct edf_hdr_struct *h, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (int i = 0; i < h->edfsignals && n + 1 < cap; i++) {
    char lab[20];
    trimmed(lab, sizeof lab, h->signalparam[i].label);
    int w = snprintf(buf + n, cap - n, "%s%d '%s'", i ? ", " : "", i + 1, lab);
    if (w < 0 || (size_t)w >= cap - n) {
      if (cap > 5) snprintf(buf + cap - 5, 5, "...");
      return;
    }
    n += (size_t)w;
  }
}

static int choose_by_label(klonos_reader *r, const struct edf_hdr_struct *h, int sig[6], int *nch) {
  int best[2][3], strength[2][3], ties[2][3];
  for (int k = 0; k < 2; k++)
    for (int a = 0; a < 3; a++) best[k][a] = -1, strength[k][a] = 0, ties[k][a] = 0;
  for (int i = 0; i < h->edfsignals; i++) {
    int axis = 0, st = 0;
    int kind = label_role(h->signalparam[i].label, &axis, &st);
    if (!kind) continue;
    int k = kind - 1;
    if (st > strength[k][axis]) best[k][axis] = i, strength[k][axis] = st, ties[k][axis] = 0;
    else if (st == strength[k][axis]) ties[k][axis]++;
  }
  char labels[300];
  for (int a = 0; a < 3; a++) {
    if (best[0][a] < 0 || ties[0][a]) {
      list_labels(h, labels, sizeof labels);
      return kl_reader_fail(r, KLONOS_E_CHANNELS,
                            "%s accelerometer signal for axis %c (labels like 'Acc %c', 'ACC_%c', 'Accelerometer %c'); "
                            "signals: %s; choose them with columns (labels or 1-based numbers)",
                            best[0][a] < 0 ? "no" : "more than one", 'X' + a, 'X' + a, 'X' + a, 'X' + a, labels);
    }
    sig[a] = best[0][a];
  }
  *nch = 3;
  int gyro_found = 0;
  for (int a = 0; a < 3; a++) gyro_found += best[1][a] >= 0 && !ties[1][a];
  if (gyro_found == 3) {
    for (int a = 0; a < 3; a++) sig[3 + a] = best[1][a];
    *nch = 6;
  } else if (gyro_found > 0) {
    kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                     "only %d of 3 gyroscope axes recognised by label; gyroscope ignored (name all six with columns)", gyro_found);
  }
  return KLONOS_OK;
}

static int choose_by_columns(klonos_reader *r, const struct edf_hdr_struct *h, int sig[6], int *nch) {
  const char *p = r->opt.columns;
  char labels[300];
  int n = 0;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    char tok[64];
    if (len >= sizeof tok) len = sizeof tok - 1;
    memcpy(tok, p, len);
    tok[len] = '\0';
    char name[64];
    trimmed(name, sizeof name, tok);
    if (n == 6)
      return kl_reader_fail(r, KLONOS_E_CHANNELS, "columns: more than 6 entries (x,y,z[,gx,gy,gz])");
    int found = -1;
    long long idx;
    if (name[0] && field_int((const unsigned char *)name, strlen(name), &idx)) {
      if (idx < 1 || idx > h->edfsignals) {
        list_labels(h, labels, sizeof labels);
        return kl_reader_fail(r, KLONOS_E_CHANNELS, "columns: signal number %lld is not 1..%d; signals: %s", idx,
                              h->edfsignals, labels);
      }
      found = (int)idx - 1;
    } else {
      for (int i = 0; i < h->edfsignals && found < 0; i++) {
        char lab[20];
        trimmed(lab, sizeof lab, h->signalparam[i].label);
        if (same_text_nocase(lab, name)) found = i;
      }
      if (found < 0) {
        list_labels(h, labels, sizeof labels);
        return kl_reader_fail(r, KLONOS_E_CHANNELS, "columns: no signal labelled '%s'; signals: %s", name, labels);
      }
    }
    sig[n++] = found;
    p = comma ? comma + 1 : p + strlen(p);
    if (comma && !*p) return kl_reader_fail(r, KLONOS_E_CHANNELS, "columns: empty entry at the end");
  }
  if (n != 3 && n != 6)
    return kl_reader_fail(r, KLONOS_E_CHANNELS, "columns: %d entr%s; EDF needs 3 (x,y,z) or 6 (x,y,z,gx,gy,gz)", n,
                          n == 1 ? "y" : "ies");
  *nch = n;
  return KLONOS_OK;
}

/* ------------------------------------------------------------- units --- */

/* Physical dimension -> klonos_units; 0 when unknown, -1 when empty, -2
 * when it is a known unit of something else (uV, degC, ...). */
static int parse_unit(const char *dim) {
  char u[16];
  trimmed(u, sizeof u, dim);
  if (!u[0]) return -1;
  /* Units of other EDF signals: refused even when the units option is set. */
  static const char *const other[] = {"uV", "mV", "V", "nV", "degC", "C", "%", "bpm", "Ohm", "kOhm", "mmHg", "lux",
                                      "uT", "nT", "T", "Pa", "hPa", "cm", "mm", "m", "s", "ms", "Hz", "l/min"};
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
    if (same_text_nocase(u, other[i])) return -2;
  static const struct { const char *text; int units; } table[] = {
      {"g", KLONOS_UNITS_G},          {"mg", KLONOS_UNITS_MG},      {"m/s^2", KLONOS_UNITS_MPS2},
      {"m/s2", KLONOS_UNITS_MPS2},    {"m/s/s", KLONOS_UNITS_MPS2}, {"ms-2", KLONOS_UNITS_MPS2},
      {"m/sec^2", KLONOS_UNITS_MPS2}, {"m/sec2", KLONOS_UNITS_MPS2},
      {"deg/s", KLONOS_UNITS_DPS},    {"dps", KLONOS_UNITS_DPS},    {"deg/sec", KLONOS_UNITS_DPS},
      {"degr/s", KLONOS_UNITS_DPS},   {"rad/s", KLONOS_UNITS_RADPS}, {"rad/sec", KLONOS_UNITS_RADPS},
      {"rps", KLONOS_UNITS_RADPS}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (same_text_nocase(u, table[i].text)) return table[i].units;
  return 0;
}

static double units_to_si(int units) {
  switch (units) {
    case KLONOS_UNITS_G: return KLONOS_STANDARD_GRAVITY_MPS2;
    case KLONOS_UNITS_MG: return KLONOS_STANDARD_GRAVITY_MPS2 / 1000.0;
    case KLONOS_UNITS_MPS2: return 1.0;
    case KLONOS_UNITS_DPS: return M_PI / 180.0;
    case KLONOS_UNITS_RADPS: return 1.0;
    default: return NAN;
  }
}

static int is_acc_unit(int u) { return u == KLONOS_UNITS_G || u == KLONOS_UNITS_MG || u == KLONOS_UNITS_MPS2; }
static int is_gyro_unit(int u) { return u == KLONOS_UNITS_DPS || u == KLONOS_UNITS_RADPS; }

/* The unit of output channel c: the header's when it is one we know (an
 * option that disagrees is reported and ignored, as for CSV headers), else
 * the option, else g / deg/s for an empty dimension. */
static int channel_units(klonos_reader *r, const struct edf_param_struct *sp, int c, int *units) {
  int gyro = c >= 3;
  int opt = gyro ? r->opt.gyro_units : r->opt.units;
  int u = parse_unit(sp->physdimension);
  char lab[20], dim[12];
  trimmed(lab, sizeof lab, sp->label);
  trimmed(dim, sizeof dim, sp->physdimension);
  if (u == -2 || (u > 0 && (gyro ? !is_gyro_unit(u) : !is_acc_unit(u))))
    return kl_reader_fail(r, KLONOS_E_CHANNELS, "signal '%s' is in '%s', not %s", lab, dim,
                          gyro ? "an angular rate (deg/s, dps, rad/s)" : "an acceleration (g, mg, m/s^2)");
  if (u > 0) {
    if (opt != KLONOS_UNITS_AUTO && opt != u)
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0, "signal '%s' is in %s by its header; %s option (%s) ignored", lab,
                       klonos_units_name(u), gyro ? "gyro units" : "units", klonos_units_name(opt));
    *units = u;
    return KLONOS_OK;
  }
  if (u == 0 && opt == KLONOS_UNITS_AUTO)
    return kl_reader_fail(r, KLONOS_E_CHANNELS, "signal '%s': unknown physical dimension '%s' (expected %s); set the %s option",
                          lab, dim, gyro ? "deg/s, dps or rad/s" : "g, mg or m/s^2", gyro ? "gyro units" : "units");
  *units = opt != KLONOS_UNITS_AUTO ? opt : gyro ? KLONOS_UNITS_DPS : KLONOS_UNITS_G;
  return KLONOS_OK;
}

/* ------------------------------------------------------------- setup --- */

static int setup_channels(klonos_reader *r, edf_state *s, const int sig[6]) {
  const struct edf_hdr_struct *h = s->hdr;
  klonos_recording_info *in = &r->info;
  double record_s = (double)h->datarecord_duration / EDFLIB_TIME_DIMENSION;
  if (!(record_s > 0)) return kl_reader_fail(r, KLONOS_E_CORRUPT, "header: data record duration is %g s", record_s);
  int max_acc_n = 0;
  double fs_g = 0;
  for (int c = 0; c < s->nch; c++) {
    const struct edf_param_struct *sp = &h->signalparam[sig[c]];
    edf_chan *ch = &s->ch[c];
    int units = 0;
    if (channel_units(r, sp, c, &units)) return r->status;
    if (c == 0) in->source_units = units;
    ch->sig = sig[c];
    ch->n_per_record = sp->smp_in_datarecord;
    ch->total = sp->smp_in_file;
    ch->to_si = units_to_si(units);
    /* Samples at the digital limits are clipped; half an LSB of slack for
     * the rounding in EDFlib's digital -> physical conversion. */
    double lsb = (sp->phys_max - sp->phys_min) / ((double)sp->dig_max - sp->dig_min);
    double hi = fmax(sp->phys_max, sp->phys_min), lo = fmin(sp->phys_max, sp->phys_min);
    ch->clip_hi = hi - 0.5 * fabs(lsb);
    ch->clip_lo = lo + 0.5 * fabs(lsb);
    if (ch->n_per_record <= 0 || ch->total <= 0) {
      char lab[20];
      trimmed(lab, sizeof lab, sp->label);
      return kl_reader_fail(r, KLONOS_E_EMPTY, "signal '%s' holds no samples", lab);
    }
    if (c < 3) {
      if (ch->n_per_record > max_acc_n) max_acc_n = ch->n_per_record;
      double g = fmax(fabs(sp->phys_max), fabs(sp->phys_min)) * ch->to_si / KLONOS_STANDARD_GRAVITY_MPS2;
      fs_g = c == 0 ? g : fmin(fs_g, g);
    } else {
      double dps = fmax(fabs(sp->phys_max), fabs(sp->phys_min)) * ch->to_si * 180.0 / M_PI;
      in->gyro_full_scale_dps = c == 3 ? dps : fmin(in->gyro_full_scale_dps, dps);
    }
    ch->buf = malloc(sizeof(double) * EDF_CHUNK);
    if (!ch->buf) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
    if (kl_reader_check_rate(r, ch->n_per_record / record_s, "signal sample rate")) return r->status;
  }
  in->full_scale_g = fs_g;
  r->counts_clipping = 1; /* on source samples, against each signal's own limits */
  in->nominal_rate_hz = max_acc_n / record_s;
  double duration_s = (double)h->datarecords_in_file * record_s;
  if (r->opt.rate_hz > 0) {
    in->sample_rate_hz = r->opt.rate_hz;
    s->out_per_record = r->opt.rate_hz * record_s;
    s->frames_total = (int64_t)ceil(duration_s * r->opt.rate_hz - 1e-9);
  } else {
    in->sample_rate_hz = in->nominal_rate_hz;
    s->out_per_record = max_acc_n;
    s->frames_total = (int64_t)h->datarecords_in_file * max_acc_n;
  }
  in->frame_count = s->frames_total;
  int differ = 0;
  for (int c = 0; c < s->nch; c++) differ |= fabs(s->ch[c].n_per_record - s->out_per_record) > 1e-9;
  if (differ)
    kl_reader_notice(r, KLONOS_NOTICE_OTHER, 0, 0.0,
                     "signals at different rates: linearly interpolated to %g Hz", in->sample_rate_hz);
  return KLONOS_OK;
}

static void describe(klonos_reader *r, const edf_state *s, const int sig[6]) {
  const struct edf_hdr_struct *h = s->hdr;
  klonos_recording_info *in = &r->info;
  static const char *const types[] = {"EDF", "EDF+", "BDF", "BDF+"};
  const char *type = h->filetype >= 0 && h->filetype <= 3 ? types[h->filetype] : "EDF?";
  snprintf(in->format_detail, sizeof in->format_detail, "%s (%d of %d signals, %lld annotation%s)", type, s->nch,
           h->edfsignals, h->annotations_in_file, h->annotations_in_file == 1 ? "" : "s");
  /* The device: EDF+ "equipment", else the plain EDF recording field. The
   * patient fields are never copied (they identify a person). */
  char text[96];
  trimmed(text, sizeof text, h->filetype == EDFLIB_FILETYPE_EDFPLUS || h->filetype == EDFLIB_FILETYPE_BDFPLUS
                                 ? h->equipment : h->recording);
  snprintf(in->device, sizeof in->device, "%s", text);
  in->source_channel_count = h->edfsignals;
  for (int i = 0; i < h->edfsignals && i < KLONOS_MAX_SOURCE_CHANNELS; i++) in->source_roles[i] = KLONOS_ROLE_IGNORED;
  for (int c = 0; c < s->nch; c++)
    if (sig[c] < KLONOS_MAX_SOURCE_CHANNELS) in->source_roles[sig[c]] = KLONOS_ROLE_ACC_X + c;
  in->channel_count = s->nch;
  in->has_start_time = 1;
  in->start_time_unix_s = kl_unix_time(h->startdate_year, h->startdate_month, h->startdate_day, h->starttime_hour,
                                       h->starttime_minute,
                                       h->starttime_second + (double)h->starttime_subsecond / EDFLIB_TIME_DIMENSION);
  kl_format_iso_time(in->start_time_unix_s, in->start_time_iso, sizeof in->start_time_iso);
}

/* Copy at most @p cap - 1 bytes of UTF-8, cut on a character boundary,
 * with control characters as blanks. */
static void clean_utf8(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) {
    n = cap - 1;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
  }
  for (size_t i = 0; i < n; i++) dst[i] = (unsigned char)src[i] < 0x20 ? ' ' : src[i];
  dst[n] = '\0';
}

static void report_annotations(klonos_reader *r, edf_state *s) {
  for (long long i = 0; i < s->hdr->annotations_in_file; i++) {
    struct edf_annotation_struct a;
    if (edf_get_annotation(s->handle, (int)i, &a) != 0) break;
    double onset_s = (double)a.onset / EDFLIB_TIME_DIMENSION;
    double dur_s = a.duration_l > 0 ? (double)a.duration_l / EDFLIB_TIME_DIMENSION : 0.0;
    char text[EDF_ANNOT_TEXT_MAX];
    clean_utf8(text, sizeof text, a.annotation);
    int64_t frame = onset_s > 0 ? (int64_t)llround(onset_s * r->info.sample_rate_hz) : 0;
    if (dur_s > 0)
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, frame, dur_s, "annotation at %.3f s (%.3f s): %s", onset_s, dur_s, text);
    else
      kl_reader_notice(r, KLONOS_NOTICE_OTHER, frame, 0.0, "annotation at %.3f s: %s", onset_s, text);
  }
}

/* -------------------------------------------------------------- ops --- */

static int edf_probe(const char *path, const unsigned char *h, size_t n) {
  if (n >= 8 && h[0] == 0xFF && memcmp(h + 1, "BIOSEMI", 7) == 0) return 100;
  long long v;
  if (n >= 256 && memcmp(h, "0       ", 8) == 0 && field_int(h + 252, 4, &v) && field_int(h + 184, 8, &v)) return 100;
  if (kl_path_has_ext(path, "edf") || kl_path_has_ext(path, "bdf")) return 30;
  return 0;
}

static void edf_close(klonos_reader *r) {
  edf_state *s = r->state;
  if (!s) return;
  if (s->handle >= 0) {
    pthread_mutex_lock(&edflib_lock);
    edfclose_file(s->handle);
    pthread_mutex_unlock(&edflib_lock);
  }
  for (int c = 0; c < KLONOS_MAX_FRAME_CHANNELS; c++) free(s->ch[c].buf);
  free(s->hdr);
  free(s);
  r->state = NULL;
}

static int edf_open(klonos_reader *r) {
  edf_state *s = calloc(1, sizeof *s);
  if (!s) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  r->state = s;
  s->handle = -1;
  int rc = precheck(r);
  if (rc) return rc;
  s->hdr = calloc(1, sizeof *s->hdr);
  if (!s->hdr) return kl_reader_fail(r, KLONOS_E_NOMEM, "out of memory");
  pthread_mutex_lock(&edflib_lock);
  rc = edfopen_file_readonly(r->path, s->hdr, EDFLIB_READ_ALL_ANNOTATIONS);
  pthread_mutex_unlock(&edflib_lock);
  if (rc != 0) return edflib_error(r, s->hdr->filetype);
  s->handle = s->hdr->handle;
  if (s->hdr->edfsignals < 1) return kl_reader_fail(r, KLONOS_E_CHANNELS, "no signals besides annotations");

  int sig[6] = {0};
  rc = r->opt.columns[0] ? choose_by_columns(r, s->hdr, sig, &s->nch) : choose_by_label(r, s->hdr, sig, &s->nch);
  if (rc) return rc;
  rc = setup_channels(r, s, sig);
  if (rc) return rc;
  describe(r, s, sig);
  report_annotations(r, s);
  return KLONOS_OK;
}

/* Read up to EDF_CHUNK samples of channel @p ch from sample @p i into its
 * buffer, counting clipping on samples not seen before. */
static int fetch(klonos_reader *r, edf_state *s, edf_chan *ch, int c, int64_t i, int64_t need) {
  if (edfseek(s->handle, ch->sig, i, EDFSEEK_SET) != i)
    return kl_reader_fail(r, KLONOS_E_IO, "signal %d: cannot seek to sample %lld", ch->sig + 1, (long long)i);
  int want = EDF_CHUNK;
  if (ch->total - i < want) want = (int)(ch->total - i);
  int got = edfread_physical_samples(s->handle, ch->sig, want, ch->buf);
  if (got < need)
    return kl_reader_fail(r, KLONOS_E_IO, "signal %d: read error at sample %lld of %lld", ch->sig + 1, (long long)i,
                          ch->total);
  ch->buf_start = i;
  ch->buf_len = got;
  for (int64_t j = ch->counted_upto > i ? ch->counted_upto : i; j < i + got; j++) {
    double v = ch->buf[j - i];
    if (v >= ch->clip_hi || v <= ch->clip_lo) r->stats.clipped[c]++;
  }
  if (i + got > ch->counted_upto) ch->counted_upto = i + got;
  return KLONOS_OK;
}

/* Make samples i and i+1 (when it exists) of output channel c available.
 * Samples skipped on the way (a rate_hz below the signal's) are still read
 * once, so that clipping is counted on every source sample. */
static int load(klonos_reader *r, edf_state *s, int c, int64_t i) {
  edf_chan *ch = &s->ch[c];
  int64_t need_end = i + 2 <= ch->total ? i + 2 : i + 1;
  if (i >= ch->buf_start && need_end <= ch->buf_start + ch->buf_len) return KLONOS_OK;
  while (ch->counted_upto < i) {
    int rc = fetch(r, s, ch, c, ch->counted_upto, 1);
    if (rc) return rc;
  }
  return fetch(r, s, ch, c, i, need_end - i);
}

/* Value of channel c at output frame k: linear interpolation between the
 * two samples around t = k / rate, the last sample held past the end. */
static int sample_at(klonos_reader *r, edf_state *s, int c, int64_t k, float *out) {
  edf_chan *ch = &s->ch[c];
  double pos = (double)k * ch->n_per_record / s->out_per_record;
  int64_t i = (int64_t)floor(pos + 1e-9);
  double w = pos - (double)i;
  if (w < 1e-9) w = 0.0;
  if (i >= ch->total - 1) {
    i = ch->total - 1;
    w = 0.0;
  }
  int rc = load(r, s, c, i);
  if (rc) return rc;
  double v = ch->buf[i - ch->buf_start];
  if (w > 0) v += w * (ch->buf[i + 1 - ch->buf_start] - v);
  *out = (float)(v * ch->to_si);
  return KLONOS_OK;
}

static int edf_read(klonos_reader *r, float *out, size_t max, size_t *got) {
  edf_state *s = r->state;
  size_t n = 0;
  for (; n < max && s->k < s->frames_total; n++, s->k++)
    for (int c = 0; c < s->nch; c++) {
      int rc = sample_at(r, s, c, s->k, out + n * (size_t)s->nch + c);
      if (rc) return rc;
    }
  /* Samples of a slower signal past the last frame's time still count. */
  if (s->k == s->frames_total)
    for (int c = 0; c < s->nch; c++)
      while (s->ch[c].counted_upto < s->ch[c].total) {
        int rc = fetch(r, s, &s->ch[c], c, s->ch[c].counted_upto, 1);
        if (rc) return rc;
      }
  *got = n;
  return KLONOS_OK;
}

const klonos_reader_ops kl_edf_ops = {"edf", KLONOS_FORMAT_EDF, edf_probe, edf_open, edf_read, edf_close};
