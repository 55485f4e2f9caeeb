"""Build the exercise's module in place: python setup.py build_ext --inplace
Warnings are shown, not turned into errors: the tests decide when it is done."""
from setuptools import Extension, setup

setup(name="latlng",
      ext_modules=[Extension("latlng", sources=["latlng_module.cpp", "latlng.cpp"], language="c++",
                             extra_compile_args=["-std=c++17", "-Wall", "-Wextra"])])
