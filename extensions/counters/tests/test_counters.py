"""Tests of counters.get_counters against NumPy and pure-Python references."""
import gc
import gzip
import inspect
import json
import os
import sys
import tempfile

import lz4.frame
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import counters
import counters_reference as ref


def edge_records(key_size):
    """Records that reach every corner: id 0 and the largest id, the largest
    shows/clicks, totals of exactly 31, 32 and 33, and ids with zero totals."""
    top = 2 ** (8 * key_size) - 1
    rows = [(0, 0, 0), (top, 65535, 65535), (top, 65535, 1),
            (5, 31, 0), (6, 16, 32), (6, 16, 0), (7, 30, 2), (7, 3, 31), (8, 0, 1)]
    return np.array(rows, dtype=ref.record_dtype(key_size))


def sample_records(key_size, n=60_000, distinct=40_000, seed=7):
    """Enough distinct ids to make the hash table grow several times."""
    return np.concatenate([ref.make_records(n, distinct, key_size, seed), edge_records(key_size)])


@pytest.fixture(scope="module")
def record_files(tmp_path_factory):
    """A file of every compression and key size, with its records."""
    folder = tmp_path_factory.mktemp("records")
    files = {}
    for key_size in (4, 8):
        records = sample_records(key_size)
        for compression in ref.COMPRESSIONS:
            path = folder / f"records{key_size}.{compression}"
            ref.write_records(path, records, compression)
            files[compression, key_size] = (path, records)
    return files


def write_bytes(folder, name, data):
    path = folder / name
    path.write_bytes(data)
    return path


# ---- results ----

@pytest.mark.parametrize("key_size", [4, 8])
@pytest.mark.parametrize("compression", ref.COMPRESSIONS)
def test_matches_numpy(counters, record_files, compression, key_size):
    path, records = record_files[compression, key_size]
    got = counters.get_counters(path, "banner", 42, key_size=key_size)
    assert got == ref.numpy_counters(records, "banner", 42)
    assert sum(got["shows_freq"]) == len(np.unique(records["id"]))


@pytest.mark.parametrize("key_size", [4, 8])
def test_matches_pure_python_on_edge_values(counters, tmp_path, key_size):
    records = edge_records(key_size)
    path = tmp_path / "edges"
    ref.write_records(path, records)
    got = counters.get_counters(path, "campaign", 1, key_size=key_size)
    assert got == ref.python_counters(records.tobytes(), "campaign", 1, key_size)
    # Written out by hand, so a mistake shared by both references shows up.
    # Totals per id -- shows: 0:0, top:131070, 5:31, 6:32, 7:33, 8:0;
    #                 clicks: 0:0, top:65536, 5:0, 6:32, 7:33, 8:1.
    shows_freq = [0] * 33
    shows_freq[0], shows_freq[31], shows_freq[32] = 2, 1, 3
    clicks_freq = [0] * 33
    clicks_freq[0], clicks_freq[1], clicks_freq[32] = 2, 1, 3
    assert got == {"type": "campaign", "id": 1,
                   "shows_all": 2 * 65535 + 31 + 32 + 33, "clicks_all": 65536 + 32 + 33 + 1,
                   "shows_uniq": 4, "clicks_uniq": 4,
                   "shows_freq": shows_freq, "clicks_freq": clicks_freq}


@settings(max_examples=60, deadline=None)
@given(key_size=st.sampled_from([4, 8]),
       rows=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 65535), st.integers(0, 65535)),
                     max_size=200),
       compression=st.sampled_from(ref.COMPRESSIONS))
def test_any_small_file_matches_pure_python(counters, key_size, rows, compression):
    records = np.array(rows, dtype=ref.record_dtype(key_size))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "records")
        ref.write_records(path, records, compression)
        got = counters.get_counters(path, "t", 3, key_size=key_size)
    assert got == ref.python_counters(records.tobytes(), "t", 3, key_size)


