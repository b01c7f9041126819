// The NeRF's MLPs on CUDA: tiled matrix products for inference and the backward pass.
#include <algorithm>
#include <cmath>
#include <vector>

#include "glint/core/cuda/check.cuh"
#include "glint/core/cuda/device_buffer.cuh"
#include "glint/core/error.h"
#include "glint/nerf/cuda.h"
#include "stages.cuh"

namespace glint::nerf {
namespace cuda_stages {

using glint::cuda::DeviceBuffer;

namespace {

constexpr int kTile = 16;         // matrix product tiles
constexpr int kSplitRows = 4096;  // rows per block when a product sums over the batch (weight gradients)

// ---- matrix products: C[m, n] (=, or += atomically) op(A)[m, k] op(B)[k, n], row-major ----
// Blocks of 16x16 outputs (rows on x: the batch can exceed the 65,535 blocks y allows); z splits k when
// summing over the batch (weight gradients), each block adding its part atomically.
template <bool TA, bool TB>
__global__ void gemm_kernel(int m, int n, int k, const float* __restrict__ a, int lda,
                            const float* __restrict__ b, int ldb, float* __restrict__ c, int ldc, int k_chunk,
                            bool accumulate, bool relu) {
    __shared__ float as[kTile][kTile + 1], bs[kTile][kTile + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int row = blockIdx.x * kTile + ty, col = blockIdx.y * kTile + tx;
    const int k0 = blockIdx.z * k_chunk, k1 = min(k, k0 + k_chunk);
    float sum = 0.0f;
    for (int p = k0; p < k1; p += kTile) {
        const int ar = blockIdx.x * kTile + ty, ac = p + tx;
        as[ty][tx] = ar < m && ac < k1 ? (TA ? a[static_cast<std::size_t>(ac) * lda + ar]
                                             : a[static_cast<std::size_t>(ar) * lda + ac])
                                       : 0.0f;
        const int br = p + ty, bc = blockIdx.y * kTile + tx;
        bs[ty][tx] = br < k1 && bc < n ? (TB ? b[static_cast<std::size_t>(bc) * ldb + br]
                                             : b[static_cast<std::size_t>(br) * ldb + bc])
                                       : 0.0f;
        __syncthreads();
        for (int q = 0; q < kTile; ++q) sum = fmaf(as[ty][q], bs[q][tx], sum);
        __syncthreads();
    }
    if (row >= m || col >= n) return;
    float* out = c + static_cast<std::size_t>(row) * ldc + col;
    if (accumulate)
        atomicAdd(out, sum);
    else
        *out = relu ? fmaxf(sum, 0.0f) : sum;
}

template <bool TA, bool TB>
void gemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc,
          bool accumulate, bool relu) {
    if (m == 0 || n == 0) return;
    const int chunk = accumulate ? kSplitRows : k;
    const dim3 grid(static_cast<unsigned>((m + kTile - 1) / kTile),
                    static_cast<unsigned>((n + kTile - 1) / kTile),
                    static_cast<unsigned>(std::max(1, (k + chunk - 1) / chunk)));
    gemm_kernel<TA, TB>
        <<<grid, dim3(kTile, kTile)>>>(m, n, k, a, lda, b, ldb, c, ldc, chunk, accumulate, relu);
    GLINT_CUDA_CHECK_LAUNCH();
}

// Zeroes gradient entries where the ReLU that produced x was off.
__global__ void relu_mask_kernel(std::size_t n, const float* __restrict__ x, float* __restrict__ grad) {
    const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n && !(x[i] > 0.0f)) grad[i] = 0.0f;
}

}  // namespace

DeviceMlp describe(const Mlp<float>& mlp, const float* weights) {
    DeviceMlp d{weights, mlp.widths(), {}};
    std::size_t offset = 0;
    for (std::size_t l = 0; l + 1 < d.widths.size(); ++l) {
        d.offsets.push_back(offset);
        offset += static_cast<std::size_t>(d.widths[l]) * static_cast<std::size_t>(d.widths[l + 1]);
    }
    return d;
}

// Forward over `rows`: hidden[l] gets layer l's ReLU output (layers - 1 buffers), `output` the last.
void mlp_forward(const DeviceMlp& mlp, std::size_t rows, const float* input,
                 std::vector<DeviceBuffer<float>>& hidden, float* output) {
    const std::size_t layers = mlp.widths.size() - 1;
    hidden.resize(layers - 1);
    const int m = static_cast<int>(rows);
    for (std::size_t l = 0; l < layers; ++l) {
        const int n_in = mlp.widths[l], n_out = mlp.widths[l + 1];
        const bool last = l + 1 == layers;
        if (!last) hidden[l].resize(rows * static_cast<std::size_t>(n_out));
        const float* x = l == 0 ? input : hidden[l - 1].data();
        float* y = last ? output : hidden[l].data();
        gemm<false, false>(m, n_out, n_in, x, n_in, mlp.weights + mlp.offsets[l], n_out, y, n_out, false,
                           !last);
    }
}

// Backward from dL/d output: adds dL/d weights into grad_weights (device, the weights' layout) and writes
// dL/d input when grad_input is not null.
void mlp_backward(const DeviceMlp& mlp, std::size_t rows, const float* input,
                  const std::vector<DeviceBuffer<float>>& hidden, const float* grad_output,
                  float* grad_weights, float* grad_input) {
    const std::size_t layers = mlp.widths.size() - 1;
    const int m = static_cast<int>(rows);
    DeviceBuffer<float> delta, previous;
    delta.resize(rows * static_cast<std::size_t>(mlp.widths.back()));
    GLINT_CUDA_CHECK(cudaMemcpy(delta.data(), grad_output, delta.bytes(), cudaMemcpyDeviceToDevice));
    for (std::size_t l = layers; l-- > 0;) {
        const int n_in = mlp.widths[l], n_out = mlp.widths[l + 1];
        const float* x = l == 0 ? input : hidden[l - 1].data();
        // dW += X^T delta (summed over the batch in row chunks).
        gemm<true, false>(n_in, n_out, m, x, n_in, delta.data(), n_out, grad_weights + mlp.offsets[l], n_out,
                          true, false);
        if (l == 0 && grad_input == nullptr) break;
        float* out =
            l == 0 ? grad_input : (previous.resize(rows * static_cast<std::size_t>(n_in)), previous.data());
        gemm<false, true>(m, n_in, n_out, delta.data(), n_out, mlp.weights + mlp.offsets[l], n_out, out, n_in,
                          false, false);
        if (l > 0) {
            const std::size_t count = rows * static_cast<std::size_t>(n_in);
            relu_mask_kernel<<<blocks_for(count), kThreads>>>(count, x, out);
            GLINT_CUDA_CHECK_LAUNCH();
            std::swap(delta, previous);
        }
    }
}

}  // namespace cuda_stages

