// CUDA tile rasterizer: the same stages and per-element code as the CPU backend (preprocess.h,
// raster_math.h), with CUB's prefix sum and radix sort and a shared-memory blending kernel per tile.
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <span>

#include "../frame_params.h"
#include "glint/splatting/raster/blend.h"
#include "cuda_rasterizer.h"
#include "glint/core/cuda/check.cuh"
#include "glint/core/cuda/device_buffer.cuh"
#include "glint/splatting/raster/gradients.h"
#include "glint/splatting/raster/preprocess.h"

namespace glint::splatting {
namespace {

using cuda::DeviceBuffer;
using raster::kTileSize;
using raster::Splat;

constexpr int kThreads = 256;                       // per block for per-Gaussian and per-pair kernels
constexpr int kTilePixels = kTileSize * kTileSize;  // one thread per pixel of a tile

__global__ void preprocess_fwd_kernel(raster::GaussianArrays g, raster::FrameParams f, uint32_t n,
                                      Splat* __restrict__ splats,       // [N]
                                      uint32_t* __restrict__ counts) {  // [N] tiles touched
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    counts[i] = raster::preprocess_gaussian(g, f, i, splats[i]);
}

// One key per touched tile: tile id in the high 32 bits, depth bits in the low (positive floats order as
// their bits do). Pairs of a Gaussian start at the exclusive prefix sum of the counts.
__global__ void emit_pairs_kernel(const Splat* __restrict__ splats,     // [N]
                                  const uint32_t* __restrict__ counts,  // [N]
                                  const uint32_t* __restrict__ ends,    // [N] inclusive prefix sum of counts
                                  uint32_t n, int grid_x,
                                  uint64_t* __restrict__ keys,      // [P]
                                  uint32_t* __restrict__ values) {  // [P] Gaussian index
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || counts[i] == 0) return;
    uint32_t k = ends[i] - counts[i];
    const Splat splat = splats[i];
    const uint64_t depth_bits = __float_as_uint(splat.depth);
    raster::for_each_tile(splat, [&](int tx, int ty) {
        keys[k] = (static_cast<uint64_t>(ty * grid_x + tx) << 32) | depth_bits;
        values[k] = i;
        ++k;
    });
}

// Start and end of each tile's pairs in the sorted keys (tiles without pairs keep [0, 0)).
__global__ void tile_ranges_kernel(const uint64_t* __restrict__ keys, uint32_t pairs,
                                   uint2* __restrict__ ranges) {
    const uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= pairs) return;
    const uint32_t tile = static_cast<uint32_t>(keys[k] >> 32);
    if (k == 0 || static_cast<uint32_t>(keys[k - 1] >> 32) != tile) ranges[tile].x = k;
    if (k + 1 == pairs || static_cast<uint32_t>(keys[k + 1] >> 32) != tile) ranges[tile].y = k + 1;
}

