# cython: language_level=3
"""References: the same loop in plain C (-O3), scalar and SIMD, on one thread or
all, called through Cython."""
import numpy as np

from _checks cimport check_arguments

cdef extern from "julia_kernels.h" nogil:
    void julia_scalar(int maxiter, const double *zs, const double *cs, int *out, Py_ssize_t n)
    void julia_simd(int maxiter, const double *zs, const double *cs, int *out, Py_ssize_t n)
    void julia_simd_threads(int maxiter, const double *zs, const double *cs, int *out, Py_ssize_t n,
                            int threads)


def _run(kernel, int maxiter, const double complex[::1] zs, const double complex[::1] cs,
         int threads=0):
    check_arguments(maxiter, zs.shape[0], cs.shape[0])
    if threads < 0:
        raise ValueError(f"num_threads must be >= 0, not {threads}")
    output = np.zeros(zs.shape[0], dtype=np.intc)
    cdef int[::1] out = output
    cdef Py_ssize_t n = zs.shape[0]
    if n == 0:
        return output
    cdef const double *z = <const double *> &zs[0]
    cdef const double *c = <const double *> &cs[0]
    with nogil:
        if kernel == 0:
            julia_scalar(maxiter, z, c, &out[0], n)
        elif kernel == 1:
            julia_simd(maxiter, z, c, &out[0], n)
        else:
            julia_simd_threads(maxiter, z, c, &out[0], n, threads)
    return output


def calculate_z_scalar(int maxiter, zs, cs):
    """Plain C, one point at a time."""
    return _run(0, maxiter, zs, cs)


def calculate_z_simd(int maxiter, zs, cs):
    """Plain C with GCC vector extensions, four points at a time."""
    return _run(1, maxiter, zs, cs)


def calculate_z_simd_threads(int maxiter, zs, cs, int num_threads=0):
    """The SIMD loop on num_threads threads (0: one per CPU), with OpenMP."""
    return _run(2, maxiter, zs, cs, num_threads)
