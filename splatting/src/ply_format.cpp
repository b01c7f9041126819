// Reference 3DGS PLY reader and writer: header parsing, one parallel pass over the binary body.
#include "glint/splatting/ply_format.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <set>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/streamed_file.h"
#include "glint/core/text.h"
#include "glint/core/version.h"

namespace glint::splatting {
namespace {

static_assert(std::endian::native == std::endian::little, "the binary PLY paths assume a little-endian host");

// Vertices per parallel task when extracting the binary body: enough to amortize scheduling.
constexpr std::size_t kRowsPerTask = 1024;
// Vertices parsed per wave while a streamed file is still arriving (16 MiB at SH degree 3).
constexpr std::size_t kRowsPerWave = 65536;
// Vertices per chunk when writing, bounding the staging buffer (~16 MiB at SH degree 3).
constexpr std::size_t kWriteChunk = 65536;

class Reader {
public:
    // `wait(n)` blocks until the first n bytes are in memory (files still being read); may be empty.
    Reader(std::span<const std::byte> bytes, std::string_view name,
           std::function<void(std::size_t)> wait = {})
        : m_data(reinterpret_cast<const char*>(bytes.data())),
          m_size(bytes.size()),
          m_name(name),
          m_wait(std::move(wait)) {}

    PlyReadResult read();

private:
    [[noreturn]] void fail(const std::string& problem) const { throw InputError(cat(m_name, ": ", problem)); }
    void wait_for(std::size_t bytes) const {
        if (m_wait) m_wait(bytes);
    }

    PlyHeader parse_header() const {
        wait_for(kMaxPlyHeaderBytes);
        return parse_ply_header(std::string_view(m_data, m_size), m_name);
    }
    std::size_t skip_binary_element(const PlyElement& element, std::size_t offset) const;
    void plan_vertex(const PlyElement& vertex, PlyReadResult& result);
    void place_columns(const PlyElement& vertex, int degree, int time_degree);
    std::size_t read_binary_vertices(const PlyElement& vertex, std::size_t offset, bool is_last);
    std::size_t skip_ascii_element(const PlyElement& element, std::size_t offset) const;
    std::size_t read_ascii_vertices(const PlyElement& vertex, std::size_t offset, bool is_last);
    std::size_t read_scene_element(const PlyElement& element, std::size_t offset, PlyEncoding encoding);
    [[noreturn]] void fail_non_finite(std::size_t vertex, const PlyProperty& property, double value) const;

    // Where one vertex property lands in the cloud; dst == nullptr for skipped properties.
    struct Column {
        float* dst = nullptr;
        std::size_t stride = 0;
    };

