// PlayCanvas's compressed PLY: a real capture made by SuperSplat reads and renders, glint's own files
// round-trip within the quantisation, the layout is recognised by its header, and bad files are input
// errors naming the file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "glint/splatting/activation.h"
#include "glint/splatting/compressed_ply.h"
#include "glint/splatting/ksplat_format.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

const std::filesystem::path kGuitar = "splats/playcanvas_guitar.compressed.ply";

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE(
    "compressed PLY: SuperSplat's guitar capture reads, and glint's own compression of it renders the same") {
    const LoadedScene guitar = load_scene(test::data_dir() / kGuitar);
    CHECK(guitar.format == SceneFormat::CompressedPly);
    REQUIRE(guitar.cloud.size() == 90854);
    CHECK(guitar.cloud.sh_degree() == 0);
    CHECK_FALSE(guitar.cloud.find_non_finite());
    // Recognised by its header whatever the file is called.
    test::TempDir dir;
    std::filesystem::copy_file(test::data_dir() / kGuitar, dir / "renamed.ply");
    CHECK(load_scene(dir / "renamed.ply").format == SceneFormat::CompressedPly);
    // Written again by glint (Morton order, its own chunks): the same picture within the quantisation.
    save_scene(guitar.cloud, dir / "again.compressed.ply");
    const LoadedScene again = load_scene(dir / "again.compressed.ply");
    REQUIRE(again.cloud.size() == guitar.cloud.size());
    const Camera camera =
        Camera::look_at({1.5f, -2.0f, -2.5f}, {0.08f, -2.1f, 0.2f}, {0, -1, 0}, 50.0f, 160, 120);
    const double psnr = test::render_psnr(guitar.cloud, again.cloud, camera);
    MESSAGE("guitar: SuperSplat's file against glint's compression of it: ", psnr, " dB; ",
            std::filesystem::file_size(test::data_dir() / kGuitar), " and ",
            std::filesystem::file_size(dir / "again.compressed.ply"), " bytes");
    CHECK(psnr > 40.0);
}

TEST_CASE("compressed PLY round trip: every value within its chunk's quantisation, SH included") {
    tools::RandomSceneOptions options;
    options.count = 3000;
    options.sh_degree = 3;
    options.seed = 3;
    GaussianCloud cloud = tools::make_random_scene(options);
    for (float& c : cloud.sh_rest()) c = std::clamp(c, -3.9f, 3.9f);
    const GaussianCloud back = read_compressed_ply(encode_compressed_ply(cloud), "round-trip.compressed.ply");
    REQUIRE(back.size() == cloud.size());
    REQUIRE(back.sh_degree() == 3);
    // The writer reorders (Morton): match each Gaussian by position.
    std::vector<std::uint32_t> match(cloud.size());
    {
        for (std::uint32_t i = 0; i < cloud.size(); ++i) {
            float best = INFINITY;
            for (std::uint32_t j = 0; j < back.size(); ++j) {
                float d = 0.0f;
                for (int a = 0; a < 3; ++a) {
                    const float e = cloud.positions()[3 * i + a] - back.positions()[3 * j + a];
                    d += e * e;
                }
                if (d < best) best = d, match[i] = j;
            }
        }
    }
    float position = 0.0f, scale = 0.0f, opacity = 0.0f, rotation = 0.0f, sh = 0.0f;
    for (std::uint32_t i = 0; i < cloud.size(); ++i) {
        const std::uint32_t j = match[i];
        for (int a = 0; a < 3; ++a) {
            position =
                std::max(position, std::fabs(back.positions()[3 * j + a] - cloud.positions()[3 * i + a]));
            scale = std::max(scale, std::fabs(back.log_scales()[3 * j + a] - cloud.log_scales()[3 * i + a]));
        }
        const float alpha = sigmoid(cloud.opacity_logits()[i]);
        if (alpha > 0.5f / 255.0f && alpha < 1.0f - 0.5f / 255.0f)
            opacity = std::max(opacity, std::fabs(sigmoid(back.opacity_logits()[j]) - alpha));
        const float* q = &cloud.rotations()[4 * i];
        const float* r = &back.rotations()[4 * j];
        const float norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        const float sign = (q[0] * r[0] + q[1] * r[1] + q[2] * r[2] + q[3] * r[3]) < 0.0f ? -1.0f : 1.0f;
        for (int c = 0; c < 4; ++c) rotation = std::max(rotation, std::fabs(sign * r[c] - q[c] / norm));
        for (int c = 0; c < 45; ++c)
            sh = std::max(sh, std::fabs(back.sh_rest()[45 * j + c] - cloud.sh_rest()[45 * i + c]));
    }
    MESSAGE("3,000 random Gaussians, extent 1: position ", position, ", log-scale ", scale, ", opacity ",
            opacity, ", rotation ", rotation, ", SH ", sh);
    // Chunks of 256 Morton-ordered Gaussians of a [-1, 1]^3 scene span at most the whole box (2 per axis);
    // log-scales span at most 3 (the generator's range).
    CHECK(position <= 2.0f / 1023.0f / 2.0f + 1e-5f);
    CHECK(scale <= 3.0f / 1023.0f / 2.0f + 1e-5f);
    CHECK(opacity <= 0.5f / 255.0f + 1e-5f);
    CHECK(rotation <= 0.0015f);
    CHECK(sh <= 8.0f / 256.0f / 2.0f + 1e-5f);
    const Camera camera = Camera::look_at({0.3f, -0.4f, -3.5f}, {0, 0, 0}, {0, -1, 0}, 50.0f, 96, 72);
    const double psnr = test::render_psnr(cloud, back, camera);
    MESSAGE("render of the round trip: ", psnr, " dB");
    CHECK(psnr > 35.0);
}