@pytest.mark.parametrize("compression", ref.COMPRESSIONS)
def test_empty_file_has_no_records(counters, tmp_path, compression):
    path = tmp_path / "empty"
    ref.write_records(path, np.empty(0, ref.record_dtype()), compression)
    assert counters.get_counters(path, "banner", 1) == {
        "type": "banner", "id": 1, "shows_all": 0, "clicks_all": 0, "shows_uniq": 0,
        "clicks_uniq": 0, "shows_freq": [0] * 33, "clicks_freq": [0] * 33}


def test_concatenated_gzip_members_and_lz4_frames(counters, tmp_path, record_files):
    path, records = record_files["plain", 8]
    data = path.read_bytes()
    half = len(data) // 24 * 12
    expected = counters.get_counters(path, "b", 1)
    gz = write_bytes(tmp_path, "two.gz", gzip.compress(data[:half]) + gzip.compress(data[half:]))
    lz = write_bytes(tmp_path, "two.lz4",
                     lz4.frame.compress(data[:half]) + lz4.frame.compress(data[half:]))
    assert counters.get_counters(gz, "b", 1) == expected
    assert counters.get_counters(lz, "b", 1) == expected


def test_paths_may_be_str_bytes_or_pathlike(counters, record_files):
    path, records = record_files["gzip", 8]
    expected = ref.numpy_counters(records, "b", 1)
    assert counters.get_counters(str(path), "b", 1) == expected
    assert counters.get_counters(os.fsencode(path), "b", 1) == expected
    assert counters.get_counters(filepath=path, entity_type="b", entity_id=1) == expected


def test_entity_id_range_and_bool_as_json_flag(counters, record_files):
    path, _ = record_files["plain", 4]
    assert counters.get_counters(path, "b", 2 ** 64 - 1, 4)["id"] == 2 ** 64 - 1
    assert counters.get_counters(path, "b", 0, 4, 1) == counters.get_counters(path, "b", 0, 4, as_json=True)


# ---- JSON ----

@pytest.mark.parametrize("entity_type", [
    "banner", "", 'say "hi"', "back\\slash", "tab\tnew\nline\r\x00\x1f\x7f",
    "Ünïcödé", "日本語", "emoji \U0001F600", "lone \udc80 surrogate", "x" * 5000])
def test_json_is_exactly_json_dumps_of_the_dict(counters, record_files, entity_type):
    path, _ = record_files["lz4", 8]
    as_dict = counters.get_counters(path, entity_type, 99)
    as_json = counters.get_counters(path, entity_type, 99, as_json=True)
    assert as_json == json.dumps(as_dict)
    assert json.loads(as_json) == as_dict


def test_json_holds_counts_the_lecture_buffer_could_not(counters, tmp_path):
    # shows_all = 65536 * 32 * 65535 and a 1200-character type: the JSON text is
    # longer than the lecture's fixed 1024-byte buffer, and comes out whole.
    ids = np.repeat(np.arange(65536, dtype=np.uint64), 32)
    records = np.zeros(len(ids), dtype=ref.record_dtype())
    records["id"], records["shows"], records["clicks"] = ids, 65535, 65535
    path = tmp_path / "big"
    ref.write_records(path, records, "lz4")
    text = counters.get_counters(path, "banner" * 200, 2 ** 64 - 1, as_json=True)
    assert len(text) > 1024
    assert json.loads(text)["shows_all"] == 65536 * 32 * 65535
    assert json.loads(text)["shows_freq"][32] == 65536


# ---- constants and format detection ----

def test_constants(counters):
    assert (counters.FREQ_BUCKETS, counters.FORMAT_PLAIN, counters.FORMAT_GZIP,
            counters.FORMAT_LZ4) == (33, 0, 1, 2)


@pytest.mark.parametrize("compression, expected", [
    ("plain", counters.FORMAT_PLAIN), ("gzip", counters.FORMAT_GZIP), ("lz4", counters.FORMAT_LZ4)])
