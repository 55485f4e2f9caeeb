"""counters against hostile files and callers: how the format is chosen (a plain
file may start with bytes that look like a gzip or LZ4 header), every length the
reader takes from a file, Python code run in the middle of a call, and
Hypothesis structured fuzzers checked against counters_reference."""
import gc
import gzip
import os
import struct
import tempfile
import threading
import zlib

import lz4.frame
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import counters
import counters_reference as ref

FORMATS = ("plain", "gzip", "lz4")
NAMED = {"plain": counters.FORMAT_PLAIN, "gzip": counters.FORMAT_GZIP, "lz4": counters.FORMAT_LZ4}
HINT = {
    "gzip": (" (read as gzip because the file starts with a gzip header, 1f 8b 08; if it "
             "holds plain records, pass format='plain')"),
    "lz4": (" (read as LZ4 because the file starts with an LZ4 header, 04 22 4d 18; if it "
            "holds plain records, pass format='plain')"),
}
NOT_GZIP = ("not a gzip file: it does not start with 1f 8b 08 (gzip's magic number and method), "
            "and format='gzip' was given")
NOT_LZ4 = ("not an LZ4 file: it does not start with a complete LZ4 frame header "
           "(04 22 4d 18 ...), and format='lz4' was given")


def write(folder, name, data):
    path = folder / name
    path.write_bytes(data)
    return path


def records_bytes(rows, key_size=8):
    return np.array(rows, dtype=ref.record_dtype(key_size)).tobytes()


def expected(data, key_size=8, entity_type="t", entity_id=1):
    return ref.python_counters(data, entity_type, entity_id, key_size)


def truncated_message(path, data, key_size=8):
    size = key_size + 4
    whole = len(data) // size * size
    return (f"{str(path)!r}: truncated record at byte offset {whole}: {len(data) - whole} "
            f"trailing bytes, records are {size} bytes (key_size={key_size})")


def gzip_member(payload, flags=0, extra=None, name=None, comment=None, header_crc=None):
    """A gzip member written by hand, with the optional header fields (RFC 1952)."""
    header = bytearray(b"\x1f\x8b\x08" + bytes([flags]) + b"\0\0\0\0\x00\x03")
    if extra is not None:
        header += struct.pack("<H", len(extra)) + extra
    if name is not None:
        header += name + b"\0"
    if comment is not None:
        header += comment + b"\0"
    if flags & 0x02:
        crc = zlib.crc32(bytes(header)) & 0xFFFF if header_crc is None else header_crc
        header += struct.pack("<H", crc)
    deflate = zlib.compressobj(wbits=-15)
    body = deflate.compress(payload) + deflate.flush()
    return bytes(header) + body + struct.pack("<II", zlib.crc32(payload), len(payload))


# ---- 4. a plain file whose first id looks like a compressed file's magic ----

@pytest.mark.parametrize("first_bytes", [
    b"\x1f\x8b\x00\x00",         # gzip's magic number, then method 0: not deflate
    b"\x1f\x8b\x08\xe0",         # method 8, but reserved flag bits set
    b"\x04\x22\x4d\x18",         # LZ4's magic number, then a descriptor of version 0
], ids=["gzip-magic", "gzip-bad-flags", "lz4-magic"])
@pytest.mark.parametrize("key_size", [4, 8])
def test_plain_file_starting_with_a_magic_number_is_read_as_plain(counters, tmp_path, first_bytes, key_size):
    """The issue: such a file was taken for gzip or LZ4 and refused as corrupt."""
    first_id = int.from_bytes(first_bytes, "little")    # the first id's low bytes
    rows = [(first_id, 3, 1), (7, 1, 0), (first_id, 2, 2)]
    data = records_bytes(rows, key_size)
    assert data.startswith(first_bytes)
    path = write(tmp_path, "records.bin", data)
    assert counters.get_counters(path, "t", 1, key_size) == expected(data, key_size)
    assert counters.detect_format(path) == counters.FORMAT_PLAIN
    assert counters.get_counters(path, "t", 1, key_size, format="plain") == expected(data, key_size)


