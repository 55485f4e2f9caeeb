"""Build the pb extension in place: python setup.py build_ext --inplace (a wheel: python -m build --wheel)

deviceapps.pb-c.c/.h are generated from deviceapps.proto by protoc-c (Debian
protobuf-c-compiler) when pb is built: the first step of build_ext below. They
are build outputs, never committed.
"""
import os
import pathlib
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
# extensions/common/course_build.py: -Wall -Wextra -Werror for every module; the same without -Werror
# for a student's. Its folder goes on the path here, so that pip's isolated build finds it too.
sys.path.insert(0, str(HERE.parent / "common"))
from course_build import WARNINGS, WARNINGS_SHOWN  # noqa: E402

# `make homework` builds the student's pb (homework/pb.c) instead of the reference
# solution, into a separate folder, and runs the same tests on it. A student's
# warnings are shown, not made errors: the tests decide.
source = os.environ.get("PB_SOURCE", "pb.c")
homework = source != "pb.c"
PROTO = HERE / "deviceapps.proto"
GENERATED = [HERE / "deviceapps.pb-c.c", HERE / "deviceapps.pb-c.h"]


class build_ext_with_protoc_c(build_ext):
    """protoc-c first, then the modules. It runs only when the .proto is newer than
    what it generated, so that a second build (make memcheck, make homework) leaves
    the generated files as they were and make does not rebuild pb."""

    def run(self):
        if not all(out.exists() and out.stat().st_mtime >= PROTO.stat().st_mtime for out in GENERATED):
            self.spawn(["protoc-c", f"--proto_path={HERE}", f"--c_out={HERE}", str(PROTO)])
        super().run()


setup(
    cmdclass={"build_ext": build_ext_with_protoc_c},
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
