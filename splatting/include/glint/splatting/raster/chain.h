// The backward pass's per-Gaussian step, shared by the CPU backend and the CUDA kernel: a visible
// Gaussian's splat gradients (screen mean, conic, opacity, colour) through gradients.h's 3D chain or
// gradients_4d.h's 4D chain to its raw parameters, added to the gradient arrays. GLINT_HD, no STL.
#pragma once

#include <stddef.h>

#include "glint/splatting/raster/gradients.h"
#include "glint/splatting/raster/gradients_4d.h"
#include "glint/splatting/raster/preprocess.h"

namespace glint::splatting::raster {

// Gradients shaped as the cloud's arrays (GaussianArrays), added to; the 4D ones null for a 3D cloud.
struct GradientArrays {
    float *positions, *log_scales, *rotations, *opacity_logits, *sh_dc, *sh_rest;
    float* mean2d_norm;  // [N] |dL/d screen mean| in normalized device units (pixels times W/2, H/2)
    float *time_means, *log_time_scales, *rotations_right, *time_color;
};

// What every Gaussian's chain shares in one frame.
struct ChainFrame {
    View3<float> view;
    View4<float> view4;  // 4D clouds: the view at the frame's time
    float near_plane, half_w, half_h;
    int rest_stride;  // floats of sh_rest per Gaussian
    int time_stride;  // floats of time_color per Gaussian (0 without)
};

// The [9] splat gradients as the chain takes them.
GLINT_HD inline ProjectedGradient<float> splat_gradient(const float* s) {
    return {{s[0], s[1]}, {s[2], s[3], s[4]}, s[5], {s[6], s[7], s[8]}};
}

GLINT_HD inline float mean2d_norm(const float* s, const ChainFrame& f) {
    return sqrtf(s[0] * f.half_w * s[0] * f.half_w + s[1] * f.half_h * s[1] * f.half_h);
}

// Gaussian i of a 3D cloud, its splat gradients `s` [9].
GLINT_HD inline void chain_gaussian(const GaussianArrays& g, const ChainFrame& f, size_t i, const float* s,
                                    const GradientArrays& o) {
    const size_t rest = static_cast<size_t>(f.rest_stride);
    Gaussian3<float> gaussian{};
    for (int k = 0; k < 3; ++k) {
        gaussian.position[k] = g.positions[3 * i + k];
        gaussian.log_scale[k] = g.log_scales[3 * i + k];
    }
    for (int k = 0; k < 4; ++k) gaussian.rotation[k] = g.rotations[4 * i + k];
    gaussian.opacity_logit = g.opacity_logits[i];
    gaussian.sh_dc = g.sh_dc + 3 * i;
    gaussian.sh_rest = g.sh_rest + rest * i;
    Projected<float> p;
    if (!project_gaussian(gaussian, f.view, f.near_plane, p)) return;
    GaussianGradient<float> out{};
    out.sh_dc = o.sh_dc + 3 * i;
    out.sh_rest = o.sh_rest + rest * i;
    project_gaussian_backward(gaussian, f.view, p, splat_gradient(s), out);
    for (int k = 0; k < 3; ++k) {
        o.positions[3 * i + k] += out.position[k];
        o.log_scales[3 * i + k] += out.log_scale[k];
    }
    for (int k = 0; k < 4; ++k) o.rotations[4 * i + k] += out.rotation[k];
    o.opacity_logits[i] += out.opacity_logit;
    o.mean2d_norm[i] += mean2d_norm(s, f);
}

// Gaussian i of a 4D cloud, sliced at f.view4's time.
GLINT_HD inline void chain_gaussian_4d(const GaussianArrays& g, const ChainFrame& f, size_t i, const float* s,
                                       const GradientArrays& o) {
    const size_t rest = static_cast<size_t>(f.rest_stride), time = static_cast<size_t>(f.time_stride);
    Gaussian4<float> gaussian{};
    for (int k = 0; k < 3; ++k) {
        gaussian.position[k] = g.positions[3 * i + k];
        gaussian.log_scale[k] = g.log_scales[3 * i + k];
    }
    for (int k = 0; k < 4; ++k) {
        gaussian.left[k] = g.rotations[4 * i + k];
        gaussian.right[k] = g.rotations_right[4 * i + k];
    }
    gaussian.time_mean = g.time_means[i];
    gaussian.log_time_scale = g.log_time_scales[i];
    gaussian.opacity_logit = g.opacity_logits[i];
    gaussian.sh_dc = g.sh_dc + 3 * i;
    gaussian.sh_rest = g.sh_rest + rest * i;
    gaussian.time_color = time > 0 ? g.time_color + time * i : nullptr;
    Projected4<float> p;
    if (!project_gaussian_4d(gaussian, f.view4, f.near_plane, p)) return;
    Gaussian4Gradient<float> out{};
    out.sh_dc = o.sh_dc + 3 * i;
    out.sh_rest = o.sh_rest + rest * i;
    out.time_color = time > 0 ? o.time_color + time * i : nullptr;
    project_gaussian_4d_backward(gaussian, f.view4, p, splat_gradient(s), out);
    for (int k = 0; k < 3; ++k) {
        o.positions[3 * i + k] += out.position[k];
        o.log_scales[3 * i + k] += out.log_scale[k];
    }
    for (int k = 0; k < 4; ++k) {
        o.rotations[4 * i + k] += out.left[k];
        o.rotations_right[4 * i + k] += out.right[k];
    }
    o.time_means[i] += out.time_mean;
    o.log_time_scales[i] += out.log_time_scale;
    o.opacity_logits[i] += out.opacity_logit;
    o.mean2d_norm[i] += mean2d_norm(s, f);
}

}  // namespace glint::splatting::raster
