"""s2cover, s2cover_pybind and s2cover_nanobind: the lecture's ids, the official S2 bindings as a
cross-check, every GeoJSON shape the module accepts, every error, the GIL, memory."""
import json
import math
import os
import pathlib
import signal
import subprocess

import pytest
import s2geometry as s2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import s2cover
import s2cover_nanobind
import s2cover_pybind
import s2cover_reference as ref
import s2_library

DATA = pathlib.Path(__file__).parent / "data"
LUBBOCK = DATA / "lubbock-county.geojson"
# make memcheck (PYEXT_MEMCHECK) rebuilds what setup.py builds with AddressSanitizer;
# the CMake-built nanobind binding is not among them, so there the suites run the other two.
IN_MEMCHECK = bool(os.environ.get("PYEXT_MEMCHECK"))
# The ones written with a binding library: cells as plain tuples, not Cell records.
LIBRARY_BINDINGS = [s2cover_pybind] + ([] if IN_MEMCHECK else [s2cover_nanobind])
BINDINGS = [s2cover, *LIBRARY_BINDINGS]

# The original rbs2 test: Lubbock County covered with max_cells=10, sorted.
LECTURE_IDS = [9727172662748250112, 9727178160306388992, 9727180359329644544,
               9727207847120338944, 9727229837352894464, 9727251827585449984,
               9727278215864516608, 9727287011957538816, 9727313400236605440,
               9727335390469160960]
# This fixture's count with the default parameters (see tests/data/README.md;
# the lecture's own boundary gave 2908).
LUBBOCK_DEFAULT_COUNT = 2761


def square(lng, lat, size):
    """A closed counter-clockwise ring, GeoJSON order: [lng, lat]."""
    return [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def write(tmp_path, geojson, name="shape.geojson"):
    path = tmp_path / name
    path.write_text(geojson if isinstance(geojson, str) else json.dumps(geojson))
    return path


def contains_point(cells, lat, lng):
    leaf = s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lng))
    return any(s2.S2CellId(c).contains(leaf) for c in cells)


# ---- the lecture's expectation ----

@pytest.mark.parametrize("module", BINDINGS)
def test_lecture_ids(module):
    assert sorted(module.cover_geojson(LUBBOCK, only_id=True, max_cells=10)) == LECTURE_IDS


@pytest.mark.parametrize("module", BINDINGS)
def test_default_parameters_on_the_fixture(module):
    cells = module.cover_geojson(str(LUBBOCK))
    assert len(cells) == LUBBOCK_DEFAULT_COUNT
    assert cells == ref.cover_geojson(LUBBOCK)


# ---- the same ids as the official S2 bindings ----

SHAPES = {
    "rectangle": json.loads(LUBBOCK.read_text()),
    "hole": polygon(square(10, 10, 10), square(13, 13, 4)),
    "two holes": polygon(square(10, 10, 10), square(11, 11, 2), square(15, 15, 3)),
    "multipolygon (overlapping parts)": {
        "type": "MultiPolygon",
        "coordinates": [[square(0, 0, 4)], [square(2, 2, 4)], [square(20, 0, 1)]]},
    "clockwise ring": polygon(square(-70, -30, 5)[::-1]),
    "two cube faces": polygon(square(40, -5, 10)),          # face 0 ends at 45° E
    "unclosed ring": polygon(square(100, 60, 3)[:-1]),
    "collections": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": polygon(square(0, 50, 2))},
        {"type": "Feature", "properties": {}, "geometry": None},
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "GeometryCollection", "geometries": [
                polygon(square(1, 51, 2)),
                {"type": "MultiPolygon", "coordinates": [[square(5, 50, 1)]]}]}}]},
    "with altitudes": polygon([[lng, lat, 300.0] for lng, lat in square(7, 45, 0.5)]),
}
PARAMETERS = [
    {},
    {"max_cells": 8},
    {"max_cells": 100, "min_level": 4, "max_level": 12, "level_mod": 2},
    {"max_cells": 50, "min_level": 3, "max_level": 15, "level_mod": 3},
    {"max_cells": 1, "min_level": 0, "max_level": 30},
]


