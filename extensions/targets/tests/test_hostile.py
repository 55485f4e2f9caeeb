"""targets_negative against random key files and hostile callers.

Hypothesis builds key files field by field (the magic, the key size and the
count the header claims, a body of any length) and checks the outcome against
the format's rules worked out in Python: either the right keys, or targets.Error
naming the file with the reason (as .strerror and .filename too), no output, no
temporary file. The rest: path objects that run code, threads replacing a file
another call is reading, memory on the failure paths.
"""
import os
import stat
import struct
import tempfile
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import targets
import targets_reference as ref


@st.composite
def key_files(draw, key_size):
    """(bytes of a key file, keys it holds when valid). Mostly valid, each field
    sometimes wrong: the magic, the key size, the count, the body's length."""
    keys = draw(st.lists(st.integers(0, 2**(8 * key_size) - 1), max_size=12))
    body = b"".join(key.to_bytes(key_size, "little") for key in keys)
    magic = draw(st.sampled_from([b"TGTS"] * 4 + [b"TGTs", b"\0\0\0\0"]))
    size = draw(st.sampled_from([key_size] * 4 + [4 if key_size == 8 else 8, 0, 2**32 - 1]))
    count = draw(st.sampled_from([len(keys)] * 4 + [len(keys) + 1, 2**64 - 1]))
    cut = draw(st.sampled_from([0] * 4 + [1, 3, 5]))
    data = struct.pack("<4sIQ", magic, size, count) + body
    data = data[:len(data) - cut] if cut <= len(data) else b""
    if draw(st.integers(0, 9)) == 0:
        data = data[:draw(st.integers(0, 15))]              # shorter than a header
    return data, keys


def problem(data, key_size):
    """What targets must say about a key file, or None if it is valid."""
    if len(data) < 16:
        return f"{len(data)} bytes is shorter than the 16-byte header"
    magic, size, count = struct.unpack_from("<4sIQ", data)
    if magic != b"TGTS":
        return 'no "TGTS" header (has_header=False for a bare array of keys?)'
    if size != key_size:
        return f"the header says {size}-byte keys, the call says {key_size} (key64={key_size == 8})"
    body = len(data) - 16
    if body % key_size == 0 and count != body // key_size:
        return f"the header counts {count} keys, the file holds {body // key_size}"
    if body % key_size:
        return f"{body} bytes of keys is not a multiple of the key size {key_size}"
    return None


@given(st.sampled_from([4, 8]).flatmap(lambda size: st.tuples(st.just(size), key_files(size), key_files(size))))
def test_random_key_files(case):
    key_size, (all_data, all_keys), (in_data, in_keys) = case
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: os.path.join(folder, name) for name in ("all", "in", "out")}
        for name, data in (("all", all_data), ("in", in_data)):
            with open(paths[name], "wb") as file:
                file.write(data)
        expected = [(name, problem(data, key_size)) for name, data in (("all", all_data), ("in", in_data))]
        bad = [(name, reason) for name, reason in expected if reason is not None]
        if bad:
            name, reason = bad[0]                  # `all` is checked first
            with pytest.raises(targets.Error) as caught:
                targets.targets_negative(paths["all"], paths["in"], paths["out"], key64=key_size == 8)
            error = caught.value
            assert (error.errno, error.strerror, error.filename) == (None, reason, paths[name])
            assert (error.reason, error.path, str(error)) == (reason, paths[name], f"{paths[name]}: {reason}")
            assert sorted(os.listdir(folder)) == ["all", "in"]
        else:
            count = targets.targets_negative(paths["all"], paths["in"], paths["out"], key64=key_size == 8)
            got = ref.read_keys(paths["out"], key64=key_size == 8).tolist()
            assert got == ref.python_negative(all_keys, in_keys) and count == len(got)
            assert sorted(os.listdir(folder)) == ["all", "in", "out"]


# ---- hostile callers ----

class Path:
    """A path object whose __fspath__ runs code: it is called before the GIL is released."""
    def __init__(self, path, action):
        self.path, self.action = path, action

    def __fspath__(self):
        self.action()
        return os.fspath(self.path)


