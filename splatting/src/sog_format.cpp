#include "glint/splatting/sog_format.h"

#include <webp/decode.h>
#include <webp/encode.h>
#include <zip.h>

#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/streamed_file.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/morton_order.h"
#include "sog_quantise.h"

namespace glint::splatting {
namespace {

using json = nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

constexpr float kSqrt2 = 1.41421356237309505f;
constexpr std::uint64_t kMaxMemberBytes = 1ull << 30;
constexpr int kPaletteRow = 64;  // palette entries per row of shN_centroids

using sog::Codebook;
using sog::fit_codebook;
using sog::fit_palette;
using sog::Palette;

// --- the members of a SOG: files of a folder or entries of a zip archive ---

class Members {
public:
    virtual ~Members() = default;
    virtual Bytes read(const std::string& member) = 0;
    // How errors name a member: "scene.sog: quats.webp" or "scene/quats.webp".
    virtual std::string describe(const std::string& member) const = 0;
};

class FolderMembers final : public Members {
public:
    explicit FolderMembers(std::filesystem::path folder) : m_folder(std::move(folder)) {}
    Bytes read(const std::string& member) override {
        const std::filesystem::path relative(member);
        for (const auto& part : relative)
            if (part == "..")
                throw InputError(cat(describe(member), ": a SOG member may not leave its folder"));
        if (relative.is_absolute())
            throw InputError(cat(describe(member), ": a SOG member may not leave its folder"));
        const std::filesystem::path path = m_folder / relative;
        std::error_code error;
        if (!std::filesystem::is_regular_file(path, error))
            throw InputError(cat(path.string(), ": no such file (named in meta.json)"));
        const StreamedFile file(path);
        file.wait_for(file.size());
        const auto* data = reinterpret_cast<const std::uint8_t*>(file.bytes().data());
        return Bytes(data, data + file.size());
    }
    std::string describe(const std::string& member) const override { return (m_folder / member).string(); }

private:
    std::filesystem::path m_folder;
};

class ArchiveMembers final : public Members {
public:
    ArchiveMembers(std::span<const std::byte> bytes, std::string name) : m_name(std::move(name)) {
        zip_error_t error;
        zip_error_init(&error);
        zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
        if (source != nullptr) m_archive = zip_open_from_source(source, ZIP_RDONLY, &error);
        if (m_archive == nullptr) {
            if (source != nullptr) zip_source_free(source);
            const std::string text = zip_error_strerror(&error);
            zip_error_fini(&error);
            throw InputError(cat(m_name, ": not a SOG archive (cannot read it as zip: ", text, ")"));
        }
        zip_error_fini(&error);
    }
    ~ArchiveMembers() override { zip_discard(m_archive); }
    ArchiveMembers(const ArchiveMembers&) = delete;
    ArchiveMembers& operator=(const ArchiveMembers&) = delete;

