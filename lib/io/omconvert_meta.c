#include "omconvert_meta.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reader_priv.h"

int kl_parse_datetime(const char *s, double *unix_s) {
  int Y, M, D, h = 0, m = 0;
  double sec = 0.0;
  while (*s && isspace((unsigned char)*s)) s++;
  int n = sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d:%lf", &Y, &M, &D, &h, &m, &sec);
  if (n != 3 && n != 6) return 0;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec >= 61)
    return 0;
  *unix_s = kl_unix_time(Y, M, D, h, m, sec);
  return 1;
}

static void trim(char *s) {
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  size_t i = 0;
  while (s[i] && isspace((unsigned char)s[i])) i++;
  if (i) memmove(s, s + i, n - i + 1);
}

static void parse_pair(kl_om_meta *m, char *key, char *val) {
  trim(key);
  trim(val);
  if (strncasecmp(key, "Scale-", 6) == 0) {
    int ch = atoi(key + 6);
    double v = strtod(val, NULL);
    if (ch >= 1 && ch <= 4 && v > 0 && v < 1000) { m->scale[ch - 1] = v; m->found = 1; }
  } else if (strcasecmp(key, "Rate-A") == 0 || strcasecmp(key, "Rate") == 0) {
    double v = strtod(val, NULL);
    if (v > 0) { m->rate_hz = v; m->found = 1; }
  } else if (strcasecmp(key, "Session") == 0 || strncasecmp(key, "Channel-", 8) == 0) {
    m->found = 1;
  } else if (strcasecmp(key, "Device") == 0 || strcasecmp(key, "Id") == 0) {
    size_t used = strlen(m->device);
    snprintf(m->device + used, sizeof m->device - used, "%s%s %s", used ? ", " : "", key, val);
    m->found = 1;
  } else if (strcasecmp(key, "Time") == 0 && !m->has_time) {
    double t;
    if (kl_parse_datetime(val, &t)) { m->start_unix_s = t; m->has_time = 1; }
  }
}

void kl_om_meta_parse(kl_om_meta *m, const char *text, int is_date_field) {
  if (!text) return;
  if (is_date_field) {
    double t;
    if (kl_parse_datetime(text, &t)) { m->start_unix_s = t; m->has_time = 1; }
    return;
  }
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", text);
  char *save = NULL;
  for (char *line = strtok_r(buf, "\r\n&", &save); line; line = strtok_r(NULL, "\r\n&", &save)) {
    char *sep = strchr(line, ':');
    if (!sep) sep = strchr(line, '=');
    if (!sep) continue;
    *sep = 0;
    parse_pair(m, line, sep + 1);
  }
}
