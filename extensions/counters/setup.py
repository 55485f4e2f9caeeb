"""Build the counters extension in place: python setup.py build_ext --inplace"""
import pathlib
import sys

from setuptools import Extension, setup

# extensions/common/course_build.py: -Wall -Wextra -Werror, for every module. Its folder goes on the
# path here, so that pip's isolated build (only what pyproject.toml requires) finds it too.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
from course_build import WARNINGS  # noqa: E402

setup(
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
