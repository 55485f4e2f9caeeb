// geojson_cover.cpp: see geojson_cover.hpp.
//
// Two rules shape this file:
//  - Debian's libs2 is built with its debug checks on: an S2Loop or S2Polygon
//    built from bad vertices with default options calls abort() and takes the
//    interpreter with it. So every loop and polygon is built with
//    S2Debug::DISABLE and then validated explicitly, turning what S2 finds into
//    an InvalidInput the caller can catch.
//  - Resources are owned by objects (std::string, std::vector, unique_ptr), so
//    an exception thrown anywhere frees everything on its way out: nothing
//    needs a cleanup label as in C.
#include "geojson_cover.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>
#include <s2/s2builderutil_snap_functions.h>
#include <s2/s2cell.h>
#include <s2/s2edge_crossings.h>
#include <s2/s2error.h>
#include <s2/s2latlng.h>
#include <s2/s2loop.h>
#include <s2/s2polygon.h>
#include <s2/s2region_coverer.h>

namespace geojson_cover {

using nlohmann::json;
using Polygons = std::vector<std::unique_ptr<S2Polygon>>;

FileError::FileError(const std::string& path, int errno_value)
    : std::runtime_error(path), errno_value_(errno_value) {}

void check_options(const CoverOptions& o) {
    if (o.max_cells < 1)
        throw InvalidInput("max_cells must be at least 1, not " + std::to_string(o.max_cells));
    if (o.min_level < 0 || o.min_level > S2CellId::kMaxLevel)
        throw InvalidInput("min_level must be in 0..30, not " + std::to_string(o.min_level));
    if (o.max_level < 0 || o.max_level > S2CellId::kMaxLevel)
        throw InvalidInput("max_level must be in 0..30, not " + std::to_string(o.max_level));
    if (o.min_level > o.max_level)
        throw InvalidInput("min_level (" + std::to_string(o.min_level) +
                           ") must not exceed max_level (" + std::to_string(o.max_level) + ")");
    if (o.level_mod < 1 || o.level_mod > 3)
        throw InvalidInput("level_mod must be 1, 2 or 3, not " + std::to_string(o.level_mod));
}

namespace {

// [region: read_file]
std::string read_file(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file) throw FileError(path, errno);
    std::string text;
    char buffer[1 << 16];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
    if (std::ferror(file.get())) throw FileError(path, errno);   // e.g. EISDIR
    return text;
}
// [end: read_file]

std::string at(const std::string& where, std::size_t index) {
    return where + "[" + std::to_string(index) + "]";
}

// A member that must be present and an array, or InvalidInput naming it.
const json& array_member(const json& object, const char* name, const std::string& type,
                         const std::string& where) {
    auto it = object.find(name);
    if (it == object.end() || !it->is_array())
        throw InvalidInput(where + ": a " + type + " needs a \"" + name + "\" array");
    return *it;
}

S2LatLng position(const json& p, const std::string& where) {
    // GeoJSON positions are [longitude, latitude] (RFC 7946 section 3.1.1),
    // optionally followed by an altitude, which a covering ignores.
    if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number())
        throw InvalidInput(where + ": a position is [longitude, latitude], got " + p.dump());
    const double lng = p[0].get<double>(), lat = p[1].get<double>();
    if (!(lat >= -90 && lat <= 90))
        throw InvalidInput(where + ": latitude " + p[1].dump() + " is outside -90..90");
    if (!(lng >= -180 && lng <= 180))
        throw InvalidInput(where + ": longitude " + p[0].dump() + " is outside -180..180");
    return S2LatLng::FromDegrees(lat, lng);
}

