"""Hostile input and hostile callers, for s2cover, s2cover_pybind and s2cover_nanobind alike.

Every test runs once per binding, and both must answer the same input with the
same result or the same exception and message. What could crash the
interpreter (deep nesting, signals, memory limits) runs in a subprocess, so a
regression fails one test instead of ending the run.
"""
import json
import math
import os
import pathlib
import sysconfig
import textwrap

import pytest
try:
    import s2geometry as s2     # the official bindings: each cell checked valid where they install
except ImportError:             # (they have no wheel for a free-threaded Python: make test-ft)
    s2 = None
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import s2cover
import s2cover_nanobind
import s2cover_pybind

DATA = pathlib.Path(__file__).parent / "data"
LUBBOCK = DATA / "lubbock-county.geojson"
# Under make memcheck (PYEXT_MEMCHECK) the setup.py builds only: see test_s2cover.py.
BINDINGS = [s2cover, s2cover_pybind] + ([] if os.environ.get("PYEXT_MEMCHECK") else [s2cover_nanobind])
# Under tools/memcheck.sh (AddressSanitizer) the process reserves terabytes of
# shadow memory and keeps freed blocks in quarantine: no address-space limits,
# no resident-memory checks there.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")

# The limits the kernel documents (geojson_cover.hpp).
MAX_JSON_DEPTH = 512
MAX_CELLS = {1: 1_000_000, 2: 250_000, 3: 62_500}

binding = pytest.mark.parametrize("module", BINDINGS, ids=lambda m: m.__name__)


def outcome(module, path, **options):
    """("cells", list) or (exception type, message): what one call gave."""
    try:
        return "cells", module.cover_geojson(path, **options)
    except Exception as error:      # noqa: BLE001 -- the caller checks the type
        return type(error), str(error)


def error_of(module, document, tmp_path, **options):
    """The exception a document gives, as (type, message). document: str or bytes."""
    path = tmp_path / "hostile.geojson"
    path.write_bytes(document if isinstance(document, bytes) else document.encode())
    result = outcome(module, path, **options)
    assert result[0] != "cells", f"no error, {len(result[1])} cells"
    return result


@pytest.fixture
def run_child(python_child):
    """run_child(module, *code, timeout=120): run the pieces of code, one after
    another, in a fresh interpreter with `m` the binding, LUBBOCK and rss_mib()
    (resident memory) defined; return its stdout lines (it must exit with 0: a
    crash fails the test with its signal and stderr)."""
    def run(module, *code, timeout=120):
        prelude = textwrap.dedent(f"""\
            import json, math, os, signal, sys, threading, time
            import {module.__name__} as m
            # KeyboardInterrupt on SIGINT even if this process started with it ignored
            # (as a shell's background job does).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            LUBBOCK = {str(LUBBOCK)!r}
            def rss_mib():
                with open("/proc/self/statm") as statm:
                    return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            """)
        program = prelude + "".join(textwrap.dedent(piece) for piece in code)
        finished = python_child(program, timeout=timeout)
        assert finished.returncode == 0, finished.report
        return finished.stdout.splitlines()
    return run


def square(lng, lat, size):
    return [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]


# ---- 1. nesting: a depth limit before anything recurses ----

def nested_coordinates(depth):
    """A Polygon whose coordinates are arrays nested depth deep."""
    return '{"type":"Polygon","coordinates":' + "[" * depth + "]" * depth + "}"


@binding
@pytest.mark.parametrize("shape", ["coordinates", "properties", "objects"])
def test_deep_nesting_is_refused_without_a_crash(run_child, module, tmp_path, shape):
    """100,000 levels overflowed the C stack (nlohmann's dump, recursing for the
    message, and the message held the whole value)."""
    n = 100_000
    document = {
        "coordinates": nested_coordinates(n),
        "properties": '{"type":"Feature","geometry":null,"properties":' + "[" * n + "]" * n + "}",
        "objects": '{"type":"Polygon","coordinates":' + '{"a":' * n + "0" + "}" * n + "}",
    }[shape]
    path = tmp_path / "deep.geojson"
    path.write_text(document)
    # Where level MAX_JSON_DEPTH + 1 opens (the outer object is level 1).
    if shape == "objects":
        byte = document.index('{"a"') + (MAX_JSON_DEPTH - 1) * len('{"a":')
    else:
        byte = document.index("[") + MAX_JSON_DEPTH - 1
    lines = run_child(module, f"""
        try:
            m.cover_geojson({str(path)!r})
        except ValueError as error:
            print(error)
        """)
    assert lines == [f"arrays and objects nested more than {MAX_JSON_DEPTH} deep at byte {byte} (s2cover's limit)"]


