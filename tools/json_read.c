#include "json_read.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define BLOCK_MIN 65536

/* Arena block: bump allocation, so a document of a million nodes is a few
 * mallocs and one free walk. */
typedef struct block {
  struct block *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
} block;

typedef struct parser {
  const char *s;
  size_t len, pos;
  kl_jdoc *doc;
  char *err;
  size_t errlen;
  int depth;
  int failed;
} parser;

static void *arena_alloc(kl_jdoc *doc, size_t n) {
  n = (n + 15) & ~(size_t)15;
  block *b = doc->blocks;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
    block *nb = malloc(sizeof *nb + cap);
    if (!nb) return NULL;
    nb->next = b;
    nb->used = 0;
    nb->cap = cap;
    doc->blocks = nb;
    b = nb;
  }
  void *p = b->data + b->used;
  b->used += n;
  return p;
}

void kl_jdoc_free(kl_jdoc *doc) {
  block *b = doc->blocks;
  while (b) {
    block *next = b->next;
    free(b);
    b = next;
  }
  doc->blocks = NULL;
  doc->root = NULL;
}

static void fail(parser *p, const char *what) {
  if (!p->failed) snprintf(p->err, p->errlen, "%s at byte %zu", what, p->pos + 1);
  p->failed = 1;
}

static void skip_ws(parser *p) {
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

static int hex4(parser *p, unsigned *out) {
  if (p->len - p->pos < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p->s[p->pos + (size_t)i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  p->pos += 4;
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* At the opening quote. The decoded text is never longer than the source. */
static const char *parse_string(parser *p) {
  size_t begin = ++p->pos, end = begin;
  while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
  if (end >= p->len) { fail(p, "unterminated string"); return NULL; }
  char *out = arena_alloc(p->doc, end - begin + 1);
  if (!out) { fail(p, "out of memory"); return NULL; }
  size_t n = 0;
  while (p->pos < end) {
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c < 0x20) { fail(p, "control character in a string"); return NULL; }
    if (c != '\\') { out[n++] = (char)c; p->pos++; continue; }
    char e = p->s[++p->pos];
    p->pos++;
    switch (e) {
      case '"': out[n++] = '"'; break;
      case '\\': out[n++] = '\\'; break;
      case '/': out[n++] = '/'; break;
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u': {
        unsigned cp, lo;
        if (hex4(p, &cp)) { fail(p, "bad \\u escape"); return NULL; }
        if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair: \uD83D\uDE00 */
          if (p->pos + 2 > end || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') { fail(p, "lone surrogate"); return NULL; }
          p->pos += 2;
          if (hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) { fail(p, "bad surrogate pair"); return NULL; }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          fail(p, "lone surrogate");
          return NULL;
        }
        /* A NUL would silently cut the C string: refuse it. */
        if (cp == 0) { fail(p, "\\u0000 in a string"); return NULL; }
        n += put_utf8(out + n, cp);
        break;
      }
      default: fail(p, "bad escape"); return NULL;
    }
  }
  if (p->pos > end) { fail(p, "bad escape"); return NULL; }
  out[n] = 0;
  p->pos = end + 1;
  return out;
}

static int parse_number(parser *p, double *out) {
  size_t b = p->pos, i = b;
  const char *s = p->s;
  if (i < p->len && s[i] == '-') i++;
  if (i < p->len && s[i] == '0') i++;
  else if (i < p->len && s[i] >= '1' && s[i] <= '9') while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
  else return -1;
  if (i < p->len && s[i] == '.') {
    size_t d = ++i;
    while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    if (i == d) return -1;
  }
  if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
    size_t d = i;
    while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    if (i == d) return -1;
  }
  char buf[64];
  if (i - b >= sizeof buf) return -1;
  memcpy(buf, s + b, i - b);
  buf[i - b] = 0;
  *out = strtod(buf, NULL);
  p->pos = i;
  return 0;
}

static int literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) return -1;
  p->pos += n;
  return 0;
}

static kl_jv *parse_value(parser *p);

static kl_jv *parse_container(parser *p, kl_jv *v, char close) {
  if (++p->depth > MAX_DEPTH) { fail(p, "nested too deeply"); return NULL; }
  p->pos++;
  kl_jv **tail = &v->child;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    p->depth--;
    return v;
  }
  for (;;) {
    const char *key = NULL;
    skip_ws(p);
    if (close == '}') {
      if (p->pos >= p->len || p->s[p->pos] != '"') { fail(p, "expected a key"); return NULL; }
      if (!(key = parse_string(p))) return NULL;
      skip_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') { fail(p, "expected ':'"); return NULL; }
      p->pos++;
    }
    kl_jv *c = parse_value(p);
    if (!c) return NULL;
    c->key = key;
    *tail = c;
    tail = &c->next;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
    if (p->pos < p->len && p->s[p->pos] == close) { p->pos++; break; }
    fail(p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    return NULL;
  }
  p->depth--;
  return v;
}

static kl_jv *parse_value(parser *p) {
  skip_ws(p);
  if (p->pos >= p->len) { fail(p, "unexpected end"); return NULL; }
  kl_jv *v = arena_alloc(p->doc, sizeof *v);
  if (!v) { fail(p, "out of memory"); return NULL; }
  memset(v, 0, sizeof *v);
  v->start = p->pos;
  char c = p->s[p->pos];
  int ok = 1;
  if (c == '{') { v->type = KL_JV_OBJECT; ok = parse_container(p, v, '}') != NULL; }
  else if (c == '[') { v->type = KL_JV_ARRAY; ok = parse_container(p, v, ']') != NULL; }
  else if (c == '"') { v->type = KL_JV_STRING; ok = (v->string = parse_string(p)) != NULL; }
  else if (c == 't') { v->type = KL_JV_BOOL; v->boolean = 1; ok = literal(p, "true") == 0; }
  else if (c == 'f') { v->type = KL_JV_BOOL; ok = literal(p, "false") == 0; }
  else if (c == 'n') { v->type = KL_JV_NULL; ok = literal(p, "null") == 0; }
  else { v->type = KL_JV_NUMBER; ok = parse_number(p, &v->number) == 0; }
  if (!ok) { fail(p, "invalid value"); return NULL; }
  v->end = p->pos;
  return v;
}

int kl_jparse(kl_jdoc *doc, const char *text, size_t len, char *err, size_t errlen) {
  memset(doc, 0, sizeof *doc);
  parser p = {text, len, 0, doc, err, errlen, 0, 0};
  kl_jv *root = parse_value(&p);
  if (root) {
    skip_ws(&p);
    if (p.pos != len) { fail(&p, "text after the value"); root = NULL; }
  }
  doc->root = root;
  return root ? 0 : -1;
}

const kl_jv *kl_jget(const kl_jv *v, const char *key) {
  if (!v || v->type != KL_JV_OBJECT) return NULL;
  const kl_jv *found = NULL;
  for (const kl_jv *c = v->child; c; c = c->next)
    if (strcmp(c->key, key) == 0) found = c;
  return found;
}

const kl_jv *kl_jpath(const kl_jv *v, const char *dotted) {
  char name[128];
  while (v && *dotted) {
    size_t n = strcspn(dotted, ".");
    if (n >= sizeof name) return NULL;
    memcpy(name, dotted, n);
    name[n] = 0;
    v = kl_jget(v, name);
    dotted += n + (dotted[n] == '.');
  }
  return v;
}

const char *kl_jstr(const kl_jv *v) { return v && v->type == KL_JV_STRING ? v->string : NULL; }
