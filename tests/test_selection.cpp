// Subsets of a cloud (importance order, pruning masks, gather) and the rasterizer's level-of-detail
// settings, which must draw exactly what rendering the subset would.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "glint/core/image_io.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/selection.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

GaussianCloud random_cloud(bool temporal = false) {
    tools::RandomSceneOptions options;
    options.count = 3000;
    options.sh_degree = 2;
    options.temporal = temporal;
    options.time_color_degree = temporal ? 1 : 0;
    options.seed = 7;
    return tools::make_random_scene(options);
}

RenderOutput render(const GaussianCloud& cloud, const RenderSettings& settings) {
    const Camera camera = Camera::look_at({2.5f, -2.5f, 1.5f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 96, 72);
    RenderOutput out;
    create_rasterizer(Backend::Cpu)->render(cloud, camera, settings, out);
    return out;
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE("importance order is by opacity times the largest cross-section, decreasing") {
        const GaussianCloud cloud = random_cloud();
        const std::vector<float> score = importance(cloud);
        const std::vector<std::uint32_t> order = importance_order(cloud);
        REQUIRE(order.size() == cloud.size());
        for (std::size_t k = 1; k < order.size(); ++k) CHECK(score[order[k - 1]] >= score[order[k]]);
        // Recomputed by hand for one Gaussian.
        const std::size_t i = 17;
        auto s = cloud.log_scales().subspan(3 * i, 3);
        std::vector<float> sorted(s.begin(), s.end());
        std::sort(sorted.begin(), sorted.end());
        CHECK(score[i] ==
              doctest::Approx(sigmoid(cloud.opacity_logits()[i]) * std::exp(sorted[1] + sorted[2])));
    }

    TEST_CASE("gather copies every array of the chosen Gaussians, 4D included") {
        const GaussianCloud cloud = random_cloud(true);
        const std::vector<std::uint32_t> indices{5, 2, 2999, 0};
        const GaussianCloud out = gather(cloud, indices);
        REQUIRE(out.size() == 4);
        CHECK(out.is_4d());
        CHECK(out.sh_degree() == 2);
        CHECK(out.time_color_degree() == 1);
        for (std::size_t k = 0; k < indices.size(); ++k) {
            const std::size_t i = indices[k];
            CHECK(out.positions()[3 * k + 2] == cloud.positions()[3 * i + 2]);
            CHECK(out.rotations()[4 * k + 3] == cloud.rotations()[4 * i + 3]);
            CHECK(out.opacity_logits()[k] == cloud.opacity_logits()[i]);
            const std::size_t rest = static_cast<std::size_t>(cloud.sh_rest_per_channel()) * 3;
            CHECK(out.sh_rest()[rest * k + rest - 1] == cloud.sh_rest()[rest * i + rest - 1]);
            CHECK(out.time_means()[k] == cloud.time_means()[i]);
            CHECK(out.rotations_right()[4 * k + 1] == cloud.rotations_right()[4 * i + 1]);
            const std::size_t tc = cloud.time_color_per_gaussian();
            CHECK(out.time_color()[tc * k + tc - 1] == cloud.time_color()[tc * i + tc - 1]);
        }
        CHECK_THROWS_AS(gather(cloud, std::vector<std::uint32_t>{3000}), ContractError);
    }

    TEST_CASE("prune mask: opacity and scale thresholds, and select keeps exactly the kept") {
        const GaussianCloud cloud = random_cloud();
        std::vector<std::uint8_t> keep;
        CHECK(prune_mask(cloud, {}, keep) == cloud.size());
        const std::size_t kept = prune_mask(cloud, {0.5f, 0.0f, 0.0f}, keep);
        std::size_t expected = 0;
        for (std::size_t i = 0; i < cloud.size(); ++i) {
            const bool stays = sigmoid(cloud.opacity_logits()[i]) >= 0.5f;
            CHECK(keep[i] == (stays ? 1 : 0));
            expected += stays ? 1 : 0;
        }
        CHECK(kept == expected);
        CHECK(kept > 0);
        CHECK(kept < cloud.size());
        CHECK(select(cloud, keep).size() == kept);

        const std::size_t small = prune_mask(cloud, {0.0f, 0.02f, 0.0f}, keep);
        for (std::size_t i = 0; i < cloud.size(); ++i) {
            const auto s = cloud.log_scales().subspan(3 * i, 3);
            const float largest = std::exp(std::max({s[0], s[1], s[2]}));
            CHECK(keep[i] == (largest <= 0.02f ? 1 : 0));
        }
        CHECK(small < cloud.size());
    }

    TEST_CASE("LOD settings draw what rendering the subset draws: budget, keep mask, minimum radius") {
        const GaussianCloud cloud = gather(random_cloud(), importance_order(random_cloud()));
        RenderSettings settings;
        settings.max_gaussians = 500;
        const RenderOutput budget = render(cloud, settings);
        std::vector<std::uint32_t> prefix(500);
        for (std::uint32_t i = 0; i < 500; ++i) prefix[i] = i;
        const RenderOutput reference = render(gather(cloud, prefix), {});
        CHECK(budget.color == reference.color);
        CHECK(budget.color != render(cloud, {}).color);

        std::vector<std::uint8_t> keep;
        prune_mask(cloud, {0.6f, 0.0f, 0.0f}, keep);
        RenderSettings masked;
        masked.keep = keep.data();
        CHECK(render(cloud, masked).color == render(select(cloud, keep), {}).color);

        // A minimum radius removes Gaussians (fewer contributors) and an enormous one removes all.
        RenderSettings lod;
        lod.min_radius = 6.0f;
        const RenderOutput culled = render(cloud, lod);
        const RenderOutput full = render(cloud, {});
        std::uint64_t culled_sum = 0, full_sum = 0;
        for (std::size_t i = 0; i < full.contributors.size(); ++i) {
            culled_sum += culled.contributors[i];
            full_sum += full.contributors[i];
        }
        CHECK(culled_sum < full_sum);
        lod.min_radius = 1e6f;
        const RenderOutput none = render(cloud, lod);
        CHECK(*std::max_element(none.alpha.begin(), none.alpha.end()) == 0.0f);
        lod.min_radius = -1.0f;
        CHECK_THROWS_AS(render(cloud, lod), InputError);
    }

    TEST_CASE("packed RGBA8 output equals the rounded float colour") {
        const GaussianCloud cloud = random_cloud();
        std::vector<std::uint32_t> packed(96 * 72, 0u);
        const Camera camera = Camera::look_at({2.5f, -2.5f, 1.5f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 96, 72);
        RenderOutput out;
        out.packed_rgba = packed.data();
        create_rasterizer(Backend::Cpu)->render(cloud, camera, {}, out);
        for (std::size_t i = 0; i < packed.size(); ++i) {
            CHECK((packed[i] >> 24) == 255u);
            for (int k = 0; k < 3; ++k)
                CHECK(((packed[i] >> (8 * k)) & 0xffu) == to_unorm8(out.color[3 * i + k]));
        }
        // Packed pixels alone: the same pixels, no float images.
        std::vector<std::uint32_t> alone(packed.size(), 0u);
        RenderOutput only;
        only.packed_rgba = alone.data();
        only.float_images = false;
        create_rasterizer(Backend::Cpu)->render(cloud, camera, {}, only);
        CHECK(alone == packed);
        CHECK(only.color.empty());
        CHECK(only.contributors.empty());
        only.packed_rgba = nullptr;
        CHECK_THROWS_AS(create_rasterizer(Backend::Cpu)->render(cloud, camera, {}, only), ContractError);
    }
}

TEST_SUITE("cuda") {
    TEST_CASE("CUDA: budget, keep mask and minimum radius skip what the CPU skips") {
        const CudaStatus& status = cuda_status();
        if (!status.usable()) {
            test::skip(status.reason);
            return;
        }
        const GaussianCloud cloud = gather(random_cloud(), importance_order(random_cloud()));
        std::vector<std::uint8_t> keep;
        prune_mask(cloud, {0.6f, 0.0f, 0.0f}, keep);
        const Camera camera = Camera::look_at({2.5f, -2.5f, 1.5f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 96, 72);
        for (int variant = 0; variant < 3; ++variant) {
            CAPTURE(variant);
            RenderSettings settings;
            if (variant == 0) settings.max_gaussians = 500;
            if (variant == 1) settings.keep = keep.data();
            if (variant == 2) settings.min_radius = 6.0f;
            RenderOutput a, b;
            const RenderStats sa = create_rasterizer(Backend::Cpu)->render(cloud, camera, settings, a);
            const RenderStats sb = create_rasterizer(Backend::Cuda)->render(cloud, camera, settings, b);
            CHECK(sa.gaussians == sb.gaussians);
            CHECK(sa.visible == sb.visible);
            CHECK(sa.tile_pairs == sb.tile_pairs);
        }
    }
}
