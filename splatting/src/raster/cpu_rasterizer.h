// The CPU backend of the tile rasterizer (oneTBB across Gaussians and tiles).
#pragma once

#include <cstdint>
#include <vector>

#include "glint/splatting/raster/rasterizer.h"

namespace glint::splatting {

class CpuRasterizer final : public Rasterizer {
public:
    Backend backend() const override { return Backend::Cpu; }

private:
    RenderStats render_impl(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                            RenderOutput& out) override;

    // Per-Gaussian results of the preprocess, kept between frames so a frame allocates nothing.
    std::vector<raster::Vec2> m_mean2d;        // [N] pixel-centre coordinates
    std::vector<raster::Sym2> m_conic;         // [N]
    std::vector<float> m_opacity;              // [N] activated, compensated
    std::vector<float> m_limit;                // [N] squared Mahalanobis distance of the 1/255 contour
    std::vector<raster::Vec3> m_color;         // [N]
    std::vector<float> m_depth;                // [N] camera-space z
    std::vector<std::int32_t> m_rect;          // [N, 4] tile rectangle x0, y0, x1, y1
    std::vector<std::uint32_t> m_tile_counts;  // [N] tiles touched
    std::vector<std::uint64_t> m_offsets;      // [N + 1] exclusive prefix sum of m_tile_counts
    // Pairs: emitted in Gaussian order, then bucketed by tile and sorted by (depth, index) in each tile.
    std::vector<std::uint32_t> m_pair_tiles;        // [P]
    std::vector<std::uint64_t> m_pair_keys;         // [P] depth bits << 32 | Gaussian index
    std::vector<std::uint64_t> m_sorted_keys;       // [P]
    std::vector<std::uint32_t> m_tile_ranges;       // [tiles + 1] start of each tile's pairs in m_sorted_keys
    std::vector<std::uint32_t> m_chunk_histograms;  // [chunks, tiles]
};

}  // namespace glint::splatting
