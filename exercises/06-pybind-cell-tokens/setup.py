"""Build the exercise's module in place: python setup.py build_ext --inplace
Against the same S2 library as lesson 06's s2cover (s2_library says where it
is). Warnings are shown, not turned into errors: the tests decide when it is done."""
import pybind11
from setuptools import Extension, setup

import s2_library   # extensions/s2cover/s2_library.py, on the course's path

S2_LIB = s2_library.library_dirs()

setup(name="cell_tokens",
      ext_modules=[Extension("cell_tokens", sources=["cell_tokens.cpp"], language="c++",
                             include_dirs=[pybind11.get_include()],
                             extra_compile_args=["-std=c++17", "-Wall", "-Wextra", "-O1", "-fvisibility=hidden",
                                                 *s2_library.include_args()],
                             libraries=["s2"], library_dirs=S2_LIB, runtime_library_dirs=S2_LIB)])