def test_plain_file_that_starts_with_a_whole_gzip_header(counters, tmp_path):
    """Records whose first 10 bytes happen to be a valid gzip header: auto takes it
    for gzip, says why and what to do; format='plain' reads it."""
    data = gzip.compress(b"", mtime=0)[:10] + records_bytes([(5, 1, 1), (6, 2, 0)])[10:]
    data += records_bytes([(9, 4, 4)])
    path = write(tmp_path, "records.bin", data)
    assert counters.detect_format(path) == counters.FORMAT_GZIP
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "t", 1)
    message = str(info.value)
    assert message.startswith(f"{str(path)!r}: corrupt gzip stream: ")
    assert message.endswith(HINT["gzip"])
    assert counters.get_counters(path, "t", 1, format="plain") == expected(data)


def test_plain_file_that_starts_with_a_whole_lz4_header(counters, tmp_path):
    data = lz4.frame.compress(b"")[:7] + records_bytes([(5, 1, 1), (6, 2, 0)])[7:]
    path = write(tmp_path, "records.bin", data)
    assert counters.detect_format(path) == counters.FORMAT_LZ4
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "t", 1)
    message = str(info.value)
    assert message.startswith(f"{str(path)!r}: ")
    assert message.endswith(HINT["lz4"])
    assert counters.get_counters(path, "t", 1, format="plain") == expected(data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_keyword_reads_each_format(counters, tmp_path, fmt):
    data = records_bytes([(1, 2, 3), (2 ** 64 - 1, 65535, 0), (1, 1, 1)])
    path = write(tmp_path, f"records.{fmt}", ref.compress(data, fmt))
    for given in ("auto", fmt):
        assert counters.get_counters(path, "t", 1, format=given) == expected(data)
        assert counters.get_counters(path, "t", 1, format=given, as_json=True) == \
            counters.get_counters(path, "t", 1, as_json=True)
    assert counters.detect_format(path) == NAMED[fmt]


@pytest.mark.parametrize("content, fmt, message", [
    (records_bytes([(1, 1, 1)]), "gzip", NOT_GZIP),
    (records_bytes([(1, 1, 1)]), "lz4", NOT_LZ4),
    (b"", "gzip", NOT_GZIP),
    (b"", "lz4", NOT_LZ4),
    (lz4.frame.compress(records_bytes([(1, 1, 1)])), "gzip", NOT_GZIP),
    (gzip.compress(records_bytes([(1, 1, 1)])), "lz4", NOT_LZ4),
    (b"\x1f\x8b", "gzip", NOT_GZIP),                       # no method
    (b"\x1f\x8b\x07" + bytes(20), "gzip", NOT_GZIP),         # method 7, not deflate
    (b"\x04\x22\x4d\x18\x60", "lz4", NOT_LZ4),
])
def test_named_compressed_format_needs_its_header(counters, tmp_path, content, fmt, message):
    """zlib reads a file that is not gzip as it is ("transparent"): naming gzip for a
    plain file must not silently count its bytes."""
    path = write(tmp_path, "file", content)
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "t", 1, format=fmt)
    assert str(info.value) == f"{str(path)!r}: {message}"


def test_format_plain_reads_a_compressed_file_as_records(counters, tmp_path):
    """What the caller asked: a gzip file read as plain is its compressed bytes."""
    data = gzip.compress(records_bytes([(1, 1, 1)] * 50), mtime=0)
    data += bytes(-len(data) % 12)
    path = write(tmp_path, "file", data)
    assert counters.get_counters(path, "t", 1, format="plain") == expected(data)


