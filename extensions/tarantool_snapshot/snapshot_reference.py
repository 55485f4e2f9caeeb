"""Real Tarantool snapshots for the tests and the benchmark, and an independent reader.

- sample_spaces(): tuples of every MessagePack type, each with its exact bytes;
- make_snapshot(): has the real server (Debian's `tarantool`) store them and
  write a .snap file;
- python_rows(): the same decoding as tarantool_snapshot, in Python, built on
  other people's code (msgpack, zstandard, crc32c), to cross-check the C;
- snapshot_of(), block(), row(), insert(), zstd_frame(): snapshots written by
  hand, byte by byte, for the tests, the fuzz harness and the lessons.
"""
import math
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile

import crc32c
import msgpack
import zstandard

HERE = pathlib.Path(__file__).resolve().parent
LUA_SCRIPT = HERE / "make_snapshot.lua"
FIXTURE = HERE / "tests" / "data" / "sample.snap"

PLAIN_MAGIC, ZSTD_MAGIC, END_MAGIC = (bytes.fromhex(h) for h in ("d5ba0bab", "d5ba0bba", "d510aded"))
FIXED_HEADER_SIZE = 19
USER_SPACES = 512                       # lower ids are Tarantool's system spaces


def tarantool_crc(data):
    """Tarantool's block checksum: CRC-32C started at 0 and not inverted at the end
    (crc32c.crc32c inverts on the way in and out: undo both)."""
    return crc32c.crc32c(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


# ---- the sample data ----

def raw(value):
    return msgpack.packb(value, use_bin_type=True)


def by_hand(key, *fields):
    """A tuple [key, *fields] where each field is given as raw MessagePack bytes:
    for encodings Python's msgpack never writes (float 32, str that is not UTF-8)."""
    return bytes([0x90 + 1 + len(fields)]) + raw(key) + b"".join(fields)


def sample_spaces():
    """[(space name, id, [(raw tuple bytes, the tuple as tarantool_snapshot yields it)])]"""
    edge_ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63, 2**64 - 1,
                 -1, -32, -33, -128, -129, -2**15, -2**15 - 1, -2**31, -2**31 - 1, -2**63]
    nested = "leaf"
    for _ in range(60):
        nested = [nested]
    values = [
        [1, "text", 1.5, True, False, None, b"\x00bytes\xff"],
        [2, *edge_ints],
        [3, 0.0, -0.0, math.inf, -math.inf, 1e-308, 2.0**-1074, 1.7976931348623157e308, -2.5],
        [4, "", "h\u00e9llo \u2713 \U0001F600", "x" * 31, "y" * 32, "z" * 300, "w" * 65_536],
        [5, b"", bytes(range(256)) + b"\x01" * 44, b"\x02" * 65_536],
        [6, [], [1, [2, [3, []]]], list(range(20)), [7] * 65_536],
        [7, {}, {"a": 1, "b": [1, 2, {"c": None}]}, {1: "one", -2: "minus two", 3.5: True},
         {f"k{i}": i for i in range(20)}],
        [8, nested],
    ]
    types = [(raw(v), v) for v in values]
    types.append((by_hand(9, b"\xca" + struct.pack(">f", 1.5), b"\xca" + struct.pack(">f", -0.1)),
                   [9, 1.5, struct.unpack(">f", struct.pack(">f", -0.1))[0]]))
    types.append((by_hand(10, b"\xa4\xffok\xfe"), [10, "\udcffok\udcfe"]))
    # Many small tuples: several blocks, all zstd-compressed by the server.
    rows = [[i, f"row {i}", i * 0.25, i % 3 == 0, [i, -i], {"i": i}] for i in range(1, 5_001)]
    return [("types", 512, types), ("rows", 513, [(raw(v), v) for v in rows])]


def expected_rows(spaces):
    """What iterating the snapshot must give for the user spaces, in file order."""
    return [(space_id, value) for _, space_id, tuples in spaces for _, value in tuples]


def bulk_spaces(n):
    """n small tuples in one space: the benchmark's snapshot."""
    tuples = [[i, f"user{i}@example.com", i % 100, i * 1.5, bool(i % 2)] for i in range(1, n + 1)]
    return [("bulk", 512, [(raw(v), None) for v in tuples])]


# ---- the real server ----

def tarantool_available():
    return shutil.which("tarantool") is not None


def make_snapshot(spaces, destination):
    """Run Tarantool on a fresh directory, insert `spaces`, snapshot; copy the
    newest .snap to `destination` and return its path."""
    destination = pathlib.Path(destination)
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        request = [[name, space_id, [tuple_bytes for tuple_bytes, _ in tuples]]
                   for name, space_id, tuples in spaces]
        (folder / "request.msgpack").write_bytes(raw(request))
        work = folder / "work"
        work.mkdir()
        # The server must not inherit a memory checker meant for Python
        # (make memcheck preloads AddressSanitizer): LuaJIT hangs under it.
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "PYTHONMALLOC")}
        finished = subprocess.run(["tarantool", str(LUA_SCRIPT), str(folder / "request.msgpack"),
                                   str(work)], capture_output=True, text=True, timeout=300,
                                  env=env)
        if finished.returncode != 0:
            log = (work / "tarantool.log").read_text() if (work / "tarantool.log").exists() else ""
            raise RuntimeError(f"tarantool failed ({finished.returncode}): {finished.stderr}{log}")
        newest = max(work.glob("*.snap"))           # names are zero-padded LSNs
        shutil.copyfile(newest, destination)
    return destination


