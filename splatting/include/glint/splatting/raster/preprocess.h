// The per-Gaussian preprocess of the tile rasterizer (cull, slice 4D, project, shade, find tiles), shared
// by the CPU backend and the CUDA kernel: GLINT_HD, no STL.
#pragma once

#include <stdint.h>

#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"

namespace glint::splatting::raster {

// Raw parameters of a cloud, as GaussianCloud stores them (see gaussian_cloud.h for shapes). The 4D
// arrays are null for 3D clouds.
struct GaussianArrays {
    const float* positions;        // [N, 3]
    const float* log_scales;       // [N, 3]
    const float* rotations;        // [N, 4]
    const float* opacity_logits;   // [N]
    const float* sh_dc;            // [N, 3]
    const float* sh_rest;          // [N, K, 3]
    const float* time_means;       // [N] or null
    const float* log_time_scales;  // [N] or null
    const float* rotations_right;  // [N, 4] or null
    const float* time_color;       // [N, D, C, 3] or null (see GaussianCloud::time_color)
    const uint8_t* keep;           // [N] or null: Gaussians whose entry is 0 are skipped
};

// What the preprocess needs of the frame.
struct FrameParams {
    Mat3 view_rotation;
    Vec3 view_translation;
    Vec3 camera_position;
    float fx, fy, cx, cy, tan_fov_x, tan_fov_y, near_plane;
    float min_radius;                          // level of detail: smaller projected 3-sigma radii are skipped
    float time, temporal_cutoff, time_period;  // 4D scenes
    int time_color_degree, time_color_stride;  // 4D colour: frequencies D, floats per Gaussian D * C * 3
    int antialias, temporal, sh_degree, sh_rest_stride, grid_x, grid_y;
};

// What the preprocess keeps of a visible Gaussian: one 64-byte record, read by emission and blending.
struct alignas(64) Splat {
    Vec2 mean;  // pixel-centre coordinates
    Sym2 conic;
    float opacity;  // activated, times the temporal marginal and the anti-aliasing compensation
    Vec3 color;
    float depth;      // camera-space z
    float limit;      // squared Mahalanobis distance of the 1/255 contour
    Vec2 extent;      // half-widths of the box around that contour, in pixels
    int16_t rect[4];  // tile rectangle x0, y0, x1, y1 (the reference's 3-sigma rectangle)
};

// Calls visit(tile_x, tile_y) for every tile of the splat's rectangle that its 1/255 contour reaches,
// row by row, left to right.
template <typename Visit>
GLINT_HD inline void for_each_tile(const Splat& splat, Visit visit) {
    for (int ty = splat.rect[1]; ty < splat.rect[3]; ++ty) {
        int first = 0, last = -1;
        if (!ellipse_row_span(splat.conic, splat.mean, splat.limit, ty, first, last)) continue;
        first = first > splat.rect[0] ? first : splat.rect[0];
        last = last < splat.rect[2] - 1 ? last : splat.rect[2] - 1;
        for (int tx = first; tx <= last; ++tx) visit(tx, ty);
    }
}

// Preprocesses Gaussian i into `out`; returns the number of tiles it touches, 0 when it is culled (behind
// the near plane, outside its time, singular, invisible at 1/255, or off screen).
GLINT_HD inline uint32_t preprocess_gaussian(const GaussianArrays& g, const FrameParams& f, uint32_t i,
                                             Splat& out) {
    if (g.keep != nullptr && g.keep[i] == 0) return 0;
    Vec3 world{g.positions[3 * i], g.positions[3 * i + 1], g.positions[3 * i + 2]};
    const float* log_scale = g.log_scales + 3 * i;
    const float* q = g.rotations + 4 * i;
    Sym3 cov3;
    float temporal = 1.0f;  // 4D: the temporal marginal at f.time
    if (f.temporal) {
        const float scale4[4] = {expf(log_scale[0]), expf(log_scale[1]), expf(log_scale[2]),
                                 expf(g.log_time_scales[i])};
        const Mat4 cov4 = covariance_4d(scale4, rotation_4d(q, g.rotations_right + 4 * i));
        if (!slice_4d(cov4, world, g.time_means[i], f.time, world, cov3, temporal)) return 0;
        if (!(temporal >= f.temporal_cutoff) || !(temporal > 0.0f)) return 0;
    } else {
        const Vec3 scale{expf(log_scale[0]), expf(log_scale[1]), expf(log_scale[2])};
        cov3 = covariance_3d(scale, quaternion_to_rotation(q[0], q[1], q[2], q[3]));
    }
    Vec3 view = mul(f.view_rotation, world);
    view = {view.x + f.view_translation.x, view.y + f.view_translation.y, view.z + f.view_translation.z};
    if (!(view.z > f.near_plane)) return 0;
    Sym2 cov2 = project_covariance(cov3, f.view_rotation, view, f.fx, f.fy, f.tan_fov_x, f.tan_fov_y);
    const float opacity = sigmoid(g.opacity_logits[i]) * temporal * apply_low_pass(cov2, f.antialias != 0);
    Sym2 conic{0.0f, 0.0f, 0.0f};
    if (!invert(cov2, conic)) return 0;
    const float limit = visible_mahalanobis2(opacity);
    if (!(limit >= 0.0f)) return 0;  // can never reach alpha 1/255
    const Vec2 center{f.fx * view.x / view.z + f.cx, f.fy * view.y / view.z + f.cy};
    const float radius = reference_radius(cov2);
    if (radius < f.min_radius) return 0;
    int rect_min[2], rect_max[2];
    tile_rect(center, radius, f.grid_x, f.grid_y, rect_min, rect_max);
    out.mean = center;
    out.conic = conic;
    out.limit = limit;
    for (int k = 0; k < 2; ++k) {
        out.rect[k] = static_cast<int16_t>(rect_min[k]);
        out.rect[2 + k] = static_cast<int16_t>(rect_max[k]);
    }
    uint32_t count = 0;
    for_each_tile(out, [&](int, int) { ++count; });
    if (count == 0) return 0;
    const Vec3 dir = world - f.camera_position;
    const float inv_length = 1.0f / sqrtf(max_f(dot(dir, dir), 1e-30f));
    const Vec3 unit{dir.x * inv_length, dir.y * inv_length, dir.z * inv_length};
    const float* rest = g.sh_rest + static_cast<uint64_t>(f.sh_rest_stride) * i;
    if (f.time_color_degree > 0)
        out.color = sh_to_color_4d(f.sh_degree, g.sh_dc + 3 * i, rest, f.time_color_degree,
                                   g.time_color + static_cast<uint64_t>(f.time_color_stride) * i,
                                   f.time_color_stride / f.time_color_degree, f.time - g.time_means[i],
                                   f.time_period, unit);
    else
        out.color = sh_to_color(f.sh_degree, g.sh_dc + 3 * i, rest, unit);
    out.opacity = opacity;
    out.depth = view.z;
    out.extent = contour_half_extent(conic, limit);
    return count;
}

}  // namespace glint::splatting::raster
