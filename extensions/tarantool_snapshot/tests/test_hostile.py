"""tarantool_snapshot against hostile files and callers: next() re-entered by
code the collector runs mid-decode or by a second thread, block lengths and
sizes past the file or past MAX_BLOCK_SIZE, every MessagePack count, and
Hypothesis structured fuzzers checked against snapshot_reference.

A reproducer that could crash the interpreter (or hang it with the GIL
released) runs in a subprocess: a regression then fails its test, not pytest.
"""
import gc
import json
import os
import pathlib
import sys
import textwrap

import msgpack
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import snapshot_reference as ref
import tarantool_snapshot
from tarantool_snapshot import SnapshotError

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
HEADER_TEXT = ref.HEADER_TEXT
BLOCKS_START = len(HEADER_TEXT)
MiB = 1 << 20
REENTERED = ("this snapshot iterator is already running (in another thread, or next() was "
             "called again by code that ran during next(), such as a __del__)")
CANNOT_CLOSE = ("cannot close: the iterator is running (in another thread, or close() was "
                "called by code that ran during next())")
# Before 3.12 the collector runs inside the allocation that triggers it, so in
# the middle of decoding a row; from 3.12 it waits for the next bytecode.
COLLECTOR_RUNS_MID_CALL = sys.version_info < (3, 12)


# ---- writing snapshots by hand: snapshot_reference's writers ----

fixed_header, block, snapshot_of = ref.fixed_header, ref.block, ref.snapshot_of
row, insert, zstd_frame = ref.row, ref.insert, ref.zstd_frame


def first_row(total):
    """An INSERT row of a length with total's parity, so that the 0x80 fill
    after it is whole rows."""
    fields = [1, "a"]
    if (len(insert(512, fields)) - total) % 2:
        fields = [1, "ab"]
    return insert(512, fields), (512, fields)


@pytest.fixture
def run_script(python_child):
    """run_script(code, timeout=120): run `code` in a fresh interpreter that
    imports this file's helpers; return what its last line of output holds
    (JSON). A crash or a hang fails the test with the child's stderr."""
    def run(code, timeout=120):
        script = (f"import sys; sys.path[:0] = [{str(HERE)!r}]\n"
                  "from test_hostile import *\n" + textwrap.dedent(code))
        done = python_child(script, timeout=timeout, cwd=str(ROOT))
        assert done.returncode == 0, done.report
        return json.loads(done.stdout.strip().splitlines()[-1])
    return run


