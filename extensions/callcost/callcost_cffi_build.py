"""cffi API mode, out of line: generate and compile the module _callcost_cffi,
which calls add.c's add directly (compiled into it, no dlopen)."""
import os
import pathlib

from cffi import FFI

from course_build import CFFI_WARNINGS  # extensions/common: the course's warnings policy

HERE = pathlib.Path(__file__).resolve().parent
# Relative to where the build runs (setuptools refuses absolute source paths in a wheel build).
ADD_C, INCLUDE = os.path.relpath(HERE / "add.c"), os.path.relpath(HERE)
CDEF = "long add(long a, long b);"   # add.h, as cdef reads it

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source("_callcost_cffi", '#include "add.h"', sources=[ADD_C],
                      include_dirs=[INCLUDE], extra_compile_args=["-O2", *CFFI_WARNINGS])

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
