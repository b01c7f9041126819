// Gradients of the rasterizer: the per-Gaussian chain against central finite differences in double
// precision, and the float chain against the production preprocess.
#include "test_support.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <span>
#include <vector>

#include "glint/core/adam.h"
#include "glint/core/backend.h"
#include "glint/splatting/gaussian_cloud.h"
#include "glint/splatting/raster/gradients.h"
#include "glint/splatting/raster/gradients_4d.h"
#include "glint/splatting/raster/preprocess.h"
#include "glint/splatting/raster/rasterizer.h"
#include "scene_generators.h"

using namespace glint::splatting::raster;

namespace {

template <typename T>
struct Sample {
    T position[3], log_scale[3], rotation[4], opacity_logit;
    std::vector<T> dc = std::vector<T>(3), rest = std::vector<T>(45);
    Gaussian3<T> gaussian() const {
        Gaussian3<T> g{};
        for (int i = 0; i < 3; ++i) g.position[i] = position[i], g.log_scale[i] = log_scale[i];
        for (int i = 0; i < 4; ++i) g.rotation[i] = rotation[i];
        g.opacity_logit = opacity_logit;
        g.sh_dc = dc.data();
        g.sh_rest = rest.data();
        return g;
    }
};

// A camera at `eye` looking at the origin, z up, 64x48 pixels.
View3<double> make_view(double ex, double ey, double ez, int degree, double focal = 50.0) {
    View3<double> v{};
    const double eye[3] = {ex, ey, ez};
    double f[3] = {-ex, -ey, -ez};
    const double fl = std::sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]);
    for (double& c : f) c /= fl;
    double r[3] = {f[1] * 1 - f[2] * 0, f[2] * 0 - f[0] * 1, 0};  // f x up(0,0,1)
    const double rl = std::sqrt(r[0] * r[0] + r[1] * r[1]);
    r[0] /= rl, r[1] /= rl;
    const double d[3] = {f[1] * r[2] - f[2] * r[1], f[2] * r[0] - f[0] * r[2],
                         f[0] * r[1] - f[1] * r[0]};  // down
    for (int k = 0; k < 3; ++k) {
        v.rotation[0][k] = r[k];
        v.rotation[1][k] = d[k];
        v.rotation[2][k] = f[k];
        v.position[k] = eye[k];
    }
    for (int i = 0; i < 3; ++i)
        v.translation[i] =
            -(v.rotation[i][0] * eye[0] + v.rotation[i][1] * eye[1] + v.rotation[i][2] * eye[2]);
    v.fx = v.fy = focal;
    v.cx = 32.0, v.cy = 24.0;
    v.tan_fov_x = 32.0 / focal, v.tan_fov_y = 24.0 / focal;
    v.sh_degree = degree;
    return v;
}

// A scalar loss of the projected outputs with fixed random weights.
struct Weights {
    double mean[2], conic[3], opacity, color[3];
};
double loss(const Projected<double>& p, const Weights& w) {
    double l = w.mean[0] * p.mean[0] + w.mean[1] * p.mean[1] + w.opacity * p.opacity;
    for (int i = 0; i < 3; ++i) l += w.conic[i] * p.conic[i] + w.color[i] * p.color[i];
    return l;
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE("per-Gaussian gradients equal central finite differences (double precision)") {
        std::mt19937 random(3);
        std::uniform_real_distribution<double> u(-1.0, 1.0);
        int checked = 0, clamped = 0;
        for (int trial = 0; trial < 40; ++trial) {
            const int degree = trial % 4;
            // Every fourth camera has a narrow field of view, so that Gaussians off its axis hit the
            // tangent clamp.
            const View3<double> view = trial % 4 == 3
                                           ? make_view(0.6, -2.0, 0.3, degree, 200.0)
                                           : make_view(3.0 + u(random), -3.0, 2.0 + u(random), degree);
            Sample<double> s;
            for (int i = 0; i < 3; ++i) {
                s.position[i] = 0.8 * u(random);
                s.log_scale[i] = -2.0 + 0.8 * u(random);
            }
            for (double& q : s.rotation) q = u(random);
            s.opacity_logit = 2.0 * u(random);
            for (double& c : s.dc) c = u(random);
            for (double& c : s.rest) c = 0.4 * u(random);
            Weights w;
            for (double& x : w.mean) x = u(random);
            for (double& x : w.conic) x = 20.0 * u(random);  // conic entries are small: weigh them up
            w.opacity = u(random);
            for (double& x : w.color) x = u(random);

            Projected<double> p;
            if (!project_gaussian(s.gaussian(), view, 0.2, p)) continue;
            clamped += p.clamped_x || p.clamped_y ? 1 : 0;
            ProjectedGradient<double> in{{w.mean[0], w.mean[1]},
                                         {w.conic[0], w.conic[1], w.conic[2]},
                                         w.opacity,
                                         {w.color[0], w.color[1], w.color[2]}};
            std::vector<double> v_dc(3, 0.0), v_rest(45, 0.0);
            GaussianGradient<double> out{};
            out.sh_dc = v_dc.data();
            out.sh_rest = v_rest.data();
            project_gaussian_backward(s.gaussian(), view, p, in, out);

            // Every parameter, perturbed both ways.
            const auto numeric = [&](double& parameter) {
                const double h = 1e-6, keep = parameter;
                Projected<double> a, b;
                parameter = keep + h;
                project_gaussian(s.gaussian(), view, 0.2, a);
                parameter = keep - h;
                project_gaussian(s.gaussian(), view, 0.2, b);
                parameter = keep;
                return (loss(a, w) - loss(b, w)) / (2 * h);
            };
            const auto compare = [&](const char* name, double& parameter, double analytic) {
                const double expected = numeric(parameter);
                CAPTURE(trial);
                CAPTURE(name);
                CHECK(analytic == doctest::Approx(expected).epsilon(1e-5).scale(1e-3));
                ++checked;
            };
            for (int i = 0; i < 3; ++i) compare("position", s.position[i], out.position[i]);
            for (int i = 0; i < 3; ++i) compare("log_scale", s.log_scale[i], out.log_scale[i]);
            for (int i = 0; i < 4; ++i) compare("rotation", s.rotation[i], out.rotation[i]);
            compare("opacity", s.opacity_logit, out.opacity_logit);
            for (int i = 0; i < 3; ++i) compare("sh_dc", s.dc[i], v_dc[i]);
            const int rest = (degree + 1) * (degree + 1) - 1;
            for (int i = 0; i < 3 * rest; ++i) compare("sh_rest", s.rest[i], v_rest[i]);
        }
        CHECK(checked > 400);
        CHECK(clamped > 0);  // the tangent clamp's derivative was checked too
    }

    TEST_CASE("the float chain computes what the rasterizer's preprocess computes") {
        std::mt19937 random(5);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        const View3<double> vd = make_view(3.0, -3.0, 2.0, 3);
        View3<float> v{};
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) v.rotation[i][j] = static_cast<float>(vd.rotation[i][j]);
            v.translation[i] = static_cast<float>(vd.translation[i]);
            v.position[i] = static_cast<float>(vd.position[i]);
        }
        v.fx = v.fy = 50.0f, v.cx = 32.0f, v.cy = 24.0f, v.tan_fov_x = 0.64f, v.tan_fov_y = 0.48f,
        v.sh_degree = 3;
        FrameParams f{};
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) f.view_rotation.m[i][j] = v.rotation[i][j];
        }
        f.view_translation = {v.translation[0], v.translation[1], v.translation[2]};
        f.camera_position = {v.position[0], v.position[1], v.position[2]};
        f.fx = f.fy = 50.0f, f.cx = 32.0f, f.cy = 24.0f, f.tan_fov_x = 0.64f, f.tan_fov_y = 0.48f;
        f.near_plane = 0.2f, f.sh_degree = 3, f.sh_rest_stride = 45, f.grid_x = 4, f.grid_y = 3;
        int compared = 0;
        for (int trial = 0; trial < 50; ++trial) {
            float position[3], log_scale[3], rotation[4], opacity = u(random), dc[3], rest[45];
            for (float& x : position) x = 0.5f * u(random);
            for (float& x : log_scale) x = -2.5f + 0.5f * u(random);
            for (float& x : rotation) x = u(random);
            for (float& x : dc) x = u(random);
            for (float& x : rest) x = 0.3f * u(random);
            const GaussianArrays arrays{position, log_scale, rotation, &opacity, dc,     rest,
                                        nullptr,  nullptr,   nullptr,  nullptr,  nullptr};
            Splat splat{};
            if (preprocess_gaussian(arrays, f, 0, splat) == 0) continue;
            Gaussian3<float> g{};
            for (int i = 0; i < 3; ++i) g.position[i] = position[i], g.log_scale[i] = log_scale[i];
            for (int i = 0; i < 4; ++i) g.rotation[i] = rotation[i];
            g.opacity_logit = opacity;
            g.sh_dc = dc;
            g.sh_rest = rest;
            Projected<float> p;
            REQUIRE(project_gaussian(g, v, 0.2f, p));
            CHECK(p.mean[0] == doctest::Approx(splat.mean.x).epsilon(1e-5));
            CHECK(p.mean[1] == doctest::Approx(splat.mean.y).epsilon(1e-5));
            CHECK(p.conic[0] == doctest::Approx(splat.conic.a).epsilon(1e-4));
            CHECK(p.conic[1] == doctest::Approx(splat.conic.b).epsilon(1e-4).scale(1e-3));
            CHECK(p.conic[2] == doctest::Approx(splat.conic.c).epsilon(1e-4));
            CHECK(p.opacity == doctest::Approx(splat.opacity).epsilon(1e-6));
            for (int c = 0; c < 3; ++c)
                CHECK(p.color[c] == doctest::Approx((&splat.color.x)[c]).epsilon(1e-5));
            ++compared;
        }
        CHECK(compared > 20);
    }
}