@binding
def test_nesting_at_the_limit_is_read_and_quoted_briefly(module, tmp_path):
    """512 levels are read; the message quotes the bad position in 40 characters."""
    error = error_of(module, nested_coordinates(MAX_JSON_DEPTH - 1), tmp_path)
    assert error == (ValueError, "$.coordinates[0][0]: a position is [longitude, latitude], got " +
                     "[" * 40 + "...")
    assert error_of(module, nested_coordinates(MAX_JSON_DEPTH), tmp_path) == (
        ValueError, f"arrays and objects nested more than {MAX_JSON_DEPTH} deep at byte "
                    f"{32 + MAX_JSON_DEPTH - 1} (s2cover's limit)")


@binding
def test_brackets_inside_strings_do_not_count(module, tmp_path):
    deep_text = json.dumps("[{" * 10_000 + '\\"')
    document = json.dumps({"type": "Feature", "geometry": None, "properties": {"name": "x"}})
    document = document.replace('"x"', deep_text)
    path = tmp_path / "strings.geojson"
    path.write_text(document)
    assert module.cover_geojson(path) == []


@binding
def test_long_values_are_quoted_briefly(module, tmp_path):
    long_type = "Polygön" + "y" * 10_000
    assert error_of(module, json.dumps({"type": long_type}, ensure_ascii=False), tmp_path) == (
        ValueError, '$: unknown GeoJSON type "Polygön' + "y" * 33 + '..."')
    # Control characters are escaped ("\u0001" is valid JSON, an invisible byte in a message).
    assert error_of(module, json.dumps({"type": "a\u0001\u0000b"}), tmp_path) == (
        ValueError, '$: unknown GeoJSON type "a\\x01\\x00b"')
    position = {"type": "Polygon", "coordinates": [[[0, 0], [{"k" * 100: list(range(10_000))}], [1, 1]]]}
    assert error_of(module, json.dumps(position), tmp_path) == (
        ValueError, "$.coordinates[0][1]: a position is [longitude, latitude], got " +
                    '[{"' + "k" * 37 + "...")
    unterminated = '{"type": "' + "x" * 1_000_000
    kind, message = error_of(module, unterminated, tmp_path)
    assert kind is ValueError and len(message) < 200
    assert message == (f"not valid JSON at byte {len(unterminated)}: syntax error while parsing value - "
                       "invalid string: missing closing quote; last read: '\"" + "x" * 39 + "...'")


# ---- 2. coverings too large: refused before the memory is taken ----

@binding
@pytest.mark.parametrize("level_mod", [1, 2, 3])
def test_max_cells_above_the_limit_is_refused(module, tmp_path, level_mod):
    path = tmp_path / "small.geojson"       # a 100 m square: old code covered it, slowly
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [square(10, 10, 0.001)]}))
    limit = MAX_CELLS[level_mod]
    with pytest.raises(ValueError) as raised:
        module.cover_geojson(path, max_cells=limit + 1, level_mod=level_mod)
    expected = {1: "max_cells must be at most 1000000, not 1000001",
                2: "max_cells must be at most 250000 with level_mod=2 (1000000 with level_mod=1), not 250001",
                3: "max_cells must be at most 62500 with level_mod=3 (1000000 with level_mod=1), not 62501"}
    assert str(raised.value) == expected[level_mod] + ": a larger covering takes more memory than s2cover allows"
    # At the limit it is accepted (the small square needs far fewer cells).
    assert len(module.cover_geojson(path, max_cells=limit, level_mod=level_mod, max_level=16)) > 0


def too_many(min_level, level_mod=1):
    return (f"covering this region at min_level={min_level} needs more than {MAX_CELLS[level_mod]} cells, "
            f"the limit (with level_mod={level_mod}): lower min_level, or cover a smaller region")


LIMIT_ADDRESS_SPACE = """
    # An address-space limit 1.5 GiB above what the child uses now, so that
    # code without the limits runs out of it (MemoryError) within a minute
    # instead of taking the machine's memory.
    import resource
    if not {asan}:
        with open("/proc/self/status") as status:
            vm = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + 3 * 2**29, resource.RLIM_INFINITY))
    """


