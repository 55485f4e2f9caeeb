"""Rung 3 in Cython's Pure Python mode: plain Python syntax with type annotations.

Run as it is, this is ordinary Python (slow; `import cython` needs Cython installed).
Compiled by cythonize, the annotations become C types and it runs like julia_abs, except
that `zs: list` and `cs: list` are then checked: the compiled function accepts only lists.
"""
import cython


def calculate_z(maxiter: cython.int, zs: list, cs: list) -> list:
    i: cython.Py_ssize_t
    n: cython.int
    z: cython.doublecomplex
    c: cython.doublecomplex
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
