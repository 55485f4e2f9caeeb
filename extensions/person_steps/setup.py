"""Build the Person type step by step (lesson 03, "Your own types"), in place: python setup.py build_ext --inplace

One module per step; the last step is extensions/custom (custom.Person)."""
import pathlib
import sys

from setuptools import Extension, setup

# extensions/common/course_build.py: -Wall -Wextra -Werror, for every module. Its folder goes on the
# path here, so that pip's isolated build (only what pyproject.toml requires) finds it too.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "common"))
from course_build import WARNINGS  # noqa: E402

STEPS = ["person1_bare", "person2_members", "person3_checked", "person4_gc"]

setup(
    ext_modules=[Extension(step, sources=[f"{step}.c"], extra_compile_args=WARNINGS)
                 for step in STEPS],
)
