"""Build the plain C library libvectors.so (for ctypes) in place:
python setup.py build_ext --inplace
Warnings are shown, not turned into errors: the tests decide when it is done."""
import pathlib

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools._distutils.ccompiler import new_compiler
from setuptools._distutils.sysconfig import customize_compiler


class build_library(build_ext):
    """A shared library with no Python in it: compiled and linked with the
    compiler Python was built with (and CFLAGS/LDFLAGS, as for any extension)."""

    def run(self):
        compiler = new_compiler()
        customize_compiler(compiler)
        objects = compiler.compile(["vectors.c"], output_dir=self.build_temp, extra_postargs=["-Wall", "-Wextra"])
        folder = "." if self.inplace else self.build_lib
        pathlib.Path(folder).mkdir(parents=True, exist_ok=True)
        compiler.link_shared_object(objects, "libvectors.so", output_dir=folder, libraries=["m"])


setup(name="vectors", py_modules=[], cmdclass={"build_ext": build_library})