@binding
def test_min_level_forcing_too_many_cells_is_refused_at_once(run_child, module):
    """Lubbock County at min_level 22 is about 480 million cells: refused from a
    lower bound before the covering starts, in milliseconds."""
    lines = run_child(module, LIMIT_ADDRESS_SPACE.format(asan=UNDER_ASAN), """
        before, start = rss_mib(), time.monotonic()
        try:
            m.cover_geojson(LUBBOCK, min_level=22)
        except Exception as error:
            print(type(error).__name__, error)
        print(time.monotonic() - start < 1.0, rss_mib() - before < 16)
        print(sorted(m.cover_geojson(LUBBOCK, max_cells=10))[0])
        """)
    assert lines == ["ValueError " + too_many(22), "True True", "9727172662748250112"]


# What a covering of 118,270 cells may leave behind: with a GIL, Python gives the
# memory of the list back; a free-threaded build allocates objects with mimalloc,
# which keeps freed pages for reuse (9 to 11 MiB seen on 3.14t).
KEPT_BY_THE_ALLOCATOR_MIB = 16 if sysconfig.get_config_var("Py_GIL_DISABLED") else 8


@binding
def test_too_many_cells_found_during_the_covering_frees_everything(run_child, module, tmp_path):
    """A 2000 km strip 11 m wide: its area and interior say too little, so the
    covering starts, and is stopped when one level passes the limit. Memory
    then returns to what it was; a large legal covering gives it back too."""
    strip = tmp_path / "strip.geojson"
    strip.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[0, 0], [20, 0], [20, 0.0001], [0, 0.0001], [0, 0]]]}))
    lines = run_child(module, LIMIT_ADDRESS_SPACE.format(asan=UNDER_ASAN), f"""
        m.cover_geojson(LUBBOCK, max_cells=10)
        before = rss_mib()
        try:
            m.cover_geojson({str(strip)!r}, min_level=18, level_mod=3)
        except Exception as error:
            print(type(error).__name__, error)
        after_refusal = rss_mib() - before
        cells = len(m.cover_geojson(LUBBOCK, min_level=16))
        after_covering = rss_mib() - before
        print(cells, {UNDER_ASAN} or (after_refusal < 8 and after_covering < {KEPT_BY_THE_ALLOCATOR_MIB}),
              after_refusal, after_covering)
        """)
    assert lines[0] == "ValueError " + too_many(18, level_mod=3)
    assert lines[1].split()[:2] == ["118270", "True"], lines[1]


SLOW_CIRCLE = """
    # A circle of 20,000 vertices covered with up to 1,000,000 cells: legal, and
    # about 10 s of work, so a signal arrives in the middle of it.
    n = 20_000
    ring = [[-100 + 3 * math.cos(2 * math.pi * k / n), 40 + 3 * math.sin(2 * math.pi * k / n)]
            for k in range(n)]
    path = {folder!r} + "/circle.geojson"
    with open(path, "w") as f:
        json.dump({{"type": "Polygon", "coordinates": [ring]}}, f)
    """


@binding
def test_ctrl_c_stops_a_long_covering_within_a_second(run_child, module, tmp_path):
    lines = run_child(module, SLOW_CIRCLE.format(folder=str(tmp_path)), """
        sent = []
        def interrupt():
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)
        threading.Timer(0.3, interrupt).start()
        try:
            m.cover_geojson(path, max_cells=1_000_000)
            print("not interrupted")
        except KeyboardInterrupt:
            print("KeyboardInterrupt", time.monotonic() - sent[0] < 1.0)
        print(len(m.cover_geojson(path, max_cells=64)) <= 64)   # the module still works
        """)
    assert lines == ["KeyboardInterrupt True", "True"]


