"""Build the first extension in place: python setup.py build_ext --inplace"""
from setuptools import Extension, setup

setup(
    name="first",
    ext_modules=[
        Extension("first", sources=["first.c"], extra_compile_args=["-Wall", "-Wextra", "-Werror"]),
    ],
)
