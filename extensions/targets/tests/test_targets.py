"""targets_negative: exact results against sets and NumPy, every error, the GIL, memory."""
import os
import sysconfig

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import targets
import targets_gil
import targets_reference as ref


def negative(tmp_path, all_keys, in_keys, has_header=True, key64=False, module=targets):
    """Run targets_negative on two fresh files; return (count, output keys)."""
    all_path = ref.write_keys(tmp_path / "all", all_keys, has_header, key64)
    in_path = ref.write_keys(tmp_path / "in", in_keys, has_header, key64)
    out_path = tmp_path / "out"
    count = module.targets_negative(all_path, in_path, out_path,
                                    has_header=has_header, key64=key64)
    return count, ref.read_keys(out_path, has_header, key64)


# ---- results ----

@pytest.mark.parametrize("module", [targets, targets_gil])
@pytest.mark.parametrize("has_header", [True, False])
@pytest.mark.parametrize("key64", [False, True])
def test_matches_numpy_and_sets(tmp_path, module, has_header, key64):
    all_keys = ref.make_keys(50_000, seed=1, key64=key64)
    in_keys = ref.make_keys(30_000, seed=2, key64=key64)
    count, got = negative(tmp_path, all_keys, in_keys, has_header, key64, module)
    expected = ref.numpy_negative(all_keys, in_keys)
    assert count == len(expected) == len(got)
    np.testing.assert_array_equal(got, expected)
    assert got.tolist() == ref.python_negative(all_keys.tolist(), in_keys.tolist())
    # The sets agree with np.setdiff1d too (which sorts and drops repeats).
    np.testing.assert_array_equal(np.unique(got), np.setdiff1d(all_keys, in_keys))


@pytest.mark.parametrize("key64", [False, True])
def test_small_case_written_out(tmp_path, key64):
    top = 2**64 - 1 if key64 else 2**32 - 1
    # Order kept, repeats kept, 0 and the largest key (the hash set's "empty" value) work.
    count, got = negative(tmp_path, [5, 0, top, 7, 5, 9, top, 3], [9, top, 4], key64=key64)
    assert count == 5
    assert got.tolist() == [5, 0, 7, 5, 3]


def test_file_layout(tmp_path):
    count, _ = negative(tmp_path, [1, 2, 3], [2])
    assert count == 2
    assert (tmp_path / "out").read_bytes() == (
        b"TGTS" + (4).to_bytes(4, "little") + (2).to_bytes(8, "little")
        + (1).to_bytes(4, "little") + (3).to_bytes(4, "little"))
    assert targets.HEADER_SIZE == 16 and targets.HEADER_MAGIC == b"TGTS"


@pytest.mark.parametrize("all_keys, in_keys, expected", [
    ([], [], []), ([], [1], []), ([1, 2], [], [1, 2]), ([1, 1], [1], []),
])
def test_empty_inputs_and_outputs(tmp_path, all_keys, in_keys, expected):
    count, got = negative(tmp_path, all_keys, in_keys)
    assert count == len(expected) and got.tolist() == expected


@settings(max_examples=60, deadline=None)
@given(all_keys=st.lists(st.integers(0, 2**32 - 1)),
       in_keys=st.lists(st.integers(0, 2**32 - 1)))
def test_random_lists(tmp_path_factory, all_keys, in_keys):
    folder = tmp_path_factory.mktemp("hypothesis")
    count, got = negative(folder, all_keys, in_keys)
    assert got.tolist() == ref.python_negative(all_keys, in_keys)
    assert count == len(got)


def test_accepts_str_bytes_and_paths(tmp_path):
    ref.write_keys(tmp_path / "all", [1, 2])
    ref.write_keys(tmp_path / "in", [2])
    assert targets.targets_negative(str(tmp_path / "all"), os.fsencode(tmp_path / "in"),
                                    tmp_path / "out") == 1


# ---- errors ----

def test_error_is_an_oserror_in_module_state():
    assert issubclass(targets.Error, OSError)
    assert targets.Error.__module__ == "targets"
    assert "filename" in targets.Error.__doc__
    assert targets_gil.Error is not targets.Error


def test_missing_file(tmp_path):
    ref.write_keys(tmp_path / "in", [1])
    with pytest.raises(targets.Error) as caught:
        targets.targets_negative(tmp_path / "nowhere", tmp_path / "in", tmp_path / "out")
    error = caught.value
    assert error.errno == 2 and error.filename == str(tmp_path / "nowhere")
    assert error.path == str(tmp_path / "nowhere") and error.reason == "No such file or directory"
    assert str(error) == f"[Errno 2] No such file or directory: '{tmp_path / 'nowhere'}'"
    assert not (tmp_path / "out").exists()
    # .path and .filename are a str whatever the caller passed (str, bytes, a Path).
    with pytest.raises(targets.Error) as caught:
        targets.targets_negative(os.fsencode(tmp_path / "nowhere"), tmp_path / "in", tmp_path / "out")
    assert caught.value.path == caught.value.filename == str(tmp_path / "nowhere")


def test_directory_and_pipe_are_refused(tmp_path):
    ref.write_keys(tmp_path / "in", [1])
    with pytest.raises(targets.Error, match="Is a directory"):
        targets.targets_negative(tmp_path, tmp_path / "in", tmp_path / "out")
    os.mkfifo(tmp_path / "pipe")     # opening it must not wait for a writer
    with pytest.raises(targets.Error, match="Invalid argument"):
        targets.targets_negative(tmp_path / "pipe", tmp_path / "in", tmp_path / "out")


