/* Private: compiler hints for the hot loops (no effect on results).
 *
 * KL_UNROLL before a loop with a small constant trip count asks GCC/Clang
 * to unroll it completely, so that small per-channel arrays become
 * registers (at -O2 GCC otherwise keeps such loops rolled and the arrays
 * in memory). KL_ALWAYS_INLINE forces inlining of a helper whose constant
 * arguments specialise it. Unrolling and inlining never change the
 * floating-point operations or their order. */
#ifndef KLONOS_UTIL_HOT_H
#define KLONOS_UTIL_HOT_H

#if defined(__GNUC__)
#define KL_UNROLL _Pragma("GCC unroll 8")
#define KL_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define KL_UNROLL
#define KL_ALWAYS_INLINE inline
#endif

#endif
