// GaussianCloud: a 3D or 4D Gaussian scene, structure of arrays, raw (pre-activation) parameters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace glint::splatting {

inline constexpr int kMaxShDegree = 3;
inline constexpr int kMaxTimeColorDegree = 2;  // time frequencies of 4D colour, as the reference 4DGS

// An allocator whose value-less construct() leaves floats uninitialized, so that resize_for_overwrite()
// does not write hundreds of megabytes of zeros a reader is about to overwrite.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
    template <typename U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    template <typename U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};
using FloatArray = std::vector<float, DefaultInitAllocator<float>>;

// Coefficients per colour channel for an SH degree, DC included: 1, 4, 9, 16.
constexpr int sh_coefficient_count(int degree) {
    return (degree + 1) * (degree + 1);
}
// Coefficients per channel beyond DC ("f_rest" in the reference PLY): 0, 3, 8, 15.
constexpr int sh_rest_count(int degree) {
    return sh_coefficient_count(degree) - 1;
}

// Raw parameters as in the reference 3DGS PLY; activations happen in the kernels:
//   positions       [N, 3]     world space
//   log_scales      [N, 3]     scale = exp(log_scale)
//   rotations       [N, 4]     quaternion (w, x, y, z), not necessarily normalized
//   opacity_logits  [N]        opacity = sigmoid(logit)
//   sh_dc           [N, 3]     degree-0 SH coefficient per channel (colour = 0.5 + C0 * dc)
//   sh_rest         [N, K, 3]  K = sh_rest_count(degree), coefficient-major with RGB innermost
//                              (the PLY stores them channel-major; the readers and writers transpose)
// 4D Gaussians (Yang et al. 2024) add, and have empty arrays otherwise:
//   time_means      [N]        temporal centre
//   log_time_scales [N]        temporal scale = exp(log_time_scale)
//   rotations_right [N, 4]     right isoclinic quaternion (w, x, y, z); `rotations` is the left one
//   time_color      [N, D, C, 3] time-varying colour (4D spherindrical harmonics, Yang et al. 2024): for
//                              frequency k = 1..D (D = time_color_degree, 0 to 2), C = (sh_degree + 1)^2
//                              coefficients, DC first, weighting the same SH basis as sh_dc/sh_rest,
//                              times cos(2 pi k (t - time_mean) / time_period); empty when D = 0
// and the scene's time_period (4D only; 1 unless the file says otherwise).
class GaussianCloud {
public:
    GaussianCloud() = default;
    GaussianCloud(std::size_t count, int sh_degree, bool temporal, int time_color_degree = 0) {
        resize(count, sh_degree, temporal, time_color_degree);
    }

    // Resizes every array; all elements are zero. sh_degree must be in [0, kMaxShDegree],
    // time_color_degree in [0, kMaxTimeColorDegree] and 0 unless temporal.
    void resize(std::size_t count, int sh_degree, bool temporal, int time_color_degree = 0);
    // The same, but the values are left unspecified: for readers that write every element.
    void resize_for_overwrite(std::size_t count, int sh_degree, bool temporal, int time_color_degree = 0);
    // Changes the SH degree in place: lower degrees drop coefficients, higher ones add zeros.
    void set_sh_degree(int sh_degree);

    std::size_t size() const { return m_count; }
    bool empty() const { return m_count == 0; }
    int sh_degree() const { return m_sh_degree; }
    int sh_rest_per_channel() const { return sh_rest_count(m_sh_degree); }
    bool is_4d() const { return m_temporal; }
    int time_color_degree() const { return m_time_color_degree; }
    // Floats per Gaussian in time_color(): D * C * 3.
    std::size_t time_color_per_gaussian() const {
        return static_cast<std::size_t>(m_time_color_degree) * sh_coefficient_count(m_sh_degree) * 3;
    }
    float time_period() const { return m_time_period; }
    void set_time_period(float period) { m_time_period = period; }
    // The world's up direction when the scene's maker knew it (a dataset's cameras, a generator); PLY
    // files carry it as a "comment glint up X Y Z" header line. Unit length when set.
    const std::optional<std::array<float, 3>>& up() const { return m_up; }
    void set_up(std::optional<std::array<float, 3>> up) { m_up = up; }
    // The colour the scene was trained over, when training learnt it (photos without alpha: what no
    // Gaussian covers, a backdrop or a sky, is that colour); PLY files carry it as a "comment glint
    // background R G B" header line, and viewers render over it unless told another colour.
    const std::optional<std::array<float, 3>>& background() const { return m_background; }
    void set_background(std::optional<std::array<float, 3>> colour) { m_background = colour; }
    // 4D scenes: the time span the scene was made for (a trained scene: its dataset's frame times), when
    // its maker knew it; PLY files carry it as a "comment glint time_range BEGIN END" header line. Time
    // means may lie outside it. Viewers scrub and play over it.
    const std::optional<std::array<float, 2>>& time_range() const { return m_time_range; }
    void set_time_range(std::optional<std::array<float, 2>> range) { m_time_range = range; }

