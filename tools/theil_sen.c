#include "theil_sen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double kl_normal_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  if (!(p > 0 && p < 1)) return NAN;
  if (p < 0.02425) {
    double q = sqrt(-2 * log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - 0.02425) return -kl_normal_quantile(1 - p);
  double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

static double median_sorted(const double *v, size_t n) {
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Sum of f(t) over the tie groups of the sorted values v. */
static void tie_sums(const double *v, size_t n, double *s1, double *s2, double *s3) {
  *s1 = *s2 = *s3 = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && v[j] == v[i]) j++;
    double t = (double)(j - i);
    if (t > 1) {
      *s1 += t * (t - 1) * (2 * t + 5);
      *s2 += t * (t - 1) * (t - 2);
      *s3 += t * (t - 1);
    }
    i = j;
  }
}

/* Smallest c with P(S >= c) <= tail under the null of no association and no
 * ties, from the distribution of the number of inversions I of a random
 * permutation (S = N - 2 I). Returns -1 when no such c short of N + 2. */
static long exact_critical_s(size_t n, double tail) {
  size_t npairs = n * (n - 1) / 2;
  double *f = calloc(npairs + 1, sizeof *f), *g = calloc(npairs + 1, sizeof *g);
  long crit = -1;
  if (!f || !g) goto done;
  f[0] = 1;
  for (size_t m = 2; m <= n; m++) { /* add the m-th element: 0..m-1 new inversions, equally likely */
    size_t top = m * (m - 1) / 2;
    for (size_t k = 0; k <= top; k++) {
      double s = 0;
      for (size_t j = 0; j < m && j <= k; j++) s += f[k - j];
      g[k] = s / (double)m;
    }
    memcpy(f, g, (top + 1) * sizeof *f);
  }
  /* P(S >= N - 2 i) = P(I <= i); walk i up while the tail stays small. */
  double cum = 0;
  for (size_t i = 0; i <= npairs; i++) {
    if (cum + f[i] > tail) break;
    cum += f[i];
    crit = (long)npairs - 2 * (long)i;
  }
done:
  free(f);
  free(g);
  return crit; /* -1: even S = N is more likely than the tail allows */
}

int kl_theil_sen_fit(const double *x, const double *y, size_t n, double confidence, kl_theil_sen *out) {
  memset(out, 0, sizeof *out);
  out->slope = out->intercept = out->ci_low = out->ci_high = NAN;
  double *px = malloc((n ? n : 1) * sizeof *px), *py = malloc((n ? n : 1) * sizeof *py);
  double *slopes = NULL;
  int rc = -1;
  if (!px || !py) goto done;
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(y[i])) { px[m] = x[i]; py[m] = y[i]; m++; }
  out->n = m;
  rc = 0;
  if (m < 2) goto done;
  slopes = malloc(m * (m - 1) / 2 * sizeof *slopes);
  if (!slopes) { rc = -1; goto done; }
  size_t N = 0;
  for (size_t i = 0; i < m; i++)
    for (size_t j = i + 1; j < m; j++)
      if (px[j] != px[i]) slopes[N++] = (py[j] - py[i]) / (px[j] - px[i]);
  out->pairs = N;
  if (!N) goto done;
  qsort(slopes, N, sizeof *slopes, cmp_double);
  out->slope = median_sorted(slopes, N);
  /* Intercept: median residual at x = 0 (px reused as scratch after the tie counts). */
  double tx1, tx2, tx3, ty1, ty2, ty3;
  qsort(px, m, sizeof *px, cmp_double);
  tie_sums(px, m, &tx1, &tx2, &tx3);
  double *sy = malloc(m * sizeof *sy);
  if (!sy) { rc = -1; goto done; }
  memcpy(sy, py, m * sizeof *sy);
  qsort(sy, m, sizeof *sy, cmp_double);
  tie_sums(sy, m, &ty1, &ty2, &ty3);
  free(sy);
  {
    /* Residuals need the original pairing: recompute from x, y. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (isfinite(x[i]) && isfinite(y[i])) px[k++] = y[i] - out->slope * x[i];
    qsort(px, m, sizeof *px, cmp_double);
    out->intercept = median_sorted(px, m);
  }
  if (!(confidence > 0 && confidence < 1)) goto done;
  double alpha = 1 - confidence;
  double lo_rank, hi_rank; /* 1-based ranks in the sorted slopes */
  int ties = tx3 > 0 || ty3 > 0;
  if (!ties && m <= 60) {
    /* Hollander & Wolfe: C = k(alpha/2) - 2, M = (N - C)/2, limits S(M), S(Q+1), Q = (N + C)/2. */
    long k = exact_critical_s(m, alpha / 2);
    if (k < 0) goto done;
    double C = (double)k - 2;
    lo_rank = ((double)N - C) / 2;
    hi_rank = ((double)N + C) / 2 + 1;
    out->exact = 1;
  } else {
    double dn = (double)m;
    double var = (dn * (dn - 1) * (2 * dn + 5) - tx1 - ty1) / 18;
    if (m > 2) var += tx2 * ty2 / (9 * dn * (dn - 1) * (dn - 2));
    var += tx3 * ty3 / (2 * dn * (dn - 1));
    double C = kl_normal_quantile(1 - alpha / 2) * sqrt(var > 0 ? var : 0);
    lo_rank = floor(((double)N - C) / 2);      /* rounded outwards: never narrower than asked */
    hi_rank = ceil(((double)N + C) / 2) + 1;
  }
  if (lo_rank >= 1 && hi_rank <= (double)N) {
    out->ci_low = slopes[(size_t)lo_rank - 1];
    out->ci_high = slopes[(size_t)hi_rank - 1];
  }
done:
  free(px);
  free(py);
  free(slopes);
  return rc;
}