// One block per tile, one thread per pixel; the tile's splats are staged through shared memory in
// batches of 256, front to back, with the reference's per-pixel rules.
__global__ void blend_fwd_kernel(const uint2* __restrict__ ranges, const uint32_t* __restrict__ values,
                                 const Splat* __restrict__ splats, int width, int height, int grid_x,
                                 raster::Vec3 background,
                                 float* __restrict__ color,            // [H, W, 3]
                                 float* __restrict__ alpha_out,        // [H, W]
                                 float* __restrict__ depth_out,        // [H, W]
                                 uint32_t* __restrict__ contributors,  // [H, W]
                                 uint32_t* __restrict__ packed) {      // [H, W] or null

    __shared__ raster::Vec2 s_mean[kTilePixels];
    __shared__ raster::Sym2 s_conic[kTilePixels];
    __shared__ float s_opacity[kTilePixels];
    __shared__ raster::Vec3 s_color[kTilePixels];
    __shared__ float s_depth[kTilePixels];
    const int rank = threadIdx.y * kTileSize + threadIdx.x;
    const int x = blockIdx.x * kTileSize + threadIdx.x, y = blockIdx.y * kTileSize + threadIdx.y;
    const bool inside = x < width && y < height;
    const float px = static_cast<float>(x) + 0.5f, py = static_cast<float>(y) + 0.5f;
    const uint2 range = ranges[blockIdx.y * grid_x + blockIdx.x];
    // This thread's pixel as arrays of one, for the shared blend loop (raster/blend.h).
    struct Pixel {
        float transmittance[1] = {1.0f}, done[1] = {0.0f};
        float red[1] = {0.0f}, green[1] = {0.0f}, blue[1] = {0.0f}, depth[1] = {0.0f}, count[1] = {0.0f};
    } pixel;
    const struct {
        float x[1], y[1];
    } centre{{px}, {py}};
    bool done = !inside;
    for (uint32_t batch = range.x; batch < range.y; batch += kTilePixels) {
        if (__syncthreads_count(done) == kTilePixels) break;
        const uint32_t k = batch + rank;
        if (k < range.y) {
            const Splat& splat = splats[values[k]];
            s_mean[rank] = splat.mean;
            s_conic[rank] = splat.conic;
            s_opacity[rank] = splat.opacity;
            s_color[rank] = splat.color;
            s_depth[rank] = splat.depth;
        }
        __syncthreads();
        const uint32_t batch_size = min(static_cast<uint32_t>(kTilePixels), range.y - batch);
        for (uint32_t j = 0; j < batch_size && !done; ++j) {
            raster::blend_pixels<true, false, true>(pixel, centre, 0, 1, s_conic[j], s_mean[j].x, s_mean[j].y,
                                                    s_opacity[j], s_color[j], s_depth[j], 0.0f);
            done = pixel.done[0] != 0.0f;
        }
    }
    if (!inside) return;
    const float t = pixel.transmittance[0];
    const int o = y * width + x;
    color[3 * o + 0] = pixel.red[0] + t * background.x;
    color[3 * o + 1] = pixel.green[0] + t * background.y;
    color[3 * o + 2] = pixel.blue[0] + t * background.z;
    const float a = 1.0f - t;
    alpha_out[o] = a;
    depth_out[o] = a > 0.0f ? pixel.depth[0] / a : 0.0f;
    contributors[o] = static_cast<uint32_t>(pixel.count[0]);
    if (packed != nullptr) packed[o] = raster::pack_rgba8(color[3 * o], color[3 * o + 1], color[3 * o + 2]);
}

constexpr int kGradsPerSplat = raster::kBlendGradients;  // mean x, y; conic a, b, c; opacity; colour r, g, b

