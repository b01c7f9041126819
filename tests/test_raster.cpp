// Tile rasterizer: shared math against direct formulas, and the CPU backend against the brute-force renderer.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

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

// Real spherical harmonic Y_lm (Condon-Shortley phase, m = -l..l) of a unit direction, from the
// associated Legendre recurrence: the textbook definition, independent of the hand-expanded polynomials.
double real_sh(int l, int m, double x, double y, double z) {
    const double theta = std::acos(std::clamp(z, -1.0, 1.0));
    const double phi = std::atan2(y, x);
    const int am = std::abs(m);
    // P_am^am, then upward in l.
    double p_mm = 1.0;
    const double s = std::sin(theta), c = std::cos(theta);
    for (int k = 1; k <= am; ++k) p_mm *= -(2.0 * k - 1.0) * s;
    double p = p_mm;
    if (l > am) {
        double p_prev = p_mm;
        double p_cur = c * (2.0 * am + 1.0) * p_mm;
        for (int ll = am + 2; ll <= l; ++ll) {
            const double next = ((2.0 * ll - 1.0) * c * p_cur - (ll + am - 1.0) * p_prev) / (ll - am);
            p_prev = p_cur;
            p_cur = next;
        }
        p = p_cur;
    }
    double factorial_ratio = 1.0;  // (l - am)! / (l + am)!
    for (int k = l - am + 1; k <= l + am; ++k) factorial_ratio /= k;
    const double k_lm = std::sqrt((2.0 * l + 1.0) / (4.0 * std::numbers::pi) * factorial_ratio);
    if (m == 0) return k_lm * p;
    if (m > 0) return std::sqrt(2.0) * k_lm * p * std::cos(m * phi);
    return std::sqrt(2.0) * k_lm * p * std::sin(am * phi);
}

Camera test_camera(int width, int height) {
    return Camera::look_at({0.3f, -0.2f, -4.0f}, {0.0f, 0.0f, 0.0f}, {0.0f, -1.0f, 0.0f}, 50.0f, width,
                           height);
}

// Random Gaussians around the origin plus every awkward case the rasterizer must survive.
GaussianCloud awkward_scene(std::uint64_t seed, int sh_degree) {
    tools::RandomSceneOptions options;
    options.count = 600;
    options.sh_degree = sh_degree;
    options.seed = seed;
    options.extent = 1.5f;
    GaussianCloud cloud = tools::make_random_scene(options);
    tools::Rng rng(seed * 31 + 7);
    const auto place = [&](std::size_t i, glm::vec3 p, float log_scale) {
        for (int k = 0; k < 3; ++k) {
            cloud.positions()[3 * i + k] = p[k];
            cloud.log_scales()[3 * i + k] = log_scale + rng.uniform(-0.5f, 0.5f);
        }
    };
    const Camera camera = test_camera(64, 48);
    const glm::vec3 eye = camera.position();
    const glm::vec3 forward = glm::transpose(camera.rotation) * glm::vec3(0, 0, 1);
    for (std::size_t i = 0; i < 20; ++i)
        place(i, eye - 1.0f * forward + glm::vec3(rng.normal(), rng.normal(), 0), -2.0f);  // behind
    for (std::size_t i = 20; i < 40; ++i)
        place(i, eye + (0.2f + rng.uniform(-0.01f, 0.01f)) * forward, -1.0f);  // at the near plane
    for (std::size_t i = 40; i < 50; ++i)
        place(i, glm::vec3(rng.normal(), rng.normal(), rng.normal()), std::log(4.0f));  // huge
    for (std::size_t i = 50; i < 70; ++i)
        place(i, glm::vec3(rng.normal(), rng.normal(), rng.normal()) * 0.5f, -12.0f);  // tiny
    for (std::size_t i = 70; i < 80; ++i) {  // degenerate: exactly zero scale on one or all axes
        place(i, glm::vec3(rng.normal(), rng.normal(), rng.normal()) * 0.5f, -3.0f);
        cloud.log_scales()[3 * i + 2] = -200.0f;
        if (i % 2 == 0) cloud.log_scales()[3 * i] = cloud.log_scales()[3 * i + 1] = -200.0f;
    }
    for (std::size_t i = 80; i < 100; ++i)
        place(i, glm::vec3(rng.uniform(8, 30) * (i % 2 ? 1 : -1), rng.normal(), 2.0f), -1.0f);  // off-screen
    for (std::size_t i = 100; i < 110; ++i) cloud.opacity_logits()[i] = -9.0f;  // below 1/255 everywhere
    for (std::size_t i = 110; i < 130; ++i) cloud.opacity_logits()[i] = 8.0f;   // nearly opaque
    // Gigantic, just past the near plane: scale e^13 spans about 10^9 pixels; at e^20 the projected
    // covariance overflows float and the Gaussian is culled. Neither may reach undefined behaviour.
    for (std::size_t i = 130; i < 134; ++i) {
        place(i, eye + (0.25f + 0.05f * static_cast<float>(i - 130)) * forward, i < 132 ? 13.0f : 20.0f);
        cloud.opacity_logits()[i] = -4.0f;
    }
    return cloud;
}

