"""Build custom (custom.Person) and type_mistakes (the wrong examples of lessons 02 and 03) in place."""
from setuptools import Extension, setup

from course_build import WARNINGS  # extensions/common: -Wall -Wextra -Werror, for every module

FLAGS = WARNINGS

setup(
    name="custom",
    ext_modules=[
        Extension("custom", sources=["custom.c"], extra_compile_args=FLAGS),
        Extension("type_mistakes", sources=["type_mistakes.c"], extra_compile_args=FLAGS),
    ],
)
