"""Exercise 08-cffi-both-interpreters: libkahan.so through cffi's ABI mode,
the same file under CPython and under PyPy (which has cffi built in)."""
import cffi

import library

# TODO: an FFI with the two declarations of kahan.c (ffi.cdef), and the library
# opened in ABI mode (ffi.dlopen). library.find("libkahan.so") is the path of
# the library file (found on sys.path).


def total(values):
    """The compensated sum of an iterable of numbers."""
    raise NotImplementedError("total is not written yet")


def count_above(values, threshold):
    """How many of the numbers are greater than threshold."""
    raise NotImplementedError("count_above is not written yet")
