"""Build tarantool_snapshot in place: python setup.py build_ext --inplace"""
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
