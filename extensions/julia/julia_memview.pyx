# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Rung 4: typed memoryviews over NumPy arrays; no Python object inside the loop."""
import numpy as np

from _checks cimport check_arguments


def calculate_z(int maxiter, const double complex[::1] zs, const double complex[::1] cs):
    check_arguments(maxiter, zs.shape[0], cs.shape[0])
    output = np.zeros(zs.shape[0], dtype=np.intc)
    cdef int[::1] out = output
    cdef Py_ssize_t i
    cdef int n
    cdef double complex z, c
    for i in range(zs.shape[0]):
        n = 0
        z = zs[i]
        c = cs[i]
        while n < maxiter and (z.real * z.real + z.imag * z.imag) < 4:
            z = z * z + c
            n += 1
        out[i] = n
    return output
