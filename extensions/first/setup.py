"""Build the first extension.

In place, as make build does:  python setup.py build_ext --inplace
As a wheel, or installed:       python -m build --wheel   /   pip install .
(pyproject.toml names setuptools as the build backend; this file says what it compiles.)
"""
import pathlib
import sys
import sysconfig

from setuptools import Extension, setup

# extensions/common/course_build.py: -Wall -Wextra -Werror, for every module. Its folder goes on the
# path here, so that pip's isolated build (only what pyproject.toml requires) finds it too.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
from course_build import WARNINGS  # noqa: E402

# The same source against the stable ABI of CPython 3.10: Python.h then declares only
# what 3.10 promised to keep, and the module, first_abi3.abi3.so, loads in 3.10 and later.
# Not on a free-threaded Python (3.13t): it has no stable ABI to build against.
stable_abi = [Extension("first_abi3", sources=["first.c"], extra_compile_args=WARNINGS, py_limited_api=True,
                        define_macros=[("Py_LIMITED_API", "0x030A0000"), ("FIRST_ABI3", None)])]
if sysconfig.get_config_var("Py_GIL_DISABLED"):
    stable_abi = []

setup(ext_modules=[Extension("first", sources=["first.c"], extra_compile_args=WARNINGS), *stable_abi])
