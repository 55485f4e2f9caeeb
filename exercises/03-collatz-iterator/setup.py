"""Build the exercise's module in place: python setup.py build_ext --inplace
Warnings are shown, not turned into errors: the tests decide when it is done."""
from setuptools import Extension, setup

setup(name="collatz_iter",
      ext_modules=[Extension("collatz_iter", sources=["collatz_iter.c"],
                             extra_compile_args=["-Wall", "-Wextra"])])