void check_matches_brute_force(const GaussianCloud& cloud, const Camera& camera,
                               const RenderSettings& settings) {
    RenderOutput tiled, brute;
    const std::unique_ptr<Rasterizer> rasterizer = create_rasterizer(Backend::Cpu);
    const RenderStats stats = rasterizer->render(cloud, camera, settings, tiled);
    test::brute_force_render(cloud, camera, settings, brute);
    REQUIRE(tiled.color.size() == brute.color.size());
    float color_error = 0, alpha_error = 0, depth_error = 0;
    std::size_t count_mismatches = 0;
    for (std::size_t i = 0; i < brute.color.size(); ++i)
        color_error = std::max(color_error, std::fabs(tiled.color[i] - brute.color[i]));
    for (std::size_t i = 0; i < brute.alpha.size(); ++i) {
        alpha_error = std::max(alpha_error, std::fabs(tiled.alpha[i] - brute.alpha[i]));
        if (brute.alpha[i] > 0.01f)
            depth_error = std::max(depth_error, std::fabs(tiled.depth[i] - brute.depth[i]) / brute.depth[i]);
        count_mismatches += tiled.contributors[i] != brute.contributors[i];
    }
    MESSAGE("visible ", stats.visible, " of ", stats.gaussians, ", tile pairs ", stats.tile_pairs,
            "; max error colour ", color_error, " alpha ", alpha_error, " depth (relative) ", depth_error,
            "; contributor counts differing in ", count_mismatches, " of ", brute.alpha.size(), " pixels");
    CHECK(color_error <= 1e-4f);
    CHECK(alpha_error <= 1e-4f);
    CHECK(depth_error <= 1e-4f);
    CHECK(count_mismatches == 0);
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("sh_to_color matches the textbook real spherical harmonics up to degree 3") {
    tools::Rng rng(5);
    for (int trial = 0; trial < 200; ++trial) {
        double x = rng.normal(), y = rng.normal(), z = rng.normal();
        const double norm = std::sqrt(x * x + y * y + z * z);
        x /= norm, y /= norm, z /= norm;
        float dc[3], rest[45];
        for (float& v : dc) v = rng.normal();
        for (float& v : rest) v = rng.normal() * 0.3f;
        for (int degree = 0; degree <= 3; ++degree) {
            double expected[3] = {0, 0, 0};
            int k = 0;
            for (int l = 0; l <= degree; ++l)
                for (int m = -l; m <= l; ++m, ++k)
                    for (int c = 0; c < 3; ++c)
                        expected[c] += real_sh(l, m, x, y, z) * (k == 0 ? dc[c] : rest[3 * (k - 1) + c]);
            const Vec3 got = sh_to_color(
                degree, dc, rest, {static_cast<float>(x), static_cast<float>(y), static_cast<float>(z)});
            CHECK(got.x == doctest::Approx(std::max(expected[0] + 0.5, 0.0)).epsilon(1e-5).scale(1.0));
            CHECK(got.y == doctest::Approx(std::max(expected[1] + 0.5, 0.0)).epsilon(1e-5).scale(1.0));
            CHECK(got.z == doctest::Approx(std::max(expected[2] + 0.5, 0.0)).epsilon(1e-5).scale(1.0));
        }
    }
}

TEST_CASE("sh_to_color_4d adds each time frequency's SH expansion times cos(2 pi k dt / T)") {
    tools::Rng rng(21);
    for (int trial = 0; trial < 100; ++trial) {
        double x = rng.normal(), y = rng.normal(), z = rng.normal();
        const double norm = std::sqrt(x * x + y * y + z * z);
        x /= norm, y /= norm, z /= norm;
        const int degree = trial % 4, time_degree = 1 + trial % 2;
        const int coefficients = (degree + 1) * (degree + 1);
        float dc[3], rest[45], time_color[2 * 16 * 3];
        for (float& v : dc) v = rng.normal() * 0.3f;
        for (float& v : rest) v = rng.normal() * 0.2f;
        for (float& v : time_color) v = rng.normal() * 0.2f;
        const float dt = rng.uniform(-1, 1), period = rng.uniform(0.5f, 3.0f);
        double expected[3] = {0.5, 0.5, 0.5};
        int k = 0;
        for (int l = 0; l <= degree; ++l)
            for (int m = -l; m <= l; ++m, ++k) {
                const double basis = real_sh(l, m, x, y, z);
                for (int c = 0; c < 3; ++c) {
                    expected[c] += basis * (k == 0 ? dc[c] : rest[3 * (k - 1) + c]);
                    for (int f = 1; f <= time_degree; ++f)
                        expected[c] += basis * std::cos(2.0 * std::numbers::pi * f * dt / period) *
                                       time_color[((f - 1) * coefficients + k) * 3 + c];
                }
            }
        const Vec3 got =
            sh_to_color_4d(degree, dc, rest, time_degree, time_color, 3 * coefficients, dt, period,
                           {static_cast<float>(x), static_cast<float>(y), static_cast<float>(z)});
        CHECK(got.x == doctest::Approx(std::max(expected[0], 0.0)).epsilon(1e-5).scale(1.0));
        CHECK(got.y == doctest::Approx(std::max(expected[1], 0.0)).epsilon(1e-5).scale(1.0));
        CHECK(got.z == doctest::Approx(std::max(expected[2], 0.0)).epsilon(1e-5).scale(1.0));
    }
}

TEST_CASE("blend_exp is within 3e-7 relative of exp over the blending range") {
    double worst = 0;
    for (int i = 0; i <= 200000; ++i) {
        const float x = -87.0f * static_cast<float>(i) / 200000.0f;
        const double exact = std::exp(static_cast<double>(x));
        worst = std::max(worst, std::fabs(blend_exp(x) - exact) / exact);
    }
    MESSAGE("worst relative error ", worst);
    CHECK(worst < 3e-7);
    CHECK(blend_exp(-1000.0f) == 0.0f);
    CHECK(blend_exp(0.0f) == 1.0f);
}

TEST_CASE("projection: centre, isotropic footprint, quaternion rotation") {
    const Mat3 identity = quaternion_to_rotation(2.0f, 0, 0, 0);
    CHECK(identity.m[0][0] == 1.0f);
    CHECK(identity.m[0][1] == 0.0f);
    // 90 degrees about z maps x to y.
    const float h = std::sqrt(0.5f);
    const Vec3 turned = mul(quaternion_to_rotation(h, 0, 0, h), {1, 0, 0});
    CHECK(turned.x == doctest::Approx(0.0).scale(1.0));
    CHECK(turned.y == doctest::Approx(1.0));
    // An isotropic Gaussian of scale s at depth z: screen variance (f s / z)^2 on both axes.
    const Sym3 cov = covariance_3d({0.1f, 0.1f, 0.1f}, quaternion_to_rotation(0.3f, 0.5f, -0.2f, 0.7f));
    const Sym2 screen = project_covariance(cov, identity, {0, 0, 5}, 500, 500, 0.5f, 0.5f);
    CHECK(screen.a == doctest::Approx(100.0).epsilon(1e-5));
    CHECK(screen.c == doctest::Approx(100.0).epsilon(1e-5));
    CHECK(screen.b == doctest::Approx(0.0).scale(1.0));
    Sym2 dilated = screen;
    CHECK(apply_low_pass(dilated, false) == 1.0f);
    CHECK(dilated.a == doctest::Approx(100.3));
    Sym2 filtered = screen;
    CHECK(apply_low_pass(filtered, true) == doctest::Approx(100.0 / 100.3).epsilon(1e-5));
}

TEST_CASE("ellipse_touches_tile never drops a tile holding a pixel centre within the limit") {
    tools::Rng rng(11);
    int touched = 0, dropped_from_square = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        const float a = std::exp(rng.uniform(-3, 3)), c = std::exp(rng.uniform(-3, 3));
        const float b = rng.uniform(-0.99f, 0.99f) * std::sqrt(a * c);
        Sym2 conic{};
        REQUIRE(invert({a, b, c}, conic));
        const Vec2 center{rng.uniform(-40, 80), rng.uniform(-40, 80)};
        const float limit = rng.uniform(0.0f, 12.0f);
        for (int ty = 0; ty < 3; ++ty) {
            for (int tx = 0; tx < 3; ++tx) {
                bool any = false;
                for (int p = 0; p < 256 && !any; ++p) {
                    const float dx = static_cast<float>(tx * 16 + p % 16) + 0.5f - center.x;
                    const float dy = static_cast<float>(ty * 16 + p / 16) + 0.5f - center.y;
                    any = -2.0f * gaussian_power(conic, dx, dy) <= limit;
                }
                const bool test = ellipse_touches_tile(conic, center, limit, tx, ty);
                if (any) CHECK(test);
                touched += any;
                dropped_from_square += !test;
            }
        }
    }
    MESSAGE(touched, " tiles touched; the exact test rejected ", dropped_from_square, " of 27000 tiles");
}

