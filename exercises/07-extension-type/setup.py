"""Build the exercise's module in place: python setup.py build_ext --inplace
Cython's generated C stays in this build folder. Warnings are shown, not turned
into errors: the tests decide when it is done."""
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(name="stats",
      ext_modules=cythonize([Extension("stats", sources=["stats.pyx"], extra_compile_args=["-Wall", "-Wextra"])],
                            quiet=True))
