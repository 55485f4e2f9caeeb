"""The workloads lesson 08 runs under two interpreters, CPython and PyPy.

    python pypy_workloads.py <workload> [arguments]

prints one line of JSON: the measurements (seconds per run, step or call) and a
checksum of the result, so the
notebook can check that both interpreters computed the same thing before it
compares their times. The code is the course's own: the pure-Python Julia set of
lesson 07 and the diffusion step of lesson 09, imported from their folders.

Workloads:
    julia WIDTH RUNS             calculate_z on a WIDTH x WIDTH grid, RUNS times
    diffusion SIDE STEPS         pure-Python steps on lists of lists
    diffusion-jit-events SIDE STEPS      (PyPy only) the same, and the steps in which the
                                 JIT compiled code
    diffusion-tolist SIDE STEPS  the same, the grid made by NumPy's tolist()
    diffusion-tolist-list SIDE STEPS     the same, each row copied by list(row)
    diffusion-tolist-floats SIDE STEPS   the same, each row copied by [float(x) for x in row]
    list-strategies SIDE         (PyPy only) the storage strategy of such lists
    diffusion-numpy SIDE STEPS   NumPy steps that make temporary arrays
    diffusion-numpy-inplace SIDE STEPS   NumPy with out=, no temporary arrays
    diffusion-cffi SIDE STEPS    libdiffusion's evolve through cffi's ABI mode
    cffi-calls COUNT             COUNT calls of that evolve on a 3 x 3 grid: the cost of a call
    new-array SIDE COUNT         make and drop a SIDE x SIDE NumPy array, COUNT times
    new-array-nogc SIDE COUNT    the same with the garbage collector off
    objects COUNT                COUNT small objects kept alive: memory
"""
import hashlib
import json
import pathlib
import platform
import struct
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "extensions/julia"), str(ROOT / "extensions/diffusion")]

D, DT = 1.0, 0.1


