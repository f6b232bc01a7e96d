/* Diameter of a planar point set: convex hull + rotating calipers; see planar.h. */
#include "planar.h"

#include <math.h>
#include <stdlib.h>

#include "util/hot.h"

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

size_t kl_planar_work_len(size_t n) { return 2 * ((n + 8) + (n + 9)); }

/* Octagon edge (a, b), counter-clockwise; degenerate edges are skipped. */
static int strictly_inside(const kl_pt *oct, kl_pt q, double tol) {
  for (int k = 0; k < 8; k++) {
    kl_pt a = oct[k], b = oct[(k + 1) % 8];
    if (a.x == b.x && a.y == b.y) continue;
    if (!(cross3(a, b, q) > tol)) return 0;
  }
  return 1;
}

/* The 8 dot products of point i with the directions below. */
#define KL_OCT_DOTS(i)                                                             \
  const double px = c * x[i], py = c * y[i];                                       \
  const double d[8] = {x[i], px + py, y[i], py - px, -x[i], -(px + py), -y[i], px - py};

double kl_planar_diameter_work(const double *x, const double *y, size_t n, double *work) {
  if (!x || !y || n < 2 || !work) return 0.0;
  kl_pt *p = (kl_pt *)work;
  kl_pt *h = p + (n + 8);
  /* Akl-Toussaint: the points extreme in 8 directions span an octagon whose
   * interior holds no hull vertex; drop those points before sorting. For a
   * sway trajectory (a cloud) that removes almost all of them, so the hull
   * costs O(n) instead of a sort of every sample. The result is exact.
   * The directions are (1,0), (c,c), (0,1), (-c,c), (-1,0), (-c,-c), (0,-1),
   * (c,-c) with c = 0.70710678: their dot products are x, c x + c y, y,
   * c y - c x and the negations of these, computed exactly so.
   * The extreme point of each direction is the first one reaching the
   * maximum. Blocks of points are screened with branch-free maxima; only a
   * block that raises a maximum is walked point by point (as a plain
   * sequential scan would), so the same points are found. */
  const double c = 0.70710678;
  size_t ext[8] = {0};
  double best_dot[8];
  for (int k = 0; k < 8; k++) best_dot[k] = -INFINITY;
  double sx = 0, sy = 0;
  enum { BLK = 64 };
  for (size_t i0 = 0; i0 < n; i0 += BLK) {
    const size_t i1 = i0 + BLK < n ? i0 + BLK : n;
    double m0 = -INFINITY, m1 = -INFINITY, m2 = -INFINITY, m3 = -INFINITY, m4 = -INFINITY, m5 = -INFINITY,
           m6 = -INFINITY, m7 = -INFINITY;
    for (size_t i = i0; i < i1; i++) {
      const double xi = x[i], yi = y[i], px = c * xi, py = c * yi;
      const double d1 = px + py, d3 = py - px, d4 = -xi, d5 = -(px + py), d6 = -yi, d7 = px - py;
      m0 = xi > m0 ? xi : m0, m1 = d1 > m1 ? d1 : m1, m2 = yi > m2 ? yi : m2, m3 = d3 > m3 ? d3 : m3;
      m4 = d4 > m4 ? d4 : m4, m5 = d5 > m5 ? d5 : m5, m6 = d6 > m6 ? d6 : m6, m7 = d7 > m7 ? d7 : m7;
      sx += xi;
      sy += yi;
    }
    const double bm[8] = {m0, m1, m2, m3, m4, m5, m6, m7};
    int raise = 0;
    for (int k = 0; k < 8; k++) raise |= bm[k] > best_dot[k];
    if (!raise) continue;
    for (size_t i = i0; i < i1; i++) {
      KL_OCT_DOTS(i)
      KL_UNROLL for (int k = 0; k < 8; k++)
        if (d[k] > best_dot[k]) {
          best_dot[k] = d[k];
          ext[k] = i;
        }
    }
  }
  kl_pt oct[8];
  for (int k = 0; k < 8; k++) oct[k] = (kl_pt){x[ext[k]], y[ext[k]]};
  /* The octagon's non-degenerate edges, counter-clockwise. */
  kl_pt ea[8], eb[8];
  int ne = 0;
  for (int k = 0; k < 8; k++) {
    kl_pt a = oct[k], b = oct[(k + 1) % 8];
    if (a.x == b.x && a.y == b.y) continue;
    ea[ne] = a, eb[ne] = b, ne++;
  }
  /* A rectangle well inside the octagon (every corner inside every edge by
   * a margin far above round-off): a point strictly inside it is inside the
   * octagon for the exact test below too, so it is dropped after four
   * comparisons; the rest take the exact test. The same points are kept.
   * The rectangle is centred on the mean point (where the mass of a sway
   * trajectory is, however far a jerk throws an extreme), or on the
   * octagon's vertex centroid when the mean is not inside; each of its four
   * sides is pushed out on its own while the corners stay inside. */
  double xl = 0, xh = 0, yl = 0, yh = 0;
  int have_box = 0;
  {
    double mnx = oct[4].x, mxx = oct[0].x, mny = oct[6].y, mxy = oct[2].y;
    double span = fmax(mxx - mnx, mxy - mny);
    double tol = 1e-9 * span * span;
    kl_pt ctr[2] = {{sx / (double)n, sy / (double)n}, {0, 0}};
    for (int k = 0; k < 8; k++) {
      ctr[1].x += oct[k].x / 8;
      ctr[1].y += oct[k].y / 8;
    }
    for (int ci = 0; ci < 2 && !have_box; ci++) {
      const kl_pt o = ctr[ci];
      if (!(span > 0) || !isfinite(span) || !strictly_inside(oct, o, tol)) continue;
      const double ext4[4] = {o.x - mnx, mxx - o.x, o.y - mny, mxy - o.y}; /* left, right, down, up */
      double f[4] = {0, 0, 0, 0};
      int ok = 0;
      for (double f0 = 0.05; f0 > 1e-4 && !ok; f0 *= 0.25) { /* a small box that fits */
        for (int q = 0; q < 4; q++) f[q] = f0;
        kl_pt qc[4] = {{o.x - f[0] * ext4[0], o.y - f[2] * ext4[2]}, {o.x + f[1] * ext4[1], o.y - f[2] * ext4[2]},
                       {o.x + f[1] * ext4[1], o.y + f[3] * ext4[3]}, {o.x - f[0] * ext4[0], o.y + f[3] * ext4[3]}};
        ok = strictly_inside(oct, qc[0], tol) && strictly_inside(oct, qc[1], tol) &&
             strictly_inside(oct, qc[2], tol) && strictly_inside(oct, qc[3], tol);
      }
      if (!ok) continue;
      for (int it = 0; it < 6; it++) /* then grow each side while it fits */
        for (int q = 0; q < 4; q++) {
          double keep = f[q];
          f[q] = keep * 1.6 < 0.95 ? keep * 1.6 : 0.95;
          if (f[q] == keep) continue;
          kl_pt qc[4] = {{o.x - f[0] * ext4[0], o.y - f[2] * ext4[2]}, {o.x + f[1] * ext4[1], o.y - f[2] * ext4[2]},
                         {o.x + f[1] * ext4[1], o.y + f[3] * ext4[3]}, {o.x - f[0] * ext4[0], o.y + f[3] * ext4[3]}};
          if (!(strictly_inside(oct, qc[0], tol) && strictly_inside(oct, qc[1], tol) &&
                strictly_inside(oct, qc[2], tol) && strictly_inside(oct, qc[3], tol)))
            f[q] = keep;
        }
      xl = o.x - f[0] * ext4[0], xh = o.x + f[1] * ext4[1], yl = o.y - f[2] * ext4[2], yh = o.y + f[3] * ext4[3];
      have_box = 1;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    kl_pt q = {x[i], y[i]};
    if (have_box && q.x > xl && q.x < xh && q.y > yl && q.y < yh) continue;
    int inside = 1;
    for (int k = 0; k < ne && inside; k++)
      if (cross3(ea[k], eb[k], q) <= 0.0) inside = 0; /* on or right of a CCW edge: may be on the hull */
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
  return sqrt(best);
}

double kl_planar_diameter(const double *x, const double *y, size_t n) {
  if (!x || !y || n < 2) return 0.0;
  double *work = malloc(sizeof(double) * kl_planar_work_len(n));
  if (!work) return -1.0;
  double d = kl_planar_diameter_work(x, y, n, work);
  free(work);
  return d;
}