namespace {

// A random 4D Gaussian in double: the 3D sample's fields plus time, a right quaternion and two time
// frequencies of colour (blocks of 16 coefficients x 3 for SH degree 3).
struct Sample4 {
    double position[3], time_mean, log_scale[3], log_time_scale, left[4], right[4], opacity_logit;
    std::vector<double> dc = std::vector<double>(3), rest = std::vector<double>(45),
                        time_color = std::vector<double>(2 * 48);
    Gaussian4<double> gaussian() const {
        Gaussian4<double> g{};
        for (int i = 0; i < 3; ++i) g.position[i] = position[i], g.log_scale[i] = log_scale[i];
        for (int i = 0; i < 4; ++i) g.left[i] = left[i], g.right[i] = right[i];
        g.time_mean = time_mean, g.log_time_scale = log_time_scale, g.opacity_logit = opacity_logit;
        g.sh_dc = dc.data(), g.sh_rest = rest.data(), g.time_color = time_color.data();
        return g;
    }
};

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE("4D per-Gaussian gradients equal central finite differences (double precision)") {
        std::mt19937 random(11);
        std::uniform_real_distribution<double> u(-1.0, 1.0);
        int checked = 0;
        for (int trial = 0; trial < 40; ++trial) {
            const int degree = trial % 4;
            View4<double> view{make_view(3.0 + u(random), -3.0, 2.0 + u(random), degree),
                               0.5 + 0.4 * u(random), 1.0 + 0.3 * u(random), trial % 3, 48};
            Sample4 s;
            for (int i = 0; i < 3; ++i) {
                s.position[i] = 0.8 * u(random);
                s.log_scale[i] = -2.0 + 0.8 * u(random);
            }
            s.time_mean = 0.5 + 0.3 * u(random);
            s.log_time_scale = -1.5 + 0.5 * u(random);
            for (double& q : s.left) q = u(random);
            for (double& q : s.right) q = u(random);
            s.opacity_logit = 2.0 * u(random);
            for (double& c : s.dc) c = u(random);
            for (double& c : s.rest) c = 0.4 * u(random);
            for (double& c : s.time_color) c = 0.3 * u(random);
            Weights w;
            for (double& x : w.mean) x = u(random);
            for (double& x : w.conic) x = 20.0 * u(random);
            w.opacity = u(random);
            for (double& x : w.color) x = u(random);

            Projected4<double> q;
            if (!project_gaussian_4d(s.gaussian(), view, 0.2, q)) continue;
            if (q.marginal < 1e-3) continue;  // too far from its time for differences to say anything
            const ProjectedGradient<double> in{{w.mean[0], w.mean[1]},
                                               {w.conic[0], w.conic[1], w.conic[2]},
                                               w.opacity,
                                               {w.color[0], w.color[1], w.color[2]}};
            std::vector<double> v_dc(3, 0.0), v_rest(45, 0.0), v_time(2 * 48, 0.0);
            Gaussian4Gradient<double> out{};
            out.sh_dc = v_dc.data(), out.sh_rest = v_rest.data(), out.time_color = v_time.data();
            project_gaussian_4d_backward(s.gaussian(), view, q, in, out);

            const auto compare = [&](const char* name, double& parameter, double analytic) {
                const double h = 1e-6, keep = parameter;
                Projected4<double> a, b;
                parameter = keep + h;
                const bool fa = project_gaussian_4d(s.gaussian(), view, 0.2, a);
                parameter = keep - h;
                const bool fb = project_gaussian_4d(s.gaussian(), view, 0.2, b);
                parameter = keep;
                REQUIRE((fa && fb));
                const double expected = (loss(a.p, w) - loss(b.p, w)) / (2 * h);
                CAPTURE(trial);
                CAPTURE(name);
                CHECK(analytic == doctest::Approx(expected).epsilon(1e-5).scale(1e-3));
                ++checked;
            };
            for (int i = 0; i < 3; ++i) compare("position", s.position[i], out.position[i]);
            compare("time_mean", s.time_mean, out.time_mean);
            for (int i = 0; i < 3; ++i) compare("log_scale", s.log_scale[i], out.log_scale[i]);
            compare("log_time_scale", s.log_time_scale, out.log_time_scale);
            for (int i = 0; i < 4; ++i) compare("left", s.left[i], out.left[i]);
            for (int i = 0; i < 4; ++i) compare("right", s.right[i], out.right[i]);
            compare("opacity", s.opacity_logit, out.opacity_logit);
            for (int i = 0; i < 3; ++i) compare("sh_dc", s.dc[i], v_dc[i]);
            const int rest = (degree + 1) * (degree + 1) - 1;
            for (int i = 0; i < 3 * rest; ++i) compare("sh_rest", s.rest[i], v_rest[i]);
            for (int f = 0; f < view.time_degree; ++f)
                for (int i = 0; i < 3 * (rest + 1); ++i)
                    compare("time_color", s.time_color[48 * f + i], v_time[48 * f + i]);
        }
        CHECK(checked > 600);
    }

