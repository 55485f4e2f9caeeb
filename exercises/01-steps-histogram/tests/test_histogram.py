"""Exercise 01-steps-histogram: histogram(limit) against a plain-Python loop."""
import tracemalloc

import pytest

import collatz_histogram


def python_histogram(limit):
    counts = {}
    for n in range(1, limit):
        value, steps = n, 0
        while value != 1:
            value = value // 2 if value % 2 == 0 else 3 * value + 1
            steps += 1
        counts[steps] = counts.get(steps, 0) + 1
    return counts


def test_ten():
    assert collatz_histogram.histogram(10) == {0: 1, 1: 1, 7: 1, 2: 1, 5: 1, 8: 1, 16: 1, 3: 1, 19: 1}


def test_one_is_empty():
    assert collatz_histogram.histogram(1) == {}


def test_every_limit_up_to_200():
    assert [collatz_histogram.histogram(limit) for limit in range(1, 201)] == \
        [python_histogram(limit) for limit in range(1, 201)]


def test_twenty_thousand():
    counts = collatz_histogram.histogram(20_000)
    assert counts == python_histogram(20_000)
    assert all(type(key) is int and type(value) is int for key, value in counts.items())


@pytest.mark.parametrize("limit", [0, -3])
def test_a_limit_below_1_is_a_value_error(limit):
    with pytest.raises(ValueError) as info:
        collatz_histogram.histogram(limit)
    assert str(info.value) == f"limit must be at least 1, not {limit}"


@pytest.mark.parametrize("limit", ["10", 2.5, None])
def test_a_limit_that_is_not_an_int_is_a_type_error(limit):
    with pytest.raises(TypeError):
        collatz_histogram.histogram(limit)


def test_repeated_calls_do_not_grow_memory():
    """A reference never released raises nothing: memory grows with every
    call. Below 20,000 most counts and some step counts are above 256, so each
    is a new int object (Python keeps one copy of each of -5..256)."""
    collatz_histogram.histogram(20_000)     # anything made once, made now
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            collatz_histogram.histogram(20_000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"memory grew by {grown:,} bytes over 300 calls: a reference is never released"