def memory_kib():
    """The resident memory of this process, from /proc (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key == "VmRSS":
                return int(value.split()[0])
    raise RuntimeError("no VmRSS in /proc/self/status")


def digest(values):
    """sha256 of the doubles, in order: equal only if every bit is equal."""
    return hashlib.sha256(struct.pack(f"{len(values)}d", *values)).hexdigest()


def julia(width, runs):
    import julia_python as jp

    zs, cs = jp.grid(width)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        output = jp.calculate_z(jp.MAXITER, zs, cs)
        seconds.append(time.perf_counter() - start)
    return {"seconds": seconds, "checksum": sum(output)}


# [region: diffusion]
def step_times(evolve, grid, spare, steps):
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        evolve(grid, spare, D, DT)
        seconds.append(time.perf_counter() - start)
        grid, spare = spare, grid
    return seconds, grid


def diffusion(side, steps, grid=None, evolve=None):
    from diffusion_python import python_evolve, python_initial_grid

    grid = grid or python_initial_grid((side, side))
    spare = [[0.0] * side for _ in range(side)]
    seconds, grid = step_times(evolve or python_evolve, grid, spare, steps)
    return {"seconds": seconds, "checksum": digest([value for row in grid for value in row])}


def diffusion_tolist(side, steps, copy=None):
    """The same, starting from lists that C code made: NumPy's tolist(),
    its rows used as they are or copied by `copy`."""
    from diffusion_reference import initial_grid

    rows = initial_grid((side, side)).tolist()
    return diffusion(side, steps, [copy(row) for row in rows] if copy else rows)


def diffusion_tolist_list(side, steps):
    return diffusion_tolist(side, steps, copy=list)


def diffusion_tolist_floats(side, steps):
    return diffusion_tolist(side, steps, copy=lambda row: [float(x) for x in row])
# [end: diffusion]


# [region: events]
def diffusion_jit_events(side, steps):
    """(PyPy only) The diffusion workload, and the steps (1 = the first) in which
    the JIT compiled a loop or a bridge."""
    import pypyjit
    from diffusion_python import python_evolve

    done, step, compiled = 0, 0, []     # step: the one running, 0 between steps

    def counted_evolve(grid, out, D, dt):
        nonlocal done, step
        done += 1
        step = done
        python_evolve(grid, out, D, dt)
        step = 0

    pypyjit.set_compile_hook(lambda info: compiled.append(step))   # called for each loop or bridge
    result = diffusion(side, steps, evolve=counted_evolve)
    pypyjit.set_compile_hook(None)
    return {**result, "compiled": sorted(set(compiled) - {0})}
# [end: events]


# [region: strategies]
def list_strategies(side):
    """PyPy stores a list in one of several ways (its strategy), and says which."""
    import __pypy__
    from diffusion_python import python_evolve, python_initial_grid
    from diffusion_reference import initial_grid

    python_rows, c_rows = python_initial_grid((side, side)), initial_grid((side, side)).tolist()
    c_row = c_rows[1]
    lists = {"a row of python_initial_grid()": python_rows[1],
             "a row of initial_grid().tolist()": c_row,
             "list(row) of that row": list(c_row),
             "[float(x) for x in row] of it": [float(x) for x in c_row]}
    spare = [[0.0] * side for _ in range(side)]
    python_evolve(c_rows, spare, D, DT)         # step 1 reads c_rows, writes spare
    python_evolve(spare, c_rows, D, DT)         # step 2 writes its floats into c_rows
    lists["that row after two diffusion steps"] = c_row
    return {"strategies": {name: __pypy__.strategy(value) for name, value in lists.items()}}
# [end: strategies]


def diffusion_numpy(side, steps):
    import numpy as np
    from diffusion_reference import initial_grid, numpy_evolve

    seconds, grid = step_times(numpy_evolve, initial_grid((side, side)), np.empty((side, side)), steps)
    return {"seconds": seconds, "checksum": digest(grid.ravel().tolist())}


def diffusion_numpy_inplace(side, steps):
    """NumPy with out=: no temporary arrays."""
    import numpy as np
    from diffusion_reference import initial_grid, numpy_evolve_inplace

    work = np.empty((side - 2, side - 2))

    def evolve(grid, out, D, dt):
        numpy_evolve_inplace(grid, out, D, dt, work=work)

    seconds, grid = step_times(evolve, initial_grid((side, side)), np.empty((side, side)), steps)
    return {"seconds": seconds, "checksum": digest(grid.ravel().tolist())}


# [region: cffi]
def open_library():
    """ABI mode: no compiled module, just the library and its declarations."""
    import cffi
    from diffusion_cdef import CDEF

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    return ffi, ffi.dlopen(str(ROOT / "extensions/diffusion/libdiffusion.so"))


def diffusion_cffi(side, steps):
    """The grids are cffi arrays, not NumPy."""
    from diffusion_python import python_initial_grid

    ffi, library = open_library()
    grid = ffi.new("double[]", [value for row in python_initial_grid((side, side)) for value in row])
    spare = ffi.new("double[]", side * side)

    def evolve(grid, out, D, dt):
        library.evolve(side, side, grid, out, D, dt)

    seconds, grid = step_times(evolve, grid, spare, steps)
    return {"seconds": seconds, "checksum": digest(list(grid))}


def cffi_calls(count):
    """The seconds per call of evolve on a 3 x 3 grid: one interior cell, so
    what is timed is almost all the call (and its share of the loop)."""
    ffi, library = open_library()
    grid, out = ffi.new("double[]", [1.0] * 9), ffi.new("double[]", 9)
    start = time.perf_counter()
    for _ in range(count):
        library.evolve(3, 3, grid, out, D, DT)
    return {"seconds": [(time.perf_counter() - start) / count], "checksum": digest(list(out))}
# [end: cffi]


# [region: arrays]
def new_array(side, count, collector=True):
    """The seconds to make (and drop) one side x side NumPy array, count times."""
    import gc
    import numpy as np

    if not collector:
        gc.disable()
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        np.empty((side, side))
        seconds.append(time.perf_counter() - start)
    return {"seconds": seconds, "checksum": count}


def new_array_nogc(side, count):
    return new_array(side, count, collector=False)
# [end: arrays]


class Particle:
    def __init__(self, x, y, mass):
        self.x, self.y, self.mass = x, y, mass


def objects(count):
    before = memory_kib()
    start = time.perf_counter()
    particles = [Particle(float(i), 0.5 * i, 1.0) for i in range(count)]
    seconds = time.perf_counter() - start
    after = memory_kib()
    return {"seconds": [seconds], "checksum": sum(p.x for p in particles),
            "kib_before": before, "kib_after": after}


WORKLOADS = {"julia": julia, "diffusion": diffusion, "diffusion-jit-events": diffusion_jit_events,
             "diffusion-tolist": diffusion_tolist,
             "diffusion-tolist-list": diffusion_tolist_list, "diffusion-tolist-floats": diffusion_tolist_floats,
             "list-strategies": list_strategies,
             "diffusion-numpy": diffusion_numpy, "diffusion-numpy-inplace": diffusion_numpy_inplace,
             "diffusion-cffi": diffusion_cffi, "cffi-calls": cffi_calls,
             "new-array": new_array, "new-array-nogc": new_array_nogc,
             "objects": objects}

if __name__ == "__main__":
    name, *arguments = sys.argv[1:]
    result = WORKLOADS[name](*map(int, arguments))
    result["interpreter"] = platform.python_implementation()
    print(json.dumps(result))