def write(tmp_path, data, name="test.snap"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---- 1. next() re-entered while it decodes ----

def many_rows_snapshot(path, blocks=6, rows_per_block=40, big=0, lists=30):
    """Rows [n, text, [[0], [1], ...]] in plain and zstd blocks of growing size:
    decoding a row allocates many lists, so a collector set to run often runs
    in the middle of it. `big` makes each row that many bytes longer."""
    parts, n = [], 0
    for b in range(blocks):
        rows = []
        for _ in range(rows_per_block):
            rows.append(insert(512, [n, "s" * (big * (b + 1) + n % 7),
                                     [[j] for j in range(lists + n % 5)]]))
            n += 1
        payload = b"".join(rows)
        if b % 2:
            parts.append((ref.ZSTD_MAGIC, zstandard.ZstdCompressor().compress(payload)))
        else:
            parts.append((ref.PLAIN_MAGIC, payload))
    pathlib.Path(path).write_bytes(snapshot_of(*parts))
    return n


def collector_reentry(path, how, big, call="next"):
    """In the subprocess: iterate while the collector runs after almost every
    allocation and calls next() (or close()) on the same iterator, from a
    gc.callbacks function or from the __del__ of objects in cycles."""
    if big > 1000:
        # Few rows a block, each long to decode: calls made during one of them
        # go on to the next block, which is read into a reallocated buffer.
        n = many_rows_snapshot(path, blocks=8, rows_per_block=2, big=big, lists=300)
    else:
        n = many_rows_snapshot(path, big=big)
    it = tarantool_snapshot.iter(path)
    order, errors, kept, others = [], [], [], []
    inside = [False]                    # the main loop is in next(), not between rows

    def reenter():
        if not inside[0]:
            return
        try:
            result = next(it) if call == "next" else it.close()
        except StopIteration:
            return                      # the StopIteration that ends the loop being made
        except RuntimeError as error:
            errors.append(str(error))
        except BaseException as error:
            others.append(repr(error))
        else:
            if not (call == "close" and len(order) == n):   # (closing once all is read: fine)
                others.append(repr(result)[:200])

    class Reenters:
        def __init__(self):
            self.me = self              # a cycle: only the collector frees it

        def __del__(self):
            reenter()

    def callback(phase, info):
        if phase == "start":
            reenter()
    if how == "callback":
        gc.callbacks.append(callback)
    gc.collect()
    gc.set_threshold(1)
    try:
        while True:
            inside[0] = True
            try:
                got = next(it)
            except StopIteration:
                break
            finally:
                inside[0] = False
            kept.append(got)            # kept: the lists are new allocations, not reused ones
            order.append(got[1][0])
            if how == "del":
                for _ in range(3):
                    Reenters()
    finally:
        gc.set_threshold(700, 10, 10)
        if how == "callback":
            gc.callbacks.remove(callback)
    fields_ok = all(r[0] == 512 and r[1][1].startswith("s" * big) and len(r[1]) == 3
                    for r in kept)
    return {"n": n, "order": order, "errors": sorted(set(errors)), "reentered": len(errors),
            "fields_ok": fields_ok, "others": others}


@pytest.mark.skipif(not COLLECTOR_RUNS_MID_CALL, reason="from 3.12 the collector runs between bytecodes, "
                    "so its callbacks fire after next() returned, where a second next() is legitimate")
@pytest.mark.parametrize("how", ["callback", "del"])
@pytest.mark.parametrize("big", [0, 200_000], ids=["small-rows", "large-rows"])
def test_next_reentered_by_the_collector(run_script, tmp_path, how, big):
    """Rows come out once each, in file order, and a call made during another
    one raises RuntimeError. (Before the fix: rows twice, rows decoded from a
    replaced buffer, SnapshotError on a valid file or a crash with large rows.)"""
    result = run_script(f"""
        import json
        print(json.dumps(collector_reentry({str(tmp_path / 'r.snap')!r}, {how!r}, {big})))
    """)
    assert result["order"] == list(range(result["n"]))
    assert result["fields_ok"]
    assert result["others"] == []       # every call made during next() was refused
    assert result["errors"] in ([REENTERED], [])
    if COLLECTOR_RUNS_MID_CALL:
        assert result["reentered"] > 0, "the collector never ran during next()"


@pytest.mark.skipif(not COLLECTOR_RUNS_MID_CALL, reason="from 3.12 the collector runs between bytecodes, "
                    "so its callbacks fire after next() returned, where a second next() is legitimate")
@pytest.mark.parametrize("how", ["callback", "del"])
def test_close_called_by_the_collector(run_script, tmp_path, how):
    """close() from code run during next() is refused, and the iteration goes
    on to the end. (Before: the iterator closed under the row being decoded.)"""
    result = run_script(f"""
        import json
        print(json.dumps(collector_reentry({str(tmp_path / 'c.snap')!r}, {how!r}, 1000,
                                           call="close")))
    """)
    assert result["order"] == list(range(result["n"]))
    assert result["fields_ok"]
    assert result["others"] == []
    assert result["errors"] in ([CANNOT_CLOSE], [])
    if COLLECTOR_RUNS_MID_CALL:
        assert result["reentered"] > 0, "the collector never ran during next()"


def threads_share(path, meetings=40):
    """In the subprocess: thread A iterates; when the collector runs in the
    middle of one of A's next() calls, it wakes thread B, which calls next() on
    the same iterator, and waits until B's call has returned: the two threads
    meet inside next() for certain, `meetings` times. B is woken at no other
    time, so every row it gets is one it should not have."""
    import threading
    n = many_rows_snapshot(path, blocks=4, rows_per_block=60)
    it = tarantool_snapshot.iter(path)
    got = {"A": [], "B": []}
    errors, kept, others = [], [], []
    inside = [False]                    # A is in next()
    ask, answered, finished = threading.Event(), threading.Event(), threading.Event()
    met = [0]

    def callback(phase, info):
        if (phase == "start" and inside[0] and met[0] < meetings
                and threading.current_thread() is thread_a):
            met[0] += 1
            answered.clear()
            ask.set()
            answered.wait(10)

    def take(name):
        try:
            result = next(it)
        except StopIteration:
            return
        except RuntimeError as error:
            errors.append(str(error))
            return
        except BaseException as error:
            others.append(repr(error))
            return
        kept.append(result)
        got[name].append(result[1][0])

    def a():
        while True:
            inside[0] = True
            try:
                result = next(it)
            except StopIteration:
                break
            finally:
                inside[0] = False
            kept.append(result)     # kept: later rows are new allocations, not reused ones
            got["A"].append(result[1][0])
        finished.set()
        ask.set()

    def b():
        while True:
            ask.wait(10)
            ask.clear()
            if finished.is_set():
                return
            take("B")
            answered.set()
    thread_a, thread_b = threading.Thread(target=a), threading.Thread(target=b)
    gc.collect()
    gc.callbacks.append(callback)
    gc.set_threshold(1)
    try:
        thread_b.start()
        thread_a.start()
        thread_a.join()
        thread_b.join()
    finally:
        gc.set_threshold(700, 10, 10)
        gc.callbacks.remove(callback)
    return {"n": n, "got": got, "errors": sorted(set(errors)), "refused": len(errors),
            "met": met[0], "others": others}


@pytest.mark.skipif(not COLLECTOR_RUNS_MID_CALL, reason="from 3.12 the collector runs between bytecodes, "
                    "so its callbacks fire after next() returned, where a second next() is legitimate")
def test_two_threads_share_one_iterator(run_script, tmp_path):
    """Every row exactly once over both threads, in file order; a thread that
    calls next() while the other is inside it gets RuntimeError. (Before the
    fix: the row being decoded in both threads, or rows decoded from a buffer
    the other thread replaced.)"""
    result = run_script(f"""
        import json
        print(json.dumps(threads_share({str(tmp_path / 't.snap')!r})))
    """)
    assert sorted(result["got"]["A"] + result["got"]["B"]) == list(range(result["n"]))
    assert result["got"]["B"] == []     # B was only ever woken inside A's next()
    assert result["got"]["A"] == list(range(result["n"]))
    assert result["others"] == []
    assert result["errors"] in ([REENTERED], [])
    assert result["refused"] == result["met"]
    if COLLECTOR_RUNS_MID_CALL:
        assert result["met"] > 0, "the collector never ran during next()"


def test_two_threads_iterate_freely(tmp_path):
    """Without help from the collector: threads meet while one reads a block
    with the GIL released. Every row once, each thread's in file order."""
    import threading
    blocks = []
    for b in range(8):
        payload = b"".join(insert(512, [b * 500 + i, "x" * 200]) for i in range(500))
        if b % 2:
            blocks.append((ref.PLAIN_MAGIC, payload))
        else:
            blocks.append((ref.ZSTD_MAGIC, zstandard.ZstdCompressor().compress(payload)))
    path = write(tmp_path, snapshot_of(*blocks))
    it = tarantool_snapshot.iter(path)
    got, errors = [[], [], []], []

    def work(i):
        while True:
            try:
                got[i].append(next(it)[1][0])
            except StopIteration:
                return
            except RuntimeError as error:
                errors.append(str(error))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got[0] + got[1] + got[2]) == list(range(4000))
    assert all(rows == sorted(rows) for rows in got)
    assert set(errors) <= {REENTERED}