    Bytes read(const std::string& member) override {
        const zip_int64_t index = zip_name_locate(m_archive, member.c_str(), 0);
        if (index < 0) throw InputError(cat(describe(member), ": missing from the archive"));
        zip_stat_t stat;
        zip_stat_init(&stat);
        if (zip_stat_index(m_archive, static_cast<zip_uint64_t>(index), 0, &stat) != 0 ||
            (stat.valid & ZIP_STAT_SIZE) == 0)
            throw InputError(cat(describe(member), ": unreadable entry: ", zip_strerror(m_archive)));
        if (stat.size > kMaxMemberBytes)
            throw InputError(cat(describe(member), ": entry claims ", stat.size, " bytes (over 1 GiB)"));
        Bytes bytes(stat.size);
        zip_file_t* file = zip_fopen_index(m_archive, static_cast<zip_uint64_t>(index), 0);
        const zip_int64_t got = file == nullptr ? -1 : zip_fread(file, bytes.data(), bytes.size());
        const bool closed = file != nullptr && zip_fclose(file) == 0;
        if (got != static_cast<zip_int64_t>(bytes.size()) || !closed)
            throw InputError(
                cat(describe(member), ": truncated or corrupt entry: ", zip_strerror(m_archive)));
        return bytes;
    }
    std::string describe(const std::string& member) const override { return cat(m_name, ": ", member); }

private:
    std::string m_name;
    zip_t* m_archive = nullptr;
};

// --- meta.json ---

[[noreturn]] void bad_meta(const std::string& where, const std::string& problem) {
    throw InputError(cat(where, ": ", problem));
}

const json& member_of(const json& object, const char* key, const std::string& where) {
    if (!object.is_object() || !object.contains(key)) bad_meta(where, cat("meta.json has no \"", key, "\""));
    return object.at(key);
}

double number_of(const json& value, const std::string& where, const std::string& what) {
    if (!value.is_number()) bad_meta(where, cat("meta.json: ", what, " is not a number"));
    const double v = value.get<double>();
    if (!std::isfinite(v)) bad_meta(where, cat("meta.json: ", what, " is not finite"));
    return v;
}

std::vector<float> numbers_of(const json& value, std::size_t min_count, std::size_t max_count,
                              const std::string& where, const std::string& what) {
    if (!value.is_array() || value.size() < min_count || value.size() > max_count)
        bad_meta(where,
                 cat("meta.json: ", what, " must be an array of ",
                     min_count == max_count ? std::to_string(min_count) : cat(min_count, " to ", max_count),
                     " numbers"));
    std::vector<float> out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i)
        out.push_back(static_cast<float>(number_of(value[i], where, cat(what, "[", i, "]"))));
    return out;
}

std::string file_of(const json& group, std::size_t index, const std::string& where, const std::string& what) {
    const json& files = member_of(group, "files", where);
    if (!files.is_array() || files.size() <= index || !files[index].is_string())
        bad_meta(where,
                 cat("meta.json: ", what, ".files needs ", index + 1, " file name", index == 0 ? "" : "s"));
    return files[index].get<std::string>();
}

// --- WebP ---

struct Texture {
    int width = 0, height = 0;
    Bytes rgba;
    const std::uint8_t* texel(std::size_t i) const { return rgba.data() + 4 * i; }
};

struct PendingTexture {
    std::string member;
    Bytes webp;
    std::size_t min_texels = 0;  // the image must hold at least these
    std::size_t max_texels = 0;  // and at most these (refuses absurd sizes before decoding)
    int exact_width = 0;         // when non-zero, the width the layout needs
    Texture* out = nullptr;
};

void decode_textures(std::vector<PendingTexture>& pending, const Members& members) {
    for (PendingTexture& p : pending) {
        int w = 0, h = 0;
        if (!WebPGetInfo(p.webp.data(), p.webp.size(), &w, &h) || w <= 0 || h <= 0)
            throw InputError(cat(members.describe(p.member), ": not a WebP image"));
        const std::size_t texels = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
        if (texels < p.min_texels)
            throw InputError(cat(members.describe(p.member), ": ", w, "x", h, " texels, fewer than the ",
                                 p.min_texels, " meta.json needs"));
        if (texels > p.max_texels)
            throw InputError(cat(members.describe(p.member), ": ", w, "x", h,
                                 " texels, far more than meta.json's count needs"));
        if (p.exact_width != 0 && w != p.exact_width)
            throw InputError(cat(members.describe(p.member), ": ", w, " texels wide; the SH palette needs ",
                                 p.exact_width));
        p.out->width = w;
        p.out->height = h;
        p.out->rgba.resize(texels * 4);
    }
    tbb::parallel_for(std::size_t{0}, pending.size(), [&](std::size_t i) {
        PendingTexture& p = pending[i];
        if (WebPDecodeRGBAInto(p.webp.data(), p.webp.size(), p.out->rgba.data(), p.out->rgba.size(),
                               4 * p.out->width) == nullptr)
            p.out->rgba.clear();  // reported below, outside the parallel loop
    });
    for (const PendingTexture& p : pending)
        if (p.out->rgba.empty()) throw InputError(cat(members.describe(p.member), ": corrupt WebP image"));
}

Bytes encode_webp(const Bytes& rgba, int width, int height) {
    WebPConfig config;
    if (!WebPConfigInit(&config) || !WebPConfigLosslessPreset(&config, 1))
        throw Error("libwebp: cannot initialise the encoder");
    config.exact = 1;  // keep RGB under transparent alpha: alpha is data here (opacity)
    config.thread_level = 0;
    WebPPicture picture;
    if (!WebPPictureInit(&picture)) throw Error("libwebp: version mismatch");
    picture.use_argb = 1;
    picture.width = width;
    picture.height = height;
    WebPMemoryWriter writer;
    WebPMemoryWriterInit(&writer);
    picture.writer = WebPMemoryWrite;
    picture.custom_ptr = &writer;
    const bool ok = WebPPictureImportRGBA(&picture, rgba.data(), 4 * width) && WebPEncode(&config, &picture);
    const int code = picture.error_code;
    WebPPictureFree(&picture);
    Bytes out(writer.mem, writer.mem + writer.size);
    WebPMemoryWriterClear(&writer);
    if (!ok) throw Error(cat("libwebp: encoding a ", width, "x", height, " image failed (error ", code, ")"));
    return out;
}

// --- decoding ---

float inverse_log_transform(float v) {
    const float e = std::expm1(std::abs(v));
    return v < 0.0f ? -e : e;
}

float log_transform(float v) {
    return std::copysign(std::log1p(std::abs(v)), v);
}

// Smallest-three quaternion: `tag` = 252 + index of the largest component (w, x, y, z order).
bool unpack_quaternion(const std::uint8_t* texel, float* q) {
    const int largest = texel[3] - 252;
    if (largest < 0 || largest > 3) return false;
    float sum = 0.0f;
    for (int c = 0, k = 0; c < 4; ++c) {
        if (c == largest) continue;
        q[c] = (static_cast<float>(texel[k++]) / 255.0f * 2.0f - 1.0f) / kSqrt2;
        sum += q[c] * q[c];
    }
    q[largest] = std::sqrt(std::max(0.0f, 1.0f - sum));
    return true;
}

float opacity_logit_of_byte(std::uint8_t b) {
    const float p = std::clamp(static_cast<float>(b) / 255.0f, 1e-6f, 1.0f - 1e-6f);
    return std::log(p / (1.0f - p));
}

// Seconds since `start`, for the debug log of where the time goes.
double since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Reads meta.json and the textures through `members`.
// What meta.json says: the version, the count, ranges and codebooks, the SH palette's layout and each
// image's member.
struct SogMeta {
    int version = 1;
    std::size_t n = 0;
    std::vector<float> means_min, means_max;
    std::vector<float> scale_codebook, color_codebook;              // version 2
    std::vector<float> scale_min, scale_max, color_min, color_max;  // version 1
    int sh_degree = 0;                                              // -1: from the palette image (version 1)
    std::size_t palette = 0;                                        // entries (version 2)
    std::vector<float> sh_codebook;                                 // version 2
    float sh_min = 0.0f, sh_max = 0.0f;                             // version 1
    std::string means_lo, means_hi, quats, scales, sh0, centroids, labels;  // members; the last two with SH
};

SogMeta parse_meta(const Bytes& bytes, const std::string& where) {
    json meta;
    try {
        meta = json::parse(bytes.begin(), bytes.end());
    } catch (const json::exception& e) {
        throw InputError(cat(where, ": not JSON (", e.what(), ")"));
    }
    if (!meta.is_object()) bad_meta(where, "meta.json is not an object");
    SogMeta m;
    if (meta.contains("version")) {
        const double v = number_of(meta["version"], where, "version");
        if (v != 2.0) bad_meta(where, cat("SOG version ", v, " (glint reads versions 1 and 2)"));
        m.version = 2;
    }
    const json& means = member_of(meta, "means", where);
    double count_value = 0.0;
    if (m.version == 2) {
        count_value = number_of(member_of(meta, "count", where), where, "count");
    } else {
        const json& shape = member_of(means, "shape", where);
        if (!shape.is_array() || shape.empty()) bad_meta(where, "meta.json: means.shape is not an array");
        count_value = number_of(shape[0], where, "means.shape[0]");
    }
    if (count_value < 0.0 || count_value != std::floor(count_value) || count_value > 268435456.0)
        bad_meta(where, cat("meta.json: Gaussian count ", count_value, " is not a count"));
    m.n = static_cast<std::size_t>(count_value);
    m.means_min = numbers_of(member_of(means, "mins", where), 3, 3, where, "means.mins");
    m.means_max = numbers_of(member_of(means, "maxs", where), 3, 3, where, "means.maxs");
    for (int a = 0; a < 3; ++a)  // sign(x) ln(|x| + 1) beyond 80 would decode past float's range
        if (std::abs(m.means_min[a]) > 80.0f || std::abs(m.means_max[a]) > 80.0f)
            bad_meta(where, cat("meta.json: means range [", m.means_min[a], ", ", m.means_max[a],
                                "] on axis ", a, " is past any float position"));
    const json& scales = member_of(meta, "scales", where);
    const json& quats = member_of(meta, "quats", where);
    const json& sh0 = member_of(meta, "sh0", where);
    if (m.version == 2) {
        m.scale_codebook = numbers_of(member_of(scales, "codebook", where), 1, 256, where, "scales.codebook");
        m.color_codebook = numbers_of(member_of(sh0, "codebook", where), 1, 256, where, "sh0.codebook");
    } else {
        m.scale_min = numbers_of(member_of(scales, "mins", where), 3, 3, where, "scales.mins");
        m.scale_max = numbers_of(member_of(scales, "maxs", where), 3, 3, where, "scales.maxs");
        m.color_min = numbers_of(member_of(sh0, "mins", where), 4, 4, where, "sh0.mins");
        m.color_max = numbers_of(member_of(sh0, "maxs", where), 4, 4, where, "sh0.maxs");
    }
    m.means_lo = file_of(means, 0, where, "means");
    m.means_hi = file_of(means, 1, where, "means");
    m.quats = file_of(quats, 0, where, "quats");
    m.scales = file_of(scales, 0, where, "scales");
    m.sh0 = file_of(sh0, 0, where, "sh0");

    // SH: the palette's size and layout.
    const json* shn = meta.contains("shN") && !meta["shN"].is_null() ? &meta["shN"] : nullptr;
    if (shn != nullptr && m.version == 2) {
        const double bands = number_of(member_of(*shn, "bands", where), where, "shN.bands");
        if (bands != 0.0 && bands != 1.0 && bands != 2.0 && bands != 3.0)
            bad_meta(where, cat("meta.json: shN.bands is ", bands, " (0 to 3)"));
        m.sh_degree = static_cast<int>(bands);
        const double entries = number_of(member_of(*shn, "count", where), where, "shN.count");
        if (entries < 1.0 || entries > 65536.0 || entries != std::floor(entries))
            bad_meta(where, cat("meta.json: shN.count is ", entries, " (1 to 65536 palette entries)"));
        m.palette = static_cast<std::size_t>(entries);
        m.sh_codebook = numbers_of(member_of(*shn, "codebook", where), 1, 256, where, "shN.codebook");
    } else if (shn != nullptr) {
        m.sh_min = static_cast<float>(number_of(member_of(*shn, "mins", where), where, "shN.mins"));
        m.sh_max = static_cast<float>(number_of(member_of(*shn, "maxs", where), where, "shN.maxs"));
        m.sh_degree = -1;  // from the centroid image's width
    }
    if (shn != nullptr && m.sh_degree != 0) {
        m.centroids = file_of(*shn, 0, where, "shN");
        m.labels = file_of(*shn, 1, where, "shN");
    }
    return m;
}

// The SH palette decoded once ([entries, k, 3]), and which entries index past the codebook.
struct PaletteTable {
    std::size_t entries = 0;
    std::vector<float> values;
    std::vector<std::uint8_t> bad;
    // Asks for the entry a label texel names: entries are read in label order, scattered over a table
    // larger than the cache (unpacking a million Gaussians at SH 3 took 0.15 s, now 0.1 s).
    void prefetch(const std::uint8_t* label, std::size_t k) const {
        const auto e = static_cast<std::size_t>(label[0] | label[1] << 8);
        if (e < entries)
            for (std::size_t f = 0; f < 3 * k; f += 16) __builtin_prefetch(&values[e * 3 * k + f]);
    }
};

PaletteTable decode_palette(const Texture& centroids, const SogMeta& m, std::size_t k) {
    PaletteTable t;
    t.entries = k == 0 ? 0 : std::min(m.palette, static_cast<std::size_t>(centroids.height) * kPaletteRow);
    t.values.resize(t.entries * 3 * k);
    t.bad.assign(t.entries, 0);
    tbb::parallel_for(std::size_t{0}, t.entries, [&](std::size_t e) {
        const std::size_t row = e / kPaletteRow, column = (e % kPaletteRow) * k;
        for (std::size_t j = 0; j < k; ++j) {
            const std::uint8_t* texel = centroids.texel(row * centroids.width + column + j);
            for (int ch = 0; ch < 3; ++ch) {
                float& v = t.values[(e * k + j) * 3 + static_cast<std::size_t>(ch)];
                if (m.version == 1) {
                    v = m.sh_min + (m.sh_max - m.sh_min) * (static_cast<float>(texel[ch]) / 255.0f);
                } else if (texel[ch] < m.sh_codebook.size()) {
                    v = m.sh_codebook[texel[ch]];
                } else {
                    v = 0.0f;
                    t.bad[e] = 1;
                }
            }
        }
    });
    return t;
}

// Lowers `first` to i (the first failing Gaussian, whichever thread finds it).
void flag_first(std::atomic<std::size_t>& first, std::size_t i) {
    std::size_t expected = first.load();
    while (i < expected && !first.compare_exchange_weak(expected, i)) {
    }
}

GaussianCloud read_members(Members& members, SogInfo* info) {
    const Bytes meta_bytes = members.read("meta.json");
    const std::string where = members.describe("meta.json");
    SogMeta m = parse_meta(meta_bytes, where);
    const std::size_t n = m.n, max_texels = 2 * n + 65536;

    // Every member's bytes, read in turn (the archive is not shared between threads), then decoded together.
    Texture means_lo, means_hi, quat_tex, scale_tex, color_tex, centroid_tex, label_tex;
    std::vector<PendingTexture> pending;
    const auto add = [&](const std::string& member, Texture* out, std::size_t min_texels, std::size_t max,
                         int exact_width) {
        pending.push_back({member, members.read(member), min_texels, max, exact_width, out});
    };
    add(m.means_lo, &means_lo, n, max_texels, 0);
    add(m.means_hi, &means_hi, n, max_texels, 0);
    add(m.quats, &quat_tex, n, max_texels, 0);
    add(m.scales, &scale_tex, n, max_texels, 0);
    add(m.sh0, &color_tex, n, max_texels, 0);
    if (!m.centroids.empty()) {
        // Version 2 needs 64 texels per coefficient per row; version 1's width says the degree (below).
        const int exact_width = m.sh_degree > 0 ? sh_rest_count(m.sh_degree) * kPaletteRow : 0;
        add(m.centroids, &centroid_tex, 1, static_cast<std::size_t>(kPaletteRow) * 15 * 1025, exact_width);
        add(m.labels, &label_tex, n, max_texels, 0);
    }
    const auto decode_start = std::chrono::steady_clock::now();
    decode_textures(pending, members);
    const double decoded = since(decode_start);
    if (m.sh_degree == -1) {  // version 1: the width says the degree; every slot of the image is an entry
        const int width = centroid_tex.width;
        m.sh_degree = width == 192 ? 1 : width == 512 ? 2 : width == 960 ? 3 : 0;
        if (m.sh_degree == 0)
            throw InputError(cat(members.describe(m.centroids), ": ", width,
                                 " texels wide; a version 1 SH palette is 192, 512 or 960"));
        m.palette = static_cast<std::size_t>(width / sh_rest_count(m.sh_degree)) * centroid_tex.height;
    }

    GaussianCloud cloud;
    cloud.resize_for_overwrite(n, m.sh_degree, false);
    const std::span<float> positions = cloud.positions(), log_scales = cloud.log_scales(),
                           rotations = cloud.rotations(), opacity = cloud.opacity_logits(),
                           dc = cloud.sh_dc(), rest = cloud.sh_rest();
    const std::size_t k = static_cast<std::size_t>(sh_rest_count(m.sh_degree));
    std::atomic<std::size_t> bad_quat{n}, bad_label{n}, bad_index{n};
    const auto code_of = [&](const std::vector<float>& book, std::uint8_t b, std::size_t i) {
        if (b < book.size()) return book[b];
        flag_first(bad_index, i);
        return 0.0f;
    };
    const PaletteTable table = decode_palette(centroid_tex, m, k);
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, 4096), [&](const tbb::blocked_range<std::size_t>& r) {
            for (std::size_t i = r.begin(); i < r.end(); ++i) {
                const std::uint8_t *lo = means_lo.texel(i), *hi = means_hi.texel(i);
                for (int a = 0; a < 3; ++a) {
                    const float t = static_cast<float>(lo[a] | hi[a] << 8) / 65535.0f;
                    const float range = m.means_max[a] - m.means_min[a];
                    positions[3 * i + a] =
                        inverse_log_transform(m.means_min[a] + (range != 0.0f ? range : 1.0f) * t);
                }
                if (!unpack_quaternion(quat_tex.texel(i), &rotations[4 * i])) flag_first(bad_quat, i);
                const std::uint8_t *s = scale_tex.texel(i), *c = color_tex.texel(i);
                if (m.version == 2) {
                    for (int a = 0; a < 3; ++a) {
                        log_scales[3 * i + a] = code_of(m.scale_codebook, s[a], i);
                        dc[3 * i + a] = code_of(m.color_codebook, c[a], i);
                    }
                    opacity[i] = opacity_logit_of_byte(c[3]);
                } else {
                    const auto lerp = [](float a, float b, std::uint8_t v) {
                        return a + (b - a) * (v / 255.0f);
                    };
                    for (int a = 0; a < 3; ++a) {
                        log_scales[3 * i + a] = lerp(m.scale_min[a], m.scale_max[a], s[a]);
                        dc[3 * i + a] = lerp(m.color_min[a], m.color_max[a], c[a]);
                    }
                    opacity[i] = lerp(m.color_min[3], m.color_max[3], c[3]);
                }
                if (k == 0) continue;
                if (i + 8 < r.end()) table.prefetch(label_tex.texel(i + 8), k);  // the entry eight on
                const std::uint8_t* l = label_tex.texel(i);
                const std::size_t label = static_cast<std::size_t>(l[0] | l[1] << 8);
                if (label >= table.entries) {
                    flag_first(bad_label, i);
                    continue;
                }
                if (table.bad[label]) flag_first(bad_index, i);
                std::copy_n(&table.values[label * 3 * k], 3 * k, &rest[i * 3 * k]);
            }
        });
    if (bad_quat < n)
        throw InputError(cat(members.describe(m.quats), ": texel ", bad_quat.load(),
                             " has no largest-component tag (alpha ", int{quat_tex.texel(bad_quat)[3]},
                             ", expected 252 to 255)"));
    if (bad_label < n)
        throw InputError(cat(members.describe(m.labels), ": texel ", bad_label.load(),
                             " points past the SH palette (", m.palette, " entries, ",
                             centroid_tex.height * kPaletteRow, " in its image)"));
    if (bad_index < n)
        throw InputError(cat(where, ": Gaussian ", bad_index.load(),
                             " indexes past the end of a codebook shorter than 256 entries"));
    log::debug("SOG: images decoded in ", decoded * 1e3, " ms, Gaussians unpacked in ",
               (since(decode_start) - decoded) * 1e3, " ms");
    // Every decoded value is finite: codebooks, ranges and lerp ends were checked, positions bounded above.
    if (info != nullptr) {
        info->version = m.version;
        info->width = means_lo.width;
        info->height = means_lo.height;
        info->palette = k > 0 ? static_cast<int>(m.palette) : 0;
        info->bytes = meta_bytes.size();
        for (const PendingTexture& p : pending) info->bytes += p.webp.size();
    }
    return cloud;
}

