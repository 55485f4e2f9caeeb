"""Build the FFI lesson's C code in place:

- libdiffusion.so, a plain shared library (no Python in it) for ctypes and
  cffi's ABI mode, with the one compiler line below;
- _diffusion_cffi, cffi's API mode, out of line (diffusion_cffi_build.py).
"""
import os
import pathlib
import shlex
import subprocess
import sys
import sysconfig

from setuptools import setup

from course_build import WARNINGS  # extensions/common: -Wall -Wextra -Werror, for every module

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def library_folder():
    # In place (make build), or into --build-lib when only that is given
    # (make memcheck: its AddressSanitizer build must not replace ours).
    if "--build-lib" in sys.argv and "--inplace" not in sys.argv:
        return pathlib.Path(sys.argv[sys.argv.index("--build-lib") + 1])
    return HERE


def build_shared_library():
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    output = library_folder() / "libdiffusion.so"
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [*compiler, "-O3", *WARNINGS, "-fPIC", "-shared",
               *shlex.split(os.environ.get("CFLAGS", "")), *shlex.split(os.environ.get("LDFLAGS", "")),
               "-o", str(output), str(HERE / "diffusion.c"), "-lm"]
    subprocess.run(command, check=True)


if any(arg.startswith("build") for arg in sys.argv[1:]):
    build_shared_library()

setup(
    name="diffusion",
    cffi_modules=["diffusion_cffi_build.py:ffibuilder"],
)
