// Per-Gaussian and per-pixel math of the tile rasterizer (Kerbl et al. 2023), shared by the CPU backend,
// the CUDA kernels and the tests' brute-force renderer. GLINT_HD inline functions, no STL.
//
// Conventions (DESIGN.md): OpenCV camera (x right, y down, z forward), world-to-camera R, t; pixel (i, j)
// covers [i, i+1) x [j, j+1) and is sampled at its centre; a point projects to (fx x/z + cx, fy y/z + cy).
// The reference rasterizer samples at integer coordinates with centres shifted by half a pixel, so tile
// rectangles here are computed on (projected - 0.5) to select exactly the tiles the reference selects.
#pragma once

#include <math.h>

#include "glint/core/hd.h"
#include "glint/core/pixel.h"

namespace glint::splatting::raster {

inline constexpr int kTileSize = 16;               // 16x16 pixel tiles, as the reference
inline constexpr float kDefaultNearPlane = 0.2f;   // the reference culls points nearer than 0.2
inline constexpr float kLowPassVariance = 0.3f;    // screen-space dilation, in pixels^2
inline constexpr float kFovClampFactor = 1.3f;     // tangent clamp for the Jacobian: 1.3x the FOV
inline constexpr float kMinAlpha = 1.0f / 255.0f;  // contributions below one 8-bit step are skipped
inline constexpr float kMaxAlpha = 0.99f;          // keeps transmittance from reaching exactly zero
inline constexpr float kMinTransmittance = 1e-4f;  // blending stops before T falls below this
inline constexpr float kMaxSigmaExtent = 3.0f;     // screen radius in standard deviations

// Real SH constants (degree 0 to 3), as in the reference.
inline constexpr float kSh0 = 0.28209479177387814f;
inline constexpr float kSh1 = 0.4886025119029199f;
// (Scalars, not arrays: constexpr arrays cannot be indexed in CUDA device code.)
inline constexpr float kSh2a = 1.0925484305920792f, kSh2b = -1.0925484305920792f,
                       kSh2c = 0.31539156525252005f, kSh2d = -1.0925484305920792f,
                       kSh2e = 0.5462742152960396f;
inline constexpr float kSh3a = -0.5900435899266435f, kSh3b = 2.890611442640554f, kSh3c = -0.4570457994644658f,
                       kSh3d = 0.3731763325901154f, kSh3e = -0.4570457994644658f, kSh3f = 1.445305721320277f,
                       kSh3g = -0.5900435899266435f;

struct Vec2 {
    float x, y;
};
struct Vec3 {
    float x, y, z;
};
// Symmetric 2x2 [[a, b], [b, c]].
struct Sym2 {
    float a, b, c;
};
// Symmetric 3x3, upper triangle.
struct Sym3 {
    float xx, xy, xz, yy, yz, zz;
};
// Row-major 3x3.
struct Mat3 {
    float m[3][3];
};

// min/max by comparison: GCC keeps fminf/fmaxf as library calls on the host without fast-math, which is
// slow in the per-Gaussian code and blocks vectorization. (NaN handling differs; no input here is NaN.)
GLINT_HD inline float min_f(float a, float b) {
    return a < b ? a : b;
}
GLINT_HD inline float max_f(float a, float b) {
    return a > b ? a : b;
}

GLINT_HD inline Vec3 operator-(Vec3 a, Vec3 b) {
    return {a.x - b.x, a.y - b.y, a.z - b.z};
}
GLINT_HD inline float dot(Vec3 a, Vec3 b) {
    return a.x * b.x + a.y * b.y + a.z * b.z;
}

GLINT_HD inline Vec3 mul(const Mat3& r, Vec3 v) {
    return {r.m[0][0] * v.x + r.m[0][1] * v.y + r.m[0][2] * v.z,
            r.m[1][0] * v.x + r.m[1][1] * v.y + r.m[1][2] * v.z,
            r.m[2][0] * v.x + r.m[2][1] * v.y + r.m[2][2] * v.z};
}

// ---- The projection, shared by the forward preprocess (float) and the gradient chain (gradients.h,
// templated so the tests check it in double) --------------------------------------------------------

// Rotation matrix (rows) of a unit quaternion (w, x, y, z).
template <typename T>
GLINT_HD inline void unit_quaternion_rotation(T w, T x, T y, T z, T r[3][3]) {
    r[0][0] = T(1) - T(2) * (y * y + z * z), r[0][1] = T(2) * (x * y - w * z),
    r[0][2] = T(2) * (x * z + w * y);
    r[1][0] = T(2) * (x * y + w * z), r[1][1] = T(1) - T(2) * (x * x + z * z),
    r[1][2] = T(2) * (y * z - w * x);
    r[2][0] = T(2) * (x * z - w * y), r[2][1] = T(2) * (y * z + w * x),
    r[2][2] = T(1) - T(2) * (x * x + y * y);
}

// Sigma = R diag(s^2) R^T.
template <typename T>
GLINT_HD inline void world_covariance(const T r[3][3], const T scale[3], T sigma[3][3]) {
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            sigma[i][j] = T(0);
            for (int k = 0; k < 3; ++k) sigma[i][j] += r[i][k] * r[j][k] * scale[k] * scale[k];
        }
}

