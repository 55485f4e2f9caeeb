// cell_tokens.cpp -- exercise 06-pybind-cell-tokens: three S2 functions bound
// with pybind11.
#include <pybind11/pybind11.h>

#include <string>
#include <utility>

#include <s2/s2cell_id.h>
#include <s2/s2latlng.h>

namespace py = pybind11;

// The cell a token names; a token S2 cannot read is a ValueError.
static S2CellId
cell_of(const std::string &token)
{
    S2CellId cell = S2CellId::FromToken(token);
    if (!cell.is_valid())
        throw py::value_error("not an S2 cell token: '" + token + "'");
    return cell;
}

static std::string
token(double lat, double lng, int level)
{
    if (level < 0 || level > S2CellId::kMaxLevel)
        throw py::value_error("level must be 0..30, not " + std::to_string(level));
    S2LatLng point = S2LatLng::FromDegrees(lat, lng);
    if (!point.is_valid())
        throw py::value_error("not a point: lat must be in -90..90 and lng in -180..180");
    return S2CellId(point).parent(level).ToToken();
}

static std::pair<double, double>
center(const std::string &token)
{
    S2LatLng middle = cell_of(token).ToLatLng();
    return {middle.lat().degrees(), middle.lng().degrees()};
}

static int
level(const std::string &token)
{
    return cell_of(token).level();
}

PYBIND11_MODULE(cell_tokens, m)
{
    m.doc() = "Exercise 06-pybind-cell-tokens: S2 cell tokens.";
    m.def("token", &token, py::arg("lat"), py::arg("lng"), py::arg("level"),
          "The token of the S2 cell at level (0..30) that holds the point (degrees).");
    m.def("center", &center, py::arg("token"),
          "The centre of the token's cell, as (lat, lng) in degrees.");
    m.def("level", &level, py::arg("token"), "The level of the token's cell, 0..30.");
}
