#include "batch_lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

void kl_lines_init(kl_line_reader *r, FILE *f) {
  memset(r, 0, sizeof *r);
  r->f = f;
}

void kl_lines_free(kl_line_reader *r) {
  free(r->buf);
  r->buf = NULL;
  r->cap = 0;
}

int kl_lines_next(kl_line_reader *r, const char **line, size_t *len) {
  /* getline: result lines can be megabytes (a week's per-epoch scores). */
  errno = 0;
  ssize_t n = getline(&r->buf, &r->cap, r->f);
  if (n < 0) return ferror(r->f) ? KL_LINE_ERROR : KL_LINE_END;
  r->offset = r->next_offset;
  r->next_offset += n;
  r->lineno++;
  *line = r->buf;
  if (r->buf[n - 1] != '\n') {
    *len = (size_t)n;
    return KL_LINE_TORN;
  }
  r->buf[n - 1] = 0;
  *len = (size_t)n - 1;
  return KL_LINE_OK;
}

int kl_result_parse(kl_jdoc *doc, const char *line, size_t len, kl_result *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (kl_jparse(doc, line, len, err, errlen)) return -1;
  const kl_jv *root = doc->root, *params = kl_jget(root, "parameters");
  const char *status = kl_jstr(kl_jget(root, "status"));
  const kl_jv *date = kl_jget(root, "date");
  out->root = root;
  out->subject = kl_jstr(kl_jget(root, "subject"));
  out->path = kl_jstr(kl_jget(root, "path"));
  out->version = kl_jstr(kl_jget(root, "klonos_version"));
  out->date = kl_jstr(date) ? kl_jstr(date) : "";
  const char *missing = !out->subject ? "subject"
                        : !out->path ? "path"
                        : !status || (strcmp(status, "ok") && strcmp(status, "error")) ? "status (ok or error)"
                        : !out->version ? "klonos_version"
                        : !params || params->type != KL_JV_OBJECT ? "parameters"
                        : NULL;
  if (missing) {
    snprintf(err, errlen, "not a klonos batch result: no %s", missing);
    return -1;
  }
  out->ok = strcmp(status, "ok") == 0;
  if (out->ok && !kl_jget(root, "report")) {
    snprintf(err, errlen, "not a klonos batch result: status ok but no report");
    return -1;
  }
  out->params = line + params->start;
  out->params_len = params->end - params->start;
  return 0;
}

int kl_result_same_run(const kl_result *r, const char *version, const char *params, size_t params_len) {
  return strcmp(r->version, version) == 0 && r->params_len == params_len && memcmp(r->params, params, params_len) == 0;
}

void kl_batch_csv_cell(FILE *out, const char *s) {
  if (!s[strcspn(s, ",\"\r\n")] && s[0] != ' ' && (!s[0] || s[strlen(s) - 1] != ' ')) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"') fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}
