// The CUDA rasterizer's per-Gaussian stages: preprocess (cull, slice, project, shade, count tiles), the
// visible count, and the backward chain to the raw parameters.
#include "glint/core/cuda/check.cuh"
#include "stages.cuh"

namespace glint::splatting::cuda_raster {
namespace {

__global__ void preprocess_fwd_kernel(raster::GaussianArrays g, raster::FrameParams f, uint32_t n,
                                      const uint32_t* __restrict__ ids,    // [n] or null: item k is ids[k]
                                      raster::Splat* __restrict__ splats,  // [n]
                                      uint32_t* __restrict__ counts) {     // [n] tiles touched
    const uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= n) return;
    counts[k] = raster::preprocess_gaussian(g, f, ids != nullptr ? ids[k] : k, splats[k]);
}

// One atomic per warp: the lanes' visible flags counted with a ballot.
__global__ void count_visible_kernel(const uint32_t* __restrict__ counts, uint32_t n,
                                     uint32_t* __restrict__ total) {
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    const unsigned visible = __ballot_sync(0xffffffffu, i < n && counts[i] > 0);
    if ((threadIdx.x & 31u) == 0 && visible != 0) atomicAdd(total, static_cast<uint32_t>(__popc(visible)));
}

__global__ void preprocess_bwd_kernel(raster::GaussianArrays g, raster::ChainFrame frame, uint32_t n,
                                      const uint32_t* __restrict__ counts,  // [N]
                                      const float* __restrict__ v_splats,   // [N, 9]
                                      raster::GradientArrays o) {
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || counts[i] == 0) return;
    raster::chain_gaussian(g, frame, i, v_splats + static_cast<std::size_t>(i) * raster::kBlendGradients, o);
}

__global__ void preprocess_bwd_4d_kernel(raster::GaussianArrays g, raster::ChainFrame frame, uint32_t n,
                                         const uint32_t* __restrict__ counts,  // [N]
                                         const float* __restrict__ v_splats,   // [N, 9]
                                         raster::GradientArrays o) {
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || counts[i] == 0) return;
    raster::chain_gaussian_4d(g, frame, i, v_splats + static_cast<std::size_t>(i) * raster::kBlendGradients,
                              o);
}

}  // namespace

void preprocess_forward(const raster::GaussianArrays& g, const raster::FrameParams& f, uint32_t n,
                        const uint32_t* ids, raster::Splat* splats, uint32_t* counts) {
    if (n == 0) return;
    preprocess_fwd_kernel<<<blocks_for(n), kThreads>>>(g, f, n, ids, splats, counts);
    GLINT_CUDA_CHECK_LAUNCH();
}

uint32_t count_visible(const uint32_t* counts, uint32_t n, uint32_t* counter) {
    GLINT_CUDA_CHECK(cudaMemset(counter, 0, sizeof(uint32_t)));
    if (n > 0) {
        count_visible_kernel<<<blocks_for(n), kThreads>>>(counts, n, counter);
        GLINT_CUDA_CHECK_LAUNCH();
    }
    uint32_t total = 0;
    GLINT_CUDA_CHECK(cudaMemcpy(&total, counter, sizeof total, cudaMemcpyDeviceToHost));
    return total;
}

void preprocess_backward(const raster::GaussianArrays& g, const raster::ChainFrame& frame, bool temporal,
                         uint32_t n, const uint32_t* counts, const float* v_splats,
                         const raster::GradientArrays& out) {
    if (n == 0) return;
    if (temporal)
        preprocess_bwd_4d_kernel<<<blocks_for(n), kThreads>>>(g, frame, n, counts, v_splats, out);
    else
        preprocess_bwd_kernel<<<blocks_for(n), kThreads>>>(g, frame, n, counts, v_splats, out);
    GLINT_CUDA_CHECK_LAUNCH();
}

}  // namespace glint::splatting::cuda_raster
