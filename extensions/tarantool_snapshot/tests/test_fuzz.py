"""Fuzz harness for the snapshot reader: any file, iterated as a user iterates one.

tools/fuzz.py runs it: `make fuzz` explores with atheris, `make test` replays a
fixed slice (test_replay below). Where the independent reader
(snapshot_reference.python_rows: msgpack and zstandard) also reads the file, the
rows must be equal.
"""
import struct

import msgpack
import zstandard

import snapshot_reference as ref
import tarantool_snapshot

EXPECTED = (tarantool_snapshot.SnapshotError, OSError)
HEAD = b"SNAP\n0.13\nVersion: fuzz\n\n"
MODES = {0: "file", 1: "plain block", 2: "zstd block"}


def block(magic, payload):
    """A block as Tarantool frames it: magic, then MessagePack uint32s for the
    length, the previous block's checksum (0 here) and this one's, padded to 19 bytes."""
    fixed = magic + b"\xce" + struct.pack(">I", len(payload)) + b"\x00" \
        + b"\xce" + struct.pack(">I", ref.tarantool_crc(payload))
    return fixed.ljust(ref.FIXED_HEADER_SIZE, b"\0") + payload


def file_bytes(data):
    """The file a fuzz input stands for. Its first byte picks what the rest is:
    the file itself, or rows to frame as one plain or one zstd block with a
    correct checksum (so that mutations reach the MessagePack decoder)."""
    mode = MODES[data[0] % len(MODES)] if data else "file"
    rows = data[1:]
    if mode == "plain block":
        return HEAD + block(ref.PLAIN_MAGIC, rows) + ref.END_MAGIC
    if mode == "zstd block":
        return HEAD + block(ref.ZSTD_MAGIC, zstandard.ZstdCompressor(level=1).compress(rows)) + ref.END_MAGIC
    return rows


def one_input(path):
    rows = list(tarantool_snapshot.iter(path))
    try:
        expected = ref.python_rows(path)
    except Exception:
        return          # the reference is lenient in other ways; only agreement is checked
    assert repr(rows) == repr(expected), "the reader and the reference disagree"   # repr: nan == nan


def seeds():
    def insert(space_id, value):
        return msgpack.packb({0: 2, 3: 1}) + msgpack.packb({0x10: space_id, 0x21: value})
    rows = b"".join([insert(512, [1, "a", -7, 2.5, True, None]), msgpack.packb({0: 30}) + b"\x80",
                     insert(513, [2, {"b": [None, b"bytes"]}, 2**64 - 1, "\u00e9"])])
    yield "plain-block", b"\x01" + rows
    yield "zstd-block", b"\x02" + rows
    yield "file", b"\x00" + HEAD + block(ref.PLAIN_MAGIC, rows) \
        + block(ref.ZSTD_MAGIC, zstandard.ZstdCompressor(level=1).compress(rows)) + ref.END_MAGIC


def test_replay(fuzz_replay):
    fuzz_replay(__file__)