// [region: make_loop]
std::unique_ptr<S2Loop> make_loop(const json& ring, const std::string& where) {
    if (!ring.is_array())
        throw InvalidInput(where + ": a ring is an array of positions, got " + ring.type_name());
    std::vector<S2LatLng> points;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        S2LatLng p = position(ring[i], at(where, i));
        if (points.empty() || p != points.back()) points.push_back(p);  // drop repeats
    }
    // GeoJSON closes a ring by repeating its first vertex; S2 closes loops itself.
    if (points.size() > 1 && points.front() == points.back()) points.pop_back();
    if (points.size() < 3)
        throw InvalidInput(where + ": a ring needs at least 3 distinct vertices, this one has " +
                           std::to_string(points.size()));

    std::vector<S2Point> vertices;
    vertices.reserve(points.size());
    for (const S2LatLng& p : points) vertices.push_back(p.ToPoint());
    auto loop = std::make_unique<S2Loop>(vertices, S2Debug::DISABLE);
    S2Error error;
    if (loop->FindValidationError(&error))     // self-intersection, antipodal edge, ...
        throw InvalidInput(where + ": invalid ring: " + error.text());
    // S2 reads a loop's interior on its left, so a clockwise ring would mean
    // "everything except this area". GeoJSON writers disagree on orientation
    // (RFC 7946 says counter-clockwise, many files are clockwise): take the
    // smaller of the two regions a ring bounds, whichever way it runs.
    loop->Normalize();
    return loop;
}
// [end: make_loop]

// [region: make_polygon]
std::unique_ptr<S2Polygon> make_polygon(const json& rings, const std::string& where) {
    if (!rings.is_array() || rings.empty())
        throw InvalidInput(where + ": a polygon is a non-empty array of rings "
                           "(the exterior first, then its holes)");
    std::vector<std::unique_ptr<S2Loop>> loops;
    for (std::size_t i = 0; i < rings.size(); ++i) {
        loops.push_back(make_loop(rings[i], at(where, i)));
        if (i > 0 && !loops[0]->Contains(*loops[i]))
            throw InvalidInput(at(where, i) + ": a hole must lie inside the exterior ring");
    }
    auto polygon = std::make_unique<S2Polygon>();
    polygon->set_s2debug_override(S2Debug::DISABLE);
    // Every loop is normalised (interior on its left, at most half the sphere);
    // InitNested works out which loop lies inside which: the exterior at depth
    // 0, its holes at depth 1.
    polygon->InitNested(std::move(loops));
    S2Error error;
    if (polygon->FindValidationError(&error))  // rings crossing or sharing edges
        throw InvalidInput(where + ": invalid polygon: " + error.text());
    for (int k = 0; k < polygon->num_loops(); ++k)
        if (polygon->loop(k)->depth() > 1)
            throw InvalidInput(where + ": a hole lies inside another hole");
    return polygon;
}
// [end: make_polygon]

void collect(const json& object, const std::string& where, Polygons& out, int depth) {
    if (depth > 64) throw InvalidInput(where + ": collections nested more than 64 deep");
    if (!object.is_object())
        throw InvalidInput(where + ": expected a GeoJSON object, got " + object.type_name());
    auto type_it = object.find("type");
    if (type_it == object.end() || !type_it->is_string())
        throw InvalidInput(where + ": a GeoJSON object needs a \"type\" string");
    const std::string& type = type_it->get_ref<const std::string&>();

    if (type == "FeatureCollection") {
        const json& features = array_member(object, "features", type, where);
        for (std::size_t i = 0; i < features.size(); ++i)
            collect(features[i], at(where + ".features", i), out, depth + 1);
    } else if (type == "Feature") {
        auto geometry = object.find("geometry");
        if (geometry == object.end())
            throw InvalidInput(where + ": a Feature needs a \"geometry\" member");
        if (!geometry->is_null())              // RFC 7946: null means "unlocated"
            collect(*geometry, where + ".geometry", out, depth + 1);
    } else if (type == "GeometryCollection") {
        const json& geometries = array_member(object, "geometries", type, where);
        for (std::size_t i = 0; i < geometries.size(); ++i)
            collect(geometries[i], at(where + ".geometries", i), out, depth + 1);
    } else if (type == "Polygon") {
        out.push_back(make_polygon(array_member(object, "coordinates", type, where),
                                   where + ".coordinates"));
    } else if (type == "MultiPolygon") {
        const json& polygons = array_member(object, "coordinates", type, where);
        for (std::size_t i = 0; i < polygons.size(); ++i)
            out.push_back(make_polygon(polygons[i], at(where + ".coordinates", i)));
    } else if (type == "Point" || type == "MultiPoint" || type == "LineString" ||
               type == "MultiLineString") {
        throw InvalidInput(where + ": a " + type +
                           " has no area to cover (only Polygon and MultiPolygon can be covered)");
    } else {
        throw InvalidInput(where + ": unknown GeoJSON type \"" + type + "\"");
    }
}

