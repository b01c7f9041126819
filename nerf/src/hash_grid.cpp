// CPU hash encoding: per level, points in blocks; the per-corner math is hash_grid_math.h's.
#include "glint/nerf/hash_grid.h"

#include <algorithm>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint::nerf {
namespace {

// Points per forward task: every level of a block of points, so the [N, L * F] output rows a task writes
// stay in cache.
constexpr std::size_t kBlock = 256;

// F > 0: F features known at compile time (the default F = 2 unrolls); F = 0: `features` at run time.
// Two passes over the points: the corners' entries and weights first (prefetching the entries), then
// the sums, so the table reads (mostly cache misses at fine levels) overlap instead of waiting in turn.
template <typename T, int F>
void forward_level(const GridLevel& level, int features, const T* __restrict params,
                   const float* __restrict points, std::size_t begin, std::size_t end, T* __restrict out,
                   int stride) {
    const std::size_t nf = static_cast<std::size_t>(F > 0 ? F : features);
    const T* table = params + static_cast<std::size_t>(level.offset) * nf;
    constexpr std::size_t kChunk = 64;
    std::uint32_t indices[kChunk][8];
    float weights[kChunk][8];
    for (std::size_t first = begin; first < end; first += kChunk) {
        const std::size_t count = std::min(kChunk, end - first);
        for (std::size_t j = 0; j < count; ++j) {
            const std::size_t i = first + j;
            std::uint32_t corner[3];
            float fraction[3];
            grid_cell(level, points[3 * i], points[3 * i + 1], points[3 * i + 2], corner, fraction);
            for (int c = 0; c < 8; ++c) {
                cell_corner(level, corner, fraction, c, indices[j][c], weights[j][c]);
                __builtin_prefetch(table + static_cast<std::size_t>(indices[j][c]) * nf);
            }
        }
        for (std::size_t j = 0; j < count; ++j) {
            T sum[8] = {};  // features <= 8 (grid_levels checks)
            for (int c = 0; c < 8; ++c)
                for (std::size_t f = 0; f < nf; ++f)
                    sum[f] += static_cast<T>(weights[j][c]) *
                              table[static_cast<std::size_t>(indices[j][c]) * nf + f];
            for (std::size_t f = 0; f < nf; ++f)
                out[(first + j) * static_cast<std::size_t>(stride) + f] = sum[f];
        }
    }
}

// Scatter-adds (a level per task). Prefetching as in the forward pass measured no gain here.
template <typename T, int F>
void backward_level(const GridLevel& level, int features, const float* __restrict points, std::size_t count,
                    const T* __restrict grad_out, int stride, T* __restrict grad_params) {
    const std::size_t nf = static_cast<std::size_t>(F > 0 ? F : features);
    T* table = grad_params + static_cast<std::size_t>(level.offset) * nf;
    for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t corner[3];
        float fraction[3];
        grid_cell(level, points[3 * i], points[3 * i + 1], points[3 * i + 2], corner, fraction);
        const T* g = grad_out + i * static_cast<std::size_t>(stride);
        for (int c = 0; c < 8; ++c) {
            std::uint32_t index;
            float weight;
            cell_corner(level, corner, fraction, c, index, weight);
            for (std::size_t f = 0; f < nf; ++f)
                table[static_cast<std::size_t>(index) * nf + f] += static_cast<T>(weight) * g[f];
        }
    }
}

template <typename T>
void run_forward(const GridLevel& level, int features, const T* params, const float* points,
                 std::size_t begin, std::size_t end, T* out, int stride) {
    if (features == 2) return forward_level<T, 2>(level, 2, params, points, begin, end, out, stride);
    forward_level<T, 0>(level, features, params, points, begin, end, out, stride);
}

template <typename T>
void run_backward(const GridLevel& level, int features, const float* points, std::size_t count,
                  const T* grad_out, int stride, T* grad_params) {
    if (features == 2) return backward_level<T, 2>(level, 2, points, count, grad_out, stride, grad_params);
    backward_level<T, 0>(level, features, points, count, grad_out, stride, grad_params);
}

}  // namespace