# ---- an independent reader ----

def split_blocks(data):
    """Yield (offset, magic, fixed header bytes, block data) for each block, checking CRCs."""
    position = data.index(b"\n\n") + 2
    while data[position:position + 4] != END_MAGIC:
        magic = data[position:position + 4]
        assert magic in (PLAIN_MAGIC, ZSTD_MAGIC), (position, magic)
        unpacker = msgpack.Unpacker()
        unpacker.feed(data[position + 4:position + FIXED_HEADER_SIZE])
        length, _previous_crc, crc = unpacker.unpack(), unpacker.unpack(), unpacker.unpack()
        start = position + FIXED_HEADER_SIZE
        block = data[start:start + length]
        assert len(block) == length and tarantool_crc(block) == crc, position
        yield position, magic, data[position:start], block
        position = start + length


def python_rows(path):
    """Every (space_id, tuple) of INSERT rows, decoded with msgpack and zstandard."""
    return list(python_iter(path))


def python_iter(path):
    """The same, one row at a time (the file is read whole, though)."""
    data = pathlib.Path(path).read_bytes()
    assert data.startswith(b"SNAP\n0.13\n")
    for _, magic, _, block in split_blocks(data):
        if magic == ZSTD_MAGIC:
            block = zstandard.ZstdDecompressor().decompressobj().decompress(block)
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                    unicode_errors="surrogateescape", max_buffer_size=0)
        unpacker.feed(block)
        for header in unpacker:
            body = unpacker.unpack()
            if header.get(0) == 2:
                yield body[0x10], body[0x21]


def uncompressed(data):
    """The same snapshot with every zstd block stored plain: Tarantool 2.x itself
    only writes plain blocks under 2 KiB, so this is how the plain path of the
    reader meets the real server's rows."""
    head = data[:data.index(b"\n\n") + 2]
    out = [head]
    previous = 0
    for _, magic, _, block in split_blocks(data):
        if magic == ZSTD_MAGIC:
            block = zstandard.ZstdDecompressor().decompressobj().decompress(block)
        crc = tarantool_crc(block)
        fixed = PLAIN_MAGIC + b"\xce" + struct.pack(">I", len(block)) \
            + b"\xce" + struct.pack(">I", previous) + b"\xce" + struct.pack(">I", crc)
        out += [fixed, block]           # 4 + 5 + 5 + 5 = 19 bytes: no padding needed
        previous = crc
    out.append(END_MAGIC)
    return b"".join(out)


# ---- snapshots written by hand ----

HEADER_TEXT = b"SNAP\n0.13\nVersion: test\n\n"


def fixed_header(magic, length, crc):
    """The 19-byte block header: the length as a MessagePack uint64 (so any length
    fits), the previous block's checksum (0) and this block's."""
    return magic + b"\xcf" + struct.pack(">Q", length) + b"\x00" + b"\xce" + struct.pack(">I", crc)


def block(magic, payload):
    """A block with a right checksum."""
    return fixed_header(magic, len(payload), tarantool_crc(payload)) + payload


def snapshot_of(*blocks):
    """A whole snapshot of (magic, payload) blocks, with right checksums."""
    return HEADER_TEXT + b"".join(block(magic, payload) for magic, payload in blocks) + END_MAGIC


def row(body, header=None):
    """A row: the header map (type 2, INSERT, by default), then `body`, packed bytes."""
    return msgpack.packb(header or {0: 2, 3: 1}) + body


def insert_packed(space_id, tuple_bytes):
    """An INSERT row whose tuple is given as raw bytes (right or not)."""
    return row(b"\x82\x10" + msgpack.packb(space_id) + b"\x21" + tuple_bytes)


def insert(space_id, fields):
    return insert_packed(space_id, msgpack.packb(fields))


def zstd_frame(prefix, total, fill=0x80, stated=None):
    """A zstd frame written by hand: `prefix` in a raw block, then RLE blocks of
    `fill` up to `total` bytes, 4 bytes of frame per 128 KiB: a tiny file that
    inflates to gigabytes. 0x80 0x80 is a row of two empty maps (skipped), so
    the rows stay valid. `stated`: the content size the frame header claims."""
    out = [b"\x28\xb5\x2f\xfd"]
    if stated is None:
        out.append(b"\x00\x38")                          # window 128 KiB, no size
    else:
        out.append(b"\xc0\x38" + struct.pack("<Q", stated))

    def header(last, kind, size):
        return struct.pack("<I", last | kind << 1 | size << 3)[:3]
    rest = total - len(prefix)
    out.append(header(rest == 0, 0, len(prefix)) + prefix)
    while rest:
        n = min(128 * 1024, rest)
        rest -= n
        out.append(header(rest == 0, 1, n) + bytes([fill]))
    return b"".join(out)
