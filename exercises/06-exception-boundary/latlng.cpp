// latlng.cpp -- the kernel of exercise 06-exception-boundary (you do not edit it).
#include "latlng.hpp"

#include <charconv>
#include <string>

namespace latlng {

static double
number(std::string_view text, std::string_view whole)
{
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        throw ParseError("not a point: '" + std::string(whole)
                         + "' (expected \"lat,lng\" in degrees)");
    return value;
}

Point
parse(std::string_view text)
{
    auto comma = text.find(',');
    if (comma == std::string_view::npos)
        throw ParseError("not a point: '" + std::string(text)
                         + "' (expected \"lat,lng\" in degrees)");
    Point point{number(text.substr(0, comma), text), number(text.substr(comma + 1), text)};
    if (!(point.lat >= -90 && point.lat <= 90))
        throw OutOfRange("latitude " + std::string(text.substr(0, comma)) + " is outside -90..90");
    if (!(point.lng >= -180 && point.lng <= 180))
        throw OutOfRange("longitude " + std::string(text.substr(comma + 1))
                         + " is outside -180..180");
    return point;
}

std::vector<Point>
repeat(std::string_view text, std::size_t n)
{
    Point point = parse(text);
    return std::vector<Point>(n, point);
}

}  // namespace latlng
