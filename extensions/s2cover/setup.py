"""Build s2cover (C API by hand) and s2cover_pybind (pybind11) in place.

Both wrap the same C++ kernel, geojson_cover.cpp, against S2 0.10 (headers
under s2/, one library, no pkg-config file) and nlohmann-json3-dev (header only).
S2 is Debian's libs2-dev, or on a release without it the copy make setup
builds into build/s2: s2_library.py says which, and where.
"""
import pybind11
from setuptools import Extension, setup

import s2_library
from course_build import WARNINGS  # extensions/common: -Wall -Wextra -Werror, for every module

# Nothing more with Debian's libs2-dev; build/s2's folders (and an rpath, to find
# libs2.so at import) where make setup built S2 itself.
S2_HEADERS, S2_LIB = s2_library.include_args(), s2_library.library_dirs()

FLAGS = ["-std=c++17", "-O2",
         "-fvisibility=hidden"]   # of our own functions, export PyInit_* only (pybind11 requires it)

setup(
    name="s2cover",
    ext_modules=[
        Extension("s2cover", sources=["s2cover.cpp", "geojson_cover.cpp"],
                  language="c++", extra_compile_args=WARNINGS + FLAGS + S2_HEADERS,
                  libraries=["s2"], library_dirs=S2_LIB, runtime_library_dirs=S2_LIB),
        Extension("s2cover_pybind", sources=["s2cover_pybind.cpp", "geojson_cover.cpp"],
                  include_dirs=[pybind11.get_include()],
                  language="c++", extra_compile_args=WARNINGS + FLAGS + S2_HEADERS,
                  libraries=["s2"], library_dirs=S2_LIB, runtime_library_dirs=S2_LIB),
    ],
)
