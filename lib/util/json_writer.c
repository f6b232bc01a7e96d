#include "json_writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void kl_json_init(kl_json *j, FILE *out) {
  memset(j, 0, sizeof *j);
  j->out = out;
}

static void write_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", f); break;
      case '\\': fputs("\\\\", f); break;
      case '\n': fputs("\\n", f); break;
      case '\r': fputs("\\r", f); break;
      case '\t': fputs("\\t", f); break;
      default:
        if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
  }
  fputc('"', f);
}

static void prefix(kl_json *j, const char *key) {
  if (j->need_comma[j->depth]) fputc(',', j->out);
  j->need_comma[j->depth] = 1;
  if (key) {
    write_string(j->out, key);
    fputc(':', j->out);
  }
}

static void open_container(kl_json *j, const char *key, char c) {
  prefix(j, key);
  fputc(c, j->out);
  if (j->depth < 31) j->depth++;
  j->need_comma[j->depth] = 0;
}

void kl_json_begin_object(kl_json *j, const char *key) { open_container(j, key, '{'); }
void kl_json_begin_array(kl_json *j, const char *key) { open_container(j, key, '['); }

void kl_json_end_object(kl_json *j) {
  if (j->depth > 0) j->depth--;
  fputc('}', j->out);
  if (j->depth == 0) fputc('\n', j->out);
}

void kl_json_end_array(kl_json *j) {
  if (j->depth > 0) j->depth--;
  fputc(']', j->out);
}

void kl_json_string(kl_json *j, const char *key, const char *value) {
  prefix(j, key);
  if (value) write_string(j->out, value);
  else fputs("null", j->out);
}

void kl_json_number(kl_json *j, const char *key, double value) {
  prefix(j, key);
  if (!isfinite(value)) {
    fputs("null", j->out);
    return;
  }
  /* Shortest form that reads back to the same double: 0.1 stays "0.1". */
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, value);
    if (strtod(buf, NULL) == value) break;
  }
  fputs(buf, j->out);
}

void kl_json_int(kl_json *j, const char *key, int64_t value) {
  prefix(j, key);
  fprintf(j->out, "%lld", (long long)value);
}

void kl_json_bool(kl_json *j, const char *key, int value) {
  prefix(j, key);
  fputs(value ? "true" : "false", j->out);
}

void kl_json_null(kl_json *j, const char *key) {
  prefix(j, key);
  fputs("null", j->out);
}