    const char* m_data;
    std::size_t m_size;
    std::string_view m_name;
    std::function<void(std::size_t)> m_wait;
    std::vector<Column> m_columns;  // one per vertex property, in file order
    float m_time_period = 1.0f;     // from a glint_scene element, when there is one
    GaussianCloud* m_cloud = nullptr;
};

// Parses a non-negative decimal index at the end of `name` after `prefix` ("f_rest_12" -> 12).
std::optional<int> suffix_index(std::string_view name, std::string_view prefix) {
    // Digits only: from_chars alone would accept "rot_-1".
    if (!name.starts_with(prefix) || name.size() == prefix.size() || name.size() > prefix.size() + 4)
        return std::nullopt;
    for (char c : name.substr(prefix.size()))
        if (c < '0' || c > '9') return std::nullopt;
    int value = 0;
    const char* begin = name.data() + prefix.size();
    const char* end = name.data() + name.size();
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end || (*begin == '0' && end - begin > 1)) return std::nullopt;
    return value;
}

enum class Field {
    Position,
    Normal,
    Dc,
    Rest,
    Opacity,
    Scale,
    Rotation,
    Time,
    TimeScale,
    RotationRight,
    TimeColor,
    Unknown
};

// Time-colour properties: 3 channels x 2 frequencies x 16 coefficients at most.
constexpr int kMaxTimeColorProperties = 3 * kMaxTimeColorDegree * sh_coefficient_count(kMaxShDegree);

std::pair<Field, int> classify(std::string_view name) {
    if (name.size() == 1 && name[0] >= 'x' && name[0] <= 'z') return {Field::Position, name[0] - 'x'};
    if (name.size() == 2 && name[0] == 'n' && name[1] >= 'x' && name[1] <= 'z') return {Field::Normal, 0};
    if (name == "opacity") return {Field::Opacity, 0};
    if (name == "t") return {Field::Time, 0};
    if (name == "scale_t") return {Field::TimeScale, 0};
    if (auto i = suffix_index(name, "f_dc_"); i && *i < 3) return {Field::Dc, *i};
    if (auto i = suffix_index(name, "f_rest_"); i && *i < 3 * sh_rest_count(kMaxShDegree))
        return {Field::Rest, *i};
    if (auto i = suffix_index(name, "scale_"); i && *i < 3) return {Field::Scale, *i};
    if (auto i = suffix_index(name, "rot_r_"); i && *i < 4) return {Field::RotationRight, *i};
    if (auto i = suffix_index(name, "f_time_"); i && *i < kMaxTimeColorProperties)
        return {Field::TimeColor, *i};
    if (auto i = suffix_index(name, "rot_"); i && *i < 4) return {Field::Rotation, *i};
    return {Field::Unknown, 0};
}

void Reader::plan_vertex(const PlyElement& vertex, PlyReadResult& result) {
    std::set<std::string_view> names;
    bool position[3] = {}, dc[3] = {}, scale[3] = {}, rotation[4] = {}, rotation_right[4] = {};
    bool opacity = false, time = false, time_scale = false;
    std::vector<bool> rest(3 * sh_rest_count(kMaxShDegree), false);
    int rest_count = 0;
    std::vector<bool> time_color(kMaxTimeColorProperties, false);
    int time_color_count = 0;
    for (const PlyProperty& p : vertex.properties) {
        if (!names.insert(p.name).second) fail(cat("vertex property '", p.name, "' appears twice"));
        const auto [field, index] = classify(p.name);
        if (p.is_list)
            fail(cat("vertex property '", p.name, "' is a list; Gaussian scenes have scalar properties"));
        if (field != Field::Unknown && field != Field::Normal && !is_float_type(p.type))
            fail(cat("vertex property '", p.name, "' has type ", ply_type_name(p.type),
                     "; glint reads float or double"));
        switch (field) {
            case Field::Position:
                position[index] = true;
                break;
            case Field::Dc:
                dc[index] = true;
                break;
            case Field::Rest:
                rest[index] = true;
                ++rest_count;
                break;
            case Field::Opacity:
                opacity = true;
                break;
            case Field::Scale:
                scale[index] = true;
                break;
            case Field::Rotation:
                rotation[index] = true;
                break;
            case Field::Time:
                time = true;
                break;
            case Field::TimeScale:
                time_scale = true;
                break;
            case Field::RotationRight:
                rotation_right[index] = true;
                break;
            case Field::TimeColor:
                time_color[index] = true;
                ++time_color_count;
                break;
            case Field::Normal:
                break;
            case Field::Unknown:
                result.skipped_properties.push_back(p.name);
                break;
        }
    }

    std::vector<std::string> missing;
    const auto need = [&](bool present, std::string name) {
        if (!present) missing.push_back(std::move(name));
    };
    for (int k = 0; k < 3; ++k) need(position[k], cat(static_cast<char>('x' + k)));
    for (int k = 0; k < 3; ++k) need(dc[k], cat("f_dc_", k));
    need(opacity, "opacity");
    for (int k = 0; k < 3; ++k) need(scale[k], cat("scale_", k));
    for (int k = 0; k < 4; ++k) need(rotation[k], cat("rot_", k));
    const bool temporal =
        time || time_scale || std::any_of(rotation_right, rotation_right + 4, [](bool b) { return b; });
    if (temporal) {
        need(time, "t");
        need(time_scale, "scale_t");
        for (int k = 0; k < 4; ++k) need(rotation_right[k], cat("rot_r_", k));
    }
    if (!missing.empty()) {
        const std::string list = join(missing, ", ");
        const bool point_cloud = position[0] && !dc[0] && !opacity;
        fail(cat("missing required vertex ", missing.size() == 1 ? "property " : "properties ", list,
                 temporal ? " (a 4D scene needs t, scale_t and rot_r_0..3)" : "",
                 point_cloud ? " (this looks like a point cloud, not a Gaussian scene)" : ""));
    }
    int degree = -1;
    for (int d = 0; d <= kMaxShDegree; ++d)
        if (rest_count == 3 * sh_rest_count(d)) degree = d;
    if (degree < 0)
        fail(cat("has ", rest_count, " f_rest properties; expected 0, 9, 24 or 45 (SH degree 0 to 3)"));
    for (int j = 0; j < rest_count; ++j)
        if (!rest[j]) fail(cat("has ", rest_count, " f_rest properties but f_rest_", j, " is missing"));

    // f_time_*: 3 channels x D frequencies x (degree + 1)^2 coefficients, channel-major like f_rest.
    const int per_frequency = 3 * sh_coefficient_count(degree);
    int time_degree = 0;
    if (time_color_count > 0) {
        if (!temporal) fail("has f_time properties (time-varying colour) but is not a 4D scene");
        if (time_color_count % per_frequency != 0 || time_color_count / per_frequency > kMaxTimeColorDegree)
            fail(cat("has ", time_color_count, " f_time properties; at SH degree ", degree, " expected ",
                     per_frequency, " or ", 2 * per_frequency, " (1 or 2 time frequencies)"));
        time_degree = time_color_count / per_frequency;
        for (int j = 0; j < time_color_count; ++j)
            if (!time_color[j])
                fail(cat("has ", time_color_count, " f_time properties but f_time_", j, " is missing"));
    }

    m_cloud = &result.cloud;
    // Every element is written by the reads: each array's columns are all present (checked above).
    m_cloud->resize_for_overwrite(static_cast<std::size_t>(vertex.count), degree, temporal, time_degree);
    place_columns(vertex, degree, time_degree);
}

// Where each vertex property's values go in the cloud's arrays (a pointer and a stride per column).
void Reader::place_columns(const PlyElement& vertex, int degree, int time_degree) {
    const std::size_t k = static_cast<std::size_t>(sh_rest_count(degree));
    m_columns.assign(vertex.properties.size(), Column{});
    if (vertex.count == 0) return;  // nothing to place (and data() of an empty array may be null)
    m_columns.clear();
    for (const PlyProperty& p : vertex.properties) {
        const auto [field, index] = classify(p.name);
        const std::size_t i = static_cast<std::size_t>(index);
        Column column;
        switch (field) {
            case Field::Position:
                column = {m_cloud->positions().data() + i, 3};
                break;
            case Field::Dc:
                column = {m_cloud->sh_dc().data() + i, 3};
                break;
            case Field::Rest:
                column = {m_cloud->sh_rest().data() + (i % k) * 3 + i / k, 3 * k};
                break;
            case Field::Opacity:
                column = {m_cloud->opacity_logits().data(), 1};
                break;
            case Field::Scale:
                column = {m_cloud->log_scales().data() + i, 3};
                break;
            case Field::Rotation:
                column = {m_cloud->rotations().data() + i, 4};
                break;
            case Field::Time:
                column = {m_cloud->time_means().data(), 1};
                break;
            case Field::TimeScale:
                column = {m_cloud->log_time_scales().data(), 1};
                break;
            case Field::RotationRight:
                column = {m_cloud->rotations_right().data() + i, 4};
                break;
            case Field::TimeColor: {
                // File: channel-major over (frequency, coefficient); memory: [D, C, 3].
                const std::size_t per_channel =
                    static_cast<std::size_t>(time_degree) * sh_coefficient_count(degree);
                const std::size_t channel = i / per_channel, slot = i % per_channel;
                column = {m_cloud->time_color().data() + slot * 3 + channel, per_channel * 3};
                break;
            }
            case Field::Normal:
            case Field::Unknown:
                break;
        }
        m_columns.push_back(column);
    }
}

void Reader::fail_non_finite(std::size_t vertex, const PlyProperty& property, double value) const {
    if (std::isnan(value)) fail(cat("vertex ", vertex, ": property '", property.name, "' is NaN"));
    if (std::isinf(value)) fail(cat("vertex ", vertex, ": property '", property.name, "' is infinite"));
    fail(cat("vertex ", vertex, ": property '", property.name, "' = ", value,
             " is outside the range of a float"));
}

// Converts to float, reporting whether the value is finite and fits.
inline bool to_finite_float(double value, float& out) {
    if (!(std::fabs(value) <= static_cast<double>(FLT_MAX))) {
        out = NAN;
        return false;
    }
    out = static_cast<float>(value);
    return true;
}

std::size_t Reader::skip_binary_element(const PlyElement& element, std::size_t offset) const {
    const std::size_t remaining = m_size - offset;
    if (!element.has_list()) {
        const std::size_t row = element.row_bytes();
        if (row > 0 && element.count > remaining / row)
            fail(cat("truncated: element '", element.name, "' declares ", element.count, " rows of ", row,
                     " bytes but only ", remaining, " bytes remain"));
        return offset + static_cast<std::size_t>(element.count) * row;
    }
    for (std::uint64_t r = 0; r < element.count; ++r) {
        for (const PlyProperty& p : element.properties) {
            std::uint64_t items = 1;
            if (p.is_list) {
                const std::size_t count_bytes = ply_type_size(p.count_type);
                if (m_size - offset < count_bytes)
                    fail(cat("truncated inside element '", element.name, "' (row ", r, " of ", element.count,
                             ")"));
                std::uint32_t raw = 0;
                std::memcpy(&raw, m_data + offset, count_bytes);
                if (p.count_type == PlyType::Int8 && static_cast<std::int8_t>(raw) < 0) raw = UINT32_MAX;
                if (p.count_type == PlyType::Int16 && static_cast<std::int16_t>(raw) < 0) raw = UINT32_MAX;
                if (p.count_type == PlyType::Int32 && static_cast<std::int32_t>(raw) < 0) raw = UINT32_MAX;
                if (raw == UINT32_MAX && p.count_type != PlyType::UInt32)
                    fail(cat("element '", element.name, "' row ", r, ": negative list length"));
                items = raw;
                offset += count_bytes;
            }
            const std::size_t size = ply_type_size(p.type);
            if (items > (m_size - offset) / size)
                fail(cat("truncated inside element '", element.name, "' (row ", r, " of ", element.count,
                         ")"));
            offset += static_cast<std::size_t>(items) * size;
        }
    }
    return offset;
}

std::size_t Reader::read_binary_vertices(const PlyElement& vertex, std::size_t offset, bool is_last) {
    const std::size_t row = vertex.row_bytes();
    const std::size_t remaining = m_size - offset;
    const std::size_t count = m_cloud->size();
    if (count > remaining / row) {
        fail(cat("truncated: the header declares ", count, " vertices (", count * row, " bytes) but ",
                 remaining, " bytes follow the header (", remaining / row, " complete vertices)"));
    }
    if (is_last && remaining != count * row) {
        fail(cat("the header declares ", count, " vertices (", count * row, " bytes) but ", remaining,
                 " bytes follow it: the vertex count is wrong or the file has trailing data"));
    }
    // Properties glint keeps, with their byte offset in a row.
    struct Source {
        std::size_t offset;
        bool is_double;
        float* dst;
        std::size_t stride;
    };
    std::vector<Source> sources;
    std::vector<std::size_t> offsets;
    std::size_t property_offset = 0;
    for (std::size_t c = 0; c < vertex.properties.size(); ++c) {
        offsets.push_back(property_offset);
        if (m_columns[c].dst != nullptr)
            sources.push_back({property_offset, vertex.properties[c].type == PlyType::Float64,
                               m_columns[c].dst, m_columns[c].stride});
        property_offset += ply_type_size(vertex.properties[c].type);
    }
    const char* rows = m_data + offset;
    std::atomic<bool> all_finite{true};
    // Row by row: each row is read once, front to back, and scattered into the arrays. Waves follow the
    // bytes as they arrive from disk.
    for (std::size_t wave = 0; wave < count; wave += kRowsPerWave) {
        const std::size_t wave_end = std::min(count, wave + kRowsPerWave);
        wait_for(offset + wave_end * row);
        tbb::parallel_for(tbb::blocked_range<std::size_t>(wave, wave_end, kRowsPerTask),
                          [&](const auto& range) {
                              bool finite = true;
                              for (std::size_t i = range.begin(); i != range.end(); ++i) {
                                  const char* row_data = rows + i * row;
                                  for (const Source& source : sources) {
                                      float value;
                                      if (source.is_double) {
                                          double wide;
                                          std::memcpy(&wide, row_data + source.offset, sizeof wide);
                                          finite &= to_finite_float(wide, value);
                                      } else {
                                          std::memcpy(&value, row_data + source.offset, sizeof value);
                                          finite &= std::isfinite(value);
                                      }
                                      source.dst[i * source.stride] = value;
                                  }
                              }
                              if (!finite) all_finite.store(false, std::memory_order_relaxed);
                          });
    }
    const std::size_t end = offset + count * row;
    if (all_finite.load()) return end;
    for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t c = 0; c < m_columns.size(); ++c) {
            if (m_columns[c].dst == nullptr || std::isfinite(m_columns[c].dst[i * m_columns[c].stride]))
                continue;
            double raw = 0;
            if (vertex.properties[c].type == PlyType::Float32) {
                float value;
                std::memcpy(&value, rows + i * row + offsets[c], sizeof value);
                raw = value;
            } else {
                std::memcpy(&raw, rows + i * row + offsets[c], sizeof raw);
            }
            fail_non_finite(i, vertex.properties[c], raw);
        }
    }
    return end;
}

