"""Run by tests/test_stable_abi.py under each CPython it finds, with no packages:
python stable_abi_check.py FOLDER, where FOLDER holds first_abi3.abi3.so and
callcost_abi3.abi3.so built once, by the course's Python. Prints the version it
ran under; any failed check raises."""
import inspect
import pathlib
import sys

folder = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(folder))

import callcost_abi3  # noqa: E402
import first_abi3  # noqa: E402

for module in (first_abi3, callcost_abi3):
    assert pathlib.Path(module.__file__) == folder / f"{module.__name__}.abi3.so", module.__file__


def python_collatz_steps(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def raises(error, message, function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except error as caught:
        assert str(caught) == message, (str(caught), message)
    else:
        raise AssertionError(f"{function.__name__}{args} did not raise {error.__name__}")


collatz = first_abi3.collatz_steps
assert [collatz(n) for n in range(1, 3_001)] == [python_collatz_steps(n) for n in range(1, 3_001)]
assert (collatz(27), collatz(837799), collatz(n=27, max_steps=111)) == (111, 524, 111)
assert first_abi3.DEFAULT_MAX_STEPS == 100_000
assert str(inspect.signature(collatz)) == "(n, max_steps=100000)"
raises(ValueError, "n must be at least 1, not 0", collatz, 0)
raises(ValueError, "27 needs more than max_steps=110 steps", collatz, 27, 110)
raises(OverflowError, "the sequence of 9223372036854775807 leaves the 64-bit range", collatz, 2**63 - 1)
raises(TypeError, "'str' object cannot be interpreted as an integer", collatz, "27")

long_max = 2**63 - 1
for add in (callcost_abi3.add_fastcall, callcost_abi3.add_varargs):
    assert add(40, 2) == 42 and add(-5, 3) == -2
    assert add(long_max, 1) == -long_max - 1          # the C sum wraps, in unsigned long
    for bad in (("1", 2), (2**64, 1), (1, 2, 3)):
        try:
            add(*bad)
        except (TypeError, OverflowError):
            pass
        else:
            raise AssertionError(f"{add.__name__}{bad} did not raise")

print("passed under", sys.version.split()[0], sys.implementation.cache_tag)
