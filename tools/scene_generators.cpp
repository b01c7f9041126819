// Implementation of the procedural scenes.
#include "scene_generators.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"

namespace glint::tools {

float Rng::normal() {
    const float u1 = std::max(uniform(), 1e-7f);
    const float u2 = uniform();
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(2.0f * std::numbers::pi_v<float> * u2);
}

namespace {

using Vec3 = std::array<float, 3>;

Vec3 operator+(Vec3 a, Vec3 b) {
    return {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
}
Vec3 operator-(Vec3 a, Vec3 b) {
    return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
Vec3 operator*(float s, Vec3 a) {
    return {s * a[0], s * a[1], s * a[2]};
}
float dot(Vec3 a, Vec3 b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
Vec3 cross(Vec3 a, Vec3 b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
Vec3 normalized(Vec3 a) {
    return (1.0f / std::sqrt(dot(a, a))) * a;
}

// Quaternion (w, x, y, z) of the rotation whose matrix has columns a, b, c (orthonormal, right-handed).
std::array<float, 4> quaternion_from_axes(Vec3 a, Vec3 b, Vec3 c) {
    const float m00 = a[0], m11 = b[1], m22 = c[2];
    const float trace = m00 + m11 + m22;
    std::array<float, 4> q;
    if (trace > 0) {
        const float s = 2.0f * std::sqrt(1.0f + trace);
        q = {0.25f * s, (b[2] - c[1]) / s, (c[0] - a[2]) / s, (a[1] - b[0]) / s};
    } else if (m00 > m11 && m00 > m22) {
        const float s = 2.0f * std::sqrt(1.0f + m00 - m11 - m22);
        q = {(b[2] - c[1]) / s, 0.25f * s, (b[0] + a[1]) / s, (c[0] + a[2]) / s};
    } else if (m11 > m22) {
        const float s = 2.0f * std::sqrt(1.0f + m11 - m00 - m22);
        q = {(c[0] - a[2]) / s, (b[0] + a[1]) / s, 0.25f * s, (c[1] + b[2]) / s};
    } else {
        const float s = 2.0f * std::sqrt(1.0f + m22 - m00 - m11);
        q = {(a[1] - b[0]) / s, (c[0] + a[2]) / s, (c[1] + b[2]) / s, 0.25f * s};
    }
    return q;
}

Vec3 hue_to_rgb(float hue) {
    Vec3 rgb;
    for (int k = 0; k < 3; ++k) {
        const float phase = std::fmod(hue * 6.0f + 4.0f - 2.0f * static_cast<float>(k) + 6.0f, 6.0f);
        rgb[k] = std::clamp(std::fabs(phase - 3.0f) - 1.0f, 0.0f, 1.0f);
    }
    // Soften toward pastel so the shading term stays inside [0, 1].
    return {0.15f + 0.7f * rgb[0], 0.15f + 0.7f * rgb[1], 0.15f + 0.7f * rgb[2]};
}

struct Splat {
    Vec3 position;
    Vec3 scale;
    std::array<float, 4> rotation;
    Vec3 color;
    float opacity;
    Vec3 normal;  // for the view-dependent term
};

Vec3 trefoil(float t) {
    return {std::sin(t) + 2.0f * std::sin(2.0f * t), std::cos(t) - 2.0f * std::cos(2.0f * t),
            -std::sin(3.0f * t)};
}

}  // namespace

namespace {

// The knot-over-disc scene with `along` x `around` knot samples and a ground grid of step `ground_step`.
splatting::GaussianCloud make_knot_scene(int along_count, int around_count, float ground_step) {
    constexpr float kPi = std::numbers::pi_v<float>;
    const float kAlong = static_cast<float>(along_count);    // samples along the knot
    const float kAround = static_cast<float>(around_count);  // samples around the tube
    constexpr float kKnotScale = 0.55f;                      // fits the knot in a radius of about 1.8
    constexpr float kTube = 0.28f;                           // tube radius
    constexpr float kGroundZ = -1.2f;
    constexpr float kGroundRadius = 3.0f;
    const float kGroundStep = ground_step;
    constexpr float kShading = 0.12f;  // colour gain from facing the viewer, through SH degree 1
    constexpr float kThin = 0.004f;    // thickness of the surface discs

    std::vector<Splat> splats;
    for (int i = 0; i < along_count; ++i) {
        const float t = 2.0f * kPi * static_cast<float>(i) / kAlong;
        const Vec3 centre = kKnotScale * trefoil(t);
        const Vec3 tangent = normalized(trefoil(t + 1e-3f) - trefoil(t - 1e-3f));
        const Vec3 side = normalized(cross(tangent, Vec3{0.3f, 0.4f, 1.0f}));
        const Vec3 up = cross(side, tangent);
        const float arc = kKnotScale * std::sqrt(dot(trefoil(t + 2 * kPi / kAlong) - trefoil(t),
                                                     trefoil(t + 2 * kPi / kAlong) - trefoil(t)));
        for (int j = 0; j < around_count; ++j) {
            const float phi =
                2.0f * kPi * (static_cast<float>(j) + 0.5f * static_cast<float>(i % 2)) / kAround;
            const Vec3 normal = std::cos(phi) * side + std::sin(phi) * up;
            const Vec3 around = cross(normal, tangent);
            Splat s;
            s.position = centre + kTube * normal;
            s.scale = {0.75f * arc, 0.75f * 2.0f * kPi * kTube / kAround, kThin};
            s.rotation = quaternion_from_axes(tangent, around, normal);
            s.color = hue_to_rgb(static_cast<float>(i) / kAlong);
            s.opacity = 0.95f;
            s.normal = normal;
            splats.push_back(s);
        }
    }
    const int steps = static_cast<int>(kGroundRadius / kGroundStep);
    const int cells = std::max(1, static_cast<int>(std::lround(0.5f / kGroundStep)));
    for (int gy = -steps; gy <= steps; ++gy) {
        for (int gx = -steps; gx <= steps; ++gx) {
            const float x = static_cast<float>(gx) * kGroundStep, y = static_cast<float>(gy) * kGroundStep;
            if (x * x + y * y > kGroundRadius * kGroundRadius) continue;
            // Checker squares of `cells` grid steps (0.5 units); the even offset keeps indices positive.
            const bool dark = ((gx + 100 * cells) / cells + (gy + 100 * cells) / cells) % 2 == 0;
            Splat s;
            s.position = {x, y, kGroundZ};
            s.scale = {0.6f * kGroundStep, 0.6f * kGroundStep, kThin};
            s.rotation = {1.0f, 0.0f, 0.0f, 0.0f};
            s.color = dark ? Vec3{0.25f, 0.27f, 0.32f} : Vec3{0.82f, 0.82f, 0.78f};
            s.opacity = 0.9f;
            s.normal = {0.0f, 0.0f, 1.0f};
            splats.push_back(s);
        }
    }

    splatting::GaussianCloud cloud(splats.size(), 1, false);
    // Real SH degree 1 basis: Y = C1 * (-y, z, -x) for a unit view direction d (camera to Gaussian).
    constexpr float kC1 = 0.4886025119029199f;
    for (std::size_t i = 0; i < splats.size(); ++i) {
        const Splat& s = splats[i];
        for (int k = 0; k < 3; ++k) {
            cloud.positions()[3 * i + k] = s.position[k];
            cloud.log_scales()[3 * i + k] = std::log(s.scale[k]);
            cloud.sh_dc()[3 * i + k] = splatting::color_to_sh_dc(s.color[k]);
        }
        for (int k = 0; k < 4; ++k) cloud.rotations()[4 * i + k] = s.rotation[k];
        cloud.opacity_logits()[i] = splatting::logit(s.opacity);
        // Colour gain -kShading * dot(d, n): brightest when looking straight at the surface.
        const float coefficients[3] = {kShading * s.normal[1] / kC1, -kShading * s.normal[2] / kC1,
                                       kShading * s.normal[0] / kC1};
        for (int m = 0; m < 3; ++m)
            for (int c = 0; c < 3; ++c)
                cloud.sh_rest()[i * 9 + static_cast<std::size_t>(m) * 3 + c] = coefficients[m];
    }
    cloud.set_up(std::array<float, 3>{0.0f, 0.0f, 1.0f});  // the knot stands on a disc in the z = 0 plane
    return cloud;
}

}  // namespace

splatting::GaussianCloud make_default_scene() {
    return make_knot_scene(300, 20, 0.1f);
}

splatting::GaussianCloud make_structured_scene(std::size_t count) {
    // About 68% of the Gaussians on the knot (15 along the knot per sample around it), the rest on the disc.
    const double knot = 0.68 * static_cast<double>(count);
    const int around = std::max(6, static_cast<int>(std::lround(std::sqrt(knot / 15.0))));
    const int along = std::max(20, static_cast<int>(std::lround(knot / around)));
    const double ground = std::max(1.0, 0.32 * static_cast<double>(count));
    const float step = static_cast<float>(std::sqrt(std::numbers::pi * 9.0 / ground));
    return make_knot_scene(along, around, step);
}

void isoclinic_from_rotation(const float rotation[4][4], float left[4], float right[4]) {
    // M[k][l] = 1/4 sum_ij C_ijkl R_ij, with C_ijkl = rotation_4d(e_k, e_l)_ij; equals left_k right_l.
    double m[4][4] = {};
    for (int k = 0; k < 4; ++k)
        for (int l = 0; l < 4; ++l) {
            float ek[4] = {0, 0, 0, 0}, el[4] = {0, 0, 0, 0};
            ek[k] = 1.0f;
            el[l] = 1.0f;
            const splatting::raster::Mat4 basis = splatting::raster::rotation_4d(ek, el);
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) m[k][l] += 0.25 * basis.m[i][j] * rotation[i][j];
        }
    int best = 0;
    double best_norm = -1.0;
    for (int k = 0; k < 4; ++k) {
        const double norm = m[k][0] * m[k][0] + m[k][1] * m[k][1] + m[k][2] * m[k][2] + m[k][3] * m[k][3];
        if (norm > best_norm) best_norm = norm, best = k;
    }
    double r[4], a[4] = {0, 0, 0, 0};
    const double inv = 1.0 / std::sqrt(best_norm);
    for (int l = 0; l < 4; ++l) r[l] = m[best][l] * inv;
    for (int k = 0; k < 4; ++k)
        for (int l = 0; l < 4; ++l) a[k] += m[k][l] * r[l];
    const double a_norm = std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + a[3] * a[3]);
    for (int k = 0; k < 4; ++k) {
        left[k] = static_cast<float>(a[k] / a_norm);
        right[k] = static_cast<float>(r[k]);
    }
}

splatting::GaussianCloud with_time_fields(const splatting::GaussianCloud& still) {
    splatting::GaussianCloud cloud(still.size(), still.sh_degree(), true);
    cloud.set_up(still.up());
    std::copy(still.positions().begin(), still.positions().end(), cloud.positions().begin());
    std::copy(still.log_scales().begin(), still.log_scales().end(), cloud.log_scales().begin());
    std::copy(still.opacity_logits().begin(), still.opacity_logits().end(), cloud.opacity_logits().begin());
    std::copy(still.sh_dc().begin(), still.sh_dc().end(), cloud.sh_dc().begin());
    std::copy(still.sh_rest().begin(), still.sh_rest().end(), cloud.sh_rest().begin());
    return cloud;
}

splatting::GaussianCloud make_default_scene_4d() {
    const splatting::GaussianCloud still = make_default_scene();
    splatting::GaussianCloud cloud = with_time_fields(still);
    const std::size_t n = still.size();
    constexpr std::size_t kKnotGaussians = 300 * 20;  // make_default_scene puts the knot first
    constexpr float kDrawTimeScale = 0.04f;           // each disc fades in and out over about +-0.1
    for (std::size_t i = 0; i < n; ++i) {
        // The 3D rotation, embedded in 4D so that it leaves t alone, then split into two quaternions.
        const float* q = still.rotations().data() + 4 * i;
        const splatting::raster::Mat3 r3 = splatting::raster::quaternion_to_rotation(q[0], q[1], q[2], q[3]);
        float r4[4][4] = {};
        for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) r4[a][b] = r3.m[a][b];
        r4[3][3] = 1.0f;
        isoclinic_from_rotation(r4, cloud.rotations().data() + 4 * i, cloud.rotations_right().data() + 4 * i);
        const bool knot = i < kKnotGaussians;
        // Knot discs in drawing order (300 along the knot, 20 around each); the ground spans all time.
        cloud.time_means()[i] = knot ? static_cast<float>(i / 20) / 300.0f : 0.5f;
        cloud.log_time_scales()[i] = std::log(knot ? kDrawTimeScale : 100.0f);
    }
    return cloud;
}

splatting::GaussianCloud make_random_scene(const RandomSceneOptions& options) {
    splatting::GaussianCloud cloud(options.count, options.sh_degree, options.temporal,
                                   options.time_color_degree);
    if (options.temporal) cloud.set_time_period(options.time_period);
    Rng rng(options.seed);
    const float log_extent = std::log(options.extent);
    const std::size_t rest = static_cast<std::size_t>(splatting::sh_rest_count(options.sh_degree)) * 3;
    for (std::size_t i = 0; i < options.count; ++i) {
        for (int k = 0; k < 3; ++k) {
            cloud.positions()[3 * i + k] = rng.uniform(-options.extent, options.extent);
            cloud.log_scales()[3 * i + k] = log_extent + rng.uniform(-6.0f, -3.0f);
            cloud.sh_dc()[3 * i + k] = rng.normal() * 0.8f;
        }
        for (int k = 0; k < 4; ++k) cloud.rotations()[4 * i + k] = rng.normal();
        cloud.opacity_logits()[i] = rng.uniform(-2.0f, 4.0f);
        for (std::size_t j = 0; j < rest; ++j) {
            const float degree = std::floor(std::sqrt(static_cast<float>(j / 3 + 1)));
            cloud.sh_rest()[i * rest + j] = rng.normal() * 0.3f / degree;
        }
        if (options.temporal) {
            cloud.time_means()[i] = rng.uniform(0.0f, 1.0f);
            cloud.log_time_scales()[i] = rng.uniform(-3.0f, 0.0f);
            for (int k = 0; k < 4; ++k) cloud.rotations_right()[4 * i + k] = rng.normal();
            const std::size_t per = cloud.time_color_per_gaussian();
            for (std::size_t j = 0; j < per; ++j) cloud.time_color()[i * per + j] = rng.normal() * 0.2f;
        }
    }
    return cloud;
}

}  // namespace glint::tools