@pytest.mark.parametrize("options", PARAMETERS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("module", BINDINGS)
def test_same_ids_as_the_official_bindings(tmp_path, module, shape, options):
    path = write(tmp_path, SHAPES[shape])
    cells = module.cover_geojson(path, **options)
    assert cells == ref.cover_geojson(path, **options)
    assert len(cells) > 0


@st.composite
def convex_polygons(draw):
    """A convex ring: vertices at increasing angles around a centre, away from the poles."""
    lat = draw(st.floats(-70, 70))
    lng = draw(st.floats(-174, 174))
    radius = draw(st.floats(0.001, 5))
    # Distinct whole degrees, no gap of 180 or more: the centre stays inside.
    degrees = sorted(draw(st.sets(st.integers(0, 359), min_size=3, max_size=12)))
    if max(b - a for a, b in zip(degrees, degrees[1:] + [degrees[0] + 360])) >= 180:
        degrees = [0, 120, 240]
    angles = [math.radians(d) for d in degrees]
    ring = [[lng + radius * math.cos(a), lat + radius * math.sin(a)] for a in angles]
    clockwise = draw(st.booleans())
    return ring[::-1] if clockwise else ring


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ring=convex_polygons(), max_cells=st.integers(1, 300), min_level=st.integers(0, 12),
       extra_levels=st.integers(0, 18), level_mod=st.integers(1, 3))
def test_random_convex_polygons_match_the_official_bindings(tmp_path, ring, max_cells, min_level,
                                                            extra_levels, level_mod):
    options = dict(max_cells=max_cells, min_level=min_level,
                   max_level=min(30, min_level + extra_levels), level_mod=level_mod)
    path = write(tmp_path, polygon(ring))
    expected = ref.cover_geojson(path, **options)
    assert s2cover.cover_geojson(path, **options) == expected
    for module in LIBRARY_BINDINGS:
        assert module.cover_geojson(path, **options) == expected, module.__name__


# ---- what the covering means ----

@pytest.mark.parametrize("module", BINDINGS)
def test_a_hole_is_not_covered(tmp_path, module):
    path = write(tmp_path, polygon(square(10, 10, 10), square(13, 13, 4)))
    cells = module.cover_geojson(path, max_cells=500)
    assert contains_point(cells, 11, 11)            # in the polygon
    assert not contains_point(cells, 15, 15)        # in the middle of the hole


@pytest.mark.parametrize("module", BINDINGS)
def test_overlapping_polygons_are_united_not_xored(tmp_path, module):
    path = write(tmp_path, {"type": "MultiPolygon", "coordinates": [[square(0, 0, 4)], [square(2, 2, 4)]]})
    cells = module.cover_geojson(path, max_cells=500)
    for lat, lng in [(1, 1), (3, 3), (5, 5)]:       # first only, the overlap, second only
        assert contains_point(cells, lat, lng)


@pytest.mark.parametrize("module", BINDINGS)
def test_orientation_closing_vertex_and_repeats_do_not_matter(tmp_path, module):
    ring = square(30, 30, 2)
    variants = [ring, ring[::-1], ring[:-1], [ring[0], *ring[:2], ring[1], *ring[2:]]]
    results = [module.cover_geojson(write(tmp_path, polygon(r), f"{i}.json"), max_cells=64)
               for i, r in enumerate(variants)]
    assert all(r == results[0] for r in results)


@pytest.mark.parametrize("module", BINDINGS)
def test_levels_and_max_cells_are_obeyed(module):
    cells = module.cover_geojson(LUBBOCK, max_cells=200, min_level=6, max_level=12, level_mod=2)
    levels = {s2.S2CellId(c).level() for c in cells}
    assert levels <= {6, 8, 10, 12} and len(cells) <= 200
    assert len(module.cover_geojson(LUBBOCK, max_cells=10)) <= 10


def test_an_empty_collection_has_an_empty_covering(tmp_path):
    path = write(tmp_path, {"type": "FeatureCollection", "features": []})
    assert [module.cover_geojson(path) for module in BINDINGS] == [[]] * len(BINDINGS)


def test_path_types():
    expected = s2cover.cover_geojson(str(LUBBOCK), max_cells=10)
    assert s2cover.cover_geojson(LUBBOCK, max_cells=10) == expected               # os.PathLike
    assert s2cover.cover_geojson(os.fsencode(LUBBOCK), max_cells=10) == expected  # bytes
    for module in LIBRARY_BINDINGS:
        assert module.cover_geojson(LUBBOCK, max_cells=10) == expected, module.__name__


# ---- full cell records (only_id=False) ----