TEST_CASE(
    "ellipse_row_span selects exactly the tiles ellipse_touches_tile selects, never fewer than needed") {
    tools::Rng rng(17);
    int tiles_checked = 0, disagreements = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        const float a = std::exp(rng.uniform(-4, 3)), c = std::exp(rng.uniform(-4, 3));
        const float b = rng.uniform(-0.99f, 0.99f) * std::sqrt(a * c);
        Sym2 conic{};
        REQUIRE(invert({a, b, c}, conic));
        const Vec2 center{rng.uniform(-40, 120), rng.uniform(-40, 120)};
        const float limit = rng.uniform(0.0f, 12.0f);
        for (int ty = 0; ty < 5; ++ty) {
            int first = 0, last = -1;
            const bool any_row = ellipse_row_span(conic, center, limit, ty, first, last);
            for (int tx = 0; tx < 5; ++tx) {
                const bool by_row = any_row && tx >= first && tx <= last;
                bool reached = false;  // does any pixel centre of the tile lie within the contour?
                for (int p = 0; p < 256 && !reached; ++p) {
                    const float dx = static_cast<float>(tx * 16 + p % 16) + 0.5f - center.x;
                    const float dy = static_cast<float>(ty * 16 + p / 16) + 0.5f - center.y;
                    reached = -2.0f * gaussian_power(conic, dx, dy) <= limit;
                }
                if (reached) CHECK(by_row);
                disagreements += by_row != ellipse_touches_tile(conic, center, limit, tx, ty);
                ++tiles_checked;
            }
        }
    }
    MESSAGE(disagreements, " disagreements with the per-tile test in ", tiles_checked, " tiles");
    CHECK(disagreements <= tiles_checked / 1000);
}