    TEST_CASE("the float 4D chain computes what the rasterizer's preprocess computes at a time") {
        std::mt19937 random(7);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        const View3<double> vd = make_view(3.0, -3.0, 2.0, 2);
        View4<float> v{};
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) v.view.rotation[i][j] = static_cast<float>(vd.rotation[i][j]);
            v.view.translation[i] = static_cast<float>(vd.translation[i]);
            v.view.position[i] = static_cast<float>(vd.position[i]);
        }
        v.view.fx = v.view.fy = 50.0f, v.view.cx = 32.0f, v.view.cy = 24.0f, v.view.tan_fov_x = 0.64f,
        v.view.tan_fov_y = 0.48f, v.view.sh_degree = 2;
        v.time = 0.4f, v.period = 1.0f, v.time_degree = 1, v.time_block = 27;
        FrameParams f{};
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) f.view_rotation.m[i][j] = v.view.rotation[i][j];
        f.view_translation = {v.view.translation[0], v.view.translation[1], v.view.translation[2]};
        f.camera_position = {v.view.position[0], v.view.position[1], v.view.position[2]};
        f.fx = f.fy = 50.0f, f.cx = 32.0f, f.cy = 24.0f, f.tan_fov_x = 0.64f, f.tan_fov_y = 0.48f;
        f.near_plane = 0.2f, f.sh_degree = 2, f.sh_rest_stride = 24, f.grid_x = 4, f.grid_y = 3;
        f.temporal = 1, f.time = 0.4f, f.temporal_cutoff = 0.0f, f.time_period = 1.0f;
        f.time_color_degree = 1, f.time_color_stride = 27;
        int compared = 0;
        for (int trial = 0; trial < 60; ++trial) {
            float position[3], log_scale[3], left[4], right[4], opacity = u(random), dc[3], rest[24];
            float time_mean = 0.4f + 0.2f * u(random), log_time_scale = -1.5f + 0.3f * u(random),
                  time_color[27];
            for (float& x : position) x = 0.5f * u(random);
            for (float& x : log_scale) x = -2.5f + 0.5f * u(random);
            for (float& x : left) x = u(random);
            for (float& x : right) x = u(random);
            for (float& x : dc) x = u(random);
            for (float& x : rest) x = 0.3f * u(random);
            for (float& x : time_color) x = 0.3f * u(random);
            const GaussianArrays arrays{position,   log_scale,       left,  &opacity,   dc,     rest,
                                        &time_mean, &log_time_scale, right, time_color, nullptr};
            Splat splat{};
            if (preprocess_gaussian(arrays, f, 0, splat) == 0) continue;
            Gaussian4<float> g{};
            for (int i = 0; i < 3; ++i) g.position[i] = position[i], g.log_scale[i] = log_scale[i];
            for (int i = 0; i < 4; ++i) g.left[i] = left[i], g.right[i] = right[i];
            g.time_mean = time_mean, g.log_time_scale = log_time_scale, g.opacity_logit = opacity;
            g.sh_dc = dc, g.sh_rest = rest, g.time_color = time_color;
            Projected4<float> q;
            REQUIRE(project_gaussian_4d(g, v, 0.2f, q));
            CHECK(q.p.mean[0] == doctest::Approx(splat.mean.x).epsilon(1e-4));
            CHECK(q.p.mean[1] == doctest::Approx(splat.mean.y).epsilon(1e-4));
            CHECK(q.p.conic[0] == doctest::Approx(splat.conic.a).epsilon(1e-3));
            CHECK(q.p.conic[1] == doctest::Approx(splat.conic.b).epsilon(1e-3).scale(1e-2));
            CHECK(q.p.conic[2] == doctest::Approx(splat.conic.c).epsilon(1e-3));
            CHECK(q.p.opacity == doctest::Approx(splat.opacity).epsilon(1e-5));
            for (int c = 0; c < 3; ++c)
                CHECK(q.p.color[c] == doctest::Approx((&splat.color.x)[c]).epsilon(1e-4));
            ++compared;
        }
        CHECK(compared > 20);
    }
}