// --- encoding ---

std::string json_text(const GaussianCloud& cloud, const float means_min[3], const float means_max[3],
                      const Codebook& scales, const Codebook& colors, const Codebook* sh,
                      std::size_t palette) {
    json meta;
    meta["version"] = 2;
    meta["asset"] = {{"generator", "glint"}};
    meta["count"] = cloud.size();
    meta["means"] = {{"mins", {means_min[0], means_min[1], means_min[2]}},
                     {"maxs", {means_max[0], means_max[1], means_max[2]}},
                     {"files", {"means_l.webp", "means_u.webp"}}};
    meta["scales"] = {{"codebook", scales.values}, {"files", {"scales.webp"}}};
    meta["quats"] = {{"files", {"quats.webp"}}};
    meta["sh0"] = {{"codebook", colors.values}, {"files", {"sh0.webp"}}};
    if (sh != nullptr)
        meta["shN"] = {{"count", palette},
                       {"bands", cloud.sh_degree()},
                       {"codebook", sh->values},
                       {"files", {"shN_centroids.webp", "shN_labels.webp"}}};
    return meta.dump();
}

struct EncodedSog {
    std::vector<std::pair<std::string, Bytes>> images;
    std::string meta;
};

EncodedSog encode(const GaussianCloud& cloud) {
    const auto start = std::chrono::steady_clock::now();
    if (cloud.is_4d()) throw InputError("SOG stores 3D Gaussians; this scene is 4D (write .ply)");
    if (const auto bad = cloud.find_non_finite()) throw InputError(cat("cannot write SOG: ", *bad));
    const std::size_t n = cloud.size();
    if (n > 16383ull * 16383ull / 2)
        throw InputError(cat("SOG holds at most 134 million Gaussians; this scene has ", n));
    const std::span<const float> positions = cloud.positions(), log_scales = cloud.log_scales(),
                                 rotations = cloud.rotations(), opacity = cloud.opacity_logits(),
                                 dc = cloud.sh_dc(), rest = cloud.sh_rest();
    const std::vector<std::uint32_t> order = morton_order(positions);
    const int width =
        std::max<int>(4, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n)) / 4.0)) * 4);
    const int height =
        std::max<int>(4, static_cast<int>((n + static_cast<std::size_t>(width) * 4 - 1) / (width * 4)) * 4);
    const std::size_t texels = static_cast<std::size_t>(width) * height;

    float means_min[3] = {0, 0, 0}, means_max[3] = {0, 0, 0};
    for (int a = 0; a < 3; ++a) {
        float lo = INFINITY, hi = -INFINITY;
        for (std::size_t i = 0; i < n; ++i)
            lo = std::min(lo, positions[3 * i + a]), hi = std::max(hi, positions[3 * i + a]);
        if (n > 0) means_min[a] = log_transform(lo), means_max[a] = log_transform(hi);
    }
    Codebook scale_book, color_book, sh_book;
    Palette palette;
    const std::size_t k = static_cast<std::size_t>(sh_rest_count(cloud.sh_degree()));
    tbb::parallel_invoke([&] { scale_book = fit_codebook({log_scales}, 1, 0, 1); },
                         [&] { color_book = fit_codebook({dc}, 1, 0, 1); },
                         [&] {
                             if (k == 0) return;
                             palette = fit_palette(rest, n, 3 * k);
                             sh_book = fit_codebook({palette.vectors}, 1, 0, 1);
                         });
    const double fitted = since(start);

    // Each Gaussian's texels, computed in the cloud's order (its arrays read as streams), then gathered
    // into Morton order: one random read of a packed record per texel where reading the six arrays in
    // Morton order missed the cache six times (packing a million took 0.32 s, now 0.17 s).
    struct alignas(32) Packed {
        std::uint8_t means_lo[3], means_hi[3], scales[3], colors[4], quats[4], label[2];
    };
    std::vector<Packed> packed_gaussians(n);
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, 4096), [&](const tbb::blocked_range<std::size_t>& r) {
            for (std::size_t g = r.begin(); g < r.end(); ++g) {
                Packed& p = packed_gaussians[g];
                for (int a = 0; a < 3; ++a) {
                    const float range = means_max[a] - means_min[a];
                    const float v =
                        range > 0.0f ? (log_transform(positions[3 * g + a]) - means_min[a]) / range : 0.0f;
                    const auto q = static_cast<std::uint32_t>(std::clamp(v, 0.0f, 1.0f) * 65535.0f + 0.5f);
                    p.means_lo[a] = static_cast<std::uint8_t>(q & 0xff);
                    p.means_hi[a] = static_cast<std::uint8_t>(q >> 8);
                    p.scales[a] = scale_book.index(log_scales[3 * g + a]);
                    p.colors[a] = color_book.index(dc[3 * g + a]);
                }
                p.colors[3] =
                    static_cast<std::uint8_t>(std::clamp(sigmoid(opacity[g]), 0.0f, 1.0f) * 255.0f + 0.5f);
                float q[4];
                float norm = 0.0f;
                for (int c = 0; c < 4; ++c) q[c] = rotations[4 * g + c], norm += q[c] * q[c];
                if (!(norm > 0.0f)) q[0] = 1.0f, q[1] = q[2] = q[3] = 0.0f, norm = 1.0f;
                int largest = 0;
                for (int c = 1; c < 4; ++c)
                    if (std::abs(q[c]) > std::abs(q[largest])) largest = c;
                const float scale = (q[largest] < 0.0f ? -kSqrt2 : kSqrt2) / std::sqrt(norm);
                for (int c = 0, j = 0; c < 4; ++c) {
                    if (c == largest) continue;
                    const float v = std::clamp(q[c] * scale * 0.5f + 0.5f, 0.0f, 1.0f);
                    p.quats[j++] = static_cast<std::uint8_t>(v * 255.0f + 0.5f);
                }
                p.quats[3] = static_cast<std::uint8_t>(252 + largest);
                const std::uint32_t label = k > 0 ? palette.labels[g] : 0;
                p.label[0] = static_cast<std::uint8_t>(label & 0xff);
                p.label[1] = static_cast<std::uint8_t>(label >> 8);
            }
        });
    Bytes means_lo(texels * 4, 0), means_hi(texels * 4, 0), quats(texels * 4, 0), scales(texels * 4, 0),
        colors(texels * 4, 0), labels(k > 0 ? texels * 4 : 0, 0);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 4096),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t t = r.begin(); t < r.end(); ++t) {
                              const Packed& p = packed_gaussians[order[t]];
                              for (int a = 0; a < 3; ++a) {
                                  means_lo[4 * t + a] = p.means_lo[a];
                                  means_hi[4 * t + a] = p.means_hi[a];
                                  scales[4 * t + a] = p.scales[a];
                              }
                              means_lo[4 * t + 3] = means_hi[4 * t + 3] = scales[4 * t + 3] = 255;
                              for (int c = 0; c < 4; ++c)
                                  colors[4 * t + c] = p.colors[c], quats[4 * t + c] = p.quats[c];
                              if (k > 0) {
                                  labels[4 * t] = p.label[0];
                                  labels[4 * t + 1] = p.label[1];
                                  labels[4 * t + 3] = 255;
                              }
                          }
                      });
    // Texels past the last Gaussian: a valid quaternion tag, so that other readers see identities.
    for (std::size_t t = n; t < texels; ++t) quats[4 * t + 3] = 252;
    const double packed = since(start);

    EncodedSog out;
    std::vector<std::tuple<std::string, const Bytes*, int, int>> jobs = {
        {"means_l.webp", &means_lo, width, height},
        {"means_u.webp", &means_hi, width, height},
        {"quats.webp", &quats, width, height},
        {"scales.webp", &scales, width, height},
        {"sh0.webp", &colors, width, height}};
    Bytes centroids;
    const std::size_t entries = palette.vectors.size() / std::max<std::size_t>(1, 3 * k);
    if (k > 0) {
        const int rows = static_cast<int>((entries + kPaletteRow - 1) / kPaletteRow);
        const int centroid_width = static_cast<int>(k) * kPaletteRow;
        centroids.assign(static_cast<std::size_t>(centroid_width) * rows * 4, 0);
        for (std::size_t e = 0; e < entries; ++e)
            for (std::size_t j = 0; j < k; ++j) {
                std::uint8_t* texel = &centroids[4 * (e * k + j)];
                for (int ch = 0; ch < 3; ++ch)
                    texel[ch] = sh_book.index(palette.vectors[e * 3 * k + 3 * j + ch]);
                texel[3] = 255;
            }
        jobs.emplace_back("shN_centroids.webp", &centroids, centroid_width, rows);
        jobs.emplace_back("shN_labels.webp", &labels, width, height);
    }
    out.images.resize(jobs.size());
    tbb::parallel_for(std::size_t{0}, jobs.size(), [&](std::size_t i) {
        const auto& [name, rgba, w, h] = jobs[i];
        out.images[i] = {name, encode_webp(*rgba, w, h)};
    });
    out.meta =
        json_text(cloud, means_min, means_max, scale_book, color_book, k > 0 ? &sh_book : nullptr, entries);
    log::debug("SOG: codebooks and palette ", fitted * 1e3, " ms, texels ", (packed - fitted) * 1e3,
               " ms, WebP ", (since(start) - packed) * 1e3, " ms");
    return out;
}

