"""Build targets (GIL released) and targets_gil (same source, GIL held) in place."""
import pathlib
import sys

from setuptools import Extension, setup

# extensions/common/course_build.py: -Wall -Wextra -Werror, for every module. Its folder goes on the
# path here, so that pip's isolated build (only what pyproject.toml requires) finds it too.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
from course_build import WARNINGS  # noqa: E402

FLAGS = [*WARNINGS, "-O2"]
# ../common holds the rule for replacing a file that every writer of the course follows,
# and the Ctrl-C check of a long call.
COMMON = dict(include_dirs=["../common"],
              depends=["../common/replace_file.h", "../common/signal_check.h",
                       "../common/nogil_failure.h"])

setup(
    ext_modules=[
        Extension("targets", sources=["targets.c"], extra_compile_args=FLAGS, **COMMON),
        # The lesson's control: identical code that keeps the GIL while it works.
        Extension("targets_gil", sources=["targets.c"], extra_compile_args=FLAGS,
                  define_macros=[("TARGETS_HOLD_GIL", "1")], **COMMON),
    ],
)
