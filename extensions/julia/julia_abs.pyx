# cython: language_level=3
"""Rung 3: abs(z) < 2 rewritten as z.real**2 + z.imag**2 < 4 (no square root)."""


def calculate_z(int maxiter, zs, cs):
    cdef Py_ssize_t i
    cdef int n
    cdef double complex z, c
    output = [0] * len(zs)
    for i in range(len(zs)):
        n = 0
        z = zs[i]
        c = cs[i]
        while n < maxiter and (z.real * z.real + z.imag * z.imag) < 4:
            z = z * z + c
            n += 1
        output[i] = n
    return output
