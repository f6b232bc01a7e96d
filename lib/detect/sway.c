/* Postural sway metrics of one bout (Prieto 1996; Mancini 2012 ISway;
 * Schubert & Kirchner 2014); definitions in sway.h and docs/sway.md. */
#include "sway.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/butterworth.h"
#include "dsp/filtfilt.h"
#include "dsp/spectral.h"
#include "dsp/welch.h"
#include "klonos/status.h"
#include "util/simd.h"
#include "planar.h"

static const double kl_pi = 3.14159265358979323846;

void kl_sway_config_default(kl_sway_config *c) {
  if (!c) return;
  memset(c, 0, sizeof *c);
  c->min_duration_s = 10.0;
  c->lowpass_hz = 3.5;     /* Mancini et al. 2012 */
  c->lowpass_order = 4;
  c->band_lo_hz = 0.15;    /* Prieto et al. 1996 */
  c->band_hi_hz = 5.0;
  c->welch_segment_s = 10.0;
  c->welch_overlap = 0.5;
  c->ellipse_coverage = 0.95;
}

/* Upper quantile of the F(2, m) distribution: P(F > x) = alpha. For two
 * numerator degrees of freedom the CDF is closed-form,
 * P(F <= x) = 1 - (1 + 2x/m)^(-m/2), so x = (m/2)(alpha^(-2/m) - 1)
 * (-> -ln(alpha) = 2.996 for alpha = 0.05 as m -> infinity: Prieto's 3.00). */
static double f_quantile_2_m(double alpha, double m) { return 0.5 * m * expm1(-2.0 / m * log(alpha)); }

/* Validated, rate-resolved parameters. */
typedef struct sway_plan {
  size_t nfft, overlap, n_min;
  double band_hi_hz;
} sway_plan;

static int plan_config(const kl_sway_config *c, double rate_hz, sway_plan *p) {
  if (!isfinite(rate_hz) || !(rate_hz > 0.0)) return KLONOS_E_INVAL;
  double nyq = 0.5 * rate_hz;
  if (!isfinite(c->min_duration_s) || c->min_duration_s < 0.0) return KLONOS_E_INVAL;
  /* lowpass_hz == 0 switches the low-pass off (for analytic tests). */
  if (!isfinite(c->lowpass_hz) || c->lowpass_hz < 0.0 || c->lowpass_hz >= nyq) return KLONOS_E_INVAL;
  if (c->lowpass_hz > 0.0 && (c->lowpass_order < 1 || c->lowpass_order > KL_BUTTER_MAX_ORDER))
    return KLONOS_E_INVAL;
  if (!isfinite(c->band_lo_hz) || !isfinite(c->band_hi_hz) || c->band_lo_hz < 0.0) return KLONOS_E_INVAL;
  p->band_hi_hz = fmin(c->band_hi_hz, nyq);
  if (!(p->band_hi_hz > c->band_lo_hz)) return KLONOS_E_INVAL;
  if (!isfinite(c->welch_segment_s) || !(c->welch_segment_s > 0.0)) return KLONOS_E_INVAL;
  if (!isfinite(c->welch_overlap) || c->welch_overlap < 0.0 || c->welch_overlap >= 1.0) return KLONOS_E_INVAL;
  if (!isfinite(c->ellipse_coverage) || !(c->ellipse_coverage > 0.0 && c->ellipse_coverage < 1.0))
    return KLONOS_E_INVAL;
  double nfft = round(c->welch_segment_s * rate_hz);
  if (nfft < 8.0 || nfft > (double)KL_WELCH_MAX_NFFT) return KLONOS_E_INVAL;
  p->nfft = (size_t)nfft;
  p->overlap = (size_t)round(c->welch_overlap * nfft);
  if (p->overlap >= p->nfft) p->overlap = p->nfft - 1;
  double n_min = ceil(c->min_duration_s * rate_hz - 1e-9);
  if (n_min < nfft) n_min = nfft; /* at least one Welch segment */
  if (n_min < 4.0) n_min = 4.0;   /* the ellipse needs n - 2 > 0 degrees of freedom */
  p->n_min = (size_t)n_min;
  return KLONOS_OK;
}

/* The sway workspace: the Welch estimator (its FFT plan) and the buffers,
 * kept from bout to bout. */
