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
//    needs a cleanup label as in C. S2 is the exception. S2RegionCoverer keeps
//    its candidates as raw pointers, freed only when it finishes: an
//    exception through it leaks them all (std::bad_alloc once leaked hundreds
//    of MiB). So its work is bounded beforehand (kMaxCells), and the region it
//    covers stops it early by reporting "no intersection" from then on
//    (WatchedRegion), never by throwing. And an S2 shape index that
//    std::bad_alloc interrupted aborts in its destructor (see abandon).
#include "geojson_cover.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <utility>

#if defined(__GLIBC__)
#  include <malloc.h>  // malloc_trim
#endif
#if defined(__GLIBCXX__)
#  include <cxxabi.h>  // abi::__forced_unwind
#endif

#include <nlohmann/json.hpp>
#include <s2/s2builderutil_snap_functions.h>
#include <s2/s2cap.h>
#include <s2/s2cell.h>
#include <s2/s2edge_crossings.h>
#include <s2/s2error.h>
#include <s2/s2latlng.h>
#include <s2/s2latlng_rect.h>
#include <s2/s2loop.h>
#include <s2/s2metrics.h>
#include <s2/s2polygon.h>
#include <s2/s2region.h>
#include <s2/s2region_coverer.h>

namespace geojson_cover {

using nlohmann::json;
using Polygons = std::vector<std::unique_ptr<S2Polygon>>;

FileError::FileError(const std::string &path, int errno_value)
    : std::runtime_error(path), errno_value_(errno_value)
{}

int
max_cells_limit(int level_mod)
{
    return (level_mod == 2 || level_mod == 3) ? kMaxCells >> (2 * (level_mod - 1)) : kMaxCells;
}

void
check_options(const CoverOptions &o)
{
    if (o.max_cells < 1)
        throw InvalidInput("max_cells must be at least 1, not " + std::to_string(o.max_cells));
    if (o.min_level < 0 || o.min_level > S2CellId::kMaxLevel)
        throw InvalidInput("min_level must be in 0..30, not " + std::to_string(o.min_level));
    if (o.max_level < 0 || o.max_level > S2CellId::kMaxLevel)
        throw InvalidInput("max_level must be in 0..30, not " + std::to_string(o.max_level));
    if (o.min_level > o.max_level)
        throw InvalidInput("min_level (" + std::to_string(o.min_level)
                           + ") must not exceed max_level (" + std::to_string(o.max_level) + ")");
    if (o.level_mod < 1 || o.level_mod > 3)
        throw InvalidInput("level_mod must be 1, 2 or 3, not " + std::to_string(o.level_mod));
    const int limit = max_cells_limit(o.level_mod);
    if (o.max_cells > limit)
        throw InvalidInput("max_cells must be at most " + std::to_string(limit)
                           + (o.level_mod > 1
                                  ? " with level_mod=" + std::to_string(o.level_mod) + " ("
                                        + std::to_string(kMaxCells) + " with level_mod=1)"
                                  : std::string())
                           + ", not " + std::to_string(o.max_cells)
                           + ": a larger covering takes more memory than s2cover allows");
}

namespace {

// ---- stopping a long call ----

// Asks the caller's StopCheck, at most every kCheckInterval, whether to stop.
// stopped() is cheap enough for every vertex and every cell S2 examines: it
// reads the clock only every 256th call.
class Watch {
  public:
    explicit Watch(const StopCheck &check) : check_(check)
    {}

    // For code called by S2, which must not throw: a failure of the check is
    // kept for throw_if_stopped.
    bool
    stopped()
    {
        if (stopped_ || !check_ || ++ticks_ % 256 != 0)
            return stopped_;
        const auto now = Clock::now();
        if (now - last_check_ < kCheckInterval)
            return false;
        last_check_ = now;
        try {
            stopped_ = check_();
#if defined(__GLIBCXX__)
        } catch (abi::__forced_unwind &) {  // the thread is being cancelled: let it unwind
            throw;
#endif
        } catch (...) {
            failure_ = std::current_exception();
            stopped_ = true;
        }
        return stopped_;
    }

    // For our own code, which may throw: stops the call if the check said so.
    void
    poll()
    {
        if (stopped())
            throw_if_stopped();
    }

