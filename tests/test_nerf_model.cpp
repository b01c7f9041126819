// The hash-grid NeRF as a whole: the ray marcher, .nerf files, pruning, training through glint train
// (quality floor), and the CUDA backend against the CPU (the "cuda" suite).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "glint/core/backend.h"
#include "glint/core/binary_io.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/nerf/cuda.h"
#include "glint/nerf/hash_grid.h"
#include "glint/nerf/model.h"
#include "glint/nerf/nerf_math.h"
#include "glint/nerf/prune.h"
#include "glint/nerf/render.h"
#include "test_support.h"

using namespace glint;

TEST_SUITE_BEGIN("cpu");

namespace {

// A model trained briefly on the sample (real densities: an object with an inside and empty space).
nerf::NerfModel train_small_sample(const std::filesystem::path& output) {
    const test::CommandResult train = test::run_glint(
        "train -q " + test::quoted(test::source_dir() / "assets" / "sample" / "dataset") + " -o " +
        test::quoted(output) +
        " --iters 80 --eval-every 0 --downscale 4 --random-background --hash-levels 8 --hash-table-log2 14"
        " --hash-max-resolution 128 --nerf-steps 128 --occupancy-resolution 32 --batch-samples 8192");
    INFO(train.output);
    REQUIRE(train.exit_code == 0);
    return nerf::load_nerf(output);
}

}  // namespace

TEST_CASE("ray marcher: steps through occupied cells only, at the smallest step, inside the box") {
    nerf::NerfModel model(test::small_nerf_config());
    const float o[3] = {-1.0f, 0.53f, 0.47f}, d[3] = {1.0f, 0.0f, 0.0f};
    nerf::RayCursor cursor = model.start_ray(o, d, 0.0f);
    CHECK(cursor.t == doctest::Approx(1.0f));
    CHECK(cursor.t_far == doctest::Approx(2.0f));
    std::vector<float> t(4096), dt(4096);
    // All occupied: evenly spaced samples across the unit cube.
    const int all = model.march(o, d, cursor, 4096, t.data(), dt.data());
    CHECK(all == static_cast<int>(std::ceil(1.0f / model.min_step())));
    for (int i = 1; i < all; ++i)
        CHECK(t[static_cast<std::size_t>(i)] - t[static_cast<std::size_t>(i - 1)] ==
              doctest::Approx(model.min_step()));
    // One occupied cell on the ray's path: samples only inside it.
    std::fill(model.occupancy().begin(), model.occupancy().end(), std::uint8_t{0});
    const float inside[3] = {0.6f, 0.53f, 0.47f};
    const std::int64_t cell = model.cell_of(inside);
    REQUIRE(cell >= 0);
    model.occupancy()[static_cast<std::size_t>(cell)] = 1;
    float lo[3], hi[3];
    model.cell_box(static_cast<std::size_t>(cell), lo, hi);
    CHECK(lo[0] <= 0.6f);
    CHECK(hi[0] >= 0.6f);
    cursor = model.start_ray(o, d, 0.0f);
    const int few = model.march(o, d, cursor, 4096, t.data(), dt.data());
    CHECK(few >= static_cast<int>((hi[0] - lo[0]) / model.min_step()) - 1);
    CHECK(few <= static_cast<int>((hi[0] - lo[0]) / model.min_step()) + 1);
    for (int i = 0; i < few; ++i) {
        const float x = o[0] + t[static_cast<std::size_t>(i)];
        CHECK(x >= lo[0] - 1e-5f);
        CHECK(x <= hi[0] + 1e-5f);
    }
    CHECK(cursor.done());
    // A ray that misses the box.
    const float away[3] = {-1.0f, 3.0f, 0.5f};
    CHECK(model.start_ray(away, d, 0.0f).done());
}

