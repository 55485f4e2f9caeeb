"""What every compiled module of the course tells a free-threaded Python (3.13t,
3.14t) about the GIL, and why: the Py_mod_gil slot, however its binding tool
spells it.

A module that declares Py_MOD_GIL_NOT_USED is imported with the GIL still off.
A module that declares nothing, or Py_MOD_GIL_USED, makes the interpreter turn
the GIL on for the whole process, with a RuntimeWarning naming the module.

MODULES is the course's list: the value each module is meant to declare and the
reason. declared_value() reads the value from the module's own source (or build
file), so a test can check that the list and the code agree
(tests/test_free_threading.py); `make test-ft` checks, under a free-threaded
Python, that importing each module leaves the GIL as the list says. Lesson 11
prints the list.
"""
import dataclasses
import pathlib
import re

EXTENSIONS = pathlib.Path(__file__).resolve().parents[1]

NOT_USED = "not used"      # Py_MOD_GIL_NOT_USED: the GIL stays off
USED = "used"              # Py_MOD_GIL_USED: the GIL comes back on at import
BY_CFFI = "set by cffi"    # the module is generated: cffi writes the slot
NO_FT_BUILD = "not built"  # abi3: a free-threaded Python cannot load the stable ABI


@dataclasses.dataclass(frozen=True)
class Module:
    name: str
    binding: str        # C API, Cython, cffi, pybind11, nanobind, PyO3
    declared_in: str    # the file that says it, relative to extensions/
    gil: str            # NOT_USED, USED, BY_CFFI or NO_FT_BUILD
    reason: str
    stable_abi: bool = False    # built against the 3.10 stable ABI (Py_LIMITED_API)


_SAME_AS_S2COVER = ("the C++ work already runs with the GIL released, beside other calls; "
                    "the rest reads immutable arguments and builds new objects")
_PURE_RUNG = "a pure function of its arguments: no state it changes"

MODULES = [
    Module("first", "C API", "first/first.c", NOT_USED, "functions of their arguments, no state"),
    Module("first_abi3", "C API", "first/first.c", NO_FT_BUILD,
           "the stable ABI of 3.10 cannot name the slot; a free-threaded Python has no stable ABI, "
           "so this build is left out there", stable_abi=True),
    Module("callcost", "C API", "callcost/callcost.c", NOT_USED, "add() keeps no state"),
    Module("callcost_abi3", "C API", "callcost/callcost.c", NO_FT_BUILD,
           "the stable ABI of 3.10 cannot name the slot; a free-threaded Python has no stable ABI, "
           "so this build is left out there", stable_abi=True),
    Module("counters", "C API", "counters/counters.c", NOT_USED,
           "no mutable C globals; each call counts into tables of its own, the file read without the GIL"),
    Module("targets", "C API", "targets/targets.c", NOT_USED,
           "no state between calls; the work already runs with the GIL released"),
    Module("targets_gil", "C API", "targets/targets.c", NOT_USED,
           "the same source, holding the GIL while it works: still no state between calls"),
    Module("person1_bare", "C API", "person_steps/person1_bare.c", NOT_USED, "a type with no fields"),
    Module("person2_members", "C API", "person_steps/person2_members.c", USED,
           "__init__ replaces name with no lock (custom, the last step, takes one)"),
    Module("person3_checked", "C API", "person_steps/person3_checked.c", USED,
           "__init__ and the name setter replace name with no lock"),
    Module("person4_gc", "C API", "person_steps/person4_gc.c", USED,
           "__init__ and the name setter replace name with no lock"),
    Module("custom", "C API", "custom/custom.c", NOT_USED,
           "name, email and birthday's age are read and replaced under the Person's critical section"),
    Module("type_mistakes", "C API", "custom/type_mistakes.c", USED, "wrong code on purpose (lesson 03)"),
    Module("tarantool_snapshot", "C API", "tarantool_snapshot/tarantool_snapshot.c", USED,
           "the iterator's busy flag and buffers are guarded by the GIL"),
    Module("pb", "C API", "pb/pb.c", USED, "the reader's busy flag and buffers are guarded by the GIL"),
    Module("pb_mistakes", "C API", "pb/mistakes.c", USED, "wrong code on purpose (lesson 05)"),
    Module("s2cover", "C API", "s2cover/s2cover.cpp", NOT_USED, _SAME_AS_S2COVER),
    Module("s2cover_pybind", "pybind11", "s2cover/s2cover_pybind.cpp", NOT_USED, _SAME_AS_S2COVER),
    Module("s2cover_nanobind", "nanobind", "s2cover_nanobind/CMakeLists.txt", NOT_USED, _SAME_AS_S2COVER),
    Module("callcost_cython", "Cython", "callcost/setup.py", NOT_USED, "add() keeps no state"),
    *(Module(f"julia_{rung}", "Cython", "julia/setup.py", NOT_USED, _PURE_RUNG)
      for rung in ("compiled", "cdef", "abs", "annotated", "memview", "prange", "c")),
    Module("_callcost_cffi", "cffi", "callcost/callcost_cffi_build.py", BY_CFFI,
           "cffi's generated module: cffi 2 declares it on a free-threaded build"),
    Module("_diffusion_cffi", "cffi", "diffusion/diffusion_cffi_build.py", BY_CFFI,
           "cffi's generated module: cffi 2 declares it on a free-threaded build"),
    Module("callcost_rust", "PyO3", "callcost_rust/src/lib.rs", NOT_USED, "add keeps no state"),
    Module("counters_rust", "PyO3", "counters_rust/src/lib.rs", NOT_USED,
           "each call counts into tables of its own, already with the GIL released"),
    Module("diffusion_rust", "PyO3", "diffusion_rust/src/lib.rs", NOT_USED,
           "rust-numpy's borrow checks refuse an array another call is writing"),
]

