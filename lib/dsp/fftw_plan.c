/* Serialised FFTW planning; see fftw_plan.h for why a global mutex. */
#include "fftw_plan.h"

#include <pthread.h>

static pthread_mutex_t kl_fftw_planner_lock = PTHREAD_MUTEX_INITIALIZER;

fftw_plan kl_fftw_plan_r2c(int n, double *in, fftw_complex *out) {
  pthread_mutex_lock(&kl_fftw_planner_lock);
  fftw_plan p = fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
  pthread_mutex_unlock(&kl_fftw_planner_lock);
  return p;
}

fftw_plan kl_fftw_plan_c2r(int n, fftw_complex *in, double *out) {
  pthread_mutex_lock(&kl_fftw_planner_lock);
  fftw_plan p = fftw_plan_dft_c2r_1d(n, in, out, FFTW_ESTIMATE);
  pthread_mutex_unlock(&kl_fftw_planner_lock);
  return p;
}

void kl_fftw_destroy_plan(fftw_plan p) {
  if (!p) return;
  pthread_mutex_lock(&kl_fftw_planner_lock);
  fftw_destroy_plan(p);
  pthread_mutex_unlock(&kl_fftw_planner_lock);
}
