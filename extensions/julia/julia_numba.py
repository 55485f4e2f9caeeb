"""Rung 6: the same loop compiled by numba, from this Python file, when first called.

numba's @njit reads a function's Python bytecode at its first call, infers a
machine type for every variable from the arguments' types (here: an int and
two complex128 arrays), and compiles the loop with LLVM; later calls with the
same types run that machine code. parallel=True with numba.prange shares a
loop's iterations among threads, as Cython's prange does, without the GIL.

cache=True writes the compiled code next to this file (in __pycache__), or into
NUMBA_CACHE_DIR when that is set, so that the next process loads it instead of
compiling again. The checks run in plain Python, before the compiled loop.
"""
import numba
import numpy as np


def _checked(maxiter, zs, cs):
    if maxiter < 0:
        raise ValueError(f"maxiter must be >= 0, not {maxiter}")
    zs, cs = np.asarray(zs), np.asarray(cs)
    if zs.dtype != np.complex128 or cs.dtype != np.complex128 or zs.ndim != 1 or cs.ndim != 1:
        raise TypeError("zs and cs must be one-dimensional complex128 arrays, "
                        f"not {zs.ndim}-D {zs.dtype} and {cs.ndim}-D {cs.dtype}")
    if len(zs) != len(cs):
        raise ValueError(f"zs and cs must have the same length, not {len(zs)} and {len(cs)}")
    return zs, cs


# [region: njit]
# One point: rung 3's loop. Called from the compiled loops below, numba compiles
# it into them (as Cython's prange rung does with its escape_count).
@numba.njit(cache=True)
def _escape_count(maxiter, z, c):
    n = 0
    while n < maxiter and z.real * z.real + z.imag * z.imag < 4:
        z = z * z + c
        n += 1
    return n


@numba.njit(cache=True)
def _escape_counts(maxiter, zs, cs, output):
    for i in range(len(zs)):
        output[i] = _escape_count(maxiter, zs[i], cs[i])


# The same, the points shared among numba's threads (prange).
@numba.njit(parallel=True, cache=True)
def _escape_counts_prange(maxiter, zs, cs, output):
    for i in numba.prange(len(zs)):
        output[i] = _escape_count(maxiter, zs[i], cs[i])
# [end: njit]


def calculate_z(maxiter, zs, cs):
    """The escape count of every point, one thread (numba @njit)."""
    zs, cs = _checked(maxiter, zs, cs)
    output = np.zeros(len(zs), dtype=np.intc)
    _escape_counts(maxiter, zs, cs, output)
    return output


def calculate_z_prange(maxiter, zs, cs):
    """The same on numba's threads (numba.get_num_threads(); numba.set_num_threads
    or NUMBA_NUM_THREADS change it)."""
    zs, cs = _checked(maxiter, zs, cs)
    output = np.zeros(len(zs), dtype=np.intc)
    _escape_counts_prange(maxiter, zs, cs, output)
    return output