using namespace cuda_stages;

void mlp_infer_cuda(const Mlp<float>& mlp, std::span<const float> input, std::span<float> output) {
    const std::size_t rows = input.size() / static_cast<std::size_t>(mlp.widths().front());
    GLINT_CHECK(output.size() == rows * static_cast<std::size_t>(mlp.widths().back()),
                "mlp_infer_cuda: sizes differ");
    DeviceBuffer<float> weights, in, out(output.size());
    weights.upload(mlp.weights());
    in.upload(input);
    std::vector<DeviceBuffer<float>> hidden;
    mlp_forward(describe(mlp, weights.data()), rows, in.data(), hidden, out.data());
    out.download(output);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
}

void mlp_backward_cuda(const Mlp<float>& mlp, std::span<const float> input,
                       std::span<const float> grad_output, std::span<float> grad_weights,
                       std::span<float> grad_input) {
    const std::size_t rows = input.size() / static_cast<std::size_t>(mlp.widths().front());
    GLINT_CHECK(grad_output.size() == rows * static_cast<std::size_t>(mlp.widths().back()) &&
                    grad_weights.size() == mlp.weights().size() &&
                    (grad_input.empty() || grad_input.size() == input.size()),
                "mlp_backward_cuda: sizes differ");
    DeviceBuffer<float> weights, in, g, gw, gi(grad_input.size()), out(grad_output.size());
    weights.upload(mlp.weights());
    in.upload(input);
    g.upload(grad_output);
    gw.upload(std::span<const float>(grad_weights.data(), grad_weights.size()));
    const DeviceMlp device = describe(mlp, weights.data());
    std::vector<DeviceBuffer<float>> hidden;
    mlp_forward(device, rows, in.data(), hidden, out.data());
    mlp_backward(device, rows, in.data(), hidden, g.data(), gw.data(),
                 grad_input.empty() ? nullptr : gi.data());
    gw.download(grad_weights);
    if (!grad_input.empty()) gi.download(grad_input);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace glint::nerf
