"""The covering s2cover computes, done independently: Python's json module and
the official S2 Python bindings (`s2geometry` on PyPI, SWIG-generated from S2's
own C++). The tests cross-check s2cover against it and the lesson times it.

It follows the same rules as geojson_cover.cpp (positions are [lng, lat], the
closing vertex and repeated vertices dropped, rings normalised, holes nested,
polygons united) but handles only valid input: it validates nothing, and the
wheel's S2, a release build, builds an invalid loop without a word.
"""
import json
import math

import s2geometry as s2


# [region: loops]
def ring_to_loop(ring):
    points = []      # (lat, lng) in radians: repeats are compared as geojson_cover.cpp does
    for lng, lat, *_altitude in ring:
        latlng = s2.S2LatLng.FromDegrees(lat, lng)
        point = (latlng.lat().radians(), latlng.lng().radians())
        if not points or point != points[-1]:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    loop = s2.S2Loop([s2.S2LatLng.FromRadians(lat, lng).ToPoint() for lat, lng in points])
    loop.Normalize()
    return loop


def rings_to_polygon(rings):
    polygon = s2.S2Polygon()
    polygon.InitNested([ring_to_loop(ring) for ring in rings])
    return polygon
# [end: loops]


def polygons_in(geojson):
    """Every polygon's rings in a GeoJSON object, in document order."""
    kind = geojson["type"]
    if kind == "FeatureCollection":
        for feature in geojson["features"]:
            yield from polygons_in(feature)
    elif kind == "Feature":
        if geojson["geometry"] is not None:
            yield from polygons_in(geojson["geometry"])
    elif kind == "GeometryCollection":
        for geometry in geojson["geometries"]:
            yield from polygons_in(geometry)
    elif kind == "Polygon":
        yield geojson["coordinates"]
    elif kind == "MultiPolygon":
        yield from geojson["coordinates"]
    else:
        raise ValueError(f"not a polygon type: {kind}")


def region(geojson):
    """The union of all polygons, united one after another in document order."""
    united = s2.S2Polygon()
    for rings in polygons_in(geojson):
        polygon = rings_to_polygon(rings)
        if united.is_empty():
            united = polygon
        else:
            result = s2.S2Polygon()
            result.InitToUnion(united, polygon)
            united = result
    return united


def coverer(max_cells=4096, min_level=0, max_level=30, level_mod=1):
    c = s2.S2RegionCoverer()
    c.set_max_cells(max_cells)
    c.set_min_level(min_level)
    c.set_max_level(max_level)
    c.set_level_mod(level_mod)
    return c


def cover_geojson(path, max_cells=4096, min_level=0, max_level=30, level_mod=1):
    """The cell ids covering the polygons of the GeoJSON file at path."""
    with open(path) as f:
        geojson = json.load(f)
    cells = coverer(max_cells, min_level, max_level, level_mod).GetCovering(region(geojson))
    return [cell.id() for cell in cells]


def cell_record(cell_id):
    """(id, token, level, face, vertices) of a cell, as s2cover's Cell holds them."""
    cid = s2.S2CellId(cell_id)
    cell = s2.S2Cell(cid)
    vertices = []
    for k in range(4):
        v = s2.S2LatLng(cell.GetVertex(k))
        vertices.append((v.lat().degrees(), v.lng().degrees()))
    return (cid.id(), cid.ToToken(), cid.level(), cid.face(), tuple(vertices))


def star_ring(vertices, lat=33.6, lng=-101.8, radius=0.3):
    """A closed GeoJSON ring of many vertices with a wavy outline (no self-crossing:
    one vertex per angle). The lesson and the benchmark cover it to have a
    boundary as detailed as a real county's."""
    ring = []
    for k in range(vertices):
        angle = 2 * math.pi * k / vertices
        r = radius * (1 + 0.15 * math.sin(7 * angle) + 0.04 * math.sin(61 * angle))
        ring.append([lng + r * math.cos(angle) / math.cos(math.radians(lat)), lat + r * math.sin(angle)])
    return ring + [ring[0]]


def write_polygon(path, *rings):
    """Write a GeoJSON Polygon of the given rings to path; return path."""
    with open(path, "w") as f:
        json.dump({"type": "Polygon", "coordinates": list(rings)}, f)
    return path