@pytest.mark.parametrize("value, error, message", [
    ("zip", ValueError, "format must be 'auto', 'plain', 'gzip' or 'lz4', not 'zip'"),
    ("GZIP", ValueError, "format must be 'auto', 'plain', 'gzip' or 'lz4', not 'GZIP'"),
    ("gzip\0", ValueError, "format must be 'auto', 'plain', 'gzip' or 'lz4', not 'gzip\\x00'"),
    (1, TypeError, "format must be a str, not int"),
    (b"gzip", TypeError, "format must be a str, not bytes"),
    (None, TypeError, "format must be a str, not NoneType"),
])
def test_format_argument_errors(counters, tmp_path, value, error, message):
    path = write(tmp_path, "file", b"")
    with pytest.raises(error) as info:
        counters.get_counters(path, "t", 1, format=value)
    assert str(info.value) == message


def test_format_is_keyword_only(counters, tmp_path):
    path = write(tmp_path, "file", b"")
    # CPython's argument parser (C) and PyO3's (Rust) word it differently:
    # "takes at most 5 positional arguments (6 given)", "takes from 3 to 5
    # positional arguments but 6 were given"
    with pytest.raises(TypeError, match=r"5 positional arguments (\(6 given\)|but 6 were given)"):
        counters.get_counters(path, "t", 1, 8, False, "plain")


def test_format_plain_on_a_directory_and_a_missing_file(counters, tmp_path):
    with pytest.raises(IsADirectoryError):
        counters.get_counters(tmp_path, "t", 1, format="plain")
    for fmt in ("auto", *FORMATS):
        with pytest.raises(FileNotFoundError) as info:
            counters.get_counters(tmp_path / "missing", "t", 1, format=fmt)
        assert info.value.filename == str(tmp_path / "missing")


# ---- every length the detection reads from the file ----

PAYLOAD = records_bytes([(1, 2, 3), (4, 5, 6)])


@pytest.mark.parametrize("fields", [
    dict(flags=0x04, extra=b"ab\x02\x00xy"),
    dict(flags=0x08, name=b"records.bin"),
    dict(flags=0x10, comment=b"a comment"),
    dict(flags=0x02),
    dict(flags=0x1E, extra=b"", name=b"n", comment=b"c"),
    dict(flags=0x08, name=b"n" * 60_000),               # a name inside the 64 KiB looked at
], ids=["extra", "name", "comment", "header-crc", "all", "long-name"])
def test_gzip_header_fields_are_read(counters, tmp_path, fields):
    path = write(tmp_path, "file.gz", gzip_member(PAYLOAD, **fields))
    assert counters.detect_format(path) == counters.FORMAT_GZIP
    assert counters.get_counters(path, "t", 1) == expected(PAYLOAD)
    assert counters.get_counters(path, "t", 1, format="gzip") == expected(PAYLOAD)


@pytest.mark.parametrize("data, named", [
    # FEXTRA's length says 1000 bytes: the file holds 10
    (b"\x1f\x8b\x08\x04\0\0\0\0\0\x03" + b"\xe8\x03" + b"x" * 10, "unexpected end of file"),
    # FEXTRA's length itself cut off
    (b"\x1f\x8b\x08\x04\0\0\0\0\0\x03" + b"\xe8", "unexpected end of file"),
    # FNAME never ends: no NUL in the file
    (b"\x1f\x8b\x08\x08\0\0\0\0\0\x03" + b"name" * 6, "unexpected end of file"),
    # FCOMMENT never ends
    (b"\x1f\x8b\x08\x10\0\0\0\0\0\x03" + b"comment!" * 3, "unexpected end of file"),
    # FHCRC wrong
    (gzip_member(PAYLOAD, flags=0x02, header_crc=0x1234), "header crc mismatch"),
    # FHCRC cut off
    (b"\x1f\x8b\x08\x02\0\0\0\0\0\x03\x01", "unexpected end of file"),
    # reserved flag bits
    (b"\x1f\x8b\x08\x20\0\0\0\0\0\x03" + b"\0" * 14, "unknown header flags set"),
], ids=["extra-past-end", "extra-length-cut", "name-unended", "comment-unended", "bad-crc",
        "crc-cut", "reserved-flags"])
