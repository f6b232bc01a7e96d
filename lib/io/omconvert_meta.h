/* Private: the metadata omconvert (Open Movement) writes into the LIST/INFO
 * chunk of its 4-channel WAV output, parsed from the INFO strings.
 * Source: openmovement omconvert, and ../shared/docs/domain-research.md §6:
 * ICRD = first-sample time "YYYY-MM-DD hh:mm:ss.000"; IART = Id, Device,
 * Revision, Firmware; INAM = Session, Start, Stop, Rate-A; ICMT = Time,
 * Channel-n, Scale-n ("Scale-1: 8" = channel 1 spans +-8 g at full scale). */
#ifndef KLONOS_IO_OMCONVERT_META_H
#define KLONOS_IO_OMCONVERT_META_H

typedef struct kl_om_meta {
  int found;             /* any omconvert key was recognised */
  double scale[4];       /* Scale-1..4 in g at full scale; 0 = absent */
  double rate_hz;        /* Rate-A when present, else 0 */
  int has_time;
  double start_unix_s;   /* from ICRD (device clock, no zone) */
  char device[96];       /* from IART */
} kl_om_meta;

/* Feed one INFO string (may hold several "Key: value" lines, separated by
 * newlines or '&'); call for each of ICRD, IART, INAM, ICMT. NULL is ignored. */
void kl_om_meta_parse(kl_om_meta *m, const char *text, int is_date_field);

/* Parse "YYYY-MM-DD hh:mm:ss[.fff]" (also with 'T'); 1 on success. */
int kl_parse_datetime(const char *s, double *unix_s);

#endif
