"""Build the pb extension in place: python setup.py build_ext --inplace

deviceapps.pb-c.c/.h are generated from deviceapps.proto by protoc-c (Debian
protobuf-c-compiler) at build time; they are build outputs, never committed.
"""
import os
import subprocess

from setuptools import Extension, setup

# `make homework` builds the student's starting point (homework/pb.c) instead of
# the reference solution, into a separate folder, and runs the same tests on it.
source = os.environ.get("PB_SOURCE", "pb.c")

subprocess.run(["protoc-c", "--c_out=.", "deviceapps.proto"], check=True)

setup(
    name="pb",
    ext_modules=[
        Extension(
            "pb",
            sources=[source, "deviceapps.pb-c.c"],
            depends=["deviceapps.pb-c.h"],
            include_dirs=["."],                 # homework/pb.c includes deviceapps.pb-c.h
            libraries=["protobuf-c", "z"],  # libprotobuf-c-dev, zlib1g-dev
            extra_compile_args=["-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"],
        ),
        # Deliberately wrong functions from real solutions, for the lesson and its tests.
        Extension("pb_mistakes", sources=["mistakes.c"], extra_compile_args=["-Wall", "-Wextra", "-Werror"]),
    ],
)