    void
    throw_if_stopped() const
    {
        if (failure_)
            std::rethrow_exception(failure_);
        if (stopped_)
            throw Interrupted();
    }

  private:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kCheckInterval{50};
    const StopCheck &check_;
    unsigned ticks_ = 0;
    Clock::time_point last_check_ = Clock::now();
    bool stopped_ = false;
    std::exception_ptr failure_;
};

// ---- pieces of the input in messages ----

// Messages quote the input, which may be megabytes long, hold control
// characters, or (cut anywhere) end in half a UTF-8 character. An excerpt is at
// most about kExcerpt characters, valid UTF-8, with anything unprintable
// escaped and "..." where it was cut.
constexpr std::size_t kExcerpt = 40;

// The length of the UTF-8 sequence starting at text[i], or 0 if it is not one
// (an overlong form, a surrogate, beyond U+10FFFF, or cut short).
std::size_t
utf8_length(const std::string &text, std::size_t i)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b = byte(i);
    if (b < 0x80)
        return 1;
    std::size_t n;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF)
        n = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0)
            low = 0xA0;  // overlong
        if (b == 0xED)
            high = 0x9F;  // UTF-16 surrogates
    }
    else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0)
            low = 0x90;  // overlong
        if (b == 0xF4)
            high = 0x8F;  // beyond U+10FFFF
    }
    else {
        return 0;
    }
    if (text.size() - i < n || byte(i + 1) < low || byte(i + 1) > high)
        return 0;
    for (std::size_t k = 2; k < n; ++k)
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
    return n;
}

std::string
hex_byte(unsigned char b)
{
    static const char digits[] = "0123456789abcdef";
    return std::string("\\x") + digits[b >> 4] + digits[b & 0xF];
}

std::string
excerpt(const std::string &text, std::size_t max_chars = kExcerpt)
{
    std::string out;
    std::size_t chars = 0, i = 0;
    for (; i < text.size() && chars < max_chars; ++chars) {
        const std::size_t n = utf8_length(text, i);
        const unsigned char b = static_cast<unsigned char>(text[i]);
        if (n == 0 || b < 0x20 || b == 0x7F) {
            out += hex_byte(b);
            i += 1;
        }
        else {
            out.append(text, i, n);
            i += n;
        }
    }
    if (i < text.size())
        out += "...";
    return out;
}

// A JSON value as dump() prints it, but only its first kExcerpt characters or
// so: it stops reading the value where it stops printing, so a huge or deeply
// nested value costs no more than a small one.
void
write_excerpt(const nlohmann::json &value, std::string &out, std::size_t limit)
{
    if (out.size() >= limit)
        return;
    if (value.is_array() || value.is_object()) {
        out += value.is_array() ? '[' : '{';
        bool first = true;
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (out.size() >= limit)
                return;
            if (!first)
                out += ',';
            first = false;
            if (value.is_object())
                out += '"' + excerpt(it.key(), limit - out.size()) + "\":";
            write_excerpt(*it, out, limit);
        }
        out += value.is_array() ? ']' : '}';
    }
    else if (value.is_string()) {
        out += '"' + excerpt(value.get_ref<const std::string &>(), limit - out.size()) + '"';
    }
    else {
        out += value.dump();  // a number, true, false or null: a few characters
    }
}

std::string
excerpt(const nlohmann::json &value)
{
    std::string out;
    write_excerpt(value, out, kExcerpt);
    if (out.size() > kExcerpt) {
        std::size_t cut = kExcerpt;  // not inside a UTF-8 character
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
            --cut;
        out.resize(cut);
        out += "...";
    }
    return out;
}

// ---- S2 and std::bad_alloc ----

// S2's shape indexes are not exception-safe: when std::bad_alloc interrupts
// building one (an S2Loop or S2Polygon builds its index on first use), the
// object's destructor fails a check and aborts the process. So the objects an
// S2 call was using when memory ran out are let go of, never destroyed: a
// leak, in a process out of memory already, instead of an abort.
template <typename T>
void
abandon(std::unique_ptr<T> &owner)
{
    static_cast<void>(owner.release());
}

template <typename T>
void
abandon(std::vector<std::unique_ptr<T>> &owners)
{
    for (auto &owner : owners)
        abandon(owner);
}