namespace {

using glint::Camera;
using glint::splatting::GaussianCloud;

// A small scene in double precision: raw parameters per Gaussian, SH degree 2.
struct DoubleScene {
    static constexpr int kDegree = 2, kRest = 8;
    int n = 0;
    std::vector<double> position, log_scale, rotation, opacity, dc, rest;
    GaussianCloud to_cloud() const {
        GaussianCloud c(static_cast<std::size_t>(n), kDegree, false);
        const auto copy = [](const std::vector<double>& from, std::span<float> to) {
            for (std::size_t i = 0; i < from.size(); ++i) to[i] = static_cast<float>(from[i]);
        };
        copy(position, c.positions());
        copy(log_scale, c.log_scales());
        copy(rotation, c.rotations());
        copy(opacity, c.opacity_logits());
        copy(dc, c.sh_dc());
        copy(rest, c.sh_rest());
        return c;
    }
};

// The tile rasterizer's image, brute force in double: every Gaussian for every pixel, front to back by
// depth, with the forward pass's rules (the reference's tile rectangle, alpha clamp, 1/255 skip, early
// stop). Returns sum over pixels and channels of weight * colour.
// The same for any projection of Gaussian i (3D or 4D).
template <typename Project>
double render_projected(int count, Project project, int width, int height, const double background[3],
                        const std::vector<double>& weights) {
    struct Item {
        Projected<double> p;
        int rect[4];
    };
    std::vector<Item> items;
    const int grid_x = (width + kTileSize - 1) / kTileSize, grid_y = (height + kTileSize - 1) / kTileSize;
    for (int i = 0; i < count; ++i) {
        Item item;
        if (!project(i, item.p)) continue;
        const Sym2 cov{static_cast<float>(item.p.cov2[0]), static_cast<float>(item.p.cov2[1]),
                       static_cast<float>(item.p.cov2[2])};
        int lo[2], hi[2];
        tile_rect({static_cast<float>(item.p.mean[0]), static_cast<float>(item.p.mean[1])},
                  reference_radius(cov), grid_x, grid_y, lo, hi);
        item.rect[0] = lo[0], item.rect[1] = lo[1], item.rect[2] = hi[0], item.rect[3] = hi[1];
        items.push_back(item);
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.p.depth < b.p.depth; });
    double loss = 0.0;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const int tx = x / kTileSize, ty = y / kTileSize;
            double t = 1.0, c[3] = {0, 0, 0};
            for (const Item& item : items) {
                if (tx < item.rect[0] || tx >= item.rect[2] || ty < item.rect[1] || ty >= item.rect[3])
                    continue;
                const double dx = x + 0.5 - item.p.mean[0], dy = y + 0.5 - item.p.mean[1];
                const double power = -0.5 * (item.p.conic[0] * dx * dx + item.p.conic[2] * dy * dy) -
                                     item.p.conic[1] * dx * dy;
                if (power > 0) continue;
                const double alpha = std::min(double(kMaxAlpha), item.p.opacity * std::exp(power));
                if (alpha < kMinAlpha) continue;
                const double next = t * (1 - alpha);
                if (next < kMinTransmittance) break;
                for (int k = 0; k < 3; ++k) c[k] += alpha * t * item.p.color[k];
                t = next;
            }
            const std::size_t o = static_cast<std::size_t>(y) * width + x;
            for (int k = 0; k < 3; ++k) loss += weights[3 * o + k] * (c[k] + t * background[k]);
        }
    return loss;
}

double render_loss(const DoubleScene& s, const View3<double>& v, int width, int height,
                   const double background[3], const std::vector<double>& weights) {
    const auto project = [&](int i, Projected<double>& p) {
        Gaussian3<double> g{};
        for (int k = 0; k < 3; ++k)
            g.position[k] = s.position[3 * i + k], g.log_scale[k] = s.log_scale[3 * i + k];
        for (int k = 0; k < 4; ++k) g.rotation[k] = s.rotation[4 * i + k];
        g.opacity_logit = s.opacity[i];
        g.sh_dc = &s.dc[3 * i];
        g.sh_rest = &s.rest[3 * DoubleScene::kRest * i];
        return project_gaussian(g, v, 0.2, p);
    };
    return render_projected(s.n, project, width, height, background, weights);
}

// A 4D scene in double: the 3D scene's arrays (rotation is the left quaternion) plus time means, log
// time scales, right quaternions and one frequency of time-varying colour.
struct DoubleScene4 : DoubleScene {
    static constexpr int kBlock = 27;  // (degree 2 + 1)^2 x 3
    std::vector<double> time_mean, log_time_scale, right, time_color;
    GaussianCloud to_cloud() const {
        GaussianCloud c(static_cast<std::size_t>(n), kDegree, true, 1);
        const auto copy = [](const std::vector<double>& from, std::span<float> to) {
            for (std::size_t i = 0; i < from.size(); ++i) to[i] = static_cast<float>(from[i]);
        };
        copy(position, c.positions());
        copy(log_scale, c.log_scales());
        copy(rotation, c.rotations());
        copy(opacity, c.opacity_logits());
        copy(dc, c.sh_dc());
        copy(rest, c.sh_rest());
        copy(time_mean, c.time_means());
        copy(log_time_scale, c.log_time_scales());
        copy(right, c.rotations_right());
        copy(time_color, c.time_color());
        return c;
    }
};

double render_loss_4d(const DoubleScene4& s, const View4<double>& v, int width, int height,
                      const double background[3], const std::vector<double>& weights) {
    const auto project = [&](int i, Projected<double>& p) {
        Gaussian4<double> g{};
        for (int k = 0; k < 3; ++k)
            g.position[k] = s.position[3 * i + k], g.log_scale[k] = s.log_scale[3 * i + k];
        for (int k = 0; k < 4; ++k) g.left[k] = s.rotation[4 * i + k], g.right[k] = s.right[4 * i + k];
        g.time_mean = s.time_mean[i], g.log_time_scale = s.log_time_scale[i], g.opacity_logit = s.opacity[i];
        g.sh_dc = &s.dc[3 * i];
        g.sh_rest = &s.rest[3 * DoubleScene::kRest * i];
        g.time_color = &s.time_color[DoubleScene4::kBlock * i];
        Projected4<double> q;
        if (!project_gaussian_4d(g, v, 0.2, q)) return false;
        p = q.p;
        return true;
    };
    return render_projected(s.n, project, width, height, background, weights);
}

