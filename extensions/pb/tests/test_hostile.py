"""pb against hostile callers and random structured input.

Python code that pb calls in the middle of a record -- the apps iterator, a
number's __float__, a key's __eq__ during a dict lookup, a __del__, the garbage
collector's callbacks, another thread -- may change or free what pb is reading.
Whatever it does, pb writes either what the record held when pb read it or
raises, and never reads freed memory. Hypothesis then throws random records at
the writer: it either refuses them with a clear TypeError, ValueError or
OverflowError and leaves no file, or writes a file that reads back exactly, with
pb's reader and with the protobuf package.
"""
import gc
import gzip
import math
import os
import struct
import sys
import tempfile
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pb
import pb_reference

pytestmark = pytest.mark.milestone("robustness")     # make homework's third milestone

OLD_ID, NEW_ID = "old-" + "o" * 60, "new-" + "n" * 60


def fresh(text):
    """A new str equal to `text`, which only its holder keeps alive."""
    return text[:1] + text[1:]


def churn(size):
    """Allocate and keep many strings of `size` characters: memory just freed is
    reused for them, so a writer that still read it would write their "X"s."""
    return ["X" * size for _ in range(200)]


def written_ids(path):
    """The device ids in the file, read by pb and by the protobuf package (which agree)."""
    ids = [record["device"]["id"] for record in pb.deviceapps_xread_pb(path)]
    assert [record["device"]["id"] for record in pb_reference.python_read(path)] == ids
    return ids


# ---- Python code that replaces device.id while the record is read ----

def test_apps_generator_replaces_the_id(tmp_path):
    record = {"device": {"id": fresh(OLD_ID)}}     # a str only the dict holds
    kept = []

    def apps():
        record["device"]["id"] = NEW_ID        # the old id's last reference goes
        kept.append(churn(len(OLD_ID)))
        yield 1
    record["apps"] = apps()
    pb.deviceapps_xwrite_pb([record], tmp_path / "out")
    assert written_ids(tmp_path / "out") == [OLD_ID]     # the id as pb read it, before apps


def test_apps_generator_empties_the_record(tmp_path):
    # Not only the id: the device dict itself loses its last reference.
    record = {"device": {"id": fresh(OLD_ID), "type": fresh("gaid")}}
    kept = []

    def apps():
        record.clear()
        kept.append(churn(len(OLD_ID)))
        yield 7
    record["apps"] = apps()
    pb.deviceapps_xwrite_pb([record], tmp_path / "out")
    assert list(pb.deviceapps_xread_pb(tmp_path / "out")) == [{"device": {"id": OLD_ID, "type": "gaid"}, "apps": [7]}]


def test_float_of_lat_replaces_the_id(tmp_path):
    record = {"device": {"id": fresh(OLD_ID)}}
    kept = []

    class Lat(int):                            # an int: pb accepts it and calls its __float__
        def __float__(self):
            record["device"]["id"] = NEW_ID
            kept.append(churn(len(OLD_ID)))
            return 1.5
    record["lat"] = Lat(1)
    pb.deviceapps_xwrite_pb([record], tmp_path / "out")
    assert written_ids(tmp_path / "out") == [OLD_ID]
    assert next(pb.deviceapps_xread_pb(tmp_path / "out"))["lat"] == 1.5


@pytest.mark.parametrize("where", ["record", "device"])
def test_eq_of_a_key_replaces_the_id(tmp_path, where):
    # A key with the hash of "lat" (or of "type", looked up after "id"), inserted
    # first: looking "lat" up compares the two, which calls its __eq__.
    record = {"device": {"id": fresh(OLD_ID)}}
    kept, calls, armed = [], [], []
    collides_with = "lat" if where == "record" else "type"

    class Key:
        def __hash__(self):
            return hash(collides_with)

        def __eq__(self, other):
            if armed:                          # not while the dict is being built
                calls.append(other)
                record["device"]["id"] = NEW_ID
                kept.append(churn(len(OLD_ID)))
            return False
    holder = record if where == "record" else record["device"]
    holder[Key()] = "ignored"
    holder[collides_with] = 2.5 if where == "record" else "idfa"
    armed.append(True)
    pb.deviceapps_xwrite_pb([record], tmp_path / "out")
    assert calls and set(calls) == {collides_with}     # the probe may pass the Key twice
    assert written_ids(tmp_path / "out") == [OLD_ID]


