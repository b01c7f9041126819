// The NeRF's hash encoding on CUDA: one thread per (point, level), forward and backward.
#include <algorithm>
#include <cmath>
#include <vector>

#include "glint/core/cuda/check.cuh"
#include "glint/core/cuda/device_buffer.cuh"
#include "glint/core/error.h"
#include "glint/nerf/cuda.h"
#include "glint/nerf/hash_grid_math.h"
#include "stages.cuh"

namespace glint::nerf {
namespace cuda_stages {

using glint::cuda::DeviceBuffer;

namespace {

constexpr int kMaxFeatures = 8;  // grid_levels allows 1 to 8 features per level

// This thread's point and level (false past the last), and the point's cell there.
__device__ bool thread_cell(std::size_t n, int levels, const GridLevel* __restrict__ level_info,
                            const float* __restrict__ points, std::size_t& i, int& l, GridLevel& level,
                            uint32_t corner[3], float fraction[3]) {
    const std::size_t id = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (id >= n * static_cast<std::size_t>(levels)) return false;
    i = id / static_cast<std::size_t>(levels);
    l = static_cast<int>(id % static_cast<std::size_t>(levels));
    level = level_info[l];
    grid_cell(level, points[3 * i], points[3 * i + 1], points[3 * i + 2], corner, fraction);
    return true;
}

__global__ void encode_forward_kernel(std::size_t n, int levels, int features,
                                      const GridLevel* __restrict__ level_info,
                                      const float* __restrict__ params, const float* __restrict__ points,
                                      float* __restrict__ out) {
    std::size_t i;
    int l;
    GridLevel level;
    uint32_t corner[3];
    float fraction[3];
    if (!thread_cell(n, levels, level_info, points, i, l, level, corner, fraction)) return;
    float sum[kMaxFeatures] = {};
    for (int c = 0; c < 8; ++c) {
        uint32_t index;
        float weight;
        cell_corner(level, corner, fraction, c, index, weight);
        const float* entry = params + (static_cast<std::size_t>(level.offset) + index) * features;
        for (int f = 0; f < features; ++f) sum[f] += weight * entry[f];
    }
    float* o = out + i * static_cast<std::size_t>(levels * features) + static_cast<std::size_t>(l * features);
    for (int f = 0; f < features; ++f) o[f] = sum[f];
}

__global__ void encode_backward_kernel(std::size_t n, int levels, int features,
                                       const GridLevel* __restrict__ level_info,
                                       const float* __restrict__ points,
                                       const float* __restrict__ grad_features,
                                       float* __restrict__ grad_params) {
    std::size_t i;
    int l;
    GridLevel level;
    uint32_t corner[3];
    float fraction[3];
    if (!thread_cell(n, levels, level_info, points, i, l, level, corner, fraction)) return;
    const float* g = grad_features + i * static_cast<std::size_t>(levels * features) +
                     static_cast<std::size_t>(l * features);
    for (int c = 0; c < 8; ++c) {
        uint32_t index;
        float weight;
        cell_corner(level, corner, fraction, c, index, weight);
        float* entry = grad_params + (static_cast<std::size_t>(level.offset) + index) * features;
        for (int f = 0; f < features; ++f) atomicAdd(entry + f, weight * g[f]);
    }
}

}  // namespace

void encode_forward(std::size_t n, int levels, int features, const GridLevel* levels_info,
                    const float* params, const float* points, float* out) {
    const std::size_t threads = n * static_cast<std::size_t>(levels);
    if (threads == 0) return;
    encode_forward_kernel<<<blocks_for(threads), kThreads>>>(n, levels, features, levels_info, params, points,
                                                             out);
    GLINT_CUDA_CHECK_LAUNCH();
}

void encode_backward(std::size_t n, int levels, int features, const GridLevel* levels_info,
                     const float* points, const float* grad_features, float* grad_params) {
    const std::size_t threads = n * static_cast<std::size_t>(levels);
    if (threads == 0) return;
    encode_backward_kernel<<<blocks_for(threads), kThreads>>>(n, levels, features, levels_info, points,
                                                              grad_features, grad_params);
    GLINT_CUDA_CHECK_LAUNCH();
}

}  // namespace cuda_stages

using namespace cuda_stages;

void hash_grid_forward_cuda(const HashGrid<float>& grid, std::span<const float> points,
                            std::span<float> features) {
    const std::size_t n = points.size() / 3;
    const int levels = grid.config().levels, f = grid.config().features;
    GLINT_CHECK(features.size() == n * static_cast<std::size_t>(levels * f),
                "hash_grid_forward_cuda: sizes differ");
    DeviceBuffer<float> params, p, out(features.size());
    DeviceBuffer<GridLevel> info;
    params.upload(grid.params());
    p.upload(points);
    info.upload(grid.levels());
    encode_forward(n, levels, f, info.data(), params.data(), p.data(), out.data());
    out.download(features);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
}

void hash_grid_backward_cuda(const HashGrid<float>& grid, std::span<const float> points,
                             std::span<const float> grad_features, std::span<float> grad_params) {
    const std::size_t n = points.size() / 3;
    const int levels = grid.config().levels, f = grid.config().features;
    GLINT_CHECK(grad_features.size() == n * static_cast<std::size_t>(levels * f) &&
                    grad_params.size() == grid.params().size(),
                "hash_grid_backward_cuda: sizes differ");
    DeviceBuffer<float> p, g, out;
    DeviceBuffer<GridLevel> info;
    p.upload(points);
    g.upload(grad_features);
    out.upload(std::span<const float>(grad_params.data(), grad_params.size()));  // adds to what is there
    info.upload(grid.levels());
    encode_backward(n, levels, f, info.data(), p.data(), g.data(), out.data());
    out.download(grad_params);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace glint::nerf
