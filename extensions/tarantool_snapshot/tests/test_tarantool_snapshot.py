"""tarantool_snapshot.iter over real Tarantool snapshots: exact rows, every error, memory."""
import gc
import math
import os
import random
import struct
import threading

import msgpack
import pytest
import zstandard

import snapshot_reference as ref
import tarantool_snapshot
from tarantool_snapshot import SnapshotError

FIXTURE_BYTES = ref.FIXTURE.read_bytes()
SAMPLE = ref.sample_spaces()


def user_rows(rows):
    return [row for row in rows if row[0] >= ref.USER_SPACES]


def write(tmp_path, data, name="test.snap"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path):
    return list(tarantool_snapshot.iter(path))


# ---- the committed fixture: a snapshot written by Tarantool 2.6 ----

def test_fixture_rows_are_what_was_inserted():
    rows = read_all(ref.FIXTURE)
    assert user_rows(rows) == ref.expected_rows(SAMPLE)
    # Tarantool's own spaces come first, in id order: _schema (272) leads.
    assert rows[0][0] == 272 and rows[0][1][0] == "cluster"
    assert [space for space, _ in rows] == sorted(space for space, _ in rows)


def test_fixture_matches_the_independent_reader():
    assert read_all(ref.FIXTURE) == ref.python_rows(ref.FIXTURE)


def test_fixture_has_several_zstd_blocks():
    magics = [magic for _, magic, _, _ in ref.split_blocks(FIXTURE_BYTES)]
    assert len(magics) >= 3 and set(magics) == {ref.ZSTD_MAGIC}


def test_field_types_exactly():
    types = {row[1][0]: row[1] for row in read_all(ref.FIXTURE) if row[0] == 512}
    first = types[1]
    assert [type(v) for v in first] == [int, str, float, bool, bool, type(None), bytes]
    assert types[2][1:] == [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63,
                            2**64 - 1, -1, -32, -33, -128, -129, -2**15, -2**15 - 1, -2**31,
                            -2**31 - 1, -2**63]
    floats = types[3]
    assert math.copysign(1, floats[2]) == -1 and floats[3] == math.inf
    assert floats[6] == 5e-324                          # the smallest subnormal survives
    assert types[9] == [9, 1.5, struct.unpack(">f", struct.pack(">f", -0.1))[0]]  # float 32
    assert types[10][1].encode("utf-8", "surrogateescape") == b"\xffok\xfe"
    assert len(types[4][6]) == 65_536 and types[5][3] == b"\x02" * 65_536      # str/bin 32
    assert types[7][3] == {1: "one", -2: "minus two", 3.5: True}
    depth, value = 0, types[8][1]
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert (depth, value) == (60, "leaf")


def test_meta_and_attributes():
    iterator = tarantool_snapshot.iter(ref.FIXTURE)
    assert iterator.path == str(ref.FIXTURE)
    assert iterator.meta["Version"].startswith("2.6.0")
    assert set(iterator.meta) == {"Version", "Instance", "VClock"}
    assert iter(iterator) is iterator
    assert tarantool_snapshot.iter is tarantool_snapshot.SnapshotIterator
    with pytest.raises(AttributeError):
        iterator.path = "elsewhere"
    iterator.close()
    # A bytes or str path is kept as a str, decoded like os.fsdecode().
    for given in (os.fsencode(ref.FIXTURE), str(ref.FIXTURE)):
        with tarantool_snapshot.iter(given) as other:
            assert type(other.path) is str and other.path == str(ref.FIXTURE)


def test_plain_blocks_give_the_same_rows(tmp_path):
    path = write(tmp_path, ref.uncompressed(FIXTURE_BYTES))
    assert {magic for _, magic, _, _ in ref.split_blocks(path.read_bytes())} == {ref.PLAIN_MAGIC}
    assert read_all(path) == read_all(ref.FIXTURE)


@pytest.mark.skipif(not ref.tarantool_available(),
                    reason="tarantool is not installed (apt-get install tarantool)")
def test_regenerated_snapshot_matches_the_fixture(tmp_path):
    """The real server, now: insert the sample again, snapshot, compare."""
    path = ref.make_snapshot(SAMPLE, tmp_path / "fresh.snap")
    fresh = read_all(path)
    assert user_rows(fresh) == ref.expected_rows(SAMPLE) == user_rows(read_all(ref.FIXTURE))
    assert fresh == ref.python_rows(path)


def test_lazy_rows_before_a_damaged_block_are_yielded(tmp_path):
    """One block at a time: the rows of intact blocks come out before the error."""
    blocks = list(ref.split_blocks(FIXTURE_BYTES))
    last_offset = blocks[-1][0]
    data = bytearray(FIXTURE_BYTES)
    data[last_offset + ref.FIXED_HEADER_SIZE + 10] ^= 0xFF
    iterator = tarantool_snapshot.iter(write(tmp_path, bytes(data)))
    got = []
    with pytest.raises(SnapshotError) as caught:
        for row in iterator:
            got.append(row)
    assert caught.value.offset == last_offset
    assert len(got) > 1000 and got == read_all(ref.FIXTURE)[:len(got)]
    assert list(iterator) == []           # finished after the error


