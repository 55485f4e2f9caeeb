"""Build the first extension.

In place, as make build does:  python setup.py build_ext --inplace
As a wheel, or installed:       python -m build --wheel   /   pip install .
(pyproject.toml names setuptools as the build backend; this file says what it compiles.)
"""
import pathlib
import sys

from setuptools import Extension, setup

# extensions/common/course_build.py: -Wall -Wextra -Werror, for every module. Its folder goes on the
# path here, so that pip's isolated build (only what pyproject.toml requires) finds it too.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
from course_build import WARNINGS  # noqa: E402

setup(
    ext_modules=[
        Extension("first", sources=["first.c"], extra_compile_args=WARNINGS),
        # The same source against the stable ABI of CPython 3.10: Python.h then declares only
        # what 3.10 promised to keep, and the module, first_abi3.abi3.so, loads in 3.10 and later.
        Extension("first_abi3", sources=["first.c"], extra_compile_args=WARNINGS, py_limited_api=True,
                  define_macros=[("Py_LIMITED_API", "0x030A0000"), ("FIRST_ABI3", None)]),
    ],
)
