// Implementation of the procedural scenes.
#include "scene_generators.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "glint/core/error.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/gradients.h"
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

// The knot's samples and the ground's step for about `count` Gaussians: about 68% on the knot (15 along the
// knot per sample around it), the rest on the disc.
void structured_layout(std::size_t count, int& along, int& around, float& step) {
    const double knot = 0.68 * static_cast<double>(count);
    around = std::max(6, static_cast<int>(std::lround(std::sqrt(knot / 15.0))));
    along = std::max(20, static_cast<int>(std::lround(knot / around)));
    const double ground = std::max(1.0, 0.32 * static_cast<double>(count));
    step = static_cast<float>(std::sqrt(std::numbers::pi * 9.0 / ground));
}

}  // namespace

splatting::GaussianCloud make_default_scene() {
    return make_knot_scene(300, 20, 0.1f);
}

splatting::GaussianCloud make_structured_scene(std::size_t count) {
    int along = 0, around = 0;
    float step = 0.0f;
    structured_layout(count, along, around, step);
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

splatting::GaussianCloud make_default_scene_4d(int laps, std::size_t count) {
    GLINT_CHECK(laps >= 1, "at least one lap");
    int along = 300, around = 20;
    float step = 0.1f;
    if (count > 0) structured_layout(count, along, around, step);
    const splatting::GaussianCloud still = make_knot_scene(along, around, step);
    const std::size_t knot = static_cast<std::size_t>(along) * static_cast<std::size_t>(around);
    const std::size_t ground = still.size() - knot, n = knot * static_cast<std::size_t>(laps) + ground;
    // The knot's Gaussians once per lap, then the ground once.
    std::vector<std::uint32_t> source(n);
    for (std::size_t i = 0; i < n; ++i)
        source[i] = static_cast<std::uint32_t>(
            i < knot * static_cast<std::size_t>(laps) ? i % knot : i - knot * (laps - 1));
    splatting::GaussianCloud copies(n, still.sh_degree(), false);
    const std::size_t rest = static_cast<std::size_t>(splatting::sh_rest_count(still.sh_degree())) * 3;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = source[i];
        for (int a = 0; a < 3; ++a) {
            copies.positions()[3 * i + a] = still.positions()[3 * j + a];
            copies.log_scales()[3 * i + a] = still.log_scales()[3 * j + a];
            copies.sh_dc()[3 * i + a] = still.sh_dc()[3 * j + a];
        }
        for (int a = 0; a < 4; ++a) copies.rotations()[4 * i + a] = still.rotations()[4 * j + a];
        copies.opacity_logits()[i] = still.opacity_logits()[j];
        for (std::size_t k = 0; k < rest; ++k) copies.sh_rest()[rest * i + k] = still.sh_rest()[rest * j + k];
    }
    copies.set_up(still.up());
    splatting::GaussianCloud cloud = with_time_fields(copies);
    constexpr float kDrawTimeScale = 0.04f;  // each disc fades in and out over about +-0.1
    for (std::size_t i = 0; i < n; ++i) {
        // The 3D rotation, embedded in 4D so that it leaves t alone, then split into two quaternions.
        const float* q = copies.rotations().data() + 4 * i;
        const splatting::raster::Mat3 r3 = splatting::raster::quaternion_to_rotation(q[0], q[1], q[2], q[3]);
        float r4[4][4] = {};
        for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) r4[a][b] = r3.m[a][b];
        r4[3][3] = 1.0f;
        isoclinic_from_rotation(r4, cloud.rotations().data() + 4 * i, cloud.rotations_right().data() + 4 * i);
        const bool on_knot = i < knot * static_cast<std::size_t>(laps);
        // Knot discs in drawing order (`along` along the knot, `around` around each), one lap per unit of
        // time; the ground spans all time.
        const std::size_t lap = i / knot, k = i % knot;
        cloud.time_means()[i] =
            on_knot ? static_cast<float>(lap) +
                          static_cast<float>(k / static_cast<std::size_t>(around)) / static_cast<float>(along)
                    : 0.5f * static_cast<float>(laps);
        cloud.log_time_scales()[i] = std::log(on_knot ? kDrawTimeScale : 100.0f * static_cast<float>(laps));
    }
    if (laps > 1) cloud.set_time_range(std::array<float, 2>{0.0f, static_cast<float>(laps)});
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

