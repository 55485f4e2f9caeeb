"""Exercise 08-cffi-both-interpreters: kahan.py under CPython, and the same
checks under PyPy in a child process."""
import json
import math
import os
import pathlib
import subprocess

import pytest

import kahan

HERE = pathlib.Path(__file__).resolve().parent
# The course's PyPy venv (make setup), in the repository this copy was built under.
PYPY = next((folder / ".venv-pypy/bin/pypy3" for folder in HERE.parents
             if (folder / ".venv-pypy/bin/pypy3").is_file()), None)


def test_a_million_tenths():
    assert kahan.total([0.1] * 1_000_000) == 100000.0
    assert math.fsum([0.1] * 1_000_000) == 100000.0


def test_any_iterable():
    assert kahan.total(x / 4 for x in range(9)) == 9.0
    assert kahan.total((1, 2.5)) == 3.5
    assert kahan.total([]) == 0.0


def test_count_above():
    values = [0.5, 3.0, -1.0, 3.0, 7.25]
    assert kahan.count_above(values, 3.0) == 1
    assert kahan.count_above(values, -2) == 5
    assert kahan.count_above([], 0.0) == 0


def test_a_value_that_is_not_a_number():
    with pytest.raises(TypeError):
        kahan.total([1.0, "2"])


def test_abi_mode():
    assert hasattr(kahan, "ffi") and hasattr(kahan, "lib"), "an FFI named ffi and the dlopen()ed library named lib"
    assert type(kahan.lib).__name__.startswith("FFILibrary"), "open the library with ffi.dlopen"


CHILD = """
import json, kahan
print(json.dumps([kahan.total([0.1] * 1_000_000), kahan.total(x / 4 for x in range(9)),
                  kahan.count_above([0.5, 3.0, -1.0, 3.0, 7.25], 3.0)]))
"""


@pytest.mark.skipif(PYPY is None, reason="no PyPy venv (.venv-pypy): make setup found no pypy3")
def test_the_same_file_under_pypy():
    folder = pathlib.Path(kahan.__file__).parent
    run = subprocess.run([str(PYPY), "-c", CHILD], cwd=folder, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(folder)}, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout) == [100000.0, 9.0, 1]