// [region: unite]
// The union of all polygons. Putting every loop into one S2Polygon instead
// would not unite them: InitNested would read a polygon inside another as a
// hole, and two that partly overlap as crossing loops, an invalid polygon.
std::unique_ptr<S2Polygon> unite(Polygons polygons) {
    auto result = std::make_unique<S2Polygon>();
    result->set_s2debug_override(S2Debug::DISABLE);
    for (auto& polygon : polygons) {
        if (result->is_empty()) {
            result = std::move(polygon);
            continue;
        }
        auto united = std::make_unique<S2Polygon>();
        united->set_s2debug_override(S2Debug::DISABLE);
        S2Error error;
        // The snap radius InitToUnion(a, b) uses by default, with an S2Error
        // instead of a debug check.
        if (!united->InitToUnion(*result, *polygon,
                                 s2builderutil::IdentitySnapFunction(S2::kIntersectionMergeRadius),
                                 &error))
            throw InvalidInput("cannot unite the polygons: " + error.text());
        result = std::move(united);
    }
    return result;
}
// [end: unite]

}  // namespace

// [region: cover_text]
std::vector<S2CellId> cover_text(const std::string& text, const CoverOptions& options) {
    check_options(options);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw InvalidInput("the file holds no JSON: it is empty or only whitespace");
    json document;
    try {
        document = json::parse(text);
    } catch (const json::parse_error& e) {
        throw InvalidInput(std::string("not valid JSON: ") + e.what());
    }
    Polygons polygons;
    collect(document, "$", polygons, 0);
    std::unique_ptr<S2Polygon> region = unite(std::move(polygons));

    S2RegionCoverer::Options coverer_options;
    coverer_options.set_max_cells(options.max_cells);
    coverer_options.set_min_level(options.min_level);
    coverer_options.set_max_level(options.max_level);
    coverer_options.set_level_mod(options.level_mod);
    S2RegionCoverer coverer(coverer_options);
    std::vector<S2CellId> cells;
    coverer.GetCovering(*region, &cells);
    return cells;
}
// [end: cover_text]

std::vector<S2CellId> cover_file(const std::string& path, const CoverOptions& options) {
    check_options(options);     // before touching the file: bad arguments first
    return cover_text(read_file(path), options);
}

CellInfo describe(S2CellId id) {
    CellInfo info;
    info.id = id.id();
    info.token = id.ToToken();
    info.level = id.level();
    info.face = id.face();
    const S2Cell cell(id);
    for (int k = 0; k < 4; ++k) {
        const S2LatLng vertex(cell.GetVertex(k));
        info.vertex_lat[k] = vertex.lat().degrees();
        info.vertex_lng[k] = vertex.lng().degrees();
    }
    return info;
}

std::uint64_t cell_id_at(double lat, double lng, int level) {
    if (!(lat >= -90 && lat <= 90)) throw InvalidInput("latitude must be in -90..90");
    if (!(lng >= -180 && lng <= 180)) throw InvalidInput("longitude must be in -180..180");
    if (level < 0 || level > S2CellId::kMaxLevel) throw InvalidInput("level must be in 0..30");
    return S2CellId(S2LatLng::FromDegrees(lat, lng)).parent(level).id();
}

}  // namespace geojson_cover
