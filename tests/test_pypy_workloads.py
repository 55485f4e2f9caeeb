"""Lesson 08's workloads: each interpreter must compute exactly what NumPy and
lesson 07's validation say, before the lesson compares their times."""
import hashlib
import json
import pathlib
import struct
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "notebooks/pypy_workloads.py"
PYPY = ROOT / ".venv-pypy/bin/python"
INTERPRETERS = [pytest.param(sys.executable, id="cpython"),
                pytest.param(str(PYPY), id="pypy",
                             marks=pytest.mark.skipif(not PYPY.exists(), reason="no .venv-pypy (pypy3 not installed)"))]


def run(interpreter, *arguments):
    finished = subprocess.run([interpreter, str(WORKLOADS), *map(str, arguments)],
                              capture_output=True, text=True, check=True)
    return json.loads(finished.stdout)


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_every_diffusion_workload_gives_numpys_grid(interpreter):
    expected = run(sys.executable, "diffusion-numpy", 40, 7)
    for workload in ("diffusion", "diffusion-tolist", "diffusion-tolist-list", "diffusion-tolist-floats",
                     "diffusion-numpy", "diffusion-numpy-inplace", "diffusion-cffi"):
        result = run(interpreter, workload, 40, 7)
        assert result["checksum"] == expected["checksum"], workload
        assert len(result["seconds"]) == 7
    assert run(interpreter, "diffusion", 40, 6)["checksum"] != expected["checksum"]


@pytest.mark.skipif(not PYPY.exists(), reason="no .venv-pypy (pypy3 not installed)")
def test_jit_events_name_steps_of_the_run():
    expected = run(sys.executable, "diffusion", 40, 30)
    result = run(str(PYPY), "diffusion-jit-events", 40, 30)
    assert result["checksum"] == expected["checksum"] and len(result["seconds"]) == 30
    assert result["compiled"], "the JIT compiled the step's loops during the run"
    assert all(1 <= step <= 30 for step in result["compiled"])


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_cffi_calls_compute_one_step_of_3x3(interpreter):
    result = run(interpreter, "cffi-calls", 1000)
    assert len(result["seconds"]) == 1 and 0 < result["seconds"][0] < 1e-3
    # a 3 x 3 grid of ones is left unchanged: the border is copied, the Laplacian of the centre is 0
    assert result["checksum"] == hashlib.sha256(struct.pack("9d", *[1.0] * 9)).hexdigest()


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_julia_matches_lesson_06(interpreter):
    sys.path.insert(0, str(ROOT / "extensions/julia"))
    try:
        import julia_python as jp
    finally:
        sys.path.pop(0)
    result = run(interpreter, "julia", 60, 2)
    assert result["checksum"] == sum(jp.calculate_z(jp.MAXITER, *jp.grid(60)))
    assert len(result["seconds"]) == 2


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_objects_reports_memory(interpreter):
    result = run(interpreter, "objects", 200_000)
    assert result["checksum"] == sum(float(i) for i in range(200_000))
    assert result["kib_after"] > result["kib_before"] > 0
    # 200,000 objects of three attributes cannot fit in less than 4 MB on either interpreter
    assert (result["kib_after"] - result["kib_before"]) * 1024 > 200_000 * 20


@pytest.mark.skipif(not PYPY.exists(), reason="no .venv-pypy (pypy3 not installed)")
def test_lists_made_by_c_code_keep_pypys_c_api_strategy():
    strategies = run(str(PYPY), "list-strategies", 12)["strategies"]
    assert strategies == {"a row of python_initial_grid()": "FloatListStrategy",
                          "a row of initial_grid().tolist()": "CPyListStrategy",
                          "list(row) of that row": "CPyListStrategy",
                          "[float(x) for x in row] of it": "FloatListStrategy",
                          "that row after two diffusion steps": "CPyListStrategy"}


@pytest.mark.parametrize("interpreter", INTERPRETERS)
@pytest.mark.parametrize("workload", ["new-array", "new-array-nogc"])
def test_new_array_times_each_array(interpreter, workload):
    result = run(interpreter, workload, 64, 5)
    assert len(result["seconds"]) == 5 and result["checksum"] == 5


def test_the_interpreter_is_the_one_asked_for():
    assert run(sys.executable, "objects", 10)["interpreter"] == "CPython"
    if PYPY.exists():
        assert run(str(PYPY), "objects", 10)["interpreter"] == "PyPy"