def test_space_id_2_64_minus_1(tmp_path):
    """Any uint64 is a valid space id: the largest was taken for "no space id"
    (found by test_any_rows_match_the_reference)."""
    path = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, insert(2 ** 64 - 1, [1]))))
    assert list(tarantool_snapshot.iter(path)) == [(2 ** 64 - 1, [1])]
    missing = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, row(b"\x81\x21\x91\x01"))), "m.snap")
    with pytest.raises(SnapshotError, match="an INSERT row without a space id or a tuple"):
        list(tarantool_snapshot.iter(missing))


def test_close_while_not_running_still_works(tmp_path):
    path = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, insert(512, [1]) + insert(512, [2]))))
    it = tarantool_snapshot.iter(path)
    assert next(it) == (512, [1])
    it.close()
    assert list(it) == []


# ---- 2. a block length of 2**63 or more ----

@pytest.mark.parametrize("length", [2 ** 63, 2 ** 63 + 1, 2 ** 64 - 1])
def test_block_length_past_2_63_is_truncation_not_a_hang(run_script, tmp_path, length):
    """Read as a signed number such a length passed the check against the file
    and grow() doubled its buffer size to 0 forever, the GIL released."""
    path = write(tmp_path, HEADER_TEXT + fixed_header(ref.PLAIN_MAGIC, length, 0) + ref.END_MAGIC)
    # Still reading after 20 s is that hang: the test fails, with where the child was.
    result = run_script(f"""
        import json
        try:
            list(tarantool_snapshot.iter({str(path)!r}))
            print(json.dumps("no error"))
        except SnapshotError as error:
            print(json.dumps([str(error), error.offset]))
    """, timeout=20)
    assert result == [f"{path}: truncated block: {length} bytes announced, 4 in the file "
                      f"(offset {BLOCKS_START})", BLOCKS_START]


# ---- 3. the block size limit, stored and decompressed ----

LIMIT = 2 ** 31                 # the documented limit (the old module did not export it)


def test_limit_is_a_module_constant():
    assert tarantool_snapshot.MAX_BLOCK_SIZE == LIMIT