// The EWA Jacobian times the view rotation w (world to camera), T = J W (2x3), with the camera-space
// mean's tangents x/z and y/z clamped to 1.3x the field of view first (as the reference does, to bound
// the linearization's error); gives the clamped tangents and whether each was clamped.
template <typename T>
GLINT_HD inline void ewa_transform(const T w[3][3], T fx, T fy, T tan_fov_x, T tan_fov_y, const T view[3],
                                   T t[2][3], T& tx, T& ty, bool& clamped_x, bool& clamped_y) {
    const T z = view[2];
    const T lim_x = T(kFovClampFactor) * tan_fov_x, lim_y = T(kFovClampFactor) * tan_fov_y;
    tx = view[0] / z;
    ty = view[1] / z;
    clamped_x = tx > lim_x || tx < -lim_x;
    clamped_y = ty > lim_y || ty < -lim_y;
    tx = tx > lim_x ? lim_x : (tx < -lim_x ? -lim_x : tx);
    ty = ty > lim_y ? lim_y : (ty < -lim_y ? -lim_y : ty);
    const T j00 = fx / z, j02 = -fx * tx / z, j11 = fy / z, j12 = -fy * ty / z;
    for (int k = 0; k < 3; ++k) {
        t[0][k] = j00 * w[0][k] + j02 * w[2][k];
        t[1][k] = j11 * w[1][k] + j12 * w[2][k];
    }
}

// The screen covariance T Sigma T^T as (a, b, c) of [[a, b], [b, c]], before any low-pass filter.
template <typename T>
GLINT_HD inline void ewa_covariance(const T t[2][3], const T sigma[3][3], T cov2[3]) {
    T ts[2][3];
    for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 3; ++k)
            ts[i][k] = t[i][0] * sigma[0][k] + t[i][1] * sigma[1][k] + t[i][2] * sigma[2][k];
    cov2[0] = ts[0][0] * t[0][0] + ts[0][1] * t[0][1] + ts[0][2] * t[0][2];
    cov2[1] = ts[0][0] * t[1][0] + ts[0][1] * t[1][1] + ts[0][2] * t[1][2];
    cov2[2] = ts[1][0] * t[1][0] + ts[1][1] * t[1][1] + ts[1][2] * t[1][2];
}

