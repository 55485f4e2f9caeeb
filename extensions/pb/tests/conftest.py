"""Fixtures for the pb tests."""
import pytest

import pb_reference


@pytest.fixture(scope="session")
def deviceapps_pb2():
    """The Python protobuf module generated at test time from the same deviceapps.proto."""
    return pb_reference.load_deviceapps_pb2()
