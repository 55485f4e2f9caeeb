"""Fixtures for the pb tests: the Python protobuf module generated from the same .proto."""
import importlib
import pathlib
import sys

import pytest
from grpc_tools import protoc

PROTO_DIR = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def deviceapps_pb2(tmp_path_factory):
    """deviceapps_pb2, generated at test time by grpcio-tools' protoc (matched to the
    installed protobuf runtime) from extensions/pb/deviceapps.proto."""
    out = tmp_path_factory.mktemp("pb2")
    status = protoc.main(["protoc", f"-I{PROTO_DIR}", f"--python_out={out}", "deviceapps.proto"])
    assert status == 0, "protoc failed"
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("deviceapps_pb2")
    finally:
        sys.path.remove(str(out))
