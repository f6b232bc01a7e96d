#include "resample.h"

#include <math.h>
#include <samplerate.h>
#include <stdlib.h>
#include <string.h>

#include "klonos/status.h"

#define BLOCK_FRAMES 1024
#define MAX_CH 6

struct kl_resampler {
  SRC_STATE *src;
  int nch;
  double ratio;
  float in_buf[BLOCK_FRAMES * (MAX_CH + 1)];
  float out_buf[BLOCK_FRAMES * (MAX_CH + 1)];
  size_t in_fill;    /* frames staged in in_buf not yet consumed by libsamplerate */
  size_t out_have;   /* frames in out_buf not yet delivered */
  size_t out_pos;
  int flushed;
};

int kl_resampler_create(kl_resampler **out, int nch, double in_rate_hz, double out_rate_hz) {
  if (!out || nch < 1 || nch > MAX_CH || !(in_rate_hz > 0) || !(out_rate_hz > 0)) return KLONOS_E_INVAL;
  double ratio = out_rate_hz / in_rate_hz;
  if (!src_is_valid_ratio(ratio)) return KLONOS_E_RATE;
  kl_resampler *r = calloc(1, sizeof *r);
  if (!r) return KLONOS_E_NOMEM;
  int err = 0;
  r->src = src_new(SRC_SINC_FASTEST, nch + 1, &err);
  if (!r->src) {
    free(r);
    return KLONOS_E_NOMEM;
  }
  r->nch = nch;
  r->ratio = ratio;
  *out = r;
  return KLONOS_OK;
}

void kl_resampler_destroy(kl_resampler **r) {
  if (!r || !*r) return;
  src_delete((*r)->src);
  free(*r);
  *r = NULL;
}

/* Stage input frames with the validity channel appended. */
static size_t stage(kl_resampler *r, const float *in, size_t n) {
  const int w = r->nch + 1;
  size_t room = BLOCK_FRAMES - r->in_fill;
  if (n > room) n = room;
  for (size_t i = 0; i < n; i++) {
    const float *f = in + i * (size_t)r->nch;
    float *d = r->in_buf + (r->in_fill + i) * (size_t)w;
    int valid = 1;
    for (int c = 0; c < r->nch; c++) valid &= !isnan(f[c]);
    for (int c = 0; c < r->nch; c++) d[c] = valid ? f[c] : 0.0f;
    d[r->nch] = valid ? 1.0f : 0.0f;
  }
  r->in_fill += n;
  return n;
}

static size_t deliver(kl_resampler *r, float *out, size_t cap) {
  const int w = r->nch + 1;
  size_t n = r->out_have < cap ? r->out_have : cap;
  for (size_t i = 0; i < n; i++) {
    const float *s = r->out_buf + (r->out_pos + i) * (size_t)w;
    float *d = out + i * (size_t)r->nch;
    float m = s[r->nch];
    if (m < 0.5f) {
      for (int c = 0; c < r->nch; c++) d[c] = NAN;
    } else {
      for (int c = 0; c < r->nch; c++) d[c] = s[c] / m;
    }
  }
  r->out_pos += n;
  r->out_have -= n;
  return n;
}

int kl_resampler_process(kl_resampler *r, const float *in, size_t in_frames, size_t *in_used, float *out,
                         size_t out_cap, size_t *out_made, int end_of_input) {
  *in_used = 0;
  *out_made = 0;
  const int w = r->nch + 1;
  for (;;) {
    *out_made += deliver(r, out + *out_made * (size_t)r->nch, out_cap - *out_made);
    if (*out_made == out_cap) return KLONOS_OK;
    if (*in_used < in_frames) *in_used += stage(r, in + *in_used * (size_t)r->nch, in_frames - *in_used);
    int eoi = end_of_input && *in_used == in_frames;
    if (r->in_fill == 0 && (!eoi || r->flushed)) return KLONOS_OK;
    SRC_DATA d = {.data_in = r->in_buf, .input_frames = (long)r->in_fill, .data_out = r->out_buf,
                  .output_frames = BLOCK_FRAMES, .src_ratio = r->ratio, .end_of_input = eoi};
    int err = src_process(r->src, &d);
    if (err) return KLONOS_E_INVAL;
    size_t used = (size_t)d.input_frames_used;
    memmove(r->in_buf, r->in_buf + used * (size_t)w, (r->in_fill - used) * (size_t)w * sizeof(float));
    r->in_fill -= used;
    r->out_have = (size_t)d.output_frames_gen;
    r->out_pos = 0;
    if (eoi && r->in_fill == 0 && d.output_frames_gen == 0) {
      r->flushed = 1;
      return KLONOS_OK;
    }
    if (used == 0 && d.output_frames_gen == 0 && !eoi) return KLONOS_OK; /* needs more input */
  }
}
