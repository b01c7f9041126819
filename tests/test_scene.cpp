// GaussianCloud storage, activations, statistics, and the default scene asset.
#include <doctest/doctest.h>

#include <cmath>

#include "glint/splatting/activate.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/ply_format.h"
#include "glint/splatting/scene_stats.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

TEST_SUITE_BEGIN("cpu");

TEST_CASE("GaussianCloud sizes, SH degree changes and memory") {
    GaussianCloud cloud(10, 3, true);
    CHECK(cloud.sh_rest().size() == 10 * 15 * 3);
    CHECK(cloud.rotations_right().size() == 40);
    CHECK(cloud.floats_per_gaussian() == 3 + 3 + 4 + 1 + 3 + 45 + 6);
    CHECK(cloud.memory_bytes() == 10 * cloud.floats_per_gaussian() * 4);
    for (std::size_t j = 0; j < cloud.sh_rest().size(); ++j) cloud.sh_rest()[j] = static_cast<float>(j);
    cloud.set_sh_degree(1);
    REQUIRE(cloud.sh_rest().size() == 10 * 3 * 3);
    CHECK(cloud.sh_rest()[9] == 45.0f);  // Gaussian 1, first coefficient: kept, not shifted
    cloud.set_sh_degree(2);
    CHECK(cloud.sh_rest()[24] == 45.0f);
    CHECK(cloud.sh_rest()[24 + 9] == 0.0f);  // new coefficients are zero
    CHECK_THROWS_AS(cloud.set_sh_degree(4), ContractError);
    const GaussianCloud plain(5, 0, false);
    CHECK(plain.time_means().empty());
}

TEST_CASE("a cloud's identity changes with every copy, its version with every write access") {
    GaussianCloud cloud(4, 0, false);
    const GaussianCloud& view = cloud;
    const std::uint64_t identity = cloud.identity(), version = cloud.version();
    (void)view.positions();  // reading through const: nothing changes
    CHECK(cloud.version() == version);
    cloud.positions()[0] = 1.0f;
    CHECK(cloud.version() > version);
    const std::uint64_t written = cloud.version();
    cloud.set_sh_degree(1);
    CHECK(cloud.version() > written);
    cloud.touch();
    const GaussianCloud copy = cloud;
    CHECK(copy.identity() != cloud.identity());
    GaussianCloud assigned;
    assigned = cloud;
    CHECK(assigned.identity() != cloud.identity());
    CHECK(assigned.identity() != copy.identity());
    GaussianCloud moved = std::move(cloud);
    CHECK(moved.identity() == identity);
    CHECK(cloud.identity() != identity);  // NOLINT(bugprone-use-after-move): a moved-from cloud is a new one
}

TEST_CASE("find_non_finite reports the first Gaussian with a bad value") {
    GaussianCloud cloud(4, 1, false);
    CHECK_FALSE(cloud.find_non_finite());
    cloud.sh_rest()[3 * 9 + 2] = INFINITY;
    cloud.log_scales()[2 * 3] = NAN;
    CHECK(cloud.find_non_finite() == std::optional<std::string>("Gaussian 2: log-scale is NaN"));

    // Large arrays are checked in parallel blocks: the first bad value still wins, across blocks and
    // fields, whatever order the blocks finish in.
    GaussianCloud large(200000, 3, false);
    CHECK_FALSE(large.find_non_finite());
    large.sh_rest()[45 * 150000 + 7] = NAN;
    large.sh_rest()[45 * 190000] = INFINITY;
    CHECK(large.find_non_finite() == std::optional<std::string>("Gaussian 150000: SH coefficient is NaN"));
    large.positions()[3 * 123457 + 2] = -INFINITY;
    CHECK(large.find_non_finite() == std::optional<std::string>("Gaussian 123457: position is infinite"));
    large.opacity_logits()[199999] = NAN;
    large.positions()[3 * 123457 + 2] = 0.0f;
    CHECK(large.find_non_finite() == std::optional<std::string>("Gaussian 150000: SH coefficient is NaN"));
}

TEST_CASE("activate_gaussian: exp scales, unit quaternion, sigmoid opacity") {
    const float log_scale[3] = {0.0f, std::log(2.0f), -1.0f};
    const float rotation[4] = {2.0f, 0.0f, 0.0f, 0.0f};
    float scale[3], unit[4], opacity;
    activate_gaussian(log_scale, rotation, 0.0f, scale, unit, &opacity);
    CHECK(scale[1] == doctest::Approx(2.0));
    CHECK(unit[0] == 1.0f);
    CHECK(opacity == 0.5f);
    const float zero[4] = {0, 0, 0, 0};
    activate_gaussian(log_scale, zero, 100.0f, scale, unit, &opacity);
    CHECK(unit[0] == 1.0f);  // degenerate quaternion -> identity
    CHECK(opacity == 1.0f);
    CHECK(logit(sigmoid(1.25f)) == doctest::Approx(1.25).epsilon(1e-5));
}

