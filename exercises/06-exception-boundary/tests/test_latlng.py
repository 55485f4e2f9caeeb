"""Exercise 06-exception-boundary: the kernel's C++ exceptions become Python ones."""
import os

import pytest

import latlng


def test_a_good_point():
    assert latlng.parse("52.5,13.4") == (52.5, 13.4)
    assert latlng.parse("-90,180") == (-90.0, 180.0)


def test_repeat():
    assert latlng.repeat("1,2", 3) == [(1.0, 2.0)] * 3
    assert latlng.repeat("1,2", 0) == []


@pytest.mark.parametrize("text", ["52.5", "52.5,", "x,13", "52.5;13.4", ""])
def test_not_a_point_is_a_value_error(text):
    with pytest.raises(ValueError) as info:
        latlng.parse(text)
    assert str(info.value) == f"not a point: '{text}' (expected \"lat,lng\" in degrees)"


@pytest.mark.parametrize("text, message", [
    ("91,0", "latitude 91 is outside -90..90"),
    ("-90.5,0", "latitude -90.5 is outside -90..90"),
    ("0,200", "longitude 200 is outside -180..180"),
    ("nan,0", "latitude nan is outside -90..90"),
])
def test_out_of_range_is_a_value_error(text, message):
    with pytest.raises(ValueError) as info:
        latlng.parse(text)
    assert str(info.value) == message


def test_a_bad_point_inside_repeat():
    with pytest.raises(ValueError, match="latitude 100 is outside"):
        latlng.repeat("100,0", 5)


@pytest.mark.skipif(os.environ.get("PYEXT_MEMCHECK") == "1",
                    reason="AddressSanitizer stops the process at an allocation this large, by design")
def test_more_than_this_machine_holds_is_a_memory_error():
    with pytest.raises(MemoryError):
        # 2**55 points of 16 bytes: 512 PiB, more than the 128 TiB a process can address, so the
        # allocation fails whatever the kernel's overcommit policy (and below max_size(): not length_error)
        latlng.repeat("1,2", 2 ** 55)


def test_more_than_a_vector_can_hold_is_a_runtime_error():
    with pytest.raises(RuntimeError) as info:
        latlng.repeat("1,2", 2 ** 62)
    assert str(info.value).startswith("latlng: unexpected C++ exception: ")


def test_the_process_lives_on():
    for text in ("x", "91,0", "0,181"):
        with pytest.raises(ValueError):
            latlng.parse(text)
    assert latlng.parse("0,0") == (0.0, 0.0)


def test_python_side_errors():
    with pytest.raises(TypeError):
        latlng.parse(52.5)
    with pytest.raises(ValueError, match="n must be at least 0, not -1"):
        latlng.repeat("1,2", -1)
