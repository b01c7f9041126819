// Per-point math of the multiresolution hash encoding (Mueller et al. 2022, Instant-NGP), shared by the
// CPU encoder, the CUDA kernels and the tests. GLINT_HD inline functions, no STL.
//
// Level l has scale s_l = N_min * b^l - 1 with b = exp((ln N_max - ln N_min) / (L - 1)); a point x in
// [0, 1]^3 sits at p = x * s_l + 0.5 in a grid of (ceil(s_l) + 1)^3 vertices. A level whose vertices fit
// in the table (T entries) indexes them densely (x + y R + z R^2); finer levels hash a vertex with
// (x * 1) xor (y * 2654435761) xor (z * 805459861) mod T (T a power of two: a mask). Each vertex holds F
// features; a point's features are the trilinear interpolation of its cell's eight vertices.
#pragma once

#include <math.h>
#include <stdint.h>

#include "glint/core/hd.h"

namespace glint::nerf {

inline constexpr uint32_t kHashPrime1 = 2654435761u, kHashPrime2 = 805459861u;

struct GridLevel {
    float scale;          // s_l
    uint32_t resolution;  // vertices per axis
    uint32_t size;        // table entries used by the level
    uint32_t offset;      // first entry of the level in the parameter array (entries, not floats)
    uint32_t dense;       // 1: dense indexing
};

// Table entry of vertex (x, y, z) of a level.
GLINT_HD inline uint32_t vertex_index(const GridLevel& level, uint32_t x, uint32_t y, uint32_t z) {
    if (level.dense) return x + level.resolution * (y + level.resolution * z);
    return (x ^ (y * kHashPrime1) ^ (z * kHashPrime2)) & (level.size - 1);  // hashed levels: size = T = 2^k
}

// The cell of point (px, py, pz) in [0, 1]^3 at a level: the corner vertex and the fractions.
GLINT_HD inline void grid_cell(const GridLevel& level, float px, float py, float pz, uint32_t corner[3],
                               float fraction[3]) {
    const float p[3] = {px * level.scale + 0.5f, py * level.scale + 0.5f, pz * level.scale + 0.5f};
    for (int k = 0; k < 3; ++k) {
        float f = floorf(p[k]);
        // Points on or past the upper face stay in the last cell.
        const float last = static_cast<float>(level.resolution) - 2.0f;
        f = f < 0.0f ? 0.0f : (f > last ? last : f);
        corner[k] = static_cast<uint32_t>(f);
        fraction[k] = p[k] - f;
    }
}

// Corner c (bits x, y, z) of a cell: its table entry and trilinear weight.
GLINT_HD inline void cell_corner(const GridLevel& level, const uint32_t corner[3], const float fraction[3],
                                 int c, uint32_t& index, float& weight) {
    const uint32_t dx = c & 1, dy = (c >> 1) & 1, dz = (c >> 2) & 1;
    index = vertex_index(level, corner[0] + dx, corner[1] + dy, corner[2] + dz);
    weight = (dx ? fraction[0] : 1.0f - fraction[0]) * (dy ? fraction[1] : 1.0f - fraction[1]) *
             (dz ? fraction[2] : 1.0f - fraction[2]);
}

}  // namespace glint::nerf
