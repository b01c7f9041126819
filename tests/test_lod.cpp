// The Gaussian hierarchy: merged nodes match their children's moments, the tree is well formed, a cut
// covers every leaf once, the finest cut is the scene, coarser cuts stay close to it, and the PLY with a
// lod_node element round-trips while other readers see the scene.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

#include "glint/core/error.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/lod.h"
#include "glint/splatting/ply_format.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

glm::dmat3 covariance(const GaussianCloud& c, std::size_t i) {
    const float* q = &c.rotations()[4 * i];
    const glm::dmat3 r(glm::mat3_cast(glm::normalize(glm::quat(q[0], q[1], q[2], q[3]))));
    const float* s = &c.log_scales()[3 * i];
    glm::dmat3 s2(0.0);
    for (int a = 0; a < 3; ++a) s2[a][a] = std::exp(2.0 * s[a]);
    return r * s2 * glm::transpose(r);
}

glm::dvec3 mean(const GaussianCloud& c, std::size_t i) {
    return {c.positions()[3 * i], c.positions()[3 * i + 1], c.positions()[3 * i + 2]};
}

// Every leaf under `node`, in order.
void leaves_under(const LodHierarchy& h, std::uint32_t node, std::vector<std::uint32_t>& out) {
    if (h.is_leaf(node)) return out.push_back(node);
    leaves_under(h, h.left[node - h.leaves], out);
    leaves_under(h, h.right[node - h.leaves], out);
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("LOD: a merged node has its children's weighted mean, covariance, colour and covered area") {
    GaussianCloud two(2, 1, false);
    const float positions[6] = {-0.3f, 0.1f, 0.0f, 0.5f, -0.2f, 0.4f};
    const float scales[6] = {std::log(0.2f), std::log(0.05f), std::log(0.1f),
                             std::log(0.1f), std::log(0.3f),  std::log(0.02f)};
    const float rotations[8] = {0.9f, 0.1f, -0.3f, 0.2f, 0.5f, 0.5f, 0.5f, -0.5f};
    std::copy(positions, positions + 6, two.positions().begin());
    std::copy(scales, scales + 6, two.log_scales().begin());
    std::copy(rotations, rotations + 8, two.rotations().begin());
    two.opacity_logits()[0] = logit(0.8f), two.opacity_logits()[1] = logit(0.4f);
    for (std::size_t i = 0; i < 6; ++i) two.sh_dc()[i] = 0.1f * static_cast<float>(i);
    for (std::size_t i = 0; i < two.sh_rest().size(); ++i) two.sh_rest()[i] = 0.01f * static_cast<float>(i);
    const LodHierarchy h = build_lod(two);
    REQUIRE(h.nodes.size() == 3);
    REQUIRE(h.root == 2);
    // Weights: opacity x the area of the two largest axes.
    const auto footprint = [&](std::size_t i) {
        float s[3] = {std::exp(h.nodes.log_scales()[3 * i]), std::exp(h.nodes.log_scales()[3 * i + 1]),
                      std::exp(h.nodes.log_scales()[3 * i + 2])};
        std::sort(s, s + 3);
        return static_cast<double>(s[1]) * s[2];
    };
    const double w0 = 0.8 * footprint(0), w1 = 0.4 * footprint(1), w = w0 + w1;
    const glm::dvec3 mu = (w0 * mean(h.nodes, 0) + w1 * mean(h.nodes, 1)) / w;
    const glm::dvec3 d0 = mean(h.nodes, 0) - mu, d1 = mean(h.nodes, 1) - mu;
    const glm::dmat3 expected = (w0 * (covariance(h.nodes, 0) + glm::outerProduct(d0, d0)) +
                                 w1 * (covariance(h.nodes, 1) + glm::outerProduct(d1, d1))) /
                                w;
    const glm::dmat3 merged = covariance(h.nodes, 2);
    for (int a = 0; a < 3; ++a) {
        CHECK(mean(h.nodes, 2)[a] == doctest::Approx(mu[a]).epsilon(1e-5));
        for (int b = 0; b < 3; ++b) CHECK(merged[a][b] == doctest::Approx(expected[a][b]).epsilon(1e-4));
        CHECK(h.nodes.sh_dc()[6 + static_cast<std::size_t>(a)] ==
              doctest::Approx((w0 * h.nodes.sh_dc()[a] + w1 * h.nodes.sh_dc()[3 + a]) / w).epsilon(1e-5));
    }
    const double covered = 0.8 * footprint(0) + 0.4 * footprint(1);
    CHECK(sigmoid(h.nodes.opacity_logits()[2]) ==
          doctest::Approx(std::min(0.99, covered / footprint(2))).epsilon(1e-4));
    // The root's sphere holds both children's.
    for (std::uint32_t c = 0; c < 2; ++c)
        CHECK(glm::length(mean(h.nodes, c) - mean(h.nodes, 2)) + h.radius[c] <= h.radius[2] * (1.0 + 1e-6));
}

TEST_CASE("LOD: the tree is binary over contiguous leaves, and every cut covers each leaf once") {
    tools::RandomSceneOptions options;
    options.count = 3000;
    options.sh_degree = 2;
    options.seed = 12;
    const GaussianCloud scene = tools::make_random_scene(options);
    const LodHierarchy h = build_lod(scene);
    REQUIRE(h.leaves == 3000);
    REQUIRE(h.nodes.size() == 5999);
    std::vector<std::uint32_t> all;
    leaves_under(h, h.root, all);
    REQUIRE(all.size() == 3000);
    for (std::uint32_t i = 0; i < 3000; ++i) CHECK(all[i] == i);  // tree order: every subtree contiguous
    for (std::uint32_t node = 0; node < h.nodes.size(); ++node)
        if (h.parent[node] != kNoNode)
            CHECK(glm::length(mean(h.nodes, node) - mean(h.nodes, h.parent[node])) + h.radius[node] <=
                  h.radius[h.parent[node]] * 1.0001f);
    // The leaves are the scene's Gaussians, reordered.
    CHECK(h.leaf_cloud().size() == scene.size());
    const Camera camera = Camera::look_at({0.0f, -4.0f, 1.5f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 160, 120);
    std::size_t previous = SIZE_MAX;
    for (const float target : {0.0f, 1.0f, 4.0f, 16.0f, 64.0f}) {
        const LodCut cut = lod_cut(h, camera, {target});
        std::vector<int> covered(h.leaves, 0);
        for (const std::uint32_t node : cut.nodes) {
            std::vector<std::uint32_t> under;
            leaves_under(h, node, under);
            for (const std::uint32_t leaf : under) ++covered[leaf];
            // A node in the cut is small enough, or a leaf; its parent was not.
            CHECK((h.is_leaf(node) || lod_projected_size(h, node, camera) <= target));
            if (h.parent[node] != kNoNode) CHECK(lod_projected_size(h, h.parent[node], camera) > target);
        }
        CHECK(std::all_of(covered.begin(), covered.end(), [](int c) { return c == 1; }));
        CHECK(cut.nodes.size() <= previous);
        previous = cut.nodes.size();
        MESSAGE("target ", target, " px: ", cut.nodes.size(), " nodes");
    }
    // A budget: at most that many, still covering every leaf once.
    const LodCut budget = lod_cut(h, camera, {0.0f, 500});
    CHECK(budget.nodes.size() <= 500);
    CHECK(budget.nodes.size() >= 400);
    std::vector<int> covered(h.leaves, 0);
    for (const std::uint32_t node : budget.nodes) {
        std::vector<std::uint32_t> under;
        leaves_under(h, node, under);
        for (const std::uint32_t leaf : under) ++covered[leaf];
    }
    CHECK(std::all_of(covered.begin(), covered.end(), [](int c) { return c == 1; }));
    tools::RandomSceneOptions four = options;
    four.temporal = true;
    four.count = 10;
    CHECK_THROWS_AS(build_lod(tools::make_random_scene(four)), InputError);
}

TEST_CASE("LOD: the finest cut renders the scene exactly, coarser cuts close to it with fewer Gaussians") {
    const LoadedScene guitar = load_scene(test::data_dir() / "splats/playcanvas_guitar.compressed.ply");
    const LodHierarchy h = build_lod(guitar.cloud);
    const GaussianCloud scene = h.leaf_cloud();
    const Camera camera =
        Camera::look_at({1.5f, -2.0f, -2.5f}, {0.08f, -2.1f, 0.2f}, {0, -1, 0}, 50.0f, 240, 180);
    GaussianCloud cut;
    cut_cloud(h, lod_cut(h, camera, {0.0f}), cut);
    REQUIRE(cut.size() == scene.size());
    CHECK(test::render_psnr(scene, cut, camera) > 100.0);
    double last_psnr = INFINITY;
    for (const float target : {1.0f, 2.0f, 4.0f}) {
        const LodCut c = lod_cut(h, camera, {target});
        cut_cloud(h, c, cut);
        const double psnr = test::render_psnr(scene, cut, camera);
        MESSAGE("guitar at 240x180, target ", target, " px: ", c.nodes.size(), " of ", scene.size(),
                " Gaussians, ", psnr, " dB against the full render");
        CHECK(c.nodes.size() < scene.size());
        CHECK(psnr <= last_psnr + 0.5);
        last_psnr = psnr;
        if (target == 1.0f) CHECK(psnr > 35.0);
        if (target == 2.0f) CHECK(psnr > 30.0);
    }
}

TEST_CASE(
    "LOD: the hierarchy's PLY round-trips, other readers see the scene, and a bad tree is an input error") {
    tools::RandomSceneOptions options;
    options.count = 500;
    options.sh_degree = 1;
    options.seed = 3;
    const LodHierarchy h = build_lod(tools::make_random_scene(options));
    test::TempDir dir;
    write_lod_ply(h, dir / "scene.ply");
    const LoadedScene back = load_scene(dir / "scene.ply");
    REQUIRE(back.lod != nullptr);
    CHECK(back.cloud.size() == 500);
    CHECK(back.lod->root == h.root);
    CHECK(back.lod->left == h.left);
    CHECK(back.lod->right == h.right);
    CHECK(std::equal(back.lod->nodes.positions().begin(), back.lod->nodes.positions().end(),
                     h.nodes.positions().begin()));
    CHECK(std::equal(back.lod->nodes.sh_rest().begin(), back.lod->nodes.sh_rest().end(),
                     h.nodes.sh_rest().begin()));
    CHECK(std::equal(back.lod->radius.begin(), back.lod->radius.end(), h.radius.begin()));
    // The plain PLY reader: the vertices are the scene, the hierarchy an element it skips.
    const PlyReadResult plain = read_ply(test::read_bytes(dir / "scene.ply"), "scene.ply");
    CHECK(plain.cloud.size() == 500);
    CHECK(plain.skipped_elements == std::vector<std::string>{"lod_node"});
    // A child index out of range.
    std::vector<std::byte> bytes = test::read_bytes(dir / "scene.ply");
    const std::int32_t bad = 100000;
    std::memcpy(bytes.data() + bytes.size() - 4, &bad, 4);
    test::write_bytes(dir / "bad.ply", bytes);
    test::check_input_error([&] { (void)load_scene(dir / "bad.ply"); },
                            {"bad.ply", "hierarchy", "out of range"});
    // Cut short inside the hierarchy.
    test::write_bytes(dir / "short.ply", std::span(bytes).first(bytes.size() - 100));
    test::check_input_error([&] { (void)load_scene(dir / "short.ply"); }, {"short.ply", "ends inside"});
}

TEST_SUITE_END();
