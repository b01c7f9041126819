// Estimating a scene's up direction from the axis its flat Gaussians face.
#include "glint/splatting/up_direction.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"

namespace glint::splatting {
namespace {

using Mat = std::array<std::array<double, 3>, 3>;
using Vec = std::array<double, 3>;

Vec multiply(const Mat& m, const Vec& v) {
    return {m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
            m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]};
}
double dot(const Vec& a, const Vec& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
Vec normalized(const Vec& v) {
    const double n = std::sqrt(dot(v, v));
    return n > 0 ? Vec{v[0] / n, v[1] / n, v[2] / n} : Vec{0, 0, 1};
}

// The dominant eigenvector of a symmetric positive semi-definite matrix by power iteration, started from
// its largest column (never orthogonal to the answer unless the matrix is zero there).
Vec dominant(const Mat& m) {
    int best = 0;
    for (int k = 1; k < 3; ++k)
        if (m[k][k] > m[best][best]) best = k;
    Vec v = normalized({m[0][best], m[1][best], m[2][best]});
    for (int i = 0; i < 100; ++i) v = normalized(multiply(m, v));
    return v;
}

// The weighted median of values.
double weighted_median(std::vector<std::pair<double, double>> values) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    double total = 0;
    for (const auto& [value, weight] : values) total += weight;
    double seen = 0;
    for (const auto& [value, weight] : values) {
        seen += weight;
        if (seen >= 0.5 * total) return value;
    }
    return values.back().first;
}

}  // namespace

UpEstimate estimate_up(const GaussianCloud& cloud) {
    // Flat Gaussians: the smallest scale under a third of the middle one; their normal is the rotation's
    // column of that axis. Weight: opacity times the flat side's area.
    constexpr float kFlatRatio = 1.0f / 3.0f;
    Mat scatter{};
    std::vector<Vec> normals;
    std::vector<double> weights;
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const float* ls = &cloud.log_scales()[3 * i];
        int axes[3] = {0, 1, 2};
        std::sort(axes, axes + 3, [&](int a, int b) { return ls[a] < ls[b]; });
        if (!(std::exp(ls[axes[0]]) < kFlatRatio * std::exp(ls[axes[1]]))) continue;
        const double weight =
            static_cast<double>(sigmoid(cloud.opacity_logits()[i])) * std::exp(ls[axes[1]] + ls[axes[2]]);
        if (!(weight > 0.0) || !std::isfinite(weight)) continue;
        const float* q = &cloud.rotations()[4 * i];
        const raster::Mat3 r = raster::quaternion_to_rotation(q[0], q[1], q[2], q[3]);
        const Vec n{r.m[0][axes[0]], r.m[1][axes[0]], r.m[2][axes[0]]};
        for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) scatter[a][b] += weight * n[a] * n[b];
        normals.push_back(n);
        weights.push_back(weight);
        rows.push_back(i);
    }
    UpEstimate estimate;
    const double trace = scatter[0][0] + scatter[1][1] + scatter[2][2];
    if (normals.empty() || !(trace > 0.0)) return estimate;
    const Vec axis = dominant(scatter);
    const double l1 = dot(axis, multiply(scatter, axis));
    // The second eigenvalue: the largest of the scatter deflated by the first.
    Mat rest = scatter;
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) rest[a][b] -= l1 * axis[a] * axis[b];
    const Vec second = dominant(rest);
    const double l2 = std::max(0.0, dot(second, multiply(rest, second)));
    estimate.confidence = static_cast<float>(std::clamp((l1 - l2) / trace, 0.0, 1.0));

    // Sign: the Gaussians facing along the axis (within 25 degrees) lie below the scene's median.
    std::vector<std::pair<double, double>> facing, all;
    for (std::size_t k = 0; k < normals.size(); ++k) {
        const float* p = &cloud.positions()[3 * rows[k]];
        const double height = axis[0] * p[0] + axis[1] * p[1] + axis[2] * p[2];
        if (std::abs(dot(normals[k], axis)) > 0.9) facing.emplace_back(height, weights[k]);
    }
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const float* p = &cloud.positions()[3 * i];
        all.emplace_back(axis[0] * p[0] + axis[1] * p[1] + axis[2] * p[2], 1.0);
    }
    const double sign = weighted_median(facing) <= weighted_median(all) ? 1.0 : -1.0;
    estimate.up = {static_cast<float>(sign * axis[0]), static_cast<float>(sign * axis[1]),
                   static_cast<float>(sign * axis[2])};
    return estimate;
}

}  // namespace glint::splatting
