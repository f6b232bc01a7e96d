/* Reading `klonos batch` output (JSON Lines, docs/batch.md), shared by the
 * batch command (resuming) and batch-merge: line by line with byte offsets,
 * telling a torn last line (no newline: an interrupted writer) from
 * complete ones, and the few keys both need from each line. */
#ifndef KLONOS_TOOLS_BATCH_LINES_H
#define KLONOS_TOOLS_BATCH_LINES_H

#include <stdio.h>

#include "json_read.h"

typedef struct kl_line_reader {
  FILE *f;
  char *buf;
  size_t cap;
  long long offset;        /* of the line last returned */
  long long next_offset;
  long lineno;             /* 1-based number of the line last returned */
} kl_line_reader;

enum { KL_LINE_END = 0, KL_LINE_OK = 1, KL_LINE_TORN = 2, KL_LINE_ERROR = -1 };

/* Start reading @p f from its current position (taken as offset 0). */
void kl_lines_init(kl_line_reader *r, FILE *f);
/* Next line without its newline: KL_LINE_OK, KL_LINE_TORN (the last line has
 * no newline), KL_LINE_END, or KL_LINE_ERROR (errno set). */
int kl_lines_next(kl_line_reader *r, const char **line, size_t *len);
void kl_lines_free(kl_line_reader *r);

/* What resuming and merging need from one result line. Pointers into the
 * document (valid until kl_jdoc_free). */
typedef struct kl_result {
  const kl_jv *root;
  const char *subject, *date, *path; /* date: "" when null */
  int ok;                            /* "status": "ok" (else "error") */
  const char *version;               /* "klonos_version" */
  const char *params;                /* the "parameters" value's exact text (not NUL-terminated) */
  size_t params_len;
} kl_result;

/* Parse @p line as a batch result: 0, or -1 with the reason in err. */
int kl_result_parse(kl_jdoc *doc, const char *line, size_t len, kl_result *out, char *err, size_t errlen);

/* Does @p r come from the same klonos version with the same parameters? */
int kl_result_same_run(const kl_result *r, const char *version, const char *params, size_t params_len);

/* Write @p s as one CSV cell (quoted when it needs to be). */
void kl_batch_csv_cell(FILE *out, const char *s);

#endif
