"""Exercise 01-longest-below: longest_below(limit) against a plain-Python loop."""
import inspect

import pytest

import collatz_longest


def python_longest_below(limit):
    best_n, best_steps = 1, 0
    for n in range(2, limit):
        value, steps = n, 0
        while value != 1:
            value = value // 2 if value % 2 == 0 else 3 * value + 1
            steps += 1
        if steps > best_steps:
            best_n, best_steps = n, steps
    return best_n, best_steps


def test_a_million():
    assert collatz_longest.longest_below(1_000_000) == (837799, 524)


def test_every_limit_up_to_300():
    assert [collatz_longest.longest_below(limit) for limit in range(2, 301)] == \
        [python_longest_below(limit) for limit in range(2, 301)]


def test_ties_go_to_the_smallest_n():
    # 18 and 19 both take 20 steps, more than any smaller n: the answer names 18.
    assert python_longest_below(20) == (18, 20)
    assert collatz_longest.longest_below(20) == (18, 20)


@pytest.mark.parametrize("limit", [1, 0, -5])
def test_a_limit_below_2_is_a_value_error(limit):
    with pytest.raises(ValueError) as info:
        collatz_longest.longest_below(limit)
    assert str(info.value) == f"limit must be at least 2, not {limit}"


@pytest.mark.parametrize("limit", ["10", 2.5, None])
def test_a_limit_that_is_not_an_int_is_a_type_error(limit):
    with pytest.raises(TypeError):
        collatz_longest.longest_below(limit)


def test_a_limit_too_large_for_c_is_an_overflow_error():
    with pytest.raises(OverflowError):
        collatz_longest.longest_below(2 ** 64)


def test_one_positional_argument():
    with pytest.raises(TypeError):
        collatz_longest.longest_below()
    with pytest.raises(TypeError):
        collatz_longest.longest_below(10, 20)
    with pytest.raises(TypeError):
        collatz_longest.longest_below(limit=10)


def test_signature():
    assert str(inspect.signature(collatz_longest.longest_below)) == "(limit, /)"
