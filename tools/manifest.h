/* The cohort manifest of `klonos batch` (docs/batch.md): a CSV file with a
 * header naming at least `subject` and `path` (and usually `date`), one
 * recording per row, RFC 4180 quoting. Relative paths are relative to the
 * manifest's folder. Also the shard assignment, so that batch and merge
 * agree on it. */
#ifndef KLONOS_TOOLS_MANIFEST_H
#define KLONOS_TOOLS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

typedef struct kl_manifest_row {
  const char *subject;
  const char *date;          /* "" when the manifest has no date column or the cell is empty */
  const char *path;          /* as written: the row's identity with the subject */
  const char *resolved;      /* path to open: absolute, or joined to the manifest's folder */
  long line;                 /* 1-based line in the manifest where the row starts */
  int duplicate;             /* 1: an earlier row has the same (subject, path) */
} kl_manifest_row;

typedef struct kl_manifest {
  kl_manifest_row *rows;
  size_t count;
  size_t duplicates;
  char *storage;             /* the cells' text */
  char *resolved_storage;    /* the resolved paths */
} kl_manifest;

/* Read a manifest. 0 on success; -1 with every problem found (up to a few,
 * each "FILE:LINE: what") in err. Rows that repeat an earlier (subject,
 * path) are kept but marked duplicate. */
int kl_manifest_load(const char *file, kl_manifest *m, char *err, size_t errlen);
void kl_manifest_free(kl_manifest *m);

/* The shard (0..n-1) of a recording: a stable 64-bit hash of subject and
 * path as written, so it depends on nothing else (not the row order, not
 * other rows, not the machine). See docs/batch.md for the exact function. */
uint32_t kl_shard_of(const char *subject, const char *path, uint32_t n);
uint64_t kl_shard_hash(const char *subject, const char *path);

/* Parse "K/N" with 0 <= K < N <= 1000000; 0 on success, -1 with a reason. */
int kl_shard_parse(const char *text, uint32_t *k, uint32_t *n, char *err, size_t errlen);

/* (subject, path) keys with a caller's tag (e.g. a row index), sorted for
 * lookup by binary search. */
typedef struct kl_key {
  const char *subject, *path;
  size_t tag;
} kl_key;

typedef struct kl_keyset {
  kl_key *keys;
  size_t count, cap;
} kl_keyset;

/* Add a key (the strings are borrowed: they must outlive the set); -1 when
 * out of memory. Sort once after the last add, before any find. */
int kl_keyset_add(kl_keyset *s, const char *subject, const char *path, size_t tag);
void kl_keyset_sort(kl_keyset *s);
const kl_key *kl_keyset_find(const kl_keyset *s, const char *subject, const char *path);
void kl_keyset_free(kl_keyset *s);
int kl_key_compare(const char *s1, const char *p1, const char *s2, const char *p2);

#endif
