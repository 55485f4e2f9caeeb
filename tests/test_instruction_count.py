"""extensions/common/instruction_count.py: callgrind's counts of each foreign call."""
import shutil

import pytest

import instruction_count
from instruction_count import CallgrindError, instructions_per_call

CALLS = """
import ctypes
import numpy as np
import diffusion_ffi as d
library = ctypes.CDLL(str(d.library_path()))
def aligned(shape):   # both grids 64-byte aligned: the kernel's start-up work is the same both ways
    raw = np.zeros(shape[0] * shape[1] + 8)
    start = -(raw.ctypes.data // 8) % 8
    return raw[start:start + shape[0] * shape[1]].reshape(shape)
grid, out = aligned((64, 64)), aligned((64, 64))
grid[...] = d.initial_grid((64, 64))
pointers = ctypes.c_void_p(grid.ctypes.data), ctypes.c_void_p(out.ctypes.data)
rate = ctypes.c_double(1.0), ctypes.c_double(0.1)
library.evolve_steps(64, 64, *pointers, *rate, 0)          # the call alone: no step
library.evolve_two_rows(64, 64, *pointers, *rate)
library.evolve_two_rows(64, 64, *pointers, *rate)
library.evolve_steps(64, 64, *pointers, *rate, 2)
library.evolve_steps(64, 64, *pointers, *rate, 4)
"""


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_counts_repeat_exactly_and_agree_with_each_other():
    alone, step, step_again, two_steps, four_steps = instructions_per_call(CALLS)
    assert step == step_again                       # the same work, the same count
    assert 0 < alone < step
    # Two more steps inside evolve_steps are two more kernel calls' work (its loop
    # and calls add some hundred instructions per step: within 2%).
    assert four_steps - two_steps == pytest.approx(2 * (step - alone), rel=0.02)


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_a_failing_program_is_reported_with_its_error():
    with pytest.raises(CallgrindError, match=r"(?s)exit 1.*ZeroDivisionError"):
        instructions_per_call("1 / 0")


def test_without_valgrind_the_error_names_the_package(monkeypatch):
    monkeypatch.setattr(instruction_count.shutil, "which", lambda name: None)
    with pytest.raises(CallgrindError, match="valgrind is not installed: `make setup` installs it"):
        instructions_per_call("pass")