def test_del_during_the_call_replaces_the_id(tmp_path):
    record = {"device": {"id": fresh(OLD_ID)}}
    kept = []

    class Trap:
        def __del__(self):
            record["device"]["id"] = NEW_ID
            kept.append(churn(len(OLD_ID)))

    def apps():
        trap = Trap()                          # released when the generator ends: mid-record
        yield 3
        del trap
    record["apps"] = apps()
    pb.deviceapps_xwrite_pb([record], tmp_path / "out")
    assert kept and written_ids(tmp_path / "out") == [OLD_ID]


def test_gc_callback_during_the_call_replaces_the_id(tmp_path):
    records = [{"device": {"id": fresh(f"{OLD_ID}-{i}")}, "apps": iter(range(i % 5))} for i in range(200)]
    runs = []

    def callback(phase, info):
        if phase == "start":
            for i, record in enumerate(records):
                record["device"]["id"] = f"{NEW_ID}-{i}"
            runs.append(churn(len(OLD_ID) + 4))
    threshold = gc.get_threshold()
    gc.callbacks.append(callback)
    gc.set_threshold(1)                        # a collection at (nearly) every allocation
    try:
        pb.deviceapps_xwrite_pb(records, tmp_path / "out")
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*threshold)
    assert runs                                # the callback did run during the call
    for i, written in enumerate(written_ids(tmp_path / "out")):
        assert written in (f"{OLD_ID}-{i}", f"{NEW_ID}-{i}"), i


LARGEST_ID_FREED = r"""
import ctypes, sys
import pb
libc = ctypes.CDLL(None)
if hasattr(libc, "mallopt"):      # glibc: memory freed at the top of the heap goes back to the system at once
    libc.mallopt(-2, 0)           # M_TOP_PAD
    libc.mallopt(-1, 0)           # M_TRIM_THRESHOLD
record = {"device": {"id": "o" * 60_000}}     # about the largest id a record can hold
def apps():
    record["device"]["id"] = "new"            # the old id is freed, its pages unmapped
    yield 1
record["apps"] = apps()
pb.deviceapps_xwrite_pb([record], sys.argv[1])
print(next(pb.deviceapps_xread_pb(sys.argv[1]))["device"]["id"] == "o" * 60_000)
"""


def test_a_large_id_freed_mid_call_does_not_crash(tmp_path, python_child):
    # A use of the freed id reads unmapped memory here: a segfault, so in a child process.
    # (An id of 1 MB is refused before it is read: its record would exceed 65535 bytes.)
    run = python_child(LARGEST_ID_FREED, str(tmp_path / "out"))
    assert (run.ended, run.stdout, run.stderr) == ("exit code 0", "True\n", ""), run.report


# ---- exceptions raised while apps is read pass through ----

class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [KeyboardInterrupt(), MemoryError(), Boom("mine"),
                                   TypeError("the generator's own TypeError"), ValueError("its ValueError")],
                         ids=lambda error: type(error).__name__)
def test_an_exception_from_apps_passes_through_unchanged(tmp_path, error):
    def apps():
        yield 1
        raise error

    with pytest.raises(type(error)) as caught:
        pb.deviceapps_xwrite_pb([{"apps": [1]}, {"apps": apps()}], tmp_path / "out")
    assert caught.value is error
    assert caught.value.__cause__ is None
    assert os.listdir(tmp_path) == []


def test_an_exception_from_iter_passes_through_unchanged(tmp_path):
    class Apps:
        def __iter__(self):
            raise Boom("no iterator today")

    with pytest.raises(Boom, match="no iterator today"):
        pb.deviceapps_xwrite_pb([{"apps": Apps()}], tmp_path / "out")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("apps", [5, None, 1.5, object()], ids=repr)
def test_apps_of_a_wrong_type_is_still_a_type_error(tmp_path, apps):
    with pytest.raises(TypeError) as caught:
        pb.deviceapps_xwrite_pb([{}, {"apps": apps}], tmp_path / "out")
    assert str(caught.value) == f"record 1: apps must be a sequence of ints, not {type(apps).__name__}"
    assert os.listdir(tmp_path) == []


