// The differentiable per-Gaussian chain of the 3D rasterizer and its vector-Jacobian products: raw
// parameters (position, log-scale, quaternion, opacity logit, SH) -> screen mean, conic, opacity, colour,
// and back. Templated on the scalar so that the tests check every gradient against central finite
// differences in double precision, while the training backward pass runs it in float. GLINT_HD, no STL.
//
// The forward half computes what preprocess_gaussian computes for a 3D Gaussian without anti-aliasing
// (a test holds them equal); derivatives are exact, including where the reference's are not: a clamped
// Jacobian tangent contributes its true derivative in z, and a clamped colour or alpha none.
#pragma once

#include "glint/splatting/raster/raster_math.h"

namespace glint::splatting::raster {

template <typename T>
struct Gaussian3 {  // raw parameters of one 3D Gaussian
    T position[3], log_scale[3], rotation[4], opacity_logit;
    const T* sh_dc;    // [3]
    const T* sh_rest;  // [K, 3]
};

template <typename T>
struct View3 {  // what the chain needs of the camera
    T rotation[3][3], translation[3], position[3];
    T fx, fy, cx, cy, tan_fov_x, tan_fov_y;
    int sh_degree;
};

// What blending reads of a Gaussian.
template <typename T>
struct Projected {
    T mean[2];
    T conic[3];  // a, b, c of [[a, b], [b, c]]
    T opacity;
    T color[3];
    T depth;
    // Intermediates the backward pass reuses.
    T view[3], scale[3], r[3][3], q[4], q_norm, cov2[3], dir[3], dir_norm, sh[3];
    bool clamped_x, clamped_y;
};

template <typename T>
GLINT_HD inline T sqrt_t(T x) {
    return sqrt(x);
}
template <>
GLINT_HD inline float sqrt_t<float>(float x) {
    return sqrtf(x);
}
template <typename T>
GLINT_HD inline T cos_t(T x) {
    return cos(x);
}
template <>
GLINT_HD inline float cos_t<float>(float x) {
    return cosf(x);
}
template <typename T>
GLINT_HD inline T sin_t(T x) {
    return sin(x);
}
template <>
GLINT_HD inline float sin_t<float>(float x) {
    return sinf(x);
}
template <typename T>
GLINT_HD inline T exp_t(T x) {
    return exp(x);
}
template <>
GLINT_HD inline float exp_t<float>(float x) {
    return expf(x);
}

// SH basis values Y_k(dir) for k = 1..15 (the DC basis is kSh0), written to basis[0..14].
template <typename T>
GLINT_HD inline void sh_basis(int degree, const T dir[3], T basis[15]) {
    const T x = dir[0], y = dir[1], z = dir[2];
    if (degree < 1) return;
    basis[0] = -T(kSh1) * y;
    basis[1] = T(kSh1) * z;
    basis[2] = -T(kSh1) * x;
    if (degree < 2) return;
    const T xx = x * x, yy = y * y, zz = z * z;
    basis[3] = T(kSh2a) * x * y;
    basis[4] = T(kSh2b) * y * z;
    basis[5] = T(kSh2c) * (T(2) * zz - xx - yy);
    basis[6] = T(kSh2d) * x * z;
    basis[7] = T(kSh2e) * (xx - yy);
    if (degree < 3) return;
    basis[8] = T(kSh3a) * y * (T(3) * xx - yy);
    basis[9] = T(kSh3b) * x * y * z;
    basis[10] = T(kSh3c) * y * (T(4) * zz - xx - yy);
    basis[11] = T(kSh3d) * z * (T(2) * zz - T(3) * xx - T(3) * yy);
    basis[12] = T(kSh3e) * x * (T(4) * zz - xx - yy);
    basis[13] = T(kSh3f) * z * (xx - yy);
    basis[14] = T(kSh3g) * x * (xx - T(3) * yy);
}

// d basis[k] / d dir, as rows grad[k][0..2].
template <typename T>
GLINT_HD inline void sh_basis_gradient(int degree, const T dir[3], T grad[15][3]) {
    const T x = dir[0], y = dir[1], z = dir[2];
    for (int k = 0; k < 15; ++k) grad[k][0] = grad[k][1] = grad[k][2] = T(0);
    if (degree < 1) return;
    grad[0][1] = -T(kSh1);
    grad[1][2] = T(kSh1);
    grad[2][0] = -T(kSh1);
    if (degree < 2) return;
    const T xx = x * x, yy = y * y, zz = z * z;
    grad[3][0] = T(kSh2a) * y, grad[3][1] = T(kSh2a) * x;
    grad[4][1] = T(kSh2b) * z, grad[4][2] = T(kSh2b) * y;
    grad[5][0] = -T(2) * T(kSh2c) * x, grad[5][1] = -T(2) * T(kSh2c) * y, grad[5][2] = T(4) * T(kSh2c) * z;
    grad[6][0] = T(kSh2d) * z, grad[6][2] = T(kSh2d) * x;
    grad[7][0] = T(2) * T(kSh2e) * x, grad[7][1] = -T(2) * T(kSh2e) * y;
    if (degree < 3) return;
    grad[8][0] = T(kSh3a) * T(6) * x * y, grad[8][1] = T(kSh3a) * (T(3) * xx - T(3) * yy);
    grad[9][0] = T(kSh3b) * y * z, grad[9][1] = T(kSh3b) * x * z, grad[9][2] = T(kSh3b) * x * y;
    grad[10][0] = T(kSh3c) * (-T(2) * x * y), grad[10][1] = T(kSh3c) * (T(4) * zz - xx - T(3) * yy),
    grad[10][2] = T(kSh3c) * T(8) * y * z;
    grad[11][0] = T(kSh3d) * (-T(6) * x * z), grad[11][1] = T(kSh3d) * (-T(6) * y * z),
    grad[11][2] = T(kSh3d) * (T(6) * zz - T(3) * xx - T(3) * yy);
    grad[12][0] = T(kSh3e) * (T(4) * zz - T(3) * xx - yy), grad[12][1] = T(kSh3e) * (-T(2) * x * y),
    grad[12][2] = T(kSh3e) * T(8) * x * z;
    grad[13][0] = T(kSh3f) * T(2) * x * z, grad[13][1] = -T(kSh3f) * T(2) * y * z,
    grad[13][2] = T(kSh3f) * (xx - yy);
    grad[14][0] = T(kSh3g) * (T(3) * xx - T(3) * yy), grad[14][1] = T(kSh3g) * (-T(6) * x * y);
}

// Time-varying colour of a 4D Gaussian (sh_to_color_4d): frequencies 1..degree of `block` floats each
// ([C, 3], DC first) weighted by cos(2 pi k dt / period). Absent (degree 0) for 3D Gaussians.
template <typename T>
struct TimeColour {
    const T* coefficients = nullptr;  // [degree, block]
    int degree = 0, block = 0;
    T dt = T(0), period = T(1);
};

// The screen half of the chain, shared by 3D and 4D Gaussians: a world-space mean and covariance to the
// view-space mean, screen mean, depth and (low-passed) 2D covariance and conic. False where
// preprocess_gaussian culls for a reason other than the screen (behind `near`, singular).
template <typename T>
GLINT_HD inline bool project_mean_covariance(const T mean[3], const T sigma[3][3], const View3<T>& v, T near,
                                             Projected<T>& p) {
    for (int i = 0; i < 3; ++i)
        p.view[i] = v.rotation[i][0] * mean[0] + v.rotation[i][1] * mean[1] + v.rotation[i][2] * mean[2] +
                    v.translation[i];
    const T z = p.view[2];
    if (!(z > near)) return false;
    p.mean[0] = v.fx * p.view[0] / z + v.cx;
    p.mean[1] = v.fy * p.view[1] / z + v.cy;
    p.depth = z;
    T t[2][3], tx, ty;
    ewa_transform(v.rotation, v.fx, v.fy, v.tan_fov_x, v.tan_fov_y, p.view, t, tx, ty, p.clamped_x,
                  p.clamped_y);
    ewa_covariance(t, sigma, p.cov2);
    p.cov2[0] += T(kLowPassVariance);
    p.cov2[2] += T(kLowPassVariance);
    const T det = p.cov2[0] * p.cov2[2] - p.cov2[1] * p.cov2[1];
    if (det == T(0)) return false;
    p.conic[0] = p.cov2[2] / det;
    p.conic[1] = -p.cov2[1] / det;
    p.conic[2] = p.cov2[0] / det;
    return true;
}

// Colour from SH (and the time terms, when given), seen along camera -> `mean`.
template <typename T>
GLINT_HD inline void shade(const T mean[3], const T* dc, const T* rest, const TimeColour<T>& time,
                           const View3<T>& v, Projected<T>& p) {
    T d[3];
    for (int i = 0; i < 3; ++i) d[i] = mean[i] - v.position[i];
    const T dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    p.dir_norm = sqrt_t(dd > T(1e-30) ? dd : T(1e-30));
    for (int i = 0; i < 3; ++i) p.dir[i] = d[i] / p.dir_norm;
    T basis[15];
    sh_basis(v.sh_degree, p.dir, basis);
    const int count = (v.sh_degree + 1) * (v.sh_degree + 1) - 1;
    for (int c = 0; c < 3; ++c) {
        T sum = T(kSh0) * dc[c];
        for (int k = 0; k < count; ++k) sum += basis[k] * rest[3 * k + c];
        for (int f = 1; f <= time.degree; ++f) {
            const T* block = time.coefficients + (f - 1) * time.block;
            T part = T(kSh0) * block[c];
            for (int k = 0; k < count; ++k) part += basis[k] * block[3 + 3 * k + c];
            sum += cos_t(T(6.283185307179586) * T(f) * time.dt / time.period) * part;
        }
        p.sh[c] = sum + T(0.5);
        p.color[c] = p.sh[c] > T(0) ? p.sh[c] : T(0);
    }
}

// The forward chain of a 3D Gaussian. Returns false where preprocess_gaussian culls for a reason other
// than the screen (behind the near plane `near`, singular 2D covariance).
template <typename T>
GLINT_HD inline bool project_gaussian(const Gaussian3<T>& g, const View3<T>& v, T near, Projected<T>& p) {
    // Rotation and scale -> world covariance M M^T with M = R S.
    const T qq = g.rotation[0] * g.rotation[0] + g.rotation[1] * g.rotation[1] +
                 g.rotation[2] * g.rotation[2] + g.rotation[3] * g.rotation[3];
    p.q_norm = sqrt_t(qq);
    for (int i = 0; i < 4; ++i) p.q[i] = g.rotation[i] / p.q_norm;
    unit_quaternion_rotation(p.q[0], p.q[1], p.q[2], p.q[3], p.r);
    for (int i = 0; i < 3; ++i) p.scale[i] = exp_t(g.log_scale[i]);
    T sigma[3][3];
    world_covariance(p.r, p.scale, sigma);
    if (!project_mean_covariance(g.position, sigma, v, near, p)) return false;
    p.opacity = T(1) / (T(1) + exp_t(-g.opacity_logit));
    shade(g.position, g.sh_dc, g.sh_rest, TimeColour<T>{}, v, p);
    return true;
}

// Gradients of the loss with respect to what blending read, in.
template <typename T>
struct ProjectedGradient {
    T mean[2], conic[3], opacity, color[3];
};

// Gradients with respect to the raw parameters, out (added to, not overwritten).
template <typename T>
struct GaussianGradient {
    T position[3], log_scale[3], rotation[4], opacity_logit;
    T* sh_dc;    // [3]
    T* sh_rest;  // [K, 3]
};

// shade's backward: into the SH (and time colour) coefficients (added to `v_dc`, `v_rest`, `v_time`),
// the mean (added to `v_mean`, through the viewing direction) and the time offset (returned).
template <typename T>
GLINT_HD inline T shade_backward(const T* rest, const TimeColour<T>& time, const View3<T>& v,
                                 const Projected<T>& p, const T v_color[3], T* v_dc, T* v_rest, T* v_time,
                                 T v_mean[3]) {
    T v_sum[3];
    for (int c = 0; c < 3; ++c) v_sum[c] = p.sh[c] > T(0) ? v_color[c] : T(0);
    T basis[15], basis_grad[15][3];
    sh_basis(v.sh_degree, p.dir, basis);
    sh_basis_gradient(v.sh_degree, p.dir, basis_grad);
    const int count = (v.sh_degree + 1) * (v.sh_degree + 1) - 1;
    T v_dir[3] = {T(0), T(0), T(0)};
    for (int c = 0; c < 3; ++c) v_dc[c] += T(kSh0) * v_sum[c];
    for (int k = 0; k < count; ++k) {
        T along = T(0);
        for (int c = 0; c < 3; ++c) {
            v_rest[3 * k + c] += basis[k] * v_sum[c];
            along += rest[3 * k + c] * v_sum[c];
        }
        for (int i = 0; i < 3; ++i) v_dir[i] += basis_grad[k][i] * along;
    }
    T v_dt = T(0);
    for (int f = 1; f <= time.degree; ++f) {
        const T* block = time.coefficients + (f - 1) * time.block;
        T* v_block = v_time + (f - 1) * time.block;
        const T phase = T(6.283185307179586) * T(f) / time.period;
        const T weight = cos_t(phase * time.dt);
        T part_along = T(0);  // d loss / d weight
        for (int c = 0; c < 3; ++c) {
            v_block[c] += weight * T(kSh0) * v_sum[c];
            part_along += T(kSh0) * block[c] * v_sum[c];
        }
        for (int k = 0; k < count; ++k) {
            T along = T(0);
            for (int c = 0; c < 3; ++c) {
                v_block[3 + 3 * k + c] += weight * basis[k] * v_sum[c];
                along += block[3 + 3 * k + c] * v_sum[c];
            }
            part_along += basis[k] * along;
            for (int i = 0; i < 3; ++i) v_dir[i] += weight * basis_grad[k][i] * along;
        }
        v_dt += -sin_t(phase * time.dt) * phase * part_along;
    }
    const T dir_dot = v_dir[0] * p.dir[0] + v_dir[1] * p.dir[1] + v_dir[2] * p.dir[2];
    for (int i = 0; i < 3; ++i) v_mean[i] += (v_dir[i] - p.dir[i] * dir_dot) / p.dir_norm;
    return v_dt;
}

// project_mean_covariance's backward: the screen mean and conic's gradients into the world mean (added to
// `v_mean`) and the world covariance (`v_sigma`, written; a full-matrix gradient).
template <typename T>
GLINT_HD inline void project_mean_covariance_backward(const T sigma[3][3], const View3<T>& v,
                                                      const Projected<T>& p, const ProjectedGradient<T>& in,
                                                      T v_mean[3], T v_sigma[3][3]) {
    // --- conic -> 2D covariance (conic = (c, -b, a) / det) ---------------------------------------------
    const T a = p.cov2[0], b = p.cov2[1], c = p.cov2[2];
    const T det = a * c - b * b, det2 = det * det;
    const T v_ca = in.conic[0], v_cb = in.conic[1], v_cc = in.conic[2];
    const T v_a = v_ca * (-c * c / det2) + v_cb * (b * c / det2) + v_cc * (T(1) / det - a * c / det2);
    const T v_b = v_ca * (T(2) * b * c / det2) + v_cb * (-T(1) / det - T(2) * b * b / det2) +
                  v_cc * (T(2) * a * b / det2);
    const T v_c = v_ca * (T(1) / det - c * a / det2) + v_cb * (b * a / det2) + v_cc * (-a * a / det2);
    // As a symmetric matrix gradient (b appears twice in the matrix).
    const T gm[2][2] = {{v_a, v_b / T(2)}, {v_b / T(2), v_c}};

    // --- 2D covariance = T Sigma T^T (+ low-pass) ------------------------------------------------------
    const T z = p.view[2];
    T t[2][3], tx, ty;
    bool clamped_x, clamped_y;
    ewa_transform(v.rotation, v.fx, v.fy, v.tan_fov_x, v.tan_fov_y, p.view, t, tx, ty, clamped_x, clamped_y);
    // v_Sigma = T^T G T; v_T = 2 G T Sigma.
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            T s = T(0);
            for (int m = 0; m < 2; ++m)
                for (int n = 0; n < 2; ++n) s += t[m][i] * gm[m][n] * t[n][j];
            v_sigma[i][j] = s;
        }
    T gt[2][3], v_t[2][3];
    for (int m = 0; m < 2; ++m)
        for (int k = 0; k < 3; ++k) gt[m][k] = gm[m][0] * t[0][k] + gm[m][1] * t[1][k];
    for (int m = 0; m < 2; ++m)
        for (int k = 0; k < 3; ++k)
            v_t[m][k] = T(2) * (gt[m][0] * sigma[0][k] + gt[m][1] * sigma[1][k] + gt[m][2] * sigma[2][k]);
    // T = J W: the four non-zero entries of J.
    T v_j00 = T(0), v_j02 = T(0), v_j11 = T(0), v_j12 = T(0);
    for (int k = 0; k < 3; ++k) {
        v_j00 += v_t[0][k] * v.rotation[0][k];
        v_j02 += v_t[0][k] * v.rotation[2][k];
        v_j11 += v_t[1][k] * v.rotation[1][k];
        v_j12 += v_t[1][k] * v.rotation[2][k];
    }
    // J entries as functions of the view-space mean (x, y, z).
    T v_view[3] = {T(0), T(0), T(0)};
    const T z2 = z * z, z3 = z2 * z;
    v_view[2] += v_j00 * (-v.fx / z2) + v_j11 * (-v.fy / z2);
    if (p.clamped_x) {
        v_view[2] += v_j02 * (v.fx * tx / z2);  // j02 = -fx lim / z
    } else {
        v_view[0] += v_j02 * (-v.fx / z2);
        v_view[2] += v_j02 * (T(2) * v.fx * p.view[0] / z3);
    }
    if (p.clamped_y) {
        v_view[2] += v_j12 * (v.fy * ty / z2);
    } else {
        v_view[1] += v_j12 * (-v.fy / z2);
        v_view[2] += v_j12 * (T(2) * v.fy * p.view[1] / z3);
    }

