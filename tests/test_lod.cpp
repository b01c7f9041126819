// The Gaussian hierarchy: merged nodes match their children's moments, the tree is well formed, a cut
// covers every leaf once, the finest cut is the scene, coarser cuts stay close to it, and the PLY with a
// lod_node element round-trips while other readers see the scene.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>
#include <nlohmann/json.hpp>

#include "glint/core/error.h"
#include "glint/core/image_loss.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/lod.h"
#include "glint/splatting/ply_format.h"
#include "glint/splatting/raster/gradients.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"
#include "viewer/scene_host.h"

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
        const LodCut cut = lod_cut(h, camera, {target, SIZE_MAX, false});
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
    const LodCut budget = lod_cut(h, camera, {0.0f, 500, false});
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
    cut_cloud(h, lod_cut(h, camera, {0.0f, SIZE_MAX, false}), cut);
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

TEST_CASE("LOD: culling leaves out exactly what the view cannot reach and draws the same image") {
    const LoadedScene guitar = load_scene(test::data_dir() / "splats/playcanvas_guitar.compressed.ply");
    const LodHierarchy h = build_lod(guitar.cloud);
    // Close in on the guitar's body, so that much of the scene lies outside the view or behind it.
    const Camera camera =
        Camera::look_at({0.6f, -2.0f, -1.0f}, {0.08f, -2.1f, 0.2f}, {0, -1, 0}, 50.0f, 200, 150);
    for (const float target : {0.0f, 2.0f}) {
        const LodCut all = lod_cut(h, camera, {target, SIZE_MAX, false});
        const LodCut culled = lod_cut(h, camera, {target});
        MESSAGE("target ", target, " px: ", culled.nodes.size(), " of ", all.nodes.size(), " nodes in view");
        CHECK(culled.nodes.size() < all.nodes.size() / 2);
        // Each leaf in view is covered once; a leaf the cut leaves out is out of view with an ancestor.
        std::vector<int> covered(h.leaves, 0);
        for (const std::uint32_t node : culled.nodes) {
            CHECK(lod_in_view(h, node, camera));
            std::vector<std::uint32_t> under;
            leaves_under(h, node, under);
            for (const std::uint32_t leaf : under) ++covered[leaf];
        }
        std::size_t left_out = 0;
        for (std::uint32_t leaf = 0; leaf < h.leaves; ++leaf) {
            CHECK(covered[leaf] <= 1);
            if (covered[leaf] == 1) continue;
            ++left_out;
            bool hidden = false;
            for (std::uint32_t node = leaf; node != kNoNode && !hidden; node = h.parent[node])
                hidden = !lod_in_view(h, node, camera);
            CHECK(hidden);
        }
        CHECK(left_out > 0);
        GaussianCloud a, b;
        cut_cloud(h, all, a);
        cut_cloud(h, culled, b);
        CHECK(test::render_psnr(a, b, camera) > 80.0);
    }
}

TEST_CASE("LOD: a valid but deep tree (a chain, as a file may hold) links without recursion") {
    // 300,000 leaves on a chain of interior nodes: node i has leaf i and the next interior node.
    LodHierarchy h;
    h.leaves = 300000;
    h.nodes.resize(2 * h.leaves - 1, 0, false);
    for (std::size_t i = 0; i < h.nodes.size(); ++i) h.nodes.rotations()[4 * i] = 1.0f;
    h.left.resize(h.leaves - 1);
    h.right.resize(h.leaves - 1);
    for (std::size_t i = 0; i + 1 < h.leaves; ++i) {
        h.left[i] = static_cast<std::uint32_t>(i);
        h.right[i] = static_cast<std::uint32_t>(i + 2 < h.leaves ? h.leaves + i + 1 : i + 1);
    }
    link_lod(h);
    CHECK(h.root == h.leaves);
    CHECK(h.height[h.root] == 255);  // heights stop at 255
    CHECK(h.height[h.leaves + h.leaves - 2] == 1);
    CHECK(h.radius[h.root] >= h.radius[h.leaves + 1]);
}

TEST_CASE("LOD: the viewer's automatic target settles where the cut's cost meets the frame budget") {
    // The cost of a frame taken as proportional to the cut's size (what the cut changes), on the guitar's
    // hierarchy: from the chosen 1 pixel the target grows until a frame fits the budget, and no further.
    const LoadedScene guitar = load_scene(test::data_dir() / "splats/playcanvas_guitar.compressed.ply");
    const LodHierarchy h = build_lod(guitar.cloud);
    const Camera camera =
        Camera::look_at({0.9f, -2.0f, -1.8f}, {0.08f, -2.1f, 0.2f}, {0, -1, 0}, 50.0f, 640, 480);
    const auto frame_ms = [&](float target) {
        return 2.0 + 1e-3 * static_cast<double>(lod_cut(h, camera, {target}).nodes.size());
    };
    const double budget = 0.5 * frame_ms(1.0f);  // the finest chosen cut takes twice the budget
    float target = 1.0f;
    for (int frame = 0; frame < 60; ++frame)
        target = app::next_lod_target(target, 1.0f, frame_ms(target), budget);
    MESSAGE("settled at ", target, " px: ", frame_ms(target), " ms for a budget of ", budget, " ms (",
            frame_ms(1.0f), " ms at 1 px)");
    CHECK(target > 1.0f);
    CHECK(frame_ms(target) <= 1.25 * budget);
    CHECK(frame_ms(target) >= 0.8 * budget);
    // A budget every cut meets brings it back to the chosen size; one none meets stops at 256 pixels.
    for (int frame = 0; frame < 60; ++frame) target = app::next_lod_target(target, 1.0f, 1.0, 1000.0);
    CHECK(target == 1.0f);
    for (int frame = 0; frame < 100; ++frame) target = app::next_lod_target(target, 1.0f, 1000.0, 1.0);
    CHECK(target == 256.0f);
}

