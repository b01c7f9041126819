// Pruning by contribution: blend weights, LightGaussian's significance, 4DGS-1K's spatial-temporal score,
// SH distillation and the 4D active masks, which must draw exactly what the whole scene draws.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "glint/core/backend.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/prune.h"
#include "glint/splatting/raster/raster_math.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

GaussianCloud random_cloud(bool temporal, std::size_t count = 3000) {
    tools::RandomSceneOptions options;
    options.count = count;
    options.sh_degree = 3;
    options.temporal = temporal;
    options.seed = 11;
    return tools::make_random_scene(options);
}

const Camera kCamera = Camera::look_at({0.4f, -0.3f, -3.5f}, {0, 0, 0}, {0, -1, 0}, 50.0f, 72, 56);

// One opaque Gaussian of scale `scale` at `position`, SH DC colour `gray`.
void set_gaussian(GaussianCloud& cloud, std::size_t i, glm::vec3 position, float scale, float opacity) {
    for (int k = 0; k < 3; ++k) {
        cloud.positions()[3 * i + k] = position[k];
        cloud.log_scales()[3 * i + k] = std::log(scale);
        cloud.sh_dc()[3 * i + k] = 0.5f;
    }
    cloud.rotations()[4 * i] = 1.0f;
    cloud.opacity_logits()[i] = logit(opacity);
    if (cloud.is_4d()) cloud.rotations_right()[4 * i] = 1.0f;
}

}  // namespace

TEST_CASE("blend weights: each pixel's opacity is shared out among the Gaussians that drew it") {
    const GaussianCloud cloud = random_cloud(false);
    const Camera second = Camera::look_at({-3.0f, 0.5f, 1.0f}, {0, 0, 0}, {0, -1, 0}, 45.0f, 40, 40);
    const std::vector<ScoringView> views{{kCamera, 0.0f}, {second, 0.0f}};
    const std::optional<std::vector<float>> weights = blend_weights(cloud, views);
    REQUIRE(weights);
    // Sum over Gaussians of alpha * T = sum over pixels of (1 - final T) = the alpha image's sum.
    double alpha_sum = 0.0;
    const auto rasterizer = create_rasterizer(Backend::Cpu);
    for (const ScoringView& view : views) {
        RenderOutput out;
        rasterizer->render(cloud, view.camera, RenderSettings{}, out);
        alpha_sum += std::accumulate(out.alpha.begin(), out.alpha.end(), 0.0);
    }
    const double weight_sum = std::accumulate(weights->begin(), weights->end(), 0.0);
    MESSAGE("sum of weights ", weight_sum, ", sum of alpha ", alpha_sum);
    CHECK(alpha_sum > 100.0);
    CHECK(weight_sum == doctest::Approx(alpha_sum).epsilon(1e-4));
    CHECK(std::all_of(weights->begin(), weights->end(), [](float w) { return w >= 0.0f; }));

    // A Gaussian behind an opaque wall gets nothing; cancelling stops after the first view.
    GaussianCloud wall(2, 0, false);
    set_gaussian(wall, 0, {0, 0, 0}, 1.5f, 0.999f);
    set_gaussian(wall, 1, {0, 0, 1.0f}, 0.05f, 0.9f);
    const std::optional<std::vector<float>> hidden = blend_weights(wall, std::span(views).first(1));
    REQUIRE(hidden);
    CHECK((*hidden)[0] > 100.0f);
    CHECK((*hidden)[1] < 1e-3f * (*hidden)[0]);  // alpha is capped at 0.99: T >= 0.01 behind the wall
    std::size_t calls = 0;
    CHECK_FALSE(blend_weights(cloud, views, [&](std::size_t, std::size_t) { return ++calls < 1; }));
    CHECK(calls == 1);
}