struct kl_sway_ws {
  kl_welch *welch;
  size_t welch_nfft, welch_overlap;
  double welch_rate;
  double *buf, *ff, *psd, *planar;
  size_t buf_cap, ff_cap, psd_cap, planar_cap;
};

static double *grow(double **p, size_t *cap, size_t need) {
  if (*p && *cap >= need) return *p;
  size_t c = *cap ? *cap : 1024;
  while (c < need) c *= 2;
  double *q = realloc(*p, c * sizeof(double));
  if (!q) return NULL;
  *p = q;
  *cap = c;
  return q;
}

int kl_sway_ws_create(kl_sway_ws **out) {
  if (!out) return KLONOS_E_INVAL;
  *out = calloc(1, sizeof **out);
  return *out ? KLONOS_OK : KLONOS_E_NOMEM;
}

void kl_sway_ws_destroy(kl_sway_ws **pw) {
  if (!pw || !*pw) return;
  kl_sway_ws *w = *pw;
  kl_welch_destroy(&w->welch);
  free(w->buf);
  free(w->ff);
  free(w->psd);
  free(w->planar);
  free(w);
  *pw = NULL;
}

int kl_sway_ws_reserve(kl_sway_ws *ws, const kl_sway_config *c, size_t n, double rate_hz) {
  if (!ws || !c) return KLONOS_E_INVAL;
  sway_plan p;
  int rc = plan_config(c, rate_hz, &p);
  if (rc != KLONOS_OK) return rc;
  if (!ws->welch) {
    rc = kl_welch_create(&ws->welch, p.nfft, p.overlap, rate_hz);
    if (rc != KLONOS_OK) return rc;
    ws->welch_nfft = p.nfft;
    ws->welch_overlap = p.overlap;
    ws->welch_rate = rate_hz;
  }
  /* The sizes kl_sway_compute_ws asks for with a bout of n samples. */
  const size_t wl = n + 2 * 3 * (2 * KL_BUTTER_MAX_ORDER + 1), nb = kl_welch_nbins(ws->welch);
  double **bufs[4] = {&ws->buf, &ws->ff, &ws->psd, &ws->planar};
  size_t *caps[4] = {&ws->buf_cap, &ws->ff_cap, &ws->psd_cap, &ws->planar_cap};
  const size_t need[4] = {2 * n, 2 * wl, 3 * nb, kl_planar_work_len(n)};
  for (int i = 0; i < 4; i++) {
    if (!grow(bufs[i], caps[i], need[i])) return KLONOS_E_NOMEM;
    /* Resident now: the signal and filter buffers, which every bout fills
     * to its length. The hull's (planar) holds only the points that pass
     * the octagon screen and the hull, a handful whatever the length. */
    if (i != 3) memset(*bufs[i], 0, *caps[i] * sizeof(double));
  }
  return KLONOS_OK;
}

/* Copy both channels to doubles, low-pass them zero-phase (together:
 * kl_sos_filtfilt_multi_d is bit-identical to one at a time), remove each
 * one's mean. */
static int condition2(kl_sway_ws *ws, const kl_sway_config *c, const float *ap, const float *ml, size_t n,
                      size_t stride, double rate_hz, double *x, double *y) {
  for (size_t i = 0; i < n; i++) x[i] = (double)ap[i * stride];
  for (size_t i = 0; i < n; i++) y[i] = (double)ml[i * stride];
  if (c->lowpass_hz > 0.0) {
    kl_sos_design d;
    int rc = kl_butter_lowpass(&d, c->lowpass_order, c->lowpass_hz, rate_hz);
    if (rc != KLONOS_OK) return rc;
    double *work = grow(&ws->ff, &ws->ff_cap, 2 * kl_sos_filtfilt_work_len(&d, n));
    if (!work) return KLONOS_E_NOMEM;
    const kl_sos_design *dp[2] = {&d, &d};
    double *const xy[2] = {x, y};
    rc = kl_sos_filtfilt_multi_d(dp, 2, xy, n, work);
    if (rc != KLONOS_OK) return rc;
  }
  /* Each mean is a sum in sample order (two chains side by side). */
  double sx = 0.0, sy = 0.0;
  for (size_t i = 0; i < n; i++) sx += x[i], sy += y[i];
  const double mx = sx / (double)n, my = sy / (double)n;
  size_t i = 0;
#if KL_HAVE_V2D
  const kl_v2d vx = kl_v2d_set1(mx), vy = kl_v2d_set1(my);
  for (; i + 2 <= n; i += 2) {
    kl_v2d_store(x + i, kl_v2d_load(x + i) - vx);
    kl_v2d_store(y + i, kl_v2d_load(y + i) - vy);
  }
#endif
  for (; i < n; i++) x[i] -= mx, y[i] -= my;
  return KLONOS_OK;
}

