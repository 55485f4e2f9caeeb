// s2cover_pybind: the same binding as s2cover.cpp, written with pybind11.
// Same kernel (geojson_cover.cpp), same arguments, same errors; one difference:
// with only_id=False the cells come as plain tuples, not s2cover's Cell records.
// Lesson 06 counts the lines of both files and measures what each call costs.
#include <cerrno>
#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl/filesystem.h>

#include "geojson_cover.hpp"

namespace gc = geojson_cover;
namespace py = pybind11;

static py::list
cover_geojson(const std::filesystem::path &path, bool only_id, const gc::CoverOptions &options)
{
    std::vector<S2CellId> cells;
    std::optional<py::error_already_set> raised;  // by a signal handler during the call
    try {
        py::gil_scoped_release
            without_gil;  // reacquired when this block ends, also by an exception
        // Asked every 50 ms: run Python's signal handlers (Ctrl-C), as s2cover's SignalCheck.
        cells = gc::cover_file(path.string(), options, [&raised] {
            py::gil_scoped_acquire with_gil;
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
    py::list result;
    for (S2CellId cell : cells) {
        if (only_id) {
            result.append(cell.id());
            continue;
        }
        const gc::CellInfo c = gc::describe(cell);
        py::tuple vertices = py::make_tuple(py::make_tuple(c.vertex_lat[0], c.vertex_lng[0]),
                                            py::make_tuple(c.vertex_lat[1], c.vertex_lng[1]),
                                            py::make_tuple(c.vertex_lat[2], c.vertex_lng[2]),
                                            py::make_tuple(c.vertex_lat[3], c.vertex_lng[3]));
        result.append(py::make_tuple(c.id, c.token, c.level, c.face, vertices));
    }
    return result;
}

// mod_gil_not_used: safe without the GIL, for s2cover's reasons (s2cover.cpp's
// slots). not_supported: no import in a subinterpreter; Python 3.12+ refuses it
// there. (3.11 has no such slot, and there an import in one hangs: pybind11's
// PyGILState_Ensure waits for the GIL its own thread holds.)
PYBIND11_MODULE(s2cover_pybind, m, py::mod_gil_not_used(),
                py::multiple_interpreters::not_supported())
{
    m.doc() = "Google S2 coverings of GeoJSON polygons (C++, pybind11).";

    // pybind11 already maps std::invalid_argument (InvalidInput's base) to
    // ValueError and std::bad_alloc to MemoryError; FileError needs a translator
    // to become the right OSError, and Interrupted (a stop without a Python
    // exception, which the signal check never asks for) becomes KeyboardInterrupt.
    py::register_exception_translator([](std::exception_ptr failure) {
        try {
            if (failure)
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
        py::arg("path"), py::arg("only_id") = true, py::arg("max_cells") = 4096,
        py::arg("min_level") = 0, py::arg("max_level") = 30, py::arg("level_mod") = 1,
        "The S2 covering of the polygons in a GeoJSON file (see s2cover.cover_geojson).\n"
        "Cells come as (id, token, level, face, vertices) tuples when only_id is False.");

    // py::pos_only(): positional arguments only, as s2cover.cell_id (METH_FASTCALL).
    m.def("cell_id", &gc::cell_id_at, py::arg("lat"), py::arg("lng"), py::arg("level"),
          py::pos_only(),
          "The id of the S2 cell at level (0..30) that holds the point (degrees).");
}
