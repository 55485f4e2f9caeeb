"""Build custom (custom.Person) and type_mistakes (the wrong examples of lessons 02 and 03) in place."""
import pathlib
import sys

from setuptools import Extension, setup

# extensions/common/course_build.py: -Wall -Wextra -Werror, for every module. Its folder goes on the
# path here, so that pip's isolated build (only what pyproject.toml requires) finds it too.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
from course_build import WARNINGS  # noqa: E402

FLAGS = WARNINGS

setup(
    ext_modules=[
        Extension("custom", sources=["custom.c"], extra_compile_args=FLAGS),
        Extension("type_mistakes", sources=["type_mistakes.c"], extra_compile_args=FLAGS),
    ],
)
