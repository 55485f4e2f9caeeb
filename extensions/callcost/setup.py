"""Build the call-cost modules in place: callcost (C API) and callcost_cython.
(cffi and ctypes call diffusion.c's add, in extensions/diffusion.)"""
import pathlib

from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = pathlib.Path(__file__).resolve().parent
FLAGS = ["-O2", "-Wall", "-Wextra", "-Werror"]

setup(
    name="callcost",
    ext_modules=[
        Extension("callcost", sources=["callcost.c"], extra_compile_args=FLAGS),
        *cythonize([Extension("callcost_cython", sources=["callcost_cython.pyx"],
                              extra_compile_args=FLAGS)],
                   build_dir=str(HERE.parent.parent / "build" / "cython" / "callcost"), quiet=True),
    ],
)
