"""Build tarantool_snapshot in place: python setup.py build_ext --inplace"""
from setuptools import Extension, setup

setup(
    name="tarantool_snapshot",
    ext_modules=[
        Extension(
            "tarantool_snapshot",
            sources=["tarantool_snapshot.c"],
            libraries=["zstd"],  # libzstd-dev
            include_dirs=["../common"],  # the course's shared headers
            depends=["../common/signal_check.h"],
            extra_compile_args=["-Wall", "-Wextra", "-Werror", "-O2"],
        )
    ],
)
