"""Tests of collatz_steps, in both builds of first.c, against a Python implementation."""
import inspect
import sysconfig

import pytest

import first
from first_reference import python_collatz_steps

# first.c built twice (setup.py): against the full C API of this Python, and
# against the stable ABI of CPython 3.10 (tests/test_stable_abi.py runs this
# build under every other CPython found), but for a free-threaded Python, which
# has no stable ABI.
MODULES = [first]
if not sysconfig.get_config_var("Py_GIL_DISABLED"):
    import first_abi3
    MODULES.append(first_abi3)


@pytest.fixture(params=MODULES, ids=lambda module: module.__name__)
def module(request):
    return request.param


def test_matches_python(module):
    assert [module.collatz_steps(n) for n in range(1, 5_001)] == \
        [python_collatz_steps(n) for n in range(1, 5_001)]


def test_known_values(module):
    # 27 takes 111 steps; 837799 has the longest sequence below a million (524 steps).
    assert (module.collatz_steps(1), module.collatz_steps(27), module.collatz_steps(837799)) == (0, 111, 524)


def test_max_steps_zero_allows_only_one(module):
    # 1 needs no step; any other n needs at least one, which max_steps=0 forbids.
    assert module.collatz_steps(1, max_steps=0) == 0
    with pytest.raises(ValueError, match="2 needs more than max_steps=0 steps"):
        module.collatz_steps(2, max_steps=0)


def test_keywords_and_constant(module):
    assert module.DEFAULT_MAX_STEPS == 100_000
    assert module.collatz_steps(n=27, max_steps=111) == 111
    assert str(inspect.signature(module.collatz_steps)) == "(n, max_steps=100000)"  # inspect resolves the constant


@pytest.mark.parametrize("args, error, message", [
    ((0,), ValueError, "n must be at least 1, not 0"),
    ((-5,), ValueError, "n must be at least 1, not -5"),
    ((27, 110), ValueError, "27 needs more than max_steps=110 steps"),
    ((27, -1), ValueError, "max_steps must be at least 0, not -1"),
    ((1, -1), ValueError, "max_steps must be at least 0, not -1"),
    ((2 ** 63 - 1,), OverflowError, "the sequence of 9223372036854775807 leaves the 64-bit range"),
    ((2 ** 63,), OverflowError, "Python int too large to convert to C ssize_t"),
    (("27",), TypeError, "'str' object cannot be interpreted as an integer"),
    ((2.5,), TypeError, "'float' object cannot be interpreted as an integer"),
    ((), TypeError, "collatz_steps() missing required argument 'n' (pos 1)"),
])
def test_bad_input(module, args, error, message):
    with pytest.raises(error) as info:
        module.collatz_steps(*args)
    assert str(info.value) == message


def test_repeated_calls_do_not_grow_memory(module, memory_growth):
    """A reference leak raises nothing: memory grows with every call. Results
    above 256 are new int objects, and every error builds an exception."""
    def calls(n):
        for _ in range(n):
            for number in (27, 837799, 2 ** 40 + 1):
                module.collatz_steps(number)
            for args in ((0,), (27, 10), (2 ** 63 - 1,), ("27",)):
                try:    # not pytest.raises: it keeps each traceback alive
                    module.collatz_steps(*args)
                except (ValueError, OverflowError, TypeError):
                    pass
                else:
                    raise AssertionError(f"collatz_steps{args} must fail")

    grown = memory_growth(lambda: calls(2_000), warm_up=lambda: calls(20)).traced
    assert grown < 8_000, f"{grown} bytes more after 2000 rounds of calls"
