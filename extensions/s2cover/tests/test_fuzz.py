"""Fuzz harness for s2cover's GeoJSON reading: any file, covered by all three bindings.

tools/fuzz.py runs it: `make fuzz` explores with atheris, `make test` replays a
fixed slice (test_replay below). The three bindings share one kernel, so for every
file they must agree: the same cell ids, or the same exception and message.
"""
import json
import os

import s2cover
import s2cover_nanobind
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
    by_hand, error = outcome(s2cover, path)
    # Under make memcheck (PYEXT_MEMCHECK) the setup.py builds only: see test_s2cover.py.
    for module in (s2cover_pybind, *([] if os.environ.get("PYEXT_MEMCHECK") else [s2cover_nanobind])):
        cells, its_error = outcome(module, path)
        assert cells == by_hand, f"{module.__name__} gives different cells"
        assert repr(its_error) == repr(error), \
            f"{module.__name__} fails differently: {its_error!r:.300} vs {error!r:.300}"
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
