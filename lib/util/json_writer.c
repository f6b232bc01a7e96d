#include "json_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kl_json_init(kl_json *j) { memset(j, 0, sizeof *j); }

void kl_json_free(kl_json *j) {
  free(j->buf);
  memset(j, 0, sizeof *j);
}

static void put(kl_json *j, const char *s, size_t n) {
  if (j->failed) return;
  if (j->len + n + 1 > j->cap) {
    size_t cap = j->cap ? j->cap : 256;
    while (cap < j->len + n + 1) cap *= 2;
    char *b = realloc(j->buf, cap);
    if (!b) { j->failed = 1; return; }
    j->buf = b;
    j->cap = cap;
  }
  memcpy(j->buf + j->len, s, n);
  j->len += n;
  j->buf[j->len] = 0;
}

static void puts_(kl_json *j, const char *s) { put(j, s, strlen(s)); }

static void write_string(kl_json *j, const char *s) {
  put(j, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[8];
    switch (*p) {
      case '"': puts_(j, "\\\""); break;
      case '\\': puts_(j, "\\\\"); break;
      case '\n': puts_(j, "\\n"); break;
      case '\r': puts_(j, "\\r"); break;
      case '\t': puts_(j, "\\t"); break;
      default:
        if (*p < 0x20) {
          snprintf(esc, sizeof esc, "\\u%04x", *p);
          puts_(j, esc);
        } else {
          put(j, (const char *)p, 1);
        }
    }
  }
  put(j, "\"", 1);
}

static void prefix(kl_json *j, const char *key) {
  if (j->need_comma[j->depth]) put(j, ",", 1);
  j->need_comma[j->depth] = 1;
  if (key) {
    write_string(j, key);
    put(j, ":", 1);
  }
}

static void open_container(kl_json *j, const char *key, const char *c) {
  prefix(j, key);
  puts_(j, c);
  if (j->depth < 31) j->depth++;
  j->need_comma[j->depth] = 0;
}

void kl_json_begin_object(kl_json *j, const char *key) { open_container(j, key, "{"); }
void kl_json_begin_array(kl_json *j, const char *key) { open_container(j, key, "["); }

void kl_json_end_object(kl_json *j) {
  if (j->depth > 0) j->depth--;
  put(j, "}", 1);
}

void kl_json_end_array(kl_json *j) {
  if (j->depth > 0) j->depth--;
  put(j, "]", 1);
}

void kl_json_string(kl_json *j, const char *key, const char *value) {
  prefix(j, key);
  if (value) write_string(j, value);
  else puts_(j, "null");
}

void kl_json_number(kl_json *j, const char *key, double value) {
  prefix(j, key);
  if (!isfinite(value)) {
    puts_(j, "null");
    return;
  }
  /* Shortest form that reads back to the same double: 0.1 stays "0.1". */
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, value);
    if (strtod(buf, NULL) == value) break;
  }
  puts_(j, buf);
}

void kl_json_int(kl_json *j, const char *key, int64_t value) {
  char buf[32];
  prefix(j, key);
  snprintf(buf, sizeof buf, "%lld", (long long)value);
  puts_(j, buf);
}

void kl_json_bool(kl_json *j, const char *key, int value) {
  prefix(j, key);
  puts_(j, value ? "true" : "false");
}

void kl_json_null(kl_json *j, const char *key) {
  prefix(j, key);
  puts_(j, "null");
}

void kl_json_raw(kl_json *j, const char *key, const char *json_text) {
  prefix(j, key);
  puts_(j, json_text);
}
