"""libdiffusion through every wrapper: equal to NumPy, bad arguments rejected."""
import ctypes
import os
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

import diffusion_ffi as d
import diffusion_rust
from numpy.ctypeslib import ndpointer
from diffusion_cdef import CDEF

HERE = pathlib.Path(__file__).resolve().parent.parent

C_WRAPPERS = {"ctypes": d.ctypes_evolve, "cffi ABI": d.cffi_abi_evolve, "cffi API": d.cffi_api_evolve}
# The same step in Rust (extensions/diffusion_rust): it checks its arguments itself.
NATIVE_WRAPPERS = {**C_WRAPPERS, "Rust (PyO3)": diffusion_rust.evolve}


def random_grid(shape=(37, 53), seed=1):
    return d.initial_grid(shape) + np.random.default_rng(seed).random(shape)


def numpy_step(grid, D=1.0, dt=0.1):
    out = np.empty_like(grid)
    d.numpy_evolve(grid, out, D, dt)
    return out


def test_numpy_reference_by_hand():
    grid = np.zeros((3, 3))
    grid[1, 1] = 1.0
    grid[0, 1] = 2.0                     # a border cell: it stays, and feeds the centre
    out = numpy_step(grid, D=0.5, dt=0.2)
    expected = grid.copy()
    expected[1, 1] = 1.0 + 0.5 * 0.2 * (2.0 - 4.0)
    assert out.tolist() == expected.tolist()


def test_pure_python_equals_numpy():
    grid = random_grid((9, 12))
    out = [[0.0] * 12 for _ in range(9)]
    d.python_evolve(grid.tolist(), out, 1.0, 0.1)
    assert np.array_equal(np.array(out), numpy_step(grid))


@pytest.mark.parametrize("name", ["NumPy in place", *NATIVE_WRAPPERS])
@pytest.mark.parametrize("shape", [(3, 3), (37, 53), (128, 5), (512, 512)])
def test_wrappers_equal_numpy_exactly(name, shape):
    grid = random_grid(shape)
    out = np.full_like(grid, np.nan)     # every cell must be written
    {**d.WRAPPERS, **NATIVE_WRAPPERS}[name](grid, out, 1.0, 0.1)
    assert np.array_equal(out, numpy_step(grid))    # same operations, same order: bit for bit


@pytest.mark.parametrize("kernel", d.KERNELS)
@pytest.mark.parametrize("wrapper", C_WRAPPERS.values())
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 17), (70, 130), (71, 131), (9, 512)])
def test_every_kernel_equals_numpy_exactly(wrapper, kernel, shape):
    """Odd and even row counts (evolve_two_rows pairs rows, then may do one alone),
    rows shorter than one AVX2 vector, and long ones."""
    grid = random_grid(shape)
    out = np.full_like(grid, np.nan)
    wrapper(grid, out, 0.7, 0.05, kernel=kernel)
    assert np.array_equal(out, numpy_step(grid, 0.7, 0.05))