def test_detect_format(counters, record_files, compression, expected):
    assert counters.detect_format(record_files[compression, 8][0]) == expected


def test_detect_format_of_tiny_files(counters, tmp_path):
    assert counters.detect_format(write_bytes(tmp_path, "0", b"")) == counters.FORMAT_PLAIN
    assert counters.detect_format(write_bytes(tmp_path, "1", b"\x1f")) == counters.FORMAT_PLAIN
    # gzip or LZ4 only from a complete header: a magic number alone is not one
    assert counters.detect_format(write_bytes(tmp_path, "2", b"\x1f\x8b")) == counters.FORMAT_PLAIN
    assert counters.detect_format(write_bytes(tmp_path, "10", gzip.compress(b"")[:10])) == \
        counters.FORMAT_GZIP
    assert counters.detect_format(write_bytes(tmp_path, "4", b"\x04\x22\x4d\x18")) == \
        counters.FORMAT_PLAIN
    assert counters.detect_format(write_bytes(tmp_path, "7", lz4.frame.compress(b"")[:7])) == \
        counters.FORMAT_LZ4
    with pytest.raises(FileNotFoundError):
        counters.detect_format(tmp_path / "missing")
    with pytest.raises(TypeError):
        counters.detect_format(3)


@pytest.mark.parametrize("as_type", [str, os.fsencode, lambda path: path], ids=["str", "bytes", "Path"])
def test_errors_name_the_file_as_str_whatever_the_path_type(counters, tmp_path, as_type):
    # get_counters and detect_format report the same filename, decoded to str.
    missing = tmp_path / "missing.bin"
    for call in (lambda: counters.get_counters(as_type(missing), "b", 1),
                 lambda: counters.detect_format(as_type(missing))):
        with pytest.raises(FileNotFoundError) as info:
            call()
        assert info.value.filename == str(missing)


def test_signature_comes_from_the_docstring(counters):
    # partitioned=: lesson 01's next step, in the C module only.
    extra = ", partitioned=False" if counters.__name__ == "counters" else ""
    assert str(inspect.signature(counters.get_counters)) == \
        f"(filepath, entity_type, entity_id, key_size=8, as_json=False, *, format='auto'{extra})"


# ---- bad input ----

def test_missing_file(counters, tmp_path):
    missing = tmp_path / "missing.bin"
    with pytest.raises(FileNotFoundError) as info:
        counters.get_counters(missing, "b", 1)
    assert info.value.filename == str(missing)


def test_directory(counters, tmp_path):
    with pytest.raises(IsADirectoryError):
        counters.get_counters(tmp_path, "b", 1)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file without read permission")
def test_unreadable_file(counters, tmp_path):
    path = write_bytes(tmp_path, "secret", b"")
    path.chmod(0)
    with pytest.raises(PermissionError):
        counters.get_counters(path, "b", 1)


@pytest.mark.parametrize("key_size", [4, 8])
@pytest.mark.parametrize("compression", ref.COMPRESSIONS)
def test_truncated_record_names_its_offset(counters, tmp_path, compression, key_size):
    records = ref.make_records(70_000, 100, key_size)     # more than one read buffer
    data = records.tobytes()[:-3]
    path = write_bytes(tmp_path, "cut", ref.compress(data, compression))
    record_size = key_size + 4
    offset = (len(records) - 1) * record_size
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "b", 1, key_size=key_size)
    assert str(info.value) == (
        f"{str(path)!r}: truncated record at byte offset {offset}: {record_size - 3} trailing "
        f"bytes, records are {record_size} bytes (key_size={key_size})")


# A format detected from the first bytes: the message says so, and how to read
# the file as plain records instead (see test_hostile.py).
DETECTED_GZIP = (" (read as gzip because the file starts with a gzip header, 1f 8b 08; "
                 "if it holds plain records, pass format='plain')")
DETECTED_LZ4 = (" (read as LZ4 because the file starts with an LZ4 header, 04 22 4d 18; "
                "if it holds plain records, pass format='plain')")