# ---- errors ----

def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        tarantool_snapshot.iter(tmp_path / "missing.snap")
    assert caught.value.filename == str(tmp_path / "missing.snap")
    with pytest.raises(IsADirectoryError):
        tarantool_snapshot.iter(tmp_path)


@pytest.mark.parametrize("data, message, offset", [
    (b"", "empty file, not a Tarantool snapshot", 0),
    (b"XLOG\n0.13\n\n", "not a Tarantool snapshot (its first line is 'XLOG')", 0),
    (b"\x89PNG\r\n\x1a\n", "not a Tarantool snapshot (its first line is '\\x89PNG\\r')", 0),
    (b"SNAP\n0.12\n\n", "format version '0.12' is not supported (only 0.13)", 5),
    (b"SNAP\n0.13\nVersion: 2.6", "malformed text header", 10),
    (b"SNAP\n0.13\nno colon\n\n", "malformed text header line", 10),
    (b"SNAP\n0.13\n\n", "truncated: the file ends without the end-of-snapshot marker", 11),
    (b"SNAP\n0.13\n\nABCD", "no block starts here (magic 41 42 43 44)", 11),
    (b"SNAP\n0.13\n" + b"K: v\n" * 20_000, "the text header never ends", 65540),
    (b"\0" * 2000, "not a Tarantool snapshot", 0),
])
def test_not_a_snapshot(tmp_path, data, message, offset):
    path = write(tmp_path, data)
    with pytest.raises(SnapshotError) as caught:
        read_all(path)
    assert str(caught.value) == f"{path}: {message} (offset {offset})"
    assert caught.value.offset == offset and caught.value.path == str(path)
    assert issubclass(SnapshotError, ValueError)


def test_truncation_anywhere_raises_snapshot_error(tmp_path):
    """Cut the file at 360 random places, at every byte of each block's fixed header
    (and the first byte after it), and one byte before its end."""
    cuts = set(random.Random(1).sample(range(len(FIXTURE_BYTES)), 360))
    for offset, _, _, block in ref.split_blocks(FIXTURE_BYTES):
        cuts.update(range(offset, offset + ref.FIXED_HEADER_SIZE + 1))
    cuts.add(len(FIXTURE_BYTES) - 1)
    path = tmp_path / "cut.snap"
    for cut in sorted(cuts):
        path.write_bytes(FIXTURE_BYTES[:cut])
        with pytest.raises(SnapshotError):
            read_all(path)


def test_checksum_mismatch(tmp_path):
    offset, _, _, _ = list(ref.split_blocks(FIXTURE_BYTES))[1]
    data = bytearray(FIXTURE_BYTES)
    data[offset + ref.FIXED_HEADER_SIZE + 100] ^= 0x01
    with pytest.raises(SnapshotError, match=r"checksum mismatch: the block says [0-9a-f]{8}, "
                       r"its data gives [0-9a-f]{8} \(offset %d\)" % offset):
        read_all(write(tmp_path, bytes(data)))


def test_flipped_bytes_raise_only_snapshot_error(tmp_path):
    rng = random.Random(2)
    path = tmp_path / "flipped.snap"
    for _ in range(300):
        data = bytearray(FIXTURE_BYTES)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        try:
            read_all(path)      # a flip in a header value may be harmless
        except SnapshotError:
            pass


# Blocks written by hand, with correct checksums, so that the bytes reach the
# zstd and MessagePack decoders.
snapshot_of, row, insert = ref.snapshot_of, ref.row, ref.insert_packed


def test_hand_made_plain_block(tmp_path):
    rows = insert(512, msgpack.packb([1, "a"])) + row(b"\x80", {0: 30}) \
        + insert(513, msgpack.packb([2, {"b": [None]}]))
    assert read_all(write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, rows)))) == [
        (512, [1, "a"]), (513, [2, {"b": [None]}])]         # the type-30 row is skipped


ROWS_START = len(ref.HEADER_TEXT) + ref.FIXED_HEADER_SIZE


T = len(insert(512, b""))       # where the tuple starts in these rows


