"""Exercise 09-careless-wrapper: NumPy arrays through ctypes to libvectors.so.

Every function's argtypes and restype are declared once, here: ctypes then
converts and checks each argument, and reads each result as the C type it is."""
import ctypes

import numpy as np

from library import load

lib = load("libvectors.so")

# A 1-D C-contiguous array of one dtype; ndpointer refuses anything else.
doubles = np.ctypeslib.ndpointer(dtype=np.float64, ndim=1, flags="C_CONTIGUOUS")
writable_doubles = np.ctypeslib.ndpointer(dtype=np.float64, ndim=1, flags=("C_CONTIGUOUS", "WRITEABLE"))
int64s = np.ctypeslib.ndpointer(dtype=np.int64, ndim=1, flags="C_CONTIGUOUS")

lib.vec_mean.argtypes = [doubles, ctypes.c_size_t]
lib.vec_mean.restype = ctypes.c_double
lib.vec_sum_i64.argtypes = [int64s, ctypes.c_size_t]
lib.vec_sum_i64.restype = ctypes.c_int64
lib.vec_scale.argtypes = [writable_doubles, ctypes.c_size_t, ctypes.c_double]
lib.vec_scale.restype = None
lib.vec_argmax.argtypes = [doubles, ctypes.c_size_t]
lib.vec_argmax.restype = ctypes.c_size_t


def mean(values):
    """The mean of a 1-D float64 array."""
    return lib.vec_mean(values, len(values))


def sum_i64(values):
    """The sum of a 1-D int64 array, in 64 bits."""
    return lib.vec_sum_i64(values, len(values))


def scale(values, factor):
    """values *= factor, in place, for a 1-D float64 array."""
    lib.vec_scale(values, len(values), factor)


def argmax(values):
    """The index of the largest value of a 1-D float64 array."""
    if len(values) == 0:
        raise ValueError("argmax of an empty array")      # the C function requires n >= 1
    return lib.vec_argmax(values, len(values))