// Rotation matrix of a (w, x, y, z) quaternion, normalized here; a zero quaternion gives the identity.
GLINT_HD inline Mat3 quaternion_to_rotation(float w, float x, float y, float z) {
    const float norm2 = w * w + x * x + y * y + z * z;
    if (!(norm2 > 0.0f)) return {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
    const float inv = 1.0f / sqrtf(norm2);
    Mat3 r;
    unit_quaternion_rotation(w * inv, x * inv, y * inv, z * inv, r.m);
    return r;
}

// World-space covariance R diag(s^2) R^T from activated scales and a rotation.
GLINT_HD inline Sym3 covariance_3d(Vec3 scale, const Mat3& r) {
    const float s[3] = {scale.x, scale.y, scale.z};
    float c[3][3];
    world_covariance(r.m, s, c);
    return {c[0][0], c[0][1], c[0][2], c[1][1], c[1][2], c[2][2]};
}

// ---- 4D Gaussians (Yang et al. 2024) -------------------------------------------------------------
// A 4D Gaussian over (x, y, z, t) has a mean (position, time mean), four scales and a 4D rotation built
// from a left and a right unit quaternion: R4 = L(q_l) R(q_r), the product of the left- and
// right-isoclinic rotation matrices, L(a, b, c, d) = [[a,-b,-c,-d],[b,a,-d,c],[c,d,a,-b],[d,-c,b,a]] and
// R(p, q, r, s) = [[p,-q,-r,-s],[q,p,s,-r],[r,-s,p,q],[s,r,-q,p]]. Its covariance is R4 diag(s^2) R4^T.
struct Mat4 {
    float m[4][4];
};

GLINT_HD inline void normalize4(float q[4]) {
    const float norm2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
    if (!(norm2 > 0.0f)) {
        q[0] = 1.0f, q[1] = q[2] = q[3] = 0.0f;
        return;
    }
    const float inv = 1.0f / sqrtf(norm2);
    for (int k = 0; k < 4; ++k) q[k] *= inv;
}

GLINT_HD inline Mat4 rotation_4d(const float* left, const float* right) {
    float l[4] = {left[0], left[1], left[2], left[3]}, r[4] = {right[0], right[1], right[2], right[3]};
    normalize4(l);
    normalize4(r);
    const float a = l[0], b = l[1], c = l[2], d = l[3];
    const float p = r[0], q = r[1], u = r[2], s = r[3];
    const float ml[4][4] = {{a, -b, -c, -d}, {b, a, -d, c}, {c, d, a, -b}, {d, -c, b, a}};
    const float mr[4][4] = {{p, -q, -u, -s}, {q, p, s, -u}, {u, -s, p, q}, {s, u, -q, p}};
    Mat4 out;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            out.m[i][j] =
                ml[i][0] * mr[0][j] + ml[i][1] * mr[1][j] + ml[i][2] * mr[2][j] + ml[i][3] * mr[3][j];
    return out;
}

// Covariance R4 diag(scale^2) R4^T (full symmetric matrix).
GLINT_HD inline Mat4 covariance_4d(const float* scale, const Mat4& r) {
    Mat4 c;
    for (int i = 0; i < 4; ++i)
        for (int j = i; j < 4; ++j) {
            float sum = 0.0f;
            for (int k = 0; k < 4; ++k) sum += r.m[i][k] * r.m[j][k] * scale[k] * scale[k];
            c.m[i][j] = c.m[j][i] = sum;
        }
    return c;
}

// The 3D Gaussian of a 4D one at time t: conditional mean mu + Sigma_xt / Sigma_tt (t - mu_t),
// conditional covariance Sigma_xx - Sigma_xt Sigma_xt^T / Sigma_tt (Schur complement), and the temporal
// marginal exp(-(t - mu_t)^2 / (2 Sigma_tt)) that multiplies the opacity. False when Sigma_tt is not
// positive.
GLINT_HD inline bool slice_4d(const Mat4& cov, Vec3 position, float time_mean, float time, Vec3& mean,
                              Sym3& cov3, float& marginal) {
    const float ctt = cov.m[3][3];
    if (!(ctt > 0.0f)) return false;
    const float dt = time - time_mean;
    const float inv = 1.0f / ctt;
    const float cx = cov.m[0][3], cy = cov.m[1][3], cz = cov.m[2][3];
    mean = {position.x + cx * inv * dt, position.y + cy * inv * dt, position.z + cz * inv * dt};
    cov3 = {cov.m[0][0] - cx * cx * inv, cov.m[0][1] - cx * cy * inv, cov.m[0][2] - cx * cz * inv,
            cov.m[1][1] - cy * cy * inv, cov.m[1][2] - cy * cz * inv, cov.m[2][2] - cz * cz * inv};
    marginal = expf(-0.5f * dt * dt * inv);
    return true;
}

// EWA projection J W Sigma W^T J^T (ewa_transform, ewa_covariance: the same as the gradient chain's).
// `view_rotation` is the world-to-camera rotation W, `mean_view` the Gaussian's camera-space mean.
GLINT_HD inline Sym2 project_covariance(const Sym3& cov, const Mat3& view_rotation, Vec3 mean_view, float fx,
                                        float fy, float tan_fov_x, float tan_fov_y) {
    const float view[3] = {mean_view.x, mean_view.y, mean_view.z};
    float t[2][3], tx, ty;
    bool clamped_x, clamped_y;
    ewa_transform(view_rotation.m, fx, fy, tan_fov_x, tan_fov_y, view, t, tx, ty, clamped_x, clamped_y);
    const float s[3][3] = {{cov.xx, cov.xy, cov.xz}, {cov.xy, cov.yy, cov.yz}, {cov.xz, cov.yz, cov.zz}};
    float cov2[3];
    ewa_covariance(t, s, cov2);
    return {cov2[0], cov2[1], cov2[2]};
}

// Adds the screen-space low-pass filter. With `antialias` (Mip-Splatting's 2D filter), returns the
// opacity compensation sqrt(det(cov) / det(cov + 0.3 I)) that keeps the Gaussian's integral unchanged;
// without it returns 1 (the reference's plain dilation).
GLINT_HD inline float apply_low_pass(Sym2& cov, bool antialias) {
    const float det_original = cov.a * cov.c - cov.b * cov.b;
    cov.a += kLowPassVariance;
    cov.c += kLowPassVariance;
    if (!antialias) return 1.0f;
    const float det_blurred = cov.a * cov.c - cov.b * cov.b;
    return sqrtf(max_f(0.0f, det_original / det_blurred));
}

// Inverse of the 2D covariance; false when it is singular.
GLINT_HD inline bool invert(const Sym2& cov, Sym2& conic) {
    const float det = cov.a * cov.c - cov.b * cov.b;
    if (det == 0.0f) return false;
    const float inv = 1.0f / det;
    conic = {cov.c * inv, -cov.b * inv, cov.a * inv};
    return true;
}

// Largest eigenvalue of a 2D covariance (the 0.1 floor is the reference's guard against round-off).
GLINT_HD inline float max_eigenvalue(const Sym2& cov) {
    const float mid = 0.5f * (cov.a + cov.c);
    const float det = cov.a * cov.c - cov.b * cov.b;
    return mid + sqrtf(max_f(0.1f, mid * mid - det));
}

// The reference's 3-sigma screen radius in pixels.
// Packing a colour into the 8-bit RGBA every frame is shown in (core/pixel.h).
using glint::pack_rgba8;
using glint::unorm8;

GLINT_HD inline float reference_radius(const Sym2& cov) {
    return ceilf(kMaxSigmaExtent * sqrtf(max_eigenvalue(cov)));
}

// Squared Mahalanobis distance within which a Gaussian of this opacity can reach alpha >= 1/255:
// opacity * exp(-q / 2) >= 1/255  <=>  q <= 2 ln(255 opacity); negative when it never can. Not capped: the
// 3-sigma cap comes from the reference's tile rectangle, inside which the reference blends every pixel
// that reaches 1/255 (beyond 3 sigma too, for opacities above 0.88), so only this bound keeps images
// identical.
GLINT_HD inline float visible_mahalanobis2(float opacity) {
    return 2.0f * logf(255.0f * opacity);
}

// Tile index of a (possibly huge, negative or NaN) coordinate in tiles, clamped to [0, grid]:
// truncation toward zero as the reference's int cast, without its undefined behaviour out of range.
GLINT_HD inline int tile_index(float tiles, int grid) {
    if (!(tiles > 0.0f)) return 0;
    if (tiles >= static_cast<float>(grid)) return grid;
    return static_cast<int>(tiles);
}

// Tile rectangle [min, max) of a screen circle around `center` (pixel-centre coordinates), clamped to the
// grid; the reference's getRect on the shifted centre.
GLINT_HD inline void tile_rect(Vec2 center, float radius, int grid_x, int grid_y, int rect_min[2],
                               int rect_max[2]) {
    const float px = center.x - 0.5f, py = center.y - 0.5f;
    rect_min[0] = tile_index((px - radius) / kTileSize, grid_x);
    rect_min[1] = tile_index((py - radius) / kTileSize, grid_y);
    rect_max[0] = tile_index((px + radius + kTileSize - 1) / kTileSize, grid_x);
    rect_max[1] = tile_index((py + radius + kTileSize - 1) / kTileSize, grid_y);
}

// Minimum over y in [y0, y1] of q(dx, y - cy) for the conic quadratic q(u, v) = a u^2 + 2 b u v + c v^2.
GLINT_HD inline float edge_minimum(const Sym2& conic, float dx, float dy0, float dy1) {
    // dq/dv = 0 at v = -b u / c (c > 0 for a positive-definite conic).
    const float v = min_f(dy1, max_f(dy0, -conic.b * dx / conic.c));
    return conic.a * dx * dx + 2.0f * conic.b * dx * v + conic.c * v * v;
}

// Whether any pixel centre of the tile [x0, x0 + 16) x [y0, y0 + 16) can lie within squared Mahalanobis
// distance `limit` of the Gaussian: the exact minimum of the quadratic over the rectangle spanned by the
// tile's first and last pixel centres (FlashGS-style), a superset of the pixels the blender tests.
GLINT_HD inline bool ellipse_touches_tile(const Sym2& conic, Vec2 center, float limit, int tile_x,
                                          int tile_y) {
    const float x0 = static_cast<float>(tile_x * kTileSize) + 0.5f - center.x;
    const float x1 = x0 + static_cast<float>(kTileSize - 1);
    const float y0 = static_cast<float>(tile_y * kTileSize) + 0.5f - center.y;
    const float y1 = y0 + static_cast<float>(kTileSize - 1);
    if (x0 <= 0.0f && x1 >= 0.0f && y0 <= 0.0f && y1 >= 0.0f) return true;
    // Otherwise the minimum lies on an edge; by symmetry of the form, edges in y use the transposed conic.
    const Sym2 transposed = {conic.c, conic.b, conic.a};
    float best = min_f(edge_minimum(conic, x0, y0, y1), edge_minimum(conic, x1, y0, y1));
    best = min_f(best, min_f(edge_minimum(transposed, y0, x0, x1), edge_minimum(transposed, y1, x0, x1)));
    // The margin absorbs float round-off so that a tile the blender would draw is never dropped.
    return best <= limit * 1.0001f + 1e-4f;
}

// Tiles of tile row `tile_y` that the contour q <= limit reaches, as [first, last] (inclusive); false when
// none. Exact like ellipse_touches_tile, but per row: with u = x - cx and v = y - cy, q(u, v) <= L holds
// for u in [(-b v - s) / a, (-b v + s) / a], s = sqrt(a L - det v^2), wherever det v^2 <= a L. Over the
// row's band of pixel centres the upper end is concave in v, with its maximum (the ellipse's x extent
// sqrt(L c / det)) at v = -b sqrt(L / (c det)); the lower end mirrors it. So the reachable x form one
// interval, found with two square roots, and every tile overlapping it is touched.
GLINT_HD inline bool ellipse_row_span(const Sym2& conic, Vec2 center, float limit, int tile_y, int& first,
                                      int& last) {
    // Margin for float round-off: a pixel the blender would draw is never left out.
    const float l = limit * 1.0001f + 1e-4f;
    const float a = conic.a, b = conic.b, c = conic.c;
    const float det = a * c - b * b;
    if (!(det > 0.0f) || !(a > 0.0f) || !(c > 0.0f)) return false;
    const float v_extent = sqrtf(a * l / det);
    const float band0 = static_cast<float>(tile_y * kTileSize) + 0.5f - center.y;
    const float v0 = max_f(band0, -v_extent);
    const float v1 = min_f(band0 + static_cast<float>(kTileSize - 1), v_extent);
    if (v0 > v1) return false;
    const float u_extent = sqrtf(l * c / det);
    const float v_right = -b * u_extent / c;  // where the contour reaches furthest right; left is -v_right
    const auto half_width = [&](float v) { return sqrtf(max_f(0.0f, a * l - det * v * v)); };
    const float hi = (v_right >= v0 && v_right <= v1)
                         ? u_extent
                         : max_f((-b * v0 + half_width(v0)) / a, (-b * v1 + half_width(v1)) / a);
    const float lo = (-v_right >= v0 && -v_right <= v1)
                         ? -u_extent
                         : min_f((-b * v0 - half_width(v0)) / a, (-b * v1 - half_width(v1)) / a);
    // Tile tx holds pixel centres x in [16 tx + 0.5, 16 tx + 15.5].
    // Clamped as floats before conversion (a huge contour does not fit an int); callers clamp to the grid.
    constexpr float kMaxTiles = 65536.0f;  // beyond any image glint renders (16384 pixels / 16)
    first = static_cast<int>(min_f(
        max_f(ceilf((center.x + lo - static_cast<float>(kTileSize) + 0.5f) / kTileSize), -1.0f), kMaxTiles));
    last = static_cast<int>(min_f(max_f(floorf((center.x + hi - 0.5f) / kTileSize), -1.0f), kMaxTiles));
    return first <= last;
}

// Half-widths in pixels of the axis-aligned box around the contour q <= limit: sqrt(limit * Sigma_xx) and
// sqrt(limit * Sigma_yy), with Sigma the inverse of the conic, and the same round-off margin as above.
GLINT_HD inline Vec2 contour_half_extent(const Sym2& conic, float limit) {
    const float l = limit * 1.0001f + 1e-4f;
    const float det = conic.a * conic.c - conic.b * conic.b;
    if (!(det > 0.0f)) return {0.0f, 0.0f};
    return {sqrtf(max_f(0.0f, l * conic.c / det)), sqrtf(max_f(0.0f, l * conic.a / det))};
}

// The SH expansion itself, sum_k c_k Y_k(dir), for a unit view direction (camera to Gaussian).
// dc: [3]; rest: [K, 3] coefficient-major, K = (degree + 1)^2 - 1.
GLINT_HD inline Vec3 sh_sum(int degree, const float* dc, const float* rest, Vec3 dir) {
    float r = kSh0 * dc[0], g = kSh0 * dc[1], b = kSh0 * dc[2];
    const auto add = [&](int k, float basis) {
        r += basis * rest[3 * k + 0];
        g += basis * rest[3 * k + 1];
        b += basis * rest[3 * k + 2];
    };
    if (degree > 0) {
        const float x = dir.x, y = dir.y, z = dir.z;
        add(0, -kSh1 * y);
        add(1, kSh1 * z);
        add(2, -kSh1 * x);
        if (degree > 1) {
            const float xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
            add(3, kSh2a * xy);
            add(4, kSh2b * yz);
            add(5, kSh2c * (2.0f * zz - xx - yy));
            add(6, kSh2d * xz);
            add(7, kSh2e * (xx - yy));
            if (degree > 2) {
                add(8, kSh3a * y * (3.0f * xx - yy));
                add(9, kSh3b * xy * z);
                add(10, kSh3c * y * (4.0f * zz - xx - yy));
                add(11, kSh3d * z * (2.0f * zz - 3.0f * xx - 3.0f * yy));
                add(12, kSh3e * x * (4.0f * zz - xx - yy));
                add(13, kSh3f * z * (xx - yy));
                add(14, kSh3g * x * (xx - 3.0f * yy));
            }
        }
    }
    return {r, g, b};
}

// Colour from SH coefficients: the expansion + 0.5, clamped at zero, as the reference.
GLINT_HD inline Vec3 sh_to_color(int degree, const float* dc, const float* rest, Vec3 dir) {
    const Vec3 sum = sh_sum(degree, dc, rest, dir);
    return {max_f(sum.x + 0.5f, 0.0f), max_f(sum.y + 0.5f, 0.0f), max_f(sum.z + 0.5f, 0.0f)};
}

// Colour of a 4D Gaussian at time offset dt = t - time_mean (4D spherindrical harmonics, Yang et al. 2024):
// the SH expansion of dc/rest, plus for each frequency k = 1..time_degree the expansion of its block of
// time_color ([time_degree, C, 3], DC first) times cos(2 pi k dt / period); +0.5, clamped.
// `block` is the number of floats per frequency (3 (stored degree + 1)^2), which may exceed what `degree`
// reads when a lower degree is evaluated.
GLINT_HD inline Vec3 sh_to_color_4d(int degree, const float* dc, const float* rest, int time_degree,
                                    const float* time_color, int block, float dt, float period, Vec3 dir) {
    Vec3 sum = sh_sum(degree, dc, rest, dir);
    for (int k = 1; k <= time_degree; ++k) {
        const float* coefficients = time_color + (k - 1) * block;
        const float weight = cosf(6.283185307179586f * static_cast<float>(k) * dt / period);
        const Vec3 part = sh_sum(degree, coefficients, coefficients + 3, dir);
        sum = {sum.x + weight * part.x, sum.y + weight * part.y, sum.z + weight * part.z};
    }
    return {max_f(sum.x + 0.5f, 0.0f), max_f(sum.y + 0.5f, 0.0f), max_f(sum.z + 0.5f, 0.0f)};
}

// exp(x) for the blending weights: __expf on the GPU; on the CPU a branch-free version the compiler can
// vectorize (range reduction x = n ln2 + r, |r| <= ln2/2, degree-6 polynomial; relative error below 3e-7
// on [-87, 0], the range blending uses). Returns 0 below -87.
GLINT_HD inline float blend_exp(float x) {
#ifdef __CUDA_ARCH__
    return __expf(x);
#else
    // Plain comparisons and magic-number rounding instead of fmaxf/floorf, which GCC leaves as library
    // calls (blocking vectorization) unless fast-math is on.
    const bool underflow = x < -87.0f;
    x = underflow ? -87.0f : x;
    constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
    const float n = (x * 1.4426950408889634f + kRound) - kRound;
    const float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    float p = 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    // Scale by 2^n through the exponent bits (n >= -126 here, so the result stays normal).
    const float scale = __builtin_bit_cast(float, (static_cast<int>(n) + 127) << 23);
    return underflow ? 0.0f : p * scale;
#endif
}

// The exponent of a Gaussian at offset (dx, dy) from its centre: -q/2 for the conic quadratic q.
GLINT_HD inline float gaussian_power(const Sym2& conic, float dx, float dy) {
    return -0.5f * (conic.a * dx * dx + conic.c * dy * dy) - conic.b * dx * dy;
}

// Whether a splat's 1/255 contour (squared Mahalanobis distance `limit`) reaches a pixel centre of a row
// segment: centres at dx = first, first + 1, ..., first + count - 1 from the splat's centre, on a row at
// dy. The exponent is a parabola in dx, largest at -b dy / a, so the nearest centre decides. The test is
// conservative (a 0.1% margin): a segment rejected here has no pixel whose exact alpha reaches 1/255.
GLINT_HD inline bool segment_reached(const Sym2& conic, float limit, float first, int count, float dy) {
    const float floor = -0.5f * limit * 1.001f - 1e-3f;
    const float peak = conic.a > 0.0f ? -conic.b * dy / conic.a : 0.0f;
    const float last = first + static_cast<float>(count - 1);
    const float dx = peak < first ? first : (peak > last ? last : peak);
    return gaussian_power(conic, dx, dy) >= floor;
}

}  // namespace glint::splatting::raster