def first_row_and_peak_rss(path, **kwargs):
    """In a subprocess: next() once; the row or the error, and how much the peak
    RSS grew during the call (the interpreter's own peak comes first: under
    AddressSanitizer it is several hundred MiB)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        outcome = repr(next(tarantool_snapshot.iter(path, **kwargs)))
    except SnapshotError as error:
        outcome = str(error)
    return [outcome, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024]


def peak_rss_script(path, **kwargs):
    return f"""
        import json
        print(json.dumps(first_row_and_peak_rss({str(path)!r}, **{kwargs!r})))
    """


def test_stated_size_over_the_limit_is_refused_before_inflating(run_script, tmp_path):
    """At the real limit: a 64 KiB block whose frame says (truthfully) that it
    inflates to 2 GiB + 1 byte. Refused from the frame header: nothing inflated,
    no memory taken. (Before: inflated and accepted, 2 GiB resident.)"""
    limit = LIMIT
    prefix, _ = first_row(limit + 1)
    frame = zstd_frame(prefix, limit + 1, stated=limit + 1)
    assert len(frame) < 70_000
    path = write(tmp_path, snapshot_of((ref.ZSTD_MAGIC, frame)))
    outcome, peak = run_script(peak_rss_script(path))
    assert outcome == (f"{path}: a block decompresses to {limit + 1} bytes, more than the limit "
                       f"of {limit} bytes (max_block_size) (offset {BLOCKS_START})"), \
        f"peak RSS grew by {peak / MiB:.0f} MiB"
    assert peak < 256 * MiB, f"peak RSS grew by {peak / MiB:.0f} MiB"


def test_stored_block_over_the_limit_is_refused_before_reading(run_script, tmp_path):
    """At the real limit: a (sparse) file with a plain block of 2 GiB + 1 byte.
    (Before: 2 GiB read into memory, then a checksum mismatch.)"""
    limit = LIMIT
    path = tmp_path / "sparse.snap"
    with open(path, "wb") as f:
        f.write(HEADER_TEXT + fixed_header(ref.PLAIN_MAGIC, limit + 1, 0))
        f.truncate(BLOCKS_START + ref.FIXED_HEADER_SIZE + limit + 1)
        f.seek(0, os.SEEK_END)
        f.write(ref.END_MAGIC)
    outcome, peak = run_script(peak_rss_script(path))
    assert outcome == (f"{path}: a block of {limit + 1} bytes is larger than the limit of "
                       f"{limit} bytes (max_block_size) (offset {BLOCKS_START})"), \
        f"peak RSS grew by {peak / MiB:.0f} MiB"
    assert peak < 256 * MiB, f"peak RSS grew by {peak / MiB:.0f} MiB"


def test_streamed_size_over_the_limit_stops_at_the_limit(run_script, tmp_path):
    """A frame that does not state its size is inflated up to the limit and no
    further: 1 GiB of rows under a 64 MiB limit keeps the process small."""
    limit = 64 * MiB
    prefix, _ = first_row(1 << 30)
    path = write(tmp_path, snapshot_of((ref.ZSTD_MAGIC, zstd_frame(prefix, 1 << 30))))
    outcome, peak = run_script(peak_rss_script(path, max_block_size=limit))
    assert outcome == (f"{path}: a block decompresses to more than the limit of {limit} bytes "
                       f"(max_block_size) (offset {BLOCKS_START})")
    # About the limit itself (64 MiB); AddressSanitizer keeps the buffers realloc()
    # left behind in its quarantine, about as much again: far from the 1 GiB.
    assert peak < 4 * limit, f"peak RSS grew by {peak / MiB:.0f} MiB"


@pytest.mark.parametrize("stated", [False, True], ids=["streamed", "stated"])
def test_zstd_block_at_and_past_a_limit(tmp_path, stated):
    limit = MiB
    for total, fits in ((limit, True), (limit + 1, False), (limit + 2, False)):
        prefix, first = first_row(total)
        frame = zstd_frame(prefix, total, stated=total if stated else None)
        path = write(tmp_path, snapshot_of((ref.ZSTD_MAGIC, frame),
                                           (ref.PLAIN_MAGIC, insert(513, [2]))))
        it = tarantool_snapshot.iter(path, max_block_size=limit)
        if fits:
            assert list(it) == [first, (513, [2])]
            continue
        with pytest.raises(SnapshotError) as caught:
            next(it)
        size = f"to {total} bytes, more than the limit" if stated else "to more than the limit"
        assert str(caught.value) == (f"{path}: a block decompresses {size} of {limit} bytes "
                                     f"(max_block_size) (offset {BLOCKS_START})")
        assert list(it) == []


@pytest.mark.parametrize("magic", [ref.PLAIN_MAGIC, ref.ZSTD_MAGIC], ids=["plain", "zstd"])
def test_stored_block_at_and_past_a_limit(tmp_path, magic):
    payload = insert(512, ["x" * 1000])
    if magic == ref.ZSTD_MAGIC:
        payload = zstandard.ZstdCompressor(level=1).compress(payload)
    path = write(tmp_path, snapshot_of((magic, payload)))
    assert list(tarantool_snapshot.iter(path, max_block_size=max(len(payload), 1100))) == \
        [(512, ["x" * 1000])]
    with pytest.raises(SnapshotError) as caught:
        list(tarantool_snapshot.iter(path, max_block_size=len(payload) - 1))
    assert str(caught.value) == (f"{path}: a block of {len(payload)} bytes is larger than the "
                                 f"limit of {len(payload) - 1} bytes (max_block_size) "
                                 f"(offset {BLOCKS_START})")


def test_zstd_frame_stating_less_than_it_holds(tmp_path):
    """A stated size is only believed when it refuses: a frame that says 100 bytes
    and holds 4 MiB is stopped by zstd, and never passes the limit."""
    prefix, _ = first_row(4 * MiB)
    path = write(tmp_path, snapshot_of((ref.ZSTD_MAGIC, zstd_frame(prefix, 4 * MiB, stated=100))))
    with pytest.raises(SnapshotError) as caught:
        list(tarantool_snapshot.iter(path, max_block_size=MiB))
    assert str(caught.value).startswith(f"{path}: corrupt zstd frame (")


def test_zstd_window_too_large(tmp_path):
    """Audit: the window a frame asks for is memory too; zstd's default limit
    (128 MiB) refuses a 2 GiB one before allocating it."""
    frame = b"\x28\xb5\x2f\xfd\x00" + bytes([(31 - 10) << 3]) + b"\x01\x00\x00"
    path = write(tmp_path, snapshot_of((ref.ZSTD_MAGIC, frame)))
    with pytest.raises(SnapshotError) as caught:
        list(tarantool_snapshot.iter(path))
    assert str(caught.value) == (f"{path}: corrupt zstd frame (Frame requires too much memory "
                                 f"for decoding) (offset {BLOCKS_START})")


@pytest.mark.parametrize("value, error, message", [
    (0, ValueError, "max_block_size must be from 1 to MAX_BLOCK_SIZE (2147483648), not 0"),
    (-1, ValueError, "max_block_size must be from 1 to MAX_BLOCK_SIZE (2147483648), not -1"),
    (2 ** 31 + 1, ValueError,
     "max_block_size must be from 1 to MAX_BLOCK_SIZE (2147483648), not 2147483649"),
    (2 ** 64, ValueError,
     "max_block_size must be from 1 to MAX_BLOCK_SIZE (2147483648), not 18446744073709551616"),
    (1.5, TypeError, "max_block_size must be an int, not float"),
    ("1", TypeError, "max_block_size must be an int, not str"),
])
def test_max_block_size_argument(value, error, message):
    with pytest.raises(error) as caught:
        tarantool_snapshot.iter(ref.FIXTURE, max_block_size=value)
    assert str(caught.value) == message


def test_max_block_size_is_keyword_only():
    with pytest.raises(TypeError):
        tarantool_snapshot.iter(ref.FIXTURE, 2 ** 20)


# ---- every MessagePack count is checked against what is left ----

T = len(insert(512, []))        # where a tuple starts; an INSERT row of [] is T + 1 bytes


def body_with(key, value_bytes):
    """An INSERT body with one more key, whose value is skipped, before the tuple."""
    return row(b"\x83" + msgpack.packb(key) + value_bytes + b"\x10\xcd\x02\x00\x21\x90")


H = len(msgpack.packb({0: 2, 3: 1}))


@pytest.mark.parametrize("rows, message, at", [
    # a skipped value: an array or map that claims more items than the block holds
    (body_with(0x22, b"\xdd\xff\xff\xff\xff\x01"), "array longer than its block", H + 7),
    (body_with(0x22, b"\xdf\x7f\xff\xff\xff\x01"), "map longer than its block", H + 7),
    (body_with(0x22, b"\xdc\x01\x00\x01"), "array longer than its block", H + 5),
    (body_with(0x22, b"\x9f\x01"), "array longer than its block", H + 3),
    (body_with(0x22, b"\x8f\x01\x02"), "map longer than its block", H + 3),
    (b"\x82\x00\x02\x03\xdd\x7f\xff\xff\xff" + b"\x81\x10\x01", "array longer than its block", 9),
    # a row's header or body map that claims more entries than the block holds
    (b"\xde\xff\xff\x00\x02", "map longer than its block", 3),
    (b"\xdf\x00\x01\x00\x00\x00\x02", "map longer than its block", 5),
    (b"\x8f\x00\x02", "map longer than its block", 1),
    (msgpack.packb({0: 2}) + b"\xdf\x10\x00\x00\x00\x10\x01", "map longer than its block", 8),
])
def test_counts_longer_than_the_block(tmp_path, rows, message, at):
    """Refused where the count is read (before: "truncated row" after stepping
    through the rest of the block)."""
    path = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, rows)))
    with pytest.raises(SnapshotError) as caught:
        list(tarantool_snapshot.iter(path))
    where = BLOCKS_START + ref.FIXED_HEADER_SIZE + at
    assert str(caught.value) == f"{path}: {message} (offset {where})"


@pytest.mark.parametrize("tuple_bytes, length_ends", [
    (b"\x91\xdb\xff\xff\xff\xff", 6),         # str 32 of 4 GiB - 1
    (b"\x91\xc6\xff\xff\xff\xff", 6),         # bin 32
    (b"\x91\xda\xff\xff", 4),                 # str 16
    (b"\x91\xc5\x01\x00", 4),                 # bin 16
    (b"\x91\xd9\x20abc", 3),                  # str 8
])
def test_string_lengths_past_the_block(tmp_path, tuple_bytes, length_ends):
    """Audit (checked before too): a string's length is checked before its
    object is made."""
    path = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, insert(512, [])[:-1] + tuple_bytes)))
    with pytest.raises(SnapshotError) as caught:
        list(tarantool_snapshot.iter(path))
    where = BLOCKS_START + ref.FIXED_HEADER_SIZE + T - 1 + length_ends
    assert str(caught.value) == f"{path}: truncated row (offset {where})"


@pytest.mark.parametrize("value_bytes", [
    b"\xc9\xff\xff\xff\xff\x01",            # ext 32 claiming 4 GiB
    b"\xdb\xff\xff\xff\xff",                # str 32
    b"\xc6\x7f\xff\xff\xff",                # bin 32
])
def test_skipped_lengths_past_the_block(tmp_path, value_bytes):
    """Audit (checked before too): a skipped value's length goes through take()."""
    path = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, body_with(0x22, value_bytes))))
    with pytest.raises(SnapshotError, match=r"truncated row \(offset \d+\)$"):
        list(tarantool_snapshot.iter(path))


