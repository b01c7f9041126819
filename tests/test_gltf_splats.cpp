// glTF KHR_gaussian_splatting: another tool's conformance files (quantised attributes, SH degrees 0-3, an
// unknown kernel extension) read, glint's own files round-trip, and bad files are input errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "glint/splatting/activation.h"
#include "glint/splatting/gltf_splats.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

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
    MESSAGE("rotation as i8 / i16 against f32: ", test::rotation_angle(r, r + 4), " / ",
            test::rotation_angle(r, r + 8), " rad");
    CHECK(test::rotation_angle(r, r + 4) < 0.03f);
    CHECK(test::rotation_angle(r, r + 8) < 1e-3f);
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
                std::max(rotation, test::rotation_angle(&cloud.rotations()[4 * i], &back.rotations()[4 * i]));
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

TEST_SUITE_BEGIN("cpu");

TEST_CASE("one scene through every format and back stays within the sum of their quantisation bounds") {
    tools::RandomSceneOptions options;
    options.count = 1000;
    options.sh_degree = 3;
    options.seed = 8;
    GaussianCloud cloud = tools::make_random_scene(options);
    // Inside every format's range: .spz log-scales [-10, 5.9], colours a .splat byte holds, SH in [-1, 1).
    for (float& s : cloud.log_scales()) s = std::clamp(s, -9.9f, 5.9f);
    for (float& c : cloud.sh_dc()) c = std::clamp(c, -1.7f, 1.7f);
    for (float& c : cloud.sh_rest()) c = std::clamp(c, -0.95f, 0.95f);
    test::TempDir dir;
    // PLY -> .spz 4 -> compressed PLY -> .glb -> .spz 3 -> .gltf -> PLY -> SOG (every SH-carrying format),
    // then the same through .splat (no SH).
    GaussianCloud current = cloud;
    for (const char* step : {"a.ply", "b.spz", "c.compressed.ply", "d.glb", "e.spz", "f.gltf", "g.ply"}) {
        SaveOptions save;
        save.spz_version = std::string_view(step) == "e.spz" ? 3 : 4;
        save_scene(current, dir / step, save);
        current = load_scene(dir / step).cloud;
    }
    // Then SOG, whose codebooks are fitted to the scene: its part of the bound is each value's distance to
    // the nearest entry of the codebook written.
    const GaussianCloud before_sog = current;
    save_scene(current, dir / "h/meta.json");
    current = load_scene(dir / "h").cloud;
    nlohmann::json sog;
    std::ifstream(dir / "h/meta.json") >> sog;
    const auto farthest_from_codebook = [](const nlohmann::json& codebook, std::span<const float> values) {
        float farthest = 0.0f;
        for (const float v : values) {
            float nearest = INFINITY;
            for (const auto& entry : codebook) nearest = std::min(nearest, std::fabs(entry.get<float>() - v));
            farthest = std::max(farthest, nearest);
        }
        return farthest;
    };
    const float sog_scale = farthest_from_codebook(sog["scales"]["codebook"], before_sog.log_scales());
    const float sog_dc = farthest_from_codebook(sog["sh0"]["codebook"], before_sog.sh_dc());
    const float sog_sh =
        farthest_from_codebook(sog["shN"]["codebook"], before_sog.sh_rest());  // 1,000 entries
    GaussianCloud dc_only = current;  // .splat holds colour only (writing more would warn)
    dc_only.set_sh_degree(0);
    save_scene(dc_only, dir / "h.splat");
    const GaussianCloud flat = load_scene(dir / "h.splat").cloud;
    REQUIRE(current.size() == cloud.size());
    REQUIRE(current.sh_degree() == 3);
    REQUIRE(flat.size() == cloud.size());
    // The compressed PLY reorders: match each Gaussian by position.
    const auto nearest = [](const GaussianCloud& in, const float* p) {
        std::size_t best = 0;
        float distance = INFINITY;
        for (std::size_t j = 0; j < in.size(); ++j) {
            float d = 0.0f;
            for (int a = 0; a < 3; ++a) {
                const float e = in.positions()[3 * j + static_cast<std::size_t>(a)] - p[a];
                d += e * e;
            }
            if (d < distance) distance = d, best = j;
        }
        return best;
    };
    float position = 0.0f, scale = 0.0f, opacity = 0.0f, dc = 0.0f, sh1 = 0.0f, sh23 = 0.0f, rotation = 0.0f;
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const std::size_t j = nearest(current, &cloud.positions()[3 * i]);
        for (int a = 0; a < 3; ++a) {
            const auto ia = 3 * i + static_cast<std::size_t>(a), ja = 3 * j + static_cast<std::size_t>(a);
            position = std::max(position, std::fabs(current.positions()[ja] - cloud.positions()[ia]));
            scale = std::max(scale, std::fabs(current.log_scales()[ja] - cloud.log_scales()[ia]));
            dc = std::max(dc, std::fabs(current.sh_dc()[ja] - cloud.sh_dc()[ia]));
        }
        const float a = sigmoid(cloud.opacity_logits()[i]);
        if (a > 2.0f / 255.0f && a < 1.0f - 2.0f / 255.0f)
            opacity = std::max(opacity, std::fabs(sigmoid(current.opacity_logits()[j]) - a));
        rotation =
            std::max(rotation, test::rotation_angle(&cloud.rotations()[4 * i], &current.rotations()[4 * j]));
        for (std::size_t c = 0; c < 45; ++c) {
            const float e = std::fabs(current.sh_rest()[45 * j + c] - cloud.sh_rest()[45 * i + c]);
            (c < 9 ? sh1 : sh23) = std::max(c < 9 ? sh1 : sh23, e);
        }
    }
    MESSAGE("after PLY, .spz 4, compressed PLY, .glb, .spz 3, .gltf, PLY, SOG: position ", position,
            ", log-scale ", scale, ", opacity ", opacity, ", f_dc ", dc, ", rotation ", rotation,
            " rad, SH degree 1 ", sh1, ", SH 2-3 ", sh23);
    // The sums of the stated bounds: .spz twice, the compressed PLY once (chunks within the [-1, 1] box and
    // the generator's log-scale and colour ranges); glTF and PLY are exact.
    // SOG: positions within (|x| + 1) x 2 ln 2 / 131070 in the [-1, 1] box, rotations 0.019 rad, opacity
    // 0.5/255, the rest its codebooks' distances.
    MESSAGE("SOG's codebook distances: log-scale ", sog_scale, ", f_dc ", sog_dc, ", SH ", sog_sh);
    CHECK(position <= 2.0f * 0.5f / 4096.0f + 2.0f / 1023.0f / 2.0f + 2.0f * 1.3863f / 131070.0f + 1e-5f);
    CHECK(scale <= 2.0f / 32.0f + 16.0f / 1023.0f / 2.0f + sog_scale + 1e-5f);
    CHECK(opacity <= 4.0f * 0.5f / 255.0f + 1e-5f);
    CHECK(dc <= 2.0f * 0.5f / (255.0f * 0.15f) + 1.0f / 255.0f / 2.0f / 0.2820948f + sog_dc + 1e-4f);
    CHECK(sh1 <= 2.0f * 4.5f / 128.0f + 8.0f / 256.0f / 2.0f + sog_sh + 1e-5f);
    CHECK(sh23 <= 2.0f * 8.5f / 128.0f + 8.0f / 256.0f / 2.0f + sog_sh + 1e-5f);
    CHECK(rotation < 0.01f + 0.019f);
    // And through .splat: SH dropped, the rest within its bounds on top.
    float flat_position = 0.0f;
    for (std::size_t i = 0; i < current.size(); ++i)
        for (std::size_t a = 0; a < 3; ++a)
            flat_position = std::max(flat_position,
                                     std::fabs(flat.positions()[3 * i + a] - current.positions()[3 * i + a]));
    CHECK(flat_position == 0.0f);
    CHECK(flat.sh_degree() == 0);
}

TEST_SUITE_END();
