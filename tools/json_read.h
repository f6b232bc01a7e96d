/* A small JSON reader for the CLI's own JSON Lines (klonos batch results):
 * enough to find keys, read scalars and copy a value's exact source text.
 * One document per call; every node and string lives in the document's
 * arena, freed at once. Strict RFC 8259 syntax, nesting limited to 64. */
#ifndef KLONOS_TOOLS_JSON_READ_H
#define KLONOS_TOOLS_JSON_READ_H

#include <stddef.h>

typedef enum { KL_JV_NULL, KL_JV_BOOL, KL_JV_NUMBER, KL_JV_STRING, KL_JV_ARRAY, KL_JV_OBJECT } kl_jv_type;

typedef struct kl_jv {
  kl_jv_type type;
  int boolean;
  double number;
  const char *string;        /* KL_JV_STRING: decoded, NUL-terminated (no NUL inside) */
  const char *key;           /* member of an object: its key, else NULL */
  size_t start, end;         /* the value's source text is text[start, end) */
  struct kl_jv *child, *next; /* first element/member; next sibling */
} kl_jv;

typedef struct kl_jdoc {
  const kl_jv *root;
  void *blocks;              /* arena */
} kl_jdoc;

/* Parse text[0, len): 0 with doc->root set, or -1 with a reason (and the
 * byte offset) in err. Free the document with kl_jdoc_free either way. */
int kl_jparse(kl_jdoc *doc, const char *text, size_t len, char *err, size_t errlen);
void kl_jdoc_free(kl_jdoc *doc);

/* The member @p key of an object (the last one if repeated); NULL when @p v
 * is not an object or has no such member. */
const kl_jv *kl_jget(const kl_jv *v, const char *key);
/* Follow a dotted path of member names ("report.severity.motor"). */
const kl_jv *kl_jpath(const kl_jv *v, const char *dotted);
/* The string value, or NULL when @p v is absent or not a string. */
const char *kl_jstr(const kl_jv *v);

#endif
