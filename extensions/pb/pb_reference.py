"""The pure-Python path for pb's file format (protobuf's upb backend + gzip + struct),
to check pb against and time it against, and the benchmark's records."""
import gzip
import importlib
import pathlib
import random
import struct
import sys
import tempfile

from grpc_tools import protoc

HEADER = struct.Struct("<IHH")
MAGIC = 0xFFFFFFFF
DEVICE_APPS_TYPE = 1
PROTO_DIR = pathlib.Path(__file__).resolve().parent


def load_deviceapps_pb2():
    """deviceapps_pb2, generated now by grpcio-tools' protoc (which matches the installed
    protobuf runtime) from the same deviceapps.proto pb is built from."""
    if "deviceapps_pb2" in sys.modules:
        return sys.modules["deviceapps_pb2"]
    with tempfile.TemporaryDirectory() as out:
        status = protoc.main(["protoc", f"-I{PROTO_DIR}", f"--python_out={out}", "deviceapps.proto"])
        if status != 0:
            raise RuntimeError("protoc failed to generate deviceapps_pb2")
        sys.path.insert(0, out)
        try:
            return importlib.import_module("deviceapps_pb2")
        finally:
            sys.path.remove(out)


def make_records(n, apps_per_record=10, seed=0):
    rng = random.Random(seed)
    return [{"device": {"id": f"{rng.getrandbits(128):032x}", "type": rng.choice(("idfa", "gaid", "adid"))},
             "lat": rng.uniform(-90, 90), "lon": rng.uniform(-180, 180),
             "apps": [rng.randrange(1, 10_000) for _ in range(apps_per_record)]}
            for _ in range(n)]


def python_write(records, path, compresslevel=6):
    """What deviceapps_xwrite_pb does, in Python. Returns the uncompressed bytes written."""
    DeviceApps = load_deviceapps_pb2().DeviceApps
    written = 0
    with gzip.open(path, "wb", compresslevel=compresslevel) as f:
        for record in records:
            message = DeviceApps(apps=record.get("apps", ()))
            if "device" in record:
                device = record["device"]
                message.device.SetInParent()
                if "id" in device:
                    message.device.id = device["id"].encode()
                if "type" in device:
                    message.device.type = device["type"].encode()
            if "lat" in record:
                message.lat = record["lat"]
            if "lon" in record:
                message.lon = record["lon"]
            body = message.SerializeToString()
            f.write(HEADER.pack(MAGIC, DEVICE_APPS_TYPE, len(body)) + body)
            written += HEADER.size + len(body)
    return written


def python_read(path):
    """What deviceapps_xread_pb yields, in Python (without its error checks)."""
    DeviceApps = load_deviceapps_pb2().DeviceApps
    with gzip.open(path, "rb") as f:
        while header := f.read(HEADER.size):
            _, kind, length = HEADER.unpack(header)
            body = f.read(length)
            if kind != DEVICE_APPS_TYPE:
                continue
            message = DeviceApps.FromString(body)
            record = {}
            if message.HasField("device"):
                device = record["device"] = {}
                if message.device.HasField("id"):
                    device["id"] = message.device.id.decode()
                if message.device.HasField("type"):
                    device["type"] = message.device.type.decode()
            if message.HasField("lat"):
                record["lat"] = message.lat
            if message.HasField("lon"):
                record["lon"] = message.lon
            record["apps"] = list(message.apps)
            yield record


# The first record of a stream, part by part: the lessons' byte-by-byte table of a record.
FIELD_NAMES = {(): {1: "device", 2: "apps", 3: "lat", 4: "lon"}, ("device",): {1: "id", 2: "type"}}


def varint(data, i):
    """The base-128 varint that starts at data[i]: (its value, the index after it)."""
    value = shift = 0
    while True:
        value |= (data[i] & 0x7F) << shift
        i += 1
        if data[i - 1] < 0x80:
            return value, i
        shift += 7


def message_fields(data, start, end, parents=()):
    """(start, end, name, value) of each field of the DeviceApps message in
    data[start:end], in the order they are written, the device sub-message opened."""
    i = start
    while i < end:
        first = i
        tag, i = varint(data, i)
        number, wire = tag >> 3, tag & 7          # a tag: field number * 8 + wire type
        name = ".".join(parents + (FIELD_NAMES[parents][number],))
        if wire == 0:                             # a varint
            value, i = varint(data, i)
            yield first, i, name, value
        elif wire == 1:                           # 8 bytes: a double
            yield first, i + 8, name, struct.unpack_from("<d", data, i)[0]
            i += 8
        else:                                     # a length, then that many bytes
            length, i = varint(data, i)
            if name == "device":
                yield first, i, name, f"sub-message of {length} bytes"
                yield from message_fields(data, i, i + length, ("device",))
            else:
                yield first, i + length, name, bytes(data[i:i + length]).decode()
            i += length


def first_record_parts(raw):
    """(start, end, name, value) of each part of the first record of an
    uncompressed stream: the header's three fields, then the message's."""
    magic, kind, length = HEADER.unpack_from(raw)
    parts = [(0, 4, "magic", hex(magic)), (4, 6, "type", kind), (6, 8, "length", length)]
    return parts + list(message_fields(raw, HEADER.size, HEADER.size + length))