# ---- Python code mid-write, the destination, and files left behind ----

def test_an_exception_mid_write_leaves_the_old_file_and_nothing_else(tmp_path):
    path = tmp_path / "out"
    path.write_bytes(b"old")

    def records():
        for i in range(20_000):                # several flushes to the temporary file first
            yield {"device": {"id": f"{i:064x}"}, "apps": [i]}
        raise Boom("half way")
    with pytest.raises(Boom):
        pb.deviceapps_xwrite_pb(records(), path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out"]


def test_a_refused_destination_consumes_no_record(tmp_path):
    consumed = []

    def records():
        consumed.append(1)
        yield {}
    with pytest.raises(IsADirectoryError, match="a directory, not a regular file"):
        pb.deviceapps_xwrite_pb(records(), tmp_path)
    assert consumed == []


def test_writing_the_same_path_from_inside_the_records(tmp_path):
    path = tmp_path / "out"

    def records():
        yield {"apps": [1]}
        pb.deviceapps_xwrite_pb([{"apps": [2]}], path)       # re-entered: a call of its own
        yield {"apps": [3]}
    pb.deviceapps_xwrite_pb(records(), path)
    assert list(pb.deviceapps_xread_pb(path)) == [{"apps": [1]}, {"apps": [3]}]      # the outer call's
    assert os.listdir(tmp_path) == ["out"]


# ---- threads ----

def test_two_threads_share_one_reader(tmp_path):
    records = [{"device": {"id": f"{i:08d}"}, "apps": list(range(i % 30))} for i in range(5_000)]
    pb.deviceapps_xwrite_pb(records, tmp_path / "in")
    reader = pb.deviceapps_xread_pb(tmp_path / "in")
    seen = [[], []]

    def read(mine):
        while True:
            try:
                mine.append(next(reader)["device"]["id"])
            except RuntimeError as error:            # the other thread is reading: try again
                assert str(error) == ("this reader is already running (in another thread, "
                                      "or next() was called again by code that ran during next())")
            except StopIteration:
                return
    threads = [threading.Thread(target=read, args=(mine,)) for mine in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each record exactly once, each thread's share in file order.
    assert sorted(seen[0] + seen[1]) == [record["device"]["id"] for record in records]
    assert all(mine == sorted(mine) for mine in seen)


def test_a_reader_never_sees_half_a_file_while_a_thread_replaces_it(tmp_path):
    path = tmp_path / "data"
    versions = [[{"device": {"id": f"v{v}-{i}"}, "apps": [v]} for i in range(3000)] for v in range(2)]
    pb.deviceapps_xwrite_pb(versions[0], path)
    done, failures = threading.Event(), []

    def replace():
        try:
            for n in range(30):
                pb.deviceapps_xwrite_pb(versions[n % 2], path)
        except BaseException as error:
            failures.append(error)
        finally:
            done.set()
    writer = threading.Thread(target=replace)
    writer.start()
    reads = 0
    while not done.is_set() or reads == 0:
        assert list(pb.deviceapps_xread_pb(path)) in versions
        reads += 1
    writer.join()
    assert failures == []
    assert os.listdir(tmp_path) == ["data"]


def test_two_writers_pulling_from_one_generator(tmp_path):
    # Either both take turns with the generator, or one finds it running in the
    # other thread: Python's ValueError passes through. No temporary file stays.
    started = threading.Event()

    def records():
        started.set()
        for i in range(200_000):
            yield {"apps": [i]}
    shared = records()
    results = {}

    def write(name):
        try:
            results[name] = pb.deviceapps_xwrite_pb(shared, tmp_path / name)
        except BaseException as error:        # checked below, not lost in the thread
            results[name] = error
    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert started.is_set()
    kinds = sorted(type(result).__name__ for result in results.values())
    assert kinds in (["int", "int"], ["ValueError", "int"])
    for name, result in results.items():
        if isinstance(result, ValueError):
            assert str(result) == "generator already executing"
            assert not (tmp_path / name).exists()
    assert sorted(os.listdir(tmp_path)) == sorted(name for name, result in results.items()
                                                  if isinstance(result, int))


# ---- random structured records ----

def wrong_values():
    return st.one_of(st.none(), st.booleans(), st.binary(max_size=3), st.text(max_size=3),
                     st.lists(st.integers(-3, 3), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
                     st.tuples(st.integers(0, 5)), st.just(object()), st.complex_numbers(max_magnitude=2))


# Values pb must accept ...
good_texts = st.one_of(st.text(max_size=30), st.text(alphabet="ab\x00é€😀", max_size=30),   # NULs, multi-byte UTF-8
                       st.text(max_size=30).map(str.encode))                               # bytes that are UTF-8
good_numbers = st.one_of(st.floats(), st.integers(-2**1000, 2**1000), st.booleans(),      # nan and inf included
                         st.sampled_from([math.nan, -math.nan, math.inf, -math.inf, -0.0, 5e-324,
                                          1.7976931348623157e308]))
good_apps = st.one_of(st.lists(st.integers(0, 2**32 - 1), max_size=40),
                      st.lists(st.one_of(st.integers(0, 9), st.booleans()), max_size=5).map(tuple))
good_records = st.fixed_dictionaries({}, optional={
    "device": st.fixed_dictionaries({}, optional={"id": good_texts, "type": good_texts, "other": wrong_values()}),
    "lat": good_numbers, "lon": good_numbers, "apps": good_apps, "unknown": wrong_values()})

# ... and, for one place in a record, values it must refuse (or that only look wrong).
bad_texts = st.one_of(
    st.tuples(st.text(max_size=5), st.integers(0xD800, 0xDFFF).map(chr)).map("".join),  # a lone surrogate
    st.text(st.characters(exclude_categories=()), max_size=30),                        # any code point
    st.tuples(st.binary(max_size=8), st.binary(max_size=8)).map(lambda parts: parts[0] + b"\xff" + parts[1]),
    st.binary(max_size=30),                                                            # UTF-8 or not
    st.just("x" * 70_000),                                                             # too large a record
    wrong_values())
bad_numbers = st.one_of(st.integers(), st.integers(min_value=2**1020, max_value=2**1030), wrong_values())
bad_apps = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=5),                                   # out of range
    st.lists(st.one_of(st.integers(0, 9), wrong_values()), min_size=1, max_size=4),    # not ints
    st.lists(st.lists(st.integers(0, 9), max_size=2), min_size=1, max_size=3),         # nested
    st.just([2**32 - 1] * 10_923),                                                     # one app too many
    wrong_values())
BAD = {"record": wrong_values(), "device": wrong_values(), "id": bad_texts, "type": bad_texts,
       "lat": bad_numbers, "lon": bad_numbers, "apps": bad_apps}


@st.composite
def spoiled_records(draw):
    """A good record with one value replaced by a bad one."""
    record, where = draw(good_records), draw(st.sampled_from(sorted(BAD)))
    value = draw(BAD[where])
    if where == "record":
        return value
    if where in ("id", "type"):
        record["device"] = {**record.get("device", {}), where: value}
    else:
        record[where] = value
    return record


record_lists = st.lists(st.one_of(good_records, spoiled_records()), max_size=5)


def expected_outcome(records, deviceapps_pb2):
    """What pb must do with `records`, worked out in Python from its documented rules:
    (exception type, a part of its message) for the first bad value, else
    (None, the dicts the reader gives back, the packed messages)."""
    dicts, messages = [], []
    for index, record in enumerate(records):
        where = f"record {index}: "
        if not isinstance(record, dict):
            return TypeError, f"{where}expected a dict, not {type(record).__name__}"
        message, back = deviceapps_pb2.DeviceApps(), {}
        if "device" in record:
            device = record["device"]
            if not isinstance(device, dict):
                return TypeError, f"{where}device must be a dict, not {type(device).__name__}"
            message.device.SetInParent()
            back["device"] = {}
            for name in ("id", "type"):
                if name not in device:
                    continue
                value = device[name]
                if isinstance(value, str):
                    try:
                        value = value.encode()
                    except UnicodeEncodeError:
                        return UnicodeEncodeError, "surrogates not allowed"
                elif isinstance(value, bytes):
                    try:
                        value.decode()
                    except UnicodeDecodeError:
                        return ValueError, f"{where}device.{name} is bytes that are not UTF-8"
                else:
                    return TypeError, f"{where}device.{name} must be str or bytes, not {type(value).__name__}"
                setattr(message.device, name, value)
                back["device"][name] = value.decode()
        for name in ("lat", "lon"):
            if name in record:
                value = record[name]
                if not isinstance(value, (int, float)):
                    return TypeError, f"{where}{name} must be int or float, not {type(value).__name__}"
                try:
                    value = float(value)
                except OverflowError:
                    return OverflowError, "int too large to convert to float"
                setattr(message, name, value)
                back[name] = value
        back["apps"] = []
        if "apps" in record:
            apps = record["apps"]
            if isinstance(apps, (str, bytes, dict)) or not hasattr(apps, "__iter__"):
                return TypeError, f"{where}apps must be a sequence of ints, not {type(apps).__name__}"
            for i, app in enumerate(apps):
                if not isinstance(app, int):
                    return TypeError, f"{where}apps[{i}] must be int, not {type(app).__name__}"
                if not 0 <= app <= 2**32 - 1:
                    return ValueError, f"{where}apps[{i}] = {app!r} is out of range 0..4294967295"
                back["apps"].append(int(app))
            message.apps.extend(back["apps"])
        packed = message.SerializeToString()
        if len(packed) > 65535:
            return ValueError, f"{where}packed message is {len(packed)} bytes"
        dicts.append(back)
        messages.append(packed)
    return None, dicts, messages


def bits(value):
    """Records with every float as its 8 bytes: NaN equals itself, -0.0 differs from 0.0."""
    if isinstance(value, float):
        return struct.pack("<d", value)
    if isinstance(value, dict):
        return {key: bits(item) for key, item in value.items()}
    if isinstance(value, list):
        return [bits(item) for item in value]
    return value


@pytest.mark.time_limit(30)         # make homework: Hypothesis shrinking a student's failure takes a while
@given(record_lists)
def test_random_records_are_refused_cleanly_or_round_trip(deviceapps_pb2, records):
    expected = expected_outcome(records, deviceapps_pb2)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "r.pb.gz")
        if expected[0] is not None:
            with pytest.raises(expected[0]) as caught:
                pb.deviceapps_xwrite_pb(records, path)
            assert expected[1] in str(caught.value)
            assert os.listdir(folder) == []
            return
        _, dicts, messages = expected
        written = pb.deviceapps_xwrite_pb(records, path)
        with open(path, "rb") as file:
            raw = gzip.decompress(file.read())
        assert written == len(raw) == sum(8 + len(message) for message in messages)
        offset = 0
        for message in messages:      # byte for byte what the protobuf package packs
            assert raw[offset:offset + 8] == struct.pack("<IHH", 0xFFFFFFFF, 1, len(message))
            assert raw[offset + 8:offset + 8 + len(message)] == message
            offset += 8 + len(message)
        assert bits(list(pb.deviceapps_xread_pb(path))) == bits(dicts)
        assert bits(list(pb_reference.python_read(path))) == bits(dicts)
        assert os.listdir(folder) == ["r.pb.gz"]


