"""Build tarantool_snapshot in place: python setup.py build_ext --inplace"""
from setuptools import Extension, setup

from course_build import WARNINGS  # extensions/common: -Wall -Wextra -Werror, for every module

setup(
    name="tarantool_snapshot",
    ext_modules=[
        Extension(
            "tarantool_snapshot",
            sources=["tarantool_snapshot.c", "snapshot_format.c"],
            libraries=["zstd"],  # libzstd-dev
            include_dirs=["../common"],  # the course's shared headers
            depends=["snapshot_format.h", "../common/signal_check.h", "../common/nogil_failure.h"],
            # hidden: the functions the two files share are not exported from the .so
            # (only PyInit_tarantool_snapshot is), so they cannot clash with another library's
            extra_compile_args=[*WARNINGS, "-O2", "-fvisibility=hidden"],
        )
    ],
)