TEST_CASE(".nerf files: round trip, and damaged, truncated or foreign files are input errors") {
    test::TempDir dir;
    nerf::NerfModel model(test::small_nerf_config());
    model.initialize(5);
    for (std::size_t i = 0; i < model.occupancy().size(); i += 3) model.occupancy()[i] = 0;
    const auto path = dir / "scene.nerf";
    nerf::save_nerf(model, path);
    const nerf::NerfModel back = nerf::load_nerf(path);
    CHECK(back.grid().params() == model.grid().params());
    CHECK(back.density_net().weights() == model.density_net().weights());
    CHECK(back.colour_net().weights() == model.colour_net().weights());
    CHECK(back.occupancy() == model.occupancy());
    CHECK(back.config().half_size == model.config().half_size);
    CHECK(back.config().grid.log2_table_size == 12);
    // The same pixels from both.
    const Camera camera = Camera::look_at({2.0f, 1.5f, 1.0f}, {0, 0, 0}, {0, 0, 1}, 40.0f, 24, 16);
    nerf::NerfImage a, b;
    nerf::render_nerf(model, camera, {}, a);
    nerf::render_nerf(back, camera, {}, b);
    CHECK(a.color == b.color);

    const std::vector<std::byte> bytes = test::read_bytes(path);
    std::vector<std::byte> damaged = bytes;
    damaged[bytes.size() / 2] ^= std::byte{0x40};
    test::write_bytes(dir / "damaged.nerf", damaged);
    test::check_input_error([&] { nerf::load_nerf(dir / "damaged.nerf"); }, {"damaged.nerf", "checksum"});
    test::write_bytes(dir / "short.nerf", std::span(bytes).first(bytes.size() - 100));
    test::check_input_error([&] { nerf::load_nerf(dir / "short.nerf"); }, {"short.nerf", "checksum"});
    test::write_bytes(dir / "tiny.nerf", std::span(bytes).first(10));
    test::check_input_error([&] { nerf::load_nerf(dir / "tiny.nerf"); }, {"tiny.nerf", "truncated"});
    test::write_bytes(dir / "other.nerf", test::as_bytes("ply\nformat ascii 1.0\nend_header\n"));
    test::check_input_error([&] { nerf::load_nerf(dir / "other.nerf"); }, {"other.nerf", "magic"});
    std::vector<std::byte> newer = bytes;
    newer[8] = std::byte{9};  // the version field
    test::write_bytes(dir / "newer.nerf", newer);
    test::check_input_error([&] { nerf::load_nerf(dir / "newer.nerf"); }, {"newer.nerf", "version 9"});
    test::check_input_error([&] { nerf::load_nerf(dir / "missing.nerf"); }, {"missing.nerf", "cannot open"});
    // A failed write leaves the previous file.
    CHECK_THROWS(nerf::save_nerf(model, dir / "no-such-folder" / "x.nerf"));
    CHECK(test::read_bytes(path) == bytes);

    // Versions 1 (dense tables, no table flag) and 2 (no background: the 13 bytes before the checksum)
    // still read: the same file rewritten as each.
    const auto with_checksum = [](std::vector<std::byte> v) {
        const std::uint64_t sum = fnv1a64(std::span(reinterpret_cast<const char*>(v.data()), v.size()));
        for (int k = 0; k < 8; ++k) v.push_back(static_cast<std::byte>((sum >> (8 * k)) & 0xffu));
        return v;
    };
    constexpr std::ptrdiff_t kBackgroundBytes = 13;      // version 3's flag and colour
    REQUIRE(static_cast<std::uint8_t>(bytes[72]) == 0);  // the table flag: dense
    std::vector<std::byte> v1(bytes.begin(), bytes.begin() + 72);
    v1.insert(v1.end(), bytes.begin() + 73, bytes.end() - 8 - kBackgroundBytes);
    v1[8] = std::byte{1};
    test::write_bytes(dir / "v1.nerf", with_checksum(v1));
    std::vector<std::byte> v2(bytes.begin(), bytes.end() - 8 - kBackgroundBytes);
    v2[8] = std::byte{2};
    test::write_bytes(dir / "v2.nerf", with_checksum(v2));
    for (const char* name : {"v1.nerf", "v2.nerf"}) {
        const nerf::NerfModel old = nerf::load_nerf(dir / name);
        CHECK(old.grid().params() == model.grid().params());
        CHECK(old.occupancy() == model.occupancy());
        CHECK_FALSE(old.background());
    }

    // A learnt background round-trips; one outside [0, 1] is an input error naming the file.
    CHECK_FALSE(back.background());
    nerf::NerfModel coloured = model;
    coloured.set_background(std::array<float, 3>{0.25f, 0.5f, 0.75f});
    nerf::save_nerf(coloured, dir / "coloured.nerf");
    const nerf::NerfModel coloured_back = nerf::load_nerf(dir / "coloured.nerf");
    REQUIRE(coloured_back.background());
    CHECK(*coloured_back.background() == *coloured.background());
    std::vector<std::byte> bad = test::read_bytes(dir / "coloured.nerf");
    bad.resize(bad.size() - 8);
    const float seven = 7.0f;
    std::memcpy(bad.data() + bad.size() - 12, &seven, 4);  // the red component
    test::write_bytes(dir / "bad_background.nerf", with_checksum(bad));
    test::check_input_error([&] { nerf::load_nerf(dir / "bad_background.nerf"); },
                            {"bad_background.nerf", "background"});

    // Sparse tables: a model with most entries zero is written smaller and reads back exactly; a mask
    // that marks more entries than are stored is an error.
    nerf::NerfModel sparse = model;
    std::vector<float>& params = sparse.grid().params();
    for (std::size_t i = 0; i < params.size(); ++i)
        if ((i / 2) % 5 != 0) params[i] = 0.0f;
    nerf::save_nerf(sparse, dir / "sparse.nerf");
    CHECK(std::filesystem::file_size(dir / "sparse.nerf") < bytes.size() / 2);
    const nerf::NerfModel sparse_back = nerf::load_nerf(dir / "sparse.nerf");
    CHECK(sparse_back.grid().params() == sparse.grid().params());
    CHECK(sparse_back.colour_net().weights() == sparse.colour_net().weights());
    CHECK(sparse_back.occupancy() == sparse.occupancy());
}

