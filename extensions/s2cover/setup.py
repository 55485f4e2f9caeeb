"""Build s2cover (C API by hand) and s2cover_pybind (pybind11) in place:
python setup.py build_ext --inplace (a wheel: python -m build --wheel).

Both wrap the same C++ kernel, geojson_cover.cpp, against S2 0.10 (headers
under s2/, one library, no pkg-config file) and nlohmann-json3-dev (header only).
S2 is Debian's libs2-dev, or on a release without it the copy make setup
builds into build/s2: s2_library.py says which, and where.
"""
import pathlib
import sys

from pybind11.setup_helpers import Pybind11Extension
from setuptools import Extension, setup

HERE = pathlib.Path(__file__).resolve().parent
# This folder (s2_library.py) and extensions/common (course_build.py: -Wall -Wextra -Werror,
# for every module), on the path for pip's isolated build too.
sys.path[:0] = [str(HERE), str(HERE.parent / "common")]
import s2_library  # noqa: E402
from course_build import WARNINGS  # noqa: E402

# Nothing more with Debian's libs2-dev; build/s2's folders (and an rpath, to find
# libs2.so at import) where make setup built S2 itself.
S2 = dict(libraries=["s2"], library_dirs=s2_library.library_dirs(),
          runtime_library_dirs=s2_library.library_dirs())

FLAGS = ["-std=c++17", "-O2",
         "-fvisibility=hidden"]   # of our own functions, export PyInit_* only (pybind11 requires it)

setup(
    ext_modules=[
        Extension("s2cover", sources=["s2cover.cpp", "geojson_cover.cpp"],
                  language="c++", extra_compile_args=WARNINGS + FLAGS + s2_library.include_args(), **S2),
        # Pybind11Extension adds pybind11's headers and its own flags (-fvisibility=hidden, the
        # C++ standard; and -g0, no debug information, unless $CFLAGS asks for -g) before ours.
        Pybind11Extension("s2cover_pybind", sources=["s2cover_pybind.cpp", "geojson_cover.cpp"],
                          cxx_std=17, extra_compile_args=WARNINGS + ["-O2"] + s2_library.include_args(), **S2),
    ],
)
