// The temporal hierarchy: the Gaussians it finds alive at a time are exactly those whose marginal can
// reach the cut-off there, a frame drawn through it equals the whole scene's frame, and a scene many times
// longer looks at about as many Gaussians per frame as its shortest version.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "glint/scene/gaussian_scene.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/temporal_hierarchy.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

TEST_SUITE_BEGIN("cpu");

TEST_CASE("temporal hierarchy: alive is exactly the Gaussians within reach of the time, in order") {
    tools::RandomSceneOptions options;
    options.count = 5000;
    options.sh_degree = 1;
    options.temporal = true;
    options.seed = 21;
    GaussianCloud cloud = tools::make_random_scene(options);
    // Lives from a hundredth of the span to all of it.
    tools::Rng rng(4);
    for (float& s : cloud.log_time_scales()) s = std::log(0.004f) + rng.uniform(0.0f, 5.5f);
    const float cutoff = 0.05f;
    const TemporalHierarchy h(cloud, 0.0f, 1.0f, cutoff);
    MESSAGE("depth ", h.depth(), ", leaves of ", h.leaf_length(), ", ", h.memory_bytes(), " bytes");
    CHECK(h.depth() >= 3);
    std::size_t stored = 0;
    for (const std::size_t c : h.level_counts()) stored += c;
    CHECK(stored >= cloud.size());
    CHECK(stored <= 2 * cloud.size());
    const double factor = std::sqrt(-2.0 * std::log(static_cast<double>(cutoff)));
    std::vector<std::uint32_t> alive;
    for (const float t : {-0.3f, 0.0f, 0.1f, 0.25f, 0.5f, 0.5001f, 0.73f, 0.999f, 1.0f, 1.4f}) {
        CAPTURE(t);
        h.alive(t, alive);
        CHECK(std::is_sorted(alive.begin(), alive.end()));
        CHECK(std::adjacent_find(alive.begin(), alive.end()) == alive.end());
        CHECK(h.working_set(t) >= alive.size());
        CHECK(h.working_set(t) < cloud.size());
        // Every Gaussian whose marginal reaches the cut-off at t is there; those found are within a
        // thousandth of their reach.
        std::size_t expected = 0;
        for (std::uint32_t i = 0; i < cloud.size(); ++i) {
            const double reach = factor * std::sqrt(static_cast<double>(time_variance(cloud, i)));
            const double dt = std::abs(static_cast<double>(t) - cloud.time_means()[i]);
            const bool found = std::binary_search(alive.begin(), alive.end(), i);
            if (dt <= reach) {
                CHECK(found);
                ++expected;
            }
            if (found) CHECK(dt <= reach * 1.0011);
        }
        CHECK(alive.size() >= expected);
        CHECK(alive.size() <= expected + 5);
    }
    test::check_input_error([&] { TemporalHierarchy(tools::make_default_scene(), 0.0f, 1.0f, 0.05f); },
                            {"4D"});
    test::check_input_error([&] { TemporalHierarchy(cloud, 1.0f, 1.0f, 0.05f); }, {"time span"});
    test::check_input_error([&] { TemporalHierarchy(cloud, 0.0f, 1.0f, 1.5f); }, {"cut-off"});
}

TEST_CASE("temporal hierarchy: a scene drawn through it equals the whole scene's frame") {
    LoadedScene loaded;
    loaded.cloud = tools::make_default_scene_4d(3);
    scene::GaussianScene scene(loaded, "laps", Backend::Cpu);
    const Camera camera = Camera::look_at({0.5f, -6.0f, 4.0f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 96, 72);
    for (const float t : {0.0f, 0.4f, 1.0f, 1.73f, 3.0f}) {
        CAPTURE(t);
        scene::DrawSettings settings;
        Frame through, whole;
        const scene::FrameStats some = scene.render(camera, t, settings, through);
        settings.active_masks = false;
        const scene::FrameStats all = scene.render(camera, t, settings, whole);
        CHECK(some.visible == all.visible);
        CHECK(through.color == whole.color);
        CHECK(through.depth == whole.depth);
        CHECK(through.contributors == whole.contributors);
    }
}

TEST_CASE("temporal hierarchy: ten and a hundred times longer, a frame looks at as many Gaussians") {
    const GaussianCloud one = tools::make_default_scene_4d(1);
    const GaussianCloud ten = tools::make_default_scene_4d(10);
    const GaussianCloud hundred = tools::make_default_scene_4d(100);
    REQUIRE(hundred.time_range().has_value());
    CHECK((*hundred.time_range())[1] == 100.0f);
    const auto busiest = [](const GaussianCloud& cloud, float length) {
        const TemporalHierarchy h(cloud, 0.0f, length, 0.05f);
        std::size_t most = 0, alive_most = 0;
        std::vector<std::uint32_t> alive;
        for (int k = 0; k <= 200; ++k) {
            const float t = length * static_cast<float>(k) / 200.0f;
            most = std::max(most, h.working_set(t));
            h.alive(t, alive);
            alive_most = std::max(alive_most, alive.size());
        }
        return std::pair{most, alive_most};
    };
    const auto [w1, a1] = busiest(one, 1.0f);
    const auto [w10, a10] = busiest(ten, 10.0f);
    const auto [w100, a100] = busiest(hundred, 100.0f);
    MESSAGE("busiest working set: ", w1, " (1 lap, ", one.size(), " Gaussians), ", w10, " (10 laps, ",
            ten.size(), "), ", w100, " (100 laps, ", hundred.size(), "); alive ", a1, ", ", a10, ", ", a100);
    CHECK(w10 <= 3 * w1 / 2);
    CHECK(w100 <= 3 * w1 / 2);
    CHECK(a10 <= 3 * a1 / 2);
    CHECK(a100 <= 3 * a1 / 2);
}
