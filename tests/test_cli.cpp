// The glint binary: exit codes, messages, and outputs that are whole or absent.
#include <doctest/doctest.h>

#include <string>

#include "glint/core/image_io.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;

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
    const std::string donut = test::quoted(test::data_dir() / "splats/donut_sh0.ply");
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
    const test::CommandResult result = test::run_glint("info " + test::quoted(dir / "dyn.ply"));
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("4D") != std::string::npos);
    CHECK(result.output.find("time span") != std::string::npos);
}

TEST_CASE("glint convert between formats, ASCII and SH reduction") {
    test::TempDir dir;
    const std::string donut = test::quoted(test::data_dir() / "splats/donut_sh0.ply");
    CHECK(test::run_glint("convert " + donut + " " + test::quoted(dir / "d.splat")).exit_code == 0);
    const test::CommandResult from_sh1 =
        test::run_glint("convert " + test::quoted(test::source_dir() / "assets/default_scene.ply") + " " +
                        test::quoted(dir / "default.splat"));
    CHECK(from_sh1.exit_code == 0);
    CHECK(from_sh1.output.find("coefficients are dropped") != std::string::npos);
    CHECK(from_sh1.output.find("8821 Gaussians, SH degree 0") != std::string::npos);
    CHECK(std::filesystem::file_size(dir / "d.splat") == 45624u * 32);
    CHECK(test::run_glint("convert --ascii " + test::quoted(dir / "d.splat") + " " +
                          test::quoted(dir / "d.ply"))
              .exit_code == 0);
    CHECK(splatting::load_scene(dir / "d.ply").encoding == "ascii");
    CHECK(test::run_glint("convert --sh-degree 2 " + test::quoted(dir / "d.ply") + " " +
                          test::quoted(dir / "d2.ply"))
              .exit_code == 0);
    CHECK(splatting::load_scene(dir / "d2.ply").cloud.sh_degree() == 2);
    const test::CommandResult ascii_splat =
        test::run_glint("convert --ascii " + donut + " " + test::quoted(dir / "x.splat"));
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
            test::run_glint("convert " + test::quoted(input) + " " + test::quoted(previous));
        CHECK(result.exit_code == 2);
        CHECK(result.output.find(input.string()) != std::string::npos);
        CHECK(result.output.find(problem) != std::string::npos);
        CHECK(std::count(result.output.begin(), result.output.end(), '\n') == 1);
        CHECK(test::read_bytes(previous) == before);
        const test::CommandResult info = test::run_glint("info " + test::quoted(input));
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
        test::run_glint("convert " + test::quoted(previous) + " " + test::quoted(dir / "o.obj"));
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.output.find("unsupported scene format '.obj'") != std::string::npos);
}

TEST_CASE("glint render writes colour, depth, alpha and count images of the requested size") {
    test::TempDir dir;
    const test::CommandResult result =
        test::run_glint("render -o " + test::quoted(dir / "c.png") + " --width 320 --depth " +
                        test::quoted(dir / "d.png") + " --alpha " + test::quoted(dir / "a.png") +
                        " --count " + test::quoted(dir / "n.png") + " --background 0.2,0.3,0.4 --antialias");
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("8821 of 8821 Gaussians visible") != std::string::npos);
    for (const char* name : {"c.png", "d.png", "a.png", "n.png"}) {
        CAPTURE(name);
        const ImageSize size = read_image_size(dir / name);
        CHECK(size.width == 320);
        CHECK(size.height == 180);
    }
    CHECK(read_image_size(dir / "a.png").channels == 1);
}

TEST_CASE("glint render from a transforms.json camera, rescaled") {
    test::TempDir dir;
    test::write_bytes(
        dir / "transforms.json",
        test::as_bytes(R"({"camera_angle_x": 0.8, "w": 400, "h": 300, "frames": [{"file_path": "x", )"
                       R"("transform_matrix": [[1,0,0,0],[0,0,-1,-8],[0,1,0,1],[0,0,0,1]]}]})"));
    const test::CommandResult result =
        test::run_glint("render --cameras " + test::quoted(dir / "transforms.json") + " --width 200 -o " +
                        test::quoted(dir / "v.png"));
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("camera 0 (x)") != std::string::npos);
    CHECK(read_image_size(dir / "v.png").height == 150);
}

TEST_CASE("glint render and bench reject bad options with exit code 2") {
    test::TempDir dir;
    const std::string out = " -o " + test::quoted(dir / "o.png");
    const auto expect = [](const std::string& arguments, const std::string& message) {
        CAPTURE(arguments);
        const test::CommandResult result = test::run_glint(arguments);
        CHECK(result.exit_code == 2);
        CHECK(result.output.find(message) != std::string::npos);
    };
    expect("render --lookat 1,2,3,0,0,0,0,0" + out, "expected 9 comma-separated numbers");
    expect("render --lookat 0,0,5,0,0,5,0,0,1" + out, "eye and target are the same point");
    expect("render --background purple" + out, "--background");
    expect("render -o " + test::quoted(dir / "o.jpg"), "output images are PNG");
    expect("render " + test::quoted(dir / "missing.ply") + out, "no such file");
    test::write_bytes(dir / "t.json",
                      test::as_bytes(R"({"camera_angle_x": 0.8, "w": 40, "h": 30, "frames": [)"
                                     R"({"transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]})"));
    expect("render --cameras " + test::quoted(dir / "t.json") + " --index 3" + out,
           "--index 3 but there are 1 cameras");
    expect("bench --frames 0", "--frames");
    CHECK_FALSE(std::filesystem::exists(dir / "o.png"));
}

TEST_CASE("glint render of the 4D default scene at a time, clamped with a warning outside its span") {
    test::TempDir dir;
    const std::string scene = test::quoted(test::source_dir() / "assets/default_scene_4d.ply");
    const test::CommandResult inside =
        test::run_glint("render " + scene + " --time 0.5 --width 96 -o " + test::quoted(dir / "a.png"));
    CHECK(inside.exit_code == 0);
    CHECK(inside.output.find("warning") == std::string::npos);
    const test::CommandResult outside =
        test::run_glint("render " + scene + " --time 7 --width 96 -o " + test::quoted(dir / "b.png"));
    CHECK(outside.exit_code == 0);
    CHECK(outside.output.find("time 7 is outside the scene's time span [0, 0.996667]") != std::string::npos);
    CHECK(test::run_glint("render " + scene + " --temporal-cutoff 1.5 -o " + test::quoted(dir / "c.png"))
              .exit_code == 2);
    // Without --time: the start of the span, no warning, even when the span does not contain 0.
    tools::RandomSceneOptions options;
    options.count = 20;
    options.temporal = true;
    splatting::GaussianCloud later = tools::make_random_scene(options);
    for (float& t : later.time_means()) t += 10.0f;
    splatting::save_scene(later, dir / "later.ply");
    const test::CommandResult start = test::run_glint("render " + test::quoted(dir / "later.ply") +
                                                      " --width 64 -o " + test::quoted(dir / "d.png"));
    CHECK(start.exit_code == 0);
    CHECK(start.output.find("warning") == std::string::npos);
}

TEST_CASE("glint bench reports stage times as JSON") {
    const test::CommandResult result = test::run_glint("bench --width 160 --frames 2 --warmup 1 --json");
    CHECK(result.exit_code == 0);
    for (const char* key :
         {"\"preprocess\"", "\"sort\"", "\"blend\"", "\"fps\"", "\"tile_pairs\"", "\"peak_memory_bytes\""})
        CHECK(result.output.find(key) != std::string::npos);
}

TEST_SUITE_END();
