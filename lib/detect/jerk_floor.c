/* The background threshold of the jerk detector: a sorted sliding window
 * of per-block maxima (median and MAD), and the activity gate of the
 * walking tests. See jerk.h. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "detect/jerk_priv.h"

/* k-th smallest of v[0..n) (v is reordered): Hoare's selection, O(n). */
double kl_jerk_select_kth(double *v, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    double pivot = v[lo + (hi - lo) / 2];
    size_t i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        double t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        if (j == 0) break;
        j--;
      }
    }
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      break;
  }
  return v[k];
}

/* Median (the mean of the two middle values for even n). */
double kl_jerk_median(double *v, size_t n) {
  double hi = kl_jerk_select_kth(v, n, n / 2);
  if (n % 2) return hi;
  double lo = v[0]; /* after selection everything below n/2 is <= hi: take their maximum */
  for (size_t i = 1; i < n / 2; i++)
    if (v[i] > lo) lo = v[i];
  return 0.5 * (lo + hi);
}

/* The floor window of block b is [b - floor_back, b + floor_ahead] within
 * the blocks the horizon allows; it slides by one block per update, so its
 * finite block maxima are kept sorted (binary search and memmove: a few
 * tens of values) and the median and quartiles are read directly. */
static void sorted_insert(double *v, size_t *n, double x) {
  size_t lo = 0, hi = *n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (v[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  memmove(v + lo + 1, v + lo, (*n - lo) * sizeof(double));
  v[lo] = x;
  (*n)++;
}

static void sorted_remove(double *v, size_t *n, double x) {
  size_t lo = 0, hi = *n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (v[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < *n && v[lo] == x) {
    memmove(v + lo, v + lo + 1, (*n - lo - 1) * sizeof(double));
    (*n)--;
  }
}

/* Quantile q of a sorted array by linear interpolation. */
static double quantile_sorted(const double *v, size_t n, double q) {
  double pos = q * (double)(n - 1);
  size_t i = (size_t)pos;
  if (i + 1 >= n) return v[n - 1];
  return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* Median absolute deviation from med of a sorted array: the distances
 * below med (walking down) and above it (walking up) are two sorted
 * sequences; merging them up to the middle element costs O(n). */
static double mad_sorted(const double *v, size_t n, double med) {
  size_t hi = 0;
  while (hi < n && v[hi] < med) hi++;
  ptrdiff_t lo = (ptrdiff_t)hi - 1;
  double prev = 0, cur = 0;
  for (size_t k = 0; k <= n / 2; k++) {
    double dl = lo >= 0 ? med - v[lo] : INFINITY, dh = hi < n ? v[hi] - med : INFINITY;
    prev = cur;
    if (dl <= dh) {
      cur = dl;
      lo--;
    } else {
      cur = dh;
      hi++;
    }
  }
  return n % 2 ? cur : 0.5 * (prev + cur);
}

void kl_jerk_update_floor(kl_jerk_detector *d, int64_t b, int64_t horizon) {
  int64_t bmax = d->finished ? d->fb_count - 1 : (horizon + 1) / (int64_t)d->nb - 1;
  if (bmax > d->fb_count - 1) bmax = d->fb_count - 1;
  int64_t lo = b - (int64_t)d->floor_back, hi = b + (int64_t)d->floor_ahead;
  if (hi > bmax) hi = bmax;
  while (d->win_lo < lo) { /* leaving the window */
    if (d->win_lo <= d->win_hi) {
      float v = d->fb_max[(size_t)(d->win_lo % (int64_t)d->FB)];
      if (isfinite(v)) sorted_remove(d->sorted, &d->nsorted, v);
    }
    d->win_lo++;
  }
  if (d->win_hi < d->win_lo - 1) d->win_hi = d->win_lo - 1;
  while (d->win_hi < hi) { /* entering it */
    d->win_hi++;
    float v = d->fb_max[(size_t)(d->win_hi % (int64_t)d->FB)];
    if (isfinite(v)) sorted_insert(d->sorted, &d->nsorted, v);
  }
  const size_t n = d->nsorted;
  double thr = d->c.thr_abs_mps3, base = 0;
  if (n >= 4) {
    /* median and the normal-consistent MAD (50% breakdown: a dense cluster
     * of jerks filling a third of the window does not lift it) */
    double med = quantile_sorted(d->sorted, n, 0.5);
    double sd = 1.4826 * mad_sorted(d->sorted, n, med);
    double t1 = d->c.thr_floor_ratio * med, t2 = med + d->c.thr_mad_k * sd;
    if (t1 > thr) thr = t1;
    if (t2 > thr) thr = t2;
    base = med < 0.5 * thr ? med : 0.5 * thr;
  }
  d->base_floor = base;
  d->thr_floor = thr;
  d->inv_floor_span = 1.0 / (thr - base);
}

/* Activity for the rhythm gate: the larger of the median block RMS of
 * |a_bp| over the half-windows before and after block b (a bout start or
 * end still counts). */
double kl_jerk_activity(kl_jerk_detector *d, int64_t b) {
  int64_t bmax = d->finished ? d->fb_count - 1 : (d->horizon + 1) / (int64_t)d->nb - 1;
  if (bmax > d->fb_count - 1) bmax = d->fb_count - 1;
  int64_t lo = d->fb_count - (int64_t)d->FB;
  if (lo < 0) lo = 0;
  int64_t hw = (int64_t)llround(0.5 * d->c.rhythm_window_s / d->c.floor_block_s);
  if (hw > (int64_t)d->floor_ahead) hw = (int64_t)d->floor_ahead;
  double act = 0;
  for (int side = 0; side < 2; side++) {
    int64_t a = side ? b : b - hw, z = side ? b + hw : b;
    if (a < lo) a = lo;
    if (z > bmax) z = bmax;
    size_t n = 0;
    for (int64_t i = a; i <= z; i++) {
      float v = d->fb_rms[(size_t)(i % (int64_t)d->FB)];
      if (isfinite(v)) d->scratch[n++] = v;
    }
    if (n >= 2) {
      double med = kl_jerk_median(d->scratch, n);
      if (med > act) act = med;
    }
  }
  return act;
}

