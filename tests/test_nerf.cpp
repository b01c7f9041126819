// The multiresolution hash encoding: level layout, forward against an independent interpolation, and the
// parameter gradient against central finite differences in double precision.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "glint/core/error.h"
#include "glint/nerf/hash_grid.h"

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