// [region: read_file]
std::string
read_file(const std::string &path)
{
    std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file)
        throw FileError(path, errno);
    std::string text;
    char buffer[1 << 16];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0)
        text.append(buffer, n);
    if (std::ferror(file.get()))
        throw FileError(path, errno);  // e.g. EISDIR
    return text;
}
// [end: read_file]

std::string
at(const std::string &where, std::size_t index)
{
    return where + "[" + std::to_string(index) + "]";
}

// A member that must be present and an array, or InvalidInput naming it.
const json &
array_member(const json &object, const char *name, const std::string &type,
             const std::string &where)
{
    auto it = object.find(name);
    if (it == object.end() || !it->is_array())
        throw InvalidInput(where + ": a " + type + " needs a \"" + name + "\" array");
    return *it;
}

S2LatLng
position(const json &p, const std::string &where)
{
    // GeoJSON positions are [longitude, latitude] (RFC 7946 section 3.1.1),
    // optionally followed by an altitude, which a covering ignores.
    if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number())
        throw InvalidInput(where + ": a position is [longitude, latitude], got " + excerpt(p));
    const double lng = p[0].get<double>(), lat = p[1].get<double>();
    if (!(lat >= -90 && lat <= 90))
        throw InvalidInput(where + ": latitude " + p[1].dump() + " is outside -90..90");
    if (!(lng >= -180 && lng <= 180))
        throw InvalidInput(where + ": longitude " + p[0].dump() + " is outside -180..180");
    return S2LatLng::FromDegrees(lat, lng);
}

// [region: make_loop]
std::unique_ptr<S2Loop>
make_loop(const json &ring, const std::string &where, Watch &watch)
{
    if (!ring.is_array())
        throw InvalidInput(where + ": a ring is an array of positions, got " + ring.type_name());
    std::vector<S2LatLng> points;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        watch.poll();  // a ring may have millions of vertices
        S2LatLng p = position(ring[i], at(where, i));
        if (points.empty() || p != points.back())
            points.push_back(p);  // drop repeats
    }
    // GeoJSON closes a ring by repeating its first vertex; S2 closes loops itself.
    if (points.size() > 1 && points.front() == points.back())
        points.pop_back();
    if (points.size() < 3)
        throw InvalidInput(where + ": a ring needs at least 3 distinct vertices, this one has "
                           + std::to_string(points.size()));

    std::vector<S2Point> vertices;
    vertices.reserve(points.size());
    for (const S2LatLng &p : points)
        vertices.push_back(p.ToPoint());
    auto loop = std::make_unique<S2Loop>(vertices, S2Debug::DISABLE);
    try {
        S2Error error;
        if (loop->FindValidationError(&error))  // self-intersection, antipodal edge, ...
            throw InvalidInput(where + ": invalid ring: " + error.text());
        // S2 reads a loop's interior on its left, so a clockwise ring would mean
        // "everything except this area". GeoJSON writers disagree on orientation
        // (RFC 7946 says counter-clockwise, many files are clockwise): take the
        // smaller of the two regions a ring bounds, whichever way it runs.
        loop->Normalize();
    } catch (const std::bad_alloc &) {
        abandon(loop);
        throw;
    }
    return loop;
}
// [end: make_loop]

// [region: make_polygon]
std::unique_ptr<S2Polygon>
make_polygon(const json &rings, const std::string &where, Watch &watch)
{
    if (!rings.is_array() || rings.empty())
        throw InvalidInput(where
                           + ": a polygon is a non-empty array of rings "
                             "(the exterior first, then its holes)");
    std::vector<std::unique_ptr<S2Loop>> loops;
    auto polygon = std::make_unique<S2Polygon>();
    try {
        for (std::size_t i = 0; i < rings.size(); ++i) {
            loops.push_back(make_loop(rings[i], at(where, i), watch));
            if (i > 0 && !loops[0]->Contains(*loops[i]))
                throw InvalidInput(at(where, i) + ": a hole must lie inside the exterior ring");
        }
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
    } catch (const std::bad_alloc &) {
        abandon(loops);
        abandon(polygon);
        throw;
    }
    return polygon;
}
// [end: make_polygon]

