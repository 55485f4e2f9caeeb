"""Fuzz harness for counters' reader: any file, counted as a user counts one.

tools/fuzz.py runs it: `make fuzz` explores with atheris, `make test` replays a
fixed slice (test_replay below). Where the harness knows the file's
uncompressed bytes, the counts must equal the pure-Python reference's.
"""
import gzip

import lz4.frame

import counters
import counters_reference as ref

EXPECTED = (ValueError, OSError)   # not a records file: truncated, corrupt, not a whole record
MODES = {0: "file", 1: "gzip", 2: "lz4", 3: "plain"}


def split(data):
    mode = MODES[data[0] % len(MODES)] if data else "file"
    return mode, data[1:]


def file_bytes(data):
    """The file a fuzz input stands for. Its first byte picks what the rest is:
    the file itself, or records to store gzipped, LZ4-framed or plain (so that
    mutations reach the records past the checksums)."""
    mode, rest = split(data)
    if mode in ("gzip", "lz4"):
        return ref.compress(rest, mode)
    return rest


def one_input(path):
    with open(path, "rb") as file:
        stored = file.read()
    for key_size in (8, 4):
        result = counters.get_counters(path, "t", 1, key_size=key_size)
        if counters.detect_format(path) == counters.FORMAT_PLAIN:
            assert result == ref.python_counters(stored, "t", 1, key_size), "counters and the reference disagree"


def seeds():
    records = ref.make_records(12, 5, seed=3).tobytes()
    yield "records-gzip", b"\x01" + records
    yield "records-lz4", b"\x02" + records
    yield "records-plain", b"\x03" + records
    yield "file-gzip", b"\x00" + gzip.compress(records, mtime=0)
    yield "file-lz4", b"\x00" + lz4.frame.compress(records, block_size=lz4.frame.BLOCKSIZE_MAX64KB,
                                                   content_checksum=True)
    yield "empty", b"\x03"


def test_replay(fuzz_replay):
    fuzz_replay(__file__)