// One block per tile, one thread per pixel: the pixel's blend is replayed front to back to find its
// final transmittance and last contribution, then undone back to front; per-Gaussian gradients of the
// screen mean, conic, opacity and colour are added with atomics.
__global__ void blend_bwd_kernel(const uint2* __restrict__ ranges, const uint32_t* __restrict__ values,
                                 const Splat* __restrict__ splats, int width, int height, int grid_x,
                                 raster::Vec3 background,
                                 const float* __restrict__ v_color,  // [H, W, 3]
                                 float* __restrict__ v_splats) {     // [N, 9]
    const int x = blockIdx.x * kTileSize + threadIdx.x, y = blockIdx.y * kTileSize + threadIdx.y;
    if (x >= width || y >= height) return;
    const uint2 range = ranges[blockIdx.y * grid_x + blockIdx.x];
    // This thread's pixel as arrays of one, for the shared blend loops (raster/blend.h).
    struct Pixel {
        float px[1], py[1];
        float transmittance[1] = {1.0f}, done[1] = {0.0f}, last[1] = {-1.0f};
        float after[3][1], v_color[3][1];
    } pixel;
    pixel.px[0] = static_cast<float>(x) + 0.5f;
    pixel.py[0] = static_cast<float>(y) + 0.5f;
    const struct {
        const float* x;
        const float* y;
    } centre{pixel.px, pixel.py};
    // The forward blend again, for the final transmittance and the last contribution (an index from the
    // start of the tile's list).
    for (uint32_t k = range.x; k < range.y && pixel.done[0] == 0.0f; ++k) {
        const Splat& s = splats[values[k]];
        raster::blend_pixels<false, true, false>(pixel, centre, 0, 1, s.conic, s.mean.x, s.mean.y, s.opacity, s.color,
                                                 s.depth, static_cast<float>(k - range.x));
    }
    const int o = y * width + x;
    const float t = pixel.transmittance[0];
    const float bg[3] = {background.x, background.y, background.z};
    for (int ch = 0; ch < 3; ++ch) {
        pixel.v_color[ch][0] = v_color[3 * o + ch];
        pixel.after[ch][0] = t * bg[ch];
    }
    // Back to front from the last contribution.
    for (uint32_t k = range.x + static_cast<uint32_t>(pixel.last[0] + 1.0f); k-- > range.x;) {
        const uint32_t i = values[k];
        const Splat& s = splats[i];
        float lanes[raster::kBlendGradients][1] = {};
        raster::undo_pixels<1>(pixel, 0, s.conic, s.mean.x, s.mean.y, s.opacity, s.color,
                               static_cast<float>(k - range.x), lanes);
        // Splats the pixel's blend skipped give zeros: no atomics for them.
        bool any = false;
        for (int j = 0; j < raster::kBlendGradients; ++j) any = any || lanes[j][0] != 0.0f;
        if (!any) continue;
        float* out = v_splats + static_cast<std::size_t>(i) * kGradsPerSplat;
        for (int j = 0; j < raster::kBlendGradients; ++j) atomicAdd(out + j, lanes[j][0]);
    }
}

// The per-Gaussian chain (gradients.h) from the splat gradients to the raw parameters.
__global__ void preprocess_bwd_kernel(raster::GaussianArrays g, raster::View3<float> view, float near_plane,
                                      int rest_stride, uint32_t n, float half_w, float half_h,
                                      const uint32_t* __restrict__ counts,  // [N]
                                      const float* __restrict__ v_splats,   // [N, 9]
                                      float* __restrict__ v_positions,      // [N, 3]
                                      float* __restrict__ v_log_scales,     // [N, 3]
                                      float* __restrict__ v_rotations,      // [N, 4]
                                      float* __restrict__ v_opacity,        // [N]
                                      float* __restrict__ v_sh_dc,          // [N, 3]
                                      float* __restrict__ v_sh_rest,        // [N, K, 3]
                                      float* __restrict__ mean2d_norm) {    // [N]
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
    const float* s = v_splats + static_cast<std::size_t>(i) * kGradsPerSplat;
    const raster::ProjectedGradient<float> in{{s[0], s[1]}, {s[2], s[3], s[4]}, s[5], {s[6], s[7], s[8]}};
    raster::GaussianGradient<float> out{};
    out.sh_dc = v_sh_dc + 3 * static_cast<std::size_t>(i);
    out.sh_rest = v_sh_rest + static_cast<std::size_t>(rest_stride) * i;
    raster::project_gaussian_backward(gaussian, view, p, in, out);
    for (int k = 0; k < 3; ++k) {
        v_positions[3 * i + k] += out.position[k];
        v_log_scales[3 * i + k] += out.log_scale[k];
    }
    for (int k = 0; k < 4; ++k) v_rotations[4 * i + k] += out.rotation[k];
    v_opacity[i] += out.opacity_logit;
    mean2d_norm[i] += sqrtf(s[0] * half_w * s[0] * half_w + s[1] * half_h * s[1] * half_h);
}

