"""add(a, b) through every binding lesson 09 times (the C API's two calling
conventions, Cython, cffi and ctypes; not pybind11, lesson 06), for the
call-cost table. Each entry: a name and a callable taking two ints."""
import ctypes

import callcost
import callcost_cython
import diffusion_ffi


def python_add(a, b):
    return a + b


_ctypes_typed = ctypes.CDLL(str(diffusion_ffi.library_path())).add
_ctypes_typed.argtypes = [ctypes.c_long, ctypes.c_long]
_ctypes_typed.restype = ctypes.c_long
# A second handle to the library, so the untyped function object is separate:
# without argtypes ctypes guesses each argument's C type at every call (int ->
# C int), and restype defaults to C int.
_ctypes_untyped = ctypes.CDLL(str(diffusion_ffi.library_path())).add

VARIANTS = {
    "pure Python": python_add,
    "C API, METH_FASTCALL": callcost.add_fastcall,
    "C API, METH_VARARGS": callcost.add_varargs,
    "Cython cpdef": callcost_cython.add,
    "cffi API": diffusion_ffi.api_lib.add,
    "cffi ABI": diffusion_ffi.abi_lib.add,
    "ctypes with argtypes": _ctypes_typed,
    "ctypes without argtypes": _ctypes_untyped,
}
