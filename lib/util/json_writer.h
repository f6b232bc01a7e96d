/* A minimal streaming JSON writer for the CLI's machine output: keys in the
 * order written, numbers with round-trip precision, non-finite numbers as
 * null (JSON has no NaN). */
#ifndef KLONOS_TOOLS_JSON_WRITER_H
#define KLONOS_TOOLS_JSON_WRITER_H

#include <stdint.h>
#include <stdio.h>

typedef struct kl_json {
  FILE *out;
  int depth;
  int need_comma[32];
} kl_json;

void kl_json_init(kl_json *j, FILE *out);
void kl_json_begin_object(kl_json *j, const char *key); /* key NULL inside arrays / at top */
void kl_json_end_object(kl_json *j);
void kl_json_begin_array(kl_json *j, const char *key);
void kl_json_end_array(kl_json *j);
void kl_json_string(kl_json *j, const char *key, const char *value); /* NULL value -> null */
void kl_json_number(kl_json *j, const char *key, double value);
void kl_json_int(kl_json *j, const char *key, int64_t value);
void kl_json_bool(kl_json *j, const char *key, int value);
void kl_json_null(kl_json *j, const char *key);

#endif