unsigned blocks_for(std::size_t items) {
    return static_cast<unsigned>((items + kThreads - 1) / kThreads);
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

class CudaRasterizer final : public Rasterizer {
public:
    Backend backend() const override { return Backend::Cuda; }

private:
    RenderStats render_impl(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                            RenderOutput& out) override;
    void backward_impl(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                       std::span<const float> v_color, CloudGradients& grads) override;

    // The scene is uploaded every frame: the rasterizer does not know whether the host cloud changed.
    DeviceBuffer<float> m_positions, m_log_scales, m_rotations, m_opacity_logits, m_sh_dc, m_sh_rest;
    DeviceBuffer<float> m_time_means, m_log_time_scales, m_rotations_right, m_time_color;
    DeviceBuffer<Splat> m_splats;                      // [N]
    DeviceBuffer<uint32_t> m_counts;                   // [N]
    DeviceBuffer<uint32_t> m_ends;                     // [N]
    DeviceBuffer<uint64_t> m_keys, m_sorted_keys;      // [P]
    DeviceBuffer<uint32_t> m_values, m_sorted_values;  // [P]
    DeviceBuffer<uint2> m_ranges;                      // [tiles]
    DeviceBuffer<unsigned char> m_scratch;             // CUB temporary storage
    DeviceBuffer<float> m_color, m_alpha, m_depth;     // [H, W(, 3)]
    DeviceBuffer<uint32_t> m_contributors;             // [H, W]
    DeviceBuffer<uint8_t> m_keep;                      // [N] RenderSettings::keep, when given
    // Backward pass.
    DeviceBuffer<float> m_v_color, m_v_splats;  // [H, W, 3], [N, 9]
    DeviceBuffer<float> m_v_positions, m_v_log_scales, m_v_rotations, m_v_opacity, m_v_sh_dc, m_v_sh_rest,
        m_mean2d_norm;
    int m_last_width = 0, m_last_height = 0;
};

RenderStats CudaRasterizer::render_impl(const GaussianCloud& cloud, const Camera& camera,
                                        const RenderSettings& settings, RenderOutput& out) {
    RenderStats stats;
    const uint32_t n = static_cast<uint32_t>(std::min(cloud.size(), settings.max_gaussians));
    stats.gaussians = n;
    const int width = camera.width, height = camera.height;
    const int grid_x = (width + kTileSize - 1) / kTileSize, grid_y = (height + kTileSize - 1) / kTileSize;
    const std::size_t tiles = static_cast<std::size_t>(grid_x) * grid_y;
    const std::size_t pixels = static_cast<std::size_t>(width) * height;

    auto start = std::chrono::steady_clock::now();
    m_positions.upload(cloud.positions());
    m_log_scales.upload(cloud.log_scales());
    m_rotations.upload(cloud.rotations());
    m_opacity_logits.upload(cloud.opacity_logits());
    m_sh_dc.upload(cloud.sh_dc());
    m_sh_rest.upload(cloud.sh_rest());
    m_time_means.upload(cloud.time_means());
    m_log_time_scales.upload(cloud.log_time_scales());
    m_rotations_right.upload(cloud.rotations_right());
    m_time_color.upload(cloud.time_color());
    raster::GaussianArrays arrays{m_positions.data(),
                                  m_log_scales.data(),
                                  m_rotations.data(),
                                  m_opacity_logits.data(),
                                  m_sh_dc.data(),
                                  m_sh_rest.data(),
                                  cloud.is_4d() ? m_time_means.data() : nullptr,
                                  cloud.is_4d() ? m_log_time_scales.data() : nullptr,
                                  cloud.is_4d() ? m_rotations_right.data() : nullptr,
                                  cloud.time_color_degree() > 0 ? m_time_color.data() : nullptr,
                                  nullptr};
    if (settings.keep != nullptr) {
        m_keep.upload(std::span<const uint8_t>(settings.keep, cloud.size()));
        arrays.keep = m_keep.data();
    }
    const raster::FrameParams frame = make_frame_params(cloud, camera, settings);
    m_splats.resize(n);
    m_counts.resize(n);
    m_ends.resize(n);
    uint32_t pairs = 0;
    if (n > 0) {
        preprocess_fwd_kernel<<<blocks_for(n), kThreads>>>(arrays, frame, n, m_splats.data(),
                                                           m_counts.data());
        GLINT_CUDA_CHECK_LAUNCH();
        std::size_t scratch = 0;
        GLINT_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, scratch, m_counts.data(), m_ends.data(), n));
        m_scratch.resize(scratch);
        GLINT_CUDA_CHECK(
            cub::DeviceScan::InclusiveSum(m_scratch.data(), scratch, m_counts.data(), m_ends.data(), n));
        GLINT_CUDA_CHECK(cudaMemcpy(&pairs, m_ends.data() + (n - 1), sizeof pairs, cudaMemcpyDeviceToHost));
    }
    stats.tile_pairs = pairs;
    stats.preprocess_ms = milliseconds_since(start);

    start = std::chrono::steady_clock::now();
    m_keys.resize(pairs);
    m_sorted_keys.resize(pairs);
    m_values.resize(pairs);
    m_sorted_values.resize(pairs);
    m_ranges.resize(tiles);
    GLINT_CUDA_CHECK(cudaMemset(m_ranges.data(), 0, tiles * sizeof(uint2)));
    if (pairs > 0) {
        emit_pairs_kernel<<<blocks_for(n), kThreads>>>(m_splats.data(), m_counts.data(), m_ends.data(), n,
                                                       grid_x, m_keys.data(), m_values.data());
        GLINT_CUDA_CHECK_LAUNCH();
        int tile_bits = 1;
        while ((std::size_t{1} << tile_bits) < tiles + 1) ++tile_bits;
        std::size_t scratch = 0;
        GLINT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, scratch, m_keys.data(),
                                                         m_sorted_keys.data(), m_values.data(),
                                                         m_sorted_values.data(), pairs, 0, 32 + tile_bits));
        m_scratch.resize(scratch);
        GLINT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(m_scratch.data(), scratch, m_keys.data(),
                                                         m_sorted_keys.data(), m_values.data(),
                                                         m_sorted_values.data(), pairs, 0, 32 + tile_bits));
        tile_ranges_kernel<<<blocks_for(pairs), kThreads>>>(m_sorted_keys.data(), pairs, m_ranges.data());
        GLINT_CUDA_CHECK_LAUNCH();
    }
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    stats.sort_ms = milliseconds_since(start);

    start = std::chrono::steady_clock::now();
    m_color.resize(pixels * 3);
    m_alpha.resize(pixels);
    m_depth.resize(pixels);
    m_contributors.resize(pixels);
    blend_fwd_kernel<<<dim3(grid_x, grid_y), dim3(kTileSize, kTileSize)>>>(
        m_ranges.data(), m_sorted_values.data(), m_splats.data(), width, height, grid_x, settings.background,
        m_color.data(), m_alpha.data(), m_depth.data(), m_contributors.data(), out.packed_rgba);
    GLINT_CUDA_CHECK_LAUNCH();
    out.width = width;
    out.height = height;
    const std::size_t kept = out.float_images ? pixels : 0;
    out.color.resize(kept * 3);
    out.alpha.resize(kept);
    out.depth.resize(kept);
    out.contributors.resize(kept);
    if (out.float_images) {
        m_color.download(out.color);
        m_alpha.download(out.alpha);
        m_depth.download(out.depth);
        m_contributors.download(out.contributors);
    }
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    stats.blend_ms = milliseconds_since(start);
    m_last_width = width;
    m_last_height = height;
    // Visible Gaussians: those with at least one pair (counted on the host from the counts).
    std::vector<uint32_t> counts(n);
    m_counts.download(counts);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    for (uint32_t c : counts) stats.visible += c > 0 ? 1 : 0;
    return stats;
}

