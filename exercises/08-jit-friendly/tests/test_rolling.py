"""Exercise 08-jit-friendly: rolling_mean under CPython, and the same checks plus
PyPy's list strategy under PyPy, in a child process."""
import ast
import inspect
import json
import math
import os
import pathlib
import random
import subprocess

import pytest

import rolling

HERE = pathlib.Path(__file__).resolve().parent
# The course's PyPy venv (make setup), in the repository this copy was built under.
PYPY = next((folder / ".venv-pypy/bin/pypy3" for folder in HERE.parents
             if (folder / ".venv-pypy/bin/pypy3").is_file()), None)
nan = math.nan


def by_definition(values, width):
    """The statement's definition, written independently: a running total from 0.0, left to right
    (not sum(), which adds floats with extra precision since Python 3.12)."""
    means = []
    for i in range(len(values)):
        readings = [v for v in values[max(0, i - width + 1):i + 1] if not math.isnan(v)]
        total = 0.0
        for reading in readings:
            total += reading
        means.append(total / len(readings) if readings else nan)
    return means


def same(a, b):
    """Equal element by element, NaN equal to NaN, and floats only."""
    return len(a) == len(b) and all(type(x) is float and (x == y or (math.isnan(x) and math.isnan(y)))
                                    for x, y in zip(a, b))


def test_a_short_series():
    assert rolling.rolling_mean([1.0, 2.0, nan, 4.0], 2) == [1.0, 1.5, 2.0, 4.0]
    assert rolling.rolling_mean([1.0, 2.0, 6.0], 1) == [1.0, 2.0, 6.0]
    assert rolling.rolling_mean([], 3) == []


def test_a_window_without_a_reading_is_nan():
    means = rolling.rolling_mean([nan, nan, 3.0, nan, nan, nan], 2)
    assert same(means, [nan, nan, 3.0, 3.0, nan, nan]), means


def test_a_window_wider_than_the_series():
    assert rolling.rolling_mean([2.0, 4.0, 9.0], 100) == [2.0, 3.0, 5.0]


def test_exactly_the_definition_on_random_series():
    generator = random.Random(8)
    for width in (1, 3, 7, 50):
        values = [nan if generator.random() < 0.1 else generator.uniform(-1e3, 1e3) for _ in range(500)]
        assert same(rolling.rolling_mean(values, width), by_definition(values, width)), width


def test_no_list_made_per_position():
    """The statement's third rule, read from the function's own code."""
    tree = ast.parse(inspect.getsource(rolling.rolling_mean))
    made = sorted({type(node).__name__ for node in ast.walk(tree)
                   if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.Slice))})
    sums = [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "sum"]
    assert not made and not sums, (f"rolling_mean still makes a list per position ({', '.join(made + ['sum()'] * bool(sums))}): "
                                   "loop over the window's indices with a running total instead")


@pytest.mark.parametrize("width", [0, -3])
def test_a_width_below_1(width):
    with pytest.raises(ValueError, match=f"^width must be at least 1, not {width}$"):
        rolling.rolling_mean([1.0], width)


CHILD = """
import json, math, random, __pypy__, rolling
generator = random.Random(8)
values = [math.nan if generator.random() < 0.1 else generator.uniform(-1e3, 1e3) for _ in range(500)]
values[100:110] = [math.nan] * 10          # a sensor down for longer than a window
means = rolling.rolling_mean(values, 7)
print(json.dumps({"strategy": __pypy__.strategy(means), "values": values, "means": [repr(m) for m in means],
                  "short": rolling.rolling_mean([1.0, 2.0, math.nan, 4.0], 2)}))
"""


@pytest.mark.time_limit(60)
@pytest.mark.skipif(PYPY is None, reason="no PyPy venv (.venv-pypy): make setup found no pypy3")
def test_under_pypy_the_same_means_in_a_list_of_unboxed_floats():
    folder = pathlib.Path(rolling.__file__).parent
    run = subprocess.run([str(PYPY), "-c", CHILD], cwd=folder, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(folder)}, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout)
    assert seen["strategy"] == "FloatListStrategy", \
        f"PyPy stores the result as {seen['strategy']}: only a list of nothing but floats is stored unboxed"
    assert seen["short"] == [1.0, 1.5, 2.0, 4.0]
    expected = by_definition(seen["values"], 7)     # the same readings, computed here under CPython
    assert same([float(m) for m in seen["means"]], expected)
