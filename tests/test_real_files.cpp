// Real files made by other tools (tests/data): they must load with the right values.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "glint/splatting/scene_io.h"
#include "glint/splatting/scene_stats.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

TEST_SUITE_BEGIN("cpu");

TEST_CASE("donut_sh0.ply (a trained Mip-Splatting scene) loads with the values its bytes hold") {
    const std::filesystem::path path = test::data_dir() / "splats/donut_sh0.ply";
    REQUIRE_MESSAGE(std::filesystem::exists(path), "missing test data ", path.string());
    const LoadedScene scene = load_scene(path);
    const GaussianCloud& cloud = scene.cloud;
    CHECK(cloud.size() == 45624);
    CHECK(cloud.sh_degree() == 0);
    CHECK_FALSE(cloud.is_4d());
    CHECK(scene.encoding == "binary_little_endian");
    CHECK(scene.skipped_properties.empty());

    // Independent decoding of vertices 0 and 45623: the header lists x y z f_dc_0..2 opacity scale_0..2
    // rot_0..3 as float, so each row is 14 little-endian floats after "end_header\n".
    const std::vector<std::byte> bytes = test::read_bytes(path);
    const std::string text(reinterpret_cast<const char*>(bytes.data()),
                           std::min<std::size_t>(bytes.size(), 4096));
    const std::size_t body = text.find("end_header\n") + 11;
    REQUIRE(bytes.size() - body == 45624u * 14 * 4);
    for (std::size_t v : {std::size_t{0}, std::size_t{45623}}) {
        float row[14];
        std::memcpy(row, bytes.data() + body + v * 56, sizeof row);
        for (int k = 0; k < 3; ++k) {
            CHECK(cloud.positions()[3 * v + k] == row[k]);
            CHECK(cloud.sh_dc()[3 * v + k] == row[3 + k]);
            CHECK(cloud.log_scales()[3 * v + k] == row[7 + k]);
        }
        CHECK(cloud.opacity_logits()[v] == row[6]);
        for (int k = 0; k < 4; ++k) CHECK(cloud.rotations()[4 * v + k] == row[10 + k]);
    }

    // Statistics against a separate decoder (Python struct, numpy-style quantiles) run on the same file.
    const SceneStats stats = compute_stats(cloud);
    CHECK(stats.bounds_min[0] == doctest::Approx(-0.1031695231795311).epsilon(1e-6));
    CHECK(stats.bounds_max[0] == doctest::Approx(0.10532961040735245).epsilon(1e-6));
    CHECK(stats.robust_min[2] == doctest::Approx(0.0005962381628341973).epsilon(1e-4));
    CHECK(stats.opacity.quantiles[3] == doctest::Approx(0.649335).epsilon(1e-5));
    CHECK(stats.opacity.mean == doctest::Approx(0.5849783748319285).epsilon(1e-6));
    CHECK(stats.scale_max.quantiles[5] == doctest::Approx(0.01794).epsilon(1e-3));
}

TEST_CASE("splat-transform_minimal.splat loads, and its bytes decode as the .splat layout says") {
    const std::filesystem::path path = test::data_dir() / "splats/splat-transform_minimal.splat";
    const LoadedScene scene = load_scene(path);
    const std::vector<std::byte> bytes = test::read_bytes(path);
    REQUIRE(scene.cloud.size() == bytes.size() / 32);
    CHECK(scene.cloud.size() == 4);
    for (std::size_t i = 0; i < scene.cloud.size(); ++i) {
        float values[6];
        std::memcpy(values, bytes.data() + 32 * i, sizeof values);
        for (int k = 0; k < 3; ++k) {
            CHECK(scene.cloud.positions()[3 * i + k] == values[k]);
            CHECK(std::exp(scene.cloud.log_scales()[3 * i + k]) ==
                  doctest::Approx(values[3 + k]).epsilon(1e-6));
        }
        const int alpha = std::to_integer<int>(bytes[32 * i + 27]);
        CHECK(1.0 / (1.0 + std::exp(-scene.cloud.opacity_logits()[i])) ==
              doctest::Approx(alpha / 255.0).epsilon(1e-5));
    }
    // It survives a conversion to PLY and back: colour, opacity and rotation bytes and positions exactly,
    // scales to the float rounding of the log-scale the PLY stores.
    test::TempDir dir;
    save_scene(scene.cloud, dir / "m.ply");
    save_scene(load_scene(dir / "m.ply").cloud, dir / "m.splat");
    const std::vector<std::byte> again = test::read_bytes(dir / "m.splat");
    REQUIRE(again.size() == bytes.size());
    for (std::size_t i = 0; i < scene.cloud.size(); ++i) {
        const std::byte* a = bytes.data() + 32 * i;
        const std::byte* b = again.data() + 32 * i;
        CHECK(std::memcmp(a, b, 12) == 0);
        CHECK(std::memcmp(a + 24, b + 24, 8) == 0);
        float sa[3], sb[3];
        std::memcpy(sa, a + 12, 12);
        std::memcpy(sb, b + 12, 12);
        for (int k = 0; k < 3; ++k) CHECK(sb[k] == doctest::Approx(sa[k]).epsilon(1e-6));
    }
}

TEST_SUITE_END();