    std::span<float> positions() {
        ++m_version;
        return m_positions;
    }
    std::span<const float> positions() const { return m_positions; }
    std::span<float> log_scales() {
        ++m_version;
        return m_log_scales;
    }
    std::span<const float> log_scales() const { return m_log_scales; }
    std::span<float> rotations() {
        ++m_version;
        return m_rotations;
    }
    std::span<const float> rotations() const { return m_rotations; }
    std::span<float> opacity_logits() {
        ++m_version;
        return m_opacity_logits;
    }
    std::span<const float> opacity_logits() const { return m_opacity_logits; }
    std::span<float> sh_dc() {
        ++m_version;
        return m_sh_dc;
    }
    std::span<const float> sh_dc() const { return m_sh_dc; }
    std::span<float> sh_rest() {
        ++m_version;
        return m_sh_rest;
    }
    std::span<const float> sh_rest() const { return m_sh_rest; }
    std::span<float> time_means() {
        ++m_version;
        return m_time_means;
    }
    std::span<const float> time_means() const { return m_time_means; }
    std::span<float> log_time_scales() {
        ++m_version;
        return m_log_time_scales;
    }
    std::span<const float> log_time_scales() const { return m_log_time_scales; }
    std::span<float> rotations_right() {
        ++m_version;
        return m_rotations_right;
    }
    std::span<const float> rotations_right() const { return m_rotations_right; }
    std::span<float> time_color() {
        ++m_version;
        return m_time_color;
    }
    std::span<const float> time_color() const { return m_time_color; }

    // Floats stored per Gaussian, and the bytes all arrays hold.
    std::size_t floats_per_gaussian() const;
    std::size_t memory_bytes() const { return floats_per_gaussian() * m_count * sizeof(float); }

    // Describes the first NaN or infinite value ("Gaussian 12: opacity is NaN"), or nothing.
    std::optional<std::string> find_non_finite() const;

    // The identity and version of the contents, for copies kept elsewhere (the CUDA rasterizer keeps the
    // cloud on the device across frames and uploads it again only when either changes): every copy of a
    // cloud gets a new identity, and every non-const access to an array, resize and set_sh_degree a new
    // version. A writer that keeps a span across renders calls touch() after writing through it.
    std::uint64_t identity() const { return m_identity.value; }
    std::uint64_t version() const { return m_version; }
    void touch() { ++m_version; }

private:
    // A process-unique number: new for every cloud and every copy; a move carries it over (and gives the
    // moved-from cloud a new one).
    struct Identity {
        std::uint64_t value = next();
        Identity() = default;
        Identity(const Identity&) : value(next()) {}
        Identity& operator=(const Identity&) {
            value = next();
            return *this;
        }
        Identity(Identity&& other) noexcept : value(other.value) { other.value = next(); }
        Identity& operator=(Identity&& other) noexcept {
            value = other.value;
            other.value = next();
            return *this;
        }
        static std::uint64_t next();
    };
    Identity m_identity;
    std::uint64_t m_version = 0;
    std::size_t m_count = 0;
    int m_sh_degree = 0;
    bool m_temporal = false;
    int m_time_color_degree = 0;
    float m_time_period = 1.0f;
    std::optional<std::array<float, 3>> m_up;
    std::optional<std::array<float, 3>> m_background;
    std::optional<std::array<float, 2>> m_time_range;
    FloatArray m_positions;
    FloatArray m_log_scales;
    FloatArray m_rotations;
    FloatArray m_opacity_logits;
    FloatArray m_sh_dc;
    FloatArray m_sh_rest;
    FloatArray m_time_means;
    FloatArray m_log_time_scales;
    FloatArray m_rotations_right;
    FloatArray m_time_color;
};

}  // namespace glint::splatting
