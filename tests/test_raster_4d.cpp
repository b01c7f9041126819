// 4D Gaussians: the 4D rotation, slicing at a time against the 4D density, and 4D rendering.
#include <doctest/doctest.h>

#include <cmath>

#include "brute_force_renderer.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"
#include "glint/splatting/raster/rasterizer.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;
using namespace glint::splatting::raster;

namespace {

// Inverse of a symmetric positive-definite matrix by Gauss-Jordan elimination, in double.
template <int N>
void invert(double a[N][N], double inv[N][N]) {
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) inv[i][j] = i == j ? 1.0 : 0.0;
    for (int c = 0; c < N; ++c) {
        int pivot = c;
        for (int r = c + 1; r < N; ++r)
            if (std::fabs(a[r][c]) > std::fabs(a[pivot][c])) pivot = r;
        for (int j = 0; j < N; ++j) std::swap(a[c][j], a[pivot][j]), std::swap(inv[c][j], inv[pivot][j]);
        const double d = a[c][c];
        for (int j = 0; j < N; ++j) a[c][j] /= d, inv[c][j] /= d;
        for (int r = 0; r < N; ++r) {
            if (r == c) continue;
            const double f = a[r][c];
            for (int j = 0; j < N; ++j) a[r][j] -= f * a[c][j], inv[r][j] -= f * inv[c][j];
        }
    }
}

void random_quaternion(tools::Rng& rng, float q[4]) {
    for (int k = 0; k < 4; ++k) q[k] = rng.normal();
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("rotation_4d is a rotation, and isoclinic_from_rotation recovers it") {
    tools::Rng rng(3);
    for (int trial = 0; trial < 200; ++trial) {
        float left[4], right[4];
        random_quaternion(rng, left);
        random_quaternion(rng, right);
        const Mat4 r = rotation_4d(left, right);
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) {
                float dot_ij = 0;
                for (int k = 0; k < 4; ++k) dot_ij += r.m[i][k] * r.m[j][k];
                CHECK(dot_ij == doctest::Approx(i == j ? 1.0 : 0.0).scale(1.0).epsilon(1e-5));
            }
        float l2[4], r2[4];
        tools::isoclinic_from_rotation(r.m, l2, r2);
        const Mat4 again = rotation_4d(l2, r2);
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j)
                CHECK(again.m[i][j] == doctest::Approx(r.m[i][j]).scale(1.0).epsilon(1e-5));
    }
}

TEST_CASE("slice_4d: marginal times the conditional 3D Gaussian equals the 4D density") {
    tools::Rng rng(9);
    double worst = 0;
    for (int trial = 0; trial < 500; ++trial) {
        float left[4], right[4];
        random_quaternion(rng, left);
        random_quaternion(rng, right);
        const float scale[4] = {std::exp(rng.uniform(-2, 0)), std::exp(rng.uniform(-2, 0)),
                                std::exp(rng.uniform(-2, 0)), std::exp(rng.uniform(-2, 0))};
        const Mat4 cov4 = covariance_4d(scale, rotation_4d(left, right));
        const Vec3 mu{rng.normal(), rng.normal(), rng.normal()};
        const float mu_t = rng.normal(), t = mu_t + rng.normal() * scale[3];
        Vec3 mean{};
        Sym3 c3{};
        float marginal = 0;
        REQUIRE(slice_4d(cov4, mu, mu_t, t, mean, c3, marginal));
        // A point near the slice's mean, so that the density is not vanishingly small.
        const double x[3] = {mean.x + 0.3 * rng.normal() * scale[0], mean.y + 0.3 * rng.normal() * scale[1],
                             mean.z + 0.3 * rng.normal() * scale[2]};
        double a4[4][4], i4[4][4];
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) a4[i][j] = cov4.m[i][j];
        invert<4>(a4, i4);
        const double d4[4] = {x[0] - mu.x, x[1] - mu.y, x[2] - mu.z, static_cast<double>(t) - mu_t};
        double q4 = 0;
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) q4 += d4[i] * i4[i][j] * d4[j];
        double a3[3][3] = {{c3.xx, c3.xy, c3.xz}, {c3.xy, c3.yy, c3.yz}, {c3.xz, c3.yz, c3.zz}}, i3[3][3];
        invert<3>(a3, i3);
        const double d3[3] = {x[0] - mean.x, x[1] - mean.y, x[2] - mean.z};
        double q3 = 0;
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) q3 += d3[i] * i3[i][j] * d3[j];
        const double direct = std::exp(-0.5 * q4), sliced = marginal * std::exp(-0.5 * q3);
        worst = std::max(worst, std::fabs(direct - sliced) / direct);
        CHECK(sliced == doctest::Approx(direct).epsilon(2e-3));
    }
    MESSAGE("worst relative difference ", worst);
}