TEST_CASE("the CPU tile rasterizer matches the brute-force renderer on awkward scenes") {
    for (int degree : {0, 1, 3}) {
        CAPTURE(degree);
        const GaussianCloud cloud = awkward_scene(static_cast<std::uint64_t>(degree) + 1, degree);
        RenderSettings settings;
        check_matches_brute_force(cloud, test_camera(64, 48), settings);
        settings.antialias = true;
        settings.background = {0.2f, 0.5f, 1.0f};
        check_matches_brute_force(cloud, test_camera(37, 29), settings);  // sizes not multiples of 16
        settings.sh_degree = 0;
        check_matches_brute_force(cloud, test_camera(80, 16), settings);
    }
}

TEST_CASE("exact tile tests produce fewer pairs than the reference's squares, same pixels") {
    tools::RandomSceneOptions options;
    options.count = 20000;
    options.extent = 1.5f;
    const GaussianCloud cloud = tools::make_random_scene(options);
    const Camera camera = test_camera(320, 240);
    // Tile pairs the reference would sort: every tile of every rectangle.
    std::size_t square_pairs = 0;
    Mat3 w;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) w.m[i][j] = camera.rotation[j][i];
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const float* p = cloud.positions().data() + 3 * i;
        const glm::vec3 v = camera.rotation * glm::vec3(p[0], p[1], p[2]) + camera.translation;
        if (!(v.z > kDefaultNearPlane)) continue;
        const float* s = cloud.log_scales().data() + 3 * i;
        const float* q = cloud.rotations().data() + 4 * i;
        Sym2 cov2 = project_covariance(covariance_3d({std::exp(s[0]), std::exp(s[1]), std::exp(s[2])},
                                                     quaternion_to_rotation(q[0], q[1], q[2], q[3])),
                                       w, {v.x, v.y, v.z}, camera.fx, camera.fy, 160.0f / camera.fx,
                                       120.0f / camera.fy);
        apply_low_pass(cov2, false);
        Sym2 conic{};
        if (!invert(cov2, conic)) continue;
        int lo[2], hi[2];
        tile_rect({camera.fx * v.x / v.z + camera.cx, camera.fy * v.y / v.z + camera.cy},
                  reference_radius(cov2), 20, 15, lo, hi);
        square_pairs += static_cast<std::size_t>((hi[0] - lo[0]) * (hi[1] - lo[1]));
    }
    RenderOutput out;
    const RenderStats stats = create_rasterizer(Backend::Cpu)->render(cloud, camera, {}, out);
    MESSAGE("tile pairs: ", stats.tile_pairs, " with exact tests, ", square_pairs,
            " with the reference's squares");
    CHECK(stats.tile_pairs < square_pairs);
    check_matches_brute_force(cloud, test_camera(96, 64), {});
}

