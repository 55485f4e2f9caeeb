"""Every rung of the Julia-set ladder computes the same counts as the pure-Python version."""
import os

import numpy as np
import pytest

import julia_abs
import julia_c
import julia_cdef
import julia_compiled
import julia_memview
import julia_numpy
import julia_prange
import julia_annotated
import julia_python

# numba: where it has a wheel for this Python. Not under make memcheck: its
# machine code is LLVM's, compiled at run time, not ours to check with ASan.
try:
    import julia_numba
except ImportError:
    julia_numba = None
if os.environ.get("PYEXT_MEMCHECK"):
    julia_numba = None

LIST_RUNGS = {"compiled": julia_compiled.calculate_z, "cdef": julia_cdef.calculate_z,
              "abs": julia_abs.calculate_z, "annotated": julia_annotated.calculate_z}
ARRAY_RUNGS = {"memview": julia_memview.calculate_z, "prange": julia_prange.calculate_z,
               "C scalar": julia_c.calculate_z_scalar, "C SIMD": julia_c.calculate_z_simd,
               "C SIMD threads": julia_c.calculate_z_simd_threads, "NumPy": julia_numpy.calculate_z}
if julia_numba is not None:
    ARRAY_RUNGS |= {"numba": julia_numba.calculate_z, "numba prange": julia_numba.calculate_z_prange}
# The rungs whose argument checks are Cython's (typed memoryviews, check_arguments)
CYTHON_ARRAY_RUNGS = [name for name in ARRAY_RUNGS if name not in ("NumPy", "numba", "numba prange")]


@pytest.fixture(scope="module")
def small():
    zs, cs = julia_python.grid(width=101)         # odd: the SIMD kernel's 0..7 leftover points run too
    return zs, cs, julia_python.calculate_z(300, zs, cs)


@pytest.fixture(scope="module")
def full():
    zs, cs = julia_python.grid()
    return np.array(zs), np.array(cs)


def test_pure_python_grid():
    zs, cs = julia_python.grid(width=4)
    assert len(zs) == len(cs) == 16
    assert zs[0] == complex(-1.8, 1.8) and cs[0] == complex(-0.62772, -0.42193)


@pytest.mark.parametrize("name", LIST_RUNGS)
def test_list_rungs_match_pure_python(small, name):
    zs, cs, expected = small
    assert LIST_RUNGS[name](300, zs, cs) == expected


@pytest.mark.parametrize("name", ARRAY_RUNGS)
def test_array_rungs_match_pure_python(small, name):
    zs, cs, expected = small
    out = ARRAY_RUNGS[name](300, np.array(zs), np.array(cs))
    assert out.dtype == np.intc
    assert out.tolist() == expected


def test_pure_python_mode_is_compiled():
    assert julia_annotated.__file__.endswith(".so")


@pytest.mark.parametrize("name", list(LIST_RUNGS)[1:])
def test_validation_sum_of_list_rungs(name):
    zs, cs = julia_python.grid()
    assert sum(LIST_RUNGS[name](julia_python.MAXITER, zs, cs)) == julia_python.VALIDATION_SUM


@pytest.mark.parametrize("name", ARRAY_RUNGS)
def test_validation_sum_of_array_rungs(full, name):
    assert int(ARRAY_RUNGS[name](julia_python.MAXITER, *full).sum()) == julia_python.VALIDATION_SUM


@pytest.mark.parametrize("schedule", ["static", "dynamic", "guided"])
def test_prange_output_does_not_depend_on_threads(full, schedule):
    one = julia_prange.calculate_z(300, *full, num_threads=1, schedule=schedule)
    two = julia_prange.calculate_z(300, *full, num_threads=2, schedule=schedule)
    assert np.array_equal(one, two)
    assert np.array_equal(one, julia_c.calculate_z_scalar(300, *full))


@pytest.mark.parametrize("threads", [1, 2, 3, 0])
def test_simd_threads_output_does_not_depend_on_threads(full, threads):
    """The million points make hundreds of tasks of 4096 points, the last one short."""
    out = julia_c.calculate_z_simd_threads(300, *full, num_threads=threads)
    assert np.array_equal(out, julia_c.calculate_z_simd(300, *full))