def test_fspath_that_deletes_an_input(tmp_path):
    ref.write_keys(tmp_path / "all", [1, 2, 3])
    ref.write_keys(tmp_path / "in", [2])
    deleting = Path(tmp_path / "out", lambda: os.remove(tmp_path / "in"))     # converted last
    with pytest.raises(targets.Error) as caught:
        targets.targets_negative(tmp_path / "all", tmp_path / "in", deleting)
    assert (caught.value.errno, caught.value.filename) == (2, str(tmp_path / "in"))
    assert sorted(os.listdir(tmp_path)) == ["all"]


def test_fspath_that_raises(tmp_path):
    def boom():
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        targets.targets_negative(tmp_path / "all", tmp_path / "in", Path(tmp_path / "out", boom))
    assert os.listdir(tmp_path) == []


def test_reading_a_file_another_thread_keeps_replacing(tmp_path):
    # The output is renamed into place complete: a call reading it as its input
    # sees one version or the other, never a half-written file.
    small, large = ref.make_keys(10, 1), ref.make_keys(300_000, 2)
    ref.write_keys(tmp_path / "small", small)
    ref.write_keys(tmp_path / "large", large)
    ref.write_keys(tmp_path / "none", [])
    ref.write_keys(tmp_path / "shared", small)
    done, failures = threading.Event(), []

    def replace():
        try:
            for n in range(40):
                source = tmp_path / ("large" if n % 2 == 0 else "small")
                targets.targets_negative(source, tmp_path / "none", tmp_path / "shared")
        except BaseException as error:
            failures.append(error)
        finally:
            done.set()
    writer = threading.Thread(target=replace)
    writer.start()
    counts = set()
    while not done.is_set() or not counts:
        counts.add(targets.targets_negative(tmp_path / "shared", tmp_path / "none", tmp_path / "copy"))
    writer.join()
    assert failures == []
    assert counts <= {len(small), len(large)}
    assert sorted(os.listdir(tmp_path)) == ["copy", "large", "none", "shared", "small"]


def test_refused_outputs_do_not_grow_memory(tmp_path, memory_growth):
    ref.write_keys(tmp_path / "all", [1, 2])
    ref.write_keys(tmp_path / "in", [2])
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    os.symlink("loop", tmp_path / "loop")

    def calls(n):
        for _ in range(n):
            for out in ("folder", "fifo", "loop", "no/such/folder"):
                try:
                    targets.targets_negative(tmp_path / "all", tmp_path / "in", tmp_path / out)
                except targets.Error:
                    pass
    grown = memory_growth(lambda: calls(1000), warm_up=lambda: calls(20)).traced
    assert grown < 20_000, grown
    assert sorted(os.listdir(tmp_path)) == ["all", "fifo", "folder", "in", "loop"]
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode) and os.readlink(tmp_path / "loop") == "loop"
    assert os.listdir(tmp_path / "folder") == []


# ---- Ctrl-C during a long call ----

@pytest.mark.parametrize("module", ["targets", "targets_gil"])
def test_ctrl_c_stops_a_long_call_and_leaves_the_output(tmp_path, ctrl_c, module):
    """`all` holds 2**27 keys, a sparse file (512 MiB of zeros that take no disk),
    all of them in `in`: about 2 s of work. Ctrl-C 0.3 s in raises
    KeyboardInterrupt within half a second (before: only once `all` was read to
    its end), in the module that releases the GIL and in the one that keeps it.
    The output is left as it was, with no temporary file beside it."""
    count = 2**27
    all_path, in_path, out_path = tmp_path / "all", tmp_path / "in", tmp_path / "out"
    with open(all_path, "wb") as f:
        f.write(struct.pack("<4sIQ", b"TGTS", 4, count))
        f.truncate(16 + 4 * count)
    in_path.write_bytes(struct.pack("<4sIQ", b"TGTS", 4, 1) + bytes(4))
    out_path.write_bytes(b"the old output")
    (what, seconds), after = ctrl_c(
        setup=f"import {module}",
        call=f"{module}.targets_negative({str(all_path)!r}, {str(in_path)!r}, {str(out_path)!r})",
        then=f"print({module}.targets_negative({str(in_path)!r}, {str(in_path)!r}, "
             f"{str(tmp_path / 'empty')!r}))")
    assert what == "KeyboardInterrupt" and seconds < 0.5, (what, seconds)
    assert after == ["0"]
    assert out_path.read_bytes() == b"the old output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all", "empty", "in", "out"]
