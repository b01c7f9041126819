// The CUDA training state's per-element stages: Adam (core/adam.h's adam_update, the host's step) on the
// resident parameters, and the densification statistic summed from each backward pass.
#include "glint/core/adam.h"
#include "glint/core/cuda/check.cuh"
#include "stages.cuh"

namespace glint::splatting::cuda_raster {
namespace {

__global__ void adam_kernel(float* __restrict__ values, const float* __restrict__ grad, float* __restrict__ m,
                            float* __restrict__ v, std::size_t n, AdamStep step) {
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float value = values[i], m_i = m[i], v_i = v[i];
    adam_update(value, grad[i], m_i, v_i, step);
    values[i] = value;
    m[i] = m_i;
    v[i] = v_i;
}

__global__ void statistics_kernel(const float* __restrict__ mean2d_norm, const uint32_t* __restrict__ counts,
                                  uint32_t n, float* __restrict__ sums, float* __restrict__ views) {
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || counts[i] == 0) return;
    sums[i] += mean2d_norm[i];
    views[i] += 1.0f;
}

}  // namespace

void adam(float* values, const float* grad, float* m, float* v, std::size_t n, const AdamStep& step) {
    if (n == 0) return;
    adam_kernel<<<blocks_for(n), kThreads>>>(values, grad, m, v, n, step);
    GLINT_CUDA_CHECK_LAUNCH();
}

void add_statistics(const float* mean2d_norm, const uint32_t* counts, uint32_t n, float* sums, float* views) {
    if (n == 0) return;
    statistics_kernel<<<blocks_for(n), kThreads>>>(mean2d_norm, counts, n, sums, views);
    GLINT_CUDA_CHECK_LAUNCH();
}

}  // namespace glint::splatting::cuda_raster
