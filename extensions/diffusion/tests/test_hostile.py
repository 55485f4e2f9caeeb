"""The wrappers against arrays that lie about themselves.

An ndarray subclass can redefine `shape`, `dtype` or `flags` as Python
properties. C never sees those: it gets a pointer and the nx, ny the wrapper
passes. So a wrapper that reads nx, ny or checks the flags through the
subclass can be told anything, and sends C past the end of the memory. The
wrappers check and call with the plain ndarray underneath instead.
"""
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import diffusion_ffi as d
import diffusion_rust

ALL_C_CALLS = {
    f"{binding} {kernel}": lambda grid, out, D, dt, call=call, kernel=kernel: call(grid, out, D, dt, kernel=kernel)
    for binding, call in (("ctypes", d.ctypes_evolve), ("cffi ABI", d.cffi_abi_evolve),
                          ("cffi API", d.cffi_api_evolve))
    for kernel in d.KERNELS
} | {
    "cffi API steps": lambda grid, out, D, dt: d.cffi_api_evolve_steps(grid, out, D, dt, 1),
    # Not C, and no Python wrapper: the Rust module reads each array's own C struct.
    "Rust (PyO3)": diffusion_rust.evolve,
}

LIAR = """
import numpy as np

class Liar(np.ndarray):
    '''Reports whatever shape, dtype or flags it was told to.'''
    lies = {}

    @property
    def shape(self):
        return self.lies.get("shape", np.ndarray.shape.__get__(self))

    @property
    def dtype(self):
        return self.lies.get("dtype", np.ndarray.dtype.__get__(self))

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))
"""
namespace = {}
exec(LIAR, namespace)
Liar = namespace["Liar"]


def liar(array, **lies):
    view = array.view(Liar)
    view.lies = lies
    return view


def expected_step(grid, D=1.0, dt=0.1):
    out = np.empty_like(grid)
    d.numpy_evolve(grid, out, D, dt)
    return out


@pytest.mark.parametrize("call", ALL_C_CALLS.values(), ids=list(ALL_C_CALLS))
def test_a_shape_that_lies_smaller_is_not_believed(call):
    """Told (3, 8) for an (8, 8) grid, a wrapper that believed it would step
    only the first three rows: the result shows which shape C was given."""
    real = d.initial_grid((8, 8)) + np.arange(64.0).reshape(8, 8)
    grid, out = liar(real.copy(), shape=(3, 8)), liar(np.zeros((8, 8)), shape=(3, 8))
    assert grid.shape == (3, 8)                          # the lie, as Python code sees it
    call(grid, out, 1.0, 0.1)
    stepped = np.asarray(grid if call is ALL_C_CALLS["cffi API steps"] else out)
    assert stepped.tolist() == expected_step(real).tolist()


@pytest.mark.parametrize("lie", ["shape", "dtype"])
@pytest.mark.parametrize("name", list(ALL_C_CALLS))
def test_a_lie_that_would_overrun_memory_is_harmless(python_child, name, lie):
    """Told a bigger shape, or float64 for float32 data, C would read and write
    far past the arrays (a crash, or silently corrupted memory): run in a child
    process so that a regression fails this test and not the whole run."""
    if lie == "shape":
        make = "real = np.ones((8, 8)); lies = dict(shape=(2000, 2000))"
    else:
        make = "real = np.ones((8, 8), dtype=np.float32); lies = dict(dtype=np.dtype(np.float64))"
    script = LIAR + textwrap.dedent(f"""
        import diffusion_ffi as d
        import diffusion_rust
        {make}
        grid, out = real.view(Liar), np.zeros_like(real).view(Liar)
        grid.lies = out.lies = lies
        calls = {{
            "ctypes": d.ctypes_evolve, "cffi ABI": d.cffi_abi_evolve, "cffi API": d.cffi_api_evolve,
        }}
        name = {name!r}
        try:
            if name == "cffi API steps":
                d.cffi_api_evolve_steps(grid, out, 1.0, 0.1, 1)
            elif name == "Rust (PyO3)":
                diffusion_rust.evolve(grid, out, 1.0, 0.1)
            else:
                binding, kernel = name.rsplit(" ", 1)
                calls[binding](grid, out, 1.0, 0.1, kernel=kernel)
        except (TypeError, ValueError) as error:
            print("refused:", error)
        else:
            print("stepped:", np.asarray(out).sum() if name != "cffi API steps" else np.asarray(grid).sum())
    """)
    result = python_child(script)
    assert result.returncode == 0, result.report
    if lie == "shape":
        # An all-ones 8x8 grid steps to itself (the Laplacian of a constant is 0).
        assert result.stdout == "stepped: 64.0\n"
    else:
        assert result.stdout == "refused: grid must have dtype float64, not float32\n"


@given(rows=st.integers(3, 12), cols=st.integers(3, 12), data=st.data())
def test_any_lie_about_the_shape_is_ignored(rows, cols, data):
    # Only lies no bigger than the real grid: a bigger one would overrun memory
    # in this process if the wrappers believed it (the subprocess test covers those).
    told_rows = data.draw(st.integers(0, rows * cols), label="told rows")
    told_cols = data.draw(st.integers(0, rows * cols // max(told_rows, 1)), label="told cols")
    real = d.initial_grid((rows, cols)) + np.arange(rows * cols, dtype=float).reshape(rows, cols)
    for name, call in ALL_C_CALLS.items():
        grid = liar(real.copy(), shape=(told_rows, told_cols))
        out = liar(np.zeros((rows, cols)), shape=(told_rows, told_cols))
        call(grid, out, 1.0, 0.1)
        stepped = np.asarray(grid if name == "cffi API steps" else out)
        assert stepped.tolist() == expected_step(real).tolist(), name
