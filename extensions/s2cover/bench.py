"""Benchmark: s2cover (C API), s2cover_pybind and s2cover_nanobind vs the official S2 Python bindings."""
import pathlib
import tempfile

import s2geometry as s2

import s2cover
import s2cover_nanobind
import s2cover_pybind
import s2cover_reference as ref


def run(quick, measure):
    vertices = 2_000 if quick else 100_000
    calls = 10_000 if quick else 1_000_000
    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = ref.write_polygon(pathlib.Path(folder) / "star.geojson", ref.star_ring(vertices))
        variants = {
            "official bindings (json + S2 objects)": lambda: ref.cover_geojson(path),
            "s2cover (C API)": lambda: s2cover.cover_geojson(path),
            "s2cover_pybind": lambda: s2cover_pybind.cover_geojson(path),
            "s2cover_nanobind": lambda: s2cover_nanobind.cover_geojson(path),
        }
        expected = variants["official bindings (json + S2 objects)"]()
        for name, variant in variants.items():
            assert variant() == expected, name
        results.append({
            "workload": f"cover_geojson: a {vertices:,}-vertex polygon, {len(expected):,} cells",
            "baseline": "official bindings (json + S2 objects)", "peer": None,
            "seconds": {name: measure(variant) for name, variant in variants.items()},
            "items": vertices})

    points = [(30 + (k % 1000) * 0.01, -100 + (k // 1000) * 0.01) for k in range(calls)]

    def official(lat, lng, level):
        return s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lng)).parent(level).id()

    def loop(cell_id):
        return lambda: [cell_id(lat, lng, 30) for lat, lng in points]
    variants = {"official bindings (4 SWIG calls)": loop(official),
                "s2cover_pybind.cell_id": loop(s2cover_pybind.cell_id),
                "s2cover_nanobind.cell_id": loop(s2cover_nanobind.cell_id),
                "s2cover.cell_id (METH_FASTCALL)": loop(s2cover.cell_id)}
    expected = variants["official bindings (4 SWIG calls)"]()
    for name, variant in variants.items():
        assert variant() == expected, name
    results.append({
        "workload": f"cell_id: {calls:,} calls from Python",
        "baseline": "official bindings (4 SWIG calls)", "peer": None,
        "seconds": {name: measure(variant, repeat=3) for name, variant in variants.items()},
        "items": calls})

    # A call returning records: a fixed-level covering (every cell at level 14 over a
    # square of 0.5 degrees: a few thousand cells, covered quickly), each cell
    # described and returned as a record: s2cover's Cell, the others' tuples.
    with tempfile.TemporaryDirectory() as folder:
        square = [[-101.9, 33.4], [-101.4, 33.4], [-101.4, 33.9], [-101.9, 33.9], [-101.9, 33.4]]
        path = ref.write_polygon(pathlib.Path(folder) / "square.geojson", square)
        options = dict(only_id=False, min_level=14, max_level=14, max_cells=1_000_000)
        variants = {name: (lambda module=module: module.cover_geojson(path, **options))
                    for name, module in (("s2cover (Cell records)", s2cover),
                                         ("s2cover_pybind (tuples)", s2cover_pybind),
                                         ("s2cover_nanobind (tuples)", s2cover_nanobind))}
        expected = [tuple(cell) for cell in variants["s2cover (Cell records)"]()]
        for name, variant in variants.items():
            assert [tuple(cell) for cell in variant()] == expected, name
        results.append({
            "workload": f"cover_geojson(only_id=False): {len(expected):,} cell records",
            "baseline": "s2cover (Cell records)", "peer": None,
            "seconds": {name: measure(variant) for name, variant in variants.items()},
            "items": len(expected)})
    return results
