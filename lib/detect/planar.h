/* Private: geometry of a planar point set (the AP-ML sway trajectory).
 *
 * The diameter (largest distance between any two points) is the sway range
 * of the two-dimensional trajectory: unlike the per-axis ranges it does not
 * depend on which horizontal direction is called AP, which matters when the
 * heading of a real recording is only approximately known.
 *
 * Method: convex hull by Andrew's monotone chain (Andrew 1979, Inf Process
 * Lett 9:216), then rotating calipers over antipodal pairs (Shamos 1978,
 * "Computational geometry", PhD thesis, Yale): O(n log n) for the sort,
 * O(h) for the calipers. */
#ifndef KLONOS_DETECT_PLANAR_H
#define KLONOS_DETECT_PLANAR_H

#include <stddef.h>

/* Diameter of the points (x[i], y[i]), i < n. Returns 0 for n < 2, and
 * -1 when memory runs out (the only failure). Non-finite points are the
 * caller's problem (not checked). Allocates O(n) once. */
double kl_planar_diameter(const double *x, const double *y, size_t n);

/* The same with caller storage: work holds kl_planar_work_len(n) doubles. */
size_t kl_planar_work_len(size_t n);
double kl_planar_diameter_work(const double *x, const double *y, size_t n, double *work);

#endif
