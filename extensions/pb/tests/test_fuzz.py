"""Fuzz harness for pb's reader: any file, read as a user reads one.

tools/fuzz.py runs it: `make fuzz` explores with atheris, `make test` replays a
fixed slice (test_replay below). A file pb reads without an error must read the
same through the independent pure-Python reader (pb_reference.python_read).
"""
import gzip
import zlib

import pytest

import pb
import pb_reference

EXPECTED = (pb.Error, OSError)   # pb.Error is a ValueError: a file that is not a deviceapps file


def file_bytes(data):
    """The file a fuzz input stands for. Its first byte picks: 1, the rest is the
    records, gzipped here (so that mutations reach the records and not only
    gzip's checksum); anything else, the rest is the file itself."""
    if data[:1] == b"\x01":
        return gzip.compress(data[1:], compresslevel=1, mtime=0)
    return data[1:]


def gzip_members(data):
    """The complete gzip members at the start of data, as zlib reads a file: after
    a member, anything that does not start another one is ignored, as gzip(1)
    ignores it (Python's gzip module instead skips zero bytes and reads on)."""
    end = 0
    while data[end:end + 2] == b"\x1f\x8b":
        member = zlib.decompressobj(31)
        member.decompress(data[end:])
        if not member.eof:
            break                       # a cut member: pb must have refused the file
        end = len(data) - len(member.unused_data)
    return data[:end]


def one_input(path):
    records = list(pb.deviceapps_xread_pb(path))
    with open(path, "rb") as file:
        data = file.read()
    members = gzip_members(data)
    if members != data:                 # the reference reads only what zlib read
        with open(path, "wb") as file:
            file.write(members)
    assert repr(records) == repr(list(pb_reference.python_read(path))), "pb and the reference disagree"


def seeds():
    """The seed inputs (tools/fuzz.py seeds writes them to fuzz-seeds/)."""
    raw = bytearray()
    for record in [*pb_reference.make_records(2, apps_per_record=3, seed=1),
                   {"device": {"type": "idfa"}, "apps": []}, {"lat": -0.5}, {}]:
        message = pb_reference.load_deviceapps_pb2().DeviceApps(apps=record.get("apps", ()))
        if "device" in record:
            message.device.SetInParent()
            for key, value in record["device"].items():
                setattr(message.device, key, value.encode())
        for key in ("lat", "lon"):
            if key in record:
                setattr(message, key, record[key])
        body = message.SerializeToString()
        raw += pb_reference.HEADER.pack(pb_reference.MAGIC, pb_reference.DEVICE_APPS_TYPE, len(body)) + body
    yield "records", b"\x01" + bytes(raw)
    yield "file", b"\x00" + gzip.compress(bytes(raw), mtime=0)
    yield "empty", b"\x01"

@pytest.mark.milestone("robustness")
def test_replay(fuzz_replay):
    fuzz_replay(__file__)
