// CPU hash encoding: per level, points in blocks; the per-corner math is hash_grid_math.h's. The common
// case (float, F = 2) runs sixteen (AVX-512) or eight (AVX2) points at a time where the processor can.
#include "glint/nerf/hash_grid.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "glint/core/error.h"
#include "glint/core/text.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GLINT_HASH_VECTOR 1
// GCC's AVX intrinsics start some results from deliberately undefined registers, which
// -Wmaybe-uninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#else
#define GLINT_HASH_VECTOR 0
#endif

namespace glint::nerf {
namespace {

// Fewest points per forward task: below this, a task's setup outweighs its reads.
constexpr std::size_t kMinBlock = 4096;
// The widest vector step (AVX-512's sixteen points): forward tasks start on a multiple of it.
constexpr std::size_t kMaxLanes = 16;

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

// Scatter-adds. Prefetching as in the forward pass measured no gain here.
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

// Vector paths, float and F = 2: the lanes perform hash_grid_math.h's operations in its order (this file
// is built without contraction into fused multiply-adds), so every feature and gradient is bit-identical
// to the scalar path's (tested for each path the processor has). A cell's eight corners are read with
// 64-bit gathers, one per entry; the backward pass's scatter-adds stay scalar (two lanes may share a
// vertex), point by point and corner by corner as in the scalar path.

// Adds a group's contributions: for each lane j (point), corner c, entry index[c][j] += weight[c][j] g_j.
template <std::size_t Lanes>
void scatter_group(float* table, const std::uint32_t (&index)[8][Lanes], const float (&weight)[8][Lanes],
                   const float* grad_out, int stride) {
    for (std::size_t j = 0; j < Lanes; ++j) {
        const float* g = grad_out + j * static_cast<std::size_t>(stride);
        for (int c = 0; c < 8; ++c) {
            float* entry = table + static_cast<std::size_t>(index[c][j]) * 2;
            entry[0] += weight[c][j] * g[0];
            entry[1] += weight[c][j] * g[1];
        }
    }
}

#if GLINT_HASH_VECTOR
// ---- AVX-512: sixteen points per step ----
__attribute__((target("avx512f"), always_inline)) inline void cells16(const GridLevel& level,
                                                                      const float* points,  // [16, 3]
                                                                      __m512i index[8], __m512 weight[8]) {
    const __m512i stride3 = _mm512_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45);
    const __m512 scale = _mm512_set1_ps(level.scale), half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    const __m512 last = _mm512_set1_ps(static_cast<float>(level.resolution) - 2.0f);
    __m512i corner[3];
    __m512 w[3][2];  // per axis: the weights of the lower and the upper vertex
    for (int k = 0; k < 3; ++k) {
        const __m512 p = _mm512_add_ps(_mm512_mul_ps(_mm512_i32gather_ps(stride3, points + k, 4), scale), half);
        // max(NaN, 0) is 0 (the second operand), so a NaN coordinate stays inside the table.
        const __m512 f = _mm512_min_ps(
            _mm512_max_ps(_mm512_roundscale_ps(p, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC), _mm512_setzero_ps()),
            last);
        corner[k] = _mm512_cvttps_epi32(f);
        w[k][1] = _mm512_sub_ps(p, f);
        w[k][0] = _mm512_sub_ps(one, w[k][1]);
    }
    // Per axis, the term of the lower and the upper vertex: dense x + R y + R^2 z, hashed x ^ y P1 ^ z P2.
    const std::uint32_t r = level.resolution;
    const __m512i step[3] = {_mm512_set1_epi32(1), _mm512_set1_epi32(static_cast<int>(level.dense ? r : kHashPrime1)),
                             _mm512_set1_epi32(static_cast<int>(level.dense ? r * r : kHashPrime2))};
    __m512i term[3][2];
    for (int k = 0; k < 3; ++k) {
        term[k][0] = k == 0 ? corner[0] : _mm512_mullo_epi32(corner[k], step[k]);
        term[k][1] = _mm512_add_epi32(term[k][0], step[k]);
    }
    const __m512i mask = _mm512_set1_epi32(static_cast<int>(level.size - 1));
    for (int c = 0; c < 8; ++c) {
        const int dx = c & 1, dy = (c >> 1) & 1, dz = (c >> 2) & 1;
        index[c] = level.dense
                       ? _mm512_add_epi32(_mm512_add_epi32(term[0][dx], term[1][dy]), term[2][dz])
                       : _mm512_and_si512(_mm512_xor_si512(_mm512_xor_si512(term[0][dx], term[1][dy]), term[2][dz]),
                                          mask);
        weight[c] = _mm512_mul_ps(_mm512_mul_ps(w[0][dx], w[1][dy]), w[2][dz]);
    }
}

// Points [0, count), count a multiple of 16.
__attribute__((target("avx512f"))) void forward_level_avx512(const GridLevel& level, const float* params,
                                                              const float* points, std::size_t count, float* out,
                                                              int stride) {
    const double* table = reinterpret_cast<const double*>(params) + level.offset;  // an entry's two floats
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    for (std::size_t i = 0; i < count; i += 16) {
        __m512i index[8];
        __m512 weight[8];
        cells16(level, points + 3 * i, index, weight);
        __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
        for (int c = 0; c < 8; ++c) {
            const __m512 lo = _mm512_castpd_ps(_mm512_i32gather_pd(_mm512_castsi512_si256(index[c]), table, 8));
            const __m512 hi = _mm512_castpd_ps(_mm512_i32gather_pd(_mm512_extracti64x4_epi64(index[c], 1), table, 8));
            sum0 = _mm512_add_ps(sum0, _mm512_mul_ps(weight[c], _mm512_permutex2var_ps(lo, even, hi)));
            sum1 = _mm512_add_ps(sum1, _mm512_mul_ps(weight[c], _mm512_permutex2var_ps(lo, odd, hi)));
        }
        alignas(64) float feature0[16], feature1[16];
        _mm512_store_ps(feature0, sum0);
        _mm512_store_ps(feature1, sum1);
        for (std::size_t j = 0; j < 16; ++j) {
            out[(i + j) * static_cast<std::size_t>(stride)] = feature0[j];
            out[(i + j) * static_cast<std::size_t>(stride) + 1] = feature1[j];
        }
    }
}

// Points [0, count), count a multiple of 16.
__attribute__((target("avx512f"))) void backward_level_avx512(const GridLevel& level, const float* points,
                                                               std::size_t count, const float* grad_out,
                                                               int stride, float* grad_params) {
    float* table = grad_params + static_cast<std::size_t>(level.offset) * 2;
    for (std::size_t i = 0; i < count; i += 16) {
        __m512i index_v[8];
        __m512 weight_v[8];
        cells16(level, points + 3 * i, index_v, weight_v);
        alignas(64) std::uint32_t index[8][16];
        alignas(64) float weight[8][16];
        for (int c = 0; c < 8; ++c) {
            _mm512_store_si512(index[c], index_v[c]);
            _mm512_store_ps(weight[c], weight_v[c]);
        }
        scatter_group<16>(table, index, weight, grad_out + i * static_cast<std::size_t>(stride), stride);
    }
}

// ---- AVX2: eight points per step ----
__attribute__((target("avx2"), always_inline)) inline void cells8(const GridLevel& level,
                                                                  const float* points,  // [8, 3]
                                                                  __m256i index[8], __m256 weight[8]) {
    const __m256i stride3 = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
    const __m256 scale = _mm256_set1_ps(level.scale), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 last = _mm256_set1_ps(static_cast<float>(level.resolution) - 2.0f);
    __m256i corner[3];
    __m256 w[3][2];
    for (int k = 0; k < 3; ++k) {
        const __m256 p = _mm256_add_ps(_mm256_mul_ps(_mm256_i32gather_ps(points + k, stride3, 4), scale), half);
        const __m256 f = _mm256_min_ps(_mm256_max_ps(_mm256_floor_ps(p), _mm256_setzero_ps()), last);
        corner[k] = _mm256_cvttps_epi32(f);
        w[k][1] = _mm256_sub_ps(p, f);
        w[k][0] = _mm256_sub_ps(one, w[k][1]);
    }
    const std::uint32_t r = level.resolution;
    const __m256i step[3] = {_mm256_set1_epi32(1), _mm256_set1_epi32(static_cast<int>(level.dense ? r : kHashPrime1)),
                             _mm256_set1_epi32(static_cast<int>(level.dense ? r * r : kHashPrime2))};
    __m256i term[3][2];
    for (int k = 0; k < 3; ++k) {
        term[k][0] = k == 0 ? corner[0] : _mm256_mullo_epi32(corner[k], step[k]);
        term[k][1] = _mm256_add_epi32(term[k][0], step[k]);
    }
    const __m256i mask = _mm256_set1_epi32(static_cast<int>(level.size - 1));
    for (int c = 0; c < 8; ++c) {
        const int dx = c & 1, dy = (c >> 1) & 1, dz = (c >> 2) & 1;
        index[c] = level.dense
                       ? _mm256_add_epi32(_mm256_add_epi32(term[0][dx], term[1][dy]), term[2][dz])
                       : _mm256_and_si256(_mm256_xor_si256(_mm256_xor_si256(term[0][dx], term[1][dy]), term[2][dz]),
                                          mask);
        weight[c] = _mm256_mul_ps(_mm256_mul_ps(w[0][dx], w[1][dy]), w[2][dz]);
    }
}

// Points [0, count), count a multiple of 8.
__attribute__((target("avx2"))) void forward_level_avx2(const GridLevel& level, const float* params,
                                                         const float* points, std::size_t count, float* out,
                                                         int stride) {
    const double* table = reinterpret_cast<const double*>(params) + level.offset;
    for (std::size_t i = 0; i < count; i += 8) {
        __m256i index[8];
        __m256 weight[8];
        cells8(level, points + 3 * i, index, weight);
        __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
        for (int c = 0; c < 8; ++c) {
            // lo = entries of points 0-3 as (f0, f1) pairs, hi = points 4-7; the shuffles take the first
            // (or second) float of each pair, per 128-bit half, and the permute puts the halves in order.
            const __m256 lo = _mm256_castpd_ps(_mm256_i32gather_pd(table, _mm256_castsi256_si128(index[c]), 8));
            const __m256 hi = _mm256_castpd_ps(_mm256_i32gather_pd(table, _mm256_extracti128_si256(index[c], 1), 8));
            const __m256 f0 = _mm256_castpd_ps(_mm256_permute4x64_pd(
                _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
            const __m256 f1 = _mm256_castpd_ps(_mm256_permute4x64_pd(
                _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)));
            sum0 = _mm256_add_ps(sum0, _mm256_mul_ps(weight[c], f0));
            sum1 = _mm256_add_ps(sum1, _mm256_mul_ps(weight[c], f1));
        }
        alignas(32) float feature0[8], feature1[8];
        _mm256_store_ps(feature0, sum0);
        _mm256_store_ps(feature1, sum1);
        for (std::size_t j = 0; j < 8; ++j) {
            out[(i + j) * static_cast<std::size_t>(stride)] = feature0[j];
            out[(i + j) * static_cast<std::size_t>(stride) + 1] = feature1[j];
        }
    }
}

// Points [0, count), count a multiple of 8.
__attribute__((target("avx2"))) void backward_level_avx2(const GridLevel& level, const float* points,
                                                          std::size_t count, const float* grad_out, int stride,
                                                          float* grad_params) {
    float* table = grad_params + static_cast<std::size_t>(level.offset) * 2;
    for (std::size_t i = 0; i < count; i += 8) {
        __m256i index_v[8];
        __m256 weight_v[8];
        cells8(level, points + 3 * i, index_v, weight_v);
        alignas(32) std::uint32_t index[8][8];
        alignas(32) float weight[8][8];
        for (int c = 0; c < 8; ++c) {
            _mm256_store_si256(reinterpret_cast<__m256i*>(index[c]), index_v[c]);
            _mm256_store_ps(weight[c], weight_v[c]);
        }
        scatter_group<8>(table, index, weight, grad_out + i * static_cast<std::size_t>(stride), stride);
    }
}
#endif

EncodingIsa widest_isa() {
#if GLINT_HASH_VECTOR
    if (__builtin_cpu_supports("avx512f")) return EncodingIsa::Avx512;
    if (__builtin_cpu_supports("avx2")) return EncodingIsa::Avx2;
#endif
    return EncodingIsa::Scalar;
}

std::atomic<EncodingIsa>& chosen_isa() {
    static std::atomic<EncodingIsa> isa{widest_isa()};
    return isa;
}

// Points per vector step of an instruction set (1: the scalar path).
std::size_t isa_lanes(EncodingIsa isa) {
    return isa == EncodingIsa::Avx512 ? 16 : isa == EncodingIsa::Avx2 ? 8 : 1;
}

// A staging buffer of at least `size` values for the calling thread, kept for its next call: fresh pages
// for every call (tens of MiB at 1M points) cost more in page faults than the staging saves.
template <typename T>
T* scratch(std::size_t size) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < size) buffer.resize(size);
    return buffer.data();
}