@binding
def test_a_signal_handler_runs_during_the_call_and_may_reenter(run_child, module, tmp_path):
    """A handler that does not raise lets the call finish with the right cells;
    the handler (Python code run in the middle of the call) may call
    cover_geojson itself. One that raises another exception stops the call
    with that exception."""
    lines = run_child(module, SLOW_CIRCLE.format(folder=str(tmp_path)), """
        expected = m.cover_geojson(path, max_cells=50_000)
        small = m.cover_geojson(LUBBOCK, max_cells=10)
        seen, sent = [], []
        def reenter(signum, frame):
            seen.append((time.monotonic(), m.cover_geojson(LUBBOCK, max_cells=10) == small))
        def send():
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGUSR1)
        signal.signal(signal.SIGUSR1, reenter)
        threading.Timer(0.05, send).start()
        cells = m.cover_geojson(path, max_cells=50_000)
        end = time.monotonic()
        # Run soon after the signal, while the call went on (once run only
        # when the call returned, just before `end`).
        ran, same = seen[0] if len(seen) == 1 else (0, False)
        print(cells == expected, same, ran - sent[0] < 0.3, end - ran > 0.05)

        def refuse(signum, frame):
            raise LookupError("from the handler")
        signal.signal(signal.SIGUSR1, refuse)
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        try:
            m.cover_geojson(path, max_cells=1_000_000)
        except LookupError as error:
            print("LookupError", error)
        """)
    assert lines == ["True True True True", "LookupError from the handler"]


# ---- 3. numbers out of range, and every C++ exception a Python one ----

@binding
@pytest.mark.parametrize("token", ["1e400", "-1e400", "9" * 400, "-1.5E+309"],
                         ids=["1e400", "-1e400", "400 nines", "-1.5E+309"])
@pytest.mark.parametrize("place", ["coordinates", "properties"])
def test_a_number_out_of_range_is_a_value_error_saying_where(module, tmp_path, token, place):
    if place == "coordinates":
        document = '{"type": "Polygon", "coordinates": [[[0, 0], [%s, 0], [1, 1]]]}' % token
    else:
        document = '{"type": "Feature", "properties": {"x": %s}, "geometry": null}' % token
    kind, message = error_of(module, document, tmp_path)
    byte = document.index(token)
    shown = token if len(token) <= 40 else token[:40] + "..."
    assert (kind, message) == (ValueError, f"number out of range at byte {byte}: {shown} "
                                           "is beyond what a double holds (about 1.8e308)")


@binding
def test_tiny_numbers_are_zero(module, tmp_path):
    """1e-400 underflows to 0, as in Python's float(): a valid number."""
    path = tmp_path / "tiny.geojson"
    path.write_text('{"type": "Polygon", "coordinates": [[[1e-400, 0], [1, -0.0], [1, 1], [0, 1]]]}')
    same = tmp_path / "zero.geojson"
    same.write_text('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}')
    assert module.cover_geojson(path) == module.cover_geojson(same)


MEMORY_ERROR = """
    # Too little address space for the document: std::bad_alloc in the kernel
    # is a MemoryError, and afterwards, with the limit lifted, calls work again.
    # (A first call sets up what S2 and abseil allocate once per process.)
    import resource
    m.cover_geojson(LUBBOCK, max_cells=10)
    with open("/proc/self/status") as status:
        vm = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (vm + {headroom_mib} * 2**20, resource.RLIM_INFINITY))
    try:
        m.cover_geojson({path!r})
        print("no error")
    except MemoryError as error:
        print("MemoryError", error)
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    print(len(m.cover_geojson(LUBBOCK, max_cells=10)))
    """


def write_numbers(path, count):
    with open(path, "w") as f:
        f.write('{"type": "Feature", "geometry": null, "properties": [')
        f.write("0," * count)
        f.write("0]}")


def write_circle(path, vertices):
    ring = [[-100 + 3 * math.cos(2 * math.pi * k / vertices), 40 + 3 * math.sin(2 * math.pi * k / vertices)]
            for k in range(vertices)]
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))


@pytest.mark.skipif(UNDER_ASAN, reason="AddressSanitizer needs an unlimited address space")
@binding
@pytest.mark.parametrize("stage, headroom_mib", [("reading", 40), ("parsing", 80), ("S2 index", 95)])
def test_out_of_memory_is_a_memory_error_in_both_bindings(run_child, module, tmp_path, stage, headroom_mib):
    """Reading: a 30 MB file into a growing string. Parsing: 6 million numbers,
    where nlohmann's destructor, which allocates, used to abort the process.
    S2 index: a 300,000-vertex ring, whose half-built S2 index used to abort it."""
    path = tmp_path / "big.geojson"
    if stage == "S2 index":
        write_circle(path, 300_000)
    else:
        write_numbers(path, 15_000_000 if stage == "reading" else 6_000_000)
    lines = run_child(module, MEMORY_ERROR.format(path=str(path), headroom_mib=headroom_mib))
    assert lines == ["MemoryError std::bad_alloc", "10"]


