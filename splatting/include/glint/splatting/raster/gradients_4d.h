// The differentiable per-Gaussian chain of a 4D Gaussian (Yang et al. 2024) and its vector-Jacobian
// products: raw parameters (position, time mean, four log-scales, left and right quaternions, opacity
// logit, SH and the time-varying colour) -> the 3D Gaussian of the slice at the view's time (conditional
// mean, conditional covariance, temporal marginal) -> screen mean, conic, opacity, colour, and back.
// The screen half and the shading are gradients.h's, shared with the 3D chain. Templated on the scalar:
// the tests check every gradient against central finite differences in double precision. GLINT_HD, no STL.
#pragma once

#include "glint/splatting/raster/gradients.h"

namespace glint::splatting::raster {

template <typename T>
struct Gaussian4 {  // raw parameters of one 4D Gaussian
    T position[3], time_mean, log_scale[3], log_time_scale, left[4], right[4], opacity_logit;
    const T* sh_dc;       // [3]
    const T* sh_rest;     // [K, 3]
    const T* time_color;  // [time_degree, block], or null when the view's time_degree is 0
};

template <typename T>
struct View4 {
    View3<T> view;
    T time, period;       // the view's scene time; the period of the time-varying colour
    int time_degree = 0;  // frequencies of the time-varying colour
    int time_block = 0;   // floats per frequency in time_color
};

// What the 4D forward keeps for its backward, besides the 3D chain's record.
template <typename T>
struct Projected4 {
    Projected<T> p;
    T left[4], right[4], left_norm, right_norm;  // unit quaternions and the raw ones' norms
    T rot[4][4], scale[4], cov[4][4];            // R4 = L(left) R(right), exp(log-scales), R4 S^2 R4^T
    T mean[3], sigma[3][3];                      // the slice's conditional mean and covariance
    T marginal, activated, dt, inv_tt;  // exp(-dt^2 / 2 Sigma_tt), sigmoid(logit), t - mu_t, 1 / Sigma_tt
};

// The left- and right-isoclinic matrices of unit quaternions (rotation_4d's).
template <typename T>
GLINT_HD inline void isoclinic_matrices(const T l[4], const T r[4], T ml[4][4], T mr[4][4]) {
    const T a = l[0], b = l[1], c = l[2], d = l[3];
    const T p = r[0], q = r[1], u = r[2], s = r[3];
    const T left[4][4] = {{a, -b, -c, -d}, {b, a, -d, c}, {c, d, a, -b}, {d, -c, b, a}};
    const T right[4][4] = {{p, -q, -u, -s}, {q, p, s, -u}, {u, -s, p, q}, {s, u, -q, p}};
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) ml[i][j] = left[i][j], mr[i][j] = right[i][j];
}

template <typename T>
GLINT_HD inline T normalized4(const T raw[4], T unit[4]) {
    const T norm = sqrt_t(raw[0] * raw[0] + raw[1] * raw[1] + raw[2] * raw[2] + raw[3] * raw[3]);
    for (int k = 0; k < 4; ++k) unit[k] = raw[k] / norm;
    return norm;
}

// The forward chain of a 4D Gaussian at the view's time. False where preprocess_gaussian culls for a
// reason other than the screen or the temporal cutoff (Sigma_tt not positive, behind `near`, singular).
template <typename T>
GLINT_HD inline bool project_gaussian_4d(const Gaussian4<T>& g, const View4<T>& v, T near, Projected4<T>& q) {
    q.left_norm = normalized4(g.left, q.left);
    q.right_norm = normalized4(g.right, q.right);
    T ml[4][4], mr[4][4];
    isoclinic_matrices(q.left, q.right, ml, mr);
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            q.rot[i][j] =
                ml[i][0] * mr[0][j] + ml[i][1] * mr[1][j] + ml[i][2] * mr[2][j] + ml[i][3] * mr[3][j];
    for (int k = 0; k < 3; ++k) q.scale[k] = exp_t(g.log_scale[k]);
    q.scale[3] = exp_t(g.log_time_scale);
    for (int i = 0; i < 4; ++i)
        for (int j = i; j < 4; ++j) {
            T sum = T(0);
            for (int k = 0; k < 4; ++k) sum += q.rot[i][k] * q.rot[j][k] * q.scale[k] * q.scale[k];
            q.cov[i][j] = q.cov[j][i] = sum;
        }
    // The slice at time t: conditional mean and covariance, temporal marginal.
    const T ctt = q.cov[3][3];
    if (!(ctt > T(0))) return false;
    q.inv_tt = T(1) / ctt;
    q.dt = v.time - g.time_mean;
    for (int i = 0; i < 3; ++i) q.mean[i] = g.position[i] + q.cov[i][3] * q.inv_tt * q.dt;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) q.sigma[i][j] = q.cov[i][j] - q.cov[i][3] * q.cov[j][3] * q.inv_tt;
    q.marginal = exp_t(-T(0.5) * q.dt * q.dt * q.inv_tt);

    if (!project_mean_covariance(q.mean, q.sigma, v.view, near, q.p)) return false;
    q.activated = T(1) / (T(1) + exp_t(-g.opacity_logit));
    q.p.opacity = q.activated * q.marginal;
    const TimeColour<T> time{g.time_color, v.time_degree, v.time_block, q.dt, v.period};
    shade(q.mean, g.sh_dc, g.sh_rest, time, v.view, q.p);
    return true;
}