def test_cell_records_match_the_official_bindings():
    cells = s2cover.cover_geojson(LUBBOCK, only_id=False, max_cells=40)
    assert [c.id for c in cells] == s2cover.cover_geojson(LUBBOCK, max_cells=40)
    for cell in cells:
        assert isinstance(cell, s2cover.Cell)
        assert tuple(cell) == ref.cell_record(cell.id)
        assert s2.S2CellId.FromToken(cell.token).id() == cell.id
        assert cell.level == s2.S2CellId(cell.id).level() and cell.face == 4
        assert len(cell.vertices) == 4 and all(len(v) == 2 for v in cell.vertices)
    assert s2cover.Cell.n_fields == 5
    for module in LIBRARY_BINDINGS:
        assert [tuple(c) for c in cells] == module.cover_geojson(LUBBOCK, only_id=False, max_cells=40)


def test_cell_records_cover_the_county():
    """The union of the cells' corner boxes contains every corner of the county."""
    cells = s2cover.cover_geojson(LUBBOCK, only_id=False, max_cells=10)
    corners = json.loads(LUBBOCK.read_text())["features"][0]["geometry"]["coordinates"][0]
    for lng, lat in corners:
        assert any(min(v[0] for v in c.vertices) <= lat <= max(v[0] for v in c.vertices) and
                   min(v[1] for v in c.vertices) <= lng <= max(v[1] for v in c.vertices)
                   for c in cells)


# ---- cell_id ----

@pytest.mark.parametrize("module", BINDINGS)
def test_cell_id(module):
    for lat, lng, level in [(33.58, -101.86, 30), (0, 0, 0), (-89.9, 179.9, 13), (90, -180, 30)]:
        expected = s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lng)).parent(level).id()
        assert module.cell_id(lat, lng, level) == expected


@pytest.mark.parametrize("module", BINDINGS)
@pytest.mark.parametrize("args, message", [
    ((91.0, 0.0, 10), "latitude must be in -90..90"),
    ((0.0, -181.0, 10), "longitude must be in -180..180"),
    ((0.0, 0.0, 31), "level must be in 0..30"),
    ((0.0, 0.0, -1), "level must be in 0..30"),
    ((float("nan"), 0.0, 10), "latitude must be in -90..90"),
])
def test_cell_id_bad_values(module, args, message):
    with pytest.raises(ValueError, match=message):
        module.cell_id(*args)


def test_cell_id_bad_types():
    with pytest.raises(TypeError, match=r"takes 3 arguments \(lat, lng, level\), 2 given"):
        s2cover.cell_id(1.0, 2.0)
    with pytest.raises(TypeError, match="must be real number, not str"):
        s2cover.cell_id("1", 2.0, 3)
    with pytest.raises(TypeError):
        s2cover.cell_id(1.0, 2.0, 3.5)
    with pytest.raises(ValueError, match="level must be in 0..30"):
        s2cover.cell_id(1.0, 2.0, 2**40)
    with pytest.raises(OverflowError):
        s2cover.cell_id(1.0, 2.0, 2**70)
    for module in LIBRARY_BINDINGS:
        with pytest.raises(TypeError):
            module.cell_id(1.0, 2.0)


@pytest.mark.parametrize("module", BINDINGS)
def test_cell_id_takes_positional_arguments_only(module):
    """Every binding of cell_id takes the same arguments, as its signature says."""
    with pytest.raises(TypeError):
        module.cell_id(lat=1.0, lng=2.0, level=3)
    if module is s2cover:
        assert module.cell_id.__text_signature__ == "(lat, lng, level, /)"
    else:   # pybind11 and nanobind write the signature, with types, as the docstring's first line
        assert module.cell_id.__doc__.splitlines()[0].endswith(", /) -> int")


# ---- errors ----

@pytest.mark.parametrize("module", BINDINGS)
def test_missing_file(tmp_path, module):
    with pytest.raises(FileNotFoundError) as raised:
        module.cover_geojson(tmp_path / "nosuchfile")
    assert raised.value.filename == str(tmp_path / "nosuchfile")
    with pytest.raises(IsADirectoryError):
        module.cover_geojson(tmp_path)


