/* A minimal JSON writer into a growable memory buffer, shared by the
 * library's report serializer and the CLI (the same source is compiled into
 * both, so their JSON cannot drift). Keys come out in the order written;
 * numbers in their shortest round-trip form; non-finite numbers as null
 * (JSON has no NaN). */
#ifndef KLONOS_UTIL_JSON_WRITER_H
#define KLONOS_UTIL_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct kl_json {
  char *buf;
  size_t len, cap;
  int failed;              /* an allocation failed: the text is incomplete */
  int depth;
  int need_comma[32];
} kl_json;

void kl_json_init(kl_json *j);
void kl_json_free(kl_json *j);
void kl_json_begin_object(kl_json *j, const char *key); /* key NULL inside arrays / at top */
void kl_json_end_object(kl_json *j);
void kl_json_begin_array(kl_json *j, const char *key);
void kl_json_end_array(kl_json *j);
void kl_json_string(kl_json *j, const char *key, const char *value); /* NULL value -> null */
void kl_json_number(kl_json *j, const char *key, double value);
void kl_json_int(kl_json *j, const char *key, int64_t value);
void kl_json_bool(kl_json *j, const char *key, int value);
void kl_json_null(kl_json *j, const char *key);
/* Insert an already serialised JSON value under key. */
void kl_json_raw(kl_json *j, const char *key, const char *json_text);

#endif
