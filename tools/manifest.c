#include "manifest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ERRORS 5

typedef struct csv {
  const char *s;
  size_t len, pos;
  long line;               /* current line, 1-based */
  char *out;               /* decoded cells go here, NUL-terminated */
  size_t out_len;
} csv;

typedef struct errs {
  char *buf;
  size_t len;
  int count;
  const char *file;
} errs;

static void add_error(errs *e, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_error(errs *e, long line, const char *fmt, ...) {
  if (e->count++ >= MAX_ERRORS) return;
  size_t used = strlen(e->buf);
  if (used + 1 >= e->len) return;
  int n = snprintf(e->buf + used, e->len - used, "%s%s:%ld: ", used ? "\n" : "", e->file, line);
  if (n < 0 || (size_t)n >= e->len - used) return;
  used += (size_t)n;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->buf + used, e->len - used, fmt, ap);
  va_end(ap);
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Decode one cell at c->pos into c->out; stops at the separator, leaves
 * c->pos on it. Returns the cell, or NULL after adding an error. Unquoted
 * cells lose surrounding blanks (quote a cell to keep them). */
static const char *read_cell(csv *c, errs *e) {
  char *cell = c->out + c->out_len;
  size_t n = 0;
  while (c->pos < c->len && is_blank(c->s[c->pos])) c->pos++;
  if (c->pos < c->len && c->s[c->pos] == '"') {
    long start_line = c->line;
    c->pos++;
    for (;;) {
      if (c->pos >= c->len) {
        add_error(e, start_line, "a quoted cell is not closed");
        return NULL;
      }
      char ch = c->s[c->pos++];
      if (ch == '"') {
        if (c->pos < c->len && c->s[c->pos] == '"') { cell[n++] = '"'; c->pos++; continue; }
        break;
      }
      if (ch == '\n') c->line++;
      cell[n++] = ch;
    }
    while (c->pos < c->len && is_blank(c->s[c->pos])) c->pos++;
    if (c->pos < c->len && c->s[c->pos] != ',' && c->s[c->pos] != '\n' && c->s[c->pos] != '\r') {
      add_error(e, c->line, "text after a closing quote (a quote inside a quoted cell is written \"\")");
      return NULL;
    }
  } else {
    while (c->pos < c->len && c->s[c->pos] != ',' && c->s[c->pos] != '\n' && c->s[c->pos] != '\r')
      cell[n++] = c->s[c->pos++];
    while (n > 0 && is_blank(cell[n - 1])) n--;
  }
  cell[n] = 0;
  c->out_len += n + 1;
  return cell;
}

/* Read one record into cells[]; returns the cell count (0 at the end of the
 * text), -1 after an error (the rest of the record is skipped). */
static int read_record(csv *c, errs *e, const char **cells, int max_cells, long *line) {
  if (c->pos >= c->len) return 0;
  *line = c->line;
  int n = 0, bad = 0;
  for (;;) {
    const char *cell = read_cell(c, e);
    if (!cell) bad = 1;
    else if (n < max_cells) cells[n] = cell;
    n++;
    if (bad) {
      while (c->pos < c->len && c->s[c->pos] != '\n') c->pos++;
    }
    if (c->pos >= c->len) break;
    char sep = c->s[c->pos++];
    if (sep == ',' && !bad) continue;
    if (sep == '\r' && c->pos < c->len && c->s[c->pos] == '\n') c->pos++;
    c->line++;
    break;
  }
  return bad ? -1 : n;
}

static int row_compare(const void *a, const void *b) {
  const kl_manifest_row *x = *(kl_manifest_row *const *)a, *y = *(kl_manifest_row *const *)b;
  int d = kl_key_compare(x->subject, x->path, y->subject, y->path);
  if (d) return d;
  return (x->line > y->line) - (x->line < y->line);
}

static void mark_duplicates(kl_manifest *m) {
  kl_manifest_row **order = malloc((m->count ? m->count : 1) * sizeof *order);
  if (!order) return;
  for (size_t i = 0; i < m->count; i++) order[i] = &m->rows[i];
  qsort(order, m->count, sizeof *order, row_compare);
  for (size_t i = 1; i < m->count; i++)
    if (kl_key_compare(order[i]->subject, order[i]->path, order[i - 1]->subject, order[i - 1]->path) == 0) {
      order[i]->duplicate = 1;
      m->duplicates++;
    }
  free(order);
}

static int resolve_paths(kl_manifest *m, const char *file) {
  const char *slash = strrchr(file, '/');
  size_t dir_len = slash ? (size_t)(slash - file) + 1 : 0; /* keeps the '/' */
  size_t total = 1;
  for (size_t i = 0; i < m->count; i++)
    total += strlen(m->rows[i].path) + 1 + (m->rows[i].path[0] == '/' ? 0 : dir_len);
  m->resolved_storage = malloc(total);
  if (!m->resolved_storage) return -1;
  char *o = m->resolved_storage;
  for (size_t i = 0; i < m->count; i++) {
    m->rows[i].resolved = o;
    if (m->rows[i].path[0] != '/' && dir_len) { memcpy(o, file, dir_len); o += dir_len; }
    size_t n = strlen(m->rows[i].path) + 1;
    memcpy(o, m->rows[i].path, n);
    o += n;
  }
  return 0;
}

static char *read_whole(const char *file, size_t *len, char *err, size_t errlen) {
  FILE *f = fopen(file, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: %s", file, strerror(errno));
    return NULL;
  }
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf) break;
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    char *b = realloc(buf, cap *= 2);
    if (!b) { free(buf); buf = NULL; }
    buf = b;
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    snprintf(err, errlen, "%s: %s", file, buf ? "read error" : "out of memory");
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

int kl_manifest_load(const char *file, kl_manifest *m, char *err, size_t errlen) {
  memset(m, 0, sizeof *m);
  err[0] = 0;
  size_t len;
  char *text = read_whole(file, &len, err, errlen);
  if (!text) return -1;
  errs e = {err, errlen, 0, file};
  csv c = {text, len, 0, 1, NULL, 0};
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) c.pos = 3; /* spreadsheets write a BOM */
  /* Decoded cells are never longer than their source, plus one NUL each. */
  m->storage = c.out = malloc(2 * len + 2);
  size_t row_cap = 256;
  m->rows = malloc(row_cap * sizeof *m->rows);
  enum { MAX_CELLS = 256 };
  const char *cells[MAX_CELLS];
  int col_subject = -1, col_date = -1, col_path = -1, header_cells = 0;
  long line = 0;
  if (!m->storage || !m->rows) {
    snprintf(err, errlen, "%s: out of memory", file);
    goto fail;
  }
  for (;;) {
    int n = read_record(&c, &e, cells, MAX_CELLS, &line);
    if (n == 0) break;
    if (n < 0) continue;
    if (n == 1 && !cells[0][0]) continue; /* blank line */
    if (n > MAX_CELLS) {
      add_error(&e, line, "more than %d columns", MAX_CELLS);
      continue;
    }
    if (!header_cells) {
      header_cells = n;
      for (int i = 0; i < n; i++) {
        int *col = strcasecmp(cells[i], "subject") == 0 ? &col_subject
                   : strcasecmp(cells[i], "date") == 0  ? &col_date
                   : strcasecmp(cells[i], "path") == 0  ? &col_path
                                                        : NULL;
        if (col && *col >= 0) add_error(&e, line, "column '%s' appears twice in the header", cells[i]);
        if (col) *col = i;
      }
      if (col_subject < 0 || col_path < 0) {
        add_error(&e, line, "the header must name the columns subject and path (and date), e.g. subject,date,path");
        break;
      }
      continue;
    }
    if (n != header_cells) {
      add_error(&e, line, "%d cells but the header has %d (quote a cell that contains a comma)", n, header_cells);
      continue;
    }
    if (!cells[col_subject][0]) { add_error(&e, line, "empty subject"); continue; }
    if (!cells[col_path][0]) { add_error(&e, line, "empty path"); continue; }
    if (m->count == row_cap) {
      kl_manifest_row *grown = realloc(m->rows, 2 * row_cap * sizeof *grown);
      if (!grown) {
        snprintf(err, errlen, "%s: out of memory", file);
        goto fail;
      }
      m->rows = grown;
      row_cap *= 2;
    }
    kl_manifest_row *r = &m->rows[m->count++];
    memset(r, 0, sizeof *r);
    r->subject = cells[col_subject];
    r->path = cells[col_path];
    r->date = col_date >= 0 ? cells[col_date] : "";
    r->line = line;
  }
  if (!header_cells && !e.count) add_error(&e, 1, "empty manifest: no header line subject,date,path");
  if (e.count > MAX_ERRORS) {
    size_t used = strlen(err);
    snprintf(err + used, errlen - used, "\n%s: ... %d problems in all", file, e.count);
  }
  if (e.count) goto fail;
  if (resolve_paths(m, file)) {
    snprintf(err, errlen, "%s: out of memory", file);
    goto fail;
  }
  mark_duplicates(m);
  free(text);
  return 0;
fail:
  free(text);
  kl_manifest_free(m);
  return -1;
}