# ---- Hypothesis: rows of any MessagePack values ----

KEYS = st.one_of(st.integers(-2 ** 63, 2 ** 64 - 1), st.text(max_size=8), st.binary(max_size=8),
                 st.sampled_from([None, True, 2.5, -0.0]))
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 63, 2 ** 64 - 1),
                   st.floats(allow_nan=False), st.text(max_size=40), st.binary(max_size=40),
                   st.text(max_size=3).map(lambda s: s * 30))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                      st.dictionaries(KEYS, inner, max_size=5)),
                      max_leaves=10)
SPACE_IDS = st.one_of(st.integers(0, 600), st.integers(0, 2 ** 64 - 1))


@st.composite
def snapshots(draw):
    """(blocks, expected rows): INSERT rows of random tuples, with rows of other
    types and unused header and body keys between them (skipped), split in
    plain and zstd blocks (with and without a stated size)."""
    rows, expected = [], []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 4)) == 0:        # not an INSERT: skipped whole
            header = {0: draw(st.sampled_from([1, 3, 30, 2 ** 40])), 3: draw(st.integers(0, 99))}
            rows.append(msgpack.packb(header) + msgpack.packb({0x10: 1, 0x21: draw(VALUES)}))
            continue
        space_id, fields = draw(SPACE_IDS), draw(st.lists(VALUES, max_size=6))
        header = {0: 2, 3: draw(st.integers(0, 2 ** 64 - 1))}
        if draw(st.booleans()):
            header[4] = draw(VALUES)                    # a timestamp, or anything: skipped
        body = {0x10: space_id, 0x21: fields}
        if draw(st.booleans()):
            body = {draw(st.integers(0x22, 0x7f)): draw(VALUES), **body}
        rows.append(msgpack.packb(header) + msgpack.packb(body, use_bin_type=True))
        expected.append((space_id, fields))
    cuts = sorted(draw(st.sets(st.integers(0, len(rows)), max_size=4)) | {0, len(rows)})
    blocks = []
    for start, end in zip(cuts, cuts[1:]):
        payload = b"".join(rows[start:end])
        kind = draw(st.sampled_from(["plain", "zstd", "zstd-sized"]))
        level = draw(st.integers(1, 9))
        if kind == "plain":
            blocks.append((ref.PLAIN_MAGIC, payload))
        elif kind == "zstd-sized":                  # one call: the frame states its size
            blocks.append((ref.ZSTD_MAGIC, zstandard.ZstdCompressor(level=level).compress(payload)))
        else:                                       # streamed: it does not, as Tarantool's
            stream = zstandard.ZstdCompressor(level=level, write_content_size=False).compressobj()
            blocks.append((ref.ZSTD_MAGIC, stream.compress(payload) + stream.flush()))
    return blocks, expected