# ---- memory ----

def test_hostile_calls_do_not_grow_memory(tmp_path, memory_growth):
    def apps():
        yield 1
        raise Boom()

    def calls(n):
        for _ in range(n):
            for records, path in (([{"device": {"id": b"\xff"}}], tmp_path / "out"), ([{"apps": apps()}], tmp_path / "out"),
                                  ([{"device": {"id": "\udc80"}}], tmp_path / "out"), ([{"lat": 2**2000}], tmp_path / "out"),
                                  ([], tmp_path)):
                try:
                    pb.deviceapps_xwrite_pb(records, path)
                except (ValueError, OverflowError, Boom, IsADirectoryError):
                    pass
            for path in (tmp_path, tmp_path / "missing"):
                try:
                    pb.deviceapps_xread_pb(path)
                except OSError:
                    pass
    grown = memory_growth(lambda: calls(2000), warm_up=lambda: calls(50)).traced
    assert grown < 10_000, f"{grown} bytes more after 2,000 rounds"
    assert os.listdir(tmp_path) == []


# ---- what zlib reads besides gzip (found by make fuzz) ----

def raw_records(records, tmp_path):
    """The uncompressed bytes pb would write for `records`."""
    path = tmp_path / "raw.gz"
    pb.deviceapps_xwrite_pb(records, path, compresslevel=0)
    return gzip.decompress(path.read_bytes())