TEST_CASE("bad compressed PLY input is an input error naming the file and the problem") {
    const std::vector<std::byte> good = test::read_bytes(test::data_dir() / kGuitar);
    const std::string text(reinterpret_cast<const char*>(good.data()), 2048);
    const std::size_t body = text.find("end_header\n") + 11;
    const auto refused = [](const std::vector<std::byte>& bytes,
                            std::initializer_list<std::string_view> pieces) {
        test::check_input_error([&] { read_compressed_ply(bytes, "bad.ply"); }, pieces);
    };
    refused(std::vector<std::byte>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(body + 1000)),
            {"bad.ply", "truncated", "90854 Gaussians"});
    const auto with_header = [&](std::string header) {
        std::vector<std::byte> bytes(header.size());
        std::memcpy(bytes.data(), header.data(), header.size());
        bytes.insert(bytes.end(), good.begin() + static_cast<std::ptrdiff_t>(body), good.end());
        return bytes;
    };
    std::string h = text.substr(0, body);
    std::string fewer = h;
    fewer.replace(fewer.find("element chunk 355"), 17, "element chunk 300");
    refused(with_header(fewer), {"bad.ply", "300 chunks", "90854 Gaussians"});
    std::string renamed = h;
    renamed.replace(renamed.find("packed_scale"), 12, "packed_scalf");
    refused(with_header(renamed), {"bad.ply", "packed_scale"});
    std::string typed = h;
    typed.replace(typed.find("float min_x"), 11, "double min_x");
    refused(with_header(typed), {"bad.ply", "min_x", "double"});
    std::vector<std::byte> nan = good;
    const float bad = NAN;
    std::memcpy(nan.data() + body, &bad, 4);
    refused(nan, {"bad.ply", "chunk 0", "min_x", "not finite"});
    GaussianCloud four(1, 0, true);
    four.rotations()[0] = four.rotations_right()[0] = 1.0f;
    test::check_input_error([&] { encode_compressed_ply(four); }, {"4D"});
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cpu");

