"""Build the custom extension (custom.Person) in place."""
from setuptools import Extension, setup

setup(
    name="custom",
    ext_modules=[Extension("custom", sources=["custom.c"],
                           extra_compile_args=["-Wall", "-Wextra", "-Werror"])],
)