/* The sums of the time-domain metrics and of the drift regression of
 * mean_velocity, in one sweep: fourteen independent running sums, each
 * accumulated over the samples in order with the same expressions as a
 * loop of its own (so the same bits), side by side instead of one latency
 * chain after another. */
typedef struct sway_sums {
  double sxx, syy, sxy, dist, xmin, xmax, ymin, ymax; /* samples */
  double path, jx, jy, swept;                         /* sample intervals */
  double sx, sy, stx, sty;                            /* trapezoidal velocity */
} sway_sums;

static void sway_sweep(const double *x, const double *y, size_t n, double rate_hz, sway_sums *o) {
  const double h = 0.5 / rate_hz;
  double sxx = 0.0, syy = 0.0, sxy = 0.0, dist = 0.0;
  double xmin = x[0], xmax = x[0], ymin = y[0], ymax = y[0];
  double path = 0.0, jx = 0.0, jy = 0.0, swept = 0.0;
  double vx = 0.0, vy = 0.0, sx = 0.0, sy = 0.0, stx = 0.0, sty = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double xi = x[i], yi = y[i];
    sxx += xi * xi;
    syy += yi * yi;
    sxy += xi * yi;
    dist += sqrt((xi) * (xi) + (yi) * (yi));
    /* fmin/fmax without the call (the samples are finite): glibc's
     * fmin(a, b) is a < b ? a : b, fmax(a, b) is a > b ? a : b */
    xmin = xmin < xi ? xmin : xi;
    xmax = xmax > xi ? xmax : xi;
    ymin = ymin < yi ? ymin : yi;
    ymax = ymax > yi ? ymax : yi;
    if (i + 1 < n) {
      /* Differences over the n - 1 sample intervals (docs/sway.md). */
      double dx = x[i + 1] - xi, dy = y[i + 1] - yi;
      path += sqrt((dx) * (dx) + (dy) * (dy));
      jx += dx * dx;
      jy += dy * dy;
      swept += fabs(xi * y[i + 1] - x[i + 1] * yi);
    }
    if (i > 0) {
      vx += h * (x[i - 1] + xi);
      vy += h * (y[i - 1] + yi);
    }
    double t = (double)i;
    sx += vx;
    sy += vy;
    stx += t * vx;
    sty += t * vy;
  }
  *o = (sway_sums){sxx, syy, sxy, dist, xmin, xmax, ymin, ymax, path, jx, jy, swept, sx, sy, stx, sty};
}

static void time_domain(const sway_sums *u, size_t n, double rate_hz, double coverage, kl_sway_metrics *m) {
  const double sxx = u->sxx, syy = u->syy, sxy = u->sxy, dist = u->dist;
  const double nd = (double)n;
  m->rms_ap_mps2 = sqrt(sxx / nd);
  m->rms_ml_mps2 = sqrt(syy / nd);
  m->rms_mps2 = sqrt((sxx + syy) / nd);
  m->range_ap_mps2 = u->xmax - u->xmin;
  m->range_ml_mps2 = u->ymax - u->ymin;
  m->mean_distance_mps2 = dist / nd;

  /* Differences over the n - 1 sample intervals, spanning T = (n-1)/rate.
   * Forward differences estimate the derivative's mean square with a bias
   * of sinc^2(f/rate) (-1.6% at 3.5 Hz, 50 Hz) against 2x that for the
   * central difference; see docs/sway.md. */
  const double path = u->path, jx = u->jx, jy = u->jy, swept = u->swept;
  const double t_span = (double)(n - 1) / rate_hz;
  m->path_mps2 = path;
  m->path_per_s_mps3 = path / t_span;
  /* 1/2 integral (da/dt)^2 dt with da/dt = da * rate and dt = 1/rate. */
  double jerk_ap_int = 0.5 * jx * rate_hz, jerk_ml_int = 0.5 * jy * rate_hz;
  m->jerk_total_m2ps5 = jerk_ap_int + jerk_ml_int;
  m->jerk_ap_m2ps6 = jerk_ap_int / t_span;
  m->jerk_ml_m2ps6 = jerk_ml_int / t_span;
  m->jerk_m2ps6 = m->jerk_total_m2ps5 / t_span;
  m->sway_area_per_s_m2ps5 = 0.5 * swept / t_span;
  m->mean_freq_hz = m->mean_distance_mps2 > 0.0 ? m->path_per_s_mps3 / (2.0 * kl_pi * m->mean_distance_mps2) : 0.0;

  /* Ellipses from the sample covariance (divisor n - 1; the means are 0). */
  double cxx = sxx / (nd - 1.0), cyy = syy / (nd - 1.0), cxy = sxy / (nd - 1.0);
  double sdet = sqrt(fmax(cxx * cyy - cxy * cxy, 0.0));
  double f = f_quantile_2_m(1.0 - coverage, nd - 2.0);
  m->ellipse_area_m2ps4 = 2.0 * kl_pi * f * sdet;
  m->prediction_ellipse_area_m2ps4 = kl_pi * 2.0 * (nd + 1.0) * (nd - 1.0) / (nd * (nd - 2.0)) * f * sdet;
}

