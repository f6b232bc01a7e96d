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
  kl_pt *p = malloc(sizeof(kl_pt) * n);
  kl_pt *h = malloc(sizeof(kl_pt) * (n + 1));
  if (!p || !h) {
    free(p);
    free(h);
    return -1.0;
  }
  for (size_t i = 0; i < n; i++) p[i] = (kl_pt){x[i], y[i]};
  size_t m = convex_hull(p, n, h);
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
