/* Dates of the tracker: ISO-8601 local date-times without a zone, because
 * recordings carry their device's wall clock and no zone (docs/tracker.md).
 * Seconds count from 1970-01-01T00:00:00 of that same wall clock, computed
 * with the proleptic Gregorian calendar (no time zone, no leap seconds). */
#ifndef KLONOS_TOOLS_TRACK_TIME_H
#define KLONOS_TOOLS_TRACK_TIME_H

#include <stddef.h>

/* Parse "YYYY-MM-DD", "YYYY-MM-DDThh:mm", "YYYY-MM-DDThh:mm:ss[.fff]" (a
 * space may replace the T). A zone suffix (Z, +01:00) is refused: 0 on
 * success, else -1 with the reason in @p err. */
int kl_time_parse(const char *text, double *unix_s, char *err, size_t errlen);

/* "YYYY-MM-DDThh:mm:ss" (seconds rounded down). */
void kl_time_format(double unix_s, char out[32]);
/* "YYYY-MM-DD". */
void kl_time_format_date(double unix_s, char out[16]);
/* Days since 1970-01-01 of a civil date, and back (Hinnant's algorithms). */
long kl_days_from_civil(long y, unsigned m, unsigned d);
void kl_civil_from_days(long z, long *y, unsigned *m, unsigned *d);

#endif