TEST_CASE("significance ranks little-seen Gaussians last, and keep_highest removes the asked fraction") {
    GaussianCloud cloud(3, 0, false);
    set_gaussian(cloud, 0, {0, 0, 0}, 0.3f, 0.9f);         // large, in view
    set_gaussian(cloud, 1, {0.6f, 0.2f, 0}, 0.02f, 0.9f);  // small, in view
    set_gaussian(cloud, 2, {0, 0, -10.0f}, 0.3f, 0.9f);    // behind the camera: never seen
    const std::optional<std::vector<float>> weights =
        blend_weights(cloud, std::vector<ScoringView>{{kCamera, 0}});
    REQUIRE(weights);
    const std::vector<float> score = significance(cloud, *weights);
    CHECK(score[0] > score[1]);
    CHECK(score[1] > score[2]);
    std::vector<std::uint8_t> keep;
    CHECK(keep_highest(score, 2.0 / 3.0, keep) == 1);
    CHECK(keep == std::vector<std::uint8_t>{1, 0, 0});
    CHECK(keep_highest(score, 0.0, keep) == 3);
    CHECK(keep_highest(score, 1.0, keep) == 0);
    test::check_input_error([&] { keep_highest(score, 1.5, keep); }, {"1.5", "[0, 1]"});
}

TEST_CASE("the spatial-temporal score ranks a Gaussian that flashes by below a long-lived one") {
    GaussianCloud cloud(2, 0, true);
    set_gaussian(cloud, 0, {0, 0, 0}, 0.1f, 0.9f);
    set_gaussian(cloud, 1, {0, 0, 0}, 0.1f, 0.9f);
    cloud.time_means()[0] = cloud.time_means()[1] = 0.5f;
    cloud.log_time_scales()[0] = std::log(20.0f);  // lives far beyond the span
    cloud.log_time_scales()[1] = std::log(0.01f);  // a flash
    std::vector<float> times(21);
    for (int t = 0; t <= 20; ++t) times[t] = 0.05f * static_cast<float>(t);
    const std::vector<float> equal_weights{1.0f, 1.0f};
    // Same 3D volume; the flash's smaller 4D volume and its temporal variation both rank it lower.
    const std::vector<float> score = spatiotemporal_score(cloud, equal_weights, times, 1.0f);
    CHECK(score[0] > score[1]);
    // The temporal factor alone (volume power 0): near 2 for the long-lived one, lower for the flash.
    const std::vector<float> temporal = spatiotemporal_score(cloud, equal_weights, times, 1.0f, 0.0f);
    CHECK(temporal[0] == doctest::Approx(2.0f).epsilon(0.01));
    CHECK(temporal[1] < temporal[0]);
    CHECK(temporal[1] >= 1.0f);
}

TEST_CASE("SH distillation fits the lower degree over the views' directions, and without views truncates") {
    GaussianCloud cloud = random_cloud(false, 400);
    // Views from one side: the fit only has to hold there.
    std::vector<glm::vec3> eyes;
    for (int k = 0; k < 12; ++k) {
        const float a = 0.12f * static_cast<float>(k);
        eyes.emplace_back(3.0f * std::sin(a), 0.5f, -3.0f * std::cos(a));
    }
    GaussianCloud truncated = cloud, fitted = cloud;
    distill_sh(truncated, 1, {});
    distill_sh(fitted, 1, eyes);
    CHECK(truncated.sh_degree() == 1);
    CHECK(fitted.sh_degree() == 1);
    for (std::size_t i = 0; i < cloud.size(); ++i)
        for (int j = 0; j < 9; ++j) REQUIRE(truncated.sh_rest()[9 * i + j] == cloud.sh_rest()[45 * i + j]);
    // The colour error along the views' directions: the fit's is lower than the truncation's.
    const auto error = [&](const GaussianCloud& low) {
        double sum = 0.0;
        for (std::size_t i = 0; i < cloud.size(); ++i)
            for (const glm::vec3& eye : eyes) {
                const glm::vec3 mean(cloud.positions()[3 * i], cloud.positions()[3 * i + 1],
                                     cloud.positions()[3 * i + 2]);
                const glm::vec3 d = glm::normalize(mean - eye);
                const raster::Vec3 dir{d.x, d.y, d.z};
                const raster::Vec3 full =
                    raster::sh_sum(3, cloud.sh_dc().data() + 3 * i, cloud.sh_rest().data() + 45 * i, dir);
                const raster::Vec3 part =
                    raster::sh_sum(1, low.sh_dc().data() + 3 * i, low.sh_rest().data() + 9 * i, dir);
                sum += std::pow(full.x - part.x, 2) + std::pow(full.y - part.y, 2) +
                       std::pow(full.z - part.z, 2);
            }
        return sum;
    };
    const double e_truncated = error(truncated), e_fitted = error(fitted);
    MESSAGE("squared colour error over the views: truncated ", e_truncated, ", fitted ", e_fitted);
    CHECK(e_fitted < 0.5 * e_truncated);
    // Degree 0 keeps one colour per Gaussian; asking for a degree the scene is below changes nothing.
    distill_sh(fitted, 0, eyes);
    CHECK(fitted.sh_rest().empty());
    const GaussianCloud before = fitted;
    distill_sh(fitted, 2, eyes);
    CHECK(fitted.sh_degree() == 0);
    CHECK(std::equal(fitted.sh_dc().begin(), fitted.sh_dc().end(), before.sh_dc().begin()));
}

