// GaussianSplats3D's .ksplat: a 4096-byte header (version 0.x, section count, Gaussian count, compression
// mode 0-2, SH range), a 1024-byte header per section (counts, buckets, block size, quantisation range, SH
// degree), then per section the partial buckets' sizes, the bucket centres and the Gaussians: mode 0
// float32 everything; modes 1 and 2 positions as 16-bit offsets from their bucket's centre, scales and
// rotations as float16, SH as float16 (mode 1) or bytes over the file's SH range (mode 2); colour and
// opacity bytes in every mode. Read only.
#include "glint/splatting/ksplat_format.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"

namespace glint::splatting {
namespace {

constexpr std::size_t kMainHeader = 4096, kSectionHeader = 1024;

struct Mode {
    std::size_t center, scale, rotation, color, sh_bytes;
    std::uint32_t default_range;
};
constexpr Mode kModes[3] = {{12, 12, 16, 4, 4, 1}, {6, 6, 8, 4, 2, 32767}, {6, 6, 8, 4, 1, 32767}};

template <typename T>
T load(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = (h >> 15) & 1u, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
    float value;
    if (exponent == 0)
        value = std::ldexp(static_cast<float>(mantissa), -24);  // zero and subnormals
    else if (exponent == 31)
        value = mantissa == 0 ? INFINITY : NAN;
    else
        value = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
    return sign ? -value : value;
}

// The k-th stored SH value's place in glint's [K, 3] layout: bands stored one after the other, each
// band channel by channel.
std::size_t sh_slot(std::size_t i) {
    std::size_t channel, coefficient;
    if (i < 9)
        channel = i / 3, coefficient = i % 3;
    else if (i < 24)
        channel = (i - 9) / 5, coefficient = 3 + (i - 9) % 5;
    else
        channel = (i - 24) / 7, coefficient = 8 + (i - 24) % 7;
    return coefficient * 3 + channel;
}

}  // namespace

GaussianCloud read_ksplat(std::span<const std::byte> bytes, std::string_view name, KsplatInfo* info) {
    if (bytes.size() < kMainHeader)
        throw InputError(cat(name, ": truncated .ksplat header (", bytes.size(), " of 4096 bytes)"));
    const std::byte* h = bytes.data();
    const auto major = static_cast<unsigned>(h[0]), minor = static_cast<unsigned>(h[1]);
    if (major != 0 || minor < 1)
        throw InputError(cat(name, ": not a .ksplat file glint reads (version ", major, ".", minor, ")"));
    const auto sections = load<std::uint32_t>(h + 4);
    const auto total = load<std::uint32_t>(h + 16);
    const auto mode_index = load<std::uint16_t>(h + 20);
    if (mode_index > 2) throw InputError(cat(name, ": compression mode ", mode_index, " (0, 1 and 2 exist)"));
    float sh_min = load<float>(h + 36), sh_max = load<float>(h + 40);
    if (sh_min == 0.0f) sh_min = -1.5f;
    if (sh_max == 0.0f) sh_max = 1.5f;
    if (sections > (bytes.size() - kMainHeader) / kSectionHeader)
        throw InputError(cat(name, ": ", sections, " section headers do not fit the file"));
    const Mode& mode = kModes[mode_index];
    int degree = 0;
    std::uint64_t counted = 0;
    for (std::uint32_t s = 0; s < sections; ++s) {
        const std::byte* sh = h + kMainHeader + s * kSectionHeader;
        counted += load<std::uint32_t>(sh);
        const auto d = load<std::uint16_t>(sh + 40);
        if (d > 3) throw InputError(cat(name, ": section ", s, ": SH degree ", d));
        if (load<std::uint32_t>(sh) > 0) degree = std::max<int>(degree, d);
    }
    if (counted != total)
        throw InputError(cat(name, ": the sections hold ", counted, " Gaussians, the header says ", total));
    // Every Gaussian takes at least its centre, scale, rotation and colour: refuse counts the file cannot
    // hold before allocating for them.
    const std::size_t least = mode.center + mode.scale + mode.rotation + mode.color;
    if (total > (bytes.size() - kMainHeader) / least)
        throw InputError(cat(name, ": ", total, " Gaussians do not fit the file's ", bytes.size(), " bytes"));

    GaussianCloud cloud(total, degree, false);
    auto positions = cloud.positions();
    auto log_scales = cloud.log_scales();
    auto rotations = cloud.rotations();
    auto opacity = cloud.opacity_logits();
    auto dc = cloud.sh_dc();
    auto rest = cloud.sh_rest();
    const std::size_t k = static_cast<std::size_t>(sh_rest_count(degree));
    std::size_t offset = kMainHeader + static_cast<std::size_t>(sections) * kSectionHeader, first = 0;
    for (std::uint32_t s = 0; s < sections; ++s) {
        const std::byte* sh = h + kMainHeader + s * kSectionHeader;
        const auto count = load<std::uint32_t>(sh), capacity_splats = load<std::uint32_t>(sh + 4);
        const auto bucket_capacity = load<std::uint32_t>(sh + 8), buckets = load<std::uint32_t>(sh + 12);
        const auto block = load<float>(sh + 16);
        const auto bucket_bytes = load<std::uint16_t>(sh + 20);
        std::uint32_t range = load<std::uint32_t>(sh + 24);
        if (range == 0) range = mode.default_range;
        const auto full = load<std::uint32_t>(sh + 32), partial = load<std::uint32_t>(sh + 36);
        const std::size_t section_degree = load<std::uint16_t>(sh + 40);
        const std::size_t values =
            static_cast<std::size_t>(sh_rest_count(static_cast<int>(section_degree))) * 3;
        const std::size_t per_splat =
            mode.center + mode.scale + mode.rotation + mode.color + values * mode.sh_bytes;
        const std::uint64_t storage = std::uint64_t{bucket_bytes} * buckets + std::uint64_t{4} * partial;
        const std::uint64_t data = std::uint64_t{per_splat} * capacity_splats;
        if (count > capacity_splats || offset + storage + data > bytes.size() ||
            (mode_index > 0 && std::uint64_t{buckets} * 12 > storage))
            throw InputError(cat(name, ": truncated or inconsistent section ", s, " (", count, " Gaussians, ",
                                 storage + data, " bytes from byte ", offset, ", the file has ", bytes.size(),
                                 ")"));
        if (mode_index > 0 && (full > buckets || full + partial > buckets || !(std::isfinite(block))))
            throw InputError(cat(name, ": section ", s, ": bucket counts do not add up"));
        const std::byte* partial_sizes = h + offset;
        const std::byte* centers = partial_sizes + 4 * std::size_t{partial};
        const std::byte* splats = h + offset + storage;
        // Each Gaussian's bucket: full buckets first, then the partial ones by their sizes.
        std::vector<std::uint32_t> bucket_of(count, 0);
        if (mode_index > 0) {
            std::uint64_t at = std::uint64_t{full} * bucket_capacity;
            for (std::uint32_t i = 0; i < count && i < at; ++i)
                bucket_of[i] = bucket_capacity ? i / bucket_capacity : 0;
            std::uint32_t bucket = full;
            for (std::uint32_t p = 0; p < partial && at < count; ++p, ++bucket) {
                const std::uint64_t size = load<std::uint32_t>(partial_sizes + 4 * p);
                for (std::uint64_t i = at; i < std::min<std::uint64_t>(count, at + size); ++i)
                    bucket_of[i] = bucket;
                at += size;
            }
            if (at < count)
                throw InputError(
                    cat(name, ": section ", s, ": its buckets hold ", at, " of ", count, " Gaussians"));
        }
        const float position_scale = block / 2.0f / static_cast<float>(range);
        tbb::parallel_for(std::uint32_t{0}, count, [&](std::uint32_t i) {
            const std::byte* g = splats + std::size_t{i} * per_splat;
            const std::size_t out = first + i;
            for (int a = 0; a < 3; ++a) {
                if (mode_index == 0) {
                    positions[3 * out + a] = load<float>(g + 4 * a);
                    const float scale = load<float>(g + mode.center + 4 * a);
                    log_scales[3 * out + a] = scale > 0.0f ? std::log(scale) : -10.0f;
                } else {
                    const float center = load<float>(centers + 12 * std::size_t{bucket_of[i]} + 4 * a);
                    positions[3 * out + a] =
                        (static_cast<float>(load<std::uint16_t>(g + 2 * a)) - static_cast<float>(range)) *
                            position_scale +
                        center;
                    const float scale = half_to_float(load<std::uint16_t>(g + mode.center + 2 * a));
                    log_scales[3 * out + a] = scale > 0.0f ? std::log(scale) : -10.0f;
                }
            }
            const std::byte* r = g + mode.center + mode.scale;
            for (int c = 0; c < 4; ++c)
                rotations[4 * out + c] =
                    mode_index == 0 ? load<float>(r + 4 * c) : half_to_float(load<std::uint16_t>(r + 2 * c));
            const std::byte* color = r + mode.rotation;
            for (int c = 0; c < 3; ++c)
                dc[3 * out + c] = (static_cast<float>(color[c]) / 255.0f - 0.5f) / raster::kSh0;
            constexpr float kLow = 0.5f / 255.0f;
            opacity[out] = logit(std::clamp(static_cast<float>(color[3]) / 255.0f, kLow, 1.0f - kLow));
            const std::byte* harmonics = color + mode.color;
            for (std::size_t v = 0; v < values; ++v) {
                float value;
                if (mode_index == 0)
                    value = load<float>(harmonics + 4 * v);
                else if (mode_index == 1)
                    value = half_to_float(load<std::uint16_t>(harmonics + 2 * v));
                else
                    value = sh_min + static_cast<float>(harmonics[v]) / 255.0f * (sh_max - sh_min);
                const std::size_t slot = sh_slot(v);
                if (slot < 3 * k) rest[out * 3 * k + slot] = value;
            }
        });
        first += count;
        offset += storage + data;
    }
    if (const auto bad = cloud.find_non_finite()) throw InputError(cat(name, ": ", *bad));
    if (info != nullptr) {
        info->version = cat(major, ".", minor);
        info->compression_mode = mode_index;
        info->sections = sections;
    }
    return cloud;
}

}  // namespace glint::splatting
