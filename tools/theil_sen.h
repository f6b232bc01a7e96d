/* Theil-Sen slope with a distribution-free confidence interval (Theil 1950;
 * Sen 1968, JASA 63:1379; the interval as in Hollander & Wolfe 1999, section
 * 9.4). The slope is the median of the pairwise slopes, so one odd recording
 * cannot tilt a patient's trend; the interval comes from Kendall's tau. */
#ifndef KLONOS_TOOLS_THEIL_SEN_H
#define KLONOS_TOOLS_THEIL_SEN_H

#include <stddef.h>

typedef struct kl_theil_sen {
  double slope;      /* median pairwise slope (y per unit x); NaN when no two points differ in x */
  double intercept;  /* median of y - slope * x (Conover 1980), for drawing the line */
  double ci_low;     /* confidence limits of the slope; NaN when too few points */
  double ci_high;    /* can reach that confidence (at 95 %: n >= 5 without ties) */
  size_t n;          /* points used: those with finite x and y */
  size_t pairs;      /* pairs with distinct x (the slopes the median is taken over) */
  int exact;         /* 1: limits from the exact null distribution of Kendall's S (no ties,
                        n <= 60); 0: normal approximation with tie-corrected variance */
} kl_theil_sen;

/* Fit y = intercept + slope * x over the points with finite x and y.
 * @p confidence in (0, 1), e.g. 0.95. Returns 0, or -1 when out of memory
 * (then every field is NaN / 0). */
int kl_theil_sen_fit(const double *x, const double *y, size_t n, double confidence, kl_theil_sen *out);

/* Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
double kl_normal_quantile(double p);

#endif