TEST_CASE("active masks: a 4D frame drawn with its segment's set equals the whole scene's frame") {
    GaussianCloud cloud = random_cloud(true, 6000);
    // Shorter lives than the generator's, so that most Gaussians sleep at any time.
    for (float& s : cloud.log_time_scales()) s -= 2.0f;
    const ActiveMasks masks(cloud, 0.0f, 1.0f, 0.05f, 0.05f);
    CHECK(masks.segments() == 20);
    MESSAGE("mean active fraction ", masks.mean_fraction(), ", ", masks.memory_bytes(), " bytes");
    CHECK(masks.mean_fraction() < 0.5);
    const auto rasterizer = create_rasterizer(Backend::Cpu);
    for (const float t : {0.0f, 0.05f, 0.333f, 0.5f, 0.77f, 0.999f, 1.0f}) {
        CAPTURE(t);
        RenderSettings settings;
        settings.time = t;
        RenderOutput whole, masked;
        const RenderStats all = rasterizer->render(cloud, kCamera, settings, whole);
        settings.active = masks.at(t);
        REQUIRE_FALSE(settings.active.empty());
        const RenderStats some = rasterizer->render(cloud, kCamera, settings, masked);
        CHECK(some.visible == all.visible);
        CHECK(masked.color == whole.color);
        CHECK(masked.depth == whole.depth);
        CHECK(masked.contributors == whole.contributors);
    }
    CHECK(masks.at(-0.1f).empty());  // outside the span: every Gaussian
    CHECK(masks.at(1.5f).empty());
    // With the level-of-detail budget, only the active Gaussians under it are drawn.
    RenderSettings settings;
    settings.time = 0.5f;
    settings.max_gaussians = 2000;
    RenderOutput whole, masked;
    rasterizer->render(cloud, kCamera, settings, whole);
    settings.active = masks.at(0.5f);
    rasterizer->render(cloud, kCamera, settings, masked);
    CHECK(masked.color == whole.color);
    test::check_input_error([&] { ActiveMasks(random_cloud(false, 10), 0.0f, 1.0f, 0.1f, 0.05f); }, {"4D"});
    test::check_input_error([&] { ActiveMasks(cloud, 1.0f, 1.0f, 0.1f, 0.05f); }, {"time span"});
}

TEST_SUITE_BEGIN("cuda");

