#include "regrid.h"

#include <math.h>
#include <string.h>

void kl_regrid_init(kl_regrid *g, int nch, double rate_hz, double max_gap_s) {
  memset(g, 0, sizeof *g);
  g->nch = nch;
  g->rate_hz = rate_hz;
  g->max_gap_s = max_gap_s;
}

int kl_regrid_push(kl_regrid *g, klonos_reader *r, double t_s, const float *v, const char *where) {
  if (!isfinite(t_s)) return kl_reader_fail(r, KLONOS_E_TIME, "%s: timestamp is not a finite number", where);
  if (!g->have_cur) {
    g->t_first = t_s;
    g->t_cur = 0.0;
    memcpy(g->v_cur, v, sizeof(float) * (size_t)g->nch);
    g->have_cur = 1;
    return KLONOS_OK;
  }
  double t = t_s - g->t_first;
  if (!(t > g->t_cur)) {
    return kl_reader_fail(r, KLONOS_E_TIME, "%s: timestamp %.6f s is %s the previous one (%.6f s)", where,
                          t, t == g->t_cur ? "a duplicate of" : "before", g->t_cur);
  }
  g->t_prev = g->t_cur;
  memcpy(g->v_prev, g->v_cur, sizeof g->v_cur);
  g->have_prev = 1;
  g->t_cur = t;
  memcpy(g->v_cur, v, sizeof(float) * (size_t)g->nch);
  g->gap_open = 0;
  double step = t - g->t_prev;
  /* A jump of more than 30 days is a broken clock or a corrupt timestamp,
   * not a gap to fill with hundreds of millions of NaN frames. */
  if (step > KL_REGRID_MAX_JUMP_S)
    return kl_reader_fail(r, KLONOS_E_TIME, "%s: timestamps jump forward by %.0f days; refusing to fill such a gap", where,
                          step / 86400.0);
  if (step > g->max_gap_s) {
    g->gap_open = 1;
    int64_t first_nan = (int64_t)floor(g->t_prev * g->rate_hz) + 1;
    int64_t n_nan = (int64_t)ceil(t * g->rate_hz) - first_nan;
    if (n_nan < 0) n_nan = 0;
    r->stats.gap_count++;
    r->stats.gap_total_s += step;
    kl_reader_notice(r, KLONOS_NOTICE_GAP, first_nan, step,
                     "%s: gap of %.3f s in timestamps after %.3f s (%lld frames set to NaN)", where, step,
                     g->t_prev, (long long)n_nan);
  }
  return KLONOS_OK;
}

size_t kl_regrid_drain(kl_regrid *g, klonos_reader *r, float *out, size_t max) {
  size_t n = 0;
  if (!g->have_cur) return 0;
  while (n < max) {
    double tk = (double)g->k / g->rate_hz;
    /* A tolerance of 1/1000 of a sample period keeps grid points that
     * coincide with a sample time from slipping to the next interval:
     * absolute unix times (~1.7e9 s) carry ~2e-7 s of rounding. */
    if (tk > g->t_cur + 1e-3 / g->rate_hz) break;
    float *f = out + n * (size_t)g->nch;
    if (!g->have_prev || tk >= g->t_cur) {
      memcpy(f, g->v_cur, sizeof(float) * (size_t)g->nch);
    } else if (g->gap_open) {
      for (int c = 0; c < g->nch; c++) f[c] = NAN;
      r->stats.nan_frames++;
    } else {
      double w = (tk - g->t_prev) / (g->t_cur - g->t_prev);
      if (w < 0.0) w = 0.0;
      for (int c = 0; c < g->nch; c++)
        f[c] = (float)((1.0 - w) * g->v_prev[c] + w * g->v_cur[c]);
    }
    g->k++;
    n++;
  }
  return n;
}
