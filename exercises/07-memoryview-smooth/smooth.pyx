# cython: language_level=3, boundscheck=False, wraparound=False
"""Exercise 07-memoryview-smooth: a three-point moving average over a typed
memoryview, computed without the GIL."""
import numpy as np


def smooth(values):
    """out[i] = (values[i-1] + values[i] + values[i+1]) / 3; the two ends are
    copied. A new float64 array; `values` is not changed."""
    # TODO: type `values` as a memoryview of doubles that also accepts a
    # read-only array, make the result with NumPy and a typed memoryview onto it,
    # and fill it in a loop inside `with nogil:`. Then delete the line below.
    raise NotImplementedError("smooth is not written yet")
