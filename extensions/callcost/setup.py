"""Build add(a, b) in every binding lesson 09 times, in place:

- callcost: the C API, METH_VARARGS and METH_FASTCALL (callcost.c); callcost_abi3, the
  same file against the stable ABI;
- callcost_cython: Cython's cpdef (callcost_cython.pyx);
- libadd.so: add.c as a plain shared library (no Python in it), for ctypes and
  cffi's ABI mode;
- _callcost_cffi: cffi's API mode, out of line (callcost_cffi_build.py).
"""
import pathlib
import sys
import sysconfig

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# extensions/common/course_build.py: -Wall -Wextra -Werror, for every module. Its folder goes on the
# path here, so that pip's isolated build (only what pyproject.toml requires) finds it too.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
from course_build import WARNINGS  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
FLAGS = ["-O2", *WARNINGS]
PLAIN_LIBRARY = "libadd"


class build_ext_with_a_plain_library(build_ext):
    """build_ext names every output as a Python module (add.cpython-311-...so) and,
    on Windows, exports PyInit_NAME from it. libadd is a plain C library: its own
    name, and nothing Python-specific to export."""

    def get_ext_filename(self, fullname):
        if fullname == PLAIN_LIBRARY:
            return f"{PLAIN_LIBRARY}.so"
        return super().get_ext_filename(fullname)

    def get_export_symbols(self, ext):
        return [] if ext.name == PLAIN_LIBRARY else super().get_export_symbols(ext)


setup(
    cmdclass={"build_ext": build_ext_with_a_plain_library},
    ext_modules=[
        Extension("callcost", sources=["callcost.c"], extra_compile_args=FLAGS),
        # The same source against the stable ABI of CPython 3.10 (callcost_abi3.abi3.so); not on
        # a free-threaded Python, which has no stable ABI.
        *([] if sysconfig.get_config_var("Py_GIL_DISABLED") else [
            Extension("callcost_abi3", sources=["callcost.c"], extra_compile_args=FLAGS, py_limited_api=True,
                      define_macros=[("Py_LIMITED_API", "0x030A0000"), ("CALLCOST_ABI3", None)])]),
        Extension(PLAIN_LIBRARY, sources=["add.c"], extra_compile_args=FLAGS),
        *cythonize([Extension("callcost_cython", sources=["callcost_cython.pyx"],
                              extra_compile_args=FLAGS)],
                   # add() keeps no state: no GIL needed (Py_mod_gil, Cython 3.1+)
                   compiler_directives={"freethreading_compatible": True},
                   force=True,  # the C again: Cython's own check sees the .pyx, not the directives
                   build_dir=str(HERE.parent.parent / "build" / "cython" / "callcost"), quiet=True),
    ],
    cffi_modules=["callcost_cffi_build.py:ffibuilder"],
)
