// latlng.hpp -- a small C++ kernel for exercise 06-exception-boundary: it knows
// nothing of Python, and reports every failure by throwing.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace latlng {

// The text is not "lat,lng".
struct ParseError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// A latitude outside -90..90 or a longitude outside -180..180.
struct OutOfRange : std::out_of_range {
    using std::out_of_range::out_of_range;
};

struct Point {
    double lat, lng;  // degrees
};

// The point "lat,lng" names, in degrees. Throws ParseError or OutOfRange.
Point parse(std::string_view text);

// n copies of that point. Also throws what std::vector throws when n points
// cannot be held: std::length_error (more than it can ever hold) or
// std::bad_alloc (more than this machine's memory).
std::vector<Point> repeat(std::string_view text, std::size_t n);

}  // namespace latlng