def packed(rows):
    """Rows as bytes: equal only if every value has the same type and bits (1,
    True and 1.0 compare equal in Python; -0.0 and 0.0 too)."""
    return [msgpack.packb(r, use_bin_type=True) for r in rows]


def expected_outcome(blocks, expected, limit):
    """The rows before the first block over `limit`, and that block's message."""
    rows, offset, count = [], BLOCKS_START, 0
    for magic, payload in blocks:
        decompressed = payload
        if magic == ref.ZSTD_MAGIC:
            decompressed = zstandard.ZstdDecompressor().decompressobj().decompress(payload)
        stated = zstandard.frame_content_size(payload) if magic == ref.ZSTD_MAGIC else -1
        problem = None
        if len(payload) > limit:
            problem = f"a block of {len(payload)} bytes is larger than the limit of {limit} bytes"
        elif stated > limit:
            problem = f"a block decompresses to {stated} bytes, more than the limit of {limit} bytes"
        elif len(decompressed) > limit:
            problem = f"a block decompresses to more than the limit of {limit} bytes"
        if problem:
            return rows, f"{problem} (max_block_size) (offset {offset})"
        inserts = sum(1 for _ in python_inserts(decompressed))
        rows += expected[count:count + inserts]
        count += inserts
        offset += ref.FIXED_HEADER_SIZE + len(payload)
    return rows, None


