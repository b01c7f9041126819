#include "glint/splatting/compressed_ply.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <numeric>
#include <sstream>
#include <string>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"
#include "glint/splatting/morton_order.h"

namespace glint::splatting {
namespace {

constexpr std::size_t kChunk = 256;
constexpr float kSqrt2 = 1.41421356237309505f;
constexpr const char* kChunkNames[18] = {
    "min_x",       "min_y",       "min_z",       "max_x",       "max_y",       "max_z",
    "min_scale_x", "min_scale_y", "min_scale_z", "max_scale_x", "max_scale_y", "max_scale_z",
    "min_r",       "min_g",       "min_b",       "max_r",       "max_g",       "max_b"};
constexpr const char* kVertexNames[4] = {"packed_position", "packed_rotation", "packed_scale",
                                         "packed_color"};

struct Element {
    std::string name;
    std::size_t count = 0;
    std::vector<std::pair<std::string, std::string>> properties;  // (type, name)
};

struct Header {
    std::vector<Element> elements;
    std::size_t body = 0;  // offset of the first byte after end_header
};

// Parses the header; empty elements when the bytes do not hold a complete binary little-endian header.
Header parse_header(std::span<const std::byte> bytes, std::string_view name, bool strict) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::size_t end = text.find("end_header");
    Header h;
    if (!text.starts_with("ply") || end == std::string_view::npos) {
        if (strict) throw InputError(cat(name, ": not a PLY file (no header ending in end_header)"));
        return h;
    }
    std::size_t body = text.find('\n', end);
    if (body == std::string_view::npos) {
        if (strict) throw InputError(cat(name, ": truncated after end_header"));
        return h;
    }
    h.body = body + 1;
    std::istringstream lines{std::string(text.substr(0, end))};
    std::string line;
    bool binary = false;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::istringstream words(line);
        std::string word;
        words >> word;
        if (word == "format") {
            std::string format;
            words >> format;
            binary = format == "binary_little_endian";
        } else if (word == "element") {
            Element e;
            words >> e.name >> e.count;
            if (!words) {
                if (strict) throw InputError(cat(name, ": bad header line '", line, "'"));
                return {};
            }
            h.elements.push_back(e);
        } else if (word == "property") {
            std::string type, property;
            words >> type >> property;
            if (h.elements.empty() || type == "list") {
                if (strict) throw InputError(cat(name, ": unexpected header line '", line, "'"));
                return {};
            }
            h.elements.back().properties.emplace_back(type, property);
        }
    }
    if (!binary) {
        if (strict) throw InputError(cat(name, ": a compressed PLY must be binary_little_endian"));
        return {};
    }
    return h;
}

// Index of each expected name among the element's properties, all of `type`; throws naming what is wrong.
std::vector<std::size_t> columns(const Element& e, std::span<const char* const> names, const char* type,
                                 std::string_view file) {
    if (e.properties.size() != names.size())
        throw InputError(cat(file, ": element '", e.name, "' has ", e.properties.size(),
                             " properties, expected ", names.size()));
    std::vector<std::size_t> index;
    for (const char* wanted : names) {
        const auto it = std::find_if(e.properties.begin(), e.properties.end(),
                                     [&](const auto& p) { return p.second == wanted; });
        if (it == e.properties.end())
            throw InputError(cat(file, ": element '", e.name, "' has no property '", wanted, "'"));
        if (it->first != type && !(std::string_view(type) == "float" && it->first == "float32") &&
            !(std::string_view(type) == "uint" && it->first == "uint32") &&
            !(std::string_view(type) == "uchar" && it->first == "uint8"))
            throw InputError(cat(file, ": property '", wanted, "' is ", it->first, ", expected ", type));
        index.push_back(static_cast<std::size_t>(it - e.properties.begin()));
    }
    return index;
}

float unorm(std::uint32_t value, int bits) {
    const std::uint32_t top = (1u << bits) - 1u;
    return static_cast<float>(value & top) / static_cast<float>(top);
}

std::uint32_t to_unorm(float t, int bits) {
    const float top = static_cast<float>((1u << bits) - 1u);
    return static_cast<std::uint32_t>(std::clamp(t, 0.0f, 1.0f) * top + 0.5f);
}

