"""Benchmark: the Julia-set ladder, from pure Python to SIMD, measured in one run."""
import os
import sysconfig

import numpy as np

import julia_abs
import julia_c
import julia_cdef
import julia_compiled
import julia_memview
import julia_numpy
import julia_prange
import julia_annotated
import julia_python

try:                      # numba: where it has a wheel for this Python
    import julia_numba
except ImportError:
    julia_numba = None


def python_build():
    pgo = "--enable-optimizations" in (sysconfig.get_config_var("CONFIG_ARGS") or "")
    return f"CPython {sysconfig.get_python_version()}, {'PGO' if pgo else 'no PGO'} build"


def run(quick, measure):
    width = 200 if quick else julia_python.WIDTH
    maxiter = julia_python.MAXITER
    cores = len(os.sched_getaffinity(0))          # the CPUs this process may run on
    zs, cs = julia_python.grid(width)
    za, ca = np.array(zs), np.array(cs)
    expected = julia_python.calculate_z(maxiter, zs, cs)
    if not quick:
        assert sum(expected) == julia_python.VALIDATION_SUM
    variants = {
        "pure Python": lambda: julia_python.calculate_z(maxiter, zs, cs),
        "NumPy vectorised": lambda: julia_numpy.calculate_z(maxiter, za, ca),
        "Cython, unchanged": lambda: julia_compiled.calculate_z(maxiter, zs, cs),
        "Cython, cdef types": lambda: julia_cdef.calculate_z(maxiter, zs, cs),
        "Cython, abs rewritten": lambda: julia_abs.calculate_z(maxiter, zs, cs),
        "Cython, Pure Python mode": lambda: julia_annotated.calculate_z(maxiter, zs, cs),
        "Cython, memoryviews": lambda: julia_memview.calculate_z(maxiter, za, ca),
        "plain C -O3": lambda: julia_c.calculate_z_scalar(maxiter, za, ca),
        "prange, 2 threads, static": lambda: julia_prange.calculate_z(maxiter, za, ca, 2, "static"),
        "prange, 2 threads, dynamic": lambda: julia_prange.calculate_z(maxiter, za, ca, 2, "dynamic"),
        "prange, 2 threads, guided": lambda: julia_prange.calculate_z(maxiter, za, ca, 2, "guided"),
        "C SIMD, 1 thread": lambda: julia_c.calculate_z_simd(maxiter, za, ca),
        f"C SIMD, {cores} threads": lambda: julia_c.calculate_z_simd_threads(maxiter, za, ca, cores),
    }
    if julia_numba is not None:   # compiled by the check below, so compiling stays outside the clock
        variants["numba @njit"] = lambda: julia_numba.calculate_z(maxiter, za, ca)
        variants[f"numba prange, {cores} threads"] = lambda: julia_numba.calculate_z_prange(maxiter, za, ca)
    for name, fn in variants.items():           # every rung checked before it is timed
        out = fn()
        assert list(out) == expected, name
    seconds = {}
    for name, fn in variants.items():
        slow = name in ("pure Python", "Cython, unchanged")
        seconds[name] = measure(fn, repeat=1 if slow and not quick else None)
    # The limit: SIMD on every core with no time lost to sharing the work, the
    # one-thread time divided by the cores (computed from the row above, not run).
    limit = f"C SIMD, 1 thread / {cores} cores (perfect sharing)"
    seconds[limit] = seconds["C SIMD, 1 thread"] / cores
    return [{"workload": f"Julia set {width}x{width}, {maxiter} iterations ({python_build()})",
             "baseline": "pure Python", "peer": "plain C -O3", "limit": limit,
             "seconds": seconds}]