TEST_CASE("a single Gaussian appears where the camera looks, in its colour, over the background") {
    GaussianCloud cloud(1, 0, false);
    for (int k = 0; k < 3; ++k) cloud.log_scales()[k] = std::log(0.3f);
    cloud.rotations()[0] = 1.0f;
    cloud.opacity_logits()[0] = 10.0f;        // opacity 0.99995
    cloud.sh_dc()[0] = color_to_sh_dc(1.0f);  // red
    cloud.sh_dc()[1] = color_to_sh_dc(0.0f);
    cloud.sh_dc()[2] = color_to_sh_dc(0.0f);
    // Looking at the Gaussian from 4 units away, off to one side: it lands at the image centre.
    const Camera camera = Camera::look_at({4, 0, 0}, {0, 0, 0}, {0, 0, 1}, 40.0f, 64, 48);
    RenderSettings settings;
    settings.background = {1.0f, 1.0f, 1.0f};
    RenderOutput out;
    create_rasterizer(Backend::Cpu)->render(cloud, camera, settings, out);
    const auto pixel = [&](int x, int y) { return &out.color[3 * (static_cast<std::size_t>(y) * 64 + x)]; };
    CHECK(pixel(32, 24)[0] == doctest::Approx(1.0).epsilon(1e-3));
    CHECK(pixel(32, 24)[1] < 0.02f);  // red, not the white background
    CHECK(out.depth[24 * 64 + 32] == doctest::Approx(4.0).epsilon(0.05));
    CHECK(out.contributors[24 * 64 + 32] == 1);
    CHECK(pixel(0, 0)[1] == 1.0f);  // corners: untouched background
    CHECK(out.alpha[0] == 0.0f);
    // Symmetric about the principal point (32, 24): pixel centres 20.5 and 43.5 are 11.5 either side.
    CHECK(out.alpha[24 * 64 + 20] == doctest::Approx(out.alpha[24 * 64 + 43]).epsilon(1e-4));
    CHECK(out.alpha[12 * 64 + 32] == doctest::Approx(out.alpha[35 * 64 + 32]).epsilon(1e-4));
}

