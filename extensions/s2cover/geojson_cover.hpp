// geojson_cover: GeoJSON polygons -> an S2 cell covering, in plain C++17.
//
// This is the kernel both bindings wrap (s2cover.cpp by hand with the CPython
// C API, s2cover_pybind.cpp with pybind11), so the comparison between them
// measures the bindings and nothing else. It knows nothing about Python:
// every failure is a C++ exception of one of the three types below, or
// std::bad_alloc, and each binding decides which Python exception it becomes.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <s2/s2cell_id.h>

namespace geojson_cover {

// The file could not be read. errno_value is the errno of the failed call, so a
// binding can raise the matching OSError subclass (FileNotFoundError, ...).
class FileError : public std::runtime_error {
  public:
    FileError(const std::string &path, int errno_value);
    int
    errno_value() const
    {
        return errno_value_;
    }

  private:
    int errno_value_;
};

// The input was read but is wrong: not JSON, not GeoJSON, an invalid polygon,
// or a covering parameter out of range. The message says what and where.
class InvalidInput : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// The caller asked to stop: the stop check given to cover_file returned true
// (the bindings' check runs Python's signal handlers, so this is Ctrl-C).
class Interrupted : public std::runtime_error {
  public:
    Interrupted() : std::runtime_error("interrupted")
    {}
};

// Limits on what a document and a covering may cost, checked before the work
// that would exceed them (the messages name them):
// - JSON nested deeper than this is refused before it is parsed: nlohmann's
//   parser keeps its own stack, but printing a value and our walk recurse.
constexpr int kMaxJsonDepth = 512;
// - At most this many cells in a covering, with level_mod 1. S2's coverer keeps
//   a candidate (and its children) for every cell it may still split, a few
//   hundred bytes a cell; level_mod 2 and 3 split each cell into 16 or 64, so
//   their limit is a quarter and a sixteenth of this (max_cells_limit).
//   Both max_cells and the cells min_level forces on the region count.
constexpr int kMaxCells = 1000000;
int max_cells_limit(int level_mod);

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
    double vertex_lat[4];  // degrees, the cell's corners counter-clockwise
    double vertex_lng[4];
};

// Throws InvalidInput unless 1 <= max_cells <= max_cells_limit(level_mod),
// 0 <= min_level <= max_level <= 30 and level_mod is 1, 2 or 3.
void check_options(const CoverOptions &options);

// Asked about every 50 ms during a long call, from the calling thread: true
// stops the call with Interrupted (or with what the check threw). Empty: never.
// Not asked inside one S2 call: validating and indexing one huge ring takes
// S2 about 2.5 s per million vertices, uninterrupted.
using StopCheck = std::function<bool()>;

// Reads the GeoJSON file at path, unites every polygon in it and returns the
// covering S2RegionCoverer computes for that region. Accepts Polygon,
// MultiPolygon, Feature, FeatureCollection and GeometryCollection.
std::vector<S2CellId> cover_file(const std::string &path, const CoverOptions &options,
                                 const StopCheck &stop = {});

// The same for GeoJSON text already in memory: cover_file reads the file and
// calls this.
std::vector<S2CellId> cover_text(const std::string &text, const CoverOptions &options,
                                 const StopCheck &stop = {});

CellInfo describe(S2CellId id);

// The leaf cell (or its parent at level) holding a point: the tiny function
// lesson 06 and bench.py call over and over to measure what one call through
// each binding costs.
std::uint64_t cell_id_at(double lat, double lng, int level);

}  // namespace geojson_cover