# How each binding tool writes the slot, as it appears in the source.
_C_SLOT = re.compile(r"\{\s*Py_mod_gil\s*,\s*Py_MOD_GIL_(NOT_USED|USED)\s*\}")


def declared_value(module):
    """The value module.declared_in gives, read from the file: NOT_USED or USED
    (BY_CFFI for a cffi build script, which declares nothing itself)."""
    text = (EXTENSIONS / module.declared_in).read_text()
    if module.binding == "C API":
        return NOT_USED if _one_slot_value(module, _C_SLOT, "Py_mod_gil") == "NOT_USED" else USED
    marker = {
        "Cython": r"""["']freethreading_compatible["']\s*:\s*True""",
        "pybind11": r"PYBIND11_MODULE\([^)]*py::mod_gil_not_used\(\)",
        "nanobind": r"nanobind_add_module\([^)]*\bFREE_THREADED\b",
        "PyO3": r"#\[pyo3::pymodule\(gil_used = false\)\]",
    }.get(module.binding)
    if marker is None:
        return BY_CFFI
    return NOT_USED if re.search(marker, text) else USED


_C_INTERPRETERS = re.compile(r"\{\s*Py_mod_multiple_interpreters\s*,\s*Py_MOD_([A-Z_]+)\s*\}")


def declared_interpreters(module):
    """A C API module's Py_mod_multiple_interpreters value (3.12+), as its source
    writes it: PER_INTERPRETER_GIL_SUPPORTED, MULTIPLE_INTERPRETERS_SUPPORTED or
    MULTIPLE_INTERPRETERS_NOT_SUPPORTED. None where the module declares none: the
    other bindings, and a build against the 3.10 stable ABI, which cannot name the
    slot (3.12+ then gives it the default: a shared GIL only)."""
    if module.binding != "C API" or module.stable_abi:
        return None
    return _one_slot_value(module, _C_INTERPRETERS, "Py_mod_multiple_interpreters")


def _one_slot_value(module, pattern, slot):
    """The value a C source gives SLOT: one, however many slot tables name it
    (first.c's two builds do)."""
    values = set(pattern.findall((EXTENSIONS / module.declared_in).read_text()))
    if len(values) != 1:
        raise ValueError(f"{module.declared_in}: expected one {slot} value, found {sorted(values)}")
    return values.pop()
