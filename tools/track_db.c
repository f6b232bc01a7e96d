#include "track_db.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "klonos/klonos.h"
#include "track_time.h"

struct kl_track_db {
  sqlite3 *db;
  char path[4096];
};

/* A writer waits this long for another writer's transaction (each holds the
 * lock for milliseconds: the analysis runs before the transaction opens). */
#define BUSY_TIMEOUT_MS 60000

/* Schema version 1 (docs/tracker.md documents every column). STRICT tables
 * (SQLite >= 3.37) refuse a value of the wrong type instead of storing it. */
static const char schema_v1[] =
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") STRICT;"
    "CREATE TABLE subjects ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),"
    "  created_at TEXT NOT NULL"
    ") STRICT;"
    "CREATE TABLE recordings ("
    "  id INTEGER PRIMARY KEY,"
    "  subject_id INTEGER NOT NULL REFERENCES subjects(id),"
    "  recorded_at TEXT NOT NULL,"
    "  recorded_at_unix_s REAL NOT NULL,"
    "  date_source TEXT NOT NULL CHECK (date_source IN ('file', 'option')),"
    "  file_path TEXT NOT NULL,"
    "  file_size_bytes INTEGER NOT NULL,"
    "  content_sha256 TEXT NOT NULL CHECK (length(content_sha256) = 64),"
    "  klonos_version TEXT NOT NULL,"
    "  params_json TEXT NOT NULL CHECK (json_valid(params_json)),"
    "  duration_s REAL NOT NULL,"
    "  wear_s REAL NOT NULL,"
    "  motor REAL, myoclonus REAL, stance REAL, gait REAL,"
    "  events_per_min REAL,"
    "  amp_median_mps2 REAL,"
    "  report_json TEXT NOT NULL CHECK (json_valid(report_json)),"
    "  added_at TEXT NOT NULL,"
    "  UNIQUE (subject_id, content_sha256, params_json)"
    ") STRICT;"
    "CREATE INDEX recordings_subject_time ON recordings (subject_id, recorded_at_unix_s, id);"
    "CREATE INDEX recordings_content ON recordings (content_sha256);";

/* migrations[v] takes a database from schema v to v + 1 (v = 0: empty file).
 * A future schema appends its step here; each runs inside the transaction
 * that also bumps user_version, so a migration is all or nothing. */
static const char *const migrations[KL_TRACK_SCHEMA_VERSION] = {schema_v1};

static void set_err(char *err, size_t errlen, const char *path, sqlite3 *db, const char *what) {
  snprintf(err, errlen, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

static void utc_now(char out[32]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) { *out = sqlite3_column_int64(st, 0); rc = SQLITE_OK; }
  }
  sqlite3_finalize(st);
  return rc;
}

/* BEGIN IMMEDIATE takes the write lock up front, so the busy handler (not an
 * SQLITE_BUSY halfway through) makes concurrent writers wait their turn. */
static int begin_write(sqlite3 *db) { return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL); }

static void rollback(sqlite3 *db) {
  if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int migrate(kl_track_db *t, char *err, size_t errlen) {
  sqlite3 *db = t->db;
  if (begin_write(db) != SQLITE_OK) { set_err(err, errlen, t->path, db, "cannot write the database"); return -1; }
  int64_t version = 0;
  /* Read again inside the transaction: another process may have just done it. */
  if (pragma_int(db, "PRAGMA user_version", &version) != SQLITE_OK) goto fail;
  if (version > KL_TRACK_SCHEMA_VERSION) {
    rollback(db);
    snprintf(err, errlen, "%s: database schema version %lld is newer than this klonos %s understands (%d); "
             "use a newer klonos (the database was not changed)", t->path, (long long)version, klonos_version(),
             KL_TRACK_SCHEMA_VERSION);
    return -1;
  }
  for (int64_t v = version; v < KL_TRACK_SCHEMA_VERSION; v++)
    if (sqlite3_exec(db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) goto fail;
  if (version < KL_TRACK_SCHEMA_VERSION) {
    char sql[256], now[32];
    utc_now(now);
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;", KL_TRACK_APPLICATION_ID,
             KL_TRACK_SCHEMA_VERSION);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) goto fail;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?1), "
                           "('migrated_by', ?2), ('migrated_at', ?3)", -1, &st, NULL) != SQLITE_OK) goto fail;
    sqlite3_bind_int(st, 1, KL_TRACK_SCHEMA_VERSION);
    sqlite3_bind_text(st, 2, klonos_version(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) goto fail;
    if (version == 0) {
      char sql2[160];
      snprintf(sql2, sizeof sql2, "INSERT INTO meta (key, value) VALUES ('created_at', '%s')", now);
      if (sqlite3_exec(db, sql2, NULL, NULL, NULL) != SQLITE_OK) goto fail;
    }
  }
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
  return 0;
