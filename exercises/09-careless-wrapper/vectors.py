"""Exercise 09-careless-wrapper: NumPy arrays through ctypes to libvectors.so.

A careless first version: it runs, and it is wrong in every function."""
from library import load

lib = load("libvectors.so")


def mean(values):
    """The mean of a 1-D float64 array."""
    return lib.vec_mean(values.ctypes.data, len(values))


def sum_i64(values):
    """The sum of a 1-D int64 array, in 64 bits."""
    return lib.vec_sum_i64(values.ctypes.data, len(values))


def scale(values, factor):
    """values *= factor, in place, for a 1-D float64 array."""
    lib.vec_scale(values.ctypes.data, len(values), factor)


def argmax(values):
    """The index of the largest value of a 1-D float64 array."""
    return lib.vec_argmax(values.ctypes.data, len(values))