    // --- screen mean ------------------------------------------------------------------------------------
    v_view[0] += in.mean[0] * v.fx / z;
    v_view[1] += in.mean[1] * v.fy / z;
    v_view[2] += -in.mean[0] * v.fx * p.view[0] / z2 - in.mean[1] * v.fy * p.view[1] / z2;
    for (int i = 0; i < 3; ++i)
        v_mean[i] +=
            v.rotation[0][i] * v_view[0] + v.rotation[1][i] * v_view[1] + v.rotation[2][i] * v_view[2];
}

// Gradient of a unit quaternion q = raw / |raw| through the normalization, added to `v_raw`.
template <typename T>
GLINT_HD inline void normalize_backward(const T q[4], T norm, const T v_q[4], T v_raw[4]) {
    const T q_dot = v_q[0] * q[0] + v_q[1] * q[1] + v_q[2] * q[2] + v_q[3] * q[3];
    for (int i = 0; i < 4; ++i) v_raw[i] += (v_q[i] - q[i] * q_dot) / norm;
}

template <typename T>
GLINT_HD inline void project_gaussian_backward(const Gaussian3<T>& g, const View3<T>& v,
                                               const Projected<T>& p, const ProjectedGradient<T>& in,
                                               GaussianGradient<T>& out) {
    shade_backward(g.sh_rest, TimeColour<T>{}, v, p, in.color, out.sh_dc, out.sh_rest,
                   static_cast<T*>(nullptr), out.position);
    out.opacity_logit += in.opacity * p.opacity * (T(1) - p.opacity);
    T sigma[3][3], v_sigma[3][3];
    world_covariance(p.r, p.scale, sigma);
    project_mean_covariance_backward(sigma, v, p, in, out.position, v_sigma);

    // --- Sigma = M M^T, M = R S ---------------------------------------------------------------------------
    T v_m[3][3];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            // (v_Sigma + v_Sigma^T) M; v_Sigma is symmetric here.
            T s = T(0);
            for (int k = 0; k < 3; ++k) s += (v_sigma[i][k] + v_sigma[k][i]) * p.r[k][j] * p.scale[j];
            v_m[i][j] = s;
        }
    T v_r[3][3];
    for (int j = 0; j < 3; ++j) {
        T v_s = T(0);
        for (int i = 0; i < 3; ++i) {
            v_s += p.r[i][j] * v_m[i][j];
            v_r[i][j] = v_m[i][j] * p.scale[j];
        }
        out.log_scale[j] += v_s * p.scale[j];
    }
    // R of the normalized quaternion (w, x, y, z), then through the normalization.
    const T w = p.q[0], x = p.q[1], y = p.q[2], zq = p.q[3];
    T v_q[4];
    v_q[0] = T(2) * (-zq * v_r[0][1] + y * v_r[0][2] + zq * v_r[1][0] - x * v_r[1][2] - y * v_r[2][0] +
                     x * v_r[2][1]);
    v_q[1] = T(2) * (y * v_r[0][1] + zq * v_r[0][2] + y * v_r[1][0] - T(2) * x * v_r[1][1] - w * v_r[1][2] +
                     zq * v_r[2][0] + w * v_r[2][1] - T(2) * x * v_r[2][2]);
    v_q[2] = T(2) * (-T(2) * y * v_r[0][0] + x * v_r[0][1] + w * v_r[0][2] + x * v_r[1][0] + zq * v_r[1][2] -
                     w * v_r[2][0] + zq * v_r[2][1] - T(2) * y * v_r[2][2]);
    v_q[3] = T(2) * (-T(2) * zq * v_r[0][0] - w * v_r[0][1] + x * v_r[0][2] + w * v_r[1][0] -
                     T(2) * zq * v_r[1][1] + y * v_r[1][2] + x * v_r[2][0] + y * v_r[2][1]);
    normalize_backward(p.q, p.q_norm, v_q, out.rotation);
}

}  // namespace glint::splatting::raster