void
collect(const json &object, const std::string &where, Polygons &out, int depth, Watch &watch)
{
    if (depth > 64)
        throw InvalidInput(where + ": collections nested more than 64 deep");
    if (!object.is_object())
        throw InvalidInput(where + ": expected a GeoJSON object, got " + object.type_name());
    auto type_it = object.find("type");
    if (type_it == object.end() || !type_it->is_string())
        throw InvalidInput(where + ": a GeoJSON object needs a \"type\" string");
    const std::string &type = type_it->get_ref<const std::string &>();

    if (type == "FeatureCollection") {
        const json &features = array_member(object, "features", type, where);
        for (std::size_t i = 0; i < features.size(); ++i)
            collect(features[i], at(where + ".features", i), out, depth + 1, watch);
    }
    else if (type == "Feature") {
        auto geometry = object.find("geometry");
        if (geometry == object.end())
            throw InvalidInput(where + ": a Feature needs a \"geometry\" member");
        if (!geometry->is_null())  // RFC 7946: null means "unlocated"
            collect(*geometry, where + ".geometry", out, depth + 1, watch);
    }
    else if (type == "GeometryCollection") {
        const json &geometries = array_member(object, "geometries", type, where);
        for (std::size_t i = 0; i < geometries.size(); ++i)
            collect(geometries[i], at(where + ".geometries", i), out, depth + 1, watch);
    }
    else if (type == "Polygon") {
        out.push_back(make_polygon(array_member(object, "coordinates", type, where),
                                   where + ".coordinates", watch));
    }
    else if (type == "MultiPolygon") {
        const json &polygons = array_member(object, "coordinates", type, where);
        for (std::size_t i = 0; i < polygons.size(); ++i)
            out.push_back(make_polygon(polygons[i], at(where + ".coordinates", i), watch));
    }
    else if (type == "Point" || type == "MultiPoint" || type == "LineString"
             || type == "MultiLineString") {
        throw InvalidInput(
            where + ": a " + type
            + " has no area to cover (only Polygon and MultiPolygon can be covered)");
    }
    else {
        throw InvalidInput(where + ": unknown GeoJSON type \"" + excerpt(type) + "\"");
    }
}

// [region: unite]
// The union of all polygons. Putting every loop into one S2Polygon instead
// would not unite them: InitNested would read a polygon inside another as a
// hole, and two that partly overlap as crossing loops, an invalid polygon.
std::unique_ptr<S2Polygon>
unite(Polygons polygons, Watch &watch)
{
    auto result = std::make_unique<S2Polygon>();
    result->set_s2debug_override(S2Debug::DISABLE);
    for (auto &polygon : polygons) {
        watch.poll();
        if (result->is_empty()) {
            result = std::move(polygon);
            continue;
        }
        auto united = std::make_unique<S2Polygon>();
        united->set_s2debug_override(S2Debug::DISABLE);
        S2Error error;
        bool ok;
        try {
            // The snap radius InitToUnion(a, b) uses by default, with an S2Error
            // instead of a debug check.
            ok = united->InitToUnion(
                *result, *polygon,
                s2builderutil::IdentitySnapFunction(S2::kIntersectionMergeRadius), &error);
        } catch (const std::bad_alloc &) {
            abandon(result);
            abandon(polygon);
            abandon(united);
            throw;
        }
        if (!ok)
            throw InvalidInput("cannot unite the polygons: " + error.text());
        result = std::move(united);
    }
    return result;
}
// [end: unite]

// ---- reading the document ----

// JSON text is UTF-8 (RFC 8259). nlohmann checks strings only, and quotes the
// bad bytes in its message, which Python then cannot decode: check it all first.
void
check_utf8(const std::string &text)
{
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_length(text, i);
        if (n == 0)
            throw InvalidInput("not valid JSON: not valid UTF-8 at byte " + std::to_string(i)
                               + " (0x" + hex_byte(static_cast<unsigned char>(text[i])).substr(2)
                               + ")");
        i += n;
    }
}