// Whitespace-separated tokens of an ASCII body.
class Tokens {
public:
    Tokens(const char* begin, const char* end) : m_p(begin), m_end(end) {}
    std::string_view next() {
        while (m_p < m_end && is_space(*m_p)) ++m_p;
        const char* start = m_p;
        while (m_p < m_end && !is_space(*m_p)) ++m_p;
        return {start, static_cast<std::size_t>(m_p - start)};
    }
    std::size_t position(const char* base) const { return static_cast<std::size_t>(m_p - base); }

private:
    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
    const char* m_p;
    const char* m_end;
};

std::optional<double> parse_number(std::string_view token) {
    if (!token.empty() && token[0] == '+') token.remove_prefix(1);
    double value = 0;
    const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ptr != token.data() + token.size() || token.empty()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) return token[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    if (ec != std::errc()) return std::nullopt;
    return value;
}

std::size_t Reader::skip_ascii_element(const PlyElement& element, std::size_t offset) const {
    Tokens tokens(m_data + offset, m_data + m_size);
    for (std::uint64_t r = 0; r < element.count; ++r) {
        for (const PlyProperty& p : element.properties) {
            std::uint64_t items = 1;
            if (p.is_list) {
                const std::string_view token = tokens.next();
                const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), items);
                if (token.empty()) fail(cat("file ends inside element '", element.name, "' (row ", r, ")"));
                if (ec != std::errc() || ptr != token.data() + token.size())
                    fail(cat("element '", element.name, "' row ", r, ": bad list length '", printable(token),
                             "'"));
            }
            for (std::uint64_t k = 0; k < items; ++k)
                if (tokens.next().empty())
                    fail(cat("file ends inside element '", element.name, "' (row ", r, ")"));
        }
    }
    return tokens.position(m_data);
}

