// geojson_cover: GeoJSON polygons -> an S2 cell covering, in plain C++17.
//
// This is the kernel both bindings wrap (s2cover.cpp by hand with the CPython
// C API, s2cover_pybind.cpp with pybind11), so the comparison between them
// measures the bindings and nothing else. It knows nothing about Python:
// every failure is a C++ exception of one of the two types below, and each
// binding decides which Python exception it becomes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <s2/s2cell_id.h>

namespace geojson_cover {

// The file could not be read. errno_value is the errno of the failed call, so a
// binding can raise the matching OSError subclass (FileNotFoundError, ...).
class FileError : public std::runtime_error {
public:
    FileError(const std::string& path, int errno_value);
    int errno_value() const { return errno_value_; }
private:
    int errno_value_;
};

// The input was read but is wrong: not JSON, not GeoJSON, an invalid polygon,
// or a covering parameter out of range. The message says what and where.
class InvalidInput : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The parameters of S2RegionCoverer, with the original rbs2 defaults.
struct CoverOptions {
    int max_cells = 4096;
    int min_level = 0;
    int max_level = 30;
    int level_mod = 1;
};

// What a full cell record holds (only_id=False).
struct CellInfo {
    std::uint64_t id;
    std::string token;
    int level;
    int face;
    double vertex_lat[4];   // degrees, the cell's corners counter-clockwise
    double vertex_lng[4];
};

// Throws InvalidInput unless max_cells >= 1, 0 <= min_level <= max_level <= 30
// and level_mod is 1, 2 or 3.
void check_options(const CoverOptions& options);

// Reads the GeoJSON file at path, unites every polygon in it and returns the
// covering S2RegionCoverer computes for that region. Accepts Polygon,
// MultiPolygon, Feature, FeatureCollection and GeometryCollection.
std::vector<S2CellId> cover_file(const std::string& path, const CoverOptions& options);

// The same for GeoJSON text already in memory: cover_file reads the file and
// calls this.
std::vector<S2CellId> cover_text(const std::string& text, const CoverOptions& options);

CellInfo describe(S2CellId id);

// The leaf cell (or its parent at level) holding a point: the tiny function
// lesson 04 and bench.py call over and over to measure what one call through
// each binding costs.
std::uint64_t cell_id_at(double lat, double lng, int level);

}  // namespace geojson_cover