fail:
  set_err(err, errlen, t->path, db, "cannot create or upgrade the schema");
  rollback(db);
  return -1;
}

/* WAL lets readers work while one writer commits, and a killed writer's
 * partial transaction is simply ignored on the next open. Switching needs a
 * moment of exclusive access, so retry while another process holds it. */
static int use_wal(sqlite3 *db) {
  for (int attempt = 0; attempt < 600; attempt++) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) return -1;
    usleep(100000);
  }
  return -1;
}

static int refuse(kl_track_db *t, char *err, size_t errlen, const char *why) {
  snprintf(err, errlen, "%s: %s", t->path, why);
  return -1;
}

int kl_track_db_open(kl_track_db **out, const char *path, int create, char *err, size_t errlen) {
  *out = NULL;
  struct stat sb;
  if (stat(path, &sb) != 0) {
    if (errno != ENOENT || !create) {
      snprintf(err, errlen, "%s: %s", path,
               errno == ENOENT ? "no such database (klonos track add creates it)" : strerror(errno));
      return -1;
    }
    /* Say which: a missing folder, or one we may not write in. */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + (slash == path)) : 1, slash ? path : ".");
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      snprintf(err, errlen, "%s: cannot create the database: the folder %s does not exist", path, dir);
      return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
      snprintf(err, errlen, "%s: cannot create the database: the folder %s is not writable", path, dir);
      return -1;
    }
  } else if (S_ISDIR(sb.st_mode)) {
    snprintf(err, errlen, "%s: is a directory, not a database file", path);
    return -1;
  }
  kl_track_db *t = calloc(1, sizeof *t);
  if (!t) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
  snprintf(t->path, sizeof t->path, "%s", path);
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path, &t->db, flags, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "%s: cannot open the database: %s%s", path, t->db ? sqlite3_errmsg(t->db) : "out of memory",
             rc == SQLITE_CANTOPEN ? " (is the directory writable?)" : "");
    goto fail;
  }
  sqlite3_busy_timeout(t->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes(t->db, 1);
  /* Look before touching anything: another program's database or a newer
   * schema must be left exactly as it is. */
  int64_t app = 0, version = 0, tables = 0;
  /* One read transaction, so the three answers come from the same snapshot:
   * read one by one, a concurrent `track add` creating the schema could be
   * seen half before and half after its commit (no id yet, but tables). */
  rc = sqlite3_exec(t->db, "BEGIN", NULL, NULL, NULL);
  if (rc == SQLITE_OK) rc = pragma_int(t->db, "PRAGMA application_id", &app);
  if (rc == SQLITE_OK) rc = pragma_int(t->db, "PRAGMA user_version", &version);
  if (rc == SQLITE_OK) rc = pragma_int(t->db, "SELECT count(*) FROM sqlite_master", &tables);
  sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL);
  if ((rc & 0xff) == SQLITE_NOTADB) { refuse(t, err, errlen, "not a SQLite database"); goto fail; }
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "%s: cannot read the database: %s%s", path, sqlite3_errmsg(t->db),
             (rc & 0xff) == SQLITE_CANTOPEN ? " (is the directory writable?)" : "");
    goto fail;
  }
  if (app != KL_TRACK_APPLICATION_ID && !(app == 0 && version == 0 && tables == 0)) {
    refuse(t, err, errlen, "not a klonos tracker database (left unchanged)");
    goto fail;
  }
  if (version > KL_TRACK_SCHEMA_VERSION) {
    snprintf(err, errlen, "%s: database schema version %lld is newer than this klonos %s understands (%d); "
             "use a newer klonos (the database was not changed)", path, (long long)version, klonos_version(),
             KL_TRACK_SCHEMA_VERSION);
    goto fail;
  }
  if (sqlite3_db_readonly(t->db, "main") == 1) {
    refuse(t, err, errlen, "the database file is read-only");
    goto fail;
  }
  if (use_wal(t->db) != 0) {
    snprintf(err, errlen, "%s: cannot switch to WAL mode: %s (is the directory writable?)", path, sqlite3_errmsg(t->db));
    goto fail;
  }
  /* FULL: a committed add survives a power cut, not only a killed process. */
  if (sqlite3_exec(t->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", NULL, NULL, NULL) != SQLITE_OK) {
    set_err(err, errlen, path, t->db, "cannot configure the connection");
    goto fail;
  }
  if (version < KL_TRACK_SCHEMA_VERSION && migrate(t, err, errlen) != 0) goto fail;
  *out = t;
  return 0;
fail:
  sqlite3_close(t->db);
  free(t);
  return -1;
}

