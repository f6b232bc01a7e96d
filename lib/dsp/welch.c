/* Streaming Welch PSD; see welch.h for scaling and conventions. */
#include "welch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fftw_plan.h"
#include "klonos/status.h"
#include "util/simd.h"

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
  double *segs;       /* KL_WELCH_MAX_CH x nfft, for kl_welch_single_sum (allocated on first use) */
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
  free(p->segs);
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

/* in[i] = (seg[i] - mean) * win[i], two lanes at a time (bit-identical). */
static void detrend_window(double *in, const double *seg, const double *win, double mean, size_t n) {
  size_t i = 0;
#if KL_HAVE_V2D
  const kl_v2d m = kl_v2d_set1(mean);
  for (; i + 2 <= n; i += 2) kl_v2d_store(in + i, (kl_v2d_load(seg + i) - m) * kl_v2d_load(win + i));
#endif
  for (; i < n; i++) in[i] = (seg[i] - mean) * win[i];
}

/* The segment buffer is full: detrend, window, transform, accumulate. */
static void segment_done(kl_welch *w) {
  const size_t n = w->nfft;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += w->seg[i];
  if (isfinite(sum)) {
    double mean = sum / (double)n;
    detrend_window(w->in, w->seg, w->win, mean, n);
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

/* One segment's density straight from the samples: the same operations as
 * kl_welch_reset + kl_welch_push_strided(nfft samples) + kl_welch_result,
 * in the same order, without the streaming bookkeeping. */
int kl_welch_single(kl_welch *w, const float *x, size_t stride, double *psd) {
  if (!w || !x || !psd || stride == 0) return KLONOS_E_INVAL;
  const size_t n = w->nfft;
  double *seg = w->seg;
  for (size_t i = 0; i < n; i++) seg[i] = (double)x[i * stride];
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += seg[i];
  if (!isfinite(sum)) return KLONOS_E_NODATA; /* the segment would be skipped: no density */
  const double mean = sum / (double)n;
  detrend_window(w->in, seg, w->win, mean, n);
  fftw_execute_dft_r2c(w->plan, w->in, w->out);
  const double scale = 1.0 / ((double)1 * w->fs_hz * w->win_ss);
  const size_t last_doubled = (n - 1) / 2;
  const fftw_complex *X = (const fftw_complex *)w->out;
  for (size_t k = 0; k < w->nbins; k++) {
    double v = (0.0 + (X[k][0] * X[k][0] + X[k][1] * X[k][1])) * scale;
    psd[k] = (k >= 1 && k <= last_doubled) ? 2.0 * v : v;
  }
  return KLONOS_OK;
}

int kl_welch_single_sum(kl_welch *w, const float *x, int nch, double *psd, int *valid_ch) {
  if (valid_ch) *valid_ch = 0;
  if (!w || !x || !psd || nch < 1 || nch > KL_WELCH_MAX_CH) return KLONOS_E_INVAL;
  const size_t n = w->nfft, C = (size_t)nch;
  if (!w->segs) {
    w->segs = malloc(sizeof(double) * KL_WELCH_MAX_CH * n);
    if (!w->segs) return KLONOS_E_NOMEM;
  }
  /* De-interleave once; the channels' sums are independent chains, each
   * adding its samples in order as kl_welch_single does. */
  double sum[KL_WELCH_MAX_CH] = {0};
  if (C == 3) {
    double *s0 = w->segs, *s1 = w->segs + n, *s2 = w->segs + 2 * n;
    double a0 = 0.0, a1 = 0.0, a2 = 0.0;
    for (size_t i = 0; i < n; i++) {
      s0[i] = (double)x[3 * i], s1[i] = (double)x[3 * i + 1], s2[i] = (double)x[3 * i + 2];
      a0 += s0[i], a1 += s1[i], a2 += s2[i];
    }
    sum[0] = a0, sum[1] = a1, sum[2] = a2;
  } else {
    for (size_t c = 0; c < C; c++) {
      double *sc = w->segs + c * n, a = 0.0;
      for (size_t i = 0; i < n; i++) sc[i] = (double)x[i * C + c];
      for (size_t i = 0; i < n; i++) a += sc[i];
      sum[c] = a;
    }
  }
  const double scale = 1.0 / ((double)1 * w->fs_hz * w->win_ss);
  const size_t last_doubled = (n - 1) / 2;
  for (size_t c = 0; c < C; c++) {
    if (!isfinite(sum[c])) return KLONOS_E_NODATA;
    detrend_window(w->in, w->segs + c * n, w->win, sum[c] / (double)n, n);
    fftw_execute_dft_r2c(w->plan, w->in, w->out);
    const fftw_complex *X = (const fftw_complex *)w->out;
    for (size_t k = 0; k < w->nbins; k++) {
      double v = (0.0 + (X[k][0] * X[k][0] + X[k][1] * X[k][1])) * scale;
      v = (k >= 1 && k <= last_doubled) ? 2.0 * v : v;
      psd[k] = (c == 0 ? 0.0 : psd[k]) + v;
    }
    if (valid_ch) *valid_ch = (int)c + 1;
  }
  return KLONOS_OK;
}

/* Accumulate |X|^2 of one detrended, windowed segment into acc. */
static void seg_power(kl_welch *w, const double *x, double mean, double *acc) {
  detrend_window(w->in, x, w->win, mean, w->nfft);
  fftw_execute_dft_r2c(w->plan, w->in, w->out);
  const fftw_complex *X = (const fftw_complex *)w->out;
  for (size_t k = 0; k < w->nbins; k++) acc[k] += X[k][0] * X[k][0] + X[k][1] * X[k][1];
}

int kl_welch_psd2(kl_welch *w, const double *x, const double *y, size_t n, double *psd_x, double *psd_y,
                  size_t *segments) {
  if (!w || !x || !y || !psd_x || !psd_y) return KLONOS_E_INVAL;
  const size_t L = w->nfft, hop = w->hop, nb = w->nbins;
  if (segments) *segments = 0;
  if (n < L) return KLONOS_E_NODATA;
  const size_t nseg = (n - L) / hop + 1;
  double *ax = psd_x, *ay = psd_y; /* the sums of |X|^2 first, scaled at the end */
  for (size_t k = 0; k < nb; k++) ax[k] = ay[k] = 0.0;
  size_t used = 0;
  for (size_t j = 0; j < nseg; j += 2) {
    /* Segment j, and j + 1 when there is one: four independent sums, each
     * over its segment's samples in order (as segment_done adds them). */
    const size_t a0 = j * hop, a1 = a0 + hop;
    const int two = j + 1 < nseg;
    double sx0 = 0.0, sy0 = 0.0, sx1 = 0.0, sy1 = 0.0;
    if (two) {
      for (size_t i = 0; i < L; i++) {
        sx0 += x[a0 + i], sy0 += y[a0 + i];
        sx1 += x[a1 + i], sy1 += y[a1 + i];
      }
    } else {
      for (size_t i = 0; i < L; i++) sx0 += x[a0 + i], sy0 += y[a0 + i];
    }
    const double sums[2][2] = {{sx0, sy0}, {sx1, sy1}};
    for (int q = 0; q <= two; q++) {
      const size_t a = q ? a1 : a0;
      if (!isfinite(sums[q][0]) || !isfinite(sums[q][1])) return KLONOS_E_INVAL; /* callers pass finite data */
      seg_power(w, x + a, sums[q][0] / (double)L, ax);
      seg_power(w, y + a, sums[q][1] / (double)L, ay);
      used++;
    }
  }
  const double scale = 1.0 / ((double)used * w->fs_hz * w->win_ss);
  const size_t last_doubled = (L - 1) / 2;
  for (size_t k = 0; k < nb; k++) {
    double vx = ax[k] * scale, vy = ay[k] * scale;
    psd_x[k] = (k >= 1 && k <= last_doubled) ? 2.0 * vx : vx;
    psd_y[k] = (k >= 1 && k <= last_doubled) ? 2.0 * vy : vy;
  }
  if (segments) *segments = used;
  return KLONOS_OK;
}
