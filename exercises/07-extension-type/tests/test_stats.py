"""Exercise 07-extension-type: RunningStats as a cdef class."""
import random
import statistics

import pytest

from stats import RunningStats


def test_against_the_statistics_module():
    rng = random.Random(3)
    values = [rng.uniform(-1e3, 1e3) for _ in range(10_000)]
    stats = RunningStats(values)
    assert len(stats) == stats.count == len(values)
    assert stats.mean == pytest.approx(statistics.fmean(values), rel=1e-12)
    assert stats.variance == pytest.approx(statistics.variance(values), rel=1e-12)


def test_adding_one_at_a_time():
    stats = RunningStats()
    for value in (2, 4, 4, 4, 5, 5, 7, 9):
        stats.add(value)
    assert (stats.count, stats.mean, stats.variance) == (8, 5.0, 32 / 7)
    assert repr(stats) == "RunningStats(count=8)"


def test_too_few_values():
    with pytest.raises(ValueError, match="the mean of no values"):
        RunningStats().mean
    with pytest.raises(ValueError, match="the sample variance needs at least two values"):
        RunningStats([1.0]).variance


def test_add_takes_a_number():
    stats = RunningStats()
    with pytest.raises(TypeError):
        stats.add("x")
    assert stats.count == 0


def test_count_is_read_only():
    stats = RunningStats([1.0, 2.0])
    with pytest.raises(AttributeError):
        stats.count = 5
    assert stats.count == 2


def test_the_c_fields_are_hidden():
    stats = RunningStats([1.0, 2.0])
    with pytest.raises(AttributeError):
        stats._mean
    with pytest.raises(AttributeError):
        stats._m2


def test_an_instance_has_no_dict():
    stats = RunningStats()
    assert not hasattr(stats, "__dict__")
    with pytest.raises(AttributeError):
        stats.anything_else = 1