void kl_track_db_close(kl_track_db **db) {
  if (!db || !*db) return;
  sqlite3_close((*db)->db);
  free(*db);
  *db = NULL;
}

/* Rows of this subject with this content: is one of them the same analysis? */
static int find_existing(sqlite3 *db, const char *subject, const char *sha256, const char *params_json,
                         kl_track_add_result *res) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT r.id, r.params_json = ?3 FROM recordings r JOIN subjects s ON s.id = r.subject_id "
                              "WHERE s.name = ?1 AND r.content_sha256 = ?2 ORDER BY 2 DESC, r.id LIMIT 1",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, params_json, -1, SQLITE_STATIC);
  res->outcome = KL_ADD_INSERTED;
  res->id = 0;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    res->id = sqlite3_column_int64(st, 0);
    res->outcome = sqlite3_column_int(st, 1) ? KL_ADD_DUPLICATE : KL_ADD_PARAMS_DIFFER;
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

static int other_subject(sqlite3 *db, const char *subject, const char *sha256, kl_track_add_result *res) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT s.name FROM recordings r JOIN subjects s ON s.id = r.subject_id "
                              "WHERE r.content_sha256 = ?2 AND s.name <> ?1 ORDER BY s.name LIMIT 1",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
  res->other_subject[0] = 0;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    snprintf(res->other_subject, sizeof res->other_subject, "%s", (const char *)sqlite3_column_text(st, 0));
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

int kl_track_db_lookup(kl_track_db *t, const char *subject, const char *sha256, const char *params_json,
                       kl_track_add_result *res, char *err, size_t errlen) {
  memset(res, 0, sizeof *res);
  int rc = find_existing(t->db, subject, sha256, params_json, res);
  if (rc == SQLITE_OK) rc = other_subject(t->db, subject, sha256, res);
  if (rc != SQLITE_OK) { set_err(err, errlen, t->path, t->db, "cannot read the database"); return -1; }
  return 0;
}

static void bind_real_or_null(sqlite3_stmt *st, int i, double v) {
  if (isfinite(v)) sqlite3_bind_double(st, i, v);
  else sqlite3_bind_null(st, i);
}