# ---- 4. bytes that are not UTF-8 ----

@binding
@pytest.mark.parametrize("document", [
    b'{"type": "Poly\xffgon"}',
    b'{"type": "Polygon"}\xfe',                                  # outside strings
    '{"type": "Polygon"}'.encode("utf-16"),
    '{"type": "Polygon", "name": "Zürich"}'.encode("latin-1"),
    '{"type": "Polygon", "name": "ü'.encode()[:-1],              # cut short
    b'{"type": "\xc0\xaf"}',                                      # overlong "/"
    b'{"type": "\xed\xa0\x80"}',                                  # a UTF-16 surrogate
    b'{"type": "\xf4\x90\x80\x80"}',                              # beyond U+10FFFF
], ids=["in a string", "outside strings", "UTF-16", "Latin-1", "cut short", "overlong", "surrogate",
        "beyond U+10FFFF"])
def test_not_utf8_is_a_value_error_saying_where(module, tmp_path, document):
    with pytest.raises(UnicodeDecodeError) as python:      # Python's decoder finds the same byte
        document.decode()
    byte = python.value.start
    assert error_of(module, document, tmp_path) == (
        ValueError, f"not valid JSON: not valid UTF-8 at byte {byte} (0x{document[byte]:02x})")


@binding
def test_utf8_is_read(module, tmp_path):
    """Valid UTF-8, a byte-order mark included, is read; names come back whole."""
    path = tmp_path / "bom.geojson"
    polygon = {"type": "Polygon", "coordinates": [square(0, 0, 1)], "name": "Zürich ☃"}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(polygon, ensure_ascii=False).encode())
    cells = module.cover_geojson(path, max_cells=8)
    assert len(cells) > 0 and cells == s2cover.cover_geojson(path, max_cells=8)
    assert error_of(module, json.dumps({"type": "Zürich ☃"}, ensure_ascii=False), tmp_path) == (
        ValueError, '$: unknown GeoJSON type "Zürich ☃"')


@binding
@pytest.mark.parametrize("document, message", [
    ('{"type": "Polygon", ', "not valid JSON at byte 20: syntax error while parsing object key - "
                             "unexpected end of input; expected string literal"),
    ('{"type": "\\ud800"}', "not valid JSON at byte 16: syntax error while parsing value - invalid string: "
                           "surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: "
                           "'\"\\ud800\"'"),
    ('{"type": "a\x01"}', "not valid JSON at byte 11: syntax error while parsing value - invalid string: "
                         "control character U+0001 (SOH) must be escaped to \\u0001; last read: '\"a<U+0001>'"),
    ('{"type": "Point"} 5', "not valid JSON at byte 18: syntax error while parsing value - "
                            "unexpected number literal; expected end of input"),
    ('{"type": NaN}', "not valid JSON at byte 9: syntax error while parsing value - invalid literal; "
                      "last read: '\"type\": N'"),
], ids=["end of input", "lone surrogate", "control character", "after the end", "NaN"])
def test_json_errors_say_where(module, tmp_path, document, message):
    assert error_of(module, document, tmp_path) == (ValueError, message)


# ---- structured fuzzing: every binding agrees, and says only ValueError ----

class Raw:
    """A token written as it is: numbers json.dumps would not write, or bad JSON."""
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return f"Raw({self.text[:50]!r})"


class Nest:
    """A value inside depth arrays or {"a": ...} objects, written without recursion."""
    def __init__(self, value, depth, kind):
        self.value, self.depth, self.kind = value, depth, kind

    def __repr__(self):
        return f"Nest({self.value!r}, {self.depth}, {self.kind!r})"


def dump(value):
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Nest):
        opening, closing = ("[", "]") if value.kind == "array" else ('{"a":', "}")
        return opening * value.depth + dump(value.value) + closing * value.depth
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + dump(v) for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


SPECIAL_NUMBERS = st.sampled_from([Raw(t) for t in [
    "1e400", "-1e400", "1e-400", "-0", "-0.0", "9" * 400, "-" + "9" * 30, "18446744073709551616",
    "1.7976931348623157e308", "4.9e-324", "NaN", "Infinity", "-Infinity", "0x10", "01", "1.", "+1",
    '"\\ud800"', '"\\u0000"', "[", "}",
]])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12), SPECIAL_NUMBERS)
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10)


