"""Fuzz harness for the snapshot reader: any file, iterated as a user iterates one.

tools/fuzz.py runs it: `make fuzz` explores with atheris, `make test` replays a
fixed slice (test_replay below). Where the independent reader
(snapshot_reference.python_rows: msgpack and zstandard) also reads the file, the
rows must be equal.
"""
import zstandard

import snapshot_reference as ref
import tarantool_snapshot

EXPECTED = (tarantool_snapshot.SnapshotError, OSError)
MODES = {0: "file", 1: "plain block", 2: "zstd block"}


def file_bytes(data):
    """The file a fuzz input stands for. Its first byte picks what the rest is:
    the file itself, or rows to frame as one plain or one zstd block with a
    correct checksum (so that mutations reach the MessagePack decoder)."""
    mode = MODES[data[0] % len(MODES)] if data else "file"
    rows = data[1:]
    if mode == "plain block":
        return ref.snapshot_of((ref.PLAIN_MAGIC, rows))
    if mode == "zstd block":
        return ref.snapshot_of((ref.ZSTD_MAGIC, zstandard.ZstdCompressor(level=1).compress(rows)))
    return rows


def one_input(path):
    rows = list(tarantool_snapshot.iter(path))
    try:
        expected = ref.python_rows(path)
    except Exception:
        return          # the reference is lenient in other ways; only agreement is checked
    assert repr(rows) == repr(expected), "the reader and the reference disagree"   # repr: nan == nan


def seeds():
    rows = b"".join([ref.insert(512, [1, "a", -7, 2.5, True, None]), ref.row(b"\x80", {0: 30}),
                     ref.insert(513, [2, {"b": [None, b"bytes"]}, 2**64 - 1, "\u00e9"])])
    yield "plain-block", b"\x01" + rows
    yield "zstd-block", b"\x02" + rows
    yield "file", b"\x00" + ref.snapshot_of((ref.PLAIN_MAGIC, rows),
                                            (ref.ZSTD_MAGIC, zstandard.ZstdCompressor(level=1).compress(rows)))


def test_replay(fuzz_replay):
    fuzz_replay(__file__)