std::size_t Reader::read_ascii_vertices(const PlyElement& vertex, std::size_t offset, bool is_last) {
    const std::size_t count = m_cloud->size();
    Tokens tokens(m_data + offset, m_data + m_size);
    for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t c = 0; c < m_columns.size(); ++c) {
            const std::string_view token = tokens.next();
            if (token.empty())
                fail(cat("truncated: the file ends after ", i, " of the ", count,
                         " vertices the header declares"));
            if (m_columns[c].dst == nullptr) continue;
            const std::optional<double> value = parse_number(token);
            if (!value)
                fail(cat("vertex ", i, ": cannot read '", printable(token), "' as a number for property '",
                         vertex.properties[c].name, "'"));
            if (!to_finite_float(*value, m_columns[c].dst[i * m_columns[c].stride]))
                fail_non_finite(i, vertex.properties[c], *value);
        }
    }
    if (is_last && !tokens.next().empty())
        fail(cat("the file holds more data than the ", count,
                 " vertices the header declares: the vertex count is wrong or the file has trailing data"));
    return tokens.position(m_data);
}

std::size_t Reader::read_scene_element(const PlyElement& element, std::size_t offset, PlyEncoding encoding) {
    if (element.count != 1 || element.has_list())
        fail("element 'glint_scene' must have exactly one row of scalar properties");
    double period = 1.0;
    bool found = false;
    if (encoding == PlyEncoding::Ascii) {
        Tokens tokens(m_data + offset, m_data + m_size);
        for (const PlyProperty& p : element.properties) {
            const std::string_view token = tokens.next();
            if (token.empty()) fail("file ends inside element 'glint_scene'");
            if (p.name == "time_period") {
                const std::optional<double> value = parse_number(token);
                if (!value) fail(cat("glint_scene: cannot read '", printable(token), "' as the time period"));
                period = *value;
                found = true;
            }
        }
        offset = tokens.position(m_data);
    } else {
        for (const PlyProperty& p : element.properties) {
            const std::size_t size = ply_type_size(p.type);
            if (m_size - offset < size) fail("truncated inside element 'glint_scene'");
            if (p.name == "time_period") {
                if (!is_float_type(p.type)) fail("glint_scene: time_period must be float or double");
                if (p.type == PlyType::Float32) {
                    float value;
                    std::memcpy(&value, m_data + offset, sizeof value);
                    period = value;
                } else {
                    std::memcpy(&period, m_data + offset, sizeof period);
                }
                found = true;
            }
            offset += size;
        }
    }
    if (found) {
        if (!(period > 0.0) || !std::isfinite(period) || period > static_cast<double>(FLT_MAX))
            fail(cat("glint_scene: the time period must be positive and finite (got ", period, ")"));
        m_time_period = static_cast<float>(period);
    }
    return offset;
}

