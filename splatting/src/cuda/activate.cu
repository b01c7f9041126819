// CUDA activation kernel: one thread per Gaussian, calling the same activate_gaussian() as the CPU.
#include "activate_cuda.h"
#include "glint/core/cuda/check.cuh"
#include "glint/core/cuda/device_buffer.cuh"
#include "glint/splatting/activation.h"

namespace glint::splatting {
namespace {

constexpr int kBlockSize = 256;  // a full occupancy block size on every architecture from sm_75 up

__global__ void activate_fwd_kernel(std::size_t count,
                                    const float* __restrict__ log_scales,  // [N, 3]
                                    const float* __restrict__ rotations,   // [N, 4]
                                    const float* __restrict__ logits,      // [N]
                                    float* __restrict__ scales_out,        // [N, 3]
                                    float* __restrict__ rotations_out,     // [N, 4]
                                    float* __restrict__ opacities_out) {   // [N]
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count) return;
    activate_gaussian(log_scales + 3 * i, rotations + 4 * i, logits[i], scales_out + 3 * i,
                      rotations_out + 4 * i, opacities_out + i);
}

void launch_activate_fwd(std::size_t count, const float* log_scales, const float* rotations,
                         const float* logits, float* scales_out, float* rotations_out, float* opacities_out,
                         cudaStream_t stream) {
    if (count == 0) return;
    const unsigned blocks = static_cast<unsigned>((count + kBlockSize - 1) / kBlockSize);
    activate_fwd_kernel<<<blocks, kBlockSize, 0, stream>>>(count, log_scales, rotations, logits, scales_out,
                                                           rotations_out, opacities_out);
    GLINT_CUDA_CHECK_LAUNCH();
}

}  // namespace

void activate_gaussians_cuda(const GaussianCloud& cloud, ActivatedGaussians& out) {
    const std::size_t n = cloud.size();
    cuda::DeviceBuffer<float> log_scales, rotations, logits;
    log_scales.upload(cloud.log_scales());
    rotations.upload(cloud.rotations());
    logits.upload(cloud.opacity_logits());
    cuda::DeviceBuffer<float> scales_out(n * 3), rotations_out(n * 4), opacities_out(n);
    launch_activate_fwd(n, log_scales.data(), rotations.data(), logits.data(), scales_out.data(),
                        rotations_out.data(), opacities_out.data(), nullptr);
    scales_out.download(out.scales);
    rotations_out.download(out.rotations);
    opacities_out.download(out.opacities);
    GLINT_CUDA_CHECK(cudaStreamSynchronize(nullptr));
}

}  // namespace glint::splatting