TEST_CASE(
    "NeRF pruning: unused cells and unreachable entries go, and what stays renders the views the same") {
    test::TempDir dir;
    const nerf::NerfModel trained = train_small_sample(dir / "m.nerf");
    nerf::NerfModel model = trained;
    const std::vector<Camera> views = nerf::views_around(model, 24, 48);
    REQUIRE(views.size() == 24);
    const std::optional<nerf::NerfPruneReport> report = nerf::prune_nerf(model, views, {});
    REQUIRE(report);
    MESSAGE("cells ", report->occupied_before, " -> ", report->occupied_after, ", entries ",
            report->entries_before, " -> ", report->entries_after, " of ", report->entries);
    CHECK(report->views == 24);
    CHECK(report->occupied_before == trained.occupied_cells());
    CHECK(report->occupied_after == model.occupied_cells());
    CHECK(report->occupied_after < report->occupied_before);
    CHECK(report->occupied_after > 0);
    CHECK(report->entries_after < report->entries_before);
    CHECK(report->entries_after == nerf::nonzero_entries(model));
    std::size_t added = 0;
    for (std::size_t i = 0; i < model.occupancy().size(); ++i)
        added += model.occupancy()[i] && !trained.occupancy()[i] ? 1 : 0;
    CHECK(added == 0);

    // The removed entries are unreachable: garbage in them changes no pixel of any view.
    nerf::NerfModel garbage = model;
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-5.0f, 5.0f);
    const std::vector<float>& kept = model.grid().params();
    std::size_t filled = 0;
    for (std::size_t e = 0; e < kept.size() / 2; ++e)
        if (kept[2 * e] == 0.0f && kept[2 * e + 1] == 0.0f) {
            garbage.grid().params()[2 * e] = u(rng);
            garbage.grid().params()[2 * e + 1] = u(rng);
            ++filled;
        }
    CHECK(filled > 0);
    // And the views look as before pruning (only samples below the weight threshold are gone).
    double worst = 1e9;
    for (std::size_t v = 0; v < views.size(); v += 5) {
        nerf::NerfImage pruned, with_garbage, before;
        nerf::render_nerf(model, views[v], {}, pruned);
        nerf::render_nerf(garbage, views[v], {}, with_garbage);
        nerf::render_nerf(trained, views[v], {}, before);
        CHECK(pruned.color == with_garbage.color);
        double squared = 0;
        for (std::size_t i = 0; i < before.color.size(); ++i) {
            const double d = static_cast<double>(before.color[i]) - pruned.color[i];
            squared += d * d;
        }
        worst = std::min(
            worst, -10.0 * std::log10(std::max(squared / static_cast<double>(before.color.size()), 1e-12)));
    }
    MESSAGE("views before and after pruning: PSNR of at least ", worst, " dB between them");
    CHECK(worst > 40.0);
    test::check_input_error([&] { nerf::prune_nerf(model, {}, {}); }, {"at least one view"});
}