// Compares analytic gradients of a group of parameters with central differences of `loss()` at two step
// sizes. A perturbation that moves a pixel across the 1/255 or tile-rectangle boundary makes a jump, not
// a slope: where the two step sizes disagree the difference quotient is not a derivative, and the
// parameter is counted as unstable instead of compared.
struct DifferenceCheck {
    int checked = 0, unstable = 0;
};
template <typename Loss>
void check_against_differences(const char* name, std::vector<double>& params,
                               const std::vector<float>& analytic, Loss loss, DifferenceCheck& counts) {
    REQUIRE(params.size() == analytic.size());
    const double scale = std::abs(*std::max_element(
        analytic.begin(), analytic.end(), [](float a, float b) { return std::abs(a) < std::abs(b); }));
    for (std::size_t k = 0; k < params.size(); ++k) {
        const double keep = params[k];
        const auto fd = [&](double h) {
            params[k] = keep + h;
            const double plus = loss();
            params[k] = keep - h;
            const double minus = loss();
            params[k] = keep;
            return (plus - minus) / (2 * h);
        };
        const double coarse = fd(1e-4), fine = fd(5e-5);
        if (std::abs(coarse - fine) > 1e-3 * (std::abs(fine) + 1e-2 * scale)) {
            ++counts.unstable;
            continue;
        }
        CAPTURE(name);
        CAPTURE(k);
        CHECK(analytic[k] == doctest::Approx(fine).epsilon(2e-3).scale(0.05 * scale));
        ++counts.checked;
    }
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE("backward pass: gradients of a rendered image equal finite differences (double brute force)") {
        std::mt19937 random(17);
        std::uniform_real_distribution<double> u(-1.0, 1.0);
        DoubleScene s;
        s.n = 8;
        for (int i = 0; i < s.n; ++i) {
            for (int k = 0; k < 3; ++k) {
                s.position.push_back(0.6 * u(random));
                s.log_scale.push_back(-1.9 + 0.4 * u(random));
            }
            for (int k = 0; k < 4; ++k) s.rotation.push_back(u(random));
            s.opacity.push_back(0.8 * u(random));  // opacities 0.3 to 0.7: no alpha clamp
            for (int k = 0; k < 3; ++k) s.dc.push_back(0.8 * u(random));
            for (int k = 0; k < 3 * DoubleScene::kRest; ++k) s.rest.push_back(0.3 * u(random));
        }
        const int width = 40, height = 30;  // 3 x 2 tiles, partial ones included
        const View3<double> view = make_view(2.2, -2.0, 1.4, DoubleScene::kDegree);
        std::vector<double> weights(static_cast<std::size_t>(width) * height * 3);
        for (double& w : weights) w = u(random);
        const double background[3] = {0.2, 0.5, 0.9};

        // The float pipeline: render, then backward with v_color = the weights.
        Camera camera;
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) camera.rotation[j][i] = static_cast<float>(view.rotation[i][j]);
            camera.translation[i] = static_cast<float>(view.translation[i]);
        }
        camera.fx = camera.fy = 50.0f;
        camera.cx = 20.0f, camera.cy = 15.0f;
        camera.width = width, camera.height = height;
        View3<double> v = view;
        v.cx = 20.0, v.cy = 15.0, v.tan_fov_x = 20.0 / 50.0, v.tan_fov_y = 15.0 / 50.0;
        const GaussianCloud cloud = s.to_cloud();
        glint::splatting::RenderSettings settings;
        settings.background = {0.2f, 0.5f, 0.9f};
        auto rasterizer = glint::splatting::create_rasterizer(glint::Backend::Cpu);
        glint::splatting::RenderOutput out;
        rasterizer->render(cloud, camera, settings, out);
        // The double brute force draws the same image.
        double float_loss = 0;
        for (std::size_t k = 0; k < weights.size(); ++k) float_loss += weights[k] * out.color[k];
        CHECK(float_loss ==
              doctest::Approx(render_loss(s, v, width, height, background, weights)).epsilon(1e-4));

        std::vector<float> v_color(weights.begin(), weights.end());
        glint::splatting::CloudGradients grads;
        grads.reset(cloud);
        rasterizer->backward(cloud, camera, settings, v_color, grads);

        DifferenceCheck counts;
        const auto check_group = [&](const char* name, std::vector<double>& params,
                                     const std::vector<float>& analytic) {
            check_against_differences(
                name, params, analytic, [&] { return render_loss(s, v, width, height, background, weights); },
                counts);
        };
        check_group("position", s.position, grads.positions);
        check_group("log_scale", s.log_scale, grads.log_scales);
        check_group("rotation", s.rotation, grads.rotations);
        check_group("opacity", s.opacity, grads.opacity_logits);
        check_group("sh_dc", s.dc, grads.sh_dc);
        check_group("sh_rest", s.rest, grads.sh_rest);
        MESSAGE(counts.checked, " gradients compared, ", counts.unstable, " skipped where the loss jumps");
        CHECK(counts.checked > 250);
        CHECK(counts.unstable * 10 < counts.checked);
        // Training's forward pass records each pixel's final state; the backward pass then skips its
        // replay of the blend and must give the same numbers, up to float rounding (the two blends are
        // compiled separately, and contract multiply-adds differently).
        settings.record_for_backward = true;
        glint::splatting::RenderOutput recorded_out;
        rasterizer->render(cloud, camera, settings, recorded_out);
        CHECK(recorded_out.color == out.color);
        glint::splatting::CloudGradients recorded;
        recorded.reset(cloud);
        rasterizer->backward(cloud, camera, settings, v_color, recorded);
        const auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
            REQUIRE(a.size() == b.size());
            double worst = 0, largest = 0;
            for (std::size_t k = 0; k < a.size(); ++k) {
                worst = std::max(worst, std::abs(double(a[k]) - b[k]));
                largest = std::max(largest, std::abs(double(b[k])));
            }
            MESSAGE("recorded vs replayed: largest difference ", worst, " of gradients up to ", largest);
            return worst <= 1e-5 * largest;
        };
        CHECK(same(recorded.positions, grads.positions));
        CHECK(same(recorded.log_scales, grads.log_scales));
        CHECK(same(recorded.rotations, grads.rotations));
        CHECK(same(recorded.opacity_logits, grads.opacity_logits));
        CHECK(same(recorded.sh_dc, grads.sh_dc));
        CHECK(same(recorded.sh_rest, grads.sh_rest));
        CHECK(same(recorded.mean2d_norm, grads.mean2d_norm));
    }
}

