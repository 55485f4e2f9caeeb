"""Every binding of add gives a + b, and refuses what is not an int."""
import ctypes

import pytest

import callcost
import callcost_rust
from callcost_variants import STABLE_ABI, VARIANTS

if STABLE_ABI:
    import callcost_abi3

# The Rust row is not in VARIANTS (lesson 09's stored outputs list that dict):
# lesson 10 and the benchmark add it, and every test here runs on it too.
VARIANTS = {**VARIANTS, "PyO3": callcost_rust.add}


@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("a, b", [(1, 2), (-5, 3), (0, 0), (2**31 - 1, 0), (-(2**31), 0)])
def test_adds(name, a, b):
    assert VARIANTS[name](a, b) == a + b


@pytest.mark.parametrize("name", [n for n in VARIANTS if n not in ("pure Python", "ctypes without argtypes")])
def test_large_values_in_a_c_long(name):
    assert VARIANTS[name](2**62, 2**61) == 2**62 + 2**61


@pytest.mark.parametrize("name", [n for n in VARIANTS if n not in ("pure Python", "ctypes without argtypes")])
def test_the_c_sum_wraps_around(name):
    """Every C add does its sum in unsigned long: a defined wrap-around, not
    signed overflow (undefined behaviour), and the same in every binding."""
    bits = 8 * ctypes.sizeof(ctypes.c_long)
    long_max, long_min = 2**(bits - 1) - 1, -2**(bits - 1)
    assert VARIANTS[name](long_max, 1) == long_min
    assert VARIANTS[name](long_min, -1) == long_max


def test_untyped_ctypes_truncates_silently():
    """Why argtypes and restype matter: without them ctypes passes and returns C ints."""
    assert VARIANTS["ctypes without argtypes"](2**31 - 1, 1) == -(2**31)


@pytest.mark.parametrize("name", [n for n in VARIANTS if n not in ("pure Python", "ctypes without argtypes")])
def test_rejects_a_string(name):
    with pytest.raises((TypeError, ctypes.ArgumentError)):
        VARIANTS[name]("1", 2)


@pytest.mark.parametrize("fn", [callcost.add_varargs, callcost.add_fastcall,
                                *([callcost_abi3.add_varargs, callcost_abi3.add_fastcall] if STABLE_ABI else [])])
def test_c_api_errors(fn):
    with pytest.raises(TypeError, match=r"takes (exactly )?2 arguments \(3 given\)|function takes exactly 2 arguments"):
        fn(1, 2, 3)
    with pytest.raises(OverflowError):
        fn(2**64, 1)