TEST_CASE("glint prune: sizes, render cost and test PSNR before and after, and bad input is exit 2") {
    test::TempDir dir;
    const std::string dataset = test::quoted(test::source_dir() / "assets" / "sample" / "dataset");
    REQUIRE(test::run_glint("train -q " + dataset + " -o " + test::quoted(dir / "m.nerf") +
                            " --iters 40 --eval-every 0 --downscale 4 --random-background --hash-levels 8"
                            " --hash-table-log2 14 --hash-max-resolution 128 --nerf-steps 128"
                            " --occupancy-resolution 32 --batch-samples 8192")
                .exit_code == 0);
    const test::CommandResult run =
        test::run_glint("prune " + test::quoted(dir / "m.nerf") + " -o " + test::quoted(dir / "p.nerf") +
                        " --cameras " + dataset + " --downscale 4");
    INFO(run.output);
    CHECK(run.exit_code == 0);
    for (const char* line : {"occupied cells", "hash entries", "file", "test PSNR", "render samples"})
        CHECK(run.output.find(line) != std::string::npos);
    const nerf::NerfModel pruned = nerf::load_nerf(dir / "p.nerf");
    CHECK(pruned.occupied_cells() < nerf::load_nerf(dir / "m.nerf").occupied_cells());
    CHECK(std::filesystem::file_size(dir / "p.nerf") < std::filesystem::file_size(dir / "m.nerf"));
    // Views around the scene without a dataset: no PSNR line.
    const test::CommandResult around =
        test::run_glint("prune " + test::quoted(dir / "m.nerf") + " -o " + test::quoted(dir / "q.nerf") +
                        " --views 8 --view-size 32");
    CHECK(around.exit_code == 0);
    CHECK(around.output.find("test PSNR") == std::string::npos);
    const test::CommandResult ply =
        test::run_glint("prune " + test::quoted(dir / "x.ply") + " -o " + test::quoted(dir / "y.nerf"));
    CHECK(ply.exit_code == 2);
    CHECK(ply.output.find("x.ply") != std::string::npos);
    const test::CommandResult missing =
        test::run_glint("prune " + test::quoted(dir / "none.nerf") + " -o " + test::quoted(dir / "y.nerf"));
    CHECK(missing.exit_code == 2);
    CHECK(missing.output.find("none.nerf") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "y.nerf"));
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cpu");

namespace {

// Small NeRF settings for the command-line tests (seconds, not minutes).
const char* const kSmallNerf =
    " --hash-levels 6 --hash-table-log2 14 --hash-max-resolution 128 --nerf-steps 128"
    " --occupancy-resolution 32 --batch-samples 4096";

}  // namespace

