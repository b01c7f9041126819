// The CUDA rasterizer's per-pixel stages: one block per 16x16 tile, one thread per pixel, the tile's
// splats staged through shared memory in batches of 256; the blend rule and its backward are the CPU's
// (raster/blend.h), each thread's pixel held as arrays of one.
#include "glint/core/cuda/check.cuh"
#include "glint/splatting/raster/blend.h"
#include "stages.cuh"

namespace glint::splatting::cuda_raster {
namespace {

using raster::kTileSize;

// Front to back with the reference's per-pixel rules; threads whose pixels have stopped idle until the
// whole tile has.
__global__ void blend_fwd_kernel(const uint2* __restrict__ ranges, const uint32_t* __restrict__ values,
                                 const raster::Splat* __restrict__ splats, int width, int height, int grid_x,
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
    const uint2 range = ranges[blockIdx.y * grid_x + blockIdx.x];
    struct Pixel {
        float transmittance[1] = {1.0f}, done[1] = {0.0f};
        float red[1] = {0.0f}, green[1] = {0.0f}, blue[1] = {0.0f}, depth[1] = {0.0f}, count[1] = {0.0f};
    } pixel;
    const struct { float x[1], y[1]; } centre{{static_cast<float>(x) + 0.5f}, {static_cast<float>(y) + 0.5f}};
    bool done = !inside;
    for (uint32_t batch = range.x; batch < range.y; batch += kTilePixels) {
        if (__syncthreads_count(done) == kTilePixels) break;
        const uint32_t k = batch + rank;
        if (k < range.y) {
            const raster::Splat& splat = splats[values[k]];
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
    if (packed != nullptr) packed[o] = pack_rgba8(color[3 * o], color[3 * o + 1], color[3 * o + 2]);
}

// Each thread replays its pixel's blend front to back (its final transmittance and last contribution),
// then the whole block walks the tile's splats back to front together, from the tile's last contribution,
// in shared-memory batches: every lane of a warp undoes the same splat at once, so its nine gradients
// are summed across the warp with shuffles and added to global memory by one lane (eight atomics per
// splat and tile where per-pixel atomics would be up to 256 times nine).
__global__ void blend_bwd_kernel(const uint2* __restrict__ ranges, const uint32_t* __restrict__ values,
                                 const raster::Splat* __restrict__ splats, int width, int height, int grid_x,
                                 raster::Vec3 background,
                                 const float* __restrict__ v_color,  // [H, W, 3]
                                 float* __restrict__ v_splats) {     // [N, 9]
    __shared__ raster::Vec2 s_mean[kTilePixels];
    __shared__ raster::Sym2 s_conic[kTilePixels];
    __shared__ float s_opacity[kTilePixels];
    __shared__ raster::Vec3 s_color[kTilePixels];
    __shared__ uint32_t s_index[kTilePixels];
    __shared__ int s_end;
    const int rank = threadIdx.y * kTileSize + threadIdx.x;
    const int lane = rank & 31;
    const int x = blockIdx.x * kTileSize + threadIdx.x, y = blockIdx.y * kTileSize + threadIdx.y;
    const bool inside = x < width && y < height;
    const uint2 range = ranges[blockIdx.y * grid_x + blockIdx.x];
    struct Pixel {
        float px[1], py[1];
        float transmittance[1] = {1.0f}, done[1] = {0.0f}, last[1] = {-1.0f};
        float after[3][1] = {{0.0f}, {0.0f}, {0.0f}}, v_color[3][1] = {{0.0f}, {0.0f}, {0.0f}};
    } pixel;
    pixel.px[0] = static_cast<float>(x) + 0.5f;
    pixel.py[0] = static_cast<float>(y) + 0.5f;
    const struct {
        const float* x;
        const float* y;
    } centre{pixel.px, pixel.py};
    // The forward blend again (indices from the start of the tile's list). Pixels outside the image keep
    // last = -1: every splat is behind it, and their gradients are zero.
    if (inside) {
        for (uint32_t k = range.x; k < range.y && pixel.done[0] == 0.0f; ++k) {
            const raster::Splat& s = splats[values[k]];
            raster::blend_pixels<false, true, false>(pixel, centre, 0, 1, s.conic, s.mean.x, s.mean.y,
                                                     s.opacity, s.color, s.depth,
                                                     static_cast<float>(k - range.x));
        }
        const int o = y * width + x;
        const float t = pixel.transmittance[0];
        const float bg[3] = {background.x, background.y, background.z};
        for (int ch = 0; ch < 3; ++ch) {
            pixel.v_color[ch][0] = v_color[3 * o + ch];
            pixel.after[ch][0] = t * bg[ch];
        }
    }
    if (rank == 0) s_end = 0;
    __syncthreads();
    atomicMax(&s_end, static_cast<int>(pixel.last[0]) + 1);
    __syncthreads();
    const int end = s_end;  // one past the tile's last contribution
    for (int batch_end = end; batch_end > 0; batch_end -= kTilePixels) {
        const int batch_start = batch_end > kTilePixels ? batch_end - kTilePixels : 0;
        __syncthreads();  // the previous batch is done with shared memory
        if (batch_end - 1 - rank >= batch_start) {
            const uint32_t i = values[range.x + static_cast<uint32_t>(batch_end - 1 - rank)];
            const raster::Splat& s = splats[i];
            s_mean[rank] = s.mean;
            s_conic[rank] = s.conic;
            s_opacity[rank] = s.opacity;
            s_color[rank] = s.color;
            s_index[rank] = i;
        }
        __syncthreads();
        for (int j = 0; j < batch_end - batch_start; ++j) {
            float lanes[raster::kBlendGradients][1] = {};
            raster::undo_pixels<1>(pixel, 0, s_conic[j], s_mean[j].x, s_mean[j].y, s_opacity[j], s_color[j],
                                   static_cast<float>(batch_end - 1 - j), lanes);
            bool any = false;
            for (int g = 0; g < raster::kBlendGradients; ++g) any = any || lanes[g][0] != 0.0f;
            if (!__any_sync(0xffffffffu, any)) continue;  // no lane of this warp blended the splat
            float* out = v_splats + static_cast<std::size_t>(s_index[j]) * raster::kBlendGradients;
            for (int g = 0; g < raster::kBlendGradients; ++g) {
                float sum = lanes[g][0];
                for (int offset = 16; offset > 0; offset /= 2)
                    sum += __shfl_down_sync(0xffffffffu, sum, offset);
                if (lane == 0 && sum != 0.0f) atomicAdd(out + g, sum);
            }
        }
    }
}

}  // namespace

void blend_forward(const uint2* ranges, const uint32_t* values, const raster::Splat* splats, int width,
                   int height, raster::Vec3 background, float* color, float* alpha, float* depth,
                   uint32_t* contributors, uint32_t* packed) {
    const int grid_x = (width + kTileSize - 1) / kTileSize, grid_y = (height + kTileSize - 1) / kTileSize;
    blend_fwd_kernel<<<dim3(grid_x, grid_y), dim3(kTileSize, kTileSize)>>>(
        ranges, values, splats, width, height, grid_x, background, color, alpha, depth, contributors, packed);
    GLINT_CUDA_CHECK_LAUNCH();
}

void blend_backward(const uint2* ranges, const uint32_t* values, const raster::Splat* splats, int width,
                    int height, raster::Vec3 background, const float* v_color, float* v_splats) {
    const int grid_x = (width + kTileSize - 1) / kTileSize, grid_y = (height + kTileSize - 1) / kTileSize;
    blend_bwd_kernel<<<dim3(grid_x, grid_y), dim3(kTileSize, kTileSize)>>>(
        ranges, values, splats, width, height, grid_x, background, v_color, v_splats);
    GLINT_CUDA_CHECK_LAUNCH();
}

}  // namespace glint::splatting::cuda_raster