@pytest.mark.parametrize("name, data, message", [
    ("cut.gz", gzip.compress(bytes(1200))[:-10], "corrupt gzip stream: unexpected end of file"),
    # Cut on a record boundary: gzread() alone would call this a normal end.
    ("cut-at-record.gz", gzip.compress(bytes(1200), mtime=0)[:-8],
     "corrupt gzip stream: unexpected end of file"),
    ("bad-crc.gz", gzip.compress(bytes(1200))[:-8] + b"\0\0\0\0" + (1200).to_bytes(4, "little"),
     "corrupt gzip stream: incorrect data check"),
    ("bad-block.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\xff" * 8,
     "corrupt gzip stream: invalid block type"),
    ("cut.lz4", lz4.frame.compress(bytes(1200))[:-6], "LZ4 frame is truncated"),
    ("header-only.lz4", lz4.frame.compress(b"")[:7], "LZ4 frame is truncated"),
    ("trailing.lz4", lz4.frame.compress(bytes(1200)) + b"garbage!",
     "corrupt LZ4 frame: ERROR_frameType_unknown"),
])
def test_corrupt_streams(counters, tmp_path, name, data, message):
    path = write_bytes(tmp_path, name, data)
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "b", 1)
    detected = DETECTED_GZIP if name.endswith(".gz") else DETECTED_LZ4
    assert str(info.value) == f"{str(path)!r}: {message}{detected}"
    # Named, not detected: the same message without the explanation.
    named = "gzip" if name.endswith(".gz") else "lz4"
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "b", 1, format=named)
    assert str(info.value) == f"{str(path)!r}: {message}"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"key_size": 5}, ValueError, "key_size must be 4 or 8, not 5"),
    ({"key_size": "8"}, TypeError, "'str' object cannot be interpreted as an integer"),
    ({"entity_type": b"banner"}, TypeError, "argument 2 must be str, not bytes"),
    ({"entity_id": "7"}, TypeError, "argument 3 must be int, not str"),
    ({"entity_id": 1.0}, TypeError, "argument 3 must be int, not float"),
    ({"entity_id": -1}, ValueError, "entity_id must be in 0..2**64-1"),
    ({"entity_id": 2 ** 64}, ValueError, "entity_id must be in 0..2**64-1"),
    ({"filepath": 3}, TypeError, "expected str, bytes or os.PathLike object, not int"),
    ({"filepath": "a\0b"}, ValueError, "embedded null byte"),
    # the wording is CPython's (3.13 changed it); what the course controls is that the name is given
    ({"colour": "red"}, TypeError, "'colour'"),
])
def test_bad_arguments(counters, record_files, kwargs, error, message):
    arguments = {"filepath": record_files["plain", 8][0], "entity_type": "banner", "entity_id": 7}
    arguments.update(kwargs)
    with pytest.raises(error) as info:
        counters.get_counters(**arguments)
    assert message in str(info.value)


# ---- the GIL and memory ----

def test_counting_releases_the_gil(counters, tmp_path, python_thread_beside):
    """While one thread counts, another keeps running Python code: the gap
    between its loop iterations stays far below the length of the call. With
    the GIL held, the loop would stop for the whole call."""
    path = tmp_path / "large.lz4"
    ref.write_records(path, ref.make_records(3_000_000, 1_000_000, seed=3), "lz4")
    overlap = python_thread_beside(lambda: counters.get_counters(path, "b", 1))
    assert overlap.seconds > 0.05, "the file is too small to tell"
    assert overlap.longest_gap < overlap.seconds / 3, overlap