TEST_CASE("glint train --model nerf writes a .nerf that glint render and glint record accept") {
    test::TempDir dir;
    const std::string dataset = test::quoted(test::source_dir() / "assets" / "sample" / "dataset");
    const auto out = dir / "scene.nerf";
    const test::CommandResult train =
        test::run_glint("train -q " + dataset + " -o " + test::quoted(out) +
                        " --iters 40 --eval-every 20 --downscale 4" + kSmallNerf + " --profile");
    INFO(train.output);
    REQUIRE(train.exit_code == 0);
    CHECK(train.output.find("marching") != std::string::npos);
    CHECK(train.output.find("million samples per second") != std::string::npos);
    const nerf::NerfModel model = nerf::load_nerf(out);
    CHECK(model.config().grid.levels == 6);
    CHECK(model.occupied_cells() > 0);
    std::ifstream csv(dir / "scene.csv");
    std::string header, line;
    std::getline(csv, header);
    CHECK(header == "iteration,seconds,occupied_cells,test_psnr,test_ssim,test_l1");
    int rows = 0;
    while (std::getline(csv, line)) ++rows;
    CHECK(rows == 2);

    const test::CommandResult info = test::run_glint("info " + test::quoted(out));
    CHECK(info.exit_code == 0);
    CHECK(info.output.find("hash-grid NeRF") != std::string::npos);
    CHECK(info.output.find("6 levels x 2 features, tables of 2^14 entries") != std::string::npos);
    // A view of the dataset's first camera, with depth and opacity images.
    const test::CommandResult render =
        test::run_glint("render -q " + test::quoted(out) + " --cameras " + dataset + " --width 50 -o " +
                        test::quoted(dir / "v.png") + " --depth " + test::quoted(dir / "d.png") +
                        " --alpha " + test::quoted(dir / "a.png"));
    INFO(render.output);
    CHECK(render.exit_code == 0);
    for (const char* name : {"v.png", "d.png", "a.png"}) CHECK(std::filesystem::file_size(dir / name) > 0);
    CHECK(test::run_glint("render -q " + test::quoted(out) + " --count " + test::quoted(dir / "c.png") +
                          " -o " + test::quoted(dir / "x.png"))
              .exit_code == 2);
    // Recording: an orbit into PNG frames.
    const test::CommandResult record =
        test::run_glint("record -q " + test::quoted(out) + " --res 32x24 --fps 4 --duration 1 -o " +
                        test::quoted(dir / "frames" / "%03d.png") + " --up 0,1,0");
    INFO(record.output);
    CHECK(record.exit_code == 0);
    CHECK(std::filesystem::exists(dir / "frames" / "000.png"));
    CHECK(std::filesystem::exists(dir / "frames" / "003.png"));
    // A damaged file: an error naming it, exit 2.
    std::vector<std::byte> bytes = test::read_bytes(out);
    bytes[bytes.size() / 3] ^= std::byte{1};
    test::write_bytes(dir / "bad.nerf", bytes);
    const test::CommandResult bad =
        test::run_glint("render " + test::quoted(dir / "bad.nerf") + " -o " + test::quoted(dir / "b.png"));
    CHECK(bad.exit_code == 2);
    CHECK(bad.output.find("bad.nerf") != std::string::npos);
    CHECK(bad.output.find("checksum") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "b.png"));
    // A NeRF goes to .nerf only.
    CHECK(test::run_glint("train " + dataset + " --model nerf -o " + test::quoted(dir / "x.ply")).exit_code ==
          2);
}

TEST_CASE("quality floor: a NeRF trained for 600 steps on the shipped sample dataset reaches 26 dB") {
    // assets/sample/dataset: 42 training and 6 test views at 200x200 (transparent background, so random
    // background colours per ray), a hash grid of 2^17 entries per level, 256 steps across the box.
    test::TempDir dir;
    const auto out = dir / "sample.nerf";
    const test::CommandResult r = test::run_glint(
        "train -q " + test::quoted(test::source_dir() / "assets/sample/dataset") + " -o " +
        test::quoted(out) +
        " --iters 600 --eval-every 600 --random-background --nerf-steps 256 --hash-table-log2 17"
        " --occupancy-resolution 64 --batch-samples 32768 --csv " +
        test::quoted(dir / "curve.csv"));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const std::vector<double> fields = test::last_csv_row(dir / "curve.csv");
    REQUIRE(fields.size() == 6);
    MESSAGE("sample dataset, NeRF, 600 steps: test PSNR ", fields[3], " dB, SSIM ", fields[4], ", ",
            fields[1], " s");
    CHECK(fields[0] == 600);
    CHECK(fields[3] >= 26.0);
    CHECK(fields[4] >= 0.9);
    // The written file renders a side view (test view 32, where one step grid for all pixels aliased
    // into speckles) as well, compared with its image over white.
    const test::CommandResult render =
        test::run_glint("render " + test::quoted(out) + " --cameras " +
                        test::quoted(test::source_dir() / "assets/sample/dataset/transforms.json") +
                        " --index 32 --background white -o " + test::quoted(dir / "view.png"));
    INFO(render.output);
    REQUIRE(render.exit_code == 0);
    const double psnr = test::psnr_over_white(dir / "view.png",
                                              test::source_dir() / "assets/sample/dataset/images/r_032.png");
    MESSAGE("glint render of the written NeRF at test view 32: PSNR ", psnr, " dB");
    CHECK(psnr >= 26.0);
}

