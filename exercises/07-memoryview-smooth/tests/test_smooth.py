"""Exercise 07-memoryview-smooth: smooth() against NumPy."""
import threading
import time

import numpy as np
import pytest

from smooth import smooth


def numpy_smooth(values):
    out = values.astype(np.float64, copy=True)
    out[1:-1] = (values[:-2] + values[1:-1] + values[2:]) / 3
    return out


def test_equals_numpy_bit_for_bit():
    values = np.random.default_rng(5).normal(size=10_001)
    result = smooth(values)
    assert type(result) is np.ndarray and result.dtype == np.float64 and result.shape == values.shape
    assert np.array_equal(result, numpy_smooth(values))


@pytest.mark.parametrize("values", [[], [2.0], [2.0, 4.0], [1.0, 2.0, 6.0]])
def test_short_arrays(values):
    values = np.array(values, dtype=np.float64)
    assert np.array_equal(smooth(values), numpy_smooth(values))


def test_the_input_is_not_changed():
    values = np.arange(10, dtype=np.float64) ** 2
    before = values.copy()
    smooth(values)
    assert np.array_equal(values, before)


def test_a_read_only_array():
    values = np.frombuffer(np.arange(6, dtype=np.float64).tobytes(), dtype=np.float64)
    assert not values.flags.writeable
    assert np.array_equal(smooth(values), numpy_smooth(values))


def test_a_strided_view():
    values = np.arange(20, dtype=np.float64) ** 1.5
    assert np.array_equal(smooth(values[::3]), numpy_smooth(values[::3]))


@pytest.mark.parametrize("bad", [np.arange(5), np.arange(6.0).reshape(2, 3), np.arange(5, dtype=np.float32)],
                         ids=["int64", "2-D", "float32"])
def test_arrays_of_another_kind_are_refused(bad):
    with pytest.raises(ValueError):
        smooth(bad)


def test_a_list_is_refused():
    with pytest.raises((TypeError, ValueError)):
        smooth([1.0, 2.0, 3.0])


def test_another_thread_runs_while_it_smooths():
    values = np.random.default_rng(1).normal(size=20_000_000)
    call = {}

    def work():
        start = time.perf_counter()
        call["result"] = smooth(values)
        call["seconds"] = time.perf_counter() - start

    worker = threading.Thread(target=work)
    last = time.perf_counter()
    longest_gap = 0.0
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        longest_gap = max(longest_gap, now - last)
        last = now
    worker.join()
    assert call["result"][5] == (values[4] + values[5] + values[6]) / 3
    assert call["seconds"] > 0.02, "the call is too short to tell"
    assert longest_gap < call["seconds"] / 3, \
        f"the other thread waited {longest_gap:.3f} s of a {call['seconds']:.3f} s call: the GIL was held"
