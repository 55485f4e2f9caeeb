"""Each deliberately wrong function of pb_mistakes shows its symptom; its fix does not."""
import os
import pathlib
import re
import struct
import sys

import pytest

import asan_run
import pb_mistakes

HERE = pathlib.Path(__file__).resolve().parent


def test_swallowed_error_becomes_a_system_error():
    with pytest.raises(SystemError, match="returned NULL without setting an exception"):
        pb_mistakes.swallowed_error("not an int")
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        pb_mistakes.kept_error("not an int")
    assert pb_mistakes.kept_error(21) == pb_mistakes.swallowed_error(21) == 42


def grown_bytes(memory_growth, fn, calls=2000):
    def work():
        for i in range(calls):
            fn(i)
    return memory_growth(work, warm_up=lambda: fn(1)).traced


def test_reference_leak_grows_memory(memory_growth):
    assert pb_mistakes.leaky_dict(1) == pb_mistakes.tidy_dict(1) == {"value": 1001}
    assert grown_bytes(memory_growth, pb_mistakes.leaky_dict) >= 2000 * sys.getsizeof(10**3)
    assert grown_bytes(memory_growth, pb_mistakes.tidy_dict) < 1000


@pytest.mark.parametrize("fn", [pb_mistakes.leaky_dict, pb_mistakes.tidy_dict])
def test_dict_functions_keep_the_argument_error(fn):
    # the leak is leaky_dict's only mistake: a bad argument is an exception, not a SystemError
    with pytest.raises(TypeError, match="an integer is required"):
        fn("not an int")
    with pytest.raises(OverflowError, match="does not fit in a Py_ssize_t"):
        fn(sys.maxsize)
    with pytest.raises(OverflowError):
        fn(2**70)
    assert fn(-2000) == {"value": -1000}


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("fn, leaks", [(pb_mistakes.first_byte_leaky, True), (pb_mistakes.first_byte, False)])
def test_file_left_open_on_the_error_path(tmp_path, fn, leaks):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    before = open_descriptors()
    for _ in range(50):
        with pytest.raises(ValueError, match="is empty"):
            fn(str(empty))
    assert open_descriptors() - before == (50 if leaks else 0)
    (tmp_path / "one").write_bytes(b"A")
    assert fn(str(tmp_path / "one")) == 65


def test_careless_header_truncates_the_length():
    assert pb_mistakes.header_careless(70_000) == struct.pack("=IHH", 0xFFFFFFFF, 1, 70_000 - 65_536)
    assert pb_mistakes.header_checked(300) == b"\xff\xff\xff\xff\x01\x00\x2c\x01"
    with pytest.raises(ValueError, match="length 70000 does not fit in 16 bits"):
        pb_mistakes.header_checked(70_000)


BORROWED_REPRODUCER = """
import sys
import pb_mistakes
ID = "x" * 1000                              # (a constant: the code object holds it)
record = {"id": "device-" + ID}              # a new str, only the dict holds it
def apps():
    record["id"] = "replaced"                # the dict lets go of the old id: freed
    yield 1
    yield 2
record["apps"] = apps()
print(getattr(pb_mistakes, sys.argv[1])(record) == (("device-" + ID).encode(), 2))
"""


@pytest.fixture(scope="module")
def asan_mistakes(tmp_path_factory):
    """mistakes.c alone, compiled with AddressSanitizer: a use after free ends
    the child process that runs it, with ASan's report."""
    folder = tmp_path_factory.mktemp("asan")
    asan_run.build(HERE.parent / "mistakes.c", "pb_mistakes", folder)
    return folder


def test_borrowed_pointer_across_python_code_reads_freed_memory(asan_mistakes):
    careless = asan_run.run(asan_mistakes, BORROWED_REPRODUCER, "id_and_apps_careless")
    assert careless.returncode != 0
    assert "ERROR: AddressSanitizer: heap-use-after-free" in careless.stderr
    read_stack = re.search(r"READ of size 1007 .*?\n\n", careless.stderr, re.S).group()
    assert " in id_and_apps_careless " in read_stack          # our read of the id's bytes
    assert "freed by thread T0 here:" in careless.stderr      # by record["id"] = "replaced"
    right = asan_run.run(asan_mistakes, BORROWED_REPRODUCER, "id_and_apps")
    assert (right.returncode, right.stdout, right.stderr) == (0, "True\n", "")
