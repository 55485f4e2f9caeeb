"""Build the first extension in place: python setup.py build_ext --inplace"""
from setuptools import Extension, setup

from course_build import WARNINGS  # extensions/common: -Wall -Wextra -Werror, for every module

setup(
    name="first",
    ext_modules=[
        Extension("first", sources=["first.c"], extra_compile_args=WARNINGS),
    ],
)
