"""Exercise 09-careless-wrapper: vectors.py against NumPy."""
import ctypes
import math

import numpy as np
import pytest

import vectors

RNG = np.random.default_rng(7)


def test_mean():
    values = RNG.normal(size=100_001)
    assert vectors.mean(values) == pytest.approx(math.fsum(values) / len(values), rel=1e-12)
    assert math.isnan(vectors.mean(np.array([], dtype=np.float64)))


def test_sum_uses_64_bits():
    values = np.array([2**40, 2**41, -3, 2**62 - 2**41 - 2**40], dtype=np.int64)
    assert vectors.sum_i64(values) == sum(int(v) for v in values)


def test_scale_in_place():
    values = np.arange(10.0)
    assert vectors.scale(values, 2.5) is None
    assert np.array_equal(values, np.arange(10.0) * 2.5)


def test_argmax():
    values = RNG.normal(size=1001)
    assert vectors.argmax(values) == int(np.argmax(values))
    assert vectors.argmax(np.array([1.0, 3.0, 3.0])) == 1
    with pytest.raises(ValueError, match="argmax of an empty array"):
        vectors.argmax(np.array([], dtype=np.float64))


@pytest.mark.parametrize("function, bad", [
    (vectors.mean, np.arange(5, dtype=np.float32)),
    (vectors.mean, np.arange(10.0)[::2]),
    (vectors.sum_i64, np.arange(5, dtype=np.int32)),
    (vectors.argmax, np.arange(6.0).reshape(2, 3)),
], ids=["float32", "strided", "int32", "2-D"])
def test_wrong_arrays_are_refused(function, bad):
    with pytest.raises(ctypes.ArgumentError):
        function(bad)


def test_a_read_only_array_is_not_scaled():
    values = np.arange(4.0)
    values.flags.writeable = False
    with pytest.raises(ctypes.ArgumentError):
        vectors.scale(values, 2.0)
    assert np.array_equal(values, np.arange(4.0))


def test_the_types_are_declared():
    for name, restype in [("vec_mean", ctypes.c_double), ("vec_sum_i64", ctypes.c_int64),
                          ("vec_scale", None), ("vec_argmax", ctypes.c_size_t)]:
        function = getattr(vectors.lib, name)
        assert function.restype is restype, name
        assert function.argtypes is not None and len(function.argtypes) == (3 if name == "vec_scale" else 2), name