def test_incomplete_or_invalid_gzip_header_is_not_gzip(counters, tmp_path, data, named):
    """Detection reads such a file as plain; named gzip, zlib says what is wrong."""
    path = write(tmp_path, "file", data)
    assert counters.detect_format(path) == counters.FORMAT_PLAIN
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "t", 1, format="gzip")
    assert str(info.value) == f"{str(path)!r}: corrupt gzip stream: {named}"
    if len(data) % 12 == 0:
        assert counters.get_counters(path, "t", 1) == expected(data)
    else:
        with pytest.raises(ValueError) as info:
            counters.get_counters(path, "t", 1)
        assert str(info.value) == truncated_message(path, data)


def test_gzip_name_longer_than_the_detection_looks_at(counters, tmp_path):
    """Detection looks at the first 64 KiB: a header whose name goes on past them
    is not taken for gzip (the file is read as plain); named, it is read."""
    path = write(tmp_path, "file.gz", gzip_member(PAYLOAD, flags=0x08, name=b"n" * 70_000))
    assert counters.detect_format(path) == counters.FORMAT_PLAIN
    assert counters.get_counters(path, "t", 1, format="gzip") == expected(PAYLOAD)


def xxh32(data, seed=0):
    """XXH32 of fewer than 16 bytes (all an LZ4 frame descriptor can have)."""
    assert len(data) < 16
    mask, primes = 0xFFFFFFFF, (2654435761, 2246822519, 3266489917, 668265263, 374761393)

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & mask
    acc = (seed + primes[4] + len(data)) & mask
    whole = len(data) // 4 * 4
    for (lane,) in struct.iter_unpack("<I", data[:whole]):
        acc = rotl((acc + lane * primes[2]) & mask, 17) * primes[3] & mask
    for byte in data[whole:]:
        acc = rotl((acc + byte * primes[4]) & mask, 11) * primes[0] & mask
    acc ^= acc >> 15
    acc = acc * primes[1] & mask
    acc ^= acc >> 13
    acc = acc * primes[2] & mask
    return acc ^ (acc >> 16)


def lz4_header(flg=0x60, bd=0x40, content_size=None, checksum=None):
    """An LZ4 frame header by hand: magic, FLG, BD, the content size if given,
    and the header checksum (xxh32 of the descriptor, second byte) unless given."""
    descriptor = bytes([flg | (0x08 if content_size is not None else 0), bd])
    if content_size is not None:
        descriptor += struct.pack("<Q", content_size)
    if checksum is None:
        checksum = xxh32(descriptor) >> 8 & 0xFF
    return b"\x04\x22\x4d\x18" + descriptor + bytes([checksum])


def test_lz4_header_helper_matches_lz4_frame():
    assert lz4_header() == lz4.frame.compress(b"")[:7]
    assert lz4_header(flg=0x64, content_size=3) == \
        lz4.frame.compress(b"abc", store_size=True, content_checksum=True)[:15]


@pytest.mark.parametrize("data", [
    lz4_header(checksum=0x00),                      # wrong header checksum (right: 0x82)
    lz4_header(flg=0x20),                           # version 0
    lz4_header(flg=0x62),                           # reserved FLG bit
    lz4_header(bd=0x10),                            # block size id 1: not defined
    lz4_header(bd=0xC0),                            # reserved BD bit
    lz4_header(content_size=3)[:-3],                # header cut inside the content size
    lz4_header()[:-1],                              # the checksum byte missing
], ids=["checksum", "version", "reserved-flg", "block-size-id", "reserved-bd", "cut",
        "no-checksum"])
def test_incomplete_or_invalid_lz4_header_is_not_lz4(counters, tmp_path, data):
    path = write(tmp_path, "file", data)
    assert counters.detect_format(path) == counters.FORMAT_PLAIN
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "t", 1, format="lz4")
    assert str(info.value) == f"{str(path)!r}: {NOT_LZ4}"


