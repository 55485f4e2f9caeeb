"""Build custom (custom.Person) and type_mistakes (lesson 02's wrong examples) in place."""
from setuptools import Extension, setup

FLAGS = ["-Wall", "-Wextra", "-Werror"]

setup(
    name="custom",
    ext_modules=[
        Extension("custom", sources=["custom.c"], extra_compile_args=FLAGS),
        Extension("type_mistakes", sources=["type_mistakes.c"], extra_compile_args=FLAGS),
    ],
)
