"""One step of 2-D diffusion, every way lesson 09 runs it, each checking its
arguments before C sees them:

    python_evolve        pure Python on lists of lists      } from diffusion_reference,
    numpy_evolve         NumPy slicing (the reference)      } which needs no C and runs
    numpy_evolve_inplace NumPy ufuncs with out=             } under PyPy as well
    ctypes_evolve        ctypes: libdiffusion.so with argtypes and ndpointer
    cffi_abi_evolve      cffi ABI mode: ffi.dlopen("libdiffusion.so")
    cffi_api_evolve      cffi API mode, out of line: the compiled module _diffusion_cffi

All take (grid, out, D, dt) and write the step from grid into out; the C ones
also take kernel=, one of KERNELS: which of diffusion.h's kernels to call.
"""
import ctypes
import pathlib
import sys

import numpy as np
from cffi import FFI
from numpy.ctypeslib import ndpointer

import _diffusion_cffi
from diffusion_cdef import CDEF
# The references live beside, in plain Python and NumPy (lesson 08 runs them under PyPy too):
from diffusion_reference import initial_grid, numpy_evolve, numpy_evolve_inplace, python_evolve  # noqa: F401

INT_MAX = 2**31 - 1
KERNELS = ("evolve", "evolve_fast", "evolve_two_rows")   # diffusion.h: one step, three ways


def library_path():
    """libdiffusion.so from the first sys.path folder that has one (the
    extension's folder, or an AddressSanitizer build placed before it)."""
    for entry in sys.path:
        candidate = pathlib.Path(entry or ".") / "libdiffusion.so"
        if candidate.is_file():
            return candidate
    raise ImportError("libdiffusion.so not found: run `make build`")


# [region: checks]
def check_grids(grid, out):
    """What every C-calling wrapper must check, since C checks nothing: the C
    function reads nx*ny doubles from one pointer and writes them through another.
    Returns the two as plain ndarrays, which the call must use: a subclass can
    redefine shape, dtype or flags in Python, and a lie there would send C past
    the end of the memory."""
    for name, array in (("grid", grid), ("out", out)):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, not {type(array).__name__}")
    grid, out = np.asarray(grid), np.asarray(out)   # same memory, ndarray's own attributes
    for name, array in (("grid", grid), ("out", out)):
        if array.dtype != np.float64:
            raise TypeError(f"{name} must have dtype float64, not {array.dtype}")
        if array.ndim != 2:
            raise ValueError(f"{name} must be 2-D, not {array.ndim}-D")
        if not array.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (a slice or a transpose is not: "
                             f"np.ascontiguousarray makes a copy that is)")
        if not array.flags.aligned:
            raise ValueError(f"{name} must be aligned for double (a view at an odd byte offset "
                             f"is not: np.ascontiguousarray makes a copy that is)")
    if out.shape != grid.shape:
        raise ValueError(f"out has shape {out.shape}, grid {grid.shape}")
    if min(grid.shape) < 3:
        raise ValueError(f"grid shape {grid.shape}: each side must be at least 3")
    if grid.size > INT_MAX:
        raise ValueError(f"grid has {grid.size} cells: C indexes them with an int, at most {INT_MAX}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    if np.shares_memory(grid, out):
        raise ValueError("out must not overlap grid: the step reads cells it has already written")
    return grid, out


def check_kernel(kernel):
    """The kernel's name, if it is one of ours: the name picks a symbol of the library,
    and any other symbol there would be called with the wrong arguments."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(KERNELS)}, not {kernel!r}")
    return kernel
# [end: checks]


# ---- ctypes ----

# [region: ctypes]
_library = ctypes.CDLL(str(library_path()))
_grid_pointer = ndpointer(dtype=np.float64, ndim=2, flags="C_CONTIGUOUS")
_out_pointer = ndpointer(dtype=np.float64, ndim=2, flags=("C_CONTIGUOUS", "WRITEABLE"))
for _name in KERNELS:
    _function = getattr(_library, _name)
    _function.argtypes = [ctypes.c_int, ctypes.c_int, _grid_pointer, _out_pointer,
                          ctypes.c_double, ctypes.c_double]
    _function.restype = None


def ctypes_evolve(grid, out, D, dt, kernel="evolve"):
    grid, out = check_grids(grid, out)      # ndpointer cannot compare the shape with nx, ny of this call
    function = getattr(_library, check_kernel(kernel))
    function(grid.shape[0], grid.shape[1], grid, out, D, dt)
# [end: ctypes]


# [region: structs]
class Point(ctypes.Structure):
    """diffusion.h's `point`, for ctypes: the fields in order, with their C types."""
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]


