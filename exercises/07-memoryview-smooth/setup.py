"""Build the exercise's module in place: python setup.py build_ext --inplace
Cython's generated C stays in this build folder. Warnings are shown, not turned
into errors: the tests decide when it is done."""
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(name="smooth",
      ext_modules=cythonize([Extension("smooth", sources=["smooth.pyx"], extra_compile_args=["-Wall", "-Wextra"])],
                            quiet=True))