/* Mean speed of the velocity obtained by integrating the acceleration
 * (trapezoidal rule) after removing its least-squares line: the unknown
 * initial velocity and the drift that any residual offset integrates into
 * are not sway. The regression's sums come from sway_sweep; this pass
 * recomputes the running integrals, so no extra buffers are needed. */
static double mean_velocity(const double *x, const double *y, size_t n, double rate_hz, const sway_sums *u) {
  const double h = 0.5 / rate_hz;
  const double sx = u->sx, sy = u->sy, stx = u->stx, sty = u->sty;
  double vx = 0.0, vy = 0.0;
  /* Regression on the sample index t = 0..n-1. */
  const double nd = (double)n, tm = 0.5 * (nd - 1.0);
  const double stt = nd * (nd * nd - 1.0) / 12.0; /* sum (t - tm)^2 */
  double bx = (stx - tm * sx) / stt, by = (sty - tm * sy) / stt;
  double ax = sx / nd - bx * tm, ay = sy / nd - by * tm;
  double speed = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (i > 0) {
      vx += h * (x[i - 1] + x[i]);
      vy += h * (y[i - 1] + y[i]);
    }
    double t = (double)i;
    speed += sqrt((vx - ax - bx * t) * (vx - ax - bx * t) + (vy - ay - by * t) * (vy - ay - by * t));
  }
  return speed / nd;
}

static void set_spectrum(kl_sway_spectrum *s, const kl_spectral_moments *mo) {
  s->total_power_m2ps4 = mo->mu0;
  s->f50_hz = mo->f50_hz;
  s->f95_hz = mo->f95_hz;
  s->centroid_freq_hz = mo->centroid_hz;
  s->freq_dispersion = mo->dispersion;
}

/* Welch PSD of both axes and spectral moments of AP + ML and of each axis.
 * An axis without power in the band (e.g. a purely AP synthetic signal)
 * leaves its per-axis fields at 0; no power at all is KLONOS_E_NODATA. */
static int frequency_domain(kl_sway_ws *ws, const kl_sway_config *c, const sway_plan *p, const double *x,
                            const double *y, size_t n, double rate_hz, kl_sway_metrics *m) {
  if (!ws->welch || ws->welch_nfft != p->nfft || ws->welch_overlap != p->overlap || ws->welch_rate != rate_hz) {
    kl_welch_destroy(&ws->welch);
    int rc = kl_welch_create(&ws->welch, p->nfft, p->overlap, rate_hz);
    if (rc != KLONOS_OK) return rc;
    ws->welch_nfft = p->nfft;
    ws->welch_overlap = p->overlap;
    ws->welch_rate = rate_hz;
  }
  kl_welch *w = ws->welch;
  size_t nb = kl_welch_nbins(w);
  double *psd = grow(&ws->psd, &ws->psd_cap, 3 * nb);
  if (!psd) return KLONOS_E_NOMEM;
  double *pap = psd, *pml = psd + nb, *psum = psd + 2 * nb;
  /* Both axes in one sweep (kl_welch_psd2: bit-identical to pushing each
   * through the streaming estimator). */
  size_t segs = 0;
  int rc = kl_welch_psd2(w, x, y, n, pap, pml, &segs);
  if (rc == KLONOS_OK) m->welch_segments = segs;
  double df = kl_welch_df_hz(w);
  if (rc == KLONOS_OK) {
    m->freq_resolution_hz = df;
    for (size_t k = 0; k < nb; k++) psum[k] = pap[k] + pml[k];
    kl_spectral_moments mo;
    rc = kl_spectral_moments_compute(psum, nb, df, c->band_lo_hz, p->band_hi_hz, &mo);
    if (rc == KLONOS_OK) {
      set_spectrum(&m->spectrum, &mo);
      if (kl_spectral_moments_compute(pap, nb, df, c->band_lo_hz, p->band_hi_hz, &mo) == KLONOS_OK)
        set_spectrum(&m->spectrum_ap, &mo);
      if (kl_spectral_moments_compute(pml, nb, df, c->band_lo_hz, p->band_hi_hz, &mo) == KLONOS_OK)
        set_spectrum(&m->spectrum_ml, &mo);
    }
  }
  return rc;
}