TEST_SUITE("cpu") {
    TEST_CASE("the backward pass counts every Gaussian the frame drew, hidden ones too, and nothing else") {
        // Two opaque layers facing the camera, a small Gaussian right behind both (every pixel it reaches
        // has stopped before it: drawn, but no gradient), and one behind the camera (not drawn). The
        // densification statistic is averaged over the views that drew a Gaussian (the reference's
        // radii > 0), so the hidden one must count as seen with a zero gradient.
        DoubleScene s;
        s.n = 4;
        const double z[4] = {1.0, 0.5, -1.0, 10.0};
        const double scale[4] = {3.0, 3.0, 0.03, 0.3};
        for (int i = 0; i < s.n; ++i) {
            s.position.insert(s.position.end(), {0.0, 0.0, z[i]});
            const double flat = i < 2 ? 0.01 : scale[i];
            s.log_scale.insert(s.log_scale.end(), {std::log(scale[i]), std::log(scale[i]), std::log(flat)});
            s.rotation.insert(s.rotation.end(), {1.0, 0.0, 0.0, 0.0});
            s.opacity.push_back(8.0);
            s.dc.insert(s.dc.end(), {0.5, -0.2, 0.1});
            for (int k = 0; k < 3 * DoubleScene::kRest; ++k) s.rest.push_back(0.0);
        }
        const GaussianCloud cloud = s.to_cloud();
        const Camera camera = Camera::look_at({0, 0, 5}, {0, 0, 0}, {0, 1, 0}, 60.0f, 64, 48);
        glint::splatting::RenderSettings settings;
        settings.record_for_backward = true;
        auto rasterizer = glint::splatting::create_rasterizer(glint::Backend::Cpu);
        glint::splatting::RenderOutput out;
        std::vector<float> v_color(64 * 48 * 3, 1.0f);
        glint::splatting::CloudGradients grads;
        grads.reset(cloud);
        for (int frame = 1; frame <= 2; ++frame) {
            rasterizer->render(cloud, camera, settings, out);
            rasterizer->backward(cloud, camera, settings, v_color, grads);
            CHECK(grads.visible == std::vector<float>{float(frame), float(frame), float(frame), 0.0f});
        }
        CHECK(grads.mean2d_norm[0] > 0.0f);
        CHECK(grads.mean2d_norm[2] == 0.0f);
        for (int j = 0; j < 3; ++j) CHECK(grads.positions[3 * 2 + j] == 0.0f);
        CHECK(grads.opacity_logits[2] == 0.0f);
        CHECK(grads.opacity_logits[3] == 0.0f);
    }

    TEST_CASE(
        "4D backward pass: gradients of a rendered time slice equal finite differences (double brute "
        "force)") {
        std::mt19937 random(23);
        std::uniform_real_distribution<double> u(-1.0, 1.0);
        DoubleScene4 s;
        s.n = 8;
        for (int i = 0; i < s.n; ++i) {
            for (int k = 0; k < 3; ++k) {
                s.position.push_back(0.6 * u(random));
                s.log_scale.push_back(-1.9 + 0.4 * u(random));
            }
            for (int k = 0; k < 4; ++k) s.rotation.push_back(u(random)), s.right.push_back(u(random));
            s.opacity.push_back(0.8 * u(random));
            s.time_mean.push_back(0.5 + 0.2 * u(random));
            s.log_time_scale.push_back(-1.2 + 0.3 * u(random));
            for (int k = 0; k < 3; ++k) s.dc.push_back(0.8 * u(random));
            for (int k = 0; k < 3 * DoubleScene::kRest; ++k) s.rest.push_back(0.3 * u(random));
            for (int k = 0; k < DoubleScene4::kBlock; ++k) s.time_color.push_back(0.3 * u(random));
        }
        const int width = 40, height = 30;
        View4<double> v{make_view(2.2, -2.0, 1.4, DoubleScene::kDegree), 0.45, 1.0, 1, DoubleScene4::kBlock};
        v.view.cx = 20.0, v.view.cy = 15.0, v.view.tan_fov_x = 20.0 / 50.0, v.view.tan_fov_y = 15.0 / 50.0;
        std::vector<double> weights(static_cast<std::size_t>(width) * height * 3);
        for (double& w : weights) w = u(random);
        const double background[3] = {0.2, 0.5, 0.9};
        Camera camera;
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) camera.rotation[j][i] = static_cast<float>(v.view.rotation[i][j]);
            camera.translation[i] = static_cast<float>(v.view.translation[i]);
        }
        camera.fx = camera.fy = 50.0f;
        camera.cx = 20.0f, camera.cy = 15.0f;
        camera.width = width, camera.height = height;
        const GaussianCloud cloud = s.to_cloud();
        glint::splatting::RenderSettings settings;
        settings.background = {0.2f, 0.5f, 0.9f};
        settings.time = 0.45f;
        settings.temporal_cutoff = 0.0f;  // no cut: the brute force has none
        settings.record_for_backward = true;
        auto rasterizer = glint::splatting::create_rasterizer(glint::Backend::Cpu);
        glint::splatting::RenderOutput out;
        rasterizer->render(cloud, camera, settings, out);
        double float_loss = 0;
        for (std::size_t k = 0; k < weights.size(); ++k) float_loss += weights[k] * out.color[k];
        CHECK(float_loss ==
              doctest::Approx(render_loss_4d(s, v, width, height, background, weights)).epsilon(1e-4));
        std::vector<float> v_color(weights.begin(), weights.end());
        glint::splatting::CloudGradients grads;
        grads.reset(cloud);
        rasterizer->backward(cloud, camera, settings, v_color, grads);

        DifferenceCheck counts;
        const auto check_group = [&](const char* name, std::vector<double>& params,
                                     const std::vector<float>& analytic) {
            check_against_differences(
                name, params, analytic,
                [&] { return render_loss_4d(s, v, width, height, background, weights); }, counts);
        };
        check_group("position", s.position, grads.positions);
        check_group("time_mean", s.time_mean, grads.time_means);
        check_group("log_scale", s.log_scale, grads.log_scales);
        check_group("log_time_scale", s.log_time_scale, grads.log_time_scales);
        check_group("left", s.rotation, grads.rotations);
        check_group("right", s.right, grads.rotations_right);
        check_group("opacity", s.opacity, grads.opacity_logits);
        check_group("sh_dc", s.dc, grads.sh_dc);
        check_group("sh_rest", s.rest, grads.sh_rest);
        check_group("time_color", s.time_color, grads.time_color);
        MESSAGE(counts.checked, " gradients compared, ", counts.unstable, " skipped where the loss jumps");
        CHECK(counts.checked > 400);
        CHECK(counts.unstable * 10 < counts.checked);
    }
}

namespace {

// n Gaussians of SH degree 3 around the origin, small and turned at random, as the CUDA comparisons use.
GaussianCloud random_scene(int n, std::mt19937& random) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    DoubleScene s;
    s.n = n;
    for (int i = 0; i < s.n; ++i) {
        for (int k = 0; k < 3; ++k) {
            s.position.push_back(0.8 * u(random));
            s.log_scale.push_back(-2.5 + 0.6 * u(random));
        }
        for (int k = 0; k < 4; ++k) s.rotation.push_back(u(random));
        s.opacity.push_back(2.0 * u(random));
        for (int k = 0; k < 3; ++k) s.dc.push_back(0.8 * u(random));
        for (int k = 0; k < 3 * DoubleScene::kRest; ++k) s.rest.push_back(0.3 * u(random));
    }
    return s.to_cloud();
}

// The gradients of the same loss through the CPU and the CUDA backends, in that order.
std::pair<glint::splatting::CloudGradients, glint::splatting::CloudGradients> backward_on_both(
    const GaussianCloud& cloud, const Camera& camera, const glint::splatting::RenderSettings& settings,
    const std::vector<float>& v_color) {
    std::pair<glint::splatting::CloudGradients, glint::splatting::CloudGradients> grads;
    glint::splatting::RenderOutput out;
    for (const auto& [backend, into] :
         {std::pair{glint::Backend::Cpu, &grads.first}, std::pair{glint::Backend::Cuda, &grads.second}}) {
        into->reset(cloud);
        auto rasterizer = glint::splatting::create_rasterizer(backend);
        rasterizer->render(cloud, camera, settings, out);
        rasterizer->backward(cloud, camera, settings, v_color, *into);
    }
    return grads;
}