float lerp(float a, float b, float t) {
    return a * (1.0f - t) + b * t;
}

}  // namespace

bool is_compressed_ply(std::span<const std::byte> head) {
    const Header h = parse_header(head, "", false);
    return h.elements.size() >= 2 && h.elements[0].name == "chunk" && h.elements[1].name == "vertex" &&
           std::any_of(h.elements[1].properties.begin(), h.elements[1].properties.end(),
                       [](const auto& p) { return p.second == "packed_position"; });
}

GaussianCloud read_compressed_ply(std::span<const std::byte> bytes, std::string_view name) {
    const Header h = parse_header(bytes, name, true);
    if (h.elements.size() < 2 || h.elements.size() > 3 || h.elements[0].name != "chunk" ||
        h.elements[1].name != "vertex" || (h.elements.size() == 3 && h.elements[2].name != "sh"))
        throw InputError(cat(name, ": a compressed PLY has elements chunk, vertex and optionally sh"));
    const Element& chunk = h.elements[0];
    const Element& vertex = h.elements[1];
    const bool chunk_colors = chunk.properties.size() == 18;
    const std::vector<std::size_t> c_index =
        columns(chunk, std::span(kChunkNames, chunk_colors ? 18 : 12), "float", name);
    const std::vector<std::size_t> v_index = columns(vertex, kVertexNames, "uint", name);
    const std::size_t n = vertex.count;
    if (chunk.count != (n + kChunk - 1) / kChunk)
        throw InputError(cat(name, ": ", chunk.count, " chunks for ", n, " Gaussians (",
                             (n + kChunk - 1) / kChunk, " expected, 256 per chunk)"));
    int degree = 0;
    std::vector<std::size_t> sh_index;
    if (h.elements.size() == 3) {
        const Element& sh = h.elements[2];
        const std::size_t k = sh.properties.size();
        degree = k == 9 ? 1 : k == 24 ? 2 : k == 45 ? 3 : -1;
        if (degree < 0) throw InputError(cat(name, ": element 'sh' has ", k, " properties (9, 24 or 45)"));
        if (sh.count != n) throw InputError(cat(name, ": ", sh.count, " SH rows for ", n, " Gaussians"));
        std::vector<std::string> names(k);
        std::vector<const char*> pointers(k);
        for (std::size_t j = 0; j < k; ++j) names[j] = cat("f_rest_", j), pointers[j] = names[j].c_str();
        sh_index = columns(sh, pointers, "uchar", name);
    }
    const std::size_t chunk_row = 4 * chunk.properties.size(), vertex_row = 16, sh_row = sh_index.size();
    const std::size_t need = chunk.count * chunk_row + n * vertex_row + n * sh_row;
    if (bytes.size() - h.body < need)
        throw InputError(cat(name, ": truncated: ", n, " Gaussians need ", need, " bytes after the header, ",
                             bytes.size() - h.body, " are there"));
    const std::byte* chunks = bytes.data() + h.body;
    const std::byte* vertices = chunks + chunk.count * chunk_row;
    const std::byte* shs = vertices + n * vertex_row;
    std::vector<float> bounds(chunk.count * 18);
    for (std::size_t c = 0; c < chunk.count; ++c)
        for (std::size_t p = 0; p < c_index.size(); ++p) {
            float v;
            std::memcpy(&v, chunks + c * chunk_row + 4 * c_index[p], 4);
            if (!std::isfinite(v))
                throw InputError(cat(name, ": chunk ", c, ": ", kChunkNames[p], " is not finite"));
            bounds[18 * c + p] = v;
        }

    GaussianCloud cloud;
    cloud.resize_for_overwrite(n, degree, false);
    auto positions = cloud.positions();
    auto log_scales = cloud.log_scales();
    auto rotations = cloud.rotations();
    auto opacity = cloud.opacity_logits();
    auto dc = cloud.sh_dc();
    auto rest = cloud.sh_rest();
    const std::size_t k = static_cast<std::size_t>(sh_rest_count(degree));
    constexpr float kLow = 0.5f / 255.0f;
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        const float* b = &bounds[18 * (i / kChunk)];
        std::uint32_t word[4];
        for (int w = 0; w < 4; ++w) std::memcpy(&word[w], vertices + i * vertex_row + 4 * v_index[w], 4);
        const float t[3] = {unorm(word[0] >> 21, 11), unorm(word[0] >> 11, 10), unorm(word[0], 11)};
        const float s[3] = {unorm(word[2] >> 21, 11), unorm(word[2] >> 11, 10), unorm(word[2], 11)};
        for (int a = 0; a < 3; ++a) {
            positions[3 * i + a] = lerp(b[a], b[3 + a], t[a]);
            log_scales[3 * i + a] = lerp(b[6 + a], b[9 + a], s[a]);
        }
        // Rotation: rot_0..rot_3 (w, x, y, z), the largest rebuilt from the other three.
        const std::uint32_t r = word[1];
        const float others[3] = {(unorm(r >> 20, 10) - 0.5f) * kSqrt2, (unorm(r >> 10, 10) - 0.5f) * kSqrt2,
                                 (unorm(r, 10) - 0.5f) * kSqrt2};
        const unsigned largest = r >> 30;
        float* q = &rotations[4 * i];
        for (unsigned c = 0, o = 0; c < 4; ++c)
            q[c] = c == largest
                       ? std::sqrt(std::max(0.0f, 1.0f - (others[0] * others[0] + others[1] * others[1] +
                                                          others[2] * others[2])))
                       : others[o++];
        const float color[4] = {unorm(word[3] >> 24, 8), unorm(word[3] >> 16, 8), unorm(word[3] >> 8, 8),
                                unorm(word[3], 8)};
        for (int c = 0; c < 3; ++c) {
            const float v = chunk_colors ? lerp(b[12 + c], b[15 + c], color[c]) : color[c];
            dc[3 * i + c] = (v - 0.5f) / raster::kSh0;
        }
        opacity[i] = logit(std::clamp(color[3], kLow, 1.0f - kLow));
        // SH bytes in the reference PLY's order (channel-major) into glint's [K, 3].
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t j = 0; j < k; ++j) {
                const auto v = static_cast<std::uint8_t>(shs[i * sh_row + sh_index[c * k + j]]);
                const float u = v == 0 ? 0.0f : v == 255 ? 1.0f : (static_cast<float>(v) + 0.5f) / 256.0f;
                rest[(i * k + j) * 3 + c] = (u - 0.5f) * 8.0f;
            }
    });
    return cloud;
}