int kl_sway_compute_ws(kl_sway_ws *ws, const kl_sway_config *c, const float *ap, const float *ml, size_t n,
                       size_t stride, double rate_hz, kl_sway_metrics *out) {
  if (!out) return KLONOS_E_INVAL;
  memset(out, 0, sizeof *out);
  if (!ws || !c || !ap || !ml || stride == 0) return KLONOS_E_INVAL;
  sway_plan p;
  int rc = plan_config(c, rate_hz, &p);
  if (rc != KLONOS_OK) return rc;
  if (n < p.n_min) return KLONOS_E_NODATA;
  /* Gaps (NaN) are refused, not bridged: the analyzer splits bouts at them.
   * A bout where both axes are exactly constant has no sway to describe
   * (after filtering only round-off would be left). */
  int varies = 0;
  if (stride == 1) { /* contiguous (the analyzer's case): block screens */
    if (kl_any_nonfinite(ap, n) || kl_any_nonfinite(ml, n)) return KLONOS_E_NODATA;
    const float a0 = ap[0], b0 = ml[0];
    for (size_t i = 0; i < n && !varies; i++) varies = ap[i] != a0 || ml[i] != b0;
  } else {
    for (size_t i = 0; i < n; i++) {
      float a = ap[i * stride], b = ml[i * stride];
      if (!isfinite(a) || !isfinite(b)) return KLONOS_E_NODATA;
      varies |= a != ap[0] || b != ml[0];
    }
  }
  if (!varies) return KLONOS_E_NODATA;

  double *buf = grow(&ws->buf, &ws->buf_cap, 2 * n);
  if (!buf) return KLONOS_E_NOMEM;
  double *x = buf, *y = buf + n;
  kl_sway_metrics m;
  memset(&m, 0, sizeof m);
  rc = condition2(ws, c, ap, ml, n, stride, rate_hz, x, y);
  if (rc == KLONOS_OK) {
    m.samples = n;
    m.duration_s = (double)n / rate_hz;
    sway_sums u;
    sway_sweep(x, y, n, rate_hz, &u);
    time_domain(&u, n, rate_hz, c->ellipse_coverage, &m);
    m.mean_velocity_mps = mean_velocity(x, y, n, rate_hz, &u);
    rc = frequency_domain(ws, c, &p, x, y, n, rate_hz, &m);
  }
  if (rc == KLONOS_OK) {
    double *work = grow(&ws->planar, &ws->planar_cap, kl_planar_work_len(n));
    double d = work ? kl_planar_diameter_work(x, y, n, work) : -1.0;
    if (d < 0.0) rc = KLONOS_E_NOMEM;
    m.range_mps2 = d;
  }
  if (rc == KLONOS_OK) *out = m;
  return rc;
}

int kl_sway_compute(const kl_sway_config *c, const float *ap, const float *ml, size_t n, size_t stride,
                    double rate_hz, kl_sway_metrics *out) {
  if (!out) return KLONOS_E_INVAL;
  memset(out, 0, sizeof *out);
  kl_sway_ws *ws = NULL;
  int rc = kl_sway_ws_create(&ws);
  if (rc == KLONOS_OK) rc = kl_sway_compute_ws(ws, c, ap, ml, n, stride, rate_hz, out);
  kl_sway_ws_destroy(&ws);
  return rc;
}