// The CUDA gradients within 1% of the largest CPU one (__expf and atomic summation order), which is not 0.
void compare(const char* name, const std::vector<float>& cpu, const std::vector<float>& cuda) {
    double top = 0, worst = 0;
    for (std::size_t k = 0; k < cpu.size(); ++k) {
        top = std::max(top, std::abs(double(cpu[k])));
        worst = std::max(worst, std::abs(double(cpu[k]) - cuda[k]));
    }
    MESSAGE(name, ": largest |gradient| ", top, ", largest CPU-CUDA difference ", worst);
    CHECK(top > 0);
    CHECK(cuda.size() == cpu.size());
    CHECK(worst <= 1e-2 * top);
}

}  // namespace

TEST_SUITE("cuda") {
    TEST_CASE("the CUDA backward pass matches the CPU one") {
        const glint::CudaStatus& status = glint::cuda_status();
        if (!status.usable()) {
            glint::test::skip(status.reason);
            return;
        }
        std::mt19937 random(23);
        std::uniform_real_distribution<double> u(-1.0, 1.0);
        const GaussianCloud cloud = random_scene(400, random);
        const Camera camera = Camera::look_at({2.2f, -2.0f, 1.4f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 120, 90);
        std::vector<float> v_color(120 * 90 * 3);
        for (float& w : v_color) w = static_cast<float>(u(random));
        glint::splatting::RenderSettings settings;
        settings.background = {0.2f, 0.5f, 0.9f};
        const auto [cpu_grads, gpu_grads] = backward_on_both(cloud, camera, settings, v_color);
        compare("position", cpu_grads.positions, gpu_grads.positions);
        compare("log_scale", cpu_grads.log_scales, gpu_grads.log_scales);
        compare("rotation", cpu_grads.rotations, gpu_grads.rotations);
        compare("opacity", cpu_grads.opacity_logits, gpu_grads.opacity_logits);
        compare("sh_dc", cpu_grads.sh_dc, gpu_grads.sh_dc);
        compare("sh_rest", cpu_grads.sh_rest, gpu_grads.sh_rest);
        // The same Gaussians drawn, but for the odd one whose contour grazes a tile's edge (fast exp).
        std::size_t differ = 0;
        for (std::size_t i = 0; i < cloud.size(); ++i) differ += cpu_grads.visible[i] != gpu_grads.visible[i];
        MESSAGE("drawn by one backend only: ", differ, " of ", cloud.size());
        CHECK(differ * 200 <= cloud.size());
        CHECK(std::count(cpu_grads.visible.begin(), cpu_grads.visible.end(), 1.0f) > 100);
    }

    TEST_CASE(
        "the CUDA training state: upload and download are exact, Adam and the statistic match the host") {
        const glint::CudaStatus& status = glint::cuda_status();
        if (!status.usable()) {
            glint::test::skip(status.reason);
            return;
        }
        using glint::splatting::OptimizerState;
        std::mt19937 random(31);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        const GaussianCloud cloud = random_scene(300, random);
        // Moments large against one step's squared gradient, so the update is smooth in the gradient and
        // the two backends' rounding moves it a little, not by a whole step.
        OptimizerState state;
        const auto strides = glint::splatting::parameter_group_strides(cloud);
        for (std::size_t g = 0; g < glint::splatting::kParameterGroups; ++g) {
            for (std::size_t k = 0; k < cloud.size() * strides[g]; ++k) {
                state.moments[g].m.push_back(1e-3f * u(random));
                state.moments[g].v.push_back(1e-4f * (1.5f + u(random)));
            }
        }
        for (std::size_t i = 0; i < cloud.size(); ++i) {
            state.grad_sums.push_back(1e-3f * (1.0f + u(random)));
            state.grad_views.push_back(static_cast<float>(i % 5));
        }

        auto rasterizer = glint::splatting::create_rasterizer(glint::Backend::Cuda);
        glint::splatting::ResidentTraining* device = rasterizer->resident_training();
        REQUIRE(device != nullptr);
        GaussianCloud back = cloud;  // the device's copy comes back into this one
        device->upload(back, state);
        OptimizerState state_back;
        device->download(back, state_back);
        CHECK(std::ranges::equal(back.positions(), cloud.positions()));
        CHECK(std::ranges::equal(back.sh_rest(), cloud.sh_rest()));
        CHECK(state_back.moments[5].v == state.moments[5].v);
        CHECK(state_back.grad_views == state.grad_views);

        // One step on the device against the same step on the host (CPU backward, adam_step).
        const Camera camera = Camera::look_at({2.2f, -2.0f, 1.4f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 120, 90);
        std::vector<float> v_color(120 * 90 * 3);
        for (float& w : v_color) w = 1e-3f * u(random);
        glint::splatting::RenderSettings settings;
        settings.background = {0.2f, 0.5f, 0.9f};
        glint::splatting::RenderOutput out;
        rasterizer->render(back, camera, settings, out);
        device->backward(back, camera, settings, v_color, true);
        const float lr = 1e-3f;
        for (std::size_t g = 0; g < 6; ++g) device->adam(g, lr, 7);
        OptimizerState stepped;
        device->download(back, stepped);

        glint::splatting::CloudGradients grads;
        grads.reset(cloud);
        auto cpu = glint::splatting::create_rasterizer(glint::Backend::Cpu);
        cpu->render(cloud, camera, settings, out);
        cpu->backward(cloud, camera, settings, v_color, grads);
        GaussianCloud host = cloud;
        OptimizerState host_state = state;
        const std::array<std::span<float>, 6> values = {host.positions(), host.log_scales(),
                                                        host.rotations(), host.opacity_logits(),
                                                        host.sh_dc(),     host.sh_rest()};
        const std::array<const std::vector<float>*, 6> gradients = {&grads.positions, &grads.log_scales,
                                                                    &grads.rotations, &grads.opacity_logits,
                                                                    &grads.sh_dc,     &grads.sh_rest};
        for (std::size_t g = 0; g < 6; ++g)
            glint::adam_step(values[g], *gradients[g], host_state.moments[g].m, host_state.moments[g].v, lr,
                             7, glint::AdamSettings{});
        const std::array<std::span<const float>, 6> device_values = {back.positions(), back.log_scales(),
                                                                     back.rotations(), back.opacity_logits(),
                                                                     back.sh_dc(),     back.sh_rest()};
        const std::array<std::span<const float>, 6> start = {cloud.positions(), cloud.log_scales(),
                                                             cloud.rotations(), cloud.opacity_logits(),
                                                             cloud.sh_dc(),     cloud.sh_rest()};
        for (std::size_t g = 0; g < 6; ++g) {
            double top = 0, worst = 0;
            for (std::size_t k = 0; k < values[g].size(); ++k) {
                const double host_move = double(values[g][k]) - start[g][k];
                top = std::max(top, std::abs(host_move));
                worst = std::max(worst, std::abs(double(device_values[g][k]) - start[g][k] - host_move));
            }
            MESSAGE("group ", g, ": largest step ", top, ", largest CPU-CUDA difference ", worst);
            CHECK(top > 0);
            CHECK(worst <= 2e-2 * top);
        }
        // The statistic: the frame's screen-space gradients and drawn Gaussians added to the sums.
        std::size_t views_differ = 0;
        double sum_worst = 0, sum_top = 0;
        for (std::size_t i = 0; i < cloud.size(); ++i) {
            views_differ += stepped.grad_views[i] != state.grad_views[i] + grads.visible[i];
            sum_top = std::max(sum_top, double(grads.mean2d_norm[i]));
            sum_worst = std::max(sum_worst, std::abs(double(stepped.grad_sums[i]) - state.grad_sums[i] -
                                                     grads.mean2d_norm[i]));
        }
        CHECK(views_differ * 100 <= cloud.size());
        CHECK(sum_top > 0);
        CHECK(sum_worst <= 2e-2 * sum_top);
    }

    TEST_CASE("the CUDA backward pass of 4D Gaussians matches the CPU one") {
        const glint::CudaStatus& status = glint::cuda_status();
        if (!status.usable()) {
            glint::test::skip(status.reason);
            return;
        }
        // The default 4D scene (a segment travelling along the knot) with time-varying colour, at t = 0.4.
        GaussianCloud still = glint::tools::make_default_scene_4d();
        GaussianCloud cloud(still.size(), still.sh_degree(), true, 1);
        for (const auto& [to, from] : {std::pair{cloud.positions(), still.positions()},
                                       {cloud.log_scales(), still.log_scales()},
                                       {cloud.rotations(), still.rotations()},
                                       {cloud.opacity_logits(), still.opacity_logits()},
                                       {cloud.sh_dc(), still.sh_dc()},
                                       {cloud.sh_rest(), still.sh_rest()},
                                       {cloud.time_means(), still.time_means()},
                                       {cloud.log_time_scales(), still.log_time_scales()},
                                       {cloud.rotations_right(), still.rotations_right()}})
            std::copy(from.begin(), from.end(), to.begin());
        std::mt19937 random(31);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        for (float& c : cloud.time_color()) c = 0.2f * u(random);
        const Camera camera = Camera::look_at({6.0f, -5.0f, 4.0f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 120, 90);
        std::vector<float> v_color(120 * 90 * 3);
        for (float& w : v_color) w = u(random);
        glint::splatting::RenderSettings settings;
        settings.time = 0.4f;
        const auto [cpu_grads, gpu_grads] = backward_on_both(cloud, camera, settings, v_color);
        compare("position", cpu_grads.positions, gpu_grads.positions);
        compare("time_mean", cpu_grads.time_means, gpu_grads.time_means);
        compare("log_time_scale", cpu_grads.log_time_scales, gpu_grads.log_time_scales);
        compare("left", cpu_grads.rotations, gpu_grads.rotations);
        compare("right", cpu_grads.rotations_right, gpu_grads.rotations_right);
        compare("opacity", cpu_grads.opacity_logits, gpu_grads.opacity_logits);
        compare("sh_dc", cpu_grads.sh_dc, gpu_grads.sh_dc);
        compare("time_color", cpu_grads.time_color, gpu_grads.time_color);
    }
}

#include "glint/core/image_loss.h"

TEST_SUITE("cpu") {
    TEST_CASE("L1 + D-SSIM: value and gradient against finite differences (double precision)") {
        const int w = 14, h = 11;
        std::mt19937 random(29);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        std::vector<double> image(w * h * 3), target(w * h * 3), v(w * h * 3);
        for (std::size_t i = 0; i < image.size(); ++i) {
            target[i] = u(random);
            image[i] = 0.6 * target[i] + 0.4 * u(random);
        }
        const auto loss = [&] {
            std::vector<double> scratch(image.size());
            return glint::photometric_loss<double>(image, target, w, h, 0.2, scratch).loss;
        };
        const glint::LossValue value = glint::photometric_loss<double>(image, target, w, h, 0.2, v);
        CHECK(value.loss == doctest::Approx(0.8 * value.l1 + 0.2 * (1 - value.ssim)));
        // An image against itself: SSIM 1, L1 0.
        std::vector<double> same(v.size());
        CHECK(glint::photometric_loss<double>(target, target, w, h, 0.2, same).ssim == doctest::Approx(1.0));
        int checked = 0;
        for (std::size_t i = 0; i < image.size(); i += 7) {
            const double keep = image[i];
            image[i] = keep + 1e-7;
            const double plus = loss();
            image[i] = keep - 1e-7;
            const double minus = loss();
            image[i] = keep;
            CHECK(v[i] == doctest::Approx((plus - minus) / 2e-7).epsilon(1e-4).scale(1e-6));
            ++checked;
        }
        CHECK(checked > 60);
        // The float version agrees.
        std::vector<float> fi(image.begin(), image.end()), ft(target.begin(), target.end()), fv(v.size());
        const auto fvalue = glint::photometric_loss<float>(fi, ft, w, h, 0.2, fv);
        CHECK(fvalue.loss == doctest::Approx(value.loss).epsilon(1e-5));
        CHECK(fvalue.ssim == doctest::Approx(glint::ssim(fi, ft, w, h)).epsilon(1e-6));
        CHECK(fvalue.mse > 0);
        CHECK(glint::psnr_from_mse(fvalue.mse) == doctest::Approx(glint::psnr(fi, ft)).epsilon(1e-6));
    }

    TEST_CASE("L1 + D-SSIM: the target's precomputed moments give the same loss and gradient") {
        const int w = 37, h = 23;
        std::mt19937 random(31);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        std::vector<float> image(w * h * 3), target(w * h * 3), v(w * h * 3), v_moments(w * h * 3);
        for (std::size_t i = 0; i < image.size(); ++i) {
            target[i] = u(random);
            image[i] = 0.5f * target[i] + 0.5f * u(random);
        }
        glint::LossBuffers<float> buffers;
        const auto plain = glint::photometric_loss<float>(image, target, w, h, 0.2, v, buffers);
        const auto moments = glint::ssim_moments<float>(target, w, h);
        const auto cached =
            glint::photometric_loss<float>(image, target, w, h, 0.2, v_moments, buffers, &moments);
        CHECK(cached.loss == plain.loss);
        CHECK(cached.ssim == plain.ssim);
        CHECK(v_moments == v);
        // Moments of another image size are refused.
        const auto other = glint::ssim_moments<float>(std::vector<float>(3 * 4 * 4, 0.5f), 4, 4);
        CHECK_THROWS(glint::photometric_loss<float>(image, target, w, h, 0.2, v, buffers, &other));
    }
}