TEST_CASE("the CUDA rasterizer draws a 4D frame's active set as the CPU does") {
    const CudaStatus& status = cuda_status();
    if (!status.usable()) {
        test::skip(status.reason);
        return;
    }
    GaussianCloud cloud = random_cloud(true, 6000);
    for (float& s : cloud.log_time_scales()) s -= 2.0f;
    const ActiveMasks masks(cloud, 0.0f, 1.0f, 0.05f, 0.05f);
    const auto cpu = create_rasterizer(Backend::Cpu);
    const auto gpu = create_rasterizer(Backend::Cuda);
    for (const float t : {0.1f, 0.6f}) {
        RenderSettings settings;
        settings.time = t;
        RenderOutput whole, masked;
        gpu->render(cloud, kCamera, settings, whole);
        settings.active = masks.at(t);
        const RenderStats stats = gpu->render(cloud, kCamera, settings, masked);
        RenderOutput on_cpu;
        const RenderStats cpu_stats = cpu->render(cloud, kCamera, settings, on_cpu);
        CHECK(stats.visible == cpu_stats.visible);
        float error = 0.0f;
        for (std::size_t i = 0; i < masked.color.size(); ++i) {
            error = std::max(error, std::fabs(masked.color[i] - whole.color[i]));
            error = std::max(error, std::fabs(masked.color[i] - on_cpu.color[i]));
        }
        CHECK(error <= 1e-4f);
    }
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cpu");

TEST_CASE("glint prune: a trained scene pruned by significance and fine-tuned keeps its quality, and bad input is refused") {
    test::TempDir dir;
    const std::string data = test::quoted(test::source_dir() / "assets/sample/dataset");
    const test::CommandResult trained = test::run_glint(
        "train -q " + data + " -o " + test::quoted(dir / "s.ply") + " --iters 600 --downscale 2");
    INFO(trained.output);
    REQUIRE(trained.exit_code == 0);
    const auto prune = [&](const std::string& name, const std::string& options) {
        return test::run_glint("prune " + test::quoted(dir / "s.ply") + " -o " + test::quoted(dir / name) +
                               " --dataset " + data + " --downscale 2 " + options);
    };
    const auto psnr_after = [](const std::string& output) {
        const std::size_t at = output.find("test PSNR");
        REQUIRE(at != std::string::npos);
        const std::size_t arrow = output.find("-> ", at);
        return std::stod(output.substr(arrow + 3));
    };
    const test::CommandResult cut = prune("cut.ply", "--significance 0.5");
    INFO(cut.output);
    REQUIRE(cut.exit_code == 0);
    CHECK(cut.output.find("(50.0% fewer)") != std::string::npos);
    const splatting::LoadedScene original = splatting::load_scene(dir / "s.ply");
    const splatting::LoadedScene pruned = splatting::load_scene(dir / "cut.ply");
    CHECK(pruned.cloud.size() == (original.cloud.size() + 1) / 2);
    const test::CommandResult tuned = prune("tuned.ply", "--significance 0.5 --sh-degree 1 --finetune 200");
    INFO(tuned.output);
    REQUIRE(tuned.exit_code == 0);
    CHECK(splatting::load_scene(dir / "tuned.ply").cloud.sh_degree() == 1);
    const double cut_psnr = psnr_after(cut.output), tuned_psnr = psnr_after(tuned.output);
    MESSAGE("half the Gaussians removed: test PSNR ", cut_psnr, " dB; with SH 1 and 200 fine-tuning steps ",
            tuned_psnr, " dB");
    CHECK(tuned_psnr > cut_psnr);
    // Without a dataset: views around the scene score it, no PSNR.
    const test::CommandResult around =
        test::run_glint("prune " + test::quoted(dir / "s.ply") + " -o " + test::quoted(dir / "around.ply") +
                        " --significance 0.25 --views 8");
    INFO(around.output);
    CHECK(around.exit_code == 0);
    CHECK(around.output.find("8 views around the scene") != std::string::npos);
    CHECK(around.output.find("test PSNR") == std::string::npos);

    // Bad input: one line naming the problem, exit 2, the previous output intact.
    const auto before = test::read_bytes(dir / "cut.ply");
    const auto refused = [&](const std::string& arguments, std::string_view piece) {
        const test::CommandResult r = test::run_glint("prune " + arguments);
        INFO(r.output);
        CHECK(r.exit_code == 2);
        CHECK(r.output.find(piece) != std::string::npos);
    };
    const std::string scene = test::quoted(dir / "s.ply"), out = " -o " + test::quoted(dir / "cut.ply");
    refused(scene + out + " --spatiotemporal 0.5", "this one is 3D");
    refused(scene + out + " --significance 0.5 --finetune 10", "--finetune trains on a dataset");
    refused(scene + out, "nothing to do");
    refused(scene + out + " --significance 0.5 --spatiotemporal 0.5", "not both");
    refused(test::quoted(dir / "missing.ply") + out + " --significance 0.5", "missing.ply");
    refused(scene + " -o " + test::quoted(dir / "x.nerf") + " --significance 0.5", "x.nerf");
    CHECK(test::read_bytes(dir / "cut.ply") == before);
}

TEST_SUITE_END();
