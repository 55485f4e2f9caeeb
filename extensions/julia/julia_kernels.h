/* julia_kernels.h -- the Julia-set loop in plain C, scalar and SIMD.
 * zs and cs point to n complex numbers stored as (real, imaginary) pairs of
 * doubles, the layout of C's double complex and NumPy's complex128. */
#ifndef JULIA_KERNELS_H
#define JULIA_KERNELS_H
#include <stddef.h>

void julia_scalar(int maxiter, const double *zs, const double *cs, int *out, ptrdiff_t n);
void julia_simd(int maxiter, const double *zs, const double *cs, int *out, ptrdiff_t n);
void julia_simd_threads(int maxiter, const double *zs, const double *cs, int *out, ptrdiff_t n,
                        int threads);

#endif