// nlohmann's parser keeps its own stack, but printing a value (dump) recurses,
// and so would any walk of it: refuse deep nesting before parsing.
void
check_depth(const std::string &text)
{
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // skips the escaped character, " included
            else if (c == '"')
                in_string = false;
        }
        else if (c == '"') {
            in_string = true;
        }
        else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                throw InvalidInput("arrays and objects nested more than "
                                   + std::to_string(kMaxJsonDepth) + " deep at byte "
                                   + std::to_string(i) + " (s2cover's limit)");
        }
        else if (c == ']' || c == '}') {
            --depth;
        }
    }
}

// nlohmann's message without its label and line/column (we give the byte),
// the token it quotes (maybe the rest of a huge file) cut to an excerpt.
std::string
parse_error_reason(const std::string &what, const std::string &token)
{
    std::string reason = what;
    const std::size_t label_end = reason.find("] ");
    if (reason.rfind("[json.exception.", 0) == 0 && label_end != std::string::npos)
        reason.erase(0, label_end + 2);
    if (reason.rfind("parse error", 0) == 0) {
        const std::size_t colon = reason.find(": ");
        if (colon != std::string::npos)
            reason.erase(0, colon + 2);
    }
    const std::string quoted = "'" + token + "'";
    const std::size_t at = token.empty() ? std::string::npos : reason.find(quoted);
    if (at != std::string::npos)
        reason.replace(at, quoted.size(), "'" + excerpt(token) + "'");
    return excerpt(reason, 200);
}

// A SAX handler that builds the document as json::parse does (with nlohmann's
// own builder), but asks the watch between values, so parsing a huge file can
// be interrupted, and keeps where and why parsing failed: json::parse throws
// out_of_range for a number beyond a double's range without saying where.
class Parser {
  public:
    Parser(json &document, Watch &watch) : dom_(document, false), watch_(watch)
    {}

    bool
    null()
    {
        return go() && dom_.null();
    }
    bool
    boolean(bool value)
    {
        return go() && dom_.boolean(value);
    }
    bool
    number_integer(json::number_integer_t value)
    {
        return go() && dom_.number_integer(value);
    }
    bool
    number_unsigned(json::number_unsigned_t value)
    {
        return go() && dom_.number_unsigned(value);
    }
    bool
    number_float(json::number_float_t value, const json::string_t &text)
    {
        return go() && dom_.number_float(value, text);
    }
    bool
    string(json::string_t &value)
    {
        return go() && dom_.string(value);
    }
    bool
    binary(json::binary_t &value)
    {
        return go() && dom_.binary(value);
    }
    bool
    start_object(std::size_t size)
    {
        return go() && dom_.start_object(size);
    }
    bool
    key(json::string_t &value)
    {
        return go() && dom_.key(value);
    }
    bool
    end_object()
    {
        return go() && dom_.end_object();
    }
    bool
    start_array(std::size_t size)
    {
        return go() && dom_.start_array(size);
    }
    bool
    end_array()
    {
        return go() && dom_.end_array();
    }

    // position: the bytes read so far, the offending one last.
    bool
    parse_error(std::size_t position, const std::string &token, const json::exception &e)
    {
        const std::size_t byte = position > 0 ? position - 1 : 0;
        if (e.id == 406)  // out_of_range.406: a number too large for a double
            error_ = "number out of range at byte "
                     + std::to_string(position >= token.size() ? position - token.size() : 0)
                     + ": " + excerpt(token) + " is beyond what a double holds (about 1.8e308)";
        else
            error_ = "not valid JSON at byte " + std::to_string(byte) + ": "
                     + parse_error_reason(e.what(), token);
        return false;
    }

    const std::string &
    error() const
    {
        return error_;
    }

  private:
    bool
    go()
    {
        return !watch_.stopped();
    }

    nlohmann::detail::json_sax_dom_parser<json> dom_;
    Watch &watch_;
    std::string error_;
};

// The parsed document. nlohmann's destructor frees nested values without
// recursing by first moving them into a std::vector: it allocates, as much as
// 16 bytes a value of the largest array, and a failed allocation in a
// destructor is std::terminate. After std::bad_alloc while parsing (or with
// memory nearly gone after a huge document) that aborted the process. So the
// values are freed here first, depth-first with a fixed-size stack (nesting
// is at most kMaxJsonDepth): each value nlohmann then destroys is a scalar or
// an empty container, which allocates nothing.
class Document {
  public:
    Document() = default;
    Document(const Document &) = delete;
    Document &operator=(const Document &) = delete;
    ~Document()
    {
        dismantle();
    }