void CudaRasterizer::backward_impl(const GaussianCloud& cloud, const Camera& camera,
                                   const RenderSettings& settings, std::span<const float> v_color,
                                   CloudGradients& grads) {
    GLINT_CHECK(m_last_width == camera.width && m_last_height == camera.height,
                "backward: call render() for this camera first");
    const uint32_t n = static_cast<uint32_t>(cloud.size());
    const int width = camera.width, height = camera.height;
    const int grid_x = (width + kTileSize - 1) / kTileSize, grid_y = (height + kTileSize - 1) / kTileSize;
    m_v_color.upload(v_color);
    m_v_splats.resize(static_cast<std::size_t>(n) * kGradsPerSplat);
    GLINT_CUDA_CHECK(cudaMemset(m_v_splats.data(), 0, m_v_splats.size() * sizeof(float)));
    blend_bwd_kernel<<<dim3(grid_x, grid_y), dim3(kTileSize, kTileSize)>>>(
        m_ranges.data(), m_sorted_values.data(), m_splats.data(), width, height, grid_x, settings.background,
        m_v_color.data(), m_v_splats.data());
    GLINT_CUDA_CHECK_LAUNCH();
    const auto zeroed = [](DeviceBuffer<float>& b, std::size_t count) {
        b.resize(count);
        GLINT_CUDA_CHECK(cudaMemset(b.data(), 0, count * sizeof(float)));
    };
    zeroed(m_v_positions, grads.positions.size());
    zeroed(m_v_log_scales, grads.log_scales.size());
    zeroed(m_v_rotations, grads.rotations.size());
    zeroed(m_v_opacity, grads.opacity_logits.size());
    zeroed(m_v_sh_dc, grads.sh_dc.size());
    zeroed(m_v_sh_rest, grads.sh_rest.size());
    zeroed(m_mean2d_norm, grads.mean2d_norm.size());
    const raster::FrameParams frame = make_frame_params(cloud, camera, settings);
    const raster::GaussianArrays arrays{m_positions.data(),
                                        m_log_scales.data(),
                                        m_rotations.data(),
                                        m_opacity_logits.data(),
                                        m_sh_dc.data(),
                                        m_sh_rest.data(),
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr};
    if (n > 0) {
        preprocess_bwd_kernel<<<blocks_for(n), kThreads>>>(
            arrays, make_view3(frame), frame.near_plane, cloud.sh_rest_per_channel() * 3, n,
            0.5f * static_cast<float>(width), 0.5f * static_cast<float>(height), m_counts.data(),
            m_v_splats.data(), m_v_positions.data(), m_v_log_scales.data(), m_v_rotations.data(),
            m_v_opacity.data(), m_v_sh_dc.data(), m_v_sh_rest.data(), m_mean2d_norm.data());
        GLINT_CUDA_CHECK_LAUNCH();
    }
    // Added to what the caller accumulated.
    const auto add = [](DeviceBuffer<float>& from, std::vector<float>& to) {
        std::vector<float> part(to.size());
        from.download(part);
        GLINT_CUDA_CHECK(cudaDeviceSynchronize());
        for (std::size_t k = 0; k < to.size(); ++k) to[k] += part[k];
    };
    add(m_v_positions, grads.positions);
    add(m_v_log_scales, grads.log_scales);
    add(m_v_rotations, grads.rotations);
    add(m_v_opacity, grads.opacity_logits);
    add(m_v_sh_dc, grads.sh_dc);
    add(m_v_sh_rest, grads.sh_rest);
    add(m_mean2d_norm, grads.mean2d_norm);
}

}  // namespace

std::unique_ptr<Rasterizer> create_cuda_rasterizer() {
    return std::make_unique<CudaRasterizer>();
}

}  // namespace glint::splatting
