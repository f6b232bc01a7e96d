/* Streaming Welch PSD; see welch.h for scaling and conventions. */
#include "welch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fftw_plan.h"
#include "klonos/status.h"

struct kl_welch {
  size_t nfft, hop, nbins;
  double fs_hz;
  double win_ss;      /* sum of w^2 */
  double *win;        /* nfft */
  double *seg;        /* nfft: samples of the segment being filled */
  size_t fill;        /* samples in seg */
  double *in;         /* nfft: FFT input (fftw_malloc, aligned) */
  fftw_complex *out;  /* nbins */
  double *acc;        /* nbins: sum over segments of |X_k|^2 */
  size_t nseg, nskip;
  fftw_plan plan;
};

static const double kl_pi = 3.14159265358979323846;

void kl_welch_destroy(kl_welch **w) {
  if (!w || !*w) return;
  kl_welch *p = *w;
  kl_fftw_destroy_plan(p->plan);
  fftw_free(p->in);
  fftw_free(p->out);
  free(p->win);
  free(p->seg);
  free(p->acc);
  free(p);
  *w = NULL;
}

int kl_welch_create(kl_welch **out, size_t nfft, size_t overlap, double fs_hz) {
  if (!out) return KLONOS_E_INVAL;
  *out = NULL;
  if (nfft < 8 || nfft > KL_WELCH_MAX_NFFT) return KLONOS_E_INVAL;
  if (overlap == KL_WELCH_OVERLAP_DEFAULT) overlap = nfft / 2;
  if (overlap >= nfft) return KLONOS_E_INVAL;
  if (!isfinite(fs_hz) || !(fs_hz > 0.0)) return KLONOS_E_INVAL;

  kl_welch *w = calloc(1, sizeof *w);
  if (!w) return KLONOS_E_NOMEM;
  w->nfft = nfft;
  w->hop = nfft - overlap;
  w->nbins = nfft / 2 + 1;
  w->fs_hz = fs_hz;
  w->win = malloc(sizeof(double) * nfft);
  w->seg = malloc(sizeof(double) * nfft);
  w->acc = calloc(w->nbins, sizeof(double));
  w->in = fftw_malloc(sizeof(double) * nfft);
  w->out = fftw_malloc(sizeof(fftw_complex) * w->nbins);
  if (!w->win || !w->seg || !w->acc || !w->in || !w->out) {
    kl_welch_destroy(&w);
    return KLONOS_E_NOMEM;
  }
  w->plan = kl_fftw_plan_r2c((int)nfft, w->in, w->out);
  if (!w->plan) {
    kl_welch_destroy(&w);
    return KLONOS_E_NOMEM;
  }
  /* Periodic Hann (DFT-even), the spectral-analysis form scipy's
   * get_window('hann') returns. */
  double ss = 0.0;
  for (size_t i = 0; i < nfft; i++) {
    double v = 0.5 - 0.5 * cos(2.0 * kl_pi * (double)i / (double)nfft);
    w->win[i] = v;
    ss += v * v;
  }
  w->win_ss = ss;
  *out = w;
  return KLONOS_OK;
}

void kl_welch_reset(kl_welch *w) {
  if (!w) return;
  w->fill = 0;
  w->nseg = w->nskip = 0;
  memset(w->acc, 0, sizeof(double) * w->nbins);
}

/* The segment buffer is full: detrend, window, transform, accumulate. */
static void segment_done(kl_welch *w) {
  const size_t n = w->nfft;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += w->seg[i];
  if (isfinite(sum)) {
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) w->in[i] = (w->seg[i] - mean) * w->win[i];
    fftw_execute_dft_r2c(w->plan, w->in, w->out);
    for (size_t k = 0; k < w->nbins; k++) w->acc[k] += w->out[k][0] * w->out[k][0] + w->out[k][1] * w->out[k][1];
    w->nseg++;
  } else {
    w->nskip++;
  }
  /* Keep the overlapping tail as the start of the next segment. */
  size_t keep = n - w->hop;
  memmove(w->seg, w->seg + w->hop, sizeof(double) * keep);
  w->fill = keep;
}

/* Shared body of the push variants: T is float or double. */
#define KL_WELCH_PUSH_BODY                                                   \
  if (!w || (!x && n) || stride == 0) return KLONOS_E_INVAL;                 \
  size_t pos = 0; /* index of the next sample, in samples of x */           \
  while (pos < n) {                                                          \
    size_t m = w->nfft - w->fill;                                            \
    if (m > n - pos) m = n - pos;                                            \
    double *dst = w->seg + w->fill;                                          \
    for (size_t i = 0; i < m; i++) dst[i] = (double)x[(pos + i) * stride];   \
    w->fill += m;                                                            \
    pos += m;                                                                \
    if (w->fill == w->nfft) segment_done(w);                                 \
  }                                                                          \
  return KLONOS_OK;

int kl_welch_push_strided(kl_welch *w, const float *x, size_t n, size_t stride) { KL_WELCH_PUSH_BODY }

int kl_welch_push_d(kl_welch *w, const double *x, size_t n, size_t stride) { KL_WELCH_PUSH_BODY }

int kl_welch_push(kl_welch *w, const float *x, size_t n) { return kl_welch_push_strided(w, x, n, 1); }

size_t kl_welch_nbins(const kl_welch *w) { return w ? w->nbins : 0; }
double kl_welch_df_hz(const kl_welch *w) { return w ? w->fs_hz / (double)w->nfft : NAN; }
size_t kl_welch_segments(const kl_welch *w) { return w ? w->nseg : 0; }
size_t kl_welch_skipped(const kl_welch *w) { return w ? w->nskip : 0; }

int kl_welch_result(const kl_welch *w, double *psd, size_t *nbins) {
  if (!w || !psd) return KLONOS_E_INVAL;
  if (nbins) *nbins = w->nbins;
  if (w->nseg == 0) return KLONOS_E_NODATA;
  double scale = 1.0 / ((double)w->nseg * w->fs_hz * w->win_ss);
  /* Bins 1 .. (nfft-1)/2 have a mirror image at negative frequency. */
  size_t last_doubled = (w->nfft - 1) / 2;
  for (size_t k = 0; k < w->nbins; k++) {
    double v = w->acc[k] * scale;
    psd[k] = (k >= 1 && k <= last_doubled) ? 2.0 * v : v;
  }
  return KLONOS_OK;
}
