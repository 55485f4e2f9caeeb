"""Build s2cover (C API by hand) and s2cover_pybind (pybind11) in place.

Both wrap the same C++ kernel, geojson_cover.cpp, against Debian's libs2-dev
(s2geometry 0.10: headers under s2/, one library, no pkg-config file) and
nlohmann-json3-dev (header only).
"""
import pybind11
from setuptools import Extension, setup

FLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-O2",
         "-fvisibility=hidden"]   # of our own functions, export PyInit_* only (pybind11 requires it)

setup(
    name="s2cover",
    ext_modules=[
        Extension("s2cover", sources=["s2cover.cpp", "geojson_cover.cpp"],
                  language="c++", extra_compile_args=FLAGS, libraries=["s2"]),
        Extension("s2cover_pybind", sources=["s2cover_pybind.cpp", "geojson_cover.cpp"],
                  include_dirs=[pybind11.get_include()],
                  language="c++", extra_compile_args=FLAGS, libraries=["s2"]),
    ],
)
