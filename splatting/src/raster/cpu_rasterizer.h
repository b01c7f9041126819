// The CPU backend of the tile rasterizer (oneTBB across Gaussians and tiles).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "glint/splatting/raster/preprocess.h"
#include "glint/splatting/raster/rasterizer.h"

namespace glint::splatting {

class CpuRasterizer final : public Rasterizer {
public:
    Backend backend() const override { return Backend::Cpu; }

private:
    RenderStats render_impl(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                            RenderOutput& out) override;
    void backward_impl(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                       std::span<const float> v_color, CloudGradients& grads) override;
    // Stages of render_impl. The visible splats of the `items` preprocessed ones sorted by depth (and
    // their Gaussians when `with_ids`: significance); returns how many.
    std::size_t order_by_depth(std::size_t items, const std::uint32_t* ids, bool with_ids);
    // Every (tile, splat) pair emitted in depth order and bucketed by tile; returns the number of pairs.
    std::size_t bucket_pairs(std::size_t visible, int grid_x, std::size_t tiles);

private:
    // Buffers kept between frames so that a frame allocates nothing.
    std::vector<raster::Splat> m_splats;         // [N] preprocess output, valid where m_tile_counts > 0
    std::vector<std::uint32_t> m_tile_counts;    // [N] tiles touched
    std::vector<std::uint64_t> m_depth_order;    // [V] visible Gaussians: depth bits << 32 | index, sorted
    std::vector<std::uint64_t> m_radix_scratch;  // [V]
    std::vector<raster::Splat> m_sorted_splats;  // [V] visible splats in depth order
    std::vector<std::uint32_t> m_sorted_ids;     // [V] their Gaussians (significance only)
    std::vector<std::uint64_t> m_offsets;        // [V + 1] first pair of each visible splat
    // Pairs: emitted in depth order, then bucketed by tile (stable), so each tile's list is front to back.
    std::vector<std::uint32_t> m_pair_tiles;        // [P]
    std::vector<std::uint32_t> m_pair_ranks;        // [P] index into m_sorted_splats
    std::vector<std::uint32_t> m_sorted_ranks;      // [P] grouped by tile
    std::vector<std::uint32_t> m_tile_ranges;       // [tiles + 1] start of each tile's pairs in m_sorted_keys
    std::vector<std::uint32_t> m_chunk_histograms;  // [chunks, tiles]
    // Backward pass: per visible splat, d loss / d (mean x, y, conic a, b, c, opacity, colour r, g, b).
    std::vector<float> m_splat_grads;       // [V, 9]
    std::vector<std::uint32_t> m_splat_of;  // [N] a Gaussian's rank in depth order, UINT32_MAX: not visible
    // With RenderSettings::record_for_backward: per tile pixel, the final transmittance and the index in
    // the tile's list of the last contribution (-1: none); empty otherwise.
    std::vector<float> m_recorded_transmittance, m_recorded_last;  // [tiles, 256]
};

}  // namespace glint::splatting