PlyReadResult Reader::read() {
    const PlyHeader header = parse_header();
    PlyReadResult result;
    result.encoding = header.encoding;
    const auto vertex_it = std::find_if(header.elements.begin(), header.elements.end(),
                                        [](const PlyElement& e) { return e.name == "vertex"; });
    if (vertex_it == header.elements.end()) fail("no 'vertex' element in the header");
    if (std::count_if(header.elements.begin(), header.elements.end(),
                      [](const PlyElement& e) { return e.name == "vertex"; }) > 1)
        fail("more than one 'vertex' element in the header");
    for (const PlyElement& e : header.elements)
        if (e.name != "vertex" && e.name != "glint_scene") result.skipped_elements.push_back(e.name);
    const PlyElement& vertex = *vertex_it;
    const bool is_last = vertex_it + 1 == header.elements.end();

    // Reject counts the body cannot hold before allocating for them.
    const std::size_t body = m_size - header.body_offset;
    const std::size_t min_bytes =
        header.encoding == PlyEncoding::Ascii ? 2 * vertex.properties.size() - 1 : vertex.row_bytes();
    if (!vertex.properties.empty() && min_bytes > 0 && vertex.count > (body + 1) / min_bytes) {
        if (header.encoding == PlyEncoding::Ascii)
            fail(cat("truncated: the header declares ", vertex.count, " vertices but only ", body,
                     " bytes follow the header"));
        fail(cat("truncated: the header declares ", vertex.count, " vertices of ", min_bytes,
                 " bytes but only ", body, " bytes follow the header (", body / min_bytes,
                 " complete vertices)"));
    }
    plan_vertex(vertex, result);

    // Only the binary vertex body is parsed as it arrives; anything else waits for the whole file.
    if (header.encoding == PlyEncoding::Ascii || vertex_it != header.elements.begin()) wait_for(m_size);
    std::size_t offset = header.body_offset;
    const auto walk = [&](const PlyElement& element) {
        if (element.name == "glint_scene") return read_scene_element(element, offset, header.encoding);
        return header.encoding == PlyEncoding::Ascii ? skip_ascii_element(element, offset)
                                                     : skip_binary_element(element, offset);
    };
    for (auto it = header.elements.begin(); it != vertex_it; ++it) offset = walk(*it);
    offset = header.encoding == PlyEncoding::Ascii ? read_ascii_vertices(vertex, offset, is_last)
                                                   : read_binary_vertices(vertex, offset, is_last);
    // Elements after the vertices are read only when one of them is glint_scene.
    const bool scene_after = std::any_of(vertex_it + 1, header.elements.end(),
                                         [](const PlyElement& e) { return e.name == "glint_scene"; });
    if (scene_after) {
        for (auto it = vertex_it + 1; it != header.elements.end(); ++it) offset = walk(*it);
        const bool trailing = header.encoding == PlyEncoding::Ascii
                                  ? !Tokens(m_data + offset, m_data + m_size).next().empty()
                                  : offset != m_size;
        if (trailing) fail("the file holds more data than its header declares (trailing data)");
    }
    if (result.cloud.is_4d()) result.cloud.set_time_period(m_time_period);
    result.written_by_glint = false;
    for (const std::string& comment : header.comments) {
        if (comment.starts_with("written by glint")) result.written_by_glint = true;
        float up[3];
        char extra = 0;
        if (std::sscanf(comment.c_str(), "glint up %f %f %f %c", &up[0], &up[1], &up[2], &extra) == 3) {
            const float length = std::sqrt(up[0] * up[0] + up[1] * up[1] + up[2] * up[2]);
            if (!(length > 0.0f) || !std::isfinite(length))
                fail(cat("the header's 'comment glint up' is not a direction ('", printable(comment), "')"));
            result.cloud.set_up(std::array<float, 3>{up[0] / length, up[1] / length, up[2] / length});
        }
        float rgb[3];
        if (std::sscanf(comment.c_str(), "glint background %f %f %f %c", &rgb[0], &rgb[1], &rgb[2], &extra) ==
            3) {
            for (const float v : rgb)
                if (!(v >= 0.0f && v <= 1.0f))
                    fail(cat("the header's 'comment glint background' is not a colour in [0, 1] ('",
                             printable(comment), "')"));
            result.cloud.set_background(std::array<float, 3>{rgb[0], rgb[1], rgb[2]});
        }
        float range[2];
        if (std::sscanf(comment.c_str(), "glint time_range %f %f %c", &range[0], &range[1], &extra) == 2) {
            if (!std::isfinite(range[0]) || !std::isfinite(range[1]) || !(range[1] >= range[0]))
                fail(cat("the header's 'comment glint time_range' is not a time span ('", printable(comment),
                         "')"));
            if (result.cloud.is_4d()) result.cloud.set_time_range(std::array<float, 2>{range[0], range[1]});
        }
    }
    return result;
}