@pytest.mark.parametrize("rows, message, at", [
    (insert(512, b"\x91\xa5ab"), "truncated row", T + 2),
    (insert(512, b"\x92\x01"), "array longer than its block", T + 1),
    (insert(512, b"\x91\xc1"), "invalid MessagePack byte 0xc1", T + 1),
    (insert(512, b"\x91\xd6\x02abcd"), "a MessagePack extension value (Tarantool's decimal, "
     "uuid or error type) is not supported", T + 1),
    (insert(512, b"\x91\x81\x91\x01\x02"), "unhashable map key (an array or a map)", T + 2),
    (insert(512, b"\x91\xdd\xff\xff\xff\xff"), "array longer than its block", T + 6),
    (insert(512, b"\x91\xdf\x7f\xff\xff\xff"), "map longer than its block", T + 6),
    (insert(512, b"\x91" * 300 + b"\x01"), "arrays or maps nested too deep", T + 257),
    (insert(512, b"\x01"), "a tuple is not a MessagePack array", T),
    (b"\x92\x01\x02", "a row does not start with a header map", 0),
    (row(b"\x91\x01"), "a row has no body map", 5),
    (row(b"\x81\x10\x01"), "an INSERT row without a space id or a tuple", 8),
    (row(b"\x81\xa1x\x01"), "a row body key is not an unsigned integer", 6),
])
def test_malformed_rows_in_a_plain_block(tmp_path, rows, message, at):
    path = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, rows)))
    with pytest.raises(SnapshotError) as caught:
        read_all(path)
    assert str(caught.value) == f"{path}: {message} (offset {ROWS_START + at})"


def test_malformed_zstd_blocks(tmp_path):
    good = insert(512, msgpack.packb([1, "x" * 100]))
    frame = zstandard.ZstdCompressor().compress(good)
    summed = zstandard.ZstdCompressor(write_checksum=True).compress(good)
    cases = [
        (frame[:-3], "truncated zstd frame"),
        (b"\x28\xb5\x2f\xfd" + bytes(20), "truncated zstd frame"),
        (frame + b"junk", "4 bytes after the zstd frame"),
        (b"\x28\xb5\x2f\xfd" + b"\xff" * 20, r"corrupt zstd frame \(Unsupported frame parameter\)"),
        (summed[:-4] + bytes(4), r"corrupt zstd frame \(Restored data doesn't match checksum\)"),
        (b"not zstd at all", r"corrupt zstd frame \(Unknown frame descriptor\)"),
        (zstandard.ZstdCompressor().compress(good[:-4]), "truncated row"),
    ]
    for payload, message in cases:
        path = write(tmp_path, snapshot_of((ref.ZSTD_MAGIC, payload)))
        with pytest.raises(SnapshotError, match=message):
            read_all(path)
    assert read_all(write(tmp_path, snapshot_of((ref.ZSTD_MAGIC, frame)))) == [(512, [1, "x" * 100])]


def test_garbage_rows_raise_only_snapshot_error(tmp_path):
    """Random bytes behind valid checksums: the decoder must refuse, never crash."""
    rng = random.Random(3)
    plain = list(ref.split_blocks(ref.uncompressed(FIXTURE_BYTES)))
    rows = plain[0][3]
    path = tmp_path / "garbage.snap"
    for _ in range(300):
        data = bytearray(rows[:rng.randint(1, 3000)])
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(snapshot_of((ref.PLAIN_MAGIC, bytes(data))))
        try:
            read_all(path)
        except SnapshotError:
            pass


@pytest.mark.parametrize("args, error, message", [
    ((), TypeError, "missing required argument 'path'"),
    ((1,), TypeError, "expected str, bytes or os.PathLike object, not int"),
    (("a\0b",), ValueError, "embedded null byte"),
])
def test_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        tarantool_snapshot.iter(*args)


def test_not_subclassable():
    with pytest.raises(TypeError):
        type("Sub", (tarantool_snapshot.SnapshotIterator,), {})


# ---- resources ----

def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


def test_close_and_context_manager():
    before = open_descriptors()
    with tarantool_snapshot.iter(ref.FIXTURE) as iterator:
        assert next(iterator)[0] == 272
        assert open_descriptors() == before + 1
    assert open_descriptors() == before
    assert list(iterator) == []
    exhausted = tarantool_snapshot.iter(ref.FIXTURE)
    list(exhausted)                         # the end marker closes the file
    assert open_descriptors() == before


def test_cycle_through_meta_is_collected():
    gc.collect()
    iterator = tarantool_snapshot.iter(ref.FIXTURE)
    iterator.meta["me"] = iterator          # a cycle: iterator -> meta -> iterator
    del iterator
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) is tarantool_snapshot.SnapshotIterator]


def test_two_threads_read_two_iterators():
    expected = read_all(ref.FIXTURE)
    results = [None, None]

    def work(i):
        results[i] = read_all(ref.FIXTURE)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected, expected]


def test_repeated_iteration_does_not_grow_memory(tmp_path, memory_growth):
    bad = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, insert(512, b"\x91\xc1"))))

    def passes():
        for _ in range(20):
            for _ in tarantool_snapshot.iter(ref.FIXTURE):
                pass
            try:
                read_all(bad)
            except SnapshotError:
                pass
            try:
                tarantool_snapshot.iter(tmp_path / "missing")
            except FileNotFoundError:
                pass
    passes()
    descriptors = open_descriptors()
    grown = memory_growth(passes, warm_up=lambda: None).traced
    assert grown < 10_000, grown
    assert open_descriptors() == descriptors