    json value;

  private:
    void
    dismantle() noexcept
    {
        std::array<json *, kMaxJsonDepth + 1> path;
        std::size_t top = 0;
        path[0] = &value;
        while (true) {
            json &node = *path[top];
            json *last = nullptr;  // its last element, if any
            if (node.is_array() && !node.empty())
                last = &node.back();
            if (node.is_object() && !node.empty())
                last = &std::prev(node.end()).value();
            if (last == nullptr) {  // empty: its parent frees it
                if (top == 0)
                    return;
                --top;
                continue;
            }
            if ((last->is_array() || last->is_object()) && !last->empty()
                && top + 1 < path.size()) {
                path[++top] = last;  // free its elements first
                continue;
            }
            if (node.is_array())
                node.get_ref<json::array_t &>().pop_back();
            else
                node.get_ref<json::object_t &>().erase(
                    std::prev(node.get_ref<json::object_t &>().end()));
        }
    }
};

void
parse(const std::string &text, Document &document, Watch &watch)
{
    check_utf8(text);
    check_depth(text);
    Parser parser(document.value, watch);
    if (!json::sax_parse(text, &parser)) {
        watch.throw_if_stopped();
        throw InvalidInput(parser.error().empty() ? std::string("not valid JSON")
                                                  : parser.error());
    }
}

// ---- covering, within bounds ----

// The region S2RegionCoverer covers: the polygon, seen through a watch. It
// counts, level by level, the cells the polygon may intersect, each one a
// candidate the coverer allocates, and stops at limit of one level up to
// max_level. Once the caller asks to stop or a count passes limit, it answers
// "no intersection" for every cell: the coverer runs out of candidates within
// a few steps and returns normally, having freed them all.
//
// Why per level: the coverer splits every cell coarser than min_level, the
// largest first, so it holds a whole level at a time. A cell that intersects
// the polygon has a child that does, so no level up to min_level has more
// such cells than min_level itself: one level over limit means min_level is.
class WatchedRegion final : public S2Region {
  public:
    WatchedRegion(const S2Region &region, Watch &watch, int max_level, long limit)
        : region_(region), watch_(watch), max_level_(max_level), limit_(limit)
    {}

    S2Region *
    Clone() const override
    {
        return new WatchedRegion(*this);
    }
    S2Cap
    GetCapBound() const override
    {
        return region_.GetCapBound();
    }
    S2LatLngRect
    GetRectBound() const override
    {
        return region_.GetRectBound();
    }
    void
    GetCellUnionBound(std::vector<S2CellId> *cell_ids) const override
    {
        region_.GetCellUnionBound(cell_ids);
    }
    bool
    Contains(const S2Cell &cell) const override
    {
        return region_.Contains(cell);
    }
    bool
    Contains(const S2Point &point) const override
    {
        return region_.Contains(point);
    }
    bool
    MayIntersect(const S2Cell &cell) const override
    {
        if (over_limit_ || watch_.stopped() || !region_.MayIntersect(cell))
            return false;
        ++intersecting_;
        const int level = cell.level();
        if (level <= max_level_ && ++per_level_[level] > limit_) {
            over_limit_ = true;
            return false;
        }
        return true;
    }

    bool
    over_limit() const
    {
        return over_limit_;
    }
    long
    intersecting() const
    {
        return intersecting_;
    }

  private:
    const S2Region &region_;
    Watch &watch_;
    int max_level_;
    long limit_;
    mutable std::array<long, S2CellId::kMaxLevel + 1> per_level_{};
    mutable long intersecting_ = 0;
    mutable bool over_limit_ = false;
};

InvalidInput
too_many_cells(const CoverOptions &o)
{
    return InvalidInput("covering this region at min_level=" + std::to_string(o.min_level)
                        + " needs more than " + std::to_string(max_cells_limit(o.level_mod))
                        + " cells, the limit (with level_mod=" + std::to_string(o.level_mod)
                        + "): lower min_level, or cover a smaller region");
}

