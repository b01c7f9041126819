// PlayCanvas's compressed PLY: a real capture made by SuperSplat reads and renders, glint's own files
// round-trip within the quantisation, the layout is recognised by its header, and bad files are input
// errors naming the file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "glint/splatting/activation.h"
#include "glint/splatting/compressed_ply.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

const std::filesystem::path kGuitar = "splats/playcanvas_guitar.compressed.ply";

double render_psnr(const GaussianCloud& a, const GaussianCloud& b, const Camera& camera) {
    const auto rasterizer = create_rasterizer(Backend::Cpu);
    RenderOutput x, y;
    rasterizer->render(a, camera, RenderSettings{}, x);
    rasterizer->render(b, camera, RenderSettings{}, y);
    double mse = 0.0;
    for (std::size_t k = 0; k < x.color.size(); ++k) mse += std::pow(x.color[k] - y.color[k], 2);
    return 10.0 * std::log10(1.0 / std::max(mse / static_cast<double>(x.color.size()), 1e-12));
}

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
    const double psnr = render_psnr(guitar.cloud, again.cloud, camera);
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
        std::vector<std::uint32_t> order(back.size());
        for (std::uint32_t i = 0; i < back.size(); ++i) order[i] = i;
        for (std::uint32_t i = 0; i < cloud.size(); ++i) {
            float best = INFINITY;
            for (std::uint32_t j = 0; j < back.size(); ++j) {
                float d = 0.0f;
                for (int a = 0; a < 3; ++a)
                    d += std::pow(cloud.positions()[3 * i + a] - back.positions()[3 * j + a], 2);
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
    const double psnr = render_psnr(cloud, back, camera);
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
