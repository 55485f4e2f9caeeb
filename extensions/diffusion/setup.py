"""Build the FFI lesson's C code:

- libdiffusion.so, a plain shared library (no Python in it) for ctypes and
  cffi's ABI mode, with the one compiler line in build_ext_with_a_plain_library;
- _diffusion_cffi, cffi's API mode, out of line (diffusion_cffi_build.py).

In place (make build): python setup.py build_ext --inplace; a wheel: python -m build --wheel.
"""
import os
import pathlib
import shlex
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
# This folder (diffusion_cffi_build.py imports diffusion_cdef) and extensions/common
# (course_build.py: -Wall -Wextra -Werror, for every module), on the path for pip's
# isolated build too.
sys.path[:0] = [str(HERE), str(HERE.parent / "common")]
from course_build import WARNINGS  # noqa: E402

PLAIN_LIBRARY = "libdiffusion"


class build_ext_with_a_plain_library(build_ext):
    """build_ext compiles a Python module with Python's own CFLAGS (-fwrapv among them:
    lesson 09 measures what that costs) and names it as one (NAME.cpython-311-...so).
    libdiffusion.so is plain C, compiled with our line alone, and written where
    build_ext writes its modules: in place, into --build-lib, or into a wheel."""

    def get_ext_filename(self, fullname):
        if fullname == PLAIN_LIBRARY:
            return f"{PLAIN_LIBRARY}.so"
        return super().get_ext_filename(fullname)

    def build_extension(self, ext):
        if ext.name != PLAIN_LIBRARY:
            return super().build_extension(ext)
        output = pathlib.Path(self.get_ext_fullpath(ext.name))
        output.parent.mkdir(parents=True, exist_ok=True)
        # Python's C compiler (or $CC), and $CFLAGS/$LDFLAGS: make memcheck's AddressSanitizer build.
        compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
        self.spawn([*compiler, "-O3", *WARNINGS, "-fPIC", "-shared",
                    *shlex.split(os.environ.get("CFLAGS", "")), *shlex.split(os.environ.get("LDFLAGS", "")),
                    "-o", str(output), *(str(HERE / source) for source in ext.sources), "-lm"])


setup(
    cmdclass={"build_ext": build_ext_with_a_plain_library},
    ext_modules=[Extension(PLAIN_LIBRARY, sources=["diffusion.c"], depends=["diffusion.h"])],
    cffi_modules=["diffusion_cffi_build.py:ffibuilder"],
)
