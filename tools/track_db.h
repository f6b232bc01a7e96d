/* The tracker's SQLite database: schema, version check and migrations, and
 * the few reads and writes the `klonos track` commands need. Every write is
 * one BEGIN IMMEDIATE transaction, the database runs in WAL mode with a busy
 * timeout, so concurrent `track add` processes queue instead of failing and a
 * process killed at any instant leaves only whole rows (docs/tracker.md). */
#ifndef KLONOS_TOOLS_TRACK_DB_H
#define KLONOS_TOOLS_TRACK_DB_H

#include <stddef.h>
#include <stdint.h>

#include "mdc.h"

/* PRAGMA user_version of the schema this code writes; older databases are
 * migrated on open, newer ones refused untouched. */
#define KL_TRACK_SCHEMA_VERSION 1
/* PRAGMA application_id: "KLNS", so another program's database is refused. */
#define KL_TRACK_APPLICATION_ID 0x4B4C4E53
#define KL_SUBJECT_MAX 64

typedef struct kl_track_db kl_track_db;

/* Open @p path (created when @p create and missing). On failure returns -1,
 * *out is NULL and @p err says why (missing, not a klonos database, schema
 * newer than this klonos, directory not writable...). */
int kl_track_db_open(kl_track_db **out, const char *path, int create, char *err, size_t errlen);
void kl_track_db_close(kl_track_db **db);

/* A recording to store: everything comes from the finished analysis. */
typedef struct kl_track_new {
  const char *subject;
  double recorded_at_unix_s;
  const char *date_source;     /* "file" or "option" */
  const char *file_path;       /* absolute path when it was added */
  int64_t file_size_bytes;
  const char *content_sha256;  /* 64 hex digits */
  const char *klonos_version;
  const char *params_json;     /* canonical: the idempotency key with subject and hash */
  double duration_s, wear_s;
  double score[KL_SCORE_COUNT]; /* NaN = no data (stored as NULL) */
  double events_per_min, amp_median_mps2;
  const char *report_json;
} kl_track_new;

enum kl_track_add_outcome {
  KL_ADD_INSERTED = 0,
  KL_ADD_DUPLICATE = 1,     /* same subject, content and parameters: nothing written */
  KL_ADD_PARAMS_DIFFER = 2, /* same subject and content, other parameters: nothing written */
  KL_ADD_REPLACED = 3       /* with replace: the other-parameter rows were replaced */
};

typedef struct kl_track_add_result {
  int outcome;              /* kl_track_add_outcome */
  int64_t id;               /* the new row, or the existing one */
  char other_subject[KL_SUBJECT_MAX + 1]; /* the same content is also stored for this subject ("" if not) */
} kl_track_add_result;

/* Look without writing: is this content already stored for the subject
 * (outcome DUPLICATE or PARAMS_DIFFER), or not (INSERTED = would insert)? */
int kl_track_db_lookup(kl_track_db *db, const char *subject, const char *sha256, const char *params_json,
                       kl_track_add_result *res, char *err, size_t errlen);

/* Store one recording in one transaction (see kl_track_add_outcome). */
int kl_track_db_add(kl_track_db *db, const kl_track_new *rec, int replace, kl_track_add_result *res, char *err,
                    size_t errlen);

/* One stored recording, without its report. */
typedef struct kl_track_row {
  int64_t id;
  char subject[KL_SUBJECT_MAX + 1];
  double recorded_at_unix_s;
  char recorded_at[32];
  char date_source[8];
  char klonos_version[32];
  char content_sha256[65];
  char added_at[32];
  double duration_s, wear_s;
  double score[KL_SCORE_COUNT];
  double events_per_min, amp_median_mps2;
  int64_t file_size_bytes;
  char *file_path;          /* owned */
  char *params_json;        /* owned */
  char *report_json;        /* owned; only when asked for */
} kl_track_row;

/* The recordings of @p subject (NULL: every subject) in time order (ties by
 * id). *rows is malloc'ed; free with kl_track_rows_free. */
int kl_track_db_rows(kl_track_db *db, const char *subject, int with_report, kl_track_row **rows, size_t *n,
                     char *err, size_t errlen);
void kl_track_rows_free(kl_track_row *rows, size_t n);
void kl_track_rows_free_strings(kl_track_row *row);

/* Stream the same rows to @p fn, which takes over each row's strings; a
 * non-zero return from fn stops (reported as out of memory). Memory stays
 * bounded however many recordings are stored (export). */
int kl_track_db_each(kl_track_db *db, const char *subject, int with_report,
                     int (*fn)(void *ctx, const kl_track_row *row), void *ctx, char *err, size_t errlen);

typedef struct kl_track_subject {
  char name[KL_SUBJECT_MAX + 1];
  int64_t recordings;
  char first[32], last[32];
} kl_track_subject;

/* Subjects in name order; *subjects malloc'ed. */
int kl_track_db_subjects(kl_track_db *db, kl_track_subject **subjects, size_t *n, char *err, size_t errlen);

#endif
