// PlayCanvas's SOG: files made by another tool (splat-transform) read back the scene they were made from,
// glint's own files round-trip within the format's quantisation (each codebook value the nearest entry),
// the folder and archive forms agree, version 1 reads, and bad files are input errors naming the file.
#include <doctest/doctest.h>
#include <webp/encode.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "glint/core/error.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/sog_format.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

const std::filesystem::path kSplats = "splats";

// For each Gaussian of `a`, the index of the Gaussian of `b` nearest to it.
std::vector<std::size_t> match_by_position(const GaussianCloud& a, const GaussianCloud& b) {
    std::vector<std::size_t> match(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        float best = INFINITY;
        for (std::size_t j = 0; j < b.size(); ++j) {
            float d = 0.0f;
            for (std::size_t c = 0; c < 3; ++c)
                d += std::pow(a.positions()[3 * i + c] - b.positions()[3 * j + c], 2.0f);
            if (d < best) best = d, match[i] = j;
        }
    }
    return match;
}

// Largest differences between matched Gaussians.
struct Differences {
    float position = 0.0f;  // relative: |x' - x| / (|x| + 1)
    float rotation = 0.0f;  // radians
    float opacity = 0.0f;   // activated
    float log_scale = 0.0f, dc = 0.0f, sh_max = 0.0f;
    double sh_rms = 0.0;
};

Differences compare(const GaussianCloud& original, const GaussianCloud& back) {
    const std::vector<std::size_t> match = match_by_position(original, back);
    Differences d;
    double sh_sum = 0.0;
    std::size_t sh_count = 0;
    const std::size_t k = original.sh_rest().size() / std::max<std::size_t>(1, original.size());
    for (std::size_t i = 0; i < original.size(); ++i) {
        const std::size_t j = match[i];
        for (std::size_t a = 0; a < 3; ++a) {
            const float x = original.positions()[3 * i + a];
            d.position =
                std::max(d.position, std::fabs(back.positions()[3 * j + a] - x) / (std::fabs(x) + 1.0f));
            d.log_scale = std::max(
                d.log_scale, std::fabs(back.log_scales()[3 * j + a] - original.log_scales()[3 * i + a]));
            d.dc = std::max(d.dc, std::fabs(back.sh_dc()[3 * j + a] - original.sh_dc()[3 * i + a]));
        }
        d.rotation = std::max(d.rotation,
                              test::rotation_angle(&original.rotations()[4 * i], &back.rotations()[4 * j]));
        d.opacity = std::max(
            d.opacity, std::fabs(sigmoid(back.opacity_logits()[j]) - sigmoid(original.opacity_logits()[i])));
        for (std::size_t c = 0; c < k && back.sh_rest().size() == original.sh_rest().size(); ++c) {
            const float e = back.sh_rest()[k * j + c] - original.sh_rest()[k * i + c];
            d.sh_max = std::max(d.sh_max, std::fabs(e));
            sh_sum += static_cast<double>(e) * e;
            ++sh_count;
        }
    }
    d.sh_rms = sh_count > 0 ? std::sqrt(sh_sum / static_cast<double>(sh_count)) : 0.0;
    return d;
}

// The largest range of sign(x) ln(|x| + 1) over the three axes: what the 16-bit positions span.
float log_range(const GaussianCloud& cloud) {
    float range = 0.0f;
    for (std::size_t a = 0; a < 3; ++a) {
        float lo = INFINITY, hi = -INFINITY;
        for (std::size_t i = 0; i < cloud.size(); ++i) {
            const float x = cloud.positions()[3 * i + a];
            const float l = std::copysign(std::log1p(std::fabs(x)), x);
            lo = std::min(lo, l), hi = std::max(hi, l);
        }
        range = std::max(range, hi - lo);
    }
    return range;
}

nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