def test_lz4_header_with_a_content_size_is_lz4(counters, tmp_path):
    data = lz4.frame.compress(PAYLOAD, store_size=True, content_checksum=True)
    path = write(tmp_path, "file.lz4", data)
    assert counters.detect_format(path) == counters.FORMAT_LZ4
    assert counters.get_counters(path, "t", 1) == expected(PAYLOAD)


# LZ4's own lengths (block sizes, the content size, skippable frames) are checked
# by lz4frame; these pin down that a hostile value ends in a ValueError.
@pytest.mark.parametrize("tail, message", [
    # a block "of" 0x7fffffff bytes (uncompressed flag clear) in a 64 KiB-block frame
    (b"\xff\xff\xff\x7f" + b"x" * 40, "corrupt LZ4 frame: ERROR_maxBlockSize_invalid"),
    # an uncompressed block of 0x7fffffff bytes
    (b"\xff\xff\xff\xff" + b"x" * 40, "corrupt LZ4 frame: ERROR_maxBlockSize_invalid"),
    # a block of 100 bytes in a file that ends after 10
    (b"\x64\x00\x00\x80" + b"x" * 10, "LZ4 frame is truncated"),
])
def test_hostile_lz4_block_sizes(counters, tmp_path, tail, message):
    path = write(tmp_path, "file.lz4", lz4_header() + tail)
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "t", 1)
    assert str(info.value) == f"{str(path)!r}: {message}{HINT['lz4']}"


def test_lz4_content_size_that_lies(counters, tmp_path):
    frame = lz4.frame.compress(PAYLOAD, store_size=True)
    assert frame[:15] == lz4_header(flg=0x60, content_size=len(PAYLOAD))
    path = write(tmp_path, "lying.lz4", lz4_header(content_size=2 ** 64 - 1) + frame[15:])
    assert counters.detect_format(path) == counters.FORMAT_LZ4
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "t", 1)
    assert str(info.value) == f"{str(path)!r}: corrupt LZ4 frame: ERROR_frameSize_wrong{HINT['lz4']}"


def test_lz4_skippable_frame_claiming_4_gib(counters, tmp_path):
    frame = lz4.frame.compress(PAYLOAD)
    skippable = struct.pack("<II", 0x184D2A50, 0xFFFFFFFF) + b"x" * 100
    path = write(tmp_path, "file.lz4", frame + skippable)
    with pytest.raises(ValueError) as info:
        counters.get_counters(path, "t", 1)
    assert str(info.value) == f"{str(path)!r}: LZ4 frame is truncated{HINT['lz4']}"


# ---- Python code run in the middle of a call ----

class Rewrites(os.PathLike):
    """A path whose __fspath__ rewrites the file and runs the collector."""

    def __init__(self, path, data):
        self.path, self.data = path, data

    def __fspath__(self):
        self.path.write_bytes(self.data)
        gc.collect()
        return str(self.path)


class Index:
    def __init__(self, value, action):
        self.value, self.action = value, action

    def __index__(self):
        self.action()
        return self.value


class Truth:
    def __init__(self, action):
        self.action = action

    def __bool__(self):
        self.action()
        return False


def test_arguments_that_run_python_code(counters, tmp_path):
    data = records_bytes([(1, 1, 1), (2, 2, 2)])
    path = tmp_path / "file"
    assert counters.get_counters(Rewrites(path, data), "t", 1) == expected(data)
    # key_size's __index__ deletes the file: the file is opened after parsing
    path.write_bytes(data)
    with pytest.raises(FileNotFoundError) as info:
        counters.get_counters(path, "t", 1, Index(8, path.unlink))
    assert info.value.filename == str(path)
    # as_json's __bool__ rewrites it as gzip, and format is still auto
    gz = gzip.compress(data * 3)
    assert counters.get_counters(path, "t", 1, 8, Truth(lambda: path.write_bytes(gz))) == \
        expected(data * 3)

    def fail():
        raise KeyError("from __bool__")
    with pytest.raises(KeyError, match="from __bool__"):
        counters.get_counters(path, "t", 1, 8, Truth(fail), format="gzip")