std::vector<std::string> property_names(const GaussianCloud& cloud) {
    std::vector<std::string> names = {"x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"};
    for (int j = 0; j < 3 * cloud.sh_rest_per_channel(); ++j) names.push_back(cat("f_rest_", j));
    names.insert(names.end(),
                 {"opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"});
    if (cloud.is_4d())
        names.insert(names.end(), {"t", "scale_t", "rot_r_0", "rot_r_1", "rot_r_2", "rot_r_3"});
    for (std::size_t j = 0; j < cloud.time_color_per_gaussian(); ++j) names.push_back(cat("f_time_", j));
    return names;
}

// One vertex's values in property_names() order.
void fill_row(const GaussianCloud& cloud, std::size_t i, float* row) {
    const std::size_t k = static_cast<std::size_t>(cloud.sh_rest_per_channel());
    float* out = row;
    for (int a = 0; a < 3; ++a) *out++ = cloud.positions()[3 * i + a];
    for (int a = 0; a < 3; ++a) *out++ = 0.0f;  // normals: unused, written for compatibility
    for (int a = 0; a < 3; ++a) *out++ = cloud.sh_dc()[3 * i + a];
    const float* rest = cloud.sh_rest().data() + i * k * 3;
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t m = 0; m < k; ++m) *out++ = rest[m * 3 + c];  // channel-major in the file
    *out++ = cloud.opacity_logits()[i];
    for (int a = 0; a < 3; ++a) *out++ = cloud.log_scales()[3 * i + a];
    for (int a = 0; a < 4; ++a) *out++ = cloud.rotations()[4 * i + a];
    if (cloud.is_4d()) {
        *out++ = cloud.time_means()[i];
        *out++ = cloud.log_time_scales()[i];
        for (int a = 0; a < 4; ++a) *out++ = cloud.rotations_right()[4 * i + a];
        // Time colour: channel-major in the file, [D, C, 3] in memory.
        const std::size_t slots = cloud.time_color_per_gaussian() / 3;
        const float* time_color = cloud.time_color().data() + i * slots * 3;
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t slot = 0; slot < slots; ++slot) *out++ = time_color[slot * 3 + c];
    }
}