def test_a_file_that_is_not_gzip_is_refused(tmp_path):
    """zlib reads a file without gzip's magic bytes as it is ("transparent"
    mode): a file of raw records was read as if it were the format."""
    path = tmp_path / "raw.pb"
    path.write_bytes(raw_records(pb_reference.make_records(3), tmp_path))
    with pytest.raises(pb.Error, match=r"not a gzip file \(gzip starts with the bytes 1f 8b\)"):
        list(pb.deviceapps_xread_pb(path))


def test_an_empty_file_has_no_records(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    assert list(pb.deviceapps_xread_pb(tmp_path / "empty")) == []


def test_what_follows_a_member_is_read_as_zlib_reads_it(tmp_path):
    """Several members are one stream (gzip's rule); after a member, bytes that do
    not start another one are ignored, as zlib and gzip(1) ignore them. (Python's
    gzip module skips zero bytes there and reads on.)"""
    first, second = pb_reference.make_records(2, seed=1), pb_reference.make_records(2, seed=2)
    one = gzip.compress(raw_records(first, tmp_path))
    two = gzip.compress(raw_records(second, tmp_path))
    path = tmp_path / "members.gz"
    path.write_bytes(one + two)
    assert list(pb.deviceapps_xread_pb(path)) == first + second
    path.write_bytes(one + b"\0" * 4 + two)
    assert list(pb.deviceapps_xread_pb(path)) == first


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="from 3.12 the collector runs between bytecodes, "
                    "so its callbacks fire after next() returned, where a second next() is legitimate")
