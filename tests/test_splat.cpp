// .splat reader and writer: quantization bounds, PLY -> .splat -> PLY, bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "glint/splatting/activation.h"
#include "glint/splatting/ply_format.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/splat_format.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

TEST_SUITE_BEGIN("cpu");

TEST_CASE("PLY -> .splat -> PLY keeps positions exactly and the rest within the documented quantization") {
    tools::RandomSceneOptions options;
    options.count = 5000;
    options.sh_degree = 0;
    options.seed = 3;
    GaussianCloud source = tools::make_random_scene(options);
    // Keep colours inside [0, 1], where the 8-bit encoding is not clamped.
    for (float& dc : source.sh_dc()) dc = std::clamp(dc, -1.7f, 1.7f);
    test::TempDir dir;
    write_ply(source, dir / "a.ply");
    save_scene(load_scene(dir / "a.ply").cloud, dir / "b.splat");
    CHECK(std::filesystem::file_size(dir / "b.splat") == source.size() * kSplatRecordBytes);
    save_scene(load_scene(dir / "b.splat").cloud, dir / "c.ply");
    const GaussianCloud back = load_scene(dir / "c.ply").cloud;
    REQUIRE(back.size() == source.size());

    CHECK(std::memcmp(back.positions().data(), source.positions().data(), source.positions().size_bytes()) ==
          0);
    float scale_error = 0, color_error = 0, opacity_error = 0, rotation_error = 0, clipped_error = 0;
    for (std::size_t i = 0; i < source.size(); ++i) {
        for (int k = 0; k < 3; ++k) {
            const float a = std::exp(source.log_scales()[3 * i + k]),
                        b = std::exp(back.log_scales()[3 * i + k]);
            scale_error = std::max(scale_error, std::fabs(a - b) / a);
            color_error =
                std::max(color_error, std::fabs(source.sh_dc()[3 * i + k] - back.sh_dc()[3 * i + k]));
        }
        opacity_error = std::max(opacity_error, std::fabs(sigmoid(source.opacity_logits()[i]) -
                                                          sigmoid(back.opacity_logits()[i])));
        float q[4];
        for (int k = 0; k < 4; ++k) q[k] = source.rotations()[4 * i + k];
        normalize_quaternion(q);
        for (int k = 0; k < 4; ++k) {
            // Byte 255 is the largest code: components above 127.5/128 clip to 127/128.
            float& error = q[k] > 127.5f / 128.0f ? clipped_error : rotation_error;
            error = std::max(error, std::fabs(q[k] - back.rotations()[4 * i + k]));
        }
    }
    MESSAGE("max errors: scale (relative) ", scale_error, ", f_dc ", color_error, ", opacity ", opacity_error,
            ", quaternion component ", rotation_error, " (", clipped_error, " where clipped)");
    CHECK(scale_error < 1e-6f);
    CHECK(color_error <= 0.5f / 255.0f / kShC0 + 1e-5f);
    CHECK(opacity_error <= 0.5f / 255.0f + 1e-6f);
    CHECK(rotation_error <= 0.5f / 128.0f + 1e-6f);
    CHECK(clipped_error <= 1.0f / 128.0f + 1e-6f);
}

TEST_CASE("writing .splat from higher SH degrees or 4D warns about what is dropped") {
    tools::RandomSceneOptions options;
    options.count = 4;
    options.sh_degree = 2;
    options.temporal = true;
    const GaussianCloud cloud = tools::make_random_scene(options);
    test::LogCapture capture;
    const std::vector<std::byte> bytes = encode_splat(cloud);
    CHECK(bytes.size() == 4 * kSplatRecordBytes);
    CHECK(capture.contains("degree-2 view-dependent coefficients are dropped"));
    CHECK(capture.contains("4D fields"));
}

TEST_CASE("extreme .splat values: zero scale, opacity bytes 0 and 255, zero quaternion") {
    std::vector<std::byte> record(kSplatRecordBytes);
    const float position[3] = {1, 2, 3}, scale[3] = {0.0f, 1.0f, 2.0f};
    std::memcpy(record.data(), position, 12);
    std::memcpy(record.data() + 12, scale, 12);
    const std::uint8_t color[4] = {0, 128, 255, 255}, rotation[4] = {128, 128, 128, 128};
    std::memcpy(record.data() + 24, color, 4);
    std::memcpy(record.data() + 28, rotation, 4);
    const GaussianCloud cloud = read_splat(record, "edge.splat");
    CHECK(cloud.find_non_finite() == std::nullopt);
    CHECK(sigmoid(cloud.opacity_logits()[0]) == doctest::Approx(1.0 - 0.5 / 255).epsilon(1e-5));
    CHECK(std::exp(cloud.log_scales()[0]) > 0.0f);
    const std::vector<std::byte> again = encode_splat(cloud);
    CHECK(std::to_integer<int>(again[27]) == 255);  // opacity byte survives
    CHECK(std::to_integer<int>(again[28]) ==
          255);  // zero quaternion written as identity: w = 1 -> 255 (clamped)
}

TEST_CASE("bad .splat input") {
    test::check_input_error([] { read_splat({}, "e.splat"); }, {"e.splat", "empty file"});
    std::vector<std::byte> bytes(kSplatRecordBytes * 2 + 5);
    test::check_input_error([&] { read_splat(bytes, "t.splat"); },
                            {"t.splat", "not a multiple of the 32-byte", "2 whole records and 5 bytes"});
    bytes.resize(kSplatRecordBytes * 3);
    const float nan = std::nanf("");
    std::memcpy(bytes.data() + kSplatRecordBytes * 2 + 4, &nan, 4);
    test::check_input_error([&] { read_splat(bytes, "n.splat"); },
                            {"n.splat", "record 2", "position is NaN"});
    std::memset(bytes.data(), 0, bytes.size());
    const float negative = -1.0f;
    std::memcpy(bytes.data() + kSplatRecordBytes + 16, &negative, 4);
    test::check_input_error([&] { read_splat(bytes, "s.splat"); }, {"record 1", "scale is negative"});
}

TEST_CASE("format dispatch by extension") {
    CHECK(scene_format_for("a/B.PLY") == SceneFormat::Ply);
    CHECK(scene_format_for("x.splat") == SceneFormat::Splat);
    CHECK(scene_format_for("x.spz") == SceneFormat::Spz);
    CHECK(scene_format_for("x.ksplat") == SceneFormat::Ksplat);
    CHECK(scene_format_for("x.glb") == SceneFormat::Gltf);
    CHECK(scene_format_for("x.gltf") == SceneFormat::Gltf);
    CHECK(scene_format_for("dir/Scene.Compressed.PLY") == SceneFormat::CompressedPly);
    test::check_input_error([] { scene_format_for("scene.obj"); },
                            {"scene.obj", "unsupported scene format '.obj'"});
    test::check_input_error([] { scene_format_for("scene"); }, {"(no extension)"});
}

TEST_SUITE_END();
