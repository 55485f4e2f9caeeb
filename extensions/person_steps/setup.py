"""Build the Person type step by step (lesson 03, "Your own types"), in place: python setup.py build_ext --inplace

One module per step; the last step is extensions/custom (custom.Person)."""
from setuptools import Extension, setup

from course_build import WARNINGS  # extensions/common: -Wall -Wextra -Werror, for every module

STEPS = ["person1_bare", "person2_members", "person3_checked", "person4_gc"]

setup(
    name="person_steps",
    ext_modules=[Extension(step, sources=[f"{step}.c"], extra_compile_args=WARNINGS)
                 for step in STEPS],
)