TEST_CASE(
    "NeRF training is the same on one thread or many, with evaluations between steps or not, and resumes "
    "exactly") {
    test::TempDir dir;
    const std::string dataset = test::quoted(test::source_dir() / "assets" / "sample" / "dataset");
    const std::string common = std::string(" --downscale 4 --test-every 0") + kSmallNerf;
    const test::CommandResult straight = test::run_glint(
        "--threads 1 train -q " + dataset + " -o " + test::quoted(dir / "a.nerf") + " --iters 30" + common);
    REQUIRE(straight.exit_code == 0);
    const test::CommandResult first =
        test::run_glint("train -q " + dataset + " -o " + test::quoted(dir / "b.nerf") +
                        " --iters 15 --checkpoint-every 15 --eval-every 5" + common);
    REQUIRE(first.exit_code == 0);
    const test::CommandResult resumed =
        test::run_glint("train -q " + dataset + " -o " + test::quoted(dir / "b.nerf") +
                        " --iters 30 --resume " + test::quoted(dir / "b.ckpt") + common);
    INFO(resumed.output);
    REQUIRE(resumed.exit_code == 0);
    const nerf::NerfModel a = nerf::load_nerf(dir / "a.nerf"), b = nerf::load_nerf(dir / "b.nerf");
    CHECK(a.grid().params() == b.grid().params());
    CHECK(a.density_net().weights() == b.density_net().weights());
    CHECK(a.colour_net().weights() == b.colour_net().weights());
    CHECK(a.occupancy() == b.occupancy());
    // Another network size does not fit the checkpoint.
    std::string other_size = common;
    other_size.replace(other_size.find("--hash-levels 6"), 15, "--hash-levels 5");
    const test::CommandResult other =
        test::run_glint("train " + dataset + " -o " + test::quoted(dir / "c.nerf") + " --iters 30 --resume " +
                        test::quoted(dir / "b.ckpt") + other_size);
    CHECK(other.exit_code == 2);
    CHECK(other.output.find("b.ckpt") != std::string::npos);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cpu");

TEST_CASE(
    "NeRF rendering on CUDA where CUDA cannot run is a clear error, from the library and glint render") {
    const CudaStatus& status = cuda_status();
    if (status.usable()) {
        test::skip("CUDA can run here (" + std::string(status.device_name) + ")");
        return;
    }
    nerf::NerfModel model(test::small_nerf_config());
    model.initialize(1);
    nerf::NerfRenderSettings settings;
    settings.backend = Backend::Cuda;
    nerf::NerfImage image;
    const Camera camera = nerf::views_around(model, 1, 16).front();
    bool thrown = false;
    try {
        nerf::render_nerf(model, camera, settings, image);
    } catch (const Error& e) {
        thrown = true;
        CHECK(std::string(e.what()).find("CUDA backend cannot be used") != std::string::npos);
    }
    CHECK(thrown);
    // Auto falls back to the CPU.
    settings.backend = Backend::Auto;
    CHECK(nerf::render_nerf(model, camera, settings, image).backend == Backend::Cpu);

    test::TempDir dir;
    nerf::save_nerf(model, dir / "m.nerf");
    const test::CommandResult render = test::run_glint("render " + test::quoted(dir / "m.nerf") + " -o " +
                                                       test::quoted(dir / "m.png") + " --backend cuda");
    INFO(render.output);
    CHECK(render.exit_code != 0);
    CHECK(render.output.find("CUDA backend cannot be used") != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "m.png"));
}

TEST_SUITE_END();

// ---- the CUDA backend against the CPU (skipped with a message where no GPU can run it) ----

TEST_SUITE_BEGIN("cuda");

namespace {

bool cuda_or_skip() {
    const CudaStatus& status = cuda_status();
    if (!status.usable()) {
        test::skip(status.reason);
        return false;
    }
    MESSAGE("running on ", status.device_name);
    return true;
}

// Largest absolute difference, and the largest magnitude of `a` (to scale tolerances).
std::pair<double, double> compare(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
        scale = std::max(scale, std::fabs(static_cast<double>(a[i])));
    }
    return {worst, scale};
}

}  // namespace