def test_failing_arguments_do_not_leak(counters, tmp_path, memory_growth):
    path = write(tmp_path, "file", gzip.compress(records_bytes([(1, 1, 1)])))
    plain = write(tmp_path, "plain", records_bytes([(1, 1, 1)]))
    bad_gzip = write(tmp_path, "bad.gz", b"\x1f\x8b\x08\0\0\0\0\0\0\x03junk!")

    def calls(n):
        for _ in range(n):
            for bad in ("zip", 3):
                try:
                    counters.get_counters(path, "t", 1, format=bad)
                except (ValueError, TypeError):
                    pass
            try:
                counters.get_counters(plain, "t", 1, format="lz4")
            except ValueError:
                pass
            try:
                counters.get_counters(bad_gzip, "t", 1)
            except ValueError:
                pass
            counters.get_counters(path, "t", 1, format="gzip")
            counters.detect_format(path)
    grown = memory_growth(lambda: calls(200), warm_up=lambda: calls(20)).traced
    assert grown < 8_000, grown


def test_threads_read_every_format_at_once(counters, tmp_path):
    data = records_bytes([(i % 97, i % 5, i % 3) for i in range(20_000)])
    paths = {fmt: write(tmp_path, f"f.{fmt}", ref.compress(data, fmt)) for fmt in FORMATS}
    want = expected(data)
    results = []

    def work(fmt):
        for _ in range(5):
            results.append(counters.get_counters(paths[fmt], "t", 1, format=fmt))
            results.append(counters.get_counters(paths[fmt], "t", 1))
    threads = [threading.Thread(target=work, args=(fmt,)) for fmt in FORMATS * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [want] * 60


# ---- Hypothesis: any content, in each format, against counters_reference ----

MAGIC_PREFIXES = [b"", b"\x1f\x8b", b"\x1f\x8b\x08\x00", gzip.compress(b"", mtime=0)[:10],
                  b"\x04\x22\x4d\x18", lz4.frame.compress(b"")[:7], b"\0" * 12]


@st.composite
def contents(draw):
    """Bytes of any kind (NULs, long runs, a cut last record), often records, and
    often starting with (a piece of) a compressed format's header."""
    key_size = draw(st.sampled_from([4, 8]))
    if draw(st.booleans()):
        rows = draw(st.lists(st.tuples(st.integers(0, 2 ** (8 * key_size) - 1),
                                       st.integers(0, 65535), st.integers(0, 65535)),
                             max_size=60))
        data = records_bytes(rows, key_size) if rows else b""
        data += draw(st.binary(max_size=key_size + 3))      # maybe a cut record
    else:
        data = draw(st.one_of(st.binary(max_size=400),
                              st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=3),
                                        st.integers(0, 3000))))
    prefix = draw(st.sampled_from(MAGIC_PREFIXES))
    return key_size, prefix + data[len(prefix):] if len(data) >= len(prefix) else prefix + data


def check(counters, path, data, key_size, **kwargs):
    """get_counters on path must give the reference's result for data, or the
    truncated-record error."""
    if len(data) % (key_size + 4) == 0:
        assert counters.get_counters(path, "t", 1, key_size, **kwargs) == expected(data, key_size)
    else:
        with pytest.raises(ValueError) as info:
            counters.get_counters(path, "t", 1, key_size, **kwargs)
        assert str(info.value) == truncated_message(path, data, key_size)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(content=contents(), fmt=st.sampled_from(FORMATS))