namespace glint::tools {

std::array<float, 225> sh_rotation(const float rotation[3][3]) {
    // Directions on a Fibonacci sphere: many more than the 15 unknowns, spread evenly.
    constexpr int kDirections = 128;
    double a[15][15] = {}, b[15][15] = {};
    for (int n = 0; n < kDirections; ++n) {
        const double z = 1.0 - (2.0 * n + 1.0) / kDirections, r = std::sqrt(1.0 - z * z);
        const double phi = n * std::numbers::pi * (3.0 - std::sqrt(5.0));
        const double d[3] = {r * std::cos(phi), r * std::sin(phi), z};
        double turned[3];  // R^T d: where the unturned scene was seen from
        for (int k = 0; k < 3; ++k)
            turned[k] = rotation[0][k] * d[0] + rotation[1][k] * d[1] + rotation[2][k] * d[2];
        double y[15], yr[15];
        splatting::raster::sh_basis<double>(3, d, y);
        splatting::raster::sh_basis<double>(3, turned, yr);
        for (int i = 0; i < 15; ++i)
            for (int j = 0; j < 15; ++j) a[i][j] += y[i] * y[j], b[i][j] += y[i] * yr[j];
    }
    // M = A^-1 B by Gauss-Jordan elimination with partial pivoting (A is well conditioned).
    for (int col = 0; col < 15; ++col) {
        int pivot = col;
        for (int row = col + 1; row < 15; ++row)
            if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
        std::swap(a[col], a[pivot]);
        std::swap(b[col], b[pivot]);
        const double inverse = 1.0 / a[col][col];
        for (int j = 0; j < 15; ++j) a[col][j] *= inverse, b[col][j] *= inverse;
        for (int row = 0; row < 15; ++row) {
            if (row == col || a[row][col] == 0.0) continue;
            const double f = a[row][col];
            for (int j = 0; j < 15; ++j) a[row][j] -= f * a[col][j], b[row][j] -= f * b[col][j];
        }
    }
    std::array<float, 225> m{};
    for (int i = 0; i < 15; ++i)
        for (int j = 0; j < 15; ++j) m[static_cast<std::size_t>(15 * i + j)] = static_cast<float>(b[i][j]);
    return m;
}

splatting::GaussianCloud make_city_scene(const splatting::GaussianCloud& block, const CityOptions& options) {
    GLINT_CHECK(!block.empty() && !block.is_4d(), "a city is built from a non-empty 3D scene");
    GLINT_CHECK(options.spacing > 0.0f && options.ground_step >= 0.0f, "positive spacing");
    const std::size_t n = block.size();
    // The block's frame: up, two axes across it, the ground (the lowest percentile along up) and the
    // point on the ground under its mean.
    Vec3 up = {0.0f, 0.0f, 1.0f};
    if (block.up()) up = normalized({(*block.up())[0], (*block.up())[1], (*block.up())[2]});
    const Vec3 helper = std::abs(up[0]) < 0.9f ? Vec3{1.0f, 0.0f, 0.0f} : Vec3{0.0f, 1.0f, 0.0f};
    const Vec3 across = normalized(cross(helper, up)), along = cross(up, across);
    const auto position = [&](std::size_t i) {
        return Vec3{block.positions()[3 * i], block.positions()[3 * i + 1], block.positions()[3 * i + 2]};
    };
    std::vector<float> heights(n);
    Vec3 mean = {0.0f, 0.0f, 0.0f};
    for (std::size_t i = 0; i < n; ++i) {
        heights[i] = dot(position(i), up);
        mean = mean + (1.0f / static_cast<float>(n)) * position(i);
    }
    std::nth_element(heights.begin(), heights.begin() + static_cast<std::ptrdiff_t>(n / 100), heights.end());
    const float ground = heights[n / 100];
    const Vec3 origin = mean + (ground - dot(mean, up)) * up;

    // Blocks per side: the smallest grid that, with its street, reaches the count.
    const auto street_count = [&](std::size_t side) -> std::size_t {
        if (options.ground_step <= 0.0f) return 0;
        const auto per_row = static_cast<std::size_t>(
            std::ceil(static_cast<float>(side) * options.spacing / options.ground_step));
        return per_row * per_row;
    };
    std::size_t side = 1;
    while (side * side * n + street_count(side) < options.count) ++side;
    const std::size_t blocks = side * side, streets = street_count(side);
    const int degree = block.sh_degree();
    const std::size_t rest = static_cast<std::size_t>(splatting::sh_rest_count(degree));
    splatting::GaussianCloud city(blocks * n + streets, degree, false);
    city.set_up(std::array<float, 3>{up[0], up[1], up[2]});
    const float half = 0.5f * static_cast<float>(side - 1) * options.spacing;

    Rng rng(options.seed);
    for (std::size_t b = 0; b < blocks; ++b) {
        const float angle = rng.uniform(0.0f, 2.0f * std::numbers::pi_v<float>);
        const float scale = std::exp(rng.uniform(std::log(0.8f), std::log(1.25f)));
        const Vec3 centre = origin + (static_cast<float>(b % side) * options.spacing - half) * across +
                            (static_cast<float>(b / side) * options.spacing - half) * along;
        // Rotation by `angle` about up (Rodrigues), as a matrix and a quaternion (w, x, y, z).
        const float c = std::cos(angle), s = std::sin(angle);
        float r[3][3];
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) {
                const float cross_term = (i == j) ? 0.0f : ((i + 1) % 3 == j ? -1.0f : 1.0f) * up[3 - i - j];
                r[i][j] = (i == j ? c : 0.0f) + (1.0f - c) * up[i] * up[j] + s * cross_term;
            }
        const float qr[4] = {std::cos(0.5f * angle), std::sin(0.5f * angle) * up[0],
                             std::sin(0.5f * angle) * up[1], std::sin(0.5f * angle) * up[2]};
        const std::array<float, 225> m = sh_rotation(r);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t o = b * n + i;
            const Vec3 p = position(i) - origin;
            for (int k = 0; k < 3; ++k) {
                city.positions()[3 * o + k] =
                    centre[k] + scale * (r[k][0] * p[0] + r[k][1] * p[1] + r[k][2] * p[2]);
                city.log_scales()[3 * o + k] = block.log_scales()[3 * i + k] + std::log(scale);
                city.sh_dc()[3 * o + k] = block.sh_dc()[3 * i + k];
            }
            const float* q = &block.rotations()[4 * i];
            float* t = &city.rotations()[4 * o];
            t[0] = qr[0] * q[0] - qr[1] * q[1] - qr[2] * q[2] - qr[3] * q[3];
            t[1] = qr[0] * q[1] + qr[1] * q[0] + qr[2] * q[3] - qr[3] * q[2];
            t[2] = qr[0] * q[2] - qr[1] * q[3] + qr[2] * q[0] + qr[3] * q[1];
            t[3] = qr[0] * q[3] + qr[1] * q[2] - qr[2] * q[1] + qr[3] * q[0];
            city.opacity_logits()[o] = block.opacity_logits()[i];
            for (std::size_t row = 0; row < rest; ++row)
                for (int ch = 0; ch < 3; ++ch) {
                    float sum = 0.0f;
                    for (std::size_t col = 0; col < rest; ++col)
                        sum += m[15 * row + col] * block.sh_rest()[(i * rest + col) * 3 + ch];
                    city.sh_rest()[(o * rest + row) * 3 + ch] = sum;
                }
        }
    }
    // The street: flat grey Gaussians just under the blocks' ground, over the whole grid.
    if (streets > 0) {
        const auto per_row = static_cast<std::size_t>(std::lround(std::sqrt(static_cast<double>(streets))));
        const std::array<float, 4> q = quaternion_from_axes(across, along, up);
        const float extent = static_cast<float>(side) * options.spacing, lowered = 0.01f * options.spacing;
        for (std::size_t k = 0; k < streets; ++k) {
            const std::size_t o = blocks * n + k;
            const float u = (static_cast<float>(k % per_row) + 0.5f) * options.ground_step - 0.5f * extent;
            const float v = (static_cast<float>(k / per_row) + 0.5f) * options.ground_step - 0.5f * extent;
            const Vec3 p = origin + u * across + v * along + (-lowered) * up;
            const float grey = 0.30f + 0.06f * rng.uniform();
            for (int a = 0; a < 3; ++a) {
                city.positions()[3 * o + a] = p[a];
                city.sh_dc()[3 * o + a] = splatting::color_to_sh_dc(grey);
            }
            city.log_scales()[3 * o] = city.log_scales()[3 * o + 1] = std::log(0.6f * options.ground_step);
            city.log_scales()[3 * o + 2] = std::log(0.004f);
            for (int a = 0; a < 4; ++a) city.rotations()[4 * o + a] = q[a];
            city.opacity_logits()[o] = splatting::logit(0.9f);
        }
    }
    return city;
}

}  // namespace glint::tools
