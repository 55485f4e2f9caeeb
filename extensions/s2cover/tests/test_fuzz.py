"""Fuzz harness for s2cover's GeoJSON reading: any file, covered by both bindings.

tools/fuzz.py runs it: `make fuzz` explores with atheris, `make test` replays a
fixed slice (test_replay below). The two bindings share one kernel, so for every
file they must agree: the same cell ids, or the same exception and message.
"""
import json

import s2cover
import s2cover_pybind

EXPECTED = (ValueError, OSError)   # not JSON, not GeoJSON polygons, or not a valid polygon
MAX_CELLS = 64                     # keeps each covering quick; the limits are tested elsewhere


def outcome(module, path):
    """(cell ids, None) or (None, the exception)."""
    try:
        return module.cover_geojson(path, only_id=True, max_cells=MAX_CELLS), None
    except EXPECTED as error:
        return None, error


def one_input(path):
    (by_hand, error), (by_pybind, pybind_error) = outcome(s2cover, path), outcome(s2cover_pybind, path)
    assert by_hand == by_pybind, "the bindings give different cells"
    assert repr(error) == repr(pybind_error), f"the bindings fail differently: {error!r:.300} vs {pybind_error!r:.300}"
    if error is not None:
        raise error


def seeds():
    def square(lng, lat, size):
        return [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    polygon = {"type": "Polygon", "coordinates": [square(-102.0, 33.4, 0.5), square(-101.8, 33.6, 0.1)]}
    yield "polygon-with-hole", json.dumps(polygon).encode()
    yield "feature-collection", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"}, "geometry": polygon},
        {"type": "Feature", "properties": None, "geometry": None}]}).encode()
    yield "multipolygon", json.dumps({"type": "MultiPolygon", "coordinates": [
        [square(10, 10, 1)], [square(12, 10, 1)]]}).encode()
    yield "geometry-collection", json.dumps({"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "coordinates": [square(-1, -1, 2)]}]}).encode()


def test_replay(fuzz_replay):
    fuzz_replay(__file__)