static int insert_row(sqlite3 *db, const kl_track_new *r, int64_t *id) {
  char now[32], recorded_at[32];
  utc_now(now);
  kl_time_format(r->recorded_at_unix_s, recorded_at);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "INSERT INTO subjects (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(st, 1, r->subject, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return rc;
  rc = sqlite3_prepare_v2(db,
                          "INSERT INTO recordings (subject_id, recorded_at, recorded_at_unix_s, date_source, file_path,"
                          " file_size_bytes, content_sha256, klonos_version, params_json, duration_s, wear_s, motor,"
                          " myoclonus, stance, gait, events_per_min, amp_median_mps2, report_json, added_at) "
                          "VALUES ((SELECT id FROM subjects WHERE name = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                          " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                          -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(st, 1, r->subject, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, recorded_at, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 3, r->recorded_at_unix_s);
  sqlite3_bind_text(st, 4, r->date_source, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, r->file_path, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, r->file_size_bytes);
  sqlite3_bind_text(st, 7, r->content_sha256, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, r->klonos_version, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, r->params_json, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 10, r->duration_s);
  sqlite3_bind_double(st, 11, r->wear_s);
  for (int s = 0; s < KL_SCORE_COUNT; s++) bind_real_or_null(st, 12 + s, r->score[s]);
  bind_real_or_null(st, 16, r->events_per_min);
  bind_real_or_null(st, 17, r->amp_median_mps2);
  sqlite3_bind_text(st, 18, r->report_json, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 19, now, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return rc;
  *id = sqlite3_last_insert_rowid(db);
  return SQLITE_OK;
}

/* Testing aid: KLONOS_TRACK_HOLD_TXN_MS=N keeps the write transaction open
 * N ms after the insert, so a test can kill -9 the process while the row is
 * written but not committed (tests/cli/test_track.py, docs/tracker.md). */
static void hold_for_tests(void) {
  const char *hold = getenv("KLONOS_TRACK_HOLD_TXN_MS");
  long ms = hold ? strtol(hold, NULL, 10) : 0;
  if (ms <= 0) return;
  fprintf(stderr, "klonos track add: holding the write transaction for %ld ms (KLONOS_TRACK_HOLD_TXN_MS)\n", ms);
  fflush(stderr);
  struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
  nanosleep(&ts, NULL);
}

int kl_track_db_add(kl_track_db *t, const kl_track_new *rec, int replace, kl_track_add_result *res, char *err,
                    size_t errlen) {
  sqlite3 *db = t->db;
  memset(res, 0, sizeof *res);
  if (begin_write(db) != SQLITE_OK) { set_err(err, errlen, t->path, db, "cannot start a transaction"); return -1; }
  /* Decide inside the transaction: another process may have added the same
   * file since our look before the analysis. */
  int rc = find_existing(db, rec->subject, rec->content_sha256, rec->params_json, res);
  if (rc == SQLITE_OK) rc = other_subject(db, rec->subject, rec->content_sha256, res);
  if (rc != SQLITE_OK) goto fail;
  if (res->outcome == KL_ADD_DUPLICATE || (res->outcome == KL_ADD_PARAMS_DIFFER && !replace)) {
    rollback(db);
    return 0;
  }
  int replacing = res->outcome == KL_ADD_PARAMS_DIFFER;
  if (replacing) {
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "DELETE FROM recordings WHERE content_sha256 = ?2 AND "
                            "subject_id = (SELECT id FROM subjects WHERE name = ?1)", -1, &st, NULL);
    if (rc != SQLITE_OK) goto fail;
    sqlite3_bind_text(st, 1, rec->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rec->content_sha256, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) goto fail;
  }
  rc = insert_row(db, rec, &res->id);
  if (rc != SQLITE_OK) goto fail;
  hold_for_tests();
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
  res->outcome = replacing ? KL_ADD_REPLACED : KL_ADD_INSERTED;
  return 0;
fail:
  set_err(err, errlen, t->path, db, "cannot store the recording");
  rollback(db);
  return -1;
}

static double column_real(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void column_copy(sqlite3_stmt *st, int i, char *dst, size_t cap) {
  const unsigned char *v = sqlite3_column_text(st, i);
  snprintf(dst, cap, "%s", v ? (const char *)v : "");
}

static char *column_dup(sqlite3_stmt *st, int i) {
  const unsigned char *v = sqlite3_column_text(st, i);
  return strdup(v ? (const char *)v : "");
}

void kl_track_rows_free(kl_track_row *rows, size_t n) {
  for (size_t i = 0; rows && i < n; i++) kl_track_rows_free_strings(&rows[i]);
  free(rows);
}

/* Fill *r from the current row of the rows query (strings malloc'ed). */
static int read_row(sqlite3_stmt *st, int with_report, kl_track_row *r) {
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, 0);
  column_copy(st, 1, r->subject, sizeof r->subject);
  r->recorded_at_unix_s = sqlite3_column_double(st, 2);
  column_copy(st, 3, r->recorded_at, sizeof r->recorded_at);
  column_copy(st, 4, r->date_source, sizeof r->date_source);
  column_copy(st, 5, r->klonos_version, sizeof r->klonos_version);
  column_copy(st, 6, r->content_sha256, sizeof r->content_sha256);
  column_copy(st, 7, r->added_at, sizeof r->added_at);
  r->duration_s = sqlite3_column_double(st, 8);
  r->wear_s = sqlite3_column_double(st, 9);
  for (int s = 0; s < KL_SCORE_COUNT; s++) r->score[s] = column_real(st, 10 + s);
  r->events_per_min = column_real(st, 14);
  r->amp_median_mps2 = column_real(st, 15);
  r->file_size_bytes = sqlite3_column_int64(st, 16);
  r->file_path = column_dup(st, 17);
  r->params_json = column_dup(st, 18);
  if (with_report) r->report_json = column_dup(st, 19);
  return r->file_path && r->params_json && (!with_report || r->report_json) ? 0 : -1;
}

int kl_track_db_each(kl_track_db *t, const char *subject, int with_report,
                     int (*fn)(void *ctx, const kl_track_row *row), void *ctx, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  /* One statement = one read transaction: a concurrent add cannot show up halfway through. */
  int rc = sqlite3_prepare_v2(
      t->db,
      "SELECT r.id, s.name, r.recorded_at_unix_s, r.recorded_at, r.date_source, r.klonos_version, r.content_sha256,"
      " r.added_at, r.duration_s, r.wear_s, r.motor, r.myoclonus, r.stance, r.gait, r.events_per_min,"
      " r.amp_median_mps2, r.file_size_bytes, r.file_path, r.params_json, CASE WHEN ?2 THEN r.report_json END "
      "FROM recordings r JOIN subjects s ON s.id = r.subject_id "
      "WHERE ?1 IS NULL OR s.name = ?1 ORDER BY s.name, r.recorded_at_unix_s, r.id",
      -1, &st, NULL);
  if (rc != SQLITE_OK) { set_err(err, errlen, t->path, t->db, "cannot read the database"); return -1; }
  if (subject) sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, with_report);
  int stopped = 0;
  while (!stopped && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    kl_track_row r;
    if (read_row(st, with_report, &r) != 0) {
      rc = SQLITE_NOMEM;
      kl_track_rows_free_strings(&r);
      break;
    }
    stopped = fn(ctx, &r); /* fn owns the strings from here */
  }
  sqlite3_finalize(st);
  if (stopped) {
    snprintf(err, errlen, "%s: out of memory", t->path);
    return -1;
  }
  if (rc != SQLITE_DONE) {
    if (rc == SQLITE_NOMEM) snprintf(err, errlen, "%s: out of memory", t->path);
    else set_err(err, errlen, t->path, t->db, "cannot read the database");
    return -1;
  }
  return 0;
}

