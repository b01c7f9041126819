// glTF KHR_gaussian_splatting: another tool's conformance files (quantised attributes, SH degrees 0-3, an
// unknown kernel extension) read, glint's own files round-trip, and bad files are input errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "glint/splatting/activation.h"
#include "glint/splatting/gltf_splats.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

// The angle between two quaternions as rotations (radians).
float rotation_angle(const float* a, const float* b) {
    const float na = std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + a[3] * a[3]);
    const float nb = std::sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2] + b[3] * b[3]);
    const float dot = std::fabs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]) / (na * nb);
    return 2.0f * std::acos(std::min(dot, 1.0f));
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("glTF KHR_gaussian_splatting: the conformance files read, quantised attributes as their floats") {
    const LoadedScene glb = load_scene(test::data_dir() / "splats/khr_conformance_matrix.glb");
    const LoadedScene gltf = load_scene(test::data_dir() / "splats/khr_conformance_matrix.gltf");
    CHECK(glb.format == SceneFormat::Gltf);
    CHECK(glb.encoding == "binary (.glb)");
    CHECK(gltf.encoding == "JSON (.gltf)");
    const GaussianCloud& c = glb.cloud;
    REQUIRE(c.size() == 15);  // one splat per node: rotations, scales, opacities, SH degrees 0-3
    CHECK(c.sh_degree() == 3);
    CHECK(std::ranges::equal(c.positions(), gltf.cloud.positions()));
    CHECK(std::ranges::equal(c.rotations(), gltf.cloud.rotations()));
    CHECK(std::ranges::equal(c.sh_rest(), gltf.cloud.sh_rest()));
    // glTF's y-up (1, 2, 3) is glint's (1, -2, -3).
    CHECK(c.positions()[0] == 1.0f);
    CHECK(c.positions()[1] == -2.0f);
    CHECK(c.positions()[2] == -3.0f);
    // Nodes 0-2: one rotation as float, normalized byte and normalized short.
    const float* r = c.rotations().data();
    MESSAGE("rotation as i8 / i16 against f32: ", rotation_angle(r, r + 4), " / ", rotation_angle(r, r + 8),
            " rad");
    CHECK(rotation_angle(r, r + 4) < 0.03f);
    CHECK(rotation_angle(r, r + 8) < 1e-3f);
    // Nodes 8-10: opacity as float (0.75), normalized byte (64 -> 64/255) and normalized short (16384 ->
    // 16384/65535): the normalized decodings of the glTF rules.
    const auto alpha = [&](std::size_t i) { return sigmoid(c.opacity_logits()[i]); };
    MESSAGE("opacity f32 ", alpha(8), ", u8 ", alpha(9), ", u16 ", alpha(10));
    CHECK(alpha(8) == doctest::Approx(0.75f).epsilon(1e-5));
    CHECK(alpha(9) == doctest::Approx(64.0f / 255.0f).epsilon(1e-5));
    CHECK(alpha(10) == doctest::Approx(16384.0f / 65535.0f).epsilon(1e-5));
    // Nodes 3-7: the first log-scale as float (0.2), byte (1), normalized byte (127/127), short (2),
    // normalized short (32767/32767).
    const auto scale = [&](std::size_t i) { return c.log_scales()[3 * i]; };
    CHECK(scale(3) == doctest::Approx(0.2f));
    CHECK(scale(4) == 1.0f);
    CHECK(scale(5) == 1.0f);
    CHECK(scale(6) == 2.0f);
    CHECK(scale(7) == 1.0f);
    // SH: degree 3 on the last splat.
    CHECK(std::any_of(c.sh_rest().begin() + 14 * 45 + 27, c.sh_rest().begin() + 15 * 45,
                      [](float v) { return v != 0.0f; }));
    // An unknown kernel extension falls back to the ellipse.
    CHECK(load_scene(test::data_dir() / "splats/khr_extensible_fallback.gltf").cloud.size() == 1);
}

TEST_CASE("glTF KHR_gaussian_splatting round trip (.glb and .gltf), and bad input") {
    tools::RandomSceneOptions options;
    options.count = 500;
    options.sh_degree = 3;
    options.seed = 4;
    const GaussianCloud cloud = tools::make_random_scene(options);
    test::TempDir dir;
    for (const char* file : {"s.glb", "s.gltf"}) {
        CAPTURE(file);
        save_scene(cloud, dir / file);
        const GaussianCloud back = load_scene(dir / file).cloud;
        REQUIRE(back.size() == cloud.size());
        REQUIRE(back.sh_degree() == 3);
        CHECK(std::ranges::equal(back.positions(), cloud.positions()));
        CHECK(std::ranges::equal(back.log_scales(), cloud.log_scales()));
        CHECK(std::ranges::equal(back.sh_dc(), cloud.sh_dc()));
        CHECK(std::ranges::equal(back.sh_rest(), cloud.sh_rest()));
        float rotation = 0.0f, opacity = 0.0f;
        for (std::size_t i = 0; i < cloud.size(); ++i) {
            rotation =
                std::max(rotation, rotation_angle(&cloud.rotations()[4 * i], &back.rotations()[4 * i]));
            opacity = std::max(
                opacity, std::fabs(sigmoid(back.opacity_logits()[i]) - sigmoid(cloud.opacity_logits()[i])));
        }
        CHECK(rotation < 1e-3f);
        CHECK(opacity < 1e-6f);
    }
    const auto refused = [&](const std::string& text, std::initializer_list<std::string_view> pieces) {
        test::write_bytes(dir / "bad.gltf", test::as_bytes(text));
        test::check_input_error([&] { load_scene(dir / "bad.gltf"); }, pieces);
    };
    refused("not json", {"bad.gltf", "glTF"});
    refused(R"({"asset": {"version": "2.0"}, "scenes": [{"nodes": []}], "scene": 0})",
            {"bad.gltf", "no primitive with KHR_gaussian_splatting"});
    GaussianCloud four(1, 0, true);
    four.rotations()[0] = four.rotations_right()[0] = 1.0f;
    test::check_input_error([&] { save_scene(four, dir / "four.glb"); }, {"4D"});
}

TEST_SUITE_END();