bool named_meta_json(const std::filesystem::path& path) {
    return to_lower(path.filename().string()) == "meta.json";
}

}  // namespace

bool is_sog_path(const std::filesystem::path& path) {
    if (to_lower(path.extension().string()) == ".sog" || named_meta_json(path)) return true;
    std::error_code error;
    return std::filesystem::is_directory(path, error) &&
           std::filesystem::is_regular_file(path / "meta.json", error);
}

GaussianCloud read_sog_archive(std::span<const std::byte> bytes, std::string_view name, SogInfo* info) {
    ArchiveMembers members(bytes, std::string(name));
    GaussianCloud cloud = read_members(members, info);
    if (info != nullptr) info->archive = true;
    return cloud;
}

GaussianCloud read_sog(const std::filesystem::path& path, SogInfo* info) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error) || named_meta_json(path)) {
        const std::filesystem::path folder = named_meta_json(path) ? path.parent_path() : path;
        if (!std::filesystem::exists(folder / "meta.json", error))
            throw InputError(cat((folder / "meta.json").string(), ": no such file"));
        FolderMembers members(folder.empty() ? std::filesystem::path(".") : folder);
        GaussianCloud cloud = read_members(members, info);
        if (info != nullptr) info->archive = false;
        return cloud;
    }
    const StreamedFile file(path);
    file.wait_for(file.size());
    return read_sog_archive(file.bytes(), path.string(), info);
}

