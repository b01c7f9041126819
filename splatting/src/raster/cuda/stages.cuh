// The CUDA tile rasterizer's stages, one file each as the CPU backend's (preprocess.cu: per Gaussian,
// forward and backward; sort.cu: pairs, radix sort, tile ranges; blend.cu: per pixel, forward and
// backward; optimize.cu: the training state's Adam and statistic), launched by the host code in
// cuda_rasterizer.cu. Every per-element function is the CPU's (preprocess.h, raster_math.h, blend.h,
// gradients.h). Pointers are device memory.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "glint/core/adam.h"
#include "glint/core/cuda/device_buffer.cuh"
#include "glint/splatting/raster/blend.h"
#include "glint/splatting/raster/chain.h"
#include "glint/splatting/raster/preprocess.h"

namespace glint::splatting::cuda_raster {

inline constexpr int kThreads = 256;  // per block for the per-Gaussian and per-pair kernels
inline constexpr int kTilePixels = raster::kTileSize * raster::kTileSize;  // one thread per pixel of a tile

inline unsigned blocks_for(std::size_t items) {
    return static_cast<unsigned>((items + kThreads - 1) / kThreads);
}

// --- preprocess.cu ---------------------------------------------------------------------------------------
// Splat k and the number of tiles it touches (0: culled) for each of n work items: Gaussian ids[k]
// (device memory), or Gaussian k when ids is null.
void preprocess_forward(const raster::GaussianArrays& g, const raster::FrameParams& f, uint32_t n,
                        const uint32_t* ids, raster::Splat* splats, uint32_t* counts);
// How many of n counts are non-zero (the visible Gaussians), reduced on the device; `counter` is one
// device word of scratch. Synchronizes.
uint32_t count_visible(const uint32_t* counts, uint32_t n, uint32_t* counter);
// The backward chain (chain.h) from the splats' gradients ([N, 9]) to the raw parameters of every
// Gaussian whose count is not zero, 4D ones sliced at the frame's time when `temporal`, added to `out`
// (with |dL/d screen mean| in normalized device units into out.mean2d_norm).
void preprocess_backward(const raster::GaussianArrays& g, const raster::ChainFrame& frame, bool temporal,
                         uint32_t n, const uint32_t* counts, const float* v_splats,
                         const raster::GradientArrays& out);

// --- sort.cu ---------------------------------------------------------------------------------------------
// The (tile, depth) keys of every splat's tiles sorted, the Gaussian of each in `sorted_values`, and each
// tile's [start, end) in `ranges` ([tiles]); returns the number of pairs. Buffers grow as needed.
struct SortBuffers {
    cuda::DeviceBuffer<uint32_t> ends;                   // [N] inclusive prefix sum of the counts
    cuda::DeviceBuffer<uint64_t> keys, sorted_keys;      // [P]
    cuda::DeviceBuffer<uint32_t> values, sorted_values;  // [P]
    cuda::DeviceBuffer<uint2> ranges;                    // [tiles]
    cuda::DeviceBuffer<unsigned char> scratch;           // CUB temporary storage
};
uint32_t sort_pairs(const raster::Splat* splats, const uint32_t* counts, uint32_t n, int grid_x, int grid_y,
                    SortBuffers& b);

// --- blend.cu --------------------------------------------------------------------------------------------
// One block per tile, one thread per pixel: colour over the background, alpha, depth, contributors, and
// `packed` RGBA8 when not null.
void blend_forward(const uint2* ranges, const uint32_t* values, const raster::Splat* splats, int width,
                   int height, raster::Vec3 background, float* color, float* alpha, float* depth,
                   uint32_t* contributors, uint32_t* packed);
// The splats' gradients ([N, 9]: mean x, y, conic a, b, c, opacity, colour) from dL/d pixel colour,
// added into v_splats (zeroed by the caller).
void blend_backward(const uint2* ranges, const uint32_t* values, const raster::Splat* splats, int width,
                    int height, raster::Vec3 background, const float* v_color, float* v_splats);

// --- optimize.cu -----------------------------------------------------------------------------------------
// One Adam step (core/adam.h) of n entries in place.
void adam(float* values, const float* grad, float* m, float* v, std::size_t n, const AdamStep& step);
// The densification statistic: for each of the n Gaussians the frame drew (count > 0), its screen-space
// gradient added to sums and one view to views.
void add_statistics(const float* mean2d_norm, const uint32_t* counts, uint32_t n, float* sums, float* views);

}  // namespace glint::splatting::cuda_raster