std::vector<std::byte> encode_compressed_ply(const GaussianCloud& in) {
    if (in.is_4d()) throw InputError("a compressed PLY stores 3D Gaussians; this scene is 4D (write .ply)");
    if (const auto bad = in.find_non_finite()) throw InputError(cat("cannot compress: ", *bad));
    const std::size_t n = in.size();
    const std::span<const float> positions = in.positions(), log_scales = in.log_scales(),
                                 rotations = in.rotations(), opacity = in.opacity_logits(), dc = in.sh_dc(),
                                 rest = in.sh_rest();
    const std::vector<std::uint32_t> order = morton_order(positions);

    const std::size_t chunks = (n + kChunk - 1) / kChunk;
    const int degree = in.sh_degree();
    const std::size_t k = static_cast<std::size_t>(sh_rest_count(degree));
    std::vector<float> bounds(chunks * 18);
    std::vector<std::uint32_t> words(n * 4);
    std::vector<std::uint8_t> sh(n * 3 * k);
    const auto color_of = [&](std::size_t g, int c) { return 0.5f + raster::kSh0 * dc[3 * g + c]; };
    const auto scale_of = [&](std::size_t g, int a) {
        return std::clamp(log_scales[3 * g + a], -20.0f, 20.0f);
    };
    tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
        float* b = &bounds[18 * c];
        for (int a = 0; a < 3; ++a)
            b[a] = b[6 + a] = b[12 + a] = INFINITY, b[3 + a] = b[9 + a] = b[15 + a] = -INFINITY;
        const std::size_t first = c * kChunk, last = std::min(n, first + kChunk);
        for (std::size_t s = first; s < last; ++s) {
            const std::size_t g = order[s];
            for (int a = 0; a < 3; ++a) {
                b[a] = std::min(b[a], positions[3 * g + a]),
                b[3 + a] = std::max(b[3 + a], positions[3 * g + a]);
                b[6 + a] = std::min(b[6 + a], scale_of(g, a)), b[9 + a] = std::max(b[9 + a], scale_of(g, a));
                b[12 + a] = std::min(b[12 + a], color_of(g, a)),
                       b[15 + a] = std::max(b[15 + a], color_of(g, a));
            }
        }
        const auto t_in = [](float v, float l, float h) { return h > l ? (v - l) / (h - l) : 0.0f; };
        for (std::size_t s = first; s < last; ++s) {
            const std::size_t g = order[s];
            std::uint32_t* w = &words[4 * s];
            w[0] = to_unorm(t_in(positions[3 * g], b[0], b[3]), 11) << 21 |
                   to_unorm(t_in(positions[3 * g + 1], b[1], b[4]), 10) << 11 |
                   to_unorm(t_in(positions[3 * g + 2], b[2], b[5]), 11);
            w[2] = to_unorm(t_in(scale_of(g, 0), b[6], b[9]), 11) << 21 |
                   to_unorm(t_in(scale_of(g, 1), b[7], b[10]), 10) << 11 |
                   to_unorm(t_in(scale_of(g, 2), b[8], b[11]), 11);
            float q[4] = {rotations[4 * g], rotations[4 * g + 1], rotations[4 * g + 2], rotations[4 * g + 3]};
            const float norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
            if (!(norm > 0.0f))
                q[0] = 1.0f, q[1] = q[2] = q[3] = 0.0f;
            else
                for (float& v : q) v /= norm;
            unsigned largest = 0;
            for (unsigned a = 1; a < 4; ++a)
                if (std::fabs(q[a]) > std::fabs(q[largest])) largest = a;
            const float sign = q[largest] < 0.0f ? -1.0f : 1.0f;
            std::uint32_t r = largest;
            for (unsigned a = 0; a < 4; ++a)
                if (a != largest) r = r << 10 | to_unorm(sign * q[a] / kSqrt2 + 0.5f, 10);
            w[1] = r;
            w[3] = to_unorm(t_in(color_of(g, 0), b[12], b[15]), 8) << 24 |
                   to_unorm(t_in(color_of(g, 1), b[13], b[16]), 8) << 16 |
                   to_unorm(t_in(color_of(g, 2), b[14], b[17]), 8) << 8 | to_unorm(sigmoid(opacity[g]), 8);
            for (std::size_t ch = 0; ch < 3; ++ch)
                for (std::size_t j = 0; j < k; ++j) {
                    const float v = (rest[(g * k + j) * 3 + ch] / 8.0f + 0.5f) * 256.0f - 0.5f;
                    sh[s * 3 * k + ch * k + j] =
                        static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f) + 0.5f);
                }
        }
    });

    std::string header =
        cat("ply\nformat binary_little_endian 1.0\ncomment written by glint\nelement chunk ", chunks, "\n");
    for (const char* p : kChunkNames) header += cat("property float ", p, "\n");
    header += cat("element vertex ", n, "\n");
    for (const char* p : kVertexNames) header += cat("property uint ", p, "\n");
    if (k > 0) {
        header += cat("element sh ", n, "\n");
        for (std::size_t j = 0; j < 3 * k; ++j) header += cat("property uchar f_rest_", j, "\n");
    }
    header += "end_header\n";
    std::vector<std::byte> out(header.size() + bounds.size() * 4 + words.size() * 4 + sh.size());
    std::byte* at = out.data();
    std::memcpy(at, header.data(), header.size());
    at += header.size();
    std::memcpy(at, bounds.data(), bounds.size() * 4);
    at += bounds.size() * 4;
    std::memcpy(at, words.data(), words.size() * 4);
    at += words.size() * 4;
    if (!sh.empty()) std::memcpy(at, sh.data(), sh.size());
    return out;
}

void write_compressed_ply(const GaussianCloud& cloud, const std::filesystem::path& path) {
    const std::vector<std::byte> bytes = encode_compressed_ply(cloud);
    AtomicFile file(path);
    file.write(bytes);
    file.commit();
}

}  // namespace glint::splatting