def python_inserts(rows_bytes):
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=0)
    unpacker.feed(rows_bytes)
    for header in unpacker:
        unpacker.unpack()
        if header.get(0) == 2:
            yield header


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=snapshots(), limit=st.one_of(st.just(None), st.integers(1, 3000)))
def test_any_rows_match_the_reference(tmp_path_factory, snapshot, limit):
    blocks, expected = snapshot
    path = tmp_path_factory.mktemp("h") / "any.snap"
    path.write_bytes(snapshot_of(*blocks))
    if limit is None:
        got = list(tarantool_snapshot.iter(path))
        assert packed(got) == packed(expected)
        assert packed(got) == packed(ref.python_rows(path))
        return
    rows, problem = expected_outcome(blocks, expected, limit)
    got = []
    it = tarantool_snapshot.iter(path, max_block_size=limit)
    try:
        for r in it:
            got.append(r)
    except SnapshotError as error:
        assert str(error) == f"{path}: {problem}"
    else:
        assert problem is None
    assert packed(got) == packed(rows)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=snapshots(), cut=st.integers(0, 10 ** 6), flips=st.lists(st.integers(0, 10 ** 6),
                                                                          max_size=3))
def test_damaged_rows_raise_only_snapshot_error(tmp_path_factory, snapshot, cut, flips):
    """Any cut and any flipped bytes: rows, or SnapshotError; the rows that come
    out before it are the first rows of the file."""
    blocks, expected = snapshot
    data = bytearray(snapshot_of(*blocks))
    for flip in flips:
        data[flip % len(data)] ^= 1 << (flip % 8)
    data = bytes(data[:len(data) - cut % 40])
    path = tmp_path_factory.mktemp("d") / "damaged.snap"
    path.write_bytes(data)
    got = []
    try:
        got.extend(tarantool_snapshot.iter(path))
    except SnapshotError:
        pass
    if not flips:
        assert packed(got) == packed(expected[:len(got)])


def reentrant_any_rows(folder):
    """In a subprocess (a regression may crash it): random rows, read while the
    collector runs after almost every allocation and calls next() and close()."""
    folder = pathlib.Path(folder)

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(snapshot=snapshots(), close_too=st.booleans())
    def check(snapshot, close_too):
        blocks, expected = snapshot
        path = folder / "r.snap"
        path.write_bytes(snapshot_of(*blocks))
        it = tarantool_snapshot.iter(path)
        got, unexpected = [], []

        def callback(phase, info):
            # (an exception raised here would be printed and ignored: keep it)
            if phase != "start":
                return
            for call in (lambda: next(it), it.close) if close_too else (lambda: next(it),):
                try:
                    result = call()
                except StopIteration:
                    continue
                except RuntimeError as error:
                    if str(error) not in (REENTERED, CANNOT_CLOSE):
                        unexpected.append(repr(error))
                    continue
                except BaseException as error:
                    unexpected.append(repr(error))
                    continue
                if result is not None:
                    got.append(result)
        gc.callbacks.append(callback)
        gc.set_threshold(1)
        try:
            for result in it:
                got.append(result)
        finally:
            gc.set_threshold(700, 10, 10)
            gc.callbacks.remove(callback)
        assert unexpected == []
        # A close() between two rows ends the iteration early: a prefix.
        assert packed(got) == packed(expected[:len(got)])
        if not close_too:
            assert len(got) == len(expected)
    check()