TEST_CASE("a 4D Gaussian with identity rotations renders exactly like its 3D counterpart at its time mean") {
    tools::RandomSceneOptions options;
    options.count = 300;
    options.sh_degree = 1;
    options.extent = 1.5f;
    GaussianCloud still = tools::make_random_scene(options);
    GaussianCloud moving = tools::with_time_fields(still);
    const std::size_t n = still.size();
    for (std::size_t i = 0; i < n; ++i) {
        for (int k = 0; k < 4; ++k) {
            still.rotations()[4 * i + k] = k == 0 ? 1.0f : 0.0f;
            moving.rotations()[4 * i + k] = k == 0 ? 1.0f : 0.0f;
            moving.rotations_right()[4 * i + k] = k == 0 ? 1.0f : 0.0f;
        }
        moving.time_means()[i] = 0.25f;
        moving.log_time_scales()[i] = -1.0f;
    }
    const Camera camera = Camera::look_at({0.3f, -0.2f, -4.0f}, {0, 0, 0}, {0, -1, 0}, 50.0f, 64, 48);
    RenderSettings settings;
    settings.time = 0.25f;
    RenderOutput a, b;
    const auto rasterizer = create_rasterizer(Backend::Cpu);
    rasterizer->render(still, camera, settings, a);
    rasterizer->render(moving, camera, settings, b);
    CHECK(a.color == b.color);
    CHECK(a.alpha == b.alpha);
}

TEST_CASE("4D scenes: the tile rasterizer matches the brute-force renderer at several times") {
    tools::RandomSceneOptions options;
    options.count = 800;
    options.sh_degree = 2;
    options.temporal = true;
    options.time_color_degree = 2;
    options.time_period = 0.7f;
    options.extent = 1.5f;
    const GaussianCloud cloud = tools::make_random_scene(options);
    const Camera camera = Camera::look_at({0.3f, -0.2f, -4.0f}, {0, 0, 0}, {0, -1, 0}, 50.0f, 56, 40);
    const auto rasterizer = create_rasterizer(Backend::Cpu);
    for (float t : {0.0f, 0.4f, 0.9f}) {
        CAPTURE(t);
        RenderSettings settings;
        settings.time = t;
        RenderOutput tiled, brute;
        const RenderStats stats = rasterizer->render(cloud, camera, settings, tiled);
        test::brute_force_render(cloud, camera, settings, brute);
        float error = 0;
        for (std::size_t i = 0; i < brute.color.size(); ++i)
            error = std::max(error, std::fabs(tiled.color[i] - brute.color[i]));
        MESSAGE("t = ", t, ": ", stats.visible, " of ", stats.gaussians, " visible, max colour error ",
                error);
        CHECK(error <= 1e-4f);
        CHECK(tiled.contributors == brute.contributors);
        CHECK(stats.visible < stats.gaussians);  // the temporal cut-off removed some
    }
}

TEST_CASE("the temporal cut-off: Gaussians far from their time are skipped, a zero cut-off keeps them") {
    GaussianCloud cloud(1, 0, true);
    cloud.rotations()[0] = cloud.rotations_right()[0] = 1.0f;
    for (int k = 0; k < 3; ++k) cloud.log_scales()[k] = std::log(0.3f);
    cloud.opacity_logits()[0] = 10.0f;
    cloud.time_means()[0] = 0.0f;
    cloud.log_time_scales()[0] = std::log(0.1f);  // marginal at t = 0.25: exp(-3.125) = 0.044
    const Camera camera = Camera::look_at({4, 0, 0}, {0, 0, 0}, {0, 0, 1}, 40.0f, 32, 24);
    const auto rasterizer = create_rasterizer(Backend::Cpu);
    RenderSettings settings;
    settings.time = 0.25f;
    RenderOutput out;
    CHECK(rasterizer->render(cloud, camera, settings, out).visible == 0);  // 0.044 < 0.05
    settings.temporal_cutoff = 0.0f;
    CHECK(rasterizer->render(cloud, camera, settings, out).visible == 1);
    // Opacity x marginal x the spatial falloff at pixel centre (16.5, 12.5), half a pixel from the principal
    // point on both axes: screen variance (0.3 fy / 4)^2 + 0.3 with fy = 12 / tan(20 degrees).
    const double fy = 12.0 / std::tan(20.0 * 3.14159265358979 / 180.0);
    const double variance = std::pow(0.3 * fy / 4.0, 2) + 0.3;
    const double expected = 0.99995 * std::exp(-3.125) * std::exp(-0.5 * 0.5 / variance);
    CHECK(out.alpha[12 * 32 + 16] == doctest::Approx(expected).epsilon(1e-3));
}

TEST_CASE("the 4D default scene: a segment travels along the knot, the ground stays") {
    const GaussianCloud cloud = tools::make_default_scene_4d();
    constexpr std::size_t kKnot = 300 * 20;
    const std::size_t ground = cloud.size() - kKnot;
    const Camera camera = Camera::look_at({6, -5, 3.5f}, {0, 0, -0.3f}, {0, 0, 1}, 40.0f, 96, 72);
    const auto rasterizer = create_rasterizer(Backend::Cpu);
    RenderOutput out;
    RenderSettings settings;
    for (float t : {0.2f, 0.5f, 0.8f}) {
        CAPTURE(t);
        settings.time = t;
        const RenderStats stats = rasterizer->render(cloud, camera, settings, out);
        // Knot discs are kept within 0.04 * sqrt(2 ln 20) = 0.098 of their time: about 20% of the knot.
        const std::size_t knot_visible = stats.visible - ground;
        CHECK(stats.visible > ground);
        CHECK(knot_visible > kKnot / 7);
        CHECK(knot_visible < kKnot / 4);
    }
    // The travelling segment: which discs are kept depends only on |t - time mean| <= 0.098.
    for (std::size_t i = 0; i < kKnot; i += 997) {
        const float mean = cloud.time_means()[i];
        CHECK(mean == doctest::Approx(static_cast<float>(i / 20) / 300.0f));
    }
}

TEST_SUITE_END();
