/* Diameter of a planar point set: convex hull + rotating calipers; see planar.h. */
#include "planar.h"

#include <math.h>
#include <stdlib.h>

typedef struct kl_pt {
  double x, y;
} kl_pt;

static int pt_cmp(const void *a, const void *b) {
  const kl_pt *p = a, *q = b;
  if (p->x < q->x) return -1;
  if (p->x > q->x) return 1;
  if (p->y < q->y) return -1;
  if (p->y > q->y) return 1;
  return 0;
}

/* Twice the signed area of triangle (o, a, b): > 0 when o -> a -> b turns left. */
static double cross3(kl_pt o, kl_pt a, kl_pt b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

static double dist2(kl_pt a, kl_pt b) {
  double dx = a.x - b.x, dy = a.y - b.y;
  return dx * dx + dy * dy;
}

/* Monotone chain: writes the hull counter-clockwise to h (room for n + 1),
 * without collinear points and without repeating the first; returns its size. */
static size_t convex_hull(kl_pt *p, size_t n, kl_pt *h) {
  qsort(p, n, sizeof *p, pt_cmp);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) { /* lower hull */
    while (k >= 2 && cross3(h[k - 2], h[k - 1], p[i]) <= 0.0) k--;
    h[k++] = p[i];
  }
  size_t lower = k + 1;
  for (size_t i = n - 1; i-- > 0;) { /* upper hull */
    while (k >= lower && cross3(h[k - 2], h[k - 1], p[i]) <= 0.0) k--;
    h[k++] = p[i];
  }
  return k > 1 ? k - 1 : k; /* the last point repeats the first */
}

double kl_planar_diameter(const double *x, const double *y, size_t n) {
  if (!x || !y || n < 2) return 0.0;
  kl_pt *p = malloc(sizeof(kl_pt) * (n + 8));
  kl_pt *h = malloc(sizeof(kl_pt) * (n + 9));
  if (!p || !h) {
    free(p);
    free(h);
    return -1.0;
  }
  /* Akl-Toussaint: the points extreme in 8 directions span an octagon whose
   * interior holds no hull vertex; drop those points before sorting. For a
   * sway trajectory (a cloud) that removes almost all of them, so the hull
   * costs O(n) instead of a sort of every sample. The result is exact. */
  static const double dir[8][2] = {{1, 0}, {0.70710678, 0.70710678}, {0, 1}, {-0.70710678, 0.70710678},
                                   {-1, 0}, {-0.70710678, -0.70710678}, {0, -1}, {0.70710678, -0.70710678}};
  size_t ext[8] = {0};
  double best_dot[8];
  for (int k = 0; k < 8; k++) best_dot[k] = -INFINITY;
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 8; k++) {
      double d = dir[k][0] * x[i] + dir[k][1] * y[i];
      if (d > best_dot[k]) { best_dot[k] = d; ext[k] = i; }
    }
  kl_pt oct[8];
  for (int k = 0; k < 8; k++) oct[k] = (kl_pt){x[ext[k]], y[ext[k]]};
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    kl_pt q = {x[i], y[i]};
    int inside = 1;
    for (int k = 0; k < 8 && inside; k++) {
      kl_pt a = oct[k], b = oct[(k + 1) % 8];
      if (a.x == b.x && a.y == b.y) continue;
      if (cross3(a, b, q) <= 0.0) inside = 0; /* on or right of a CCW edge: may be on the hull */
    }
    if (!inside) p[kept++] = q;
  }
  for (int k = 0; k < 8; k++) p[kept++] = oct[k];
  size_t m = convex_hull(p, kept, h);
  double best = 0.0;
  if (m == 2) {
    best = dist2(h[0], h[1]);
  } else if (m > 2) {
    /* For each hull edge (i, i+1), advance j to the vertex farthest from the
     * edge's line; the diameter is realised by one of these antipodal pairs. */
    size_t j = 1;
    for (size_t i = 0; i < m; i++) {
      size_t ni = (i + 1) % m;
      for (size_t guard = 0; guard < m; guard++) {
        size_t nj = (j + 1) % m;
        if (fabs(cross3(h[i], h[ni], h[nj])) > fabs(cross3(h[i], h[ni], h[j])))
          j = nj;
        else
          break;
      }
      double d1 = dist2(h[i], h[j]), d2 = dist2(h[ni], h[j]);
      if (d1 > best) best = d1;
      if (d2 > best) best = d2;
    }
  }
  free(p);
  free(h);
  return sqrt(best);
}
