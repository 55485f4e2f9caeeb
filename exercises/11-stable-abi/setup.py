"""Build the exercise's module in place: python setup.py build_ext --inplace
Warnings are shown, not turned into errors: the tests decide when it is done."""
from setuptools import Extension, setup

setup(name="word_stats",
      ext_modules=[Extension("word_stats", sources=["word_stats.c"],
                             extra_compile_args=["-Wall", "-Wextra"])])
