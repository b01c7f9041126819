// .splat reader and writer.
#include "glint/splatting/splat_format.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/streamed_file.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"

namespace glint::splatting {
namespace {

// Opacity bytes 0 and 255 would give an infinite logit: read them as the edge of their rounding bucket.
constexpr float kMinAlpha = 0.5f / 255.0f;
constexpr float kMaxAlpha = 1.0f - 0.5f / 255.0f;

std::uint8_t to_byte(float value) {
    return static_cast<std::uint8_t>(std::clamp(std::lround(value), 0l, 255l));
}

struct Record {
    float position[3];
    float scale[3];
    std::uint8_t color[4];
    std::uint8_t rotation[4];
};
static_assert(sizeof(Record) == kSplatRecordBytes);

// Describes what is wrong with a record, or returns nullptr.
const char* record_problem(const Record& r) {
    for (float v : r.position)
        if (!std::isfinite(v)) return "position is NaN or infinite";
    for (float v : r.scale) {
        if (!std::isfinite(v)) return "scale is NaN or infinite";
        if (v < 0.0f) return "scale is negative";
    }
    return nullptr;
}

}  // namespace

GaussianCloud read_splat(std::span<const std::byte> bytes, std::string_view name) {
    if (bytes.empty()) throw InputError(cat(name, ": empty file"));
    if (bytes.size() % kSplatRecordBytes != 0)
        throw InputError(
            cat(name, ": size ", bytes.size(), " bytes is not a multiple of the 32-byte .splat record (",
                bytes.size() / kSplatRecordBytes, " whole records and ", bytes.size() % kSplatRecordBytes,
                " bytes left over): truncated or not a .splat file"));
    const std::size_t count = bytes.size() / kSplatRecordBytes;
    GaussianCloud cloud;
    cloud.resize_for_overwrite(count, 0, false);  // every value is written below
    std::atomic<bool> bad{false};
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 8192), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            Record r;
            std::memcpy(&r, bytes.data() + i * kSplatRecordBytes, sizeof r);
            if (record_problem(r) != nullptr) bad.store(true, std::memory_order_relaxed);
            for (int k = 0; k < 3; ++k) {
                cloud.positions()[3 * i + k] = r.position[k];
                // A zero scale (a flat Gaussian) maps to the smallest normal float so the log stays finite.
                cloud.log_scales()[3 * i + k] =
                    static_cast<float>(std::log(static_cast<double>(std::max(r.scale[k], FLT_MIN))));
                cloud.sh_dc()[3 * i + k] = color_to_sh_dc(static_cast<float>(r.color[k]) / 255.0f);
            }
            const float alpha = std::clamp(static_cast<float>(r.color[3]) / 255.0f, kMinAlpha, kMaxAlpha);
            cloud.opacity_logits()[i] = logit(alpha);
            for (int k = 0; k < 4; ++k)
                cloud.rotations()[4 * i + k] = (static_cast<float>(r.rotation[k]) - 128.0f) / 128.0f;
        }
    });
    if (bad.load()) {
        for (std::size_t i = 0; i < count; ++i) {
            Record r;
            std::memcpy(&r, bytes.data() + i * kSplatRecordBytes, sizeof r);
            if (const char* problem = record_problem(r))
                throw InputError(cat(name, ": record ", i, ": ", problem));
        }
    }
    return cloud;
}

GaussianCloud read_splat_file(const std::filesystem::path& path) {
    const StreamedFile file(path);
    file.wait_for(file.size());
    return read_splat(file.bytes(), path.string());
}

std::vector<std::byte> encode_splat(const GaussianCloud& cloud) {
    if (cloud.sh_degree() > 0)
        log::warn(".splat stores colour at SH degree 0: the degree-", cloud.sh_degree(),
                  " view-dependent coefficients are dropped");
    if (cloud.is_4d())
        log::warn(
            ".splat has no time: the 4D fields (t, scale_t, rot_r, f_time, the time period) are dropped");
    std::vector<std::byte> out(cloud.size() * kSplatRecordBytes);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cloud.size(), 8192), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            Record r;
            for (int k = 0; k < 3; ++k) {
                r.position[k] = cloud.positions()[3 * i + k];
                r.scale[k] = static_cast<float>(std::exp(static_cast<double>(cloud.log_scales()[3 * i + k])));
                r.color[k] = to_byte(255.0f * sh_dc_to_color(cloud.sh_dc()[3 * i + k]));
            }
            r.color[3] = to_byte(255.0f * sigmoid(cloud.opacity_logits()[i]));
            float q[4];
            for (int k = 0; k < 4; ++k) q[k] = cloud.rotations()[4 * i + k];
            normalize_quaternion(q);
            for (int k = 0; k < 4; ++k) r.rotation[k] = to_byte(q[k] * 128.0f + 128.0f);
            std::memcpy(out.data() + i * kSplatRecordBytes, &r, sizeof r);
        }
    });
    return out;
}

void write_splat(const GaussianCloud& cloud, const std::filesystem::path& path) {
    const std::vector<std::byte> bytes = encode_splat(cloud);
    AtomicFile file(path);
    file.write(bytes);
    file.commit();
}

}  // namespace glint::splatting
