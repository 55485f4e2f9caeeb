# cython: language_level=3
"""add(a, b) as a Cython cpdef function: callable from Python (through a
generated wrapper) and from Cython (a plain C call)."""


cpdef long add(long a, long b):
    return a + b
