"""Build the Julia-set ladder: python setup.py build_ext --inplace

Every rung is its own module. Cython writes its generated C into build/cython/julia
(never next to the sources: it is a build output).
"""
import pathlib
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# extensions/common/course_build.py: -Wall -Wextra -Werror, for every module. Its folder goes on the
# path here, so that pip's isolated build (only what pyproject.toml requires) finds it too.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
from course_build import WARNINGS  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
CYTHON_C = HERE.parent.parent / "build" / "cython" / "julia"
OPENMP = ["-fopenmp"]


def rung(name, source, openmp=False, c_sources=()):
    return Extension(name, sources=[source, *c_sources], include_dirs=[str(HERE)],
                     extra_compile_args=["-O3", *WARNINGS, *(OPENMP if openmp else [])],
                     extra_link_args=OPENMP if openmp else [])


setup(
    ext_modules=cythonize(
        [
            rung("julia_compiled", "julia_compiled.pyx"),
            rung("julia_cdef", "julia_cdef.pyx"),
            rung("julia_abs", "julia_abs.pyx"),
            rung("julia_annotated", "julia_annotated.py"),
            rung("julia_memview", "julia_memview.pyx"),
            rung("julia_prange", "julia_prange.pyx", openmp=True),
            rung("julia_c", "julia_c.pyx", openmp=True, c_sources=["julia_kernels.c"]),
        ],
        # Each rung is a pure function of its arguments (no module-level state
        # it changes), so each module tells a free-threaded Python it needs no
        # GIL (Py_mod_gil, Cython 3.1+).
        compiler_directives={"freethreading_compatible": True},
        force=True,  # the C again whenever this runs: Cython's own check sees the .pyx, not these directives
        build_dir=str(CYTHON_C),
        quiet=True,
    ),
)