void kl_manifest_free(kl_manifest *m) {
  free(m->rows);
  free(m->storage);
  free(m->resolved_storage);
  memset(m, 0, sizeof *m);
}

/* FNV-1a over subject, a NUL byte, path; then the splitmix64 finalizer,
 * because FNV's low bits (which "mod n" keeps) mix poorly on their own. */
uint64_t kl_shard_hash(const char *subject, const char *path) {
  uint64_t h = 0xcbf29ce484222325u;
  for (const unsigned char *p = (const unsigned char *)subject; *p; p++) h = (h ^ *p) * 0x100000001b3u;
  h = (h ^ 0) * 0x100000001b3u;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) h = (h ^ *p) * 0x100000001b3u;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebu;
  return h ^ (h >> 31);
}

uint32_t kl_shard_of(const char *subject, const char *path, uint32_t n) {
  return n ? (uint32_t)(kl_shard_hash(subject, path) % n) : 0;
}

static int parse_count(const char **s, unsigned long *out) {
  const char *p = *s;
  unsigned long v = 0;
  if (*p < '0' || *p > '9') return -1;
  while (*p >= '0' && *p <= '9') {
    v = v * 10 + (unsigned long)(*p++ - '0');
    if (v > 100000000ul) return -1;
  }
  *s = p;
  *out = v;
  return 0;
}