// The distance from `v` to the nearest entry of `codebook`.
float to_nearest(const nlohmann::json& codebook, float v) {
    float best = INFINITY;
    for (const auto& entry : codebook) best = std::min(best, std::fabs(entry.get<float>() - v));
    return best;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

void write_webp(const std::filesystem::path& path, const std::vector<std::uint8_t>& rgba, int width,
                int height) {
    std::uint8_t* out = nullptr;
    const std::size_t size = WebPEncodeLosslessRGBA(rgba.data(), width, height, 4 * width, &out);
    REQUIRE(size > 0);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(out), static_cast<std::streamsize>(size));
    WebPFree(out);
}

GaussianCloud random_scene(std::size_t count, int sh_degree, std::uint32_t seed) {
    tools::RandomSceneOptions options;
    options.count = count;
    options.sh_degree = sh_degree;
    options.seed = seed;
    return tools::make_random_scene(options);
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("SOG made by splat-transform (archive and folder) reads back the scene it was made from") {
    const GaussianCloud source =
        load_scene(test::data_dir() / kSplats / "splat-transform_rand_sh3_source.ply").cloud;
    REQUIRE(source.size() == 1500);
    // splat-transform truncates positions to 16 bits rather than rounding: within a whole step.
    const float bound = log_range(source) / 65535.0f * 1.001f + 2e-6f;
    for (const std::string name :
         {"splat-transform_rand_sh3.sog", "splat-transform_rand_sh3", "splat-transform_rand_sh3/meta.json"}) {
        CAPTURE(name);
        const LoadedScene sog = load_scene(test::data_dir() / kSplats / name);
        CHECK(sog.format == SceneFormat::Sog);
        REQUIRE(sog.cloud.size() == source.size());
        REQUIRE(sog.cloud.sh_degree() == 3);
        const Differences d = compare(source, sog.cloud);
        MESSAGE(name, ": position ", d.position, " (bound ", bound, "), rotation ", d.rotation,
                " rad, opacity ", d.opacity, ", log-scale ", d.log_scale, ", f_dc ", d.dc, ", SH max ",
                d.sh_max, " rms ", d.sh_rms);
        CHECK(d.position <= bound);
        CHECK(d.rotation < 0.03f);  // splat-transform truncates the bytes rather than rounding
        CHECK(d.opacity <= 1.0f / 255.0f + 1e-6f);
        CHECK(d.log_scale < 0.02f);
        CHECK(d.dc < 0.03f);
        CHECK(d.sh_rms < 0.1);  // 1,500 vectors in a 1,024-entry palette
    }
}

TEST_CASE("SOG: splat-transform's SOG of the guitar capture renders as its compressed PLY") {
    const LoadedScene ply = load_scene(test::data_dir() / kSplats / "playcanvas_guitar.compressed.ply");
    const LoadedScene sog = load_scene(test::data_dir() / kSplats / "playcanvas_guitar.sog");
    REQUIRE(sog.cloud.size() == ply.cloud.size());
    CHECK(sog.encoding.find("version 2, archive") != std::string::npos);
    const Camera camera =
        Camera::look_at({1.5f, -2.0f, -2.5f}, {0.08f, -2.1f, 0.2f}, {0, -1, 0}, 50.0f, 160, 120);
    const double psnr = test::render_psnr(ply.cloud, sog.cloud, camera);
    MESSAGE("guitar: SOG against the compressed PLY it was made from: ", psnr, " dB");
    CHECK(psnr > 35.0);
}

TEST_CASE(
    "SOG round trip: positions, rotations and opacity within their bounds, codebook values the nearest") {
    GaussianCloud cloud = random_scene(1000, 3, 11);  // 1,000 <= 1,024: every SH vector its own palette entry
    test::TempDir dir;
    save_scene(cloud, dir / "scene/meta.json");
    const GaussianCloud back = load_scene(dir / "scene").cloud;
    REQUIRE(back.size() == cloud.size());
    REQUIRE(back.sh_degree() == 3);
    const nlohmann::json meta = read_json(dir / "scene/meta.json");
    CHECK(meta["version"] == 2);
    CHECK(meta["count"] == 1000);
    CHECK(meta["shN"]["count"] == 1000);
    const std::vector<std::size_t> match = match_by_position(cloud, back);
    float position = 0.0f, rotation = 0.0f, opacity = 0.0f, excess = 0.0f;
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const std::size_t j = match[i];
        for (std::size_t a = 0; a < 3; ++a) {
            const float x = cloud.positions()[3 * i + a];
            position = std::max(position, std::fabs(back.positions()[3 * j + a] - x) / (std::fabs(x) + 1.0f));
            // Each codebook value is the entry nearest the original.
            excess =
                std::max(excess, std::fabs(back.log_scales()[3 * j + a] - cloud.log_scales()[3 * i + a]) -
                                     to_nearest(meta["scales"]["codebook"], cloud.log_scales()[3 * i + a]));
            excess = std::max(excess, std::fabs(back.sh_dc()[3 * j + a] - cloud.sh_dc()[3 * i + a]) -
                                          to_nearest(meta["sh0"]["codebook"], cloud.sh_dc()[3 * i + a]));
        }
        for (std::size_t c = 0; c < 45; ++c)
            excess = std::max(excess, std::fabs(back.sh_rest()[45 * j + c] - cloud.sh_rest()[45 * i + c]) -
                                          to_nearest(meta["shN"]["codebook"], cloud.sh_rest()[45 * i + c]));
        rotation =
            std::max(rotation, test::rotation_angle(&cloud.rotations()[4 * i], &back.rotations()[4 * j]));
        opacity = std::max(opacity,
                           std::fabs(sigmoid(back.opacity_logits()[j]) - sigmoid(cloud.opacity_logits()[i])));
    }
    const float bound = log_range(cloud) / 131070.0f * 1.001f + 2e-6f;
    MESSAGE("glint SOG round trip: position ", position, " (bound ", bound, "), rotation ", rotation,
            " rad, opacity ", opacity, ", codebook values past the nearest entry ", excess);
    CHECK(position <= bound);
    // The three smallest components within sqrt 2 x 0.5/255 each, the largest (at least 1/2) recomputed
    // from them: at most 0.0096 apart as vectors, 0.019 rad as rotations.
    CHECK(rotation < 0.02f);
    CHECK(opacity <= 0.5f / 255.0f + 1e-6f);
    CHECK(excess <= 1e-6f);
    const Camera camera = Camera::look_at({0.0f, -3.0f, 1.0f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 96, 72);
    const double psnr = test::render_psnr(cloud, back, camera);
    MESSAGE("rendered against the original: ", psnr, " dB");
    CHECK(psnr > 35.0);
}

TEST_CASE(
    "SOG: more Gaussians than palette entries, the archive equals the folder, and writes are deterministic") {
    const GaussianCloud cloud = random_scene(5000, 2, 4);
    test::TempDir dir;
    save_scene(cloud, dir / "a.sog");
    save_scene(cloud, dir / "b.sog");
    save_scene(cloud, dir / "folder/meta.json");
    CHECK(test::read_bytes(dir / "a.sog") == test::read_bytes(dir / "b.sog"));
    const LoadedScene archive = load_scene(dir / "a.sog");
    const LoadedScene folder = load_scene(dir / "folder/meta.json");
    CHECK(archive.encoding.find("SH palette of 4096") != std::string::npos);
    REQUIRE(archive.cloud.size() == folder.cloud.size());
    CHECK(std::equal(archive.cloud.sh_rest().begin(), archive.cloud.sh_rest().end(),
                     folder.cloud.sh_rest().begin()));
    CHECK(std::equal(archive.cloud.positions().begin(), archive.cloud.positions().end(),
                     folder.cloud.positions().begin()));
    const Differences d = compare(cloud, archive.cloud);
    double values = 0.0;
    for (const float v : cloud.sh_rest()) values += static_cast<double>(v) * v;
    const double value_rms = std::sqrt(values / static_cast<double>(cloud.sh_rest().size()));
    MESSAGE("5,000 Gaussians at SH 2 in 4,096 palette entries: SH error max ", d.sh_max, ", rms ", d.sh_rms,
            " against the values' rms ", value_rms);
    CHECK(d.sh_rms < 0.5 * value_rms);
    // Without SH: no palette.
    GaussianCloud flat = cloud;
    flat.set_sh_degree(0);
    save_scene(flat, dir / "flat.sog");
    const LoadedScene back = load_scene(dir / "flat.sog");
    CHECK(back.cloud.sh_degree() == 0);
    CHECK(read_sog_archive(test::read_bytes(dir / "flat.sog"), "flat.sog").size() == 5000);
}

TEST_CASE("SOG palette of a large scene: splits made on a sample, every vector classified to an entry") {
    // 300,000 Gaussians at SH 1 on a grid (so that each is found again by its position): a palette of
    // 65,536 entries whose splits are made on 262,144 of them, every vector then following the splits.
    GaussianCloud cloud = random_scene(300000, 1, 5);
    constexpr float kStep = 0.03f;
    const auto cell = [](std::size_t i) {
        return std::array<std::size_t, 3>{i % 67, (i / 67) % 67, i / (67 * 67)};
    };
    for (std::size_t i = 0; i < cloud.size(); ++i)
        for (std::size_t a = 0; a < 3; ++a)
            cloud.positions()[3 * i + a] = kStep * static_cast<float>(cell(i)[a]);
    test::TempDir dir;
    save_scene(cloud, dir / "big/meta.json");
    const GaussianCloud back = load_scene(dir / "big").cloud;
    REQUIRE(back.size() == cloud.size());
    const nlohmann::json meta = read_json(dir / "big/meta.json");
    CHECK(meta["shN"]["count"] == 65536);
    std::vector<std::size_t> original(back.size());
    for (std::size_t j = 0; j < back.size(); ++j) {
        std::size_t c[3];
        for (std::size_t a = 0; a < 3; ++a)
            c[a] = static_cast<std::size_t>(std::lround(back.positions()[3 * j + a] / kStep));
        original[j] = c[0] + 67 * c[1] + 67 * 67 * c[2];
    }
    std::set<std::vector<float>> entries;
    double error = 0.0, spread = 0.0;
    for (std::size_t j = 0; j < back.size(); ++j) {
        const std::size_t i = original[j];
        REQUIRE(i < cloud.size());
        entries.insert(
            std::vector<float>(back.sh_rest().begin() + 9 * j, back.sh_rest().begin() + 9 * j + 9));
        for (std::size_t c = 0; c < 9; ++c) {
            const double x = cloud.sh_rest()[9 * i + c], d = x - back.sh_rest()[9 * j + c];
            error += d * d;
            spread += x * x;
        }
    }
    const double values = 9.0 * static_cast<double>(cloud.size());
    const double rms = std::sqrt(error / values), of = std::sqrt(spread / values);
    MESSAGE(entries.size(), " distinct entries read back; SH rms error ", rms, " against the vectors' rms ",
            of);
    CHECK(entries.size() > 60000);
    // Random 9-vectors are the hardest case for a palette (no clusters): the error is a third of their size.
    CHECK(rms < 0.35 * of);
}

TEST_CASE("SOG version 1 (per-channel ranges, no codebooks) reads by its rules") {
    test::TempDir dir;
    // Two Gaussians in 2x1 images; SH degree 1, a 192-texel-wide palette of one row.
    const int w = 2, h = 1;
    std::vector<std::uint8_t> lo = {0, 0, 0, 255, 255, 255, 255, 255}, hi = {0, 0, 0, 255, 255, 128, 0, 255};
    std::vector<std::uint8_t> quats = {128, 128, 128, 252, 128, 128, 128, 255};
    std::vector<std::uint8_t> scales = {0, 255, 51, 255, 255, 0, 0, 255};
    std::vector<std::uint8_t> colors = {0, 255, 128, 255, 255, 0, 0, 0};
    std::vector<std::uint8_t> labels = {0, 0, 0, 255, 1, 0, 0, 255};
    std::vector<std::uint8_t> centroids(192 * 4, 255);
    for (int t = 0; t < 3; ++t) centroids[4 * t] = 0;  // entry 0: red channel at the minimum
    write_webp(dir / "means_l.webp", lo, w, h);
    write_webp(dir / "means_u.webp", hi, w, h);
    write_webp(dir / "quats.webp", quats, w, h);
    write_webp(dir / "scales.webp", scales, w, h);
    write_webp(dir / "sh0.webp", colors, w, h);
    write_webp(dir / "labels.webp", labels, w, h);
    write_webp(dir / "centroids.webp", centroids, 192, 1);
    write_text(dir / "meta.json", R"({
        "means": {"shape": [2, 3], "mins": [0, -1, 0], "maxs": [1, 1, 2], "files": ["means_l.webp", "means_u.webp"]},
        "scales": {"mins": [-5, -5, -5], "maxs": [0, 0, 0], "files": ["scales.webp"]},
        "quats": {"files": ["quats.webp"]},
        "sh0": {"mins": [-1, -1, -1, -4], "maxs": [1, 1, 1, 4], "files": ["sh0.webp"]},
        "shN": {"mins": -0.5, "maxs": 0.5, "files": ["centroids.webp", "labels.webp"]}})");
    SogInfo info;
    const GaussianCloud cloud = read_sog(dir / "meta.json", &info);
    CHECK(info.version == 1);
    CHECK(info.palette == 64);
    REQUIRE(cloud.size() == 2);
    REQUIRE(cloud.sh_degree() == 1);
    // Gaussian 0 at the minimum corner: position sign(l) (e^|l| - 1) of l = mins.
    CHECK(cloud.positions()[0] == doctest::Approx(0.0f));
    CHECK(cloud.positions()[1] == doctest::Approx(-(std::exp(1.0f) - 1.0f)));
    CHECK(cloud.positions()[2] == doctest::Approx(0.0f));
    // Gaussian 1: x at the maximum (65535), y at 0x80ff / 65535 of the way, z 0x00ff / 65535.
    CHECK(cloud.positions()[3] == doctest::Approx(std::exp(1.0f) - 1.0f));
    const float ly = -1.0f + 2.0f * 0x80ff / 65535.0f;
    CHECK(cloud.positions()[4] == doctest::Approx(std::copysign(std::expm1(std::fabs(ly)), ly)));
    CHECK(cloud.log_scales()[1] == doctest::Approx(0.0f));
    CHECK(cloud.log_scales()[2] == doctest::Approx(-5.0f + 5.0f * 51.0f / 255.0f));
    CHECK(cloud.sh_dc()[0] == doctest::Approx(-1.0f));
    CHECK(cloud.sh_dc()[1] == doctest::Approx(1.0f));
    CHECK(cloud.opacity_logits()[0] == doctest::Approx(4.0f));
    CHECK(cloud.opacity_logits()[1] == doctest::Approx(-4.0f));
    // Identity (largest w) for Gaussian 0; Gaussian 1 has z largest.
    CHECK(cloud.rotations()[0] == doctest::Approx(1.0f).epsilon(0.01));
    CHECK(cloud.rotations()[7] == doctest::Approx(1.0f).epsilon(0.01));
    // SH: Gaussian 0 uses entry 0 (red at -0.5), Gaussian 1 entry 1 (everything at 0.5).
    CHECK(cloud.sh_rest()[0] == doctest::Approx(-0.5f));
    CHECK(cloud.sh_rest()[1] == doctest::Approx(0.5f));
    CHECK(cloud.sh_rest()[9] == doctest::Approx(0.5f));
}

