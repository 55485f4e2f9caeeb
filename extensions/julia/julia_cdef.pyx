# cython: language_level=3
"""Rung 2: C types for the loop variables (cdef); the lists stay Python lists."""


def calculate_z(int maxiter, zs, cs):
    cdef Py_ssize_t i
    cdef int n
    cdef double complex z, c
    output = [0] * len(zs)
    for i in range(len(zs)):
        n = 0
        z = zs[i]
        c = cs[i]
        while abs(z) < 2 and n < maxiter:
            z = z * z + c
            n += 1
        output[i] = n
    return output
