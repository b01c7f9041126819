// The CUDA rasterizer's per-Gaussian stages: preprocess (cull, slice, project, shade, count tiles), the
// visible count, and the backward chain to the raw parameters.
#include "glint/core/cuda/check.cuh"
#include "stages.cuh"

namespace glint::splatting::cuda_raster {
namespace {

__global__ void preprocess_fwd_kernel(raster::GaussianArrays g, raster::FrameParams f, uint32_t n,
                                      raster::Splat* __restrict__ splats,  // [N]
                                      uint32_t* __restrict__ counts) {     // [N] tiles touched
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    counts[i] = raster::preprocess_gaussian(g, f, i, splats[i]);
}

// One atomic per warp: the lanes' visible flags counted with a ballot.
__global__ void count_visible_kernel(const uint32_t* __restrict__ counts, uint32_t n,
                                     uint32_t* __restrict__ total) {
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    const unsigned visible = __ballot_sync(0xffffffffu, i < n && counts[i] > 0);
    if ((threadIdx.x & 31u) == 0 && visible != 0) atomicAdd(total, static_cast<uint32_t>(__popc(visible)));
}

__global__ void preprocess_bwd_kernel(raster::GaussianArrays g, raster::View3<float> view, float near_plane,
                                      int rest_stride, uint32_t n, float half_w, float half_h,
                                      const uint32_t* __restrict__ counts,  // [N]
                                      const float* __restrict__ v_splats,   // [N, 9]
                                      ChainOutputs o) {
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || counts[i] == 0) return;
    raster::Gaussian3<float> gaussian{};
    for (int k = 0; k < 3; ++k) {
        gaussian.position[k] = g.positions[3 * i + k];
        gaussian.log_scale[k] = g.log_scales[3 * i + k];
    }
    for (int k = 0; k < 4; ++k) gaussian.rotation[k] = g.rotations[4 * i + k];
    gaussian.opacity_logit = g.opacity_logits[i];
    gaussian.sh_dc = g.sh_dc + 3 * static_cast<std::size_t>(i);
    gaussian.sh_rest = g.sh_rest + static_cast<std::size_t>(rest_stride) * i;
    raster::Projected<float> p;
    if (!raster::project_gaussian(gaussian, view, near_plane, p)) return;
    const float* s = v_splats + static_cast<std::size_t>(i) * raster::kBlendGradients;
    const raster::ProjectedGradient<float> in{{s[0], s[1]}, {s[2], s[3], s[4]}, s[5], {s[6], s[7], s[8]}};
    raster::GaussianGradient<float> out{};
    out.sh_dc = o.sh_dc + 3 * static_cast<std::size_t>(i);
    out.sh_rest = o.sh_rest + static_cast<std::size_t>(rest_stride) * i;
    raster::project_gaussian_backward(gaussian, view, p, in, out);
    for (int k = 0; k < 3; ++k) {
        o.positions[3 * i + k] += out.position[k];
        o.log_scales[3 * i + k] += out.log_scale[k];
    }
    for (int k = 0; k < 4; ++k) o.rotations[4 * i + k] += out.rotation[k];
    o.opacity[i] += out.opacity_logit;
    o.mean2d_norm[i] += sqrtf(s[0] * half_w * s[0] * half_w + s[1] * half_h * s[1] * half_h);
}

__global__ void preprocess_bwd_4d_kernel(raster::GaussianArrays g, raster::View4<float> view,
                                         float near_plane, int rest_stride, int time_stride, uint32_t n,
                                         float half_w, float half_h,
                                         const uint32_t* __restrict__ counts,  // [N]
                                         const float* __restrict__ v_splats,   // [N, 9]
                                         ChainOutputs o) {
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || counts[i] == 0) return;
    raster::Gaussian4<float> gaussian{};
    for (int k = 0; k < 3; ++k) {
        gaussian.position[k] = g.positions[3 * i + k];
        gaussian.log_scale[k] = g.log_scales[3 * i + k];
    }
    for (int k = 0; k < 4; ++k) {
        gaussian.left[k] = g.rotations[4 * i + k];
        gaussian.right[k] = g.rotations_right[4 * i + k];
    }
    gaussian.time_mean = g.time_means[i];
    gaussian.log_time_scale = g.log_time_scales[i];
    gaussian.opacity_logit = g.opacity_logits[i];
    gaussian.sh_dc = g.sh_dc + 3 * static_cast<std::size_t>(i);
    gaussian.sh_rest = g.sh_rest + static_cast<std::size_t>(rest_stride) * i;
    gaussian.time_color =
        time_stride > 0 ? g.time_color + static_cast<std::size_t>(time_stride) * i : nullptr;
    raster::Projected4<float> p;
    if (!raster::project_gaussian_4d(gaussian, view, near_plane, p)) return;
    const float* s = v_splats + static_cast<std::size_t>(i) * raster::kBlendGradients;
    const raster::ProjectedGradient<float> in{{s[0], s[1]}, {s[2], s[3], s[4]}, s[5], {s[6], s[7], s[8]}};
    raster::Gaussian4Gradient<float> out{};
    out.sh_dc = o.sh_dc + 3 * static_cast<std::size_t>(i);
    out.sh_rest = o.sh_rest + static_cast<std::size_t>(rest_stride) * i;
    out.time_color = time_stride > 0 ? o.time_color + static_cast<std::size_t>(time_stride) * i : nullptr;
    raster::project_gaussian_4d_backward(gaussian, view, p, in, out);
    for (int k = 0; k < 3; ++k) {
        o.positions[3 * i + k] += out.position[k];
        o.log_scales[3 * i + k] += out.log_scale[k];
    }
    for (int k = 0; k < 4; ++k) {
        o.rotations[4 * i + k] += out.left[k];
        o.rotations_right[4 * i + k] += out.right[k];
    }
    o.time_means[i] += out.time_mean;
    o.log_time_scales[i] += out.log_time_scale;
    o.opacity[i] += out.opacity_logit;
    o.mean2d_norm[i] += sqrtf(s[0] * half_w * s[0] * half_w + s[1] * half_h * s[1] * half_h);
}

}  // namespace

void preprocess_forward(const raster::GaussianArrays& g, const raster::FrameParams& f, uint32_t n,
                        raster::Splat* splats, uint32_t* counts) {
    if (n == 0) return;
    preprocess_fwd_kernel<<<blocks_for(n), kThreads>>>(g, f, n, splats, counts);
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

void preprocess_backward(const raster::GaussianArrays& g, const raster::View3<float>& view, float near_plane,
                         int rest_stride, uint32_t n, float half_w, float half_h, const uint32_t* counts,
                         const float* v_splats, const ChainOutputs& out) {
    if (n == 0) return;
    preprocess_bwd_kernel<<<blocks_for(n), kThreads>>>(g, view, near_plane, rest_stride, n, half_w, half_h,
                                                       counts, v_splats, out);
    GLINT_CUDA_CHECK_LAUNCH();
}

void preprocess_backward_4d(const raster::GaussianArrays& g, const raster::View4<float>& view,
                            float near_plane, int rest_stride, int time_stride, uint32_t n, float half_w,
                            float half_h, const uint32_t* counts, const float* v_splats,
                            const ChainOutputs& out) {
    if (n == 0) return;
    preprocess_bwd_4d_kernel<<<blocks_for(n), kThreads>>>(g, view, near_plane, rest_stride, time_stride, n,
                                                          half_w, half_h, counts, v_splats, out);
    GLINT_CUDA_CHECK_LAUNCH();
}

}  // namespace glint::splatting::cuda_raster
