// cell_tokens.cpp -- exercise 06-pybind-cell-tokens: three S2 functions bound
// with pybind11.
#include <pybind11/pybind11.h>

#include <string>
#include <utility>

#include <s2/s2cell_id.h>
#include <s2/s2latlng.h>

namespace py = pybind11;

// TODO: three C++ functions, token(lat, lng, level), center(token) and
// level(token), on S2CellId and S2LatLng (see README.md); bad input throws
// py::value_error, which pybind11 turns into ValueError.

PYBIND11_MODULE(cell_tokens, m)
{
    m.doc() = "Exercise 06-pybind-cell-tokens: S2 cell tokens.";
    // TODO: m.def each function, with its arguments' names (py::arg) and a docstring.
}
