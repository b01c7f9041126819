// The multiresolution hash encoding on the CPU: configuration, level layout, parameters, and the
// batched forward and backward passes (oneTBB over levels and blocks of points).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "glint/nerf/hash_grid_math.h"

namespace glint::nerf {

struct HashGridConfig {
    int levels = 16;                 // L
    int features = 2;                // F per level
    int log2_table_size = 19;        // T = 2^19 entries per level at most
    float base_resolution = 16.0f;   // N_min
    float max_resolution = 2048.0f;  // N_max (scaled with the scene bound by the caller)
};

// The instruction set the float, F = 2 encoding runs with: by default the widest the processor has. All
// give the same bits; tests and glint-bench-hash-grid set each in turn.
enum class EncodingIsa { Scalar, Avx2, Avx512 };
EncodingIsa encoding_isa();
// Returns false, changing nothing, when the processor lacks `isa`. Process-wide; not for use while an
// encoding runs.
bool set_encoding_isa(EncodingIsa isa);
const char* encoding_isa_name(EncodingIsa isa);

// Level geometry for a configuration. Throws InputError for values out of range.
std::vector<GridLevel> grid_levels(const HashGridConfig& config);

// Parameters [entries, F] of all levels (level l's entries start at levels[l].offset), scalar T: float
// for training, double for the gradient tests.
template <typename T>
class HashGrid {
public:
    explicit HashGrid(const HashGridConfig& config);
    const HashGridConfig& config() const { return m_config; }
    const std::vector<GridLevel>& levels() const { return m_levels; }
    int output_width() const { return m_config.levels * m_config.features; }
    std::vector<T>& params() { return m_params; }
    const std::vector<T>& params() const { return m_params; }

    // Uniform in [-scale, scale], deterministic for a seed (Instant-NGP: 1e-4).
    void initialize(std::uint64_t seed, T scale = T(1e-4));

    // points [N, 3] in [0, 1]^3 -> features [N, L * F] (level-major per point: level 0's F, level 1's, ...).
    void forward(std::span<const float> points, std::span<T> features) const;
    // Adds dL/d params for dL/d features [N, L * F] into `grad_params` (same layout as params). Levels are
    // independent tables, so each runs as its own task: no two threads write the same entry.
    void backward(std::span<const float> points, std::span<const T> grad_features,
                  std::span<T> grad_params) const;

private:
    HashGridConfig m_config;
    std::vector<GridLevel> m_levels;
    std::vector<T> m_params;
};

extern template class HashGrid<float>;
extern template class HashGrid<double>;

}  // namespace glint::nerf
