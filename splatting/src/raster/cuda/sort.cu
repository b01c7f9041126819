// The CUDA rasterizer's pairing and sorting: one (tile, depth) key per tile a splat touches, CUB's radix
// sort over the bits in use, and each tile's range of the sorted pairs.
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

#include "glint/core/cuda/check.cuh"
#include "stages.cuh"

namespace glint::splatting::cuda_raster {
namespace {

// One key per touched tile: tile id in the high 32 bits, depth bits in the low (positive floats order as
// their bits do). Pairs of a Gaussian start at the exclusive prefix sum of the counts, and never leave its
// slots: should this walk over the contour round otherwise than the preprocess's count did, an extra tile
// is dropped and a missing one leaves the sentinel tile `tiles`, sorted after every real one (the CPU
// backend's rule; there, code built for two instruction sets disagreed on about one splat a frame).
__global__ void emit_pairs_kernel(const raster::Splat* __restrict__ splats,  // [N]
                                  const uint32_t* __restrict__ counts,       // [N]
                                  const uint32_t* __restrict__ ends,         // [N] inclusive prefix sum
                                  uint32_t n, int grid_x, uint32_t sentinel,
                                  uint64_t* __restrict__ keys,      // [P]
                                  uint32_t* __restrict__ values) {  // [P] Gaussian index
    const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n || counts[i] == 0) return;
    uint32_t k = ends[i] - counts[i];
    const uint32_t stop = ends[i];
    const raster::Splat splat = splats[i];
    const uint64_t depth_bits = __float_as_uint(splat.depth);
    raster::for_each_tile(splat, [&](int tx, int ty) {
        if (k == stop) return;
        keys[k] = (static_cast<uint64_t>(ty * grid_x + tx) << 32) | depth_bits;
        values[k] = i;
        ++k;
    });
    for (; k < stop; ++k) {
        keys[k] = (static_cast<uint64_t>(sentinel) << 32) | depth_bits;
        values[k] = i;
    }
}

// Start and end of each tile's pairs in the sorted keys (tiles without pairs keep [0, 0)).
__global__ void tile_ranges_kernel(const uint64_t* __restrict__ keys, uint32_t pairs, uint32_t tiles,
                                   uint2* __restrict__ ranges) {
    const uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= pairs) return;
    const uint32_t tile = static_cast<uint32_t>(keys[k] >> 32);
    if (tile >= tiles) return;  // the sentinel's
    if (k == 0 || static_cast<uint32_t>(keys[k - 1] >> 32) != tile) ranges[tile].x = k;
    if (k + 1 == pairs || static_cast<uint32_t>(keys[k + 1] >> 32) != tile) ranges[tile].y = k + 1;
}

}  // namespace

uint32_t sort_pairs(const raster::Splat* splats, const uint32_t* counts, uint32_t n, int grid_x, int grid_y,
                    SortBuffers& b) {
    const std::size_t tiles = static_cast<std::size_t>(grid_x) * static_cast<std::size_t>(grid_y);
    b.ranges.resize(tiles);
    GLINT_CUDA_CHECK(cudaMemset(b.ranges.data(), 0, tiles * sizeof(uint2)));
    uint32_t pairs = 0;
    if (n > 0) {
        b.ends.resize(n);
        std::size_t scratch = 0;
        GLINT_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, scratch, counts, b.ends.data(), n));
        b.scratch.resize(scratch);
        GLINT_CUDA_CHECK(cub::DeviceScan::InclusiveSum(b.scratch.data(), scratch, counts, b.ends.data(), n));
        GLINT_CUDA_CHECK(cudaMemcpy(&pairs, b.ends.data() + (n - 1), sizeof pairs, cudaMemcpyDeviceToHost));
    }
    b.keys.resize(pairs);
    b.sorted_keys.resize(pairs);
    b.values.resize(pairs);
    b.sorted_values.resize(pairs);
    if (pairs == 0) return 0;
    emit_pairs_kernel<<<blocks_for(n), kThreads>>>(splats, counts, b.ends.data(), n, grid_x,
                                                   static_cast<uint32_t>(tiles), b.keys.data(),
                                                   b.values.data());
    GLINT_CUDA_CHECK_LAUNCH();
    int tile_bits = 1;
    while ((std::size_t{1} << tile_bits) < tiles + 1) ++tile_bits;
    std::size_t scratch = 0;
    GLINT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, scratch, b.keys.data(), b.sorted_keys.data(),
                                                     b.values.data(), b.sorted_values.data(), pairs, 0,
                                                     32 + tile_bits));
    b.scratch.resize(scratch);
    GLINT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(b.scratch.data(), scratch, b.keys.data(),
                                                     b.sorted_keys.data(), b.values.data(),
                                                     b.sorted_values.data(), pairs, 0, 32 + tile_bits));
    tile_ranges_kernel<<<blocks_for(pairs), kThreads>>>(b.sorted_keys.data(), pairs,
                                                        static_cast<uint32_t>(tiles), b.ranges.data());
    GLINT_CUDA_CHECK_LAUNCH();
    return pairs;
}

}  // namespace glint::splatting::cuda_raster