TEST_CASE("CUDA hash encoding: forward and backward equal the CPU's") {
    if (!cuda_or_skip()) return;
#if GLINT_HAS_CUDA  // (usable() is false in builds without CUDA: nothing below runs there)
    nerf::HashGridConfig config;
    config.log2_table_size = 14;  // hashed levels collide, as in real use
    config.max_resolution = 1024.0f;
    for (const int features : {2, 4}) {
        CAPTURE(features);
        config.features = features;
        nerf::HashGrid<float> grid(config);
        grid.initialize(5, 0.5f);
        const std::size_t n = 20011;  // not a multiple of a block
        std::mt19937 random(8);
        std::uniform_real_distribution<float> u(0.0f, 1.0f), g(-1.0f, 1.0f);
        std::vector<float> points(3 * n), grad(n * static_cast<std::size_t>(grid.output_width()));
        for (float& p : points) p = u(random);
        for (float& v : grad) v = g(random);
        std::vector<float> cpu(grad.size()), gpu(grad.size());
        grid.forward(points, cpu);
        nerf::hash_grid_forward_cuda(grid, points, gpu);
        const auto [forward_error, forward_scale] = compare(cpu, gpu);
        MESSAGE("forward: worst difference ", forward_error, " of values up to ", forward_scale);
        CHECK(forward_error < 1e-5 * std::max(1.0, forward_scale));

        // Both add into what is there: start from the same non-zero gradient.
        std::vector<float> cpu_params(grid.params().size(), 0.25f), gpu_params(cpu_params);
        grid.backward(points, grad, cpu_params);
        nerf::hash_grid_backward_cuda(grid, points, grad, gpu_params);
        const auto [backward_error, backward_scale] = compare(cpu_params, gpu_params);
        MESSAGE("backward: worst difference ", backward_error, " of values up to ", backward_scale);
        // Sums of thousands of terms in another order (atomics): float rounding of the largest sums.
        CHECK(backward_error < 1e-4 * std::max(1.0, backward_scale));
    }
#endif
}

TEST_CASE("CUDA MLP: inference and backward equal the CPU's") {
    if (!cuda_or_skip()) return;
#if GLINT_HAS_CUDA  // (usable() is false in builds without CUDA: nothing below runs there)
    for (const std::vector<int>& widths : {std::vector<int>{32, 64, 16}, std::vector<int>{31, 64, 64, 3}}) {
        CAPTURE(widths.size());
        nerf::Mlp<float> mlp(widths);
        mlp.initialize(4);
        const std::size_t batch = 10007;  // several weight-gradient chunks, not a multiple of a tile
        std::mt19937 random(6);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        std::vector<float> input(batch * static_cast<std::size_t>(widths.front())),
            grad_out(batch * static_cast<std::size_t>(widths.back()));
        for (float& v : input) v = u(random);
        for (float& v : grad_out) v = u(random);
        std::vector<float> cpu(grad_out.size()), gpu(grad_out.size());
        mlp.infer(input, cpu);
        nerf::mlp_infer_cuda(mlp, input, gpu);
        const auto [infer_error, infer_scale] = compare(cpu, gpu);
        MESSAGE("inference: worst difference ", infer_error, " of values up to ", infer_scale);
        CHECK(infer_error < 1e-5 * std::max(1.0, infer_scale));

        nerf::Mlp<float>::Activations keep;
        mlp.forward(input, cpu, keep);
        std::vector<float> cpu_weights(mlp.weights().size(), 0.5f), gpu_weights(cpu_weights);
        std::vector<float> cpu_input(input.size()), gpu_input(input.size());
        mlp.backward(keep, grad_out, cpu_weights, cpu_input);
        nerf::mlp_backward_cuda(mlp, input, grad_out, gpu_weights, gpu_input);
        const auto [weight_error, weight_scale] = compare(cpu_weights, gpu_weights);
        const auto [input_error, input_scale] = compare(cpu_input, gpu_input);
        MESSAGE("weight gradient: worst difference ", weight_error, " of values up to ", weight_scale,
                "; input gradient: ", input_error, " of ", input_scale);
        CHECK(weight_error < 1e-4 * std::max(1.0, weight_scale));
        CHECK(input_error < 1e-5 * std::max(1.0, input_scale));
    }
#endif
}