@pytest.mark.parametrize("n", [1, 7, 4095, 4096, 4097, 3 * 4096 + 9])
def test_simd_threads_at_task_boundaries(n):
    zs, cs = julia_python.grid(width=100)
    zs, cs = np.array((zs * (n // len(zs) + 1))[:n]), np.array((cs * (n // len(cs) + 1))[:n])
    assert julia_c.calculate_z_simd_threads(300, zs, cs, num_threads=2).tolist() == \
        julia_python.calculate_z(300, zs.tolist(), cs.tolist())


def test_empty_input_and_zero_iterations():
    empty = np.array([], dtype=complex)
    for fn in ARRAY_RUNGS.values():
        assert fn(300, empty, empty).tolist() == []
        assert fn(0, np.array([0j]), np.array([0j])).tolist() == [0]


@pytest.mark.parametrize("name", ARRAY_RUNGS)
def test_every_array_rung_checks_maxiter_and_lengths(name):
    fn = ARRAY_RUNGS[name]
    z = np.zeros(4, dtype=complex)
    with pytest.raises(ValueError, match="maxiter must be >= 0, not -1"):
        fn(-1, z, z)
    with pytest.raises(ValueError, match="zs and cs must have the same length, not 4 and 3"):
        fn(300, z, z[:3])


@pytest.mark.parametrize("name", CYTHON_ARRAY_RUNGS)
def test_cython_rungs_refuse_what_their_memoryviews_cannot_take(name):
    fn = ARRAY_RUNGS[name]
    z = np.zeros(4, dtype=complex)
    with pytest.raises(ValueError, match="Buffer dtype mismatch"):
        fn(300, np.zeros(4), z)
    with pytest.raises(ValueError, match="ndarray is not C-contiguous"):
        fn(300, np.zeros(8, dtype=complex)[::2], z)
    with pytest.raises(TypeError):
        fn("300", z, z)
    with pytest.raises(TypeError):
        fn(300, [0j] * 4, z)


@pytest.mark.skipif(julia_numba is None, reason="numba is not installed for this Python (or make memcheck)")
@pytest.mark.parametrize("name", ["numba", "numba prange"])
def test_numba_rungs_check_their_arguments_before_compiling(name):
    """numba would compile a new version of the loop for any other argument types
    (or fail to, with a long typing error): the wrapper refuses them first."""
    fn = ARRAY_RUNGS[name]
    z = np.zeros(4, dtype=complex)
    with pytest.raises(TypeError, match="zs and cs must be one-dimensional complex128 arrays, not 1-D float64 and 1-D complex128"):
        fn(300, np.zeros(4), z)
    with pytest.raises(TypeError, match="not 2-D complex128 and 1-D complex128"):
        fn(300, np.zeros((2, 2), dtype=complex), z)
    # A strided view is no error for numba (it compiles for any layout): same counts.
    zs = np.array(julia_python.grid(width=20)[0])
    assert fn(300, zs[::2], zs[::2]).tolist() == julia_python.calculate_z(300, list(zs[::2]), list(zs[::2]))


@pytest.mark.skipif(julia_numba is None, reason="numba is not installed for this Python (or make memcheck)")
def test_numba_prange_output_does_not_depend_on_threads(full):
    import numba
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = julia_numba.calculate_z_prange(300, *full)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, julia_numba.calculate_z_prange(300, *full))
    assert np.array_equal(one, julia_c.calculate_z_scalar(300, *full))


def test_bad_prange_options(full):
    z = np.zeros(4, dtype=complex)
    with pytest.raises(ValueError, match="num_threads must be >= 0, not -2"):
        julia_prange.calculate_z(300, z, z, num_threads=-2)
    with pytest.raises(ValueError, match="num_threads must be >= 0, not -2"):
        julia_c.calculate_z_simd_threads(300, z, z, num_threads=-2)
    with pytest.raises(ValueError, match="schedule must be 'static', 'dynamic' or 'guided', not 'fast'"):
        julia_prange.calculate_z(300, z, z, schedule="fast")


def test_repeated_calls_do_not_grow_memory(memory_growth):
    z = np.array(julia_python.grid(width=20)[0])

    def calls(n):
        for _ in range(n):
            for fn in ARRAY_RUNGS.values():
                fn(50, z, z)
            try:
                julia_memview.calculate_z(-1, z, z)
            except ValueError:
                pass

    grown = memory_growth(lambda: calls(500), warm_up=lambda: calls(20)).traced
    assert grown < 10_000, f"{grown} bytes more after 500 rounds of calls"