template <typename T>
void run_forward(const GridLevel& level, int features, const T* params, const float* points,
                 std::size_t begin, std::size_t end, T* out, int stride) {
#if GLINT_HASH_VECTOR
    if constexpr (std::is_same_v<T, float>) {
        const EncodingIsa isa = chosen_isa().load(std::memory_order_relaxed);
        const std::size_t lanes = isa_lanes(isa);
        if (features == 2 && lanes > 1) {
            const std::size_t count = (end - begin) / lanes * lanes;
            (isa == EncodingIsa::Avx512 ? forward_level_avx512 : forward_level_avx2)(
                level, params, points + 3 * begin, count, out + begin * static_cast<std::size_t>(stride), stride);
            begin += count;
        }
    }
#endif
    if (features == 2) return forward_level<T, 2>(level, 2, params, points, begin, end, out, stride);
    forward_level<T, 0>(level, features, params, points, begin, end, out, stride);
}

template <typename T>
void run_backward(const GridLevel& level, int features, const float* points, std::size_t count,
                  const T* grad_out, int stride, T* grad_params) {
#if GLINT_HASH_VECTOR
    if constexpr (std::is_same_v<T, float>) {
        const EncodingIsa isa = chosen_isa().load(std::memory_order_relaxed);
        const std::size_t lanes = isa_lanes(isa);
        if (features == 2 && lanes > 1) {
            const std::size_t vector_count = count / lanes * lanes;
            (isa == EncodingIsa::Avx512 ? backward_level_avx512 : backward_level_avx2)(
                level, points, vector_count, grad_out, stride, grad_params);
            points += 3 * vector_count;
            grad_out += vector_count * static_cast<std::size_t>(stride);
            count -= vector_count;
        }
    }
#endif
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

EncodingIsa encoding_isa() { return chosen_isa().load(); }

bool set_encoding_isa(EncodingIsa isa) {
    if (isa_lanes(isa) > isa_lanes(widest_isa())) return false;
    chosen_isa().store(isa);
    return true;
}

const char* encoding_isa_name(EncodingIsa isa) {
    switch (isa) {
        case EncodingIsa::Avx512:
            return "AVX-512";
        case EncodingIsa::Avx2:
            return "AVX2";
        case EncodingIsa::Scalar:
            break;
    }
    return "scalar";
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
    // One range of points per thread, level by level within it: a level's table (4 MiB at T = 2^19, F = 2)
    // then stays in the caches for a long run of reads, where walking all levels per small block of
    // points spreads the reads over every table at once (measured 1.5x slower at 1M points). Each level's
    // features go to a level-major staging buffer (contiguous writes) and are interleaved into the
    // [N, L * F] rows at the end, rather than written 8 bytes into every 128-byte row per level.
    const std::size_t threads = static_cast<std::size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
    const std::size_t block = std::max(kMinBlock, ((n + threads - 1) / threads + kMaxLanes - 1) / kMaxLanes * kMaxLanes);
    const std::size_t blocks = (n + block - 1) / block, nf = static_cast<std::size_t>(f);
    tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
        const std::size_t begin = b * block, count = std::min(n, begin + block) - begin;
        T* staging = scratch<T>(m_levels.size() * count * nf);
        for (std::size_t l = 0; l < m_levels.size(); ++l)
            run_forward<T>(m_levels[l], f, m_params.data(), points.data() + 3 * begin, 0, count,
                           staging + l * count * nf, f);
        for (std::size_t i = 0; i < count; ++i) {
            T* row = features.data() + (begin + i) * static_cast<std::size_t>(width);
            for (std::size_t l = 0; l < m_levels.size(); ++l)
                for (std::size_t k = 0; k < nf; ++k) row[l * nf + k] = staging[(l * count + i) * nf + k];
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
    // A level per task, all points in order: levels are separate tables, so no two tasks write one entry,
    // every entry adds its points in point order whatever the number of threads, and a task's writes stay
    // in one table (grouping levels per task and walking the points in blocks measured 2x slower; splitting
    // the gradient rows level-major first, as the forward pass stages its output, measured no faster).
    tbb::parallel_for(std::size_t{0}, m_levels.size(), [&](std::size_t l) {
        run_backward<T>(m_levels[l], f, points.data(), n,
                        grad_features.data() + l * static_cast<std::size_t>(f), width, grad_params.data());
    });
}

template class HashGrid<float>;
template class HashGrid<double>;

}  // namespace glint::nerf