def nested(strategy, depths=(1, 2, 3, 10)):
    return st.builds(Nest, strategy, st.sampled_from(depths), st.sampled_from(["array", "object"]))


def maybe(strategy):
    """Mostly what GeoJSON wants there; sometimes any JSON value, or it nested deep.
    (flatmap, not one_of with strategy repeated: a strategy's repr, which
    Hypothesis builds, would grow exponentially with the nesting.)"""
    return st.sampled_from(["wanted"] * 10 + ["any", "nested"]).flatmap(
        lambda how: strategy if how == "wanted" else JSON_VALUES if how == "any" else nested(strategy))


NUMBERS = st.sampled_from(["inside"] * 60 + ["integer", "edge", "outside", "special"]).flatmap(
    lambda kind: {"inside": st.floats(-90, 90), "integer": st.integers(-200, 200),
                  "edge": st.sampled_from([0, -0.0, 90, -90, 180, -180, 1e-300, 1e300]),
                  "outside": st.floats(-200, 200), "special": SPECIAL_NUMBERS}[kind])
POSITIONS = maybe(st.lists(maybe(NUMBERS), min_size=2, max_size=3))
RINGS = maybe(st.lists(POSITIONS, min_size=0, max_size=6))
RING_LISTS = maybe(st.lists(RINGS, min_size=0, max_size=3))
TYPES = maybe(st.sampled_from(["Polygon", "MultiPolygon", "Feature", "FeatureCollection",
                               "GeometryCollection", "Point", "LineString", "polygon", ""]))


def member(name, strategy):
    """A member that may also be missing."""
    return st.one_of(st.just({}), st.builds(lambda v: {name: v}, strategy), st.builds(lambda v: {name: v}, strategy))


@st.composite
def geometry(draw, children):
    kind = draw(TYPES)
    shape = {"type": kind}
    shape.update(draw(member("coordinates", maybe(st.one_of(RING_LISTS, st.lists(RING_LISTS, max_size=3))))))
    shape.update(draw(member("geometries", maybe(st.lists(children, max_size=3)))))
    shape.update(draw(member("features", maybe(st.lists(children, max_size=3)))))
    shape.update(draw(member("geometry", maybe(st.one_of(st.none(), children)))))
    shape.update(draw(member("properties", JSON_VALUES)))
    return shape


def leaf_geometry():
    polygon = st.builds(lambda rings: {"type": "Polygon", "coordinates": rings}, RING_LISTS)
    multi = st.builds(lambda polygons: {"type": "MultiPolygon", "coordinates": polygons},
                      maybe(st.lists(RING_LISTS, max_size=3)))
    return st.one_of(polygon, multi)


GEOJSON = maybe(st.recursive(leaf_geometry(), lambda inner: geometry(inner), max_leaves=6))
# Now and then the whole document nested deep, around the limit.
DOCUMENTS = st.one_of(GEOJSON, GEOJSON, GEOJSON, GEOJSON, GEOJSON,
                      nested(GEOJSON, depths=(100, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, 2000)))


@st.composite
def documents(draw):
    """GeoJSON text, sometimes with a byte inserted or the end cut off."""
    data = dump(draw(DOCUMENTS)).encode()
    damage = draw(st.sampled_from(["none", "none", "none", "byte", "cut"]))
    if damage == "byte" and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=1)) + data[at:]
    elif damage == "cut" and data:
        data = data[:draw(st.integers(0, len(data) - 1))]
    return data


OPTIONS = st.fixed_dictionaries({
    "max_cells": st.integers(1, 40), "min_level": st.integers(0, 4),
    "max_level": st.integers(4, 30), "level_mod": st.integers(1, 3)})


def agree(path, options):
    """Every binding gives the same cells, or the same ValueError, with a short message."""
    first, *others = (outcome(module, path, **options) for module in BINDINGS)
    assert all(other == first for other in others), [first, *others]
    if first[0] == "cells":
        assert s2 is None or all(s2.S2CellId(c).is_valid() for c in first[1])
    else:
        assert first[0] is ValueError, first
        assert len(first[1]) < 400 and "C++" not in first[1], first[1]
    return first


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(document=documents(), options=OPTIONS)
def test_fuzzed_documents_get_the_same_answer_from_every_binding(tmp_path, document, options):
    path = tmp_path / "fuzz.geojson"
    path.write_bytes(document)
    agree(path, options)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rings=st.lists(st.lists(st.lists(NUMBERS, min_size=2, max_size=3), min_size=3, max_size=8),
                      min_size=1, max_size=3),
       options=OPTIONS)