BAD_DOCUMENTS = {
    "empty file": (" \n", "the file holds no JSON: it is empty or only whitespace"),
    "broken JSON": ('{"type": "Polygon", ', "not valid JSON"),
    "NaN": ('{"type": "Polygon", "coordinates": [[[NaN, 0], [1, 0], [1, 1]]]}', "not valid JSON"),
    "not an object": ("[1, 2]", r"\$: expected a GeoJSON object, got array"),
    "no type": ("{}", r'\$: a GeoJSON object needs a "type" string'),
    "unknown type": ({"type": "Circle"}, r'\$: unknown GeoJSON type "Circle"'),
    "a point": ({"type": "Point", "coordinates": [0, 0]}, r"\$: a Point has no area to cover"),
    "no features": ({"type": "FeatureCollection"}, r'\$: a FeatureCollection needs a "features" array'),
    "no geometry": ({"type": "Feature", "properties": {}}, r'\$: a Feature needs a "geometry" member'),
    "no coordinates": ({"type": "Polygon"}, r'\$: a Polygon needs a "coordinates" array'),
    "no rings": (polygon(), r"\$.coordinates: a polygon is a non-empty array of rings"),
    "ring not an array": ({"type": "Polygon", "coordinates": [5]},
                          r"\$.coordinates\[0\]: a ring is an array of positions, got number"),
    "position not numbers": (polygon([[0, 0], ["1", 0], [1, 1]]),
                             r'\$.coordinates\[0\]\[1\]: a position is \[longitude, latitude\], got \["1",0\]'),
    "one number": (polygon([[0, 0], [1], [1, 1]]),
                   r"\$.coordinates\[0\]\[1\]: a position is \[longitude, latitude\], got \[1\]"),
    "latitude out of range": (polygon([[0, 0], [1, 95], [1, 1]]),
                              r"\$.coordinates\[0\]\[1\]: latitude 95 is outside -90..90"),
    "longitude out of range": (polygon([[0, 0], [-190.5, 5], [1, 1]]),
                               r"\$.coordinates\[0\]\[1\]: longitude -190.5 is outside -180..180"),
    "two vertices": (polygon([[0, 0], [1, 1], [0, 0]]),
                     r"\$.coordinates\[0\]: a ring needs at least 3 distinct vertices, this one has 2"),
    "repeated vertices": (polygon([[0, 0], [0, 0], [1, 1], [1, 1], [0, 0]]),
                          "at least 3 distinct vertices, this one has 2"),
    "self-intersecting ring": (polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]),
                               r"\$.coordinates\[0\]: invalid ring: Edge \d+ crosses edge \d+"),
    "hole outside the exterior": (polygon(square(0, 0, 2), square(5, 5, 1)),
                                  r"\$.coordinates\[1\]: a hole must lie inside the exterior ring"),
    "hole crossing the exterior": (polygon(square(0, 0, 2), square(1, 1, 2)),
                                   r"\$.coordinates\[1\]: a hole must lie inside the exterior ring"),
    "hole inside a hole": (polygon(square(0, 0, 10), square(1, 1, 8), square(2, 2, 1)),
                           r"\$.coordinates: a hole lies inside another hole"),
    "holes crossing": (polygon(square(0, 0, 10), square(1, 1, 4), square(3, 3, 4)),
                       r"\$.coordinates: invalid polygon: Loop \d+ edge \d+ crosses loop \d+ edge \d+"),
    "deep in a collection": ({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": polygon(square(0, 0, 1))},
        {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [
            [square(0, 0, 1)], [[[0, 0], [1, 91], [1, 1]]]]}}]},
        r"\$.features\[1\].geometry.coordinates\[1\]\[0\]\[1\]: latitude 91 is outside -90..90"),
    "nested too deep": ("".join(['{"type": "GeometryCollection", "geometries": ['] * 70) +
                        "]}" * 70, "collections nested more than 64 deep"),
}


@pytest.mark.parametrize("module", BINDINGS)
@pytest.mark.parametrize("case", BAD_DOCUMENTS)
def test_bad_documents(tmp_path, module, case):
    document, message = BAD_DOCUMENTS[case]
    with pytest.raises(ValueError, match=message):
        module.cover_geojson(write(tmp_path, document))


BAD_PARAMETERS = [
    ({"max_cells": 0}, "max_cells must be at least 1, not 0"),
    ({"min_level": -1}, "min_level must be in 0..30, not -1"),
    ({"max_level": 31}, "max_level must be in 0..30, not 31"),
    ({"min_level": 10, "max_level": 5}, r"min_level \(10\) must not exceed max_level \(5\)"),
    ({"level_mod": 0}, "level_mod must be 1, 2 or 3, not 0"),
    ({"level_mod": 4}, "level_mod must be 1, 2 or 3, not 4"),
]


@pytest.mark.parametrize("module", BINDINGS)
@pytest.mark.parametrize("options, message", BAD_PARAMETERS)
def test_bad_parameters(tmp_path, module, options, message):
    with pytest.raises(ValueError, match=message):
        module.cover_geojson(LUBBOCK, **options)
    with pytest.raises(ValueError, match=message):   # checked before the file is opened
        module.cover_geojson(tmp_path / "nosuchfile", **options)