int kl_shard_parse(const char *text, uint32_t *k, uint32_t *n, char *err, size_t errlen) {
  unsigned long kk, nn;
  const char *p = text;
  if (parse_count(&p, &kk) || *p++ != '/' || parse_count(&p, &nn) || *p || nn < 1 || nn > 1000000 || kk >= nn) {
    snprintf(err, errlen,
             "--shard needs K/N with 0 <= K < N <= 1000000, not '%s' (K counts from 0, like SLURM_ARRAY_TASK_ID)", text);
    return -1;
  }
  *k = (uint32_t)kk;
  *n = (uint32_t)nn;
  return 0;
}

int kl_key_compare(const char *s1, const char *p1, const char *s2, const char *p2) {
  int d = strcmp(s1, s2);
  return d ? d : strcmp(p1, p2);
}

static int key_cmp(const void *a, const void *b) {
  const kl_key *x = a, *y = b;
  return kl_key_compare(x->subject, x->path, y->subject, y->path);
}

int kl_keyset_add(kl_keyset *s, const char *subject, const char *path, size_t tag) {
  if (s->count == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    kl_key *k = realloc(s->keys, cap * sizeof *k);
    if (!k) return -1;
    s->keys = k;
    s->cap = cap;
  }
  s->keys[s->count].subject = subject;
  s->keys[s->count].path = path;
  s->keys[s->count].tag = tag;
  s->count++;
  return 0;
}

void kl_keyset_sort(kl_keyset *s) {
  if (s->count) qsort(s->keys, s->count, sizeof *s->keys, key_cmp);
}

const kl_key *kl_keyset_find(const kl_keyset *s, const char *subject, const char *path) {
  kl_key k = {subject, path, 0};
  return s->count ? bsearch(&k, s->keys, s->count, sizeof *s->keys, key_cmp) : NULL;
}

void kl_keyset_free(kl_keyset *s) {
  free(s->keys);
  memset(s, 0, sizeof *s);
}
