"""Build the pb extension in place: python setup.py build_ext --inplace

deviceapps.pb-c.c/.h are generated from deviceapps.proto by protoc-c (Debian
protobuf-c-compiler) at build time; they are build outputs, never committed.
"""
import os
import subprocess

from setuptools import Extension, setup

# extensions/common: -Wall -Wextra -Werror for every module; the same without -Werror for a student's
from course_build import WARNINGS, WARNINGS_SHOWN

# `make homework` builds the student's pb (homework/pb.c) instead of the reference
# solution, into a separate folder, and runs the same tests on it. A student's
# warnings are shown, not made errors: the tests decide.
source = os.environ.get("PB_SOURCE", "pb.c")
homework = source != "pb.c"


def generate_c(proto="deviceapps.proto", outputs=("deviceapps.pb-c.c", "deviceapps.pb-c.h")):
    """Run protoc-c only when the .proto is newer than what it generated, so that a
    second build (make memcheck, make homework) does not make make rebuild pb."""
    if all(os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(proto) for out in outputs):
        return
    subprocess.run(["protoc-c", "--c_out=.", proto], check=True)


generate_c()

setup(
    name="pb",
    ext_modules=[
        Extension(
            "pb",
            sources=[source, "deviceapps.pb-c.c"],
            depends=["deviceapps.pb-c.h", "../common/replace_file.h", "../common/nogil_failure.h"],
            # homework/pb.c includes deviceapps.pb-c.h; ../common holds the rule
            # for replacing a file that every writer of the course follows.
            include_dirs=[".", "../common"],
            libraries=["protobuf-c", "z"],  # libprotobuf-c-dev, zlib1g-dev
            extra_compile_args=[*(WARNINGS_SHOWN if homework else WARNINGS), "-fvisibility=hidden"],
        ),
        # Deliberately wrong functions from real solutions, for the lesson and its tests.
        *([] if homework else [
            Extension("pb_mistakes", sources=["mistakes.c"], extra_compile_args=WARNINGS),
        ]),
    ],
)