def test_bad_argument_types():
    with pytest.raises(TypeError):
        s2cover.cover_geojson(None)
    with pytest.raises(TypeError):
        s2cover.cover_geojson(LUBBOCK, max_cells="10")
    with pytest.raises(TypeError):
        s2cover.cover_geojson(LUBBOCK, colour="red")
    with pytest.raises(OverflowError):
        s2cover.cover_geojson(LUBBOCK, max_cells=2**40)
    with pytest.raises(ValueError, match="embedded null byte"):
        s2cover.cover_geojson("geo\0.json")
    for module in LIBRARY_BINDINGS:
        with pytest.raises(TypeError):
            module.cover_geojson(None)


@st.composite
def arbitrary_rings(draw):
    """Rings of anything a GeoJSON file might hold: out of range, tiny, on the poles or
    the antimeridian, repeated vertices (0, +-90, +-180 are drawn often)."""
    coordinate = st.one_of(st.floats(-200, 200, allow_nan=False),
                           st.sampled_from([0.0, 90.0, -90.0, 180.0, -180.0, 1e-12]))
    vertex = st.lists(coordinate, min_size=2, max_size=3)
    return draw(st.lists(st.lists(vertex, min_size=0, max_size=8), min_size=0, max_size=3))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rings=arbitrary_rings())
def test_arbitrary_input_never_aborts(tmp_path, rings):
    """Whatever the rings, a covering or a ValueError: an abort would end this test run."""
    path = write(tmp_path, polygon(*rings))
    for module in BINDINGS:
        try:
            cells = module.cover_geojson(path, max_cells=20)
        except ValueError:
            continue
        assert all(s2.S2CellId(c).is_valid() for c in cells)


# ---- the GIL ----

def test_other_threads_run_during_the_call(tmp_path, python_thread_beside):
    """While one thread covers, a Python thread keeps running."""
    # A circle of 20,000 vertices covered with many cells: a call of ~0.2 s.
    n = 20_000
    ring = [[-100 + 3 * math.cos(2 * math.pi * k / n), 40 + 3 * math.sin(2 * math.pi * k / n)]
            for k in range(n)]
    path = write(tmp_path, polygon(ring))

    for module in BINDINGS:
        overlap = python_thread_beside(lambda: module.cover_geojson(path, max_cells=20_000))
        # The GIL held for the whole call would leave the other thread at most the
        # first switch interval (5 ms, a few percent of the call); released, it runs
        # from start to end, unless other processes take the CPU (half is plenty).
        assert overlap.seconds > 0.05 and overlap.share > 0.5, (module.__name__, overlap)


# ---- memory ----

def test_repeated_calls_do_not_grow_memory(tmp_path, memory_growth):
    bad = write(tmp_path, polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]), "bad.json")

    def calls(n):
        failures = 0
        for _ in range(n):
            for module in BINDINGS:
                module.cover_geojson(LUBBOCK, max_cells=100)
                module.cover_geojson(LUBBOCK, only_id=False, max_cells=100)
                for path in (bad, tmp_path / "none"):
                    try:      # not pytest.raises: it keeps a little memory per use
                        module.cover_geojson(path)
                    except (ValueError, OSError):
                        failures += 1
        assert failures == 2 * len(BINDINGS) * n

    growth = memory_growth(lambda: calls(300), warm_up=lambda: calls(50))
    assert growth.traced < 6_000, f"Python allocations: {growth.traced} bytes more after 300 rounds"
    # C++ allocations too (tracemalloc does not see them): a leaked polygon per
    # call would be megabytes. Not measured under AddressSanitizer (make memcheck).
    if growth.resident is not None:
        assert growth.resident < 4 * 2**20, f"resident memory: {growth.resident / 2**20:.1f} MiB more"


# ---- why S2Debug::DISABLE ----

@pytest.mark.skipif(IN_MEMCHECK, reason="a program of its own, no extension in it: nothing for the memory check")
def test_libs2_aborts_on_an_invalid_loop_built_with_default_options(tmp_path):
    """debug_checks_demo.cpp builds a bow tie with S2's defaults: the process aborts.
    s2cover, given the same bow tie, raises ValueError (test_bad_documents)."""
    source = pathlib.Path(__file__).parent.parent / "debug_checks_demo.cpp"
    program = tmp_path / "demo"
    subprocess.run(["g++", "-std=c++17", str(source), *s2_library.compiler_args(), "-o", str(program)],
                   check=True)
    run = subprocess.run([str(program)], capture_output=True, text=True)
    assert run.returncode == -signal.SIGABRT
    assert "Edge 0 crosses edge 2" in run.stderr and "Check failed: IsValid()" in run.stderr
    assert "built a loop" not in run.stdout
