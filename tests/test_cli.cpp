// The glint binary: exit codes, messages, and outputs that are whole or absent.
#include <doctest/doctest.h>

#include <string>

#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;

namespace {

std::string quoted(const std::filesystem::path& path) {
    std::string text = "'";
    text += path.string();
    text += '\'';
    return text;
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("glint with no argument shows the embedded default scene") {
    const test::CommandResult result = test::run_glint("");
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("<embedded default scene>") != std::string::npos);
    CHECK(result.output.find("8,821, 3D, SH degree 1") != std::string::npos);
}

TEST_CASE("--help on every command, --version, and usage errors exit 2") {
    for (const char* arguments : {"--help", "info --help", "convert --help"}) {
        const test::CommandResult result = test::run_glint(arguments);
        CAPTURE(arguments);
        CHECK(result.exit_code == 0);
        CHECK(result.output.find("Usage") != std::string::npos);
    }
    const test::CommandResult version = test::run_glint("--version");
    CHECK(version.exit_code == 0);
    CHECK(version.output.starts_with("glint "));
    CHECK(test::run_glint("frobnicate").exit_code == 2);
    CHECK(test::run_glint("convert only-one.ply").exit_code == 2);
    CHECK(test::run_glint("convert a.ply b.ply --sh-degree 7").exit_code == 2);
}

TEST_CASE("glint info prints statistics, as text and JSON") {
    const std::string donut = quoted(test::shared_data_dir() / "splats/donut_sh0.ply");
    const test::CommandResult text = test::run_glint("info " + donut);
    CHECK(text.exit_code == 0);
    CHECK(text.output.find("45,624, 3D, SH degree 0") != std::string::npos);
    CHECK(text.output.find("opacity") != std::string::npos);
    const test::CommandResult json = test::run_glint("info --json " + donut);
    CHECK(json.exit_code == 0);
    CHECK(json.output.find("\"count\": 45624") != std::string::npos);
    CHECK(json.output.find("\"p50\"") != std::string::npos);
}

TEST_CASE("glint info on a 4D scene shows its time span") {
    test::TempDir dir;
    tools::RandomSceneOptions options;
    options.count = 50;
    options.temporal = true;
    splatting::save_scene(tools::make_random_scene(options), dir / "dyn.ply");
    const test::CommandResult result = test::run_glint("info " + quoted(dir / "dyn.ply"));
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("4D") != std::string::npos);
    CHECK(result.output.find("time span") != std::string::npos);
}

TEST_CASE("glint convert between formats, ASCII and SH reduction") {
    test::TempDir dir;
    const std::string donut = quoted(test::shared_data_dir() / "splats/donut_sh0.ply");
    CHECK(test::run_glint("convert " + donut + " " + quoted(dir / "d.splat")).exit_code == 0);
    const test::CommandResult from_sh1 =
        test::run_glint("convert " + quoted(test::source_dir() / "assets/default_scene.ply") + " " +
                        quoted(dir / "default.splat"));
    CHECK(from_sh1.exit_code == 0);
    CHECK(from_sh1.output.find("coefficients are dropped") != std::string::npos);
    CHECK(from_sh1.output.find("8821 Gaussians, SH degree 0") != std::string::npos);
    CHECK(std::filesystem::file_size(dir / "d.splat") == 45624u * 32);
    CHECK(test::run_glint("convert --ascii " + quoted(dir / "d.splat") + " " + quoted(dir / "d.ply"))
              .exit_code == 0);
    CHECK(splatting::load_scene(dir / "d.ply").encoding == "ascii");
    CHECK(test::run_glint("convert --sh-degree 2 " + quoted(dir / "d.ply") + " " + quoted(dir / "d2.ply"))
              .exit_code == 0);
    CHECK(splatting::load_scene(dir / "d2.ply").cloud.sh_degree() == 2);
    const test::CommandResult ascii_splat =
        test::run_glint("convert --ascii " + donut + " " + quoted(dir / "x.splat"));
    CHECK(ascii_splat.exit_code == 2);
    CHECK(ascii_splat.output.find("--ascii applies to .ply output only") != std::string::npos);
}

TEST_CASE("bad input: exit code 2, one error line naming the file, no output written, old output kept") {
    test::TempDir dir;
    const auto previous = dir / "out.ply";
    splatting::save_scene(tools::make_default_scene(), previous);
    const std::vector<std::byte> before = test::read_bytes(previous);

    const auto expect_rejected = [&](const std::filesystem::path& input, const std::string& problem) {
        CAPTURE(input.string());
        const test::CommandResult result =
            test::run_glint("convert " + quoted(input) + " " + quoted(previous));
        CHECK(result.exit_code == 2);
        CHECK(result.output.find(input.string()) != std::string::npos);
        CHECK(result.output.find(problem) != std::string::npos);
        CHECK(std::count(result.output.begin(), result.output.end(), '\n') == 1);
        CHECK(test::read_bytes(previous) == before);
        const test::CommandResult info = test::run_glint("info " + quoted(input));
        CHECK(info.exit_code == 2);
    };
    test::write_bytes(dir / "empty.ply", {});
    expect_rejected(dir / "empty.ply", "empty file");
    const std::vector<std::byte> good = test::read_bytes(previous);
    test::write_bytes(dir / "cut.ply", std::span(good).first(good.size() / 2));
    expect_rejected(dir / "cut.ply", "truncated");
    expect_rejected(dir / "missing.ply", "no such file");
    std::filesystem::create_directory(dir / "folder.splat");
    expect_rejected(dir / "folder.splat", "is a directory");
    test::write_bytes(dir / "odd.splat", std::span(good).first(33));
    expect_rejected(dir / "odd.splat", "not a multiple");
    // Nothing but the kept output and the inputs made above: no temporary files left behind.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        CHECK(entry.path().string().find(".tmp-") == std::string::npos);
    const test::CommandResult unknown =
        test::run_glint("convert " + quoted(previous) + " " + quoted(dir / "o.obj"));
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.output.find("unsupported scene format '.obj'") != std::string::npos);
}

TEST_SUITE_END();
