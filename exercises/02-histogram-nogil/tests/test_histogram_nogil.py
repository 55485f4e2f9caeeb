"""Exercise 02-histogram-nogil: the same results as a plain-Python loop, and
another thread keeps running while histogram counts."""
import threading
import time
import tracemalloc

import pytest

import collatz_nogil


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
    assert collatz_nogil.histogram(10) == {0: 1, 1: 1, 7: 1, 2: 1, 5: 1, 8: 1, 16: 1, 3: 1, 19: 1}


def test_every_limit_up_to_200_and_20000():
    for limit in [*range(1, 201), 20_000]:
        assert collatz_nogil.histogram(limit) == python_histogram(limit), limit


@pytest.mark.parametrize("limit", [0, -3])
def test_a_limit_below_1_is_a_value_error(limit):
    with pytest.raises(ValueError) as info:
        collatz_nogil.histogram(limit)
    assert str(info.value) == f"limit must be at least 1, not {limit}"


@pytest.mark.parametrize("limit", ["10", 2.5, None])
def test_a_limit_that_is_not_an_int_is_a_type_error(limit):
    with pytest.raises(TypeError):
        collatz_nogil.histogram(limit)


def test_another_thread_runs_while_it_counts():
    """The main thread spins a Python loop while a worker thread counts: with
    the GIL held for the whole call, the loop would stop for all of it."""
    call = {}

    def count():
        start = time.perf_counter()
        call["counts"] = collatz_nogil.histogram(3_000_000)
        call["seconds"] = time.perf_counter() - start

    worker = threading.Thread(target=count)
    last = time.perf_counter()
    longest_gap = 0.0
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        longest_gap = max(longest_gap, now - last)
        last = now
    worker.join()
    assert sum(call["counts"].values()) == 2_999_999
    assert call["seconds"] > 0.05, "the call is too short to tell"
    assert longest_gap < call["seconds"] / 3, \
        f"the other thread waited {longest_gap:.3f} s of a {call['seconds']:.3f} s call: the GIL was held"


def test_repeated_calls_do_not_grow_memory():
    collatz_nogil.histogram(20_000)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            collatz_nogil.histogram(20_000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"memory grew by {grown:,} bytes over 300 calls: a reference is never released"