TEST_CASE("City generator: turned blocks keep their view-dependent colour, and the grid reaches the count") {
    // The SH rotation: a turned scene seen from d looks as the scene did from R^T d.
    tools::Rng rng(5);
    const glm::mat3 turn = glm::mat3_cast(glm::normalize(glm::quat(0.3f, -0.5f, 0.8f, 0.1f)));
    float r[3][3];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) r[i][j] = turn[j][i];  // glm is column-major
    const std::array<float, 225> m = tools::sh_rotation(r);
    float c[15], turned[15];
    for (float& v : c) v = rng.normal();
    for (int i = 0; i < 15; ++i) {
        turned[i] = 0.0f;
        for (int j = 0; j < 15; ++j) turned[i] += m[static_cast<std::size_t>(15 * i + j)] * c[j];
    }
    for (int k = 0; k < 20; ++k) {
        const glm::vec3 d = glm::normalize(glm::vec3(rng.normal(), rng.normal(), rng.normal()));
        const glm::vec3 back = glm::transpose(turn) * d;
        float y[15], yb[15];
        const float dv[3] = {d.x, d.y, d.z}, bv[3] = {back.x, back.y, back.z};
        raster::sh_basis<float>(3, dv, y);
        raster::sh_basis<float>(3, bv, yb);
        float now = 0.0f, before = 0.0f;
        for (int j = 0; j < 15; ++j) now += turned[j] * y[j], before += c[j] * yb[j];
        CHECK(now == doctest::Approx(before).epsilon(1e-4).scale(1.0));
    }
    // One block, turned and scaled about its ground point: seen from a camera turned and scaled with it,
    // it renders as the original block does.
    GaussianCloud block = tools::make_default_scene();
    tools::CityOptions one;
    one.count = block.size();
    one.ground_step = 0.0f;
    one.seed = 3;
    const GaussianCloud city = tools::make_city_scene(block, one);
    REQUIRE(city.size() == block.size());
    // Recover the block's transform from two Gaussians (the generator's origin lies on the ground under
    // the mean; a Gaussian's turned position gives the scale and angle about +z).
    glm::vec3 origin(0.0f);
    for (std::size_t i = 0; i < block.size(); ++i) origin += glm::vec3(mean(block, i)) / float(block.size());
    std::vector<float> heights(block.positions().size() / 3);
    for (std::size_t i = 0; i < heights.size(); ++i) heights[i] = block.positions()[3 * i + 2];
    std::nth_element(heights.begin(), heights.begin() + static_cast<std::ptrdiff_t>(heights.size() / 100),
                     heights.end());
    origin.z = heights[heights.size() / 100];
    const glm::vec3 p0 = glm::vec3(mean(block, 0)) - origin, q0 = glm::vec3(mean(city, 0)) - origin;
    const float scale = q0.z / p0.z;
    const float angle = std::atan2(q0.y, q0.x) - std::atan2(p0.y, p0.x);
    CHECK(scale >= 0.79f);
    CHECK(scale <= 1.26f);
    const glm::mat3 about_z = glm::mat3_cast(glm::angleAxis(angle, glm::vec3(0, 0, 1)));
    const auto to_city = [&](glm::vec3 p) { return origin + scale * (about_z * (p - origin)); };
    const glm::vec3 eye(2.5f, -5.0f, 2.0f), target(0.0f, 0.0f, 0.0f);
    const Camera before = Camera::look_at(eye, target, {0, 0, 1}, 45.0f, 160, 120);
    const Camera after = Camera::look_at(to_city(eye), to_city(target), {0, 0, 1}, 45.0f, 160, 120);
    Frame a, b;
    RenderSettings settings;
    create_rasterizer(Backend::Cpu)->render(block, before, settings, a);
    create_rasterizer(Backend::Cpu)->render(city, after, settings, b);
    const double psnr = glint::psnr(a.color, b.color);
    MESSAGE("a turned block against the original: ", psnr, " dB");
    CHECK(psnr > 45.0);
    // A grid: enough blocks and street for the count, under the block's up.
    tools::CityOptions grid;
    grid.count = 100000;
    const GaussianCloud many = tools::make_city_scene(block, grid);
    CHECK(many.size() >= grid.count);
    CHECK(many.size() < grid.count + 4 * block.size() + 40000);
    REQUIRE(many.up().has_value());
    CHECK((*many.up())[2] == 1.0f);
    CHECK_FALSE(many.find_non_finite().has_value());
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
    CHECK(back.lod->height == h.height);
    // glint info names it.
    const test::CommandResult info = test::run_glint("info --json " + test::quoted(dir / "scene.ply"));
    REQUIRE(info.exit_code == 0);
    const nlohmann::json described = nlohmann::json::parse(info.output);
    CHECK(described["hierarchy"]["interior_nodes"] == 499);
    CHECK(described["hierarchy"]["levels"] == h.height[h.root]);
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