def test_repeated_calls_do_not_grow_memory(counters, record_files, memory_growth):
    path, _ = record_files["gzip", 8]
    entity_type = "a type object nobody else holds"
    gc.collect()    # a failed test's traceback may still hold the constant until collected
    refs_before = sys.getrefcount(entity_type)

    def calls(n):
        for i in range(n):
            counters.get_counters(path, entity_type, 1, as_json=bool(i % 2))
            try:        # not pytest.raises: it keeps each traceback alive
                counters.get_counters(path, entity_type, 1, key_size=4)
            except ValueError:
                pass
            else:
                raise AssertionError("a 12-byte-record file read as key_size=4 must fail")

    grown = memory_growth(lambda: calls(300), warm_up=lambda: calls(20)).traced
    assert grown < 8_000, f"{grown} bytes more after 300 rounds (600 calls)"
    assert sys.getrefcount(entity_type) == refs_before


# ---- partitioned=True (the C module only): the same results, counted in two passes ----

@pytest.mark.parametrize("key_size", [4, 8])
@pytest.mark.parametrize("compression", ref.COMPRESSIONS)
def test_partitioned_matches_numpy(record_files, compression, key_size):
    path, records = record_files[compression, key_size]
    got = counters.get_counters(path, "banner", 42, key_size=key_size, partitioned=True)
    assert got == ref.numpy_counters(records, "banner", 42)


@pytest.mark.parametrize("key_size", [4, 8])
def test_partitioned_on_edge_values(tmp_path, key_size):
    records = edge_records(key_size)
    path = tmp_path / "edges"
    ref.write_records(path, records)
    assert counters.get_counters(path, "c", 1, key_size=key_size, partitioned=True) == \
        ref.python_counters(records.tobytes(), "c", 1, key_size)


def test_partitioned_with_lists_of_many_blocks(tmp_path):
    """300,000 records of 50 ids: each list that holds one of them fills many
    4096-entry blocks, and 20,000 more ids spread over the other lists."""
    records = np.concatenate([ref.make_records(300_000, 50, seed=4), ref.make_records(40_000, 20_000, seed=5)])
    path = tmp_path / "many"
    ref.write_records(path, records, "lz4")
    assert counters.get_counters(path, "c", 1, partitioned=True) == ref.numpy_counters(records, "c", 1)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 65535), st.integers(0, 65535)),
                     max_size=300))
def test_partitioned_equals_one_table_on_any_ids(rows):
    records = np.array(rows, dtype=ref.record_dtype(8))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "records")
        ref.write_records(path, records)
        assert counters.get_counters(path, "t", 3, partitioned=True) == counters.get_counters(path, "t", 3)


@pytest.mark.parametrize("compression", ref.COMPRESSIONS)
def test_partitioned_empty_file_and_truncated_record(tmp_path, compression):
    empty = tmp_path / f"empty.{compression}"
    ref.write_records(empty, np.array([], dtype=ref.record_dtype(8)), compression)
    assert counters.get_counters(empty, "t", 1, partitioned=True) == counters.get_counters(empty, "t", 1)
    truncated = tmp_path / "truncated"
    truncated.write_bytes(bytes(12 * 3 + 5))
    with pytest.raises(ValueError, match="truncated record at byte offset 36: 5 trailing bytes"):
        counters.get_counters(truncated, "t", 1, partitioned=True)


def test_partitioned_releases_the_gil(tmp_path, python_thread_beside):
    path = tmp_path / "large.lz4"
    ref.write_records(path, ref.make_records(3_000_000, 1_000_000, seed=3), "lz4")
    overlap = python_thread_beside(lambda: counters.get_counters(path, "b", 1, partitioned=True))
    assert overlap.seconds > 0.03, "the file is too small to tell"
    assert overlap.longest_gap < overlap.seconds / 3, overlap


def test_partitioned_repeated_calls_do_not_grow_memory(record_files, memory_growth):
    path, _ = record_files["lz4", 8]

    def calls(n):
        for _ in range(n):
            counters.get_counters(path, "t", 1, partitioned=True)

    grown = memory_growth(lambda: calls(100), warm_up=lambda: calls(5)).traced
    assert grown < 4_000, f"{grown} bytes more after 100 calls"
