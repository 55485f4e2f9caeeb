"""Exercise 03-value-type: Interval behaves as a value (equal, hashable,
immutable), checked against tuples, Python's own values."""
import math
import sys
import tracemalloc

import pytest

import interval
from interval import Interval


def test_bounds_are_floats():
    span = Interval(1, 2.5)
    assert (span.lo, span.hi) == (1.0, 2.5) and type(span.lo) is float
    assert (Interval(hi=3, lo=-1).lo, Interval(hi=3, lo=-1).hi) == (-1.0, 3.0)
    assert Interval(2, 2).lo == 2.0                    # a single point is an interval


@pytest.mark.parametrize("lo, hi, shown", [(2, 1, "2.0, 1.0"), (math.nan, 1, "nan, 1.0"),
                                           (0, math.nan, "0.0, nan")])
def test_lo_above_hi_or_a_nan(lo, hi, shown):
    with pytest.raises(ValueError, match=rf"^an interval needs lo <= hi and no NaN, not {shown}$"):
        Interval(lo, hi)


def test_arguments_that_are_not_numbers():
    with pytest.raises(TypeError):
        Interval("1", 2)
    with pytest.raises(TypeError):
        Interval(1)


def test_repr():
    assert repr(Interval(1, 2.5)) == "Interval(1.0, 2.5)"
    assert repr(Interval(-0.1, 1e300)) == "Interval(-0.1, 1e+300)"


def test_equal_and_not_equal():
    assert Interval(1, 2) == Interval(1.0, 2.0)
    assert not Interval(1, 2) != Interval(1, 2)
    assert Interval(1, 2) != Interval(1, 3) and Interval(1, 2) != Interval(0, 2)
    assert Interval(1, 2) != (1.0, 2.0) and not Interval(1, 2) == (1.0, 2.0)   # NotImplemented, then identity


def test_no_order():
    with pytest.raises(TypeError):
        Interval(1, 2) < Interval(3, 4)


def test_hash_is_the_tuples():
    for lo, hi in [(1, 2), (-0.5, 7.25), (0, 0), (-1e300, 1e300)]:
        assert hash(Interval(lo, hi)) == hash((float(lo), float(hi)))


def test_as_dict_keys_and_in_sets():
    shifts = {Interval(8, 12): "morning", Interval(13, 17): "afternoon"}
    assert shifts[Interval(8.0, 12.0)] == "morning"
    assert len({Interval(1, 2), Interval(1.0, 2.0), Interval(1, 3)}) == 2


def test_contains():
    span = Interval(1, 2)
    assert 1 in span and 1.5 in span and 2 in span
    assert 0.999 not in span and 2.0001 not in span and math.nan not in span
    assert True in span                  # float(True) == 1.0
    with pytest.raises(TypeError):
        "1.5" in span


def test_immutable():
    span = Interval(1, 2)
    with pytest.raises(AttributeError):
        span.lo = 0
    with pytest.raises(AttributeError):
        span.extra = 1
    with pytest.raises(TypeError):
        Interval.lo = 3


def test_no_references_kept():
    span, before = Interval(1, 2), sys.getrefcount(Interval)
    for _ in range(1000):
        repr(span), hash(span), span == Interval(1, 2), 1.5 in span
        with pytest.raises(ValueError):
            Interval(2, 1)
    assert sys.getrefcount(Interval) == before, "an Interval was never freed (each one holds a reference to its type)"
    assert sys.getrefcount(span) == 2


def test_repeated_calls_keep_no_memory():
    span = Interval(1, 2)

    def calls():
        for _ in range(5_000):
            repr(span), hash(span), 1.5 in span, span == Interval(1, 2)
            try:
                Interval(2, 1)
            except ValueError:
                pass

    calls()                     # what a first call allocates once is no leak
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        calls()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 32 * 1024, (f"memory grew by {grown:,} bytes over 5,000 rounds of calls: a float or "
                               "tuple made for repr, hash or an error message is not released")


def test_the_module():
    assert interval.Interval.__module__ == "interval" and interval.Interval.__name__ == "Interval"