TEST_CASE("CUDA NeRF rendering equals the CPU's: colour, opacity, depth, samples, bands of rows") {
    if (!cuda_or_skip()) return;
    test::TempDir dir;
    const nerf::NerfModel model = train_small_sample(dir / "m.nerf");
    const std::vector<Camera> views = nerf::views_around(model, 3, 173);
    for (std::size_t v = 0; v < views.size(); ++v) {
        CAPTURE(v);
        nerf::NerfRenderSettings settings;
        settings.background = {0.2f, 0.5f, 0.9f};
        settings.jitter = v != 1;
        nerf::NerfImage cpu, gpu;
        const nerf::NerfRenderStats a = nerf::render_nerf(model, views[v], settings, cpu);
        settings.backend = Backend::Cuda;
        const nerf::NerfRenderStats b = nerf::render_nerf(model, views[v], settings, gpu);
        CHECK(a.backend == Backend::Cpu);
        CHECK(b.backend == Backend::Cuda);
        MESSAGE("samples: CPU ", a.samples, ", CUDA ", b.samples, "; ", a.ms, " ms and ", b.ms, " ms");
        // The same marcher: a sample count off by more than a few steps' rounding means different rays.
        CHECK(std::fabs(static_cast<double>(a.samples) - static_cast<double>(b.samples)) <=
              1e-3 * static_cast<double>(a.samples) + 8);
        REQUIRE(gpu.width == cpu.width);
        REQUIRE(gpu.height == cpu.height);
        double mean = 0;
        for (std::size_t i = 0; i < cpu.color.size(); ++i) mean += std::fabs(cpu.color[i] - gpu.color[i]);
        mean /= static_cast<double>(cpu.color.size());
        const auto [colour_worst, colour_scale] = compare(cpu.color, gpu.color);
        const auto [alpha_worst, alpha_scale] = compare(cpu.alpha, gpu.alpha);
        MESSAGE("colour: mean difference ", mean, ", worst ", colour_worst, "; opacity worst ", alpha_worst);
        // expf and the networks' sums differ by float rounding; a sample's step landing on the other side
        // of a cell boundary can move single pixels more, so the worst pixel is bound loosely.
        CHECK(mean < 2e-4);
        CHECK(colour_worst < 0.05);
        CHECK(alpha_worst < 0.05);
        double depth_mean = 0;
        for (std::size_t i = 0; i < cpu.depth.size(); ++i)
            depth_mean += std::fabs(cpu.depth[i] - gpu.depth[i]);
        depth_mean /= static_cast<double>(cpu.depth.size());
        CHECK(depth_mean < 1e-3 * model.config().half_size);
    }
    // A band of rows equals those rows of the whole image.
    nerf::NerfRenderSettings settings;
    settings.backend = Backend::Cuda;
    nerf::NerfImage whole, band;
    nerf::render_nerf(model, views[0], settings, whole);
    settings.first_row = 37;
    settings.rows = 50;
    nerf::render_nerf(model, views[0], settings, band);
    REQUIRE(band.height == 50);
    const std::size_t offset = 37 * static_cast<std::size_t>(whole.width) * 3;
    CHECK(std::equal(band.color.begin(), band.color.end(),
                     whole.color.begin() + static_cast<std::ptrdiff_t>(offset)));
}

TEST_CASE("NerfRenderer keeps a model on the device between frames and renders another one when given") {
    if (!cuda_or_skip()) return;
    test::TempDir dir;
    const auto trained = std::make_shared<const nerf::NerfModel>(train_small_sample(dir / "m.nerf"));
    auto blank = std::make_shared<nerf::NerfModel>(trained->config());
    blank->initialize(7);
    const std::shared_ptr<const nerf::NerfModel> other = blank;
    const Camera view = nerf::views_around(*trained, 1, 96).front();
    nerf::NerfRenderSettings settings;
    settings.backend = Backend::Cuda;
    nerf::NerfRenderer renderer;
    // Each frame equals a one-off CUDA render of the same model, whichever model came before it.
    for (const auto& model : {trained, trained, other, trained}) {
        nerf::NerfImage kept, fresh;
        CHECK(renderer.render(model, view, settings, kept).backend == Backend::Cuda);
        nerf::render_nerf(*model, view, settings, fresh);
        CHECK(kept.color == fresh.color);
    }
}

TEST_SUITE_END();
