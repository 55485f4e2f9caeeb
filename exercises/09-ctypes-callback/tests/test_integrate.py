"""Exercise 09-ctypes-callback: integrate() against a Python midpoint rule."""
import math

import pytest

from integrate import integrate


def python_midpoint(f, a, b, n):
    h = (b - a) / n
    return math.fsum(f(a + (i + 0.5) * h) for i in range(n)) * h


@pytest.mark.parametrize("f, a, b, n", [
    (math.sin, 0, math.pi, 1000),
    (lambda x: x * x, 0, 3, 10),
    (math.exp, -1, 1, 7),
    (lambda x: 1.0, 2, 5, 1),
])
def test_equals_a_python_midpoint_rule(f, a, b, n):
    assert integrate(f, a, b, n) == pytest.approx(python_midpoint(f, a, b, n), rel=1e-12)


def test_sine_over_half_a_turn():
    assert integrate(math.sin, 0, math.pi) == pytest.approx(2.0, abs=1e-6)


def test_the_function_is_called_n_times_at_the_midpoints():
    seen = []
    integrate(lambda x: seen.append(x) or 0.0, 0.0, 1.0, 4)
    assert seen == [0.125, 0.375, 0.625, 0.875]


class Stop(Exception):
    pass


def test_an_exception_from_f_comes_out_unchanged():
    calls = []
    raised = Stop("at the third call")

    def f(x):
        calls.append(x)
        if len(calls) == 3:
            raise raised
        return x

    with pytest.raises(Stop) as info:
        integrate(f, 0, 1, 100)
    assert info.value is raised
    assert len(calls) == 3, "f was called again after it raised"


def test_a_result_that_is_not_a_number():
    with pytest.raises(TypeError):
        integrate(lambda x: None, 0, 1, 10)        # float(None): TypeError


@pytest.mark.parametrize("n", [0, -1])
def test_n_below_1(n):
    with pytest.raises(ValueError) as info:
        integrate(math.sin, 0, 1, n)
    assert str(info.value) == f"n must be at least 1, not {n}"