// Gradients with respect to a 4D Gaussian's raw parameters, out (added to, not overwritten).
template <typename T>
struct Gaussian4Gradient {
    T position[3], time_mean, log_scale[3], log_time_scale, left[4], right[4], opacity_logit;
    T* sh_dc;       // [3]
    T* sh_rest;     // [K, 3]
    T* time_color;  // [time_degree, block], or null when the view's time_degree is 0
};

template <typename T>
GLINT_HD inline void project_gaussian_4d_backward(const Gaussian4<T>& g, const View4<T>& v,
                                                  const Projected4<T>& q, const ProjectedGradient<T>& in,
                                                  Gaussian4Gradient<T>& out) {
    // --- colour (through the direction to the conditional mean, and the time terms' phase)
    // ------------------
    T v_mean[3] = {T(0), T(0), T(0)};
    const TimeColour<T> time{g.time_color, v.time_degree, v.time_block, q.dt, v.period};
    T v_dt = shade_backward(g.sh_rest, time, v.view, q.p, in.color, out.sh_dc, out.sh_rest, out.time_color,
                            v_mean);

    // --- opacity = sigmoid(logit) x marginal ---------------------------------------------------------------
    out.opacity_logit += in.opacity * q.marginal * q.activated * (T(1) - q.activated);
    const T v_marginal = in.opacity * q.activated;

    // --- screen mean and conic -> conditional mean and covariance ----------------------------------------
    T v_sigma[3][3];
    project_mean_covariance_backward(q.sigma, v.view, q.p, in, v_mean, v_sigma);

    // --- the slice: mean = mu + c inv dt, sigma = C - c c^T inv, marginal = exp(-dt^2 inv / 2), with
    //     c = Sigma_xt, inv = 1 / Sigma_tt ---------------------------------------------------------------
    const T* c[3] = {&q.cov[0][3], &q.cov[1][3], &q.cov[2][3]};
    T v_cov[4][4];  // the gradient of each entry as the forward reads it (upper rows, and [3][3])
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) v_cov[i][j] = T(0);
    T v_inv = v_marginal * q.marginal * (-T(0.5) * q.dt * q.dt);
    v_dt += v_marginal * q.marginal * (-q.dt * q.inv_tt);
    for (int i = 0; i < 3; ++i) {
        out.position[i] += v_mean[i];
        v_dt += v_mean[i] * *c[i] * q.inv_tt;
        v_inv += v_mean[i] * *c[i] * q.dt;
        v_cov[i][3] += v_mean[i] * q.inv_tt * q.dt;
        for (int j = 0; j < 3; ++j) {
            v_cov[i][j] += v_sigma[i][j];
            v_inv -= v_sigma[i][j] * *c[i] * *c[j];
            v_cov[i][3] -= (v_sigma[i][j] + v_sigma[j][i]) * *c[j] * q.inv_tt;
        }
    }
    v_cov[3][3] += -v_inv * q.inv_tt * q.inv_tt;
    out.time_mean -= v_dt;

    // --- Sigma4 = M M^T, M = R4 S
    // ------------------------------------------------------------------------------
    T v_m[4][4];
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            T s = T(0);
            for (int k = 0; k < 4; ++k) s += (v_cov[i][k] + v_cov[k][i]) * q.rot[k][j] * q.scale[j];
            v_m[i][j] = s;
        }
    T v_rot[4][4];
    for (int j = 0; j < 4; ++j) {
        T v_s = T(0);
        for (int i = 0; i < 4; ++i) {
            v_s += q.rot[i][j] * v_m[i][j];
            v_rot[i][j] = v_m[i][j] * q.scale[j];
        }
        if (j < 3)
            out.log_scale[j] += v_s * q.scale[j];
        else
            out.log_time_scale += v_s * q.scale[3];
    }

    // --- R4 = L(left) R(right), each linear in its quaternion, then the normalizations
    // ----------------------
    T ml[4][4], mr[4][4], v_l[4][4], v_r[4][4];
    isoclinic_matrices(q.left, q.right, ml, mr);
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            T sl = T(0), sr = T(0);
            for (int k = 0; k < 4; ++k) {
                sl += v_rot[i][k] * mr[j][k];  // v_L = v_R4 R^T
                sr += ml[k][i] * v_rot[k][j];  // v_R = L^T v_R4
            }
            v_l[i][j] = sl;
            v_r[i][j] = sr;
        }
    const T v_left[4] = {
        v_l[0][0] + v_l[1][1] + v_l[2][2] + v_l[3][3], -v_l[0][1] + v_l[1][0] - v_l[2][3] + v_l[3][2],
        -v_l[0][2] + v_l[1][3] + v_l[2][0] - v_l[3][1], -v_l[0][3] - v_l[1][2] + v_l[2][1] + v_l[3][0]};
    const T v_right[4] = {
        v_r[0][0] + v_r[1][1] + v_r[2][2] + v_r[3][3], -v_r[0][1] + v_r[1][0] + v_r[2][3] - v_r[3][2],
        -v_r[0][2] - v_r[1][3] + v_r[2][0] + v_r[3][1], -v_r[0][3] + v_r[1][2] - v_r[2][1] + v_r[3][0]};
    normalize_backward(q.left, q.left_norm, v_left, out.left);
    normalize_backward(q.right, q.right_norm, v_right, out.right);
}

}  // namespace glint::splatting::raster
