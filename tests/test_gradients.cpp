// Gradients of the rasterizer: the per-Gaussian chain against central finite differences in double
// precision, and the float chain against the production preprocess.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "glint/splatting/raster/gradients.h"
#include "glint/splatting/raster/preprocess.h"

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
    const double d[3] = {f[1] * r[2] - f[2] * r[1], f[2] * r[0] - f[0] * r[2], f[0] * r[1] - f[1] * r[0]};  // down
    for (int k = 0; k < 3; ++k) {
        v.rotation[0][k] = r[k];
        v.rotation[1][k] = d[k];
        v.rotation[2][k] = f[k];
        v.position[k] = eye[k];
    }
    for (int i = 0; i < 3; ++i)
        v.translation[i] = -(v.rotation[i][0] * eye[0] + v.rotation[i][1] * eye[1] + v.rotation[i][2] * eye[2]);
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
            const View3<double> view = trial % 4 == 3 ? make_view(0.6, -2.0, 0.3, degree, 200.0)
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
        v.fx = v.fy = 50.0f, v.cx = 32.0f, v.cy = 24.0f, v.tan_fov_x = 0.64f, v.tan_fov_y = 0.48f, v.sh_degree = 3;
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
            const GaussianArrays arrays{position, log_scale, rotation, &opacity, dc, rest,
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
            for (int c = 0; c < 3; ++c) CHECK(p.color[c] == doctest::Approx((&splat.color.x)[c]).epsilon(1e-5));
            ++compared;
        }
        CHECK(compared > 20);
    }
}