TEST_CASE(
    "SOG: bad files are input errors naming the file and the problem, and a failed write keeps the old "
    "file") {
    test::TempDir dir;
    const GaussianCloud cloud = random_scene(300, 1, 5);
    save_scene(cloud, dir / "good/meta.json");
    save_scene(cloud, dir / "good.sog");
    const std::vector<std::byte> archive = test::read_bytes(dir / "good.sog");
    const auto expect_error = [&](const std::filesystem::path& path, std::string_view words) {
        const std::string file = path.filename() == "meta.json" ? path.parent_path().filename().string()
                                                                : path.filename().string();
        test::check_input_error([&] { (void)load_scene(path); }, {file, words});
    };
    const auto variant = [&](const std::string& name, const std::function<void(nlohmann::json&)>& change) {
        const std::filesystem::path folder = dir / name;
        std::filesystem::copy(dir / "good", folder);
        nlohmann::json meta = read_json(folder / "meta.json");
        change(meta);
        std::filesystem::remove(folder / "meta.json");
        write_text(folder / "meta.json", meta.dump());
        return folder / "meta.json";
    };
    test::write_bytes(dir / "truncated.sog", std::span(archive).first(archive.size() / 2));
    expect_error(dir / "truncated.sog", "zip");
    expect_error(dir / "absent.sog", "absent.sog");
    std::filesystem::create_directories(dir / "notjson");
    write_text(dir / "notjson/meta.json", "{ not json");
    expect_error(dir / "notjson/meta.json", "not JSON");
    expect_error(variant("v3", [](nlohmann::json& m) { m["version"] = 3; }), "SOG version 3");
    expect_error(variant("count", [](nlohmann::json& m) { m["count"] = 100000; }), "fewer than the 100000");
    expect_error(variant("codebook",
                         [](nlohmann::json& m) { m["scales"]["codebook"] = nlohmann::json::array({1.0}); }),
                 "codebook");
    expect_error(variant("nan", [](nlohmann::json& m) { m["means"]["mins"][0] = "x"; }), "means.mins[0]");
    expect_error(variant("far", [](nlohmann::json& m) { m["means"]["maxs"][1] = 200.0; }), "past any float");
    expect_error(variant("palette", [](nlohmann::json& m) { m["shN"]["count"] = 2; }), "past the SH palette");
    expect_error(variant("member", [](nlohmann::json& m) { m["quats"]["files"][0] = "../quats.webp"; }),
                 "may not leave");
    expect_error(variant("nofile", [](nlohmann::json& m) { m["quats"]["files"][0] = "gone.webp"; }),
                 "gone.webp");
    {
        const std::filesystem::path meta = variant("notwebp", [](nlohmann::json&) {});
        test::write_bytes(meta.parent_path() / "quats.webp", test::as_bytes("RIFF????WEBPnonsense"));
        expect_error(meta, "not a WebP image");
    }
    {  // A quaternion texel without a largest-component tag.
        const std::filesystem::path meta = variant("tag", [](nlohmann::json&) {});
        std::vector<std::uint8_t> quats(4 * 20 * 20, 128);
        write_webp(meta.parent_path() / "quats.webp", quats, 20, 20);
        expect_error(meta, "largest-component tag");
    }
    // 4D scenes and unknown paths are refused; a failed write leaves the previous file.
    tools::RandomSceneOptions options;
    options.count = 10;
    options.temporal = true;
    CHECK_THROWS_AS(save_scene(tools::make_random_scene(options), dir / "good.sog"), InputError);
    CHECK(test::read_bytes(dir / "good.sog") == archive);
    CHECK_THROWS_AS(write_sog(cloud, dir / "scene.json"), InputError);
}

TEST_SUITE_END();
