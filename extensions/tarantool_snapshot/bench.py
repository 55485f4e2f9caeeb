"""Benchmark: rows/s of tarantool_snapshot.iter vs the same decoding in Python
(msgpack and zstandard, both C extensions themselves) on a real snapshot."""
import pathlib

import zstandard

import snapshot_reference as ref
import tarantool_snapshot

ROOT = pathlib.Path(__file__).resolve().parents[2]


def snapshot(n):
    """A snapshot of n tuples written by Tarantool, made once and kept in build/."""
    path = ROOT / "build" / "bench" / f"tarantool-{n}.snap"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        ref.make_snapshot(ref.bulk_spaces(n), path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
    return path


def run(quick, measure):
    if quick or not ref.tarantool_available():
        path, label = ref.FIXTURE, "the test fixture"
    else:
        path, label = snapshot(1_000_000), "1,000,000 tuples"

    # Stream the rows, as a reader of a big snapshot would: count the fields.
    # (Keeping a million lists alive instead would mostly time the cycle
    # collector, which lesson 03 measures on its own.)
    def c_version():
        return sum(len(fields) for _, fields in tarantool_snapshot.iter(path))

    def python_version():
        return sum(len(fields) for _, fields in ref.python_iter(path))

    expected = ref.python_rows(path)
    assert list(tarantool_snapshot.iter(path)) == expected
    assert c_version() == python_version()
    # The limit: the decompression every reader must do, alone (the blocks cut out
    # beforehand, outside the clock).
    compressed = [block for _, magic, _, block in ref.split_blocks(path.read_bytes())
                  if magic == ref.ZSTD_MAGIC]

    def decompression_alone():
        for block in compressed:
            zstandard.ZstdDecompressor().decompressobj().decompress(block)

    seconds = {
        "Python (msgpack, zstandard)": measure(python_version, repeat=3),
        "C (tarantool_snapshot)": measure(c_version, repeat=3),
    }
    limit = None
    if compressed:
        limit = "zstd decompression alone (zstandard)"
        seconds[limit] = measure(decompression_alone, repeat=3)
    size = path.stat().st_size / 1e6
    return [{"workload": f"tarantool snapshot: {label}, {size:.2f} MB", "items": len(expected),
             "baseline": "Python (msgpack, zstandard)", "peer": "Python (msgpack, zstandard)",
             "limit": limit, "seconds": seconds}]
