# cython: language_level=3
"""add(a, b) as a Cython cpdef function: callable from Python (through a
generated wrapper) and from Cython (a plain C call)."""


cpdef long add(long a, long b):
    # The sum in unsigned long, as in add.c: it wraps around where a
    # signed sum would be undefined behaviour in C.
    return <long>(<unsigned long>a + <unsigned long>b)
