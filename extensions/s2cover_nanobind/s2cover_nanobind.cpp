// s2cover_nanobind: the same binding as s2cover.cpp and s2cover_pybind.cpp, written
// with nanobind. Same kernel (../s2cover/geojson_cover.cpp), same arguments, same
// errors; as with pybind11, only_id=False gives plain tuples, not Cell records.
// Lesson 06 compares the three bindings: lines, compile time, size, call cost.
#include <cerrno>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>  // the token, a std::string: nanobind converts only what a header is included for

#include "geojson_cover.hpp"

namespace gc = geojson_cover;
namespace nb = nanobind;

static nb::list
cover_geojson(const std::filesystem::path &path, bool only_id, const gc::CoverOptions &options)
{
    std::vector<S2CellId> cells;
    std::optional<nb::python_error> raised;  // by a signal handler during the call
    try {
        nb::gil_scoped_release
            without_gil;  // reacquired when this block ends, also by an exception
        // Asked every 50 ms: run Python's signal handlers (Ctrl-C), as s2cover's SignalCheck.
        cells = gc::cover_file(path.string(), options, [&raised] {
            nb::gil_scoped_acquire with_gil;
            if (PyErr_CheckSignals() == 0)
                return false;
            raised.emplace();  // takes the exception the handler raised
            return true;
        });
    } catch (const gc::Interrupted &) {
        if (raised)
            throw *raised;  // KeyboardInterrupt, say
        throw;
    }
    nb::list result;
    for (S2CellId cell : cells) {
        if (only_id) {
            result.append(cell.id());
            continue;
        }
        const gc::CellInfo c = gc::describe(cell);
        nb::tuple vertices = nb::make_tuple(nb::make_tuple(c.vertex_lat[0], c.vertex_lng[0]),
                                            nb::make_tuple(c.vertex_lat[1], c.vertex_lng[1]),
                                            nb::make_tuple(c.vertex_lat[2], c.vertex_lng[2]),
                                            nb::make_tuple(c.vertex_lat[3], c.vertex_lng[3]));
        result.append(nb::make_tuple(c.id, c.token, c.level, c.face, vertices));
    }
    return result;
}

NB_MODULE(s2cover_nanobind, m)
{
    m.doc() = "Google S2 coverings of GeoJSON polygons (C++, nanobind).";

    // nanobind maps std::invalid_argument (InvalidInput's base) to ValueError and
    // std::bad_alloc to MemoryError; FileError becomes the right OSError here, and
    // Interrupted (a stop without a Python exception) KeyboardInterrupt.
    nb::register_exception_translator([](const std::exception_ptr &failure, void *) {
        try {
            std::rethrow_exception(failure);
        } catch (const gc::FileError &e) {
            errno = e.errno_value();
            PyErr_SetFromErrnoWithFilename(PyExc_OSError, e.what());
        } catch (const gc::Interrupted &) {
            PyErr_SetNone(PyExc_KeyboardInterrupt);
        }
    });

    m.def(
        "cover_geojson",
        [](const std::filesystem::path &path, bool only_id, int max_cells, int min_level,
           int max_level, int level_mod) {
            return cover_geojson(path, only_id, {max_cells, min_level, max_level, level_mod});
        },
        nb::arg("path"), nb::arg("only_id") = true, nb::arg("max_cells") = 4096,
        nb::arg("min_level") = 0, nb::arg("max_level") = 30, nb::arg("level_mod") = 1,
        "The S2 covering of the polygons in a GeoJSON file (see s2cover.cover_geojson).\n"
        "Cells come as (id, token, level, face, vertices) tuples when only_id is False.");

    // Without nb::arg names the arguments are positional only, as s2cover.cell_id's;
    // nb::sig gives the signature its names back, for help() and inspect.
    m.def("cell_id", &gc::cell_id_at,
          nb::sig("def cell_id(lat: float, lng: float, level: int, /) -> int"),
          "The id of the S2 cell at level (0..30) that holds the point (degrees).");
}
