/* The background threshold of the jerk detector: a sorted sliding window
 * of per-block maxima (median and MAD), and the activity gate of the
 * walking tests. See jerk.h. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "detect/jerk_priv.h"
#include "util/simd.h"

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

/* First index i with !(v[i] < x) in the sorted v[0..n): a branch-free
 * binary search (the same answer as the usual one). */
static size_t lower_bound(const double *v, size_t n, double x) {
  if (n <= 64) return kl_count_less(v, n, x); /* the floor window's size: a branch-free count */
  if (n == 0) return 0;
  const double *b = v;
  while (n > 1) {
    size_t half = n / 2;
    b = b[half] < x ? b + half : b;
    n -= half;
  }
  return (size_t)(b - v) + (*b < x);
}

static void sorted_insert(double *v, size_t *n, double x) {
  size_t lo = lower_bound(v, *n, x);
  memmove(v + lo + 1, v + lo, (*n - lo) * sizeof(double));
  v[lo] = x;
  (*n)++;
}

static void sorted_remove(double *v, size_t *n, double x) {
  size_t lo = lower_bound(v, *n, x);
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

/* The K-th smallest (0-based) distance from med among the sorted v[0..n),
 * where v[0..na) < med <= v[na..n): the distances below, A(j) =
 * med - v[na-1-j], and above, B(j) = v[na+j] - med, are two ascending
 * sequences, and the K + 1 smallest of their union take i from A and
 * K + 1 - i from B for the least i with B(K - i) <= A(i); a binary search
 * finds it. Order statistics are unique values, so this is exactly what
 * merging the two sequences up to position K gives. */
static double kth_distance(const double *v, size_t na, size_t nb, double med, size_t K) {
  size_t lo = K + 1 > nb ? K + 1 - nb : 0, hi = K + 1 < na ? K + 1 : na;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2, j = K + 1 - mid; /* mid < na, 1 <= j <= nb */
    const double a = med - v[na - 1 - mid], b = v[na + j - 1] - med;
    const int more = b > a;
    lo = more ? mid + 1 : lo;
    hi = more ? hi : mid;
  }
  const size_t i = lo, j = K + 1 - lo;
  const double x = i > 0 ? med - v[na - i] : -INFINITY, y = j > 0 ? v[na + j - 1] - med : -INFINITY;
  return x > y ? x : y;
}

/* Median absolute deviation from med of a sorted array (n >= 2). */
static double mad_sorted(const double *v, size_t n, double med) {
  const size_t na = lower_bound(v, n, med), nb = n - na, K = n / 2;
  const double cur = kth_distance(v, na, nb, med, K);
  return n % 2 ? cur : 0.5 * (kth_distance(v, na, nb, med, K - 1) + cur);
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