TEST_CASE("describe: quantiles interpolate between order statistics") {
    const std::vector<float> values = {5, 1, 4, 2, 3};
    const Distribution d = describe(values);
    CHECK(d.quantiles[0] == 1.0f);
    CHECK(d.quantiles[1] == doctest::Approx(1.04));  // 1% of the way: 0.04 of an interval past 1
    CHECK(d.quantiles[2] == 2.0f);
    CHECK(d.quantiles[3] == 3.0f);
    CHECK(d.quantiles[6] == 5.0f);
    CHECK(d.mean == doctest::Approx(3.0));
    CHECK(describe({}).mean == 0.0);
}

TEST_CASE("compute_stats on a hand-made cloud") {
    GaussianCloud cloud(3, 0, true);
    for (int i = 0; i < 3; ++i) {
        cloud.positions()[3 * i] = static_cast<float>(i);
        cloud.log_scales()[3 * i + 1] = std::log(static_cast<float>(i + 2));
        cloud.opacity_logits()[i] = logit(0.25f * static_cast<float>(i + 1));
        cloud.rotations()[4 * i] = 1.0f;
        cloud.time_means()[i] = 0.5f * static_cast<float>(i) - 1.0f;
    }
    const SceneStats s = compute_stats(cloud);
    CHECK(s.count == 3);
    CHECK(s.is_4d);
    CHECK(s.bounds_max[0] == 2.0f);
    CHECK(s.opacity.quantiles[3] == doctest::Approx(0.5));
    CHECK(s.scale_max.quantiles.back() == doctest::Approx(4.0));
    CHECK(s.scale_min.quantiles.back() == doctest::Approx(1.0));
    CHECK(s.time_min == -1.0f);
    CHECK(s.time_max == 0.0f);
}

TEST_CASE("assets/default_scene.ply is exactly what glint-make-scene generates") {
    const std::vector<std::byte> committed =
        test::read_bytes(test::source_dir() / "assets/default_scene.ply");
    const GaussianCloud generated = tools::make_default_scene();
    CHECK(generated.size() > 5000);
    CHECK(generated.sh_degree() == 1);
    CHECK(encode_ply(generated) == committed);
}

TEST_CASE("assets/default_scene_4d.ply is exactly what glint-make-scene default4d generates") {
    const std::vector<std::byte> committed =
        test::read_bytes(test::source_dir() / "assets/default_scene_4d.ply");
    const GaussianCloud generated = tools::make_default_scene_4d();
    CHECK(generated.is_4d());
    CHECK(encode_ply(generated) == committed);
}

TEST_CASE("random scenes are deterministic for a seed") {
    tools::RandomSceneOptions options;
    options.count = 100;
    const GaussianCloud a = tools::make_random_scene(options), b = tools::make_random_scene(options);
    CHECK(encode_ply(a) == encode_ply(b));
    options.seed = 2;
    CHECK(encode_ply(tools::make_random_scene(options)) != encode_ply(a));
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cuda");

TEST_CASE("the CUDA activation kernel matches the CPU") {
    const CudaStatus& status = cuda_status();
    if (!status.usable()) {
        test::skip(status.reason);
        return;
    }
    MESSAGE("running on ", status.device_name);
    tools::RandomSceneOptions options;
    options.count = 100003;  // not a multiple of the block size
    GaussianCloud cloud = tools::make_random_scene(options);
    for (int k = 0; k < 4; ++k) cloud.rotations()[4 * 17 + k] = 0.0f;  // degenerate quaternion
    const ActivatedGaussians cpu = activate_gaussians(cloud, Backend::Cpu);
    const ActivatedGaussians gpu = activate_gaussians(cloud, Backend::Cuda);
    REQUIRE(gpu.opacities.size() == cpu.opacities.size());
    // GPU expf/sqrtf differ from glibc by a few ulp.
    for (std::size_t i = 0; i < cpu.scales.size(); ++i)
        REQUIRE(gpu.scales[i] == doctest::Approx(cpu.scales[i]).epsilon(1e-6));
    for (std::size_t i = 0; i < cpu.rotations.size(); ++i)
        REQUIRE(gpu.rotations[i] == doctest::Approx(cpu.rotations[i]).epsilon(1e-6).scale(1.0));
    for (std::size_t i = 0; i < cpu.opacities.size(); ++i)
        REQUIRE(gpu.opacities[i] == doctest::Approx(cpu.opacities[i]).epsilon(1e-6));
    CHECK(gpu.rotations[4 * 17] == 1.0f);
}

TEST_SUITE_END();
