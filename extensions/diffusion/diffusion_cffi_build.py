"""cffi API mode, out of line: generate and compile the module _diffusion_cffi,
which calls diffusion.c's functions directly (compiled into it, no dlopen)."""
import os
import pathlib

from cffi import FFI

from course_build import CFFI_WARNINGS  # extensions/common: the course's warnings policy
from diffusion_cdef import CDEF

HERE = pathlib.Path(__file__).resolve().parent
# Relative to where the build runs (setuptools refuses absolute source paths in a wheel build).
DIFFUSION_C, INCLUDE = os.path.relpath(HERE / "diffusion.c"), os.path.relpath(HERE)

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "_diffusion_cffi",
    '#include "diffusion.h"',
    sources=[DIFFUSION_C],
    include_dirs=[INCLUDE],
    # Python's own CFLAGS come first on the compiler line, and with them -fwrapv
    # (or -fno-strict-overflow, which implies it): signed overflow then wraps, so
    # GCC cannot vectorise evolve's int index arithmetic, and evolve ran slower
    # than the library's (lesson 09, section 5, measures by how much). -fno-wrapv,
    # last, wins; it is safe here because check_grids refuses grids of more than
    # INT_MAX cells.
    extra_compile_args=["-O3", *CFFI_WARNINGS, "-fno-wrapv"],
    libraries=["m"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
