// Per-sample and per-ray math of the hash-grid NeRF, shared by the CPU code, the CUDA kernels and the
// tests (GLINT_HD inline functions, no STL): the degree-4 spherical-harmonics encoding of a view
// direction, the density and colour activations, the ray-box intersection, and volume rendering with its
// backward pass, templated on the scalar so that the gradient tests run it in double.
#pragma once

#include <math.h>

#include "glint/core/hd.h"

namespace glint::nerf {

inline constexpr int kShDirWidth = 16;  // degree 4: 1 + 3 + 5 + 7 coefficients

// The real SH basis up to degree 4 (l = 0..3, 16 values) of a unit direction, as Instant-NGP's
// "SphericalHarmonics" encoding of degree 4 (the constants of the standard real basis).
GLINT_HD inline void sh_encode_direction(float x, float y, float z, float* out) {
    const float xy = x * y, xz = x * z, yz = y * z, x2 = x * x, y2 = y * y, z2 = z * z;
    out[0] = 0.28209479177387814f;
    out[1] = -0.48860251190291987f * y;
    out[2] = 0.48860251190291987f * z;
    out[3] = -0.48860251190291987f * x;
    out[4] = 1.0925484305920792f * xy;
    out[5] = -1.0925484305920792f * yz;
    out[6] = 0.94617469575755997f * z2 - 0.31539156525251999f;
    out[7] = -1.0925484305920792f * xz;
    out[8] = 0.54627421529603959f * (x2 - y2);
    out[9] = 0.59004358992664352f * y * (-3.0f * x2 + y2);
    out[10] = 2.8906114426405538f * xy * z;
    out[11] = 0.45704579946446572f * y * (1.0f - 5.0f * z2);
    out[12] = 0.3731763325901154f * z * (5.0f * z2 - 3.0f);
    out[13] = 0.45704579946446572f * x * (1.0f - 5.0f * z2);
    out[14] = 1.4453057213202769f * z * (x2 - y2);
    out[15] = 0.59004358992664352f * x * (-x2 + 3.0f * y2);
}

// Density from the density network's first output: Instant-NGP's truncated exponential, exp(raw) forward
// (capped far above any useful density, to stay finite) and exp(clamp(raw, -15, 15)) as its derivative,
// which keeps early steps' gradients bounded without ever zeroing them (a zero gradient above the cap
// would freeze a density that overshot).
inline constexpr float kMaxLogDensity = 15.0f;
GLINT_HD inline float density_activation(float raw) {
    return expf(raw < 30.0f ? raw : 30.0f);
}
GLINT_HD inline float density_derivative(float raw) {
    return expf(raw < -kMaxLogDensity ? -kMaxLogDensity : (raw > kMaxLogDensity ? kMaxLogDensity : raw));
}
GLINT_HD inline float sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}
// Colour from the colour network's outputs: a sigmoid widened by 1e-3 on each side (as mip-NeRF does),
// so that the 0 and 1 of white or black backgrounds are reached at finite outputs. A plain sigmoid
// drives those outputs towards infinity, where its derivative vanishes and a colour that flips sign
// stays wrong for good.
inline constexpr float kColourMargin = 1e-3f;
GLINT_HD inline float colour_activation(float raw) {
    return sigmoid(raw) * (1.0f + 2.0f * kColourMargin) - kColourMargin;
}
GLINT_HD inline float colour_derivative(float raw) {
    const float s = sigmoid(raw);
    return (1.0f + 2.0f * kColourMargin) * s * (1.0f - s);
}

// Where the ray o + t d is inside the box [lo, hi]: t in [t_near, t_far] (t_near > t_far: misses).
GLINT_HD inline void ray_box(const float o[3], const float d[3], const float lo[3], const float hi[3],
                             float& t_near, float& t_far) {
    t_near = 0.0f;
    t_far = 3.4e38f;
    for (int k = 0; k < 3; ++k) {
        const float inv = 1.0f / d[k];  // d[k] = 0 gives +-inf, which the comparisons handle
        float a = (lo[k] - o[k]) * inv, b = (hi[k] - o[k]) * inv;
        if (a > b) {
            const float s = a;
            a = b;
            b = s;
        }
        if (!(a <= t_far) || !(b >= t_near)) {  // also catches NaN from 0 * inf
            if (d[k] == 0.0f && o[k] >= lo[k] && o[k] <= hi[k]) continue;
            t_near = 1.0f;
            t_far = 0.0f;
            return;
        }
        t_near = a > t_near ? a : t_near;
        t_far = b < t_far ? b : t_far;
    }
}