def test_any_rows_with_the_collector_reentering(run_script, tmp_path):
    result = run_script(f"""
        import json
        sys.path.insert(0, {str(ROOT)!r})
        import conftest             # loads the Hypothesis profile (course or fuzz)
        reentrant_any_rows({str(tmp_path)!r})
        print(json.dumps("ok"))
    """, timeout=600)
    assert result == "ok"


def test_repeated_refusals_do_not_grow_memory(tmp_path, memory_growth):
    """The new refusals release what they took: argument errors, limits, lengths."""
    over = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, insert(512, ["x" * 100]))), "over.snap")
    huge = write(tmp_path, HEADER_TEXT + fixed_header(ref.PLAIN_MAGIC, 2 ** 64 - 1, 0)
                 + ref.END_MAGIC, "huge.snap")
    prefix, _ = first_row(2 * MiB)
    inflating = write(tmp_path, snapshot_of((ref.ZSTD_MAGIC, zstd_frame(prefix, 2 * MiB))),
                      "inflating.snap")
    counted = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, b"\xde\xff\xff\x00\x02")), "map.snap")

    def passes():
        for _ in range(30):
            for value in (0, "1"):
                try:
                    tarantool_snapshot.iter(over, max_block_size=value)
                except (ValueError, TypeError):
                    pass
            for path, kwargs in ((over, {"max_block_size": 50}), (huge, {}),
                                 (inflating, {"max_block_size": MiB}), (counted, {})):
                try:
                    list(tarantool_snapshot.iter(path, **kwargs))
                except SnapshotError:
                    pass
    grown = memory_growth(passes).traced
    assert grown < 10_000, grown


# ---- a key given twice (found by make fuzz) ----

@pytest.mark.parametrize("header, body, message", [
    ({0: 2, 3: 1}, b"\x83\x10\xcd\x02\x00\x21\x91\x01\x21\x91\x02", "a row body gives its tuple twice"),
    ({0: 2, 3: 1}, b"\x83\x10\xcd\x02\x00\x21\x91\x01\x10\xcd\x02\x01", "a row body gives its space id twice"),
    (None, b"\x82\x10\xcd\x02\x00\x21\x91\x01", "a row header gives its type twice"),
])
def test_a_key_given_twice_is_refused(tmp_path, header, body, message):
    """Which of two values a reader takes is up to the reader (the C code took the
    first tuple and the last space id, msgpack the last of each): the row is refused."""
    head = msgpack.packb(header) if header else b"\x83\x00\x02\x03\x01\x00\x02"    # type 2, twice
    path = write(tmp_path, snapshot_of((ref.PLAIN_MAGIC, head + body)))
    with pytest.raises(SnapshotError, match=message):
        list(tarantool_snapshot.iter(path))


# ---- Ctrl-C during a long next() ----

@pytest.mark.parametrize("what, blocks", [
    # 4 blocks of 64 MiB of rows that are not INSERTs (two empty maps each):
    # next() skips 128 Mi rows before it could return one, about 2 s.
    ("skipping rows", [ref.zstd_frame(b"", 64 * MiB)] * 4),
    # one block that inflates to 1.5 GiB of bytes that are not a row: more than a
    # second of inflating, with the GIL released, before the first row fails.
    ("inflating a block", [ref.zstd_frame(b"", 1536 * MiB, fill=0xc1)]),
])
def test_ctrl_c_stops_a_long_next(tmp_path, ctrl_c, what, blocks):
    """Ctrl-C 0.1 s in raises KeyboardInterrupt within half a second (before:
    only once the call was over). The iterator is then finished, and a new one
    reads as usual."""
    path = write(tmp_path, snapshot_of(*[(ref.ZSTD_MAGIC, frame) for frame in blocks]))
    (outcome, seconds), after = ctrl_c(
        setup=f"import tarantool_snapshot, snapshot_reference\n"
              f"rows = tarantool_snapshot.iter({str(path)!r})",
        call="next(rows)", after=0.1,
        then="print(next(rows, 'finished'))\n"
             "print(len(list(tarantool_snapshot.iter(snapshot_reference.FIXTURE))))")
    assert outcome == "KeyboardInterrupt" and seconds < 0.5, (what, outcome, seconds)
    assert after == ["finished", str(len(list(tarantool_snapshot.iter(ref.FIXTURE))))]
