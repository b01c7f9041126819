// SOG's quantisers (internal to the SOG writer): the 256-entry scalar codebooks and the SH palette.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace glint::splatting::sog {

// 256 values to round to the nearest of: Lloyd's algorithm on the sorted values (a sample of a million of
// them for larger inputs, the extremes kept), weighted against density (below), started at quantiles.
struct Codebook {
    std::array<float, 256> values{};
    std::array<float, 255> bounds{};  // midpoints between neighbours

    void finish() {
        for (std::size_t i = 0; i + 1 < values.size(); ++i) bounds[i] = 0.5f * (values[i] + values[i + 1]);
    }
    // The number of bounds <= v (std::upper_bound's position), by a branch-free binary search: eight
    // steps of compare and add, where upper_bound's branches mispredicted on every other step (packing a
    // million Gaussians' six indices took 0.2 s).
    std::uint8_t index(float v) const {
        unsigned i = 0;
        for (unsigned step = 128; step > 0; step >>= 1) i += bounds[i + step - 1] <= v ? step : 0;
        return static_cast<std::uint8_t>(i);
    }
};

// The codebook of `width` columns starting at `offset` of rows of `stride` floats, over every array of
// `columns` together.
Codebook fit_codebook(const std::vector<std::span<const float>>& columns, std::size_t stride,
                      std::size_t offset, std::size_t width);

// An SH palette: the vectors ([K, dim]) and each Gaussian's entry.
struct Palette {
    std::size_t dim = 0;
    std::vector<float> vectors;
    std::vector<std::uint32_t> labels;
};

// PlayCanvas's palette size: 1024 x 2^floor(log2(n / 1024)) entries, at most 65,536; every vector of a
// smaller scene.
std::size_t palette_size(std::size_t n);

// The palette of the n vectors of `rest` ([n, dim]): recursive principal-axis splits of a sample, every
// vector sent down them to its entry, each entry the mean of the vectors that reached it.
Palette fit_palette(std::span<const float> rest, std::size_t n, std::size_t dim);

}  // namespace glint::splatting::sog