def test_any_content_round_trips_in_every_format(counters, content, fmt):
    key_size, data = content
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "records")
        with open(path, "wb") as f:
            f.write(ref.compress(data, fmt))
        check(counters, path, data, key_size, format=fmt)            # named: always exact
        if fmt != "plain":
            check(counters, path, data, key_size)                      # compressed: detected
            return
        detected = counters.detect_format(path)
        if detected == counters.FORMAT_PLAIN:
            check(counters, path, data, key_size)
        else:
            # The plain bytes start with a whole, valid header: auto takes the
            # file for compressed, and the error says how to read it as plain.
            name = "gzip" if detected == counters.FORMAT_GZIP else "lz4"
            with pytest.raises(ValueError) as info:
                counters.get_counters(path, "t", 1, key_size)
            assert str(info.value).endswith(HINT[name]) or "truncated record" in str(info.value)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(content=contents(), fmt=st.sampled_from(FORMATS), members=st.integers(1, 3),
       collect=st.booleans())
def test_concatenated_members_and_python_code_around_the_call(counters, content, fmt, members, collect):
    """Several gzip members or LZ4 frames, cut anywhere between records; arguments
    whose conversion runs the collector and a callback that drops objects."""
    key_size, data = content
    size = key_size + 4
    whole = data[:len(data) // size * size]
    cuts = sorted({0, len(whole), *range(0, len(whole), 7 * size)})
    pieces = [whole[a:b] for a, b in zip(cuts, cuts[1:])] * members or [b""] * members
    payload = b"".join(pieces)
    compressed = b"".join(ref.compress(piece, fmt) for piece in pieces)
    dropped = []

    def callback(phase, info):
        dropped.append(phase)           # Python code the collector runs, mid-call
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "records")
        with open(path, "wb") as f:
            f.write(compressed)
        gc.callbacks.append(callback)
        try:
            # (generation 0 only: a full collection per example is slow)
            key = Index(key_size, (lambda: gc.collect(0)) if collect else (lambda: None))
            got = counters.get_counters(path, "t", 1, key, Truth(lambda: gc.collect(0)),
                                        format=fmt)
        finally:
            gc.callbacks.remove(callback)
    assert got == expected(payload, key_size)


# ---- Ctrl-C during a long count ----

def test_ctrl_c_stops_a_long_count(counters, tmp_path, ctrl_c):
    """1.5 GiB of records (128 gzip members of 12 MiB of zeros: 7 MB of file),
    about 2 s of counting. Ctrl-C 0.3 s in raises KeyboardInterrupt within half a
    second (before: only once the whole file was counted), and the module counts
    the next file as usual."""
    member = gzip.compress(bytes(12 << 20), compresslevel=1)
    long = write(tmp_path, "long.gz", member * 128)
    small = write(tmp_path, "small", records_bytes([(5, 1, 0), (6, 2, 0)]))
    (what, seconds), after = ctrl_c(
        setup=f"import {counters.__name__} as counters",
        call=f"counters.get_counters({str(long)!r}, 't', 1)",
        then=f"print(counters.get_counters({str(small)!r}, 't', 1)['shows_all'])")
    assert what == "KeyboardInterrupt" and seconds < 0.5, (what, seconds)
    assert after == ["3"]


def test_ctrl_c_stops_a_long_partitioned_count(tmp_path, ctrl_c):
    """The C module's partitioned=True holds every record: Ctrl-C 0.3 s into the
    same 1.5 GiB of records stops it while it reads, and frees what it held."""
    member = gzip.compress(bytes(12 << 20), compresslevel=1)
    long = write(tmp_path, "long.gz", member * 128)
    small = write(tmp_path, "small", records_bytes([(5, 1, 0), (6, 2, 0)]))
    (what, seconds), after = ctrl_c(
        setup="import counters",
        call=f"counters.get_counters({str(long)!r}, 't', 1, partitioned=True)",
        then=f"print(counters.get_counters({str(small)!r}, 't', 1, partitioned=True)['shows_all'])")
    assert what == "KeyboardInterrupt" and seconds < 0.5, (what, seconds)
    assert after == ["3"]