@pytest.mark.parametrize("data, has_header, message", [
    (b"\x01\x00\x00", False, "3 bytes of keys is not a multiple of the key size 4"),
    (b"TGTS" + (4).to_bytes(4, "little") + (1).to_bytes(8, "little") + b"\x01\x00",
     True, "2 bytes of keys is not a multiple of the key size 4"),
    (b"TGTS" + (4).to_bytes(4, "little") + (3).to_bytes(8, "little") + bytes(8),
     True, "the header counts 3 keys, the file holds 2"),
    (b"TGTS" + (8).to_bytes(4, "little") + (1).to_bytes(8, "little") + bytes(8),
     True, "the header says 8-byte keys, the call says 4 (key64=False)"),
    (bytes(16), True, 'no "TGTS" header (has_header=False for a bare array of keys?)'),
    (b"TGTS", True, "4 bytes is shorter than the 16-byte header"),
])
def test_malformed_files(tmp_path, data, has_header, message):
    (tmp_path / "bad").write_bytes(data)
    ref.write_keys(tmp_path / "good", [1], has_header)
    for order in [("bad", "good"), ("good", "bad")]:      # as `all`, then as `in`
        with pytest.raises(targets.Error) as caught:
            targets.targets_negative(tmp_path / order[0], tmp_path / order[1],
                                     tmp_path / "out", has_header=has_header)
        error = caught.value
        assert str(error) == f"{tmp_path / 'bad'}: {message}"
        assert error.reason == message and error.path == str(tmp_path / "bad")
        # As in any OSError about a file (the docstring says so): the path and the reason.
        assert error.filename == str(tmp_path / "bad") and error.strerror == message
        assert error.errno is None
        assert not (tmp_path / "out").exists()


def test_unwritable_output_leaves_nothing(tmp_path):
    ref.write_keys(tmp_path / "all", [1, 2])
    ref.write_keys(tmp_path / "in", [2])
    with pytest.raises(targets.Error) as caught:
        targets.targets_negative(tmp_path / "all", tmp_path / "in", tmp_path / "no" / "out")
    assert caught.value.errno == 2 and caught.value.filename == str(tmp_path / "no" / "out")
    (tmp_path / "out").mkdir()        # refused before anything is written (tests/test_safe_replace.py)
    with pytest.raises(targets.Error, match="a directory, not a regular file"):
        targets.targets_negative(tmp_path / "all", tmp_path / "in", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all", "in", "out"]


def test_failed_call_keeps_the_old_output(tmp_path):
    ref.write_keys(tmp_path / "all", [1, 2])
    ref.write_keys(tmp_path / "in", [2])
    targets.targets_negative(tmp_path / "all", tmp_path / "in", tmp_path / "out")
    before = (tmp_path / "out").read_bytes()
    (tmp_path / "in").write_bytes(b"junk")
    with pytest.raises(targets.Error):
        targets.targets_negative(tmp_path / "all", tmp_path / "in", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == before


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((), {}, TypeError, "missing required argument 'all_path'"),
    ((1, "b", "c"), {}, TypeError, "expected str, bytes or os.PathLike object, not int"),
    (("a\0", "b", "c"), {}, ValueError, "embedded null byte"),
    (("a", "b", "c"), {"colour": 1}, TypeError, "'colour'"),   # CPython's wording (3.13 changed it)
])
def test_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        targets.targets_negative(*args, **kwargs)


# ---- the GIL ----

def test_other_threads_run_during_the_call(tmp_path, python_thread_beside):
    """While one thread is inside targets_negative, a Python thread keeps running."""
    # Sparse 64-bit keys: the hash set, so one call takes a while (about 0.3 s).
    for name, n in [("all", 2_000_000), ("in", 1_000_000)]:
        ref.write_keys(tmp_path / name, ref.make_keys(n, len(name), True, 2**40), key64=True)

    def share_of_call_with_python_running(module):
        """The fraction of the call's duration in which the other thread ran."""
        return python_thread_beside(lambda: module.targets_negative(
            tmp_path / "all", tmp_path / "in", tmp_path / "out", key64=True)).share
    # Released: the ticker runs through the whole call. Held: at most until the
    # interpreter hands the GIL back to the caller (the 5 ms switch interval).
    # On a free-threaded Python there is no GIL to hold: it runs through both.
    released = share_of_call_with_python_running(targets)
    held = share_of_call_with_python_running(targets_gil)
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        assert released > 0.9 and held > 0.9, (released, held)
    else:
        assert released > 0.9 and held < 0.2, (released, held)


# ---- memory ----

def test_repeated_calls_do_not_grow_memory(tmp_path, memory_growth):
    ref.write_keys(tmp_path / "all", ref.make_keys(1000, 1))
    ref.write_keys(tmp_path / "in", ref.make_keys(1000, 2))
    (tmp_path / "bad").write_bytes(b"junk")

    def calls():
        failures = 0
        for _ in range(300):
            targets.targets_negative(tmp_path / "all", tmp_path / "in", tmp_path / "out")
            for missing_or_bad in ("bad", "none"):
                try:      # not pytest.raises: it keeps a little memory per use
                    targets.targets_negative(tmp_path / missing_or_bad, tmp_path / "in",
                                             tmp_path / "out")
                except targets.Error:
                    failures += 1
        assert failures == 600
    grown = memory_growth(calls).traced    # warmed up first: caches, str interning
    assert grown < 20_000, grown
