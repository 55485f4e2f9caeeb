# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Rung 5: the points shared among threads with OpenMP (prange), GIL released."""
import numpy as np

cimport openmp
from cython.parallel cimport prange

from _checks cimport check_arguments


cdef inline int escape_count(int maxiter, double complex z, double complex c) noexcept nogil:
    cdef int n = 0
    while n < maxiter and (z.real * z.real + z.imag * z.imag) < 4:
        z = z * z + c
        n += 1
    return n


def calculate_z(int maxiter, const double complex[::1] zs, const double complex[::1] cs,
                int num_threads=0, str schedule="guided"):
    """num_threads=0 uses OpenMP's default. schedule: "static" (equal blocks of points,
    decided up front), "dynamic" (small chunks handed out as threads finish) or
    "guided" (chunks that shrink as the work runs out)."""
    check_arguments(maxiter, zs.shape[0], cs.shape[0])
    if num_threads < 0:
        raise ValueError(f"num_threads must be >= 0, not {num_threads}")
    if schedule not in ("static", "dynamic", "guided"):
        raise ValueError(f"schedule must be 'static', 'dynamic' or 'guided', not {schedule!r}")
    cdef int threads = num_threads if num_threads > 0 else openmp.omp_get_max_threads()
    output = np.zeros(zs.shape[0], dtype=np.intc)
    cdef int[::1] out = output
    cdef Py_ssize_t i, size = zs.shape[0]
    # prange's schedule is fixed at compile time: one loop per schedule.
    if schedule == "static":
        for i in prange(size, nogil=True, schedule="static", num_threads=threads):
            out[i] = escape_count(maxiter, zs[i], cs[i])
    elif schedule == "dynamic":
        for i in prange(size, nogil=True, schedule="dynamic", chunksize=256, num_threads=threads):
            out[i] = escape_count(maxiter, zs[i], cs[i])
    else:
        for i in prange(size, nogil=True, schedule="guided", num_threads=threads):
            out[i] = escape_count(maxiter, zs[i], cs[i])
    return output
