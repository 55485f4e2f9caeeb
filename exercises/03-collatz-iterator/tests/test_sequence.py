"""Exercise 03-collatz-iterator: collatz_iter.Sequence against a Python generator."""
import sys
import tracemalloc

import pytest

from collatz_iter import Sequence


def python_sequence(n):
    yield n
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        yield n


def test_six():
    assert list(Sequence(6)) == [6, 3, 10, 5, 16, 8, 4, 2, 1]


def test_one():
    assert list(Sequence(1)) == [1]


def test_every_n_up_to_1000():
    for n in range(1, 1001):
        assert list(Sequence(n)) == list(python_sequence(n)), n


def test_n_as_a_keyword():
    assert list(Sequence(n=4)) == [4, 2, 1]


def test_an_iterator_like_pythons():
    sequence = Sequence(6)
    assert iter(sequence) is sequence
    assert next(sequence) == 6
    assert list(sequence) == [3, 10, 5, 16, 8, 4, 2, 1]
    for _ in range(3):
        with pytest.raises(StopIteration):
            next(sequence)


def test_independent_iterators():
    a, b = Sequence(6), Sequence(6)
    assert (next(a), next(a), next(b)) == (6, 3, 6)


def test_large_values_are_exact():
    n = 2 ** 61 + 1
    assert list(Sequence(n))[:20] == list(python_sequence(n))[:20]


def test_leaving_the_64_bit_range():
    sequence = Sequence(2 ** 63 - 1)
    assert next(sequence) == 2 ** 63 - 1
    with pytest.raises(OverflowError) as info:
        next(sequence)
    assert str(info.value) == f"the sequence of {2 ** 63 - 1} leaves the 64-bit range"
    with pytest.raises(StopIteration):
        next(sequence)


@pytest.mark.parametrize("n", [0, -7])
def test_n_below_1_is_a_value_error(n):
    with pytest.raises(ValueError) as info:
        Sequence(n)
    assert str(info.value) == f"n must be at least 1, not {n}"


@pytest.mark.parametrize("args", [("6",), (2.5,), (), (6, 7)])
def test_bad_arguments_are_type_errors(args):
    with pytest.raises(TypeError):
        Sequence(*args)


def test_the_type():
    assert Sequence.__module__ == "collatz_iter" and Sequence.__name__ == "Sequence"
    with pytest.raises(TypeError):
        class Longer(Sequence):
            pass
    with pytest.raises(TypeError):
        Sequence.extra = 1


def test_no_memory_and_no_type_reference_left_behind():
    list(Sequence(27))
    references = sys.getrefcount(Sequence)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(1, 20_001):
            for _ in Sequence(n):
                pass
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert sys.getrefcount(Sequence) == references, "each Sequence keeps a reference to its type"
    assert grown < 64 * 1024, f"memory grew by {grown:,} bytes over 20,000 sequences"
