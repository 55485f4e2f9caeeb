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