using Sink = std::function<void(std::span<const std::byte>)>;

void write_ply_to(const GaussianCloud& cloud, PlyEncoding encoding, const Sink& sink) {
    const std::vector<std::string> names = property_names(cloud);
    std::string header =
        cat("ply\nformat ", encoding == PlyEncoding::Ascii ? "ascii" : "binary_little_endian",
            " 1.0\ncomment written by glint ", kVersion, "\nelement vertex ", cloud.size(), "\n");
    for (const std::string& name : names) header += "property float " + name + "\n";
    if (cloud.up()) {
        char line[96];
        std::snprintf(line, sizeof line, "comment glint up %.9g %.9g %.9g\n", (*cloud.up())[0],
                      (*cloud.up())[1], (*cloud.up())[2]);
        header.insert(header.find("element vertex"), line);
    }
    if (cloud.background()) {
        char line[96];
        std::snprintf(line, sizeof line, "comment glint background %.9g %.9g %.9g\n",
                      (*cloud.background())[0], (*cloud.background())[1], (*cloud.background())[2]);
        header.insert(header.find("element vertex"), line);
    }
    if (cloud.is_4d() && cloud.time_range()) {
        char line[96];
        std::snprintf(line, sizeof line, "comment glint time_range %.9g %.9g\n", (*cloud.time_range())[0],
                      (*cloud.time_range())[1]);
        header.insert(header.find("element vertex"), line);
    }
    if (cloud.is_4d()) header += "element glint_scene 1\nproperty float time_period\n";
    header += "end_header\n";
    sink(std::as_bytes(std::span(header.data(), header.size())));

    const std::size_t per_row = names.size();
    std::vector<float> rows;
    std::vector<std::string> lines;
    for (std::size_t begin = 0; begin < cloud.size(); begin += kWriteChunk) {
        const std::size_t end = std::min(cloud.size(), begin + kWriteChunk);
        if (encoding == PlyEncoding::BinaryLittleEndian) {
            rows.resize((end - begin) * per_row);
            tbb::parallel_for(tbb::blocked_range<std::size_t>(begin, end, 4096), [&](const auto& r) {
                for (std::size_t i = r.begin(); i != r.end(); ++i)
                    fill_row(cloud, i, rows.data() + (i - begin) * per_row);
            });
            sink(std::as_bytes(std::span(rows)));
        } else {
            constexpr std::size_t kLinesPerBlock = 1024;
            lines.assign((end - begin + kLinesPerBlock - 1) / kLinesPerBlock, {});
            tbb::parallel_for(std::size_t{0}, lines.size(), [&](std::size_t b) {
                std::vector<float> row(per_row);
                char buffer[32];
                std::string& text = lines[b];
                const std::size_t first = begin + b * kLinesPerBlock;
                for (std::size_t i = first; i < std::min(end, first + kLinesPerBlock); ++i) {
                    fill_row(cloud, i, row.data());
                    for (std::size_t j = 0; j < per_row; ++j) {
                        // Shortest representation that reads back to the same float.
                        const auto result = std::to_chars(buffer, buffer + sizeof buffer, row[j]);
                        text.append(buffer, result.ptr);
                        text += j + 1 < per_row ? ' ' : '\n';
                    }
                }
            });
            for (const std::string& text : lines) sink(std::as_bytes(std::span(text.data(), text.size())));
        }
    }
    if (cloud.is_4d()) {  // the glint_scene element: one row holding the time period
        const float period = cloud.time_period();
        if (encoding == PlyEncoding::BinaryLittleEndian) {
            sink(std::as_bytes(std::span(&period, 1)));
        } else {
            char buffer[32];
            const auto result = std::to_chars(buffer, buffer + sizeof buffer, period);
            std::string line(buffer, result.ptr);
            line += '\n';
            sink(std::as_bytes(std::span(line.data(), line.size())));
        }
    }
}

}  // namespace

PlyReadResult read_ply(std::span<const std::byte> bytes, std::string_view name) {
    return Reader(bytes, name).read();
}

PlyReadResult read_ply(const StreamedFile& file, std::string_view name) {
    return Reader(file.bytes(), name, [&file](std::size_t bytes) { file.wait_for(bytes); }).read();
}

PlyReadResult read_ply_file(const std::filesystem::path& path) {
    const StreamedFile file(path);
    return read_ply(file, path.string());
}

void write_ply(const GaussianCloud& cloud, const std::filesystem::path& path, PlyEncoding encoding) {
    AtomicFile file(path);
    write_ply_to(cloud, encoding, [&](std::span<const std::byte> bytes) { file.write(bytes); });
    file.commit();
}

std::vector<std::byte> encode_ply(const GaussianCloud& cloud, PlyEncoding encoding) {
    std::vector<std::byte> out;
    write_ply_to(cloud, encoding, [&](std::span<const std::byte> bytes) {
        out.insert(out.end(), bytes.begin(), bytes.end());
    });
    return out;
}

}  // namespace glint::splatting
