"""Benchmark: the lecture's run, 500 diffusion steps on a 512x512 grid, every
variant (pure Python runs 2 steps, scaled to the same count)."""
import numpy as np

import diffusion_ffi as d
import diffusion_rust


def run(quick, measure):
    shape, steps = ((64, 64), 10) if quick else ((512, 512), 500)
    D, dt = 1.0, 0.1

    def stepper(evolve, **options):
        def run_steps(n=steps):
            grid, scratch = d.initial_grid(shape), np.empty(shape)
            for _ in range(n):
                evolve(grid, scratch, D, dt, **options)
                grid, scratch = scratch, grid
            return grid
        return run_steps

    def fused(n=steps):
        grid = d.initial_grid(shape)
        d.cffi_api_evolve_steps(grid, np.empty(shape), D, dt, n)
        return grid

    def python_steps(n=2):
        grid, scratch = d.initial_grid(shape).tolist(), np.empty(shape).tolist()
        for _ in range(n):
            d.python_evolve(grid, scratch, D, dt)
            grid, scratch = scratch, grid
        return np.array(grid)

    work = np.empty((shape[0] - 2, shape[1] - 2))
    variants = {
        "NumPy slicing": (stepper(d.numpy_evolve), steps),
        "NumPy in place (out=)": (stepper(d.numpy_evolve_inplace, work=work), steps),
        "ctypes": (stepper(d.ctypes_evolve), steps),
        "cffi ABI": (stepper(d.cffi_abi_evolve), steps),
        "cffi API": (stepper(d.cffi_api_evolve), steps),
        "cffi API, restrict kernel": (stepper(d.cffi_api_evolve, kernel="evolve_fast"), steps),
        # The restrict kernel's loop in Rust (AVX2 chosen at run time, as there), one
        # call per step like the C rows, so it compares directly with the row above.
        "Rust (PyO3)": (stepper(diffusion_rust.evolve), steps),
        # Two rows per pass, one call per step, through each binding (diffusion.c).
        "ctypes, two-row kernel": (stepper(d.ctypes_evolve, kernel="evolve_two_rows"), steps),
        "cffi ABI, two-row kernel": (stepper(d.cffi_abi_evolve, kernel="evolve_two_rows"), steps),
        "cffi API, two-row kernel": (stepper(d.cffi_api_evolve, kernel="evolve_two_rows"), steps),
        "cffi API, all steps in one call": (fused, steps),
    }
    expected = stepper(d.numpy_evolve)()
    for name, (fn, _) in variants.items():
        assert np.array_equal(fn(), expected), name
    assert np.array_equal(python_steps(), stepper(d.numpy_evolve)(2))

    # For scale: a step reads one grid and writes one; np.copyto does just that, without
    # the arithmetic. Not a floor: at some sizes memcpy is slower than a step (lesson 09).
    grid, out = d.initial_grid(shape), np.empty(shape)

    def copies(n=steps):
        for _ in range(n):
            np.copyto(out, grid)

    seconds = {"pure Python (2 steps, scaled)": measure(python_steps, repeat=1) / 2 * steps}
    for name, (fn, _) in variants.items():
        seconds[name] = measure(fn)
    seconds["copy one grid per step (for scale)"] = measure(copies)
    return [{"workload": f"diffusion {shape[0]}x{shape[1]}, {steps} steps",
             "baseline": "NumPy slicing", "peer": "NumPy in place (out=)",
             "limit": "copy one grid per step (for scale)", "seconds": seconds}]
