// Niantic's .spz: files made by another tool (versions 2, 3, 4) read and agree with the same scene's
// .splat, glint's own files round-trip within the documented quantisation, the axis change keeps colours,
// and bad files are input errors naming the file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/splat_format.h"
#include "glint/splatting/spz_format.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

std::vector<std::byte> fixture(const char* name) {
    return test::read_bytes(test::data_dir() / "splats" / name);
}

GaussianCloud read(const char* name, SpzInfo* info = nullptr) {
    return read_spz(fixture(name), name, info);
}

float max_difference(std::span<const float> a, std::span<const float> b) {
    REQUIRE(a.size() == b.size());
    float d = 0.0f;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE(".spz files made by another tool: versions 2, 3 and 4 read, and 3 and 4 agree with the .splat") {
    SpzInfo v3_info, v4_info, v2_info;
    const GaussianCloud v2 = read("splat-transform_minimal-v2.spz", &v2_info);
    const GaussianCloud raw = read("splat-transform_minimal-raw.spz");
    const GaussianCloud v3 = read("splat-transform_minimal-v3.spz", &v3_info);
    const GaussianCloud v4 = read("splat-transform_minimal-v4.spz", &v4_info);
    CHECK(v2_info.version == 2);
    CHECK(v2_info.compression == "gzip");
    CHECK(v3_info.version == 3);
    CHECK(v4_info.version == 4);
    CHECK(v4_info.compression == "zstd streams");
    CHECK(v4_info.fractional_bits == 12);
    for (const GaussianCloud* c : {&v2, &raw, &v3, &v4}) {
        CHECK(c->size() == 4);
        CHECK(c->sh_degree() == 0);
    }
    // Versions 3 and 4 hold the same bytes in other containers.
    CHECK(std::ranges::equal(v3.positions(), v4.positions()));
    CHECK(std::ranges::equal(v3.rotations(), v4.rotations()));
    CHECK(std::ranges::equal(v3.sh_dc(), v4.sh_dc()));
    // The uncompressed version 2 stream is the gzip one unwrapped.
    CHECK(std::ranges::equal(v2.positions(), raw.positions()));
    CHECK(std::ranges::equal(v2.sh_dc(), raw.sh_dc()));

    // The same scene as .splat: positions exact, the rest within both formats' quantisation.
    const GaussianCloud splat = read_splat(fixture("splat-transform_minimal.splat"), "minimal.splat");
    CHECK(max_difference(v3.positions(), splat.positions()) == 0.0f);
    CHECK(max_difference(v3.log_scales(), splat.log_scales()) <= 1.0f / 32.0f);
    CHECK(max_difference(v3.sh_dc(), splat.sh_dc()) <=
          0.5f / (255.0f * 0.15f) + 0.5f / (255.0f * raster::kSh0));
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(std::fabs(sigmoid(v3.opacity_logits()[i]) - sigmoid(splat.opacity_logits()[i])) <=
              1.0f / 255.0f);
    // splat-transform's version 2 files differ from its own .splat: their colours hold 0.5 + C0 f_dc
    // rather than 0.5 + 0.15 f_dc, and their axes are not turned. glint reads them by the reference's
    // rules; this pins what that gives.
    CHECK(v2.sh_dc()[0] == doctest::Approx(-1.1111f).epsilon(1e-3));
    CHECK(v2.positions()[2] == doctest::Approx(1.0f));
}

TEST_CASE(".spz round trip: versions 3 and 4 keep every value within the documented quantisation") {
    tools::RandomSceneOptions options;
    options.count = 2000;
    options.sh_degree = 3;
    options.extent = 3.0f;
    options.seed = 5;
    GaussianCloud cloud = tools::make_random_scene(options);
    // Inside the ranges .spz can hold: log-scales in [-10, 5.9], |f_dc| < 3.3, SH in [-1, 0.99].
    for (float& s : cloud.log_scales()) s = std::clamp(s, -9.9f, 5.9f);
    for (float& c : cloud.sh_dc()) c = std::clamp(c, -3.3f, 3.3f);
    for (float& c : cloud.sh_rest()) c = std::clamp(c, -0.99f, 0.98f);
    for (const int version : {3, 4}) {
        CAPTURE(version);
        SpzInfo info;
        const std::vector<std::byte> bytes = encode_spz(cloud, version);
        const GaussianCloud back = read_spz(bytes, "round-trip.spz", &info);
        CHECK(info.version == version);
        CHECK(info.fractional_bits == 12);
        REQUIRE(back.size() == cloud.size());
        REQUIRE(back.sh_degree() == 3);
        CHECK(max_difference(back.positions(), cloud.positions()) <= 0.5f / 4096.0f + 1e-6f);
        CHECK(max_difference(back.log_scales(), cloud.log_scales()) <= 1.0f / 32.0f + 1e-6f);
        CHECK(max_difference(back.sh_dc(), cloud.sh_dc()) <= 0.5f / (255.0f * 0.15f) + 1e-5f);
        float opacity = 0.0f, rotation = 0.0f, sh1 = 0.0f, sh23 = 0.0f;
        for (std::size_t i = 0; i < cloud.size(); ++i) {
            const float a = sigmoid(cloud.opacity_logits()[i]);
            if (a > 0.5f / 255.0f && a < 1.0f - 0.5f / 255.0f)
                opacity = std::max(opacity, std::fabs(sigmoid(back.opacity_logits()[i]) - a));
            // Quaternions: the same rotation, so compare up to sign.
            const float* q = &cloud.rotations()[4 * i];
            const float* r = &back.rotations()[4 * i];
            const float norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
            const float dot = (q[0] * r[0] + q[1] * r[1] + q[2] * r[2] + q[3] * r[3]) / norm;
            const float sign = dot < 0.0f ? -1.0f : 1.0f;
            for (int k = 0; k < 4; ++k) rotation = std::max(rotation, std::fabs(sign * r[k] - q[k] / norm));
            for (int j = 0; j < 45; ++j) {
                const float e = std::fabs(back.sh_rest()[45 * i + j] - cloud.sh_rest()[45 * i + j]);
                (j < 9 ? sh1 : sh23) = std::max(j < 9 ? sh1 : sh23, e);
            }
        }
        MESSAGE("version ", version, ", ", bytes.size(), " bytes for 2,000 Gaussians at SH 3: opacity ",
                opacity, ", rotation ", rotation, ", SH degree 1 ", sh1, ", SH 2-3 ", sh23);
        CHECK(opacity <= 0.5f / 255.0f + 1e-6f);
        CHECK(rotation <= 0.002f);
        CHECK(sh1 <= 4.5f / 128.0f + 1e-6f);
        CHECK(sh23 <= 8.5f / 128.0f + 1e-6f);
        // Rendered, the two look the same.
        const Camera camera = Camera::look_at({1.0f, -2.0f, -9.0f}, {0, 0, 0}, {0, -1, 0}, 45.0f, 96, 72);
        const auto rasterizer = create_rasterizer(Backend::Cpu);
        RenderOutput a, b;
        rasterizer->render(cloud, camera, RenderSettings{}, a);
        rasterizer->render(back, camera, RenderSettings{}, b);
        double mse = 0.0;
        for (std::size_t k = 0; k < a.color.size(); ++k) mse += std::pow(a.color[k] - b.color[k], 2);
        const double psnr = 10.0 * std::log10(1.0 / (mse / static_cast<double>(a.color.size())));
        MESSAGE("render of the round trip: ", psnr, " dB");
        CHECK(psnr > 35.0);  // 37.8 dB measured: the SH quantisation; a wrong axis or sign costs far more
    }
    // Large scenes keep fewer fractional bits so every coordinate fits 24 bits.
    cloud.positions()[0] = 5000.0f;
    SpzInfo info;
    const GaussianCloud far = read_spz(encode_spz(cloud), "far.spz", &info);
    CHECK(info.fractional_bits == 10);
    CHECK(far.positions()[0] == doctest::Approx(5000.0f));
}

TEST_CASE(".spz axes: stored y-up, read into the reference PLY's axes, colours seen the same way") {
    // One Gaussian with every SH coefficient set: its colour along any direction survives the turn to
    // .spz's axes and back, and the sign table turns coefficients as the half turn about x turns
    // directions.
    tools::RandomSceneOptions options;
    options.count = 1;
    options.sh_degree = 3;
    options.seed = 9;
    GaussianCloud cloud = tools::make_random_scene(options);
    for (float& c : cloud.sh_rest()) c = std::clamp(c, -0.9f, 0.9f);
    cloud.positions()[0] = 0.25f, cloud.positions()[1] = 0.5f, cloud.positions()[2] = -0.75f;
    const GaussianCloud back = read_spz(encode_spz(cloud), "axes.spz");
    // (The read direction is pinned by the fixtures above: splat-transform's version 3 file, stored y-up,
    // reads into its .splat's positions.)
    CHECK(back.positions()[1] == doctest::Approx(0.5f).epsilon(1e-3));
    CHECK(back.positions()[2] == doctest::Approx(-0.75f).epsilon(1e-3));
    // The colour seen along any direction survives the turn there and back within the SH quantisation.
    for (const raster::Vec3 dir :
         {raster::Vec3{0, 0, 1}, raster::Vec3{0.6f, -0.8f, 0}, raster::Vec3{0.48f, 0.6f, 0.64f}}) {
        const raster::Vec3 a = raster::sh_sum(3, cloud.sh_dc().data(), cloud.sh_rest().data(), dir);
        const raster::Vec3 b = raster::sh_sum(3, back.sh_dc().data(), back.sh_rest().data(), dir);
        CHECK(std::fabs(a.x - b.x) < 0.15f);
        CHECK(std::fabs(a.y - b.y) < 0.15f);
        CHECK(std::fabs(a.z - b.z) < 0.15f);
    }
    // The sign table is right: turning the coefficients and the direction together keeps the colour.
    GaussianCloud turned = cloud;
    const float flip[15] = {-1, -1, 1, -1, 1, 1, -1, 1, -1, 1, -1, -1, 1, -1, 1};
    for (int j = 0; j < 15; ++j)
        for (int c = 0; c < 3; ++c) turned.sh_rest()[3 * j + c] *= flip[j];
    for (const raster::Vec3 dir :
         {raster::Vec3{0.6f, -0.8f, 0}, raster::Vec3{0.48f, 0.6f, 0.64f}, raster::Vec3{0, 0.6f, -0.8f}}) {
        const raster::Vec3 a = raster::sh_sum(3, cloud.sh_dc().data(), cloud.sh_rest().data(), dir);
        const raster::Vec3 b =
            raster::sh_sum(3, turned.sh_dc().data(), turned.sh_rest().data(), {dir.x, -dir.y, -dir.z});
        CHECK(a.x == doctest::Approx(b.x).epsilon(1e-5));
        CHECK(a.y == doctest::Approx(b.y).epsilon(1e-5));
        CHECK(a.z == doctest::Approx(b.z).epsilon(1e-5));
    }
}

TEST_CASE("bad .spz input is an input error naming the file and the problem") {
    const std::vector<std::byte> v3 = fixture("splat-transform_minimal-v3.spz");
    const std::vector<std::byte> v4 = fixture("splat-transform_minimal-v4.spz");
    const std::vector<std::byte> raw = fixture("splat-transform_minimal-raw.spz");
    const auto refused = [](std::vector<std::byte> bytes, std::initializer_list<std::string_view> pieces) {
        test::check_input_error([&] { read_spz(bytes, "bad.spz"); }, pieces);
    };
    refused(std::vector<std::byte>(v3.begin(), v3.begin() + 30), {"bad.spz", "gzip", "truncated"});
    refused(std::vector<std::byte>(v4.begin(), v4.begin() + 100), {"bad.spz", "stream table"});
    refused(std::vector<std::byte>(v4.begin(), v4.begin() + 150), {"bad.spz", "truncated"});
    refused(std::vector<std::byte>(v4.begin(), v4.begin() + 20), {"bad.spz", "version 4 header"});
    refused(std::vector<std::byte>(raw.begin(), raw.end() - 10), {"bad.spz", "truncated", "4 Gaussians"});
    refused(std::vector<std::byte>(raw.begin(), raw.begin() + 8), {"bad.spz", "header"});
    auto changed = [](std::vector<std::byte> bytes, std::size_t at, std::uint8_t value) {
        bytes[at] = std::byte{value};
        return bytes;
    };
    refused(changed(raw, 0, 'X'), {"bad.spz", "NGSP"});
    refused(changed(raw, 4, 1), {"bad.spz", "version 1"});
    refused(changed(raw, 4, 9), {"bad.spz", "version 9"});
    refused(changed(raw, 12, 4), {"bad.spz", "SH degree 4"});
    refused(changed(raw, 14, 2), {"bad.spz", "extensions"});
    refused(changed(raw, 8, 200), {"bad.spz", "truncated", "200 Gaussians"});
    refused(changed(v4, 0x28, 0x30), {"bad.spz", "positions stream", "48 bytes"});   // lying plain size
    refused(changed(v4, 0x20, 0xff), {"bad.spz", "truncated", "positions stream"});  // lying packed size
    refused(changed(v4, 0x75, 0x00), {"bad.spz", "does not decompress"});            // a damaged frame
    refused(changed(v4, 15, 7), {"bad.spz", "7 streams"});
    // Writing: 4D scenes and unknown versions are refused, the previous file stays.
    GaussianCloud four(1, 0, true);
    four.rotations()[0] = four.rotations_right()[0] = 1.0f;
    test::check_input_error([&] { encode_spz(four); }, {"4D"});
    test::check_input_error([&] { encode_spz(GaussianCloud(1, 0, false), 2); }, {"version 2"});
}

TEST_CASE("glint convert and glint info: PLY to .spz and back, the format named with its version") {
    test::TempDir dir;
    const auto ply = test::quoted(test::data_dir() / "splats/donut_sh0.ply");
    const test::CommandResult to_spz = test::run_glint("convert " + ply + " " + test::quoted(dir / "d.spz"));
    INFO(to_spz.output);
    REQUIRE(to_spz.exit_code == 0);
    const test::CommandResult v3 =
        test::run_glint("convert " + ply + " " + test::quoted(dir / "d3.spz") + " --spz-version 3");
    REQUIRE(v3.exit_code == 0);
    const test::CommandResult info = test::run_glint("info " + test::quoted(dir / "d.spz"));
    INFO(info.output);
    CHECK(info.output.find("SPZ (version 4, zstd streams, 12 fractional bits)") != std::string::npos);
    CHECK(test::run_glint("info " + test::quoted(dir / "d3.spz")).output.find("version 3, gzip") !=
          std::string::npos);
    const LoadedScene original = load_scene(test::data_dir() / "splats/donut_sh0.ply");
    const LoadedScene spz = load_scene(dir / "d.spz");
    REQUIRE(spz.cloud.size() == original.cloud.size());
    CHECK(max_difference(spz.cloud.positions(), original.cloud.positions()) <= 0.5f / 4096.0f + 1e-6f);
    const auto size = [&](const char* name) { return std::filesystem::file_size(dir / name); };
    MESSAGE("donut, 45,624 Gaussians: PLY ",
            std::filesystem::file_size(test::data_dir() / "splats/donut_sh0.ply"), " bytes, .spz v4 ",
            size("d.spz"), ", v3 ", size("d3.spz"));
    CHECK(size("d.spz") * 3 < std::filesystem::file_size(test::data_dir() / "splats/donut_sh0.ply"));
    // A truncated .spz: exit 2, one line naming the file.
    const std::vector<std::byte> bytes = test::read_bytes(dir / "d.spz");
    test::write_bytes(dir / "cut.spz", std::span(bytes).first(bytes.size() / 2));
    const test::CommandResult cut = test::run_glint("info " + test::quoted(dir / "cut.spz"));
    CHECK(cut.exit_code == 2);
    CHECK(cut.output.find("cut.spz") != std::string::npos);
}

TEST_SUITE_END();