def test_next_reentered_by_the_collector_is_refused(tmp_path):
    """Building a record's dict allocates; on 3.11 an allocation may run the
    collector, whose callbacks may call next() on the same reader. Each record
    still comes out once, in order, and every inner call is refused."""
    records = pb_reference.make_records(300, apps_per_record=3)
    pb.deviceapps_xwrite_pb(records, tmp_path / "in")
    reader = pb.deviceapps_xread_pb(tmp_path / "in")
    inside, got, refused = [False], [], []

    def callback(phase, info):
        if phase == "start" and inside[0]:
            try:
                got.append(next(reader))
            except StopIteration:
                pass
            except RuntimeError as error:
                refused.append(str(error))
    gc.callbacks.append(callback)
    thresholds = gc.get_threshold()
    gc.set_threshold(1)
    try:
        while True:
            inside[0] = True
            try:
                record = next(reader)
            except StopIteration:
                break
            finally:
                inside[0] = False
            got.append(record)
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(callback)
    assert got == records
    assert refused and set(refused) == {"this reader is already running (in another thread, "
                                            "or next() was called again by code that ran during next())"}


# ---- Ctrl-C during a long write ----

def test_ctrl_c_stops_a_long_write(tmp_path, ctrl_c):
    """A list of 400,000 records (1,000 different ones, repeated): about 2 s of
    writing at gzip level 6, with no Python code run between records. Ctrl-C
    0.3 s in raises KeyboardInterrupt within half a second (before: once every
    record was written), the destination keeps its old content and no temporary
    file is left."""
    out = tmp_path / "out.pb.gz"
    out.write_bytes(b"the old file")
    (what, seconds), after = ctrl_c(
        setup="import pb, pb_reference\nrecords = pb_reference.make_records(1000) * 400",
        call=f"pb.deviceapps_xwrite_pb(records, {str(out)!r})",
        then=f"print(pb.deviceapps_xwrite_pb(records[:3], {str(tmp_path / 'small.pb.gz')!r}))")
    assert what == "KeyboardInterrupt" and seconds < 0.5, (what, seconds)
    assert out.read_bytes() == b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pb.gz", "small.pb.gz"]
    assert int(after[0]) > 0                # the module still writes