@pytest.mark.parametrize("offset", range(4))
def test_the_two_row_kernel_at_every_start_alignment(offset):
    """Grids starting 0, 8, 16 and 24 bytes past a 32-byte boundary: the kernel
    starts its vector loop at the first aligned cell, so each start runs a
    different number of cells before it."""
    buffers = np.empty(2 * (8 * 21 + 4)), np.empty(2 * (8 * 21 + 4))
    grid, out = (buffer[(-(buffer.ctypes.data // 8) % 4 + offset):][:8 * 21].reshape(8, 21)
                 for buffer in buffers)
    assert grid.ctypes.data % 32 == 8 * offset
    grid[...] = random_grid((8, 21))
    d.ctypes_evolve(grid, out, 1.0, 0.1, kernel="evolve_two_rows")
    assert np.array_equal(out, numpy_step(grid))


@pytest.mark.parametrize("wrapper", C_WRAPPERS.values())
def test_an_unknown_kernel_is_refused(wrapper):
    grid = random_grid((8, 8))
    with pytest.raises(ValueError, match="kernel must be one of evolve, evolve_fast, evolve_two_rows, not 'copy_steps'"):
        wrapper(grid, np.empty_like(grid), 1.0, 0.1, kernel="copy_steps")



@pytest.mark.parametrize("shape", [(512, 512), (10, 10), (37, 64)])
def test_the_pure_python_start_equals_numpys(shape):
    from diffusion_python import python_initial_grid
    assert python_initial_grid(shape) == d.initial_grid(shape).tolist()

@pytest.mark.parametrize("steps", [1, 2, 7])
def test_fused_steps_equal_repeated_steps(steps):
    grid = random_grid((40, 41))
    expected = grid.copy()
    for _ in range(steps):
        expected = numpy_step(expected)
    scratch = np.empty_like(grid)
    d.cffi_api_evolve_steps(grid, scratch, 1.0, 0.1, steps)
    assert np.array_equal(grid, expected)


@pytest.mark.parametrize("steps", [1, 2, 7])
def test_copy_steps_leaves_the_grid_and_copies_it(steps):
    grid = random_grid((40, 41))
    expected = grid.copy()
    scratch = np.zeros_like(grid)
    d.cffi_api_copy_steps(grid, scratch, steps)
    assert np.array_equal(grid, expected)
    assert np.array_equal(scratch, expected)
    with pytest.raises(ValueError, match="out has shape"):
        d.cffi_api_copy_steps(grid, np.empty((40, 40)), steps)


def test_the_lecture_run_conserves_heat_away_from_the_border():
    grid, scratch = d.initial_grid((64, 64)), np.empty((64, 64))
    total = grid.sum()
    for _ in range(50):
        d.cffi_api_evolve(grid, scratch, 1.0, 0.1)
        grid, scratch = scratch, grid
    assert grid.sum() == pytest.approx(total, rel=1e-12)    # nothing reached the border yet
    assert grid.max() < 0.005


def misaligned(shape):
    """A C-contiguous float64 view that starts one byte into its buffer."""
    buffer = np.zeros(np.prod(shape) * 8 + 1, dtype=np.uint8)
    view = buffer[1:].view(np.float64).reshape(shape)
    assert view.flags.c_contiguous and not view.flags.aligned
    return view


def bad_arguments():
    good = np.zeros((8, 8))
    return [
        ("list", [[0.0] * 8] * 8, np.zeros((8, 8)), TypeError, "grid must be a NumPy array, not list"),
        ("float32", good.astype(np.float32), np.zeros((8, 8)), TypeError, "grid must have dtype float64, not float32"),
        ("int out", good, np.zeros((8, 8), dtype=int), TypeError, "out must have dtype float64, not int64"),
        ("1-D", np.zeros(64), np.zeros(64), ValueError, "grid must be 2-D, not 1-D"),
        ("transposed", np.zeros((8, 9)).T, np.zeros((9, 8)), ValueError, "grid must be C-contiguous"),
        ("strided", np.zeros((8, 16))[:, ::2], np.zeros((8, 8)), ValueError, "grid must be C-contiguous"),
        ("shapes", good, np.zeros((8, 9)), ValueError, r"out has shape \(8, 9\), grid \(8, 8\)"),
        ("tiny", np.zeros((2, 8)), np.zeros((2, 8)), ValueError, r"grid shape \(2, 8\): each side must be at least 3"),
        ("misaligned", misaligned((8, 8)), np.zeros((8, 8)), ValueError, "grid must be aligned for double"),
        ("misaligned out", good, misaligned((8, 8)), ValueError, "out must be aligned for double"),
        ("same", good, good, ValueError, "out must not overlap grid"),
        ("read-only", good, np.zeros((8, 8)).view(), ValueError, None),
    ]


@pytest.mark.parametrize("wrapper", NATIVE_WRAPPERS.values(), ids=list(NATIVE_WRAPPERS))
@pytest.mark.parametrize("case", bad_arguments(), ids=[case[0] for case in bad_arguments()])
def test_bad_arguments_are_rejected(wrapper, case):
    label, grid, out, error, message = case
    if label == "read-only":
        out.flags.writeable = False
        message = "out is read-only"
    with pytest.raises(error, match=message):
        wrapper(grid, out, 1.0, 0.1)


def test_more_cells_than_an_int_can_index_are_rejected():
    """A grid of more than INT_MAX cells, faked: a view over 8 bytes with the
    strides of a real one. check_grids must refuse it before touching its data."""
    shape = (2**16, 2**15 + 1)                                    # 2**31 + 2**16 cells
    def huge():
        return np.lib.stride_tricks.as_strided(np.zeros(1), shape=shape,
                                               strides=(8 * shape[1], 8), writeable=False)
    grid, out = huge(), huge()
    assert grid.flags.c_contiguous and grid.size > d.INT_MAX
    with pytest.raises(ValueError, match=r"grid has 2147549184 cells: C indexes them with an int, at most 2147483647"):
        d.check_grids(grid, out)


def test_ndpointer_alone_catches_dtype_but_not_shape():
    """Why the wrappers check more than ctypes' ndpointer does."""
    function = d._library.evolve
    with pytest.raises(ctypes.ArgumentError, match="array must have data type float64"):
        function(8, 8, np.zeros((8, 8), dtype=np.float32), np.zeros((8, 8)), 1.0, 0.1)
    with pytest.raises(ctypes.ArgumentError, match="array must have flags"):
        function(8, 8, np.zeros((8, 16))[:, ::2], np.zeros((8, 8)), 1.0, 0.1)
    # A shape that disagrees with nx, ny passes ndpointer: nothing in C can know.
    function(3, 3, np.zeros((3, 3)), np.zeros((3, 3)), 1.0, 0.1)
    # ndpointer can check a shape, but only one fixed when the type is made:
    fixed = ndpointer(dtype=np.float64, shape=(8, 8))
    with pytest.raises(TypeError, match="array must have shape"):
        fixed.from_param(np.zeros((3, 3)))


def test_structs_through_ctypes_and_cffi():
    for midpoint, path_length in [(d.ctypes_midpoint, d.ctypes_path_length),
                                  (d.cffi_midpoint, d.cffi_path_length)]:
        assert midpoint((0.0, 0.0), (2.0, 4.0)) == (1.0, 2.0)
        assert midpoint((-1.5, 3.0), (1.5, -3.0)) == (0.0, 0.0)
        assert path_length([(0, 0), (3, 4), (3, 5)]) == 6.0
        assert path_length([(1, 1)]) == 0.0


def test_cffi_declarations_are_the_header():
    """cffi's declarations are diffusion.h's lines, preprocessor lines aside, and
    declare every function diffusion.c defines, no more."""
    header = (HERE / "diffusion.h").read_text().splitlines()
    assert CDEF == "\n".join(line for line in header if not line.lstrip().startswith("#"))
    source = (HERE / "diffusion.c").read_text()
    defined = set(re.findall(r"^(?:\w+\s+)+\**(\w+)\(", source, re.M))
    helpers = set(re.findall(r"^static\s(?:\w+\s+)+\**(\w+)\(", source, re.M))
    assert helpers == {"two_rows"}               # file-local: no symbol in the library
    defined -= helpers
    assert defined == {"evolve", "evolve_fast", "evolve_two_rows", "evolve_steps", "copy_steps", "midpoint",
                       "path_length"}
    for lib in (d.abi_lib, d.api_lib):
        assert set(dir(lib)) == defined


def packed_arithmetic_in_evolve(library):
    """How many packed (SIMD) add/sub/mul instructions on doubles objdump finds in
    `evolve` of a shared library."""
    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "--disassemble=evolve", str(library)],
                             capture_output=True, text=True, check=True).stdout
    assert "<evolve>:" in listing, f"no evolve in {library}"
    return len(re.findall(r"\bv?(?:add|sub|mul)pd\b", listing))


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) is not installed")
@pytest.mark.skipif(os.environ.get("PYEXT_MEMCHECK") == "1",
                    reason="the AddressSanitizer build is compiled at -O1: not the code this test judges")
def test_the_cffi_api_module_vectorises_evolve_as_the_library_does():
    """_diffusion_cffi is compiled with Python's own CFLAGS first, whose -fwrapv
    (or -fno-strict-overflow) keeps GCC from vectorising evolve's int index
    arithmetic; diffusion_cffi_build.py puts -fno-wrapv last. Lesson 09 found the
    module 1.8x slower without it."""
    module = pathlib.Path(d._diffusion_cffi.__file__)
    assert packed_arithmetic_in_evolve(d.library_path()) > 0
    assert packed_arithmetic_in_evolve(module) > 0