def test_fuzzed_polygons_get_the_same_answer_from_every_binding(tmp_path, rings, options):
    """Closer to valid polygons: numbers anywhere in -200..200 and the special ones."""
    path = tmp_path / "fuzz.geojson"
    path.write_bytes(dump({"type": "Polygon", "coordinates": rings}).encode())
    result = agree(path, options)
    if result[0] is ValueError and "number out of range at byte " in result[1]:
        byte = int(result[1].split("at byte ")[1].split(":")[0])
        assert path.read_bytes()[byte:byte + 1] in (b"-", b"1", b"9")     # where the number starts


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A square about 1 cm wide: any covering of it is a few cells."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [square(10, 10, 1e-7)]}))
    return path


@settings(deadline=None)
@given(max_cells=st.integers(-2**31, 2**31 - 1), min_level=st.integers(-50, 50),
       max_level=st.integers(-50, 50), level_mod=st.integers(-5, 5))
def test_fuzzed_options_get_the_same_answer_from_every_binding(tiny, max_cells, min_level, max_level, level_mod):
    """Out-of-range options are ValueErrors with one message; in range, the
    tiny region keeps any covering small."""
    options = dict(max_cells=max_cells, min_level=min_level, max_level=max_level, level_mod=level_mod)
    first, *others = (outcome(module, tiny, **options) for module in BINDINGS)
    assert all(other == first for other in others), [first, *others]
    assert first[0] in ("cells", ValueError)


# ---- hostile callers: Python code run by the call ----

class Path:
    """os.PathLike whose __fspath__ runs code of the test's choosing."""
    def __init__(self, action):
        self.action = action

    def __fspath__(self):
        return self.action()


@binding
def test_fspath_that_reenters_the_module(module):
    expected = module.cover_geojson(LUBBOCK, max_cells=10)

    def reenter():
        assert module.cover_geojson(LUBBOCK, max_cells=10) == expected
        return str(LUBBOCK)
    assert module.cover_geojson(Path(reenter), max_cells=10) == expected


@binding
def test_fspath_that_raises(module):
    """s2cover passes the exception on; pybind11's and nanobind's path casters turn every failed
    conversion into its own TypeError (a difference of the bindings' argument
    parsing, not of the kernel)."""
    def fail():
        raise LookupError("no path today")
    expected = (LookupError, "no path today") if module is s2cover else (TypeError, None)
    with pytest.raises(expected[0]) as raised:
        module.cover_geojson(Path(fail))
    if expected[1]:
        assert str(raised.value) == expected[1]


@binding
def test_str_subclass_and_bytes_paths(module):
    class Sly(str):
        def __str__(self):
            return "/nonexistent"

        def __fspath__(self):
            return "/nonexistent"

        def encode(self, *args, **kwargs):
            return b"/nonexistent"
    expected = module.cover_geojson(str(LUBBOCK), max_cells=10)
    assert module.cover_geojson(Sly(str(LUBBOCK)), max_cells=10) == expected
    assert module.cover_geojson(os.fsencode(LUBBOCK), max_cells=10) == expected
    with pytest.raises(FileNotFoundError) as raised:
        module.cover_geojson(b"/nonexistent/\xff.json")
    assert raised.value.filename == "/nonexistent/\udcff.json"


@binding
def test_threads_calling_at_once_get_the_same_cells(module):
    import threading
    expected = module.cover_geojson(LUBBOCK, max_cells=200)
    results = []
    threads = [threading.Thread(target=lambda: results.append(module.cover_geojson(LUBBOCK, max_cells=200)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


@binding
def test_threads_asking_for_cell_ids_at_once_get_the_same_ids(module):
    """cell_id keeps the GIL through its call: with a GIL the four threads take
    turns, on a free-threaded Python (make test-ft) they run at once."""
    import threading
    points = [(lat, lng) for lat in range(-80, 81, 20) for lng in range(-170, 171, 40)]
    expected = [module.cell_id(lat, lng, 30) for lat, lng in points]
    results = [None] * 4

    def work(k):
        results[k] = [[module.cell_id(lat, lng, 30) for lat, lng in points] for _ in range(100)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[expected] * 100] * 4
