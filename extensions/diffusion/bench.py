"""Benchmark: the lecture's run, 500 diffusion steps on a 512x512 grid, every
variant (pure Python runs 2 steps, scaled to the same count)."""
import numpy as np

import diffusion_ffi as d
import diffusion_rust


def sizes(quick):
    return ((64, 64), 10) if quick else ((512, 512), 500)


def workload(quick):
    shape, steps = sizes(quick)
    return f"diffusion {shape[0]}x{shape[1]}, {steps} steps"


def run(quick, measure):
    shape, steps = sizes(quick)
    D, dt = 1.0, 0.1
    # The grids are made once, outside the clock, and each run starts by copying the
    # initial state in: a fresh 2 MB array would add its page faults to every run.
    # A run returns the grid holding its result, which the next run overwrites.
    start = d.initial_grid(shape)
    grids = np.empty(shape), np.empty(shape)

    def stepper(evolve, **options):
        def run_steps(n=steps):
            grid, scratch = grids
            np.copyto(grid, start)
            for _ in range(n):
                evolve(grid, scratch, D, dt, **options)
                grid, scratch = scratch, grid
            return grid
        return run_steps

    def fused(n=steps):
        grid, scratch = grids
        np.copyto(grid, start)
        d.cffi_api_evolve_steps(grid, scratch, D, dt, n)
        return grid

    def python_steps(n=2):
        grid, scratch = start.tolist(), np.empty(shape).tolist()
        for _ in range(n):
            d.python_evolve(grid, scratch, D, dt)
            grid, scratch = scratch, grid
        return np.array(grid)

    work = np.empty((shape[0] - 2, shape[1] - 2))
    variants = {
        "NumPy slicing": stepper(d.numpy_evolve),
        "NumPy in place (out=)": stepper(d.numpy_evolve_inplace, work=work),
        "ctypes": stepper(d.ctypes_evolve),
        "cffi ABI": stepper(d.cffi_abi_evolve),
        "cffi API": stepper(d.cffi_api_evolve),
        "cffi API, restrict kernel": stepper(d.cffi_api_evolve, kernel="evolve_fast"),
        # The restrict kernel's loop in Rust (AVX2 chosen at run time, as there), one
        # call per step like the C rows, so it compares directly with the row above.
        "Rust (PyO3)": stepper(diffusion_rust.evolve),
        # Two rows per pass, one call per step, through each binding (diffusion.c).
        "ctypes, two-row kernel": stepper(d.ctypes_evolve, kernel="evolve_two_rows"),
        "cffi ABI, two-row kernel": stepper(d.cffi_abi_evolve, kernel="evolve_two_rows"),
        "cffi API, two-row kernel": stepper(d.cffi_api_evolve, kernel="evolve_two_rows"),
        "cffi API, all steps in one call": fused,
    }
    expected = stepper(d.numpy_evolve)().copy()
    for name, fn in variants.items():
        assert np.array_equal(fn(), expected), name
    assert np.array_equal(python_steps(), stepper(d.numpy_evolve)(2))

    # The limit: a step reads one grid and writes one; np.copyto does just that,
    # without the arithmetic (lesson 09 compares the two by grid size).
    grid, out = grids

    def copies(n=steps):
        for _ in range(n):
            np.copyto(out, grid)

    seconds = {"pure Python (2 steps, scaled)": measure(python_steps, repeat=1) / 2 * steps}
    for name, fn in variants.items():
        seconds[name] = measure(fn)
    seconds["copy one grid per step (for scale)"] = measure(copies)
    return [{"workload": workload(quick),
             "baseline": "NumPy slicing", "peer": "NumPy in place (out=)",
             "limit": "copy one grid per step (for scale)", "seconds": seconds,
             "items": shape[0] * shape[1] * steps}]


# The rows whose C is libdiffusion.so's, which ctypes and cffi's ABI mode call
# through libffi: the kernel each one calls.
COUNTED = {"ctypes": "evolve", "cffi ABI": "evolve",
           "ctypes, two-row kernel": "evolve_two_rows", "cffi ABI, two-row kernel": "evolve_two_rows"}


def instructions(quick):
    """C instructions per cell and step of each kernel, counted by callgrind: one
    call of each on the benchmark's grid, minus a call that does nothing (libffi's
    own work, the same for every call)."""
    from instruction_count import instructions_per_call
    (nx, ny), _ = sizes(quick)
    kernels = sorted(set(COUNTED.values()))
    counts = instructions_per_call(f"""
import ctypes
import numpy as np
import diffusion_ffi as d
library = ctypes.CDLL(str(d.library_path()))
grid, out = d.initial_grid(({nx}, {ny})), np.empty(({nx}, {ny}))
pointers = ctypes.c_void_p(grid.ctypes.data), ctypes.c_void_p(out.ctypes.data)
rate = ctypes.c_double(1.0), ctypes.c_double(0.1)
library.evolve_steps({nx}, {ny}, *pointers, *rate, 0)       # zero steps: the call alone
for kernel in {kernels!r}:
    getattr(library, kernel)({nx}, {ny}, *pointers, *rate)
""")
    call_alone, per_kernel = counts[0], dict(zip(kernels, counts[1:]))
    return {workload(quick): {row: (per_kernel[kernel] - call_alone) / (nx * ny)
                              for row, kernel in COUNTED.items()}}
