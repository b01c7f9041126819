// Per-Gaussian parameter activations, shared by the CPU backend and CUDA kernels (GLINT_HD, no STL).
#pragma once

#include <math.h>

#include "glint/core/hd.h"

namespace glint::splatting {

// Degree-0 real spherical-harmonic constant, 1 / (2 sqrt(pi)).
inline constexpr float kShC0 = 0.28209479177387814f;

GLINT_HD inline float sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}
GLINT_HD inline float logit(float p) {
    return logf(p / (1.0f - p));
}

// Colour of the DC term alone, before the clamp at zero the renderer applies.
GLINT_HD inline float sh_dc_to_color(float dc) {
    return 0.5f + kShC0 * dc;
}
GLINT_HD inline float color_to_sh_dc(float color) {
    return (color - 0.5f) / kShC0;
}

// Normalizes a (w, x, y, z) quaternion in place. A zero quaternion (degenerate in the file) becomes the
// identity rotation, as normalizing it would give NaN.
GLINT_HD inline void normalize_quaternion(float q[4]) {
    const float norm2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
    if (!(norm2 > 0.0f)) {
        q[0] = 1.0f;
        q[1] = q[2] = q[3] = 0.0f;
        return;
    }
    const float inv = 1.0f / sqrtf(norm2);
    for (int k = 0; k < 4; ++k) q[k] *= inv;
}

// Activated parameters of one Gaussian: scales = exp(log_scales), unit rotation, opacity = sigmoid(logit).
GLINT_HD inline void activate_gaussian(const float* log_scale,  // [3]
                                       const float* rotation,   // [4]
                                       float opacity_logit,
                                       float* scale_out,     // [3]
                                       float* rotation_out,  // [4]
                                       float* opacity_out) {
    for (int k = 0; k < 3; ++k) scale_out[k] = expf(log_scale[k]);
    for (int k = 0; k < 4; ++k) rotation_out[k] = rotation[k];
    normalize_quaternion(rotation_out);
    *opacity_out = sigmoid(opacity_logit);
}

}  // namespace glint::splatting