namespace {

// A .ksplat in compression mode 1 built byte by byte: one section of three Gaussians in two buckets
// (one full bucket of capacity 2 centred at (1, 2, 3), one partial bucket of 1 centred at (-1, 0, 0)).
std::vector<std::byte> ksplat_mode1() {
    std::vector<std::byte> file(4096 + 1024);
    const auto put = [&](std::size_t at, const auto value) {
        std::memcpy(file.data() + at, &value, sizeof value);
    };
    file[0] = std::byte{0}, file[1] = std::byte{1};
    put(4, std::uint32_t{1});   // sections
    put(16, std::uint32_t{3});  // Gaussians
    put(20, std::uint16_t{1});  // compression mode
    const std::size_t s = 4096;
    put(s + 0, std::uint32_t{3});      // Gaussians in the section
    put(s + 4, std::uint32_t{3});      // its capacity
    put(s + 8, std::uint32_t{2});      // bucket capacity
    put(s + 12, std::uint32_t{2});     // buckets
    put(s + 16, 2.0f);                 // block size: positions within +-1 of the centre
    put(s + 20, std::uint16_t{12});    // bytes per bucket: its centre
    put(s + 24, std::uint32_t{1000});  // quantisation range
    put(s + 32, std::uint32_t{1});     // full buckets
    put(s + 36, std::uint32_t{1});     // partial buckets
    std::vector<std::byte> body(4 + 24 + 3 * 24);
    const auto set = [&](std::size_t at, const auto value) {
        std::memcpy(body.data() + at, &value, sizeof value);
    };
    set(0, std::uint32_t{1});  // the partial bucket holds one
    const float centres[6] = {1, 2, 3, -1, 0, 0};
    std::memcpy(body.data() + 4, centres, sizeof centres);
    for (int g = 0; g < 3; ++g) {
        const std::size_t at = 28 + 24 * static_cast<std::size_t>(g);
        // Offsets of +0.5, -0.25, 0 block halves: 1000 + 500, 1000 - 250, 1000.
        set(at + 0, std::uint16_t{1500});
        set(at + 2, std::uint16_t{750});
        set(at + 4, std::uint16_t{1000});
        for (int a = 0; a < 3; ++a)
            set(at + 6 + 2 * static_cast<std::size_t>(a), std::uint16_t{0x2c00});  // 0.0625
        set(at + 12, std::uint16_t{0x3c00});                                       // w = 1
        body[at + 20] = std::byte{255}, body[at + 23] = std::byte{128};
    }
    file.insert(file.end(), body.begin(), body.end());
    return file;
}

}  // namespace

TEST_CASE(".ksplat: another tool's file reads as the same scene as its .splat, and a mode 1 file decodes") {
    const LoadedScene ksplat = load_scene(test::data_dir() / "splats/splat-transform_minimal.ksplat");
    CHECK(ksplat.format == SceneFormat::Ksplat);
    CHECK(ksplat.encoding == "version 0.1, compression mode 0, 1 section");
    const LoadedScene splat = load_scene(test::data_dir() / "splats/splat-transform_minimal.splat");
    REQUIRE(ksplat.cloud.size() == splat.cloud.size());
    CHECK(std::ranges::equal(ksplat.cloud.positions(), splat.cloud.positions()));
    CHECK(std::ranges::equal(ksplat.cloud.sh_dc(), splat.cloud.sh_dc()));
    for (std::size_t i = 0; i < 12; ++i)
        CHECK(ksplat.cloud.log_scales()[i] == doctest::Approx(splat.cloud.log_scales()[i]).epsilon(1e-6));

    const GaussianCloud mode1 = read_ksplat(ksplat_mode1(), "mode1.ksplat");
    REQUIRE(mode1.size() == 3);
    // Bucket 0 (the first two): centre (1, 2, 3); bucket 1: (-1, 0, 0). Offsets (0.5, -0.25, 0).
    CHECK(mode1.positions()[0] == doctest::Approx(1.5f));
    CHECK(mode1.positions()[1] == doctest::Approx(1.75f));
    CHECK(mode1.positions()[5] == doctest::Approx(3.0f));
    CHECK(mode1.positions()[6] == doctest::Approx(-0.5f));
    CHECK(mode1.positions()[7] == doctest::Approx(-0.25f));
    CHECK(mode1.log_scales()[0] == doctest::Approx(std::log(0.0625f)));
    CHECK(mode1.rotations()[0] == 1.0f);
    CHECK(sigmoid(mode1.opacity_logits()[0]) == doctest::Approx(128.0f / 255.0f));

    const auto refused = [](std::vector<std::byte> bytes, std::initializer_list<std::string_view> pieces) {
        test::check_input_error([&] { read_ksplat(bytes, "bad.ksplat"); }, pieces);
    };
    const std::vector<std::byte> good = ksplat_mode1();
    refused(std::vector<std::byte>(good.begin(), good.begin() + 100), {"bad.ksplat", "truncated"});
    refused(std::vector<std::byte>(good.begin(), good.end() - 10), {"bad.ksplat", "section 0"});
    std::vector<std::byte> mode3 = good;
    mode3[20] = std::byte{3};
    refused(mode3, {"bad.ksplat", "compression mode 3"});
    std::vector<std::byte> count = good;
    count[16] = std::byte{9};
    refused(count, {"bad.ksplat", "hold 3 Gaussians", "says 9"});
    std::vector<std::byte> version = good;
    version[0] = std::byte{2};
    refused(version, {"bad.ksplat", "version 2.1"});
    test::check_input_error([] { save_scene(GaussianCloud(1, 0, false), "out.ksplat"); },
                            {"out.ksplat", "does not write"});
}

TEST_SUITE_END();
