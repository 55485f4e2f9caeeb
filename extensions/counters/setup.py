"""Build the counters extension in place: python setup.py build_ext --inplace"""
from setuptools import Extension, setup

from course_build import WARNINGS  # extensions/common: -Wall -Wextra -Werror, for every module

setup(
    name="counters",
    ext_modules=[
        Extension(
            "counters",
            sources=["counters.c", "reader.c"],
            depends=["reader.h", "../common/signal_check.h", "../common/nogil_failure.h"],
            include_dirs=["../common"],  # the course's shared headers
            libraries=["z", "lz4"],  # zlib1g-dev, liblz4-dev
            # -fvisibility=hidden: only PyInit_counters is exported, not reader.c's
            # functions (they are shared by two files, so they cannot be static).
            extra_compile_args=[*WARNINGS, "-fvisibility=hidden"],
        )
    ],
)