void kl_track_rows_free_strings(kl_track_row *r) {
  free(r->file_path);
  free(r->params_json);
  free(r->report_json);
  r->file_path = r->params_json = r->report_json = NULL;
}

typedef struct collect {
  kl_track_row *v;
  size_t n, cap;
} collect;

static int collect_row(void *ctx, const kl_track_row *row) {
  collect *c = ctx;
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 16;
    kl_track_row *p = realloc(c->v, nc * sizeof *p);
    if (!p) {
      kl_track_row tmp = *row;
      kl_track_rows_free_strings(&tmp);
      return 1;
    }
    c->v = p;
    c->cap = nc;
  }
  c->v[c->n++] = *row;
  return 0;
}

int kl_track_db_rows(kl_track_db *t, const char *subject, int with_report, kl_track_row **rows, size_t *n,
                     char *err, size_t errlen) {
  collect c = {NULL, 0, 0};
  int rc = kl_track_db_each(t, subject, with_report, collect_row, &c, err, errlen);
  if (rc != 0) {
    kl_track_rows_free(c.v, c.n);
    c.v = NULL;
    c.n = 0;
  }
  *rows = c.v;
  *n = c.n;
  return rc;
}

int kl_track_db_subjects(kl_track_db *t, kl_track_subject **subjects, size_t *n, char *err, size_t errlen) {
  *subjects = NULL;
  *n = 0;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(t->db,
                              "SELECT s.name, count(r.id), min(r.recorded_at), max(r.recorded_at) FROM subjects s "
                              "LEFT JOIN recordings r ON r.subject_id = s.id GROUP BY s.id ORDER BY s.name",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) { set_err(err, errlen, t->path, t->db, "cannot read the database"); return -1; }
  size_t cap = 0;
  kl_track_subject *v = NULL;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      kl_track_subject *p = realloc(v, nc * sizeof *p);
      if (!p) { rc = SQLITE_NOMEM; break; }
      v = p;
      cap = nc;
    }
    kl_track_subject *s = &v[(*n)++];
    column_copy(st, 0, s->name, sizeof s->name);
    s->recordings = sqlite3_column_int64(st, 1);
    column_copy(st, 2, s->first, sizeof s->first);
    column_copy(st, 3, s->last, sizeof s->last);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    set_err(err, errlen, t->path, t->db, "cannot read the database");
    free(v);
    *n = 0;
    return -1;
  }
  *subjects = v;
  return 0;
}
