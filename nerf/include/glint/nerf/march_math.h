// The occupancy grid's cells and the ray marcher, as per-ray math over plain arrays, shared by the CPU
// model (NerfModel::cell_of, cell_box, march) and the CUDA kernels. GLINT_HD inline functions, no STL.
//
// Normalized space: cascade k covers the cube of half size 2^(k-1) around (0.5, 0.5, 0.5), with R^3
// cells; cell (x, y, z) of cascade k is number k R^3 + x + R (y + R z). A point belongs to the smallest
// cascade holding it.
#pragma once

#include <math.h>
#include <stdint.h>

#include "glint/core/hd.h"

namespace glint::nerf {

struct MarchGrid {
    const uint8_t* occupancy;  // cascades * R^3 bytes, 1: occupied
    int cascades, resolution;
    float min_step, cone_angle;
};

// The cell holding a normalized position, or -1 outside the outermost cascade.
GLINT_HD inline int64_t grid_cell_of(const MarchGrid& g, const float p[3]) {
    const float ax = fabsf(p[0] - 0.5f), ay = fabsf(p[1] - 0.5f), az = fabsf(p[2] - 0.5f);
    const float extent = ax > ay ? (ax > az ? ax : az) : (ay > az ? ay : az);
    int k = 0;
    while (k < g.cascades && extent > 0.5f * static_cast<float>(1 << k)) ++k;
    if (k == g.cascades) return -1;
    const int r = g.resolution;
    const float half = 0.5f * static_cast<float>(1 << k), scale = static_cast<float>(r) / (2.0f * half);
    int64_t index = k;
    int64_t cell[3];
    for (int a = 0; a < 3; ++a) {
        int64_t c = static_cast<int64_t>((p[a] - 0.5f + half) * scale);
        cell[a] = c < 0 ? 0 : (c > r - 1 ? r - 1 : c);
    }
    return ((index * r + cell[2]) * r + cell[1]) * r + cell[0];
}

// Cell `cell`'s box in normalized coordinates.
GLINT_HD inline void grid_cell_box(const MarchGrid& g, uint64_t cell, float lo[3], float hi[3]) {
    const uint64_t r = static_cast<uint64_t>(g.resolution);
    const uint64_t c[3] = {cell % r, (cell / r) % r, (cell / (r * r)) % r};
    const uint64_t k = cell / (r * r * r);
    const float half = 0.5f * static_cast<float>(1u << k), size = 2.0f * half / static_cast<float>(r);
    for (int a = 0; a < 3; ++a) {
        lo[a] = 0.5f - half + static_cast<float>(c[a]) * size;
        hi[a] = lo[a] + size;
    }
}

// Marches ray o + t d (unit d) from t to t_far over occupied cells: writes up to `max` samples' t and dt
// and returns how many; `t` moves past them. Empty cells are skipped to where the ray leaves them, in
// whole steps (the samples keep their spacing). Steps grow with distance by the cone angle, from the
// smallest step to 8 times the outermost cascade's.
GLINT_HD inline int march_ray(const MarchGrid& g, const float o[3], const float d[3], float& t, float t_far,
                              int max, float* t_out, float* dt_out) {
    int n = 0;
    const float dt_max = g.min_step * static_cast<float>(1 << (g.cascades - 1)) * 8.0f;
    while (n < max && t < t_far) {
        float dt = t * g.cone_angle;
        dt = dt < g.min_step ? g.min_step : (dt > dt_max ? dt_max : dt);
        const float p[3] = {o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]};
        const int64_t cell = grid_cell_of(g, p);
        if (cell < 0) break;
        if (g.occupancy[cell]) {
            t_out[n] = t;
            dt_out[n] = dt;
            ++n;
            t += dt;
            continue;
        }
        float lo[3], hi[3];
        grid_cell_box(g, static_cast<uint64_t>(cell), lo, hi);
        float t_exit = t_far;
        for (int a = 0; a < 3; ++a) {
            if (d[a] > 0.0f) {
                const float e = (hi[a] - o[a]) / d[a];
                t_exit = e < t_exit ? e : t_exit;
            }
            if (d[a] < 0.0f) {
                const float e = (lo[a] - o[a]) / d[a];
                t_exit = e < t_exit ? e : t_exit;
            }
        }
        const float whole = ceilf((t_exit - t) / dt) * dt;
        t += whole > dt ? whole : dt;
    }
    return n;
}

}  // namespace glint::nerf