TEST_CASE("invalid cameras are rejected") {
    const GaussianCloud cloud(1, 0, false);
    RenderOutput out;
    const auto rasterizer = create_rasterizer(Backend::Cpu);
    Camera camera = test_camera(10, 10);
    camera.width = 0;
    test::check_input_error([&] { rasterizer->render(cloud, camera, {}, out); }, {"not positive"});
    camera = test_camera(10, 10);
    camera.fx = 0;
    test::check_input_error([&] { rasterizer->render(cloud, camera, {}, out); }, {"focal"});
    camera = test_camera(10, 10);
    camera.translation.x = NAN;
    test::check_input_error([&] { rasterizer->render(cloud, camera, {}, out); }, {"translation"});
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cuda");

TEST_CASE("the CUDA tile rasterizer matches the CPU backend") {
    const CudaStatus& status = cuda_status();
    if (!status.usable()) {
        test::skip(status.reason);
        return;
    }
    MESSAGE("running on ", status.device_name);
    const auto cpu = create_rasterizer(Backend::Cpu);
    const auto gpu = create_rasterizer(Backend::Cuda);
    REQUIRE(gpu->backend() == Backend::Cuda);
    tools::RandomSceneOptions options;
    options.count = 20000;
    options.extent = 1.5f;
    options.temporal = true;
    const GaussianCloud dynamic = tools::make_random_scene(options);
    for (const GaussianCloud* cloud : {&dynamic}) {
        for (int variant = 0; variant < 3; ++variant) {
            CAPTURE(variant);
            const GaussianCloud awkward = awkward_scene(static_cast<std::uint64_t>(variant) + 5, variant);
            const GaussianCloud& scene = variant == 2 ? *cloud : awkward;
            RenderSettings settings;
            settings.antialias = variant == 1;
            settings.time = 0.5f;
            settings.background = {0.1f, 0.2f, 0.3f};
            const Camera camera = test_camera(variant == 0 ? 640 : 333, variant == 0 ? 480 : 211);
            RenderOutput a, b;
            const RenderStats sa = cpu->render(scene, camera, settings, a);
            const RenderStats sb = gpu->render(scene, camera, settings, b);
            CHECK(sa.visible == sb.visible);
            CHECK(sa.tile_pairs == sb.tile_pairs);
            // __expf differs from the CPU's exp by a few ulp, which can move a contribution across the 1/255
            // threshold in rare pixels: bound the worst pixel loosely and the typical one tightly.
            float worst = 0;
            std::size_t differing = 0;
            for (std::size_t i = 0; i < a.color.size(); ++i) {
                const float e = std::fabs(a.color[i] - b.color[i]);
                worst = std::max(worst, e);
                differing += e > 1e-4f;
            }
            MESSAGE("worst colour difference ", worst, "; ", differing, " of ", a.color.size(),
                    " values above 1e-4");
            CHECK(worst < 5e-3f);
            CHECK(differing <= a.color.size() / 100);
        }
    }
}

TEST_CASE("the CUDA rasterizer keeps a scene on the device and uploads it again when it changes") {
    const CudaStatus& status = cuda_status();
    if (!status.usable()) {
        test::skip(status.reason);
        return;
    }
    const auto cpu = create_rasterizer(Backend::Cpu);
    const auto gpu = create_rasterizer(Backend::Cuda);
    GaussianCloud scene = awkward_scene(11, 0);
    const Camera camera = test_camera(320, 240);
    RenderOutput a, b;
    const auto worst = [&] {
        float most = 0;
        for (std::size_t i = 0; i < a.color.size(); ++i)
            most = std::max(most, std::fabs(a.color[i] - b.color[i]));
        return most;
    };
    gpu->render(scene, camera, {}, b);
    // Changed through a write access: the next frame shows the change (a stale device copy would not).
    for (float& logit : scene.opacity_logits()) logit = -logit;
    for (float& c : scene.sh_dc()) c = 1.0f - c;
    cpu->render(scene, camera, {}, a);
    gpu->render(scene, camera, {}, b);
    CHECK(worst() < 5e-3f);
    // A copy is another scene, even with equal contents; a different cloud replaces the resident one.
    GaussianCloud other = awkward_scene(12, 0);
    cpu->render(other, camera, {}, a);
    gpu->render(other, camera, {}, b);
    CHECK(worst() < 5e-3f);
    cpu->render(scene, camera, {}, a);
    gpu->render(scene, camera, {}, b);
    CHECK(worst() < 5e-3f);
}

TEST_SUITE_END();
