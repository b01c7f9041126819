// The hash-grid NeRF: the encoding's level layout, forward against an independent interpolation and its
// gradient; the MLP's gradients; volume rendering's gradients (all in double precision against central
// finite differences); the SH direction encoding. The model, files, training and CUDA: test_nerf_model.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "glint/core/backend.h"
#include "glint/core/binary_io.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/nerf/cuda.h"
#include "glint/nerf/hash_grid.h"
#include "glint/nerf/model.h"
#include "glint/nerf/nerf_math.h"
#include "glint/nerf/prune.h"
#include "glint/nerf/render.h"
#include "test_support.h"

using namespace glint;

namespace {

// An independent evaluation of one level at one point: vertices and weights from the definitions (the
// grid position p * s + 0.5 in float, as the encoding specifies; the rest in double).
std::vector<double> reference_features(const nerf::HashGrid<double>& grid, int l, const float* p) {
    const nerf::GridLevel& level = grid.levels()[static_cast<std::size_t>(l)];
    const int features = grid.config().features;
    std::vector<double> out(static_cast<std::size_t>(features), 0.0);
    double position[3];
    long base[3];
    for (int k = 0; k < 3; ++k) {
        position[k] = double(p[k] * level.scale + 0.5f);
        base[k] = std::clamp(static_cast<long>(std::floor(position[k])), 0L,
                             static_cast<long>(level.resolution) - 2);
    }
    for (int dz = 0; dz < 2; ++dz)
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
                const std::uint64_t x = base[0] + dx, y = base[1] + dy, z = base[2] + dz;
                std::uint64_t index;
                if (level.dense)
                    index = x + level.resolution * (y + std::uint64_t{level.resolution} * z);
                else
                    index = ((x ^ (y * 2654435761ull) ^ (z * 805459861ull)) & 0xffffffffull) % level.size;
                double w = 1.0;
                const long corner[3] = {dx, dy, dz};
                for (int k = 0; k < 3; ++k) {
                    const double t = position[k] - double(base[k]);
                    w *= corner[k] ? t : 1.0 - t;
                }
                for (int f = 0; f < features; ++f)
                    out[static_cast<std::size_t>(f)] +=
                        w * grid.params()[(level.offset + index) * static_cast<std::size_t>(features) +
                                          static_cast<std::size_t>(f)];
            }
    return out;
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("hash grid: level layout (resolutions, dense and hashed levels, offsets)") {
    const nerf::HashGridConfig config;  // L 16, F 2, T 2^19, N_min 16, N_max 2048
    const auto levels = nerf::grid_levels(config);
    REQUIRE(levels.size() == 16);
    CHECK(levels[0].scale == doctest::Approx(15.0));
    CHECK(levels[0].resolution == 16);
    CHECK(levels[15].scale == doctest::Approx(2047.0).epsilon(1e-4));
    std::uint64_t offset = 0;
    for (const auto& level : levels) {
        CHECK(level.offset == offset);
        const std::uint64_t vertices = std::uint64_t{level.resolution} * level.resolution * level.resolution;
        CHECK(level.dense == (vertices <= (1u << 19) ? 1u : 0u));
        CHECK(level.size == (level.dense ? (vertices + 7) / 8 * 8 : (1u << 19)));
        offset += level.size;
    }
    CHECK(levels[1].resolution > levels[0].resolution);
    CHECK_FALSE(levels[15].dense);
    nerf::HashGridConfig bad = config;
    bad.levels = 0;
    CHECK_THROWS_AS(nerf::grid_levels(bad), InputError);
    bad = config;
    bad.max_resolution = 8.0f;
    CHECK_THROWS_AS(nerf::grid_levels(bad), InputError);
}

TEST_CASE("hash grid: forward equals an independent trilinear interpolation, and float agrees with double") {
    nerf::HashGridConfig config;
    config.log2_table_size = 12;  // small, so hashed levels collide as in real use
    config.max_resolution = 512.0f;
    for (const int features : {2, 3}) {
        CAPTURE(features);
        config.features = features;
        nerf::HashGrid<double> grid(config);
        grid.initialize(7, 0.5);
        nerf::HashGrid<float> single(config);
        for (std::size_t i = 0; i < grid.params().size(); ++i)
            single.params()[i] = static_cast<float>(grid.params()[i]);
        std::mt19937 random(3);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        std::vector<float> points(3 * 500);
        for (float& p : points) p = u(random);
        points[0] = 0.0f, points[1] = 1.0f, points[2] = 1.0f;  // faces of the unit cube
        std::vector<double> out(500 * static_cast<std::size_t>(grid.output_width()));
        std::vector<float> out_float(out.size());
        grid.forward(points, out);
        single.forward(points, out_float);
        double worst = 0, worst_float = 0;
        for (int i = 0; i < 500; ++i)
            for (int l = 0; l < config.levels; ++l) {
                const auto expected = reference_features(grid, l, &points[3 * static_cast<std::size_t>(i)]);
                for (int f = 0; f < features; ++f) {
                    const std::size_t k =
                        static_cast<std::size_t>(i * grid.output_width() + l * features + f);
                    worst = std::max(worst, std::abs(out[k] - expected[static_cast<std::size_t>(f)]));
                    worst_float = std::max(worst_float, std::abs(double(out_float[k]) - out[k]));
                }
            }
        // The encoder's trilinear weights are float (about 6e-8 relative) times parameters up to 0.5: a
        // wrong vertex or weight would be off by the parameters' size.
        CHECK(worst < 1e-6);
        CHECK(worst_float < 1e-5);
    }
}

TEST_CASE("hash grid (float, F 2): every instruction set's forward and backward equal the per-point math") {
    // The encoder runs sixteen (AVX-512) or eight (AVX2) points at a time where the processor allows; each
    // path must round every feature and gradient exactly as hash_grid_math.h's per-point functions do, in
    // their order. A count that is not a multiple of sixteen exercises the per-point tail; dense and
    // hashed levels both.
    nerf::HashGridConfig config;
    config.log2_table_size = 14;
    config.max_resolution = 1024.0f;
    nerf::HashGrid<float> grid(config);
    grid.initialize(11, 0.5f);
    const std::size_t n = 16 * 70 + 9;
    std::mt19937 random(5);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> points(3 * n), grad_features(n * static_cast<std::size_t>(grid.output_width()));
    for (float& p : points) p = u(random);
    for (float& g : grad_features) g = u(random) - 0.5f;
    points[0] = 1.0f, points[1] = 0.0f, points[5] = 1.0f;  // faces of the unit cube

    std::vector<float> expected_features(grad_features.size()), expected_grad(grid.params().size(), 0.0f);
    const auto& levels = grid.levels();
    for (std::size_t l = 0; l < levels.size(); ++l)  // level by level, points in order: the backward's order
        for (std::size_t i = 0; i < n; ++i) {
            std::uint32_t corner[3];
            float fraction[3];
            nerf::grid_cell(levels[l], points[3 * i], points[3 * i + 1], points[3 * i + 2], corner, fraction);
            const std::size_t row = i * static_cast<std::size_t>(grid.output_width()) + 2 * l;
            float sum[2] = {0.0f, 0.0f};
            for (int c = 0; c < 8; ++c) {
                std::uint32_t index;
                float weight;
                nerf::cell_corner(levels[l], corner, fraction, c, index, weight);
                const std::size_t entry = 2 * (static_cast<std::size_t>(levels[l].offset) + index);
                for (std::size_t f = 0; f < 2; ++f) {
                    sum[f] += weight * grid.params()[entry + f];
                    expected_grad[entry + f] += weight * grad_features[row + f];
                }
            }
            expected_features[row] = sum[0], expected_features[row + 1] = sum[1];
        }
    const nerf::EncodingIsa widest = nerf::encoding_isa();
    int paths = 0;
    for (const nerf::EncodingIsa isa :
         {nerf::EncodingIsa::Scalar, nerf::EncodingIsa::Avx2, nerf::EncodingIsa::Avx512}) {
        if (!nerf::set_encoding_isa(isa)) continue;
        const std::string path = nerf::encoding_isa_name(isa);
        CAPTURE(path);
        ++paths;
        std::vector<float> features(grad_features.size());
        grid.forward(points, features);
        std::vector<float> grad_params(grid.params().size(), 0.0f);
        grid.backward(points, grad_features, grad_params);
        std::size_t feature_mismatches = 0, gradient_mismatches = 0;
        for (std::size_t k = 0; k < features.size(); ++k)
            feature_mismatches += features[k] != expected_features[k];
        for (std::size_t k = 0; k < grad_params.size(); ++k)
            gradient_mismatches += grad_params[k] != expected_grad[k];
        CHECK(feature_mismatches == 0);
        CHECK(gradient_mismatches == 0);
    }
    REQUIRE(nerf::set_encoding_isa(widest));
    MESSAGE(paths,
            " encoding paths compared (the widest here: ", std::string(nerf::encoding_isa_name(widest)), ")");
    // The check can fail: every entry some point reaches has a non-zero gradient here.
    CHECK(std::count_if(expected_grad.begin(), expected_grad.end(), [](float g) { return g != 0.0f; }) >
          1000);
}

TEST_CASE("hash grid: the parameter gradient equals central finite differences (double precision)") {
    nerf::HashGridConfig config;
    config.levels = 6;
    config.log2_table_size = 10;
    config.max_resolution = 128.0f;
    nerf::HashGrid<double> grid(config);
    grid.initialize(11, 0.3);
    std::mt19937 random(5);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const std::size_t n = 64;
    std::vector<float> points(3 * n);
    for (float& p : points) p = u(random);
    std::vector<double> weights(n * static_cast<std::size_t>(grid.output_width()));
    std::uniform_real_distribution<double> w(-1.0, 1.0);
    for (double& v : weights) v = w(random);
    // L = sum(weights * features); dL/d features = weights.
    const auto loss = [&] {
        std::vector<double> out(weights.size());
        grid.forward(points, out);
        double sum = 0;
        for (std::size_t i = 0; i < out.size(); ++i) sum += weights[i] * out[i];
        return sum;
    };
    std::vector<double> gradient(grid.params().size(), 0.0);
    grid.backward(points, weights, gradient);
    int touched = 0, checked = 0;
    for (std::size_t j = 0; j < grid.params().size(); j += 3) {
        const double keep = grid.params()[j];
        // The encoding is linear in its parameters: central differences are exact for any step, so a
        // large one keeps rounding out of the comparison.
        grid.params()[j] = keep + 1e-3;
        const double plus = loss();
        grid.params()[j] = keep - 1e-3;
        const double minus = loss();
        grid.params()[j] = keep;
        const double numeric = (plus - minus) / 2e-3;
        CHECK(std::abs(gradient[j] - numeric) <= 1e-9 * (1.0 + std::abs(numeric)));
        touched += gradient[j] != 0.0;
        ++checked;
    }
    MESSAGE(checked, " parameters checked, ", touched, " with a non-zero gradient");
    CHECK(touched > 100);
}

TEST_SUITE_END();

#include "glint/nerf/mlp.h"

TEST_SUITE_BEGIN("cpu");

TEST_CASE("MLP: weight and input gradients equal central finite differences (double precision)") {
    nerf::Mlp<double> mlp({5, 7, 6, 3});
    mlp.initialize(9);
    const std::size_t batch = 300;  // more than one task of rows
    std::mt19937 random(2);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<double> input(batch * 5), weights(batch * 3);
    for (double& v : input) v = u(random);
    for (double& v : weights) v = u(random);
    const auto loss = [&] {
        std::vector<double> output(batch * 3);
        nerf::Mlp<double>::Activations keep;
        mlp.forward(input, output, keep);
        double sum = 0;
        for (std::size_t i = 0; i < output.size(); ++i) sum += weights[i] * output[i];
        return sum;
    };
    std::vector<double> output(batch * 3), grad_weights(mlp.weights().size(), 0.0), grad_input(input.size());
    nerf::Mlp<double>::Activations keep;
    mlp.forward(input, output, keep);
    mlp.backward(keep, weights, grad_weights, grad_input);
    // The network is piecewise linear: central differences are exact unless the step crosses a ReLU
    // kink, so the step only has to stay small against the pre-activations while keeping the loss's
    // rounding (about 1e-15 of ~10) small against the gradients: 1e-5 gives about 1e-10.
    const auto numeric = [&](double& value) {
        const double saved = value;
        value = saved + 1e-5;
        const double plus = loss();
        value = saved - 1e-5;
        const double minus = loss();
        value = saved;
        return (plus - minus) / 2e-5;
    };
    const auto close = [](double analytic, double finite) {
        return std::abs(analytic - finite) <= 1e-8 + 1e-6 * std::abs(finite);
    };
    int nonzero = 0;
    for (std::size_t k = 0; k < mlp.weights().size(); ++k) {
        CAPTURE(k);
        CHECK(close(grad_weights[k], numeric(mlp.weights()[k])));
        nonzero += grad_weights[k] != 0.0;
    }
    CHECK(nonzero > static_cast<int>(mlp.weights().size()) / 2);
    for (std::size_t k = 0; k < input.size(); k += 7) {
        CAPTURE(k);
        CHECK(close(grad_input[k], numeric(input[k])));
    }
    // The float network agrees with the double one.
    nerf::Mlp<float> single({5, 7, 6, 3});
    for (std::size_t k = 0; k < mlp.weights().size(); ++k)
        single.weights()[k] = static_cast<float>(mlp.weights()[k]);
    std::vector<float> input_f(input.begin(), input.end()), output_f(output.size());
    nerf::Mlp<float>::Activations keep_f;
    single.forward(input_f, output_f, keep_f);
    for (std::size_t i = 0; i < output.size(); ++i)
        CHECK(output_f[i] == doctest::Approx(output[i]).epsilon(1e-4).scale(1.0));
    CHECK_THROWS_AS(nerf::Mlp<float>({4}), InputError);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cpu");

TEST_CASE("volume rendering: colour and density gradients equal central finite differences (double)") {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    // Two rays: one that stays translucent to the end (the background shows), one whose transmittance
    // drops below 1e-4 part-way (the later samples are dropped).
    for (const double density_scale : {3.0, 400.0}) {
        CAPTURE(density_scale);
        const int n = 12;
        std::vector<double> sigma(n), rgb(3 * n), dt(n), t(n);
        for (int i = 0; i < n; ++i) {
            sigma[static_cast<std::size_t>(i)] = density_scale * u(rng);
            dt[static_cast<std::size_t>(i)] = 0.01 + 0.02 * u(rng);
            t[static_cast<std::size_t>(i)] = 0.1 * i;
            for (int k = 0; k < 3; ++k) rgb[static_cast<std::size_t>(3 * i + k)] = u(rng);
        }
        const double background[3] = {0.2, 0.7, 0.4}, g[3] = {0.3, -1.1, 0.8};
        double colour[3], opacity;
        const int used = nerf::composite_ray<double>(n, sigma.data(), rgb.data(), dt.data(), t.data(),
                                                     background, colour, opacity, nullptr);
        if (density_scale > 100.0) CHECK(used < n);
        if (density_scale < 100.0) CHECK(used == n);
        // Training's compaction keeps exactly the samples compositing uses.
        CHECK(nerf::opaque_prefix<double>(n, sigma.data(), dt.data()) == used);
        float sigma_f[n], dt_f[n], rgb_f[3 * n], colour_f[3], opacity_f;
        const float background_f[3] = {0.2f, 0.7f, 0.4f};
        for (int i = 0; i < n; ++i) {
            sigma_f[i] = static_cast<float>(sigma[static_cast<std::size_t>(i)]);
            dt_f[i] = static_cast<float>(dt[static_cast<std::size_t>(i)]);
            for (int k = 0; k < 3; ++k)
                rgb_f[3 * i + k] = static_cast<float>(rgb[static_cast<std::size_t>(3 * i + k)]);
        }
        CHECK(nerf::opaque_prefix<float>(n, sigma_f, dt_f) ==
              nerf::composite_ray<float>(n, sigma_f, rgb_f, dt_f, nullptr, background_f, colour_f, opacity_f,
                                         nullptr));
        const auto loss = [&](const std::vector<double>& s, const std::vector<double>& c) {
            double out[3], a;
            nerf::composite_ray<double>(n, s.data(), c.data(), dt.data(), t.data(), background, out, a,
                                        nullptr);
            return g[0] * out[0] + g[1] * out[1] + g[2] * out[2];
        };
        std::vector<double> grad_sigma(n, 0.0), grad_rgb(3 * n, 0.0);
        nerf::composite_ray_backward<double>(used, sigma.data(), rgb.data(), dt.data(), background, g,
                                             grad_sigma.data(), grad_rgb.data());
        int checked = 0;
        for (int i = 0; i < used; ++i) {
            const double h = 1e-6 * std::max(1.0, sigma[static_cast<std::size_t>(i)]);
            std::vector<double> plus = sigma, minus = sigma;
            plus[static_cast<std::size_t>(i)] += h;
            minus[static_cast<std::size_t>(i)] -= h;
            const double numeric = (loss(plus, rgb) - loss(minus, rgb)) / (2 * h);
            CHECK(grad_sigma[static_cast<std::size_t>(i)] ==
                  doctest::Approx(numeric).epsilon(1e-6).scale(1e-3));
            for (int k = 0; k < 3; ++k) {
                std::vector<double> cp = rgb, cm = rgb;
                cp[static_cast<std::size_t>(3 * i + k)] += 1e-6;
                cm[static_cast<std::size_t>(3 * i + k)] -= 1e-6;
                const double nc = (loss(sigma, cp) - loss(sigma, cm)) / 2e-6;
                CHECK(grad_rgb[static_cast<std::size_t>(3 * i + k)] ==
                      doctest::Approx(nc).epsilon(1e-6).scale(1e-3));
            }
            ++checked;
        }
        CHECK(checked == used);
        // The background term: opacity and colour agree with a direct product of transmittances.
        double transmittance = 1.0;
        for (int i = 0; i < used; ++i)
            transmittance *= std::exp(-sigma[static_cast<std::size_t>(i)] * dt[static_cast<std::size_t>(i)]);
        CHECK(opacity == doctest::Approx(1.0 - transmittance).epsilon(1e-12));
    }
}

TEST_CASE("SH direction encoding: the degree-4 basis meets the addition theorem and known values") {
    std::mt19937 rng(3);
    std::normal_distribution<float> n(0.0f, 1.0f);
    for (int trial = 0; trial < 50; ++trial) {
        float d[3] = {n(rng), n(rng), n(rng)};
        const float length = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        for (float& v : d) v /= length;
        float y[16];
        nerf::sh_encode_direction(d[0], d[1], d[2], y);
        // sum_m Y_lm(d)^2 = (2l + 1) / (4 pi) for every degree l, whatever the direction.
        int first = 0;
        for (int l = 0; l < 4; ++l) {
            double sum = 0;
            for (int m = 0; m < 2 * l + 1; ++m) sum += double(y[first + m]) * y[first + m];
            CHECK(sum == doctest::Approx((2 * l + 1) / (4 * M_PI)).epsilon(1e-5));
            first += 2 * l + 1;
        }
    }
    float y[16];
    nerf::sh_encode_direction(0.0f, 0.0f, 1.0f, y);  // along z only the m = 0 terms remain
    for (int i = 0; i < 16; ++i) {
        CAPTURE(i);
        if (i == 0 || i == 2 || i == 6 || i == 12)
            CHECK(std::fabs(y[i]) > 0.2f);
        else
            CHECK(y[i] == doctest::Approx(0.0f).scale(1e-7));
    }
    CHECK(y[2] == doctest::Approx(std::sqrt(3.0 / (4 * M_PI))).epsilon(1e-6));
    CHECK(y[6] == doctest::Approx(std::sqrt(5.0 / (4 * M_PI))).epsilon(1e-6));
    CHECK(y[12] == doctest::Approx(std::sqrt(7.0 / (4 * M_PI))).epsilon(1e-6));
}

TEST_SUITE_END();