// At least how many cells at min_level a covering of region needs, found in a
// few milliseconds, from two lower bounds: the region's area over the largest
// area of a cell at that level; and the cells of a small interior covering,
// which lie inside the region, so every one of their descendants at min_level
// is needed. (Stopped early by its budget, the interior covering only holds
// fewer cells: still a lower bound.)
double
cells_needed_at_least(const S2Polygon &region, int min_level, Watch &watch)
{
    const double by_area = region.GetArea() / S2::kMaxArea.GetValue(min_level);
    WatchedRegion budgeted(region, watch, S2CellId::kMaxLevel, 1000);  // cells per level
    S2RegionCoverer::Options options;
    options.set_max_cells(64);
    options.set_max_level(min_level);
    S2RegionCoverer coverer(options);
    std::vector<S2CellId> inside;
    coverer.GetInteriorCovering(budgeted, &inside);
    watch.throw_if_stopped();
    double inside_cells = 0;
    for (S2CellId id : inside)
        inside_cells += std::ldexp(1.0, 2 * (min_level - id.level()));
    return std::max(by_area, inside_cells);
}

// glibc returns freed memory to the system only from the top of its heap, and
// a big document or covering leaves hundreds of MiB there in small blocks
// (nlohmann's values, S2's candidates): after one, give them back.
class ReleaseFreedMemory {
  public:
    ReleaseFreedMemory() = default;
    ReleaseFreedMemory(const ReleaseFreedMemory &) = delete;
    ReleaseFreedMemory &operator=(const ReleaseFreedMemory &) = delete;
    ~ReleaseFreedMemory()
    {
#if defined(__GLIBC__)
        if (big)
            malloc_trim(0);
#endif
    }
    bool big = false;
};

}  // namespace

// [region: cover_text]
std::vector<S2CellId>
cover_text(const std::string &text, const CoverOptions &options, const StopCheck &stop)
{
    check_options(options);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw InvalidInput("the file holds no JSON: it is empty or only whitespace");
    ReleaseFreedMemory release;  // declared first: runs after everything below is freed
    release.big = text.size() > (4 << 20);
    Watch watch(stop);
    Polygons polygons;
    {
        Document document;
        parse(text, document, watch);
        collect(document.value, "$", polygons, 0, watch);
    }
    std::unique_ptr<S2Polygon> region = unite(std::move(polygons), watch);

    // Refuse what would exceed kMaxCells: max_cells was checked with the
    // options; the cells min_level forces depend on the region (no region
    // needs more than the 6 * 4^min_level cells of the whole sphere).
    const long limit = max_cells_limit(options.level_mod);
    WatchedRegion watched(*region, watch, options.min_level, limit);
    std::vector<S2CellId> cells;
    try {
        if (6 * std::ldexp(1.0, 2 * options.min_level) > limit
            && cells_needed_at_least(*region, options.min_level, watch) > limit)
            throw too_many_cells(options);

        S2RegionCoverer::Options coverer_options;
        coverer_options.set_max_cells(options.max_cells);
        coverer_options.set_min_level(options.min_level);
        coverer_options.set_max_level(options.max_level);
        coverer_options.set_level_mod(options.level_mod);
        S2RegionCoverer coverer(coverer_options);
        coverer.GetCovering(watched, &cells);
    } catch (const std::bad_alloc &) {
        abandon(region);  // its index may be half built
        throw;
    }
    release.big = release.big || watched.intersecting() > 100000;
    watch.throw_if_stopped();
    if (watched.over_limit())
        throw too_many_cells(options);
    return cells;
}
// [end: cover_text]

std::vector<S2CellId>
cover_file(const std::string &path, const CoverOptions &options, const StopCheck &stop)
{
    check_options(options);  // before touching the file: bad arguments first
    return cover_text(read_file(path), options, stop);
}

CellInfo
describe(S2CellId id)
{
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

std::uint64_t
cell_id_at(double lat, double lng, int level)
{
    if (!(lat >= -90 && lat <= 90))
        throw InvalidInput("latitude must be in -90..90");
    if (!(lng >= -180 && lng <= 180))
        throw InvalidInput("longitude must be in -180..180");
    if (level < 0 || level > S2CellId::kMaxLevel)
        throw InvalidInput("level must be in 0..30");
    return S2CellId(S2LatLng::FromDegrees(lat, lng)).parent(level).id();
}

}  // namespace geojson_cover
