"""Build the exercise's module in place: python setup.py build_ext --inplace
Warnings are shown, not turned into errors: the tests decide when it is done."""
from setuptools import Extension, setup

setup(name="word_stats",
      ext_modules=[Extension("word_stats", sources=["word_stats.c"],
                             extra_compile_args=["-Wall", "-Wextra"],
                             # the headers declare only CPython 3.10's limited API...
                             define_macros=[("Py_LIMITED_API", "0x030A0000")],
                             # ...and the file is named for it: word_stats.abi3.so
                             py_limited_api=True)])
