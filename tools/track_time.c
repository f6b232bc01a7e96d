#include "track_time.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* H. Hinnant, "chrono-Compatible Low-Level Date Algorithms": exact for every
 * proleptic Gregorian date, no tables, no time zone database. */
long kl_days_from_civil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long)doe - 719468;
}

void kl_civil_from_days(long z, long *y, unsigned *m, unsigned *d) {
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (long)yoe + era * 400 + (*m <= 2);
}

static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if ((*p)[i] < '0' || (*p)[i] > '9') return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

static int days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

int kl_time_parse(const char *text, double *unix_s, char *err, size_t errlen) {
  const char *p = text;
  int y, mo, d, h = 0, mi = 0, s = 0;
  double frac = 0;
  if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d)) goto bad;
  if (*p == 'T' || *p == 't' || *p == ' ') {
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) goto bad;
    if (*p == ':') {
      p++;
      if (digits(&p, 2, &s)) goto bad;
      if (*p == '.' || *p == ',') {
        double scale = 0.1;
        p++;
        if (*p < '0' || *p > '9') goto bad;
        while (*p >= '0' && *p <= '9') { frac += (*p - '0') * scale; scale /= 10; p++; }
      }
    }
  }
  if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-') {
    snprintf(err, errlen, "'%s': give the local date-time without a zone (recordings carry their device's wall clock, no zone)", text);
    return -1;
  }
  if (*p) goto bad;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59) {
    snprintf(err, errlen, "'%s' is not a valid date-time", text);
    return -1;
  }
  *unix_s = (double)kl_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 + mi * 60.0 + s + frac;
  return 0;
bad:
  snprintf(err, errlen, "'%s' is not an ISO-8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm[:ss])", text);
  return -1;
}

/* Civil fields of a time, the year clamped to 4 digits (any time a
 * recording or a person can give). */
typedef struct civil {
  int y;
  unsigned mo, d, h, mi, s;
} civil;

static civil to_civil(double unix_s) {
  double fl = floor(unix_s);
  double days = floor(fl / 86400.0);
  if (days < -719468.0) days = -719468.0;    /* 0000-03-01 */
  if (days > 2932896.0) days = 2932896.0;    /* 9999-12-31 */
  unsigned sod = (unsigned)(fl - days * 86400.0) % 86400u;
  long y;
  civil c;
  kl_civil_from_days((long)days, &y, &c.mo, &c.d);
  c.y = (int)(y < 0 ? 0 : y > 9999 ? 9999 : y);
  c.h = sod / 3600 % 24;
  c.mi = sod / 60 % 60;
  c.s = sod % 60;
  c.mo = (c.mo - 1) % 12 + 1;
  c.d = (c.d - 1) % 31 + 1;
  return c;
}

void kl_time_format(double unix_s, char out[32]) {
  civil c = to_civil(unix_s);
  snprintf(out, 32, "%04d-%02u-%02uT%02u:%02u:%02u", c.y, c.mo, c.d, c.h, c.mi, c.s);
}

void kl_time_format_date(double unix_s, char out[16]) {
  civil c = to_civil(unix_s);
  snprintf(out, 16, "%04d-%02u-%02u", c.y, c.mo, c.d);
}
