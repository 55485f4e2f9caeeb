"""add(a, b) through every binding lesson 09 times (the C API's two calling
conventions, Cython, cffi and ctypes; not pybind11, lesson 06), for the
call-cost table. Each entry: a name and a callable taking two ints. Every C
row runs the same addition: add.c's (libadd.so, _callcost_cffi) or a copy of
its one line (callcost.c, built twice: callcost and callcost_abi3; callcost_cython.pyx)."""
import ctypes
import pathlib
import sys
import sysconfig

from cffi import FFI

import _callcost_cffi
import callcost
import callcost_cython

# A free-threaded Python has no stable ABI: callcost_abi3 is not built for it.
STABLE_ABI = not sysconfig.get_config_var("Py_GIL_DISABLED")
if STABLE_ABI:
    import callcost_abi3


def library_path():
    """libadd.so from the first sys.path folder that has one (this folder, or an
    AddressSanitizer build placed before it)."""
    for entry in sys.path:
        candidate = pathlib.Path(entry or ".") / "libadd.so"
        if candidate.is_file():
            return candidate
    raise ImportError("libadd.so not found: run `make build`")


def python_add(a, b):
    return a + b


_ctypes_typed = ctypes.CDLL(str(library_path())).add
_ctypes_typed.argtypes = [ctypes.c_long, ctypes.c_long]
_ctypes_typed.restype = ctypes.c_long
# A second handle to the library, so the untyped function object is separate:
# without argtypes ctypes guesses each argument's C type at every call (int ->
# C int), and restype defaults to C int.
_ctypes_untyped = ctypes.CDLL(str(library_path())).add

# cffi's ABI mode: the declaration, then the library opened at run time.
_abi = FFI()
_abi.cdef("long add(long a, long b);")
_abi_lib = _abi.dlopen(str(library_path()))

VARIANTS = {
    "pure Python": python_add,
    "C API, METH_FASTCALL": callcost.add_fastcall,
    "C API, METH_VARARGS": callcost.add_varargs,
    # callcost.c again, compiled against the stable ABI of CPython 3.10
    **({"C API, METH_FASTCALL, stable ABI": callcost_abi3.add_fastcall,
        "C API, METH_VARARGS, stable ABI": callcost_abi3.add_varargs} if STABLE_ABI else {}),
    "Cython cpdef": callcost_cython.add,
    "cffi API": _callcost_cffi.lib.add,
    "cffi ABI": _abi_lib.add,
    "ctypes with argtypes": _ctypes_typed,
    "ctypes without argtypes": _ctypes_untyped,
}