_library.midpoint.argtypes = [Point, Point]
_library.midpoint.restype = Point
_library.path_length.argtypes = [ctypes.POINTER(Point), ctypes.c_int]
_library.path_length.restype = ctypes.c_double


def ctypes_midpoint(a, b):
    middle = _library.midpoint(Point(*a), Point(*b))
    return middle.x, middle.y


def ctypes_path_length(points):
    array = (Point * len(points))(*[Point(x, y) for x, y in points])
    return _library.path_length(array, len(points))


# cffi knows `point` from diffusion.h (CDEF): no second declaration. (api_lib
# and api_ffi, the API-mode module's, are set in the cffi section below.)
def cffi_midpoint(a, b):
    middle = api_lib.midpoint(a, b)          # a tuple or dict converts to a point
    return middle.x, middle.y


def cffi_path_length(points):
    return api_lib.path_length(api_ffi.new("point[]", points), len(points))
# [end: structs]


# ---- cffi ----

# [region: cffi]
abi_ffi = FFI()
abi_ffi.cdef(CDEF)
abi_lib = abi_ffi.dlopen(str(library_path()))        # ABI mode: no compiler involved


def cffi_abi_evolve(grid, out, D, dt, kernel="evolve"):
    grid, out = check_grids(grid, out)
    function = getattr(abi_lib, check_kernel(kernel))
    function(grid.shape[0], grid.shape[1], abi_ffi.from_buffer("double[]", grid),
             abi_ffi.from_buffer("double[]", out, require_writable=True), D, dt)


api_ffi, api_lib = _diffusion_cffi.ffi, _diffusion_cffi.lib  # API mode: compiled by make build


def cffi_api_evolve(grid, out, D, dt, kernel="evolve"):
    grid, out = check_grids(grid, out)
    function = getattr(api_lib, check_kernel(kernel))
    function(grid.shape[0], grid.shape[1], api_ffi.from_buffer("double[]", grid),
             api_ffi.from_buffer("double[]", out, require_writable=True), D, dt)


def cffi_api_evolve_steps(grid, scratch, D, dt, steps):
    """All steps in one call; the result ends in grid."""
    grid, scratch = check_grids(grid, scratch)
    api_lib.evolve_steps(grid.shape[0], grid.shape[1], api_ffi.from_buffer("double[]", grid, require_writable=True),
                         api_ffi.from_buffer("double[]", scratch, require_writable=True), D, dt, steps)
# [end: cffi]


def cffi_api_copy_steps(grid, scratch, steps):
    """A step's memory traffic without its arithmetic, in one call: `steps` whole-grid
    copies, alternating as the steps do."""
    grid, scratch = check_grids(grid, scratch)
    api_lib.copy_steps(grid.shape[0], grid.shape[1], api_ffi.from_buffer("double[]", grid, require_writable=True),
                       api_ffi.from_buffer("double[]", scratch, require_writable=True), steps)


WRAPPERS = {"NumPy slicing": numpy_evolve, "NumPy in place": numpy_evolve_inplace,
            "ctypes": ctypes_evolve, "cffi ABI": cffi_abi_evolve, "cffi API": cffi_api_evolve}