// The fraction of a step by which pixel (x, y)'s samples are shifted when rendering: the R2
// low-discrepancy sequence over the pixels (neighbours get well-spread shifts, so what remains of the
// aliasing is fine-grained noise rather than bands).
GLINT_HD inline float pixel_jitter(int x, int y) {
    const float v =
        0.5f + 0.75487766624669276f * static_cast<float>(x) + 0.56984029099805327f * static_cast<float>(y);
    return v - floorf(v);
}

// Samples whose transmittance falls below this end a ray (Instant-NGP and the 3DGS reference: 1e-4).
inline constexpr float kMinTransmittance = 1e-4f;

// One sample composited into a ray, front to back: alpha = 1 - exp(-sigma dt), returns its weight
// T alpha and takes the transmittance T on to T (1 - alpha). A ray ends after the sample that takes T
// below kMinTransmittance. The one compositing step of the CPU and CUDA renderers (which composite a
// round of samples at a time), composite_ray and opaque_prefix.
template <typename T>
GLINT_HD inline T composite_sample(T sigma, T dt, T& transmittance) {
    const T alpha = T(1) - exp(-sigma * dt);
    const T weight = transmittance * alpha;
    transmittance *= T(1) - alpha;
    return weight;
}

// How many of a ray's n samples composite_ray uses: up to and including the one that takes the
// transmittance below kMinTransmittance (the same arithmetic, so the counts agree exactly). Training
// shades and back-propagates only these (compaction of live samples).
template <typename T>
GLINT_HD int opaque_prefix(int n, const T* sigma, const T* dt) {
    T transmittance = T(1);
    int used = 0;
    while (used < n) {
        composite_sample(sigma[used], dt[used], transmittance);
        ++used;
        if (transmittance < T(kMinTransmittance)) break;
    }
    return used;
}

// Volume rendering of one ray's samples, front to back: alpha_i = 1 - exp(-sigma_i dt_i), weight
// w_i = T_i alpha_i with T_i = prod_{j<i} (1 - alpha_j), colour sum_i w_i c_i + T_n background. Stops
// after the sample that takes T below kMinTransmittance; returns how many samples were used (the rest are
// dropped: compaction). `depth` (may be null) gets sum_i w_i t_i, `opacity` 1 - T_n.
template <typename T>
GLINT_HD int composite_ray(int n, const T* sigma, const T* rgb, const T* dt, const T* t,
                           const T background[3], T colour[3], T& opacity, T* depth) {
    T transmittance = T(1), c[3] = {T(0), T(0), T(0)}, d = T(0);
    int used = 0;
    while (used < n) {
        const T w = composite_sample(sigma[used], dt[used], transmittance);
        for (int k = 0; k < 3; ++k) c[k] += w * rgb[3 * used + k];
        if (t != nullptr) d += w * t[used];
        ++used;
        if (transmittance < T(kMinTransmittance)) break;
    }
    for (int k = 0; k < 3; ++k) colour[k] = c[k] + transmittance * background[k];
    opacity = T(1) - transmittance;
    if (depth != nullptr) *depth = d;
    return used;
}

// The backward pass of composite_ray over its `used` samples, from dL/d colour: dL/d sigma_i and
// dL/d c_i (rgb order as above). With R_i = sum_{j>i} w_j c_j + T_n background (what lies behind sample
// i), dC/dc_i = w_i and dC/d sigma_i = dt_i (T_{i+1} c_i - R_i). R_i is summed from the back (no
// difference of two near-equal colours, which in float turns into noise once a ray is opaque).
template <typename T>
GLINT_HD void composite_ray_backward(int used, const T* sigma, const T* rgb, const T* dt,
                                     const T background[3], const T grad_colour[3], T* grad_sigma,
                                     T* grad_rgb) {
    T depth = T(0);  // optical depth sum_j sigma_j dt_j over the used samples
    for (int i = 0; i < used; ++i) depth += sigma[i] * dt[i];
    T behind[3];
    const T t_end = exp(-depth);
    for (int k = 0; k < 3; ++k) behind[k] = t_end * background[k];
    for (int i = used - 1; i >= 0; --i) {
        const T after = exp(-depth);  // T_{i+1}
        depth -= sigma[i] * dt[i];
        if (depth < T(0)) depth = T(0);
        const T w = exp(-depth) * (T(1) - exp(-sigma[i] * dt[i]));
        T g = T(0);
        for (int k = 0; k < 3; ++k) {
            grad_rgb[3 * i + k] = grad_colour[k] * w;
            g += grad_colour[k] * (after * rgb[3 * i + k] - behind[k]);
            behind[k] += w * rgb[3 * i + k];
        }
        grad_sigma[i] = g * dt[i];
    }
}

}  // namespace glint::nerf
