"""Exercise 08-cffi-both-interpreters: libkahan.so through cffi's ABI mode,
the same file under CPython and under PyPy (which has cffi built in)."""
import cffi

import library

ffi = cffi.FFI()
ffi.cdef("""
    double kahan_sum(const double *values, size_t n);
    size_t count_above(const double *values, size_t n, double threshold);
""")
lib = ffi.dlopen(library.find("libkahan.so"))       # the file's path, found on sys.path


def _doubles(values):
    """A C array of doubles holding `values` (cffi converts and checks each one)."""
    return ffi.new("double[]", list(values))


def total(values):
    """The compensated sum of an iterable of numbers."""
    array = _doubles(values)
    return lib.kahan_sum(array, len(array))


def count_above(values, threshold):
    """How many of the numbers are greater than threshold."""
    array = _doubles(values)
    return lib.count_above(array, len(array), threshold)
