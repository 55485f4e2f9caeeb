"""Build the exercise's module in place: python setup.py build_ext --inplace
Warnings are shown, not turned into errors: the tests decide when it is done."""
from setuptools import Extension, setup

setup(name="collatz_nogil",
      ext_modules=[Extension("collatz_nogil", sources=["collatz_nogil.c"],
                             extra_compile_args=["-Wall", "-Wextra"])])
