// The NeRF's CUDA stages, one file each: the hash encoding (encoding.cu), the MLPs' matrix products
// (mlp.cu) and the renderer's rounds (render.cu: march, compact, shade, composite). Per-element math
// comes from the shared headers (hash_grid_math.h, march_math.h, nerf_math.h), as the CPU code's does.
// Pointers are device memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "glint/core/cuda/device_buffer.cuh"
#include "glint/nerf/hash_grid.h"
#include "glint/nerf/mlp.h"

namespace glint::nerf::cuda_stages {

inline constexpr int kThreads = 256;

inline unsigned blocks_for(std::size_t n) {
    return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

// The hash encoding of n points (normalized, [n, 3]) into [n, levels * features], and its backward
// pass adding into the parameters' gradient.
void encode_forward(std::size_t n, int levels, int features, const GridLevel* levels_info,
                    const float* params, const float* points, float* out);
void encode_backward(std::size_t n, int levels, int features, const GridLevel* levels_info,
                     const float* points, const float* grad_features, float* grad_params);

// An MLP's weights on the device and its layer geometry.
struct DeviceMlp {
    const float* weights;
    std::vector<int> widths;
    std::vector<std::size_t> offsets;
};

DeviceMlp describe(const Mlp<float>& mlp, const float* weights);
// Forward over `rows`: hidden[l] gets layer l's ReLU output (layers - 1 buffers), `output` the last.
void mlp_forward(const DeviceMlp& mlp, std::size_t rows, const float* input,
                 std::vector<cuda::DeviceBuffer<float>>& hidden, float* output);
// Backward from dL/d output: adds dL/d weights into grad_weights (device, the weights' layout) and writes
// dL/d input when grad_input is not null.
void mlp_backward(const DeviceMlp& mlp, std::size_t rows, const float* input,
                  const std::vector<cuda::DeviceBuffer<float>>& hidden, const float* grad_output,
                  float* grad_weights, float* grad_input);

}  // namespace glint::nerf::cuda_stages
