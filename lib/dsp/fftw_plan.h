/* Private: serialised FFTW plan creation and destruction.
 *
 * FFTW's planner (every fftw_plan_* call and fftw_destroy_plan) is not
 * thread-safe; fftw_execute* on an existing plan is. FFTW >= 3.3.5 offers
 * fftw_make_planner_thread_safe(), but Debian's libfftw3 3.3.10 exports it
 * only from libfftw3_threads, which the library does not link. So every
 * plan the library makes or destroys goes through these wrappers, which hold
 * one process-wide pthread mutex (statically initialised: no setup call).
 * That mutex is the library's only process-wide mutable state.
 *
 * It serialises klonos against itself only: an application that also plans
 * FFTW transforms on other threads at the same time must serialise those
 * calls with its own lock (or link fftw3_threads and call
 * fftw_make_planner_thread_safe() itself).
 *
 * Plans use FFTW_ESTIMATE: planning is fast and deterministic (no timing
 * measurements), so results are reproducible run to run. */
#ifndef KLONOS_DSP_FFTW_PLAN_H
#define KLONOS_DSP_FFTW_PLAN_H

#include <fftw3.h>

/* Real-to-complex forward DFT of length n (out has n/2+1 bins). NULL on failure. */
fftw_plan kl_fftw_plan_r2c(int n, double *in, fftw_complex *out);

/* Complex-to-real inverse DFT of length n (unnormalised; destroys `in`). */
fftw_plan kl_fftw_plan_c2r(int n, fftw_complex *in, double *out);

/* Destroy a plan made above; NULL is ignored. */
void kl_fftw_destroy_plan(fftw_plan p);

#endif
