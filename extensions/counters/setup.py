"""Build the counters extension in place: python setup.py build_ext --inplace"""
from setuptools import Extension, setup

setup(
    name="counters",
    ext_modules=[
        Extension(
            "counters",
            sources=["counters.c", "reader.c"],
            depends=["reader.h"],
            libraries=["z", "lz4"],  # zlib1g-dev, liblz4-dev
            extra_compile_args=["-Wall", "-Wextra", "-Werror"],
        )
    ],
)