std::vector<GridLevel> grid_levels(const HashGridConfig& c) {
    if (c.levels < 1 || c.levels > 32) throw InputError("hash grid: levels must be between 1 and 32");
    if (c.features < 1 || c.features > 8)
        throw InputError("hash grid: features per level must be between 1 and 8");
    if (c.log2_table_size < 4 || c.log2_table_size > 24)
        throw InputError("hash grid: the table size must be between 2^4 and 2^24");
    if (!(c.base_resolution >= 2.0f) || !(c.max_resolution >= c.base_resolution) ||
        !std::isfinite(c.max_resolution))
        throw InputError("hash grid: resolutions must satisfy 2 <= N_min <= N_max");
    const double growth =
        c.levels > 1 ? std::exp((std::log(double(c.max_resolution)) - std::log(double(c.base_resolution))) /
                                (c.levels - 1))
                     : 1.0;
    const std::uint64_t table = std::uint64_t{1} << c.log2_table_size;
    std::vector<GridLevel> levels;
    std::uint64_t offset = 0;
    for (int l = 0; l < c.levels; ++l) {
        GridLevel level{};
        const double scale = double(c.base_resolution) * std::pow(growth, l) - 1.0;
        level.scale = static_cast<float>(scale);
        level.resolution = static_cast<std::uint32_t>(std::ceil(scale)) + 1;
        const std::uint64_t vertices = std::uint64_t{level.resolution} * level.resolution * level.resolution;
        level.dense = vertices <= table ? 1u : 0u;
        // Dense levels take what they need, rounded up to 8 entries as Instant-NGP does.
        level.size = static_cast<std::uint32_t>(level.dense ? (vertices + 7) / 8 * 8 : table);
        level.offset = static_cast<std::uint32_t>(offset);
        offset += level.size;
        if (offset > std::uint64_t{1} << 31) throw InputError("hash grid: too many parameters");
        levels.push_back(level);
    }
    return levels;
}

template <typename T>
HashGrid<T>::HashGrid(const HashGridConfig& config) : m_config(config), m_levels(grid_levels(config)) {
    const std::size_t entries = m_levels.back().offset + static_cast<std::size_t>(m_levels.back().size);
    m_params.assign(entries * static_cast<std::size_t>(config.features), T(0));
}

template <typename T>
void HashGrid<T>::initialize(std::uint64_t seed, T scale) {
    std::uint64_t state = seed;
    for (T& p : m_params) {
        // splitmix64
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        const double u = static_cast<double>(z >> 11) / static_cast<double>(std::uint64_t{1} << 53);
        p = static_cast<T>((2.0 * u - 1.0) * static_cast<double>(scale));
    }
}

template <typename T>
void HashGrid<T>::forward(std::span<const float> points, std::span<T> features) const {
    const std::size_t n = points.size() / 3;
    const int width = output_width(), f = m_config.features;
    GLINT_CHECK(points.size() == 3 * n && features.size() == n * static_cast<std::size_t>(width),
                "HashGrid::forward: sizes differ");
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
        const std::size_t begin = b * kBlock, end = std::min(n, begin + kBlock);
        for (std::size_t l = 0; l < m_levels.size(); ++l) {
            run_forward<T>(m_levels[l], f, m_params.data(), points.data(), begin, end,
                           features.data() + l * static_cast<std::size_t>(f), width);
        }
    });
}

template <typename T>
void HashGrid<T>::backward(std::span<const float> points, std::span<const T> grad_features,
                           std::span<T> grad_params) const {
    const std::size_t n = points.size() / 3;
    const int width = output_width(), f = m_config.features;
    GLINT_CHECK(
        grad_features.size() == n * static_cast<std::size_t>(width) && grad_params.size() == m_params.size(),
        "HashGrid::backward: sizes differ");
    tbb::parallel_for(std::size_t{0}, m_levels.size(), [&](std::size_t l) {
        run_backward<T>(m_levels[l], f, points.data(), n,
                        grad_features.data() + l * static_cast<std::size_t>(f), width, grad_params.data());
    });
}

template class HashGrid<float>;
template class HashGrid<double>;

}  // namespace glint::nerf
