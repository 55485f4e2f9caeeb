# cython: language_level=3, boundscheck=False, wraparound=False
"""Exercise 07-memoryview-smooth: a three-point moving average over a typed
memoryview, computed without the GIL."""
import numpy as np


def smooth(const double[:] values):
    """out[i] = (values[i-1] + values[i] + values[i+1]) / 3; the two ends are
    copied. A new float64 array; `values` is not changed."""
    cdef Py_ssize_t i, n = values.shape[0]
    result = np.empty(n, dtype=np.float64)
    cdef double[::1] out = result
    with nogil:
        for i in range(1, n - 1):
            out[i] = (values[i - 1] + values[i] + values[i + 1]) / 3
        if n > 0:
            out[0] = values[0]
            out[n - 1] = values[n - 1]
    return result
