/* julia_kernels.c -- the Julia-set loop in plain C (compiled -O3).
 *
 * z*z + c is written out on doubles, in the same order of operations as Python's
 * and Cython's complex arithmetic, so every variant rounds identically. (C's own
 * complex multiply would go through __muldc3 for Annex G's inf/nan rules.) */
#include "julia_kernels.h"

#ifdef _OPENMP
#  include <omp.h>
#endif

/* [region: scalar] */
static int
escape_count(int maxiter, double x, double y, double cx, double cy)
{
    int n = 0;
    while (n < maxiter && x * x + y * y < 4.0) {
        double xx = x * x - y * y;
        double xy = x * y + y * x;
        x = xx + cx;
        y = xy + cy;
        n++;
    }
    return n;
}

void
julia_scalar(int maxiter, const double *zs, const double *cs, int *out, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++)
        out[i] = escape_count(maxiter, zs[2 * i], zs[2 * i + 1], cs[2 * i], cs[2 * i + 1]);
}
/* [end: scalar] */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__aarch64__))
/* [region: simd] */
/* Points in groups of four in GCC vector types. Each lane counts while it is active;
 * a lane that escapes (or reaches maxiter) stays inactive, and the loop ends
 * when no lane is active. target_clones builds an AVX2 version and a baseline
 * one and picks at load time, so the module runs on any x86-64 CPU. */
typedef double v4df __attribute__((vector_size(32)));
typedef long long v4di __attribute__((vector_size(32)));

/* Advance one group of 4 lanes by one iteration; returns whether a lane is still active. */
static inline int
step4(v4df *x, v4df *y, v4df cx, v4df cy, v4di *active, v4di *count)
{
    v4df xx = *x * *x, yy = *y * *y;
    *active &= (xx + yy < 4.0); /* -1 where |z| < 2, else 0 */
    *count -= *active;          /* +1 in the active lanes */
    v4df xy = *x * *y + *y * *x;
    *x = (xx - yy) + cx;
    *y = xy + cy;
    return ((*active)[0] | (*active)[1] | (*active)[2] | (*active)[3]) != 0;
}

static inline void
load4(const double *zs, const double *cs, v4df *x, v4df *y, v4df *cx, v4df *cy)
{
    for (int k = 0; k < 4; k++) {
        (*x)[k] = zs[2 * k];
        (*y)[k] = zs[2 * k + 1];
        (*cx)[k] = cs[2 * k];
        (*cy)[k] = cs[2 * k + 1];
    }
}

/* Eight points per block, as two groups of four: the two groups' multiply-add
 * chains are independent, so the CPU overlaps them instead of waiting on one. */
#  if defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#  endif
void
julia_simd(int maxiter, const double *zs, const double *cs, int *out, ptrdiff_t n)
{
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v4df xa, ya, cxa, cya, xb, yb, cxb, cyb;
        load4(zs + 2 * i, cs + 2 * i, &xa, &ya, &cxa, &cya);
        load4(zs + 2 * i + 8, cs + 2 * i + 8, &xb, &yb, &cxb, &cyb);
        v4di active_a = {-1, -1, -1, -1}, count_a = {0, 0, 0, 0};
        v4di active_b = {-1, -1, -1, -1}, count_b = {0, 0, 0, 0};
        for (int step = 0; step < maxiter; step++) {
            int a = step4(&xa, &ya, cxa, cya, &active_a, &count_a);
            int b = step4(&xb, &yb, cxb, cyb, &active_b, &count_b);
            if (!a && !b)
                break;
        }
        for (int k = 0; k < 4; k++) {
            out[i + k] = (int)count_a[k];
            out[i + 4 + k] = (int)count_b[k];
        }
    }
    julia_scalar(maxiter, zs + 2 * i, cs + 2 * i, out + i, n - i); /* the last 0..7 points */
}
/* [end: simd] */
#else
/* Portable fallback: no vector extensions, the scalar loop. */
void
julia_simd(int maxiter, const double *zs, const double *cs, int *out, ptrdiff_t n)
{
    julia_scalar(maxiter, zs, cs, out, n);
}
#endif

/* [region: simd-threads] */
/* julia_simd on every core: the points in tasks of TASK_POINTS, each run by
 * julia_simd (its AVX2 clone, on a CPU that has AVX2) on whichever thread is
 * free next ("dynamic"), since the work per point is uneven. A task costs a call
 * and a hand-out between threads, so a task holds thousands of points; a million
 * points still make hundreds of tasks, enough to keep every thread busy to the
 * end. threads <= 0: OpenMP's default (OMP_NUM_THREADS, or one per CPU). */
#define TASK_POINTS 4096

void
julia_simd_threads(int maxiter, const double *zs, const double *cs, int *out, ptrdiff_t n,
                   int threads)
{
#ifdef _OPENMP
    if (threads <= 0)
        threads = omp_get_max_threads();
#endif
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (ptrdiff_t start = 0; start < n; start += TASK_POINTS)
        julia_simd(maxiter, zs + 2 * start, cs + 2 * start, out + start,
                   n - start < TASK_POINTS ? n - start : TASK_POINTS);
}
/* [end: simd-threads] */