std::vector<std::byte> encode_sog_archive(const GaussianCloud& cloud) {
    const EncodedSog sog = encode(cloud);
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* memory = zip_source_buffer_create(nullptr, 0, 0, &error);
    zip_t* archive = memory == nullptr ? nullptr : zip_open_from_source(memory, ZIP_TRUNCATE, &error);
    if (archive == nullptr) {
        if (memory != nullptr) zip_source_free(memory);
        const std::string text = zip_error_strerror(&error);
        zip_error_fini(&error);
        throw Error(cat("libzip: cannot create an archive in memory: ", text));
    }
    zip_error_fini(&error);
    zip_source_keep(memory);  // read back after zip_close
    const auto add = [&](const std::string& name, const void* data, std::size_t size) {
        zip_source_t* source = zip_source_buffer(archive, data, size, 0);
        const zip_int64_t index =
            source == nullptr ? -1 : zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8);
        // Stored, and dated 1 January 1980 (zip's first day): the same scene makes the same bytes whenever
        // it is written.
        if (index < 0 ||
            zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0 ||
            zip_file_set_dostime(archive, static_cast<zip_uint64_t>(index), 0, (1 << 5) | 1, 0) != 0) {
            if (source != nullptr && index < 0) zip_source_free(source);
            const std::string text = zip_strerror(archive);
            zip_discard(archive);
            zip_source_free(memory);
            throw Error(cat("libzip: cannot add ", name, ": ", text));
        }
    };
    for (const auto& [name, bytes] : sog.images) add(name, bytes.data(), bytes.size());
    add("meta.json", sog.meta.data(), sog.meta.size());
    if (zip_close(archive) != 0) {
        const std::string text = zip_strerror(archive);
        zip_discard(archive);
        zip_source_free(memory);
        throw Error(cat("libzip: cannot finish the archive: ", text));
    }
    std::vector<std::byte> out;
    zip_stat_t stat;
    if (zip_source_stat(memory, &stat) == 0 && zip_source_open(memory) == 0) {
        out.resize(stat.size);
        const zip_int64_t got = zip_source_read(memory, out.data(), stat.size);
        zip_source_close(memory);
        if (got != static_cast<zip_int64_t>(stat.size)) out.clear();
    }
    zip_source_free(memory);
    if (out.empty()) throw Error("libzip: cannot read the finished archive back");
    return out;
}

void write_sog(const GaussianCloud& cloud, const std::filesystem::path& path) {
    if (to_lower(path.extension().string()) == ".sog") {
        const std::vector<std::byte> bytes = encode_sog_archive(cloud);
        AtomicFile file(path);
        file.write(bytes);
        file.commit();
        return;
    }
    if (!named_meta_json(path))
        throw InputError(cat(path.string(), ": SOG is written as NAME.sog or as a folder's meta.json"));
    const EncodedSog sog = encode(cloud);
    const std::filesystem::path folder = path.parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder);
    for (const auto& [name, bytes] : sog.images) {
        AtomicFile file(folder / name);
        file.write(std::as_bytes(std::span(bytes)));
        file.commit();
    }
    AtomicFile meta(path);
    meta.write(sog.meta);
    meta.commit();
}

}  // namespace glint::splatting
