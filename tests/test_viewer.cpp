// The viewer: camera control, and `glint view` run under Xvfb with Mesa's lavapipe, its screenshot
// checked against `glint render` (the scene) and for the panel's colours (the UI).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <cmath>
#include <cstdlib>
#include <string>

#include <fstream>

#include "glint/core/camera_controller.h"
#include "glint/core/image_io.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/train/live_training.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;

namespace {

bool have_xvfb() {
    return std::system("command -v xvfb-run > /dev/null 2>&1") == 0;
}

float max_difference(const Camera& a, const Camera& b) {
    float d = std::abs(a.fx - b.fx);
    for (int i = 0; i < 3; ++i) {
        d = std::max(d, std::abs(a.translation[i] - b.translation[i]));
        for (int j = 0; j < 3; ++j) d = std::max(d, std::abs(a.rotation[i][j] - b.rotation[i][j]));
    }
    return d;
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE("camera controller: orbiting keeps the target and distance, flying keeps the eye") {
        CameraController c;
        c.fit({1, 2, 3}, 2.0f, {0, 0, 1}, 50.0f);
        const float distance = glm::length(c.eye() - c.target());
        CHECK(distance == doctest::Approx(2.0f / std::sin(glm::radians(25.0f)) * 1.05f));
        CameraInput drag;
        drag.rotate = true;
        drag.mouse_delta = {120.0f, -40.0f};
        CHECK(c.update(drag));
        CHECK(glm::length(c.target() - glm::vec3(1, 2, 3)) < 1e-5f);
        CHECK(glm::length(c.eye() - c.target()) == doctest::Approx(distance));

        c.set_mode(CameraMode::Fly);
        const glm::vec3 eye = c.eye();
        CHECK(c.update(drag));
        CHECK(glm::length(c.eye() - eye) < 1e-4f);
        // W for half a second moves forward by half the speed.
        CameraInput walk;
        walk.move = {0, 0, 1};
        walk.seconds = 0.5f;
        const glm::vec3 forward = c.forward();
        CHECK(c.update(walk));
        CHECK(glm::length(c.eye() - (eye + 0.5f * c.speed() * forward)) < 1e-4f);
        // No input, no change.
        CHECK_FALSE(c.update(CameraInput{}));
        // Scrolling while orbiting zooms in.
        c.set_mode(CameraMode::Orbit);
        CameraInput wheel;
        wheel.scroll = 2.0f;
        const float before = c.distance();
        CHECK(c.update(wheel));
        CHECK(c.distance() < before);
    }

    TEST_CASE("camera controller: a dataset camera is reproduced, and the fitted view is glint render's") {
        const Camera original = Camera::look_at({3, -2, 1.5f}, {0.2f, 0.1f, 0}, {0, 0, 1}, 40.0f, 320, 240);
        CameraController c;
        c.set_from_camera(original, {0, 0, 1}, 2.0f);
        CHECK(max_difference(c.camera(320, 240), original) < 1e-4f);
        CHECK(c.fov_y() == doctest::Approx(original.fov_y_degrees()));

        // The automatic view: azimuth 35, elevation 25 degrees, as view_options' fit_view computes it.
        CameraController fitted;
        fitted.fit({0, 0, 0}, 1.0f, {0, 0, 1}, 50.0f);
        const float d = 1.0f / std::sin(glm::radians(25.0f)) * 1.05f;
        const float az = glm::radians(35.0f), el = glm::radians(25.0f);
        // side = up x (1,0,0) = (0,1,0); other = side x up = (1,0,0)
        const glm::vec3 dir =
            std::cos(el) * (std::cos(az) * glm::vec3(0, 1, 0) + std::sin(az) * glm::vec3(1, 0, 0)) +
            std::sin(el) * glm::vec3(0, 0, 1);
        const Camera expected = Camera::look_at(d * dir, {0, 0, 0}, {0, 0, 1}, 50.0f, 100, 100);
        CHECK(max_difference(fitted.camera(100, 100), expected) < 1e-4f);
    }

    TEST_CASE("glint view without a display fails with a message, and a bad scene is exit 2") {
        const test::CommandResult no_display =
            test::run_glint_under("env -u DISPLAY -u WAYLAND_DISPLAY", "view");
        CHECK(no_display.exit_code == 1);
        CHECK(no_display.output.find("cannot open a window") != std::string::npos);
        const test::CommandResult missing = test::run_glint("view /nonexistent/scene.ply");
        CHECK(missing.exit_code == 2);
        CHECK(missing.output.find("/nonexistent/scene.ply") != std::string::npos);
        CHECK(test::run_glint("view --screenshot x.png").exit_code == 2);  // needs --frames
    }

    TEST_CASE("glint view under Xvfb: exits 0, no validation message, the screenshot shows scene and panel") {
        if (!have_xvfb()) {
            test::skip("xvfb-run is not installed (tools/setup.sh installs it)");
            return;
        }
        test::TempDir dir;
        const auto shot = dir.path() / "shot.png";
        const auto reference = dir.path() / "reference.png";
        const test::CommandResult run = test::run_glint_under(
            "xvfb-run -a -s '-screen 0 1280x720x24'",
            "view --frames 6 --width 960 --height 540 --validation --screenshot '" + shot.string() + "'");
        INFO(run.output);
        CHECK(run.exit_code == 0);
        CHECK(run.output.find("alidation") == std::string::npos);  // no message from the layer
        REQUIRE(std::filesystem::exists(shot));
        const Image8 image = read_image8(shot, 3);
        REQUIRE(image.width == 960);
        REQUIRE(image.height == 540);

        // The scene: right of the 340-pixel panel and below the menu bar (19 pixels with ImGui's default
        // font), the same automatic view glint render makes at that size.
        const int left = 340, top = 19, w = 960 - left, h = 540 - top;
        const test::CommandResult render =
            test::run_glint("render -q --width " + std::to_string(w) + " --height " + std::to_string(h) +
                            " -o '" + reference.string() + "'");
        REQUIRE(render.exit_code == 0);
        const Image8 expected = read_image8(reference, 3);
        double total = 0;
        std::size_t large = 0, bright = 0;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int k = 0; k < 3; ++k) {
                    const int a =
                        image.pixels[(static_cast<std::size_t>(y + top) * 960 + (x + left)) * 3 + k];
                    const int b = expected.pixels[(static_cast<std::size_t>(y) * w + x) * 3 + k];
                    total += std::abs(a - b);
                    large += std::abs(a - b) > 24 ? 1 : 0;
                    bright += b > 128 ? 1 : 0;
                }
        const double pixels = static_cast<double>(w) * h * 3;
        CHECK(total / pixels < 0.5);  // the same image, up to rounding of the camera
        CHECK(static_cast<double>(large) / pixels < 0.002);
        CHECK(static_cast<double>(bright) / pixels > 0.05);  // and not an empty one

        // The panel: ImGui's dark window background (0.06 grey at 94% over black) fills most of it, and
        // its active title bar colour (0.16, 0.29, 0.48) spans the title row.
        std::size_t background = 0, title = 0;
        for (int y = top; y < 540; ++y)
            for (int x = 0; x < left; ++x) {
                const std::uint8_t* p = &image.pixels[(static_cast<std::size_t>(y) * 960 + x) * 3];
                background += (p[0] >= 12 && p[0] <= 16 && p[0] == p[1] && p[1] == p[2]) ? 1 : 0;
                title += (std::abs(p[0] - 41) <= 1 && std::abs(p[1] - 74) <= 1 && std::abs(p[2] - 122) <= 1)
                             ? 1
                             : 0;
            }
        CHECK(background > std::size_t(left * (540 - top)) / 4);
        CHECK(title > 300);
    }
}

TEST_SUITE("cpu") {
    TEST_CASE(
        "glint view scene.nerf under Xvfb: refined over frames to glint render's image, panel for NeRFs") {
        if (!have_xvfb()) {
            test::skip("xvfb-run is not installed (tools/setup.sh installs it)");
            return;
        }
        test::TempDir dir;
        const auto scene = dir.path() / "small.nerf";
        const test::CommandResult train = test::run_glint(
            "train -q " + test::quoted(test::source_dir() / "assets" / "sample" / "dataset") + " -o " +
            test::quoted(scene) +
            " --iters 60 --eval-every 0 --downscale 4 --random-background --hash-levels 8 --hash-table-log2 "
            "14"
            " --hash-max-resolution 128 --nerf-steps 128 --occupancy-resolution 32 --batch-samples 8192");
        INFO(train.output);
        REQUIRE(train.exit_code == 0);
        const auto shot = dir.path() / "shot.png";
        const auto reference = dir.path() / "reference.png";
        // Two frames are asked for; the run goes on until the view is refined to full resolution.
        const test::CommandResult run = test::run_glint_under(
            "xvfb-run -a -s '-screen 0 1280x720x24'",
            "-v view " + test::quoted(scene) +
                " --frames 2 --width 800 --height 450 --validation --screenshot " + test::quoted(shot));
        INFO(run.output);
        CHECK(run.exit_code == 0);  // 1 when the validation layer reports
        CHECK(run.output.find("VUID") == std::string::npos);
        CHECK(run.output.find("progressive frame: quick frame") != std::string::npos);
        CHECK(run.output.find("progressive frame: refined") != std::string::npos);
        REQUIRE(std::filesystem::exists(shot));
        const Image8 image = read_image8(shot, 3);
        REQUIRE(image.width == 800);
        const int left = 340, top = 19, w = 800 - left, h = 450 - top;
        const test::CommandResult render =
            test::run_glint("render -q " + test::quoted(scene) + " --width " + std::to_string(w) +
                            " --height " + std::to_string(h) + " -o " + test::quoted(reference));
        REQUIRE(render.exit_code == 0);
        const Image8 expected = read_image8(reference, 3);
        double total = 0;
        std::size_t large = 0, lit = 0;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int k = 0; k < 3; ++k) {
                    const int a =
                        image.pixels[(static_cast<std::size_t>(y + top) * 800 + (x + left)) * 3 + k];
                    const int b = expected.pixels[(static_cast<std::size_t>(y) * w + x) * 3 + k];
                    total += std::abs(a - b);
                    large += std::abs(a - b) > 24 ? 1 : 0;
                    lit += b > 40 ? 1 : 0;
                }
        const double values = static_cast<double>(w) * h * 3;
        CHECK(total / values < 0.5);  // the full-resolution image, not the quick frame enlarged
        CHECK(static_cast<double>(large) / values < 0.002);
        CHECK(static_cast<double>(lit) / values > 0.02);  // and not an empty one
        // A damaged .nerf is the command's error, before any window opens.
        std::vector<std::byte> bytes = test::read_bytes(scene);
        bytes.resize(bytes.size() / 2);
        test::write_bytes(dir.path() / "half.nerf", bytes);
        const test::CommandResult bad = test::run_glint("view " + test::quoted(dir.path() / "half.nerf"));
        CHECK(bad.exit_code == 2);
        CHECK(bad.output.find("half.nerf") != std::string::npos);
    }

    TEST_CASE(
        "live training: the viewer takes new Gaussians by version, pause blocks the trainer, stop ends it") {
        splatting::LiveTraining live;
        splatting::GaussianCloud cloud;
        cloud.resize(3, 0, false);
        std::uint64_t version = 0;
        splatting::GaussianCloud seen;
        CHECK_FALSE(live.take_cloud(version, seen));  // nothing published yet
        live.publish(cloud, 0.0, true);
        REQUIRE(live.take_cloud(version, seen));
        CHECK(seen.size() == 3);
        CHECK_FALSE(live.take_cloud(version, seen));  // already taken
        cloud.resize(5, 0, false);
        live.publish(cloud, 0.1);  // sooner than the interval: not copied
        CHECK_FALSE(live.take_cloud(version, seen));
        live.publish(cloud, 0.1 + splatting::LiveTraining::kPublishInterval);
        REQUIRE(live.take_cloud(version, seen));
        CHECK(seen.size() == 5);

        for (std::size_t i = 0; i < splatting::LiveTraining::kCurveLength + 10; ++i)
            live.progress(static_cast<int>(i), 100000, 1.0, static_cast<double>(i), 1.0, 1.0, 5);
        const splatting::TrainingProgress p = live.snapshot();
        CHECK(p.loss_curve.size() <= splatting::LiveTraining::kCurveLength);
        CHECK(p.psnr_curve.size() == p.loss_curve.size());
        CHECK(p.psnr_curve.back() == doctest::Approx(splatting::LiveTraining::kCurveLength + 9));

        live.set_paused(true);
        std::atomic<int> result{-1};
        std::thread trainer([&] { result = live.keep_going() ? 1 : 0; });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CHECK(result == -1);  // still waiting while paused
        live.set_paused(false);
        trainer.join();
        CHECK(result == 1);
        live.set_paused(true);
        std::thread stopped([&] { result = live.keep_going() ? 1 : 0; });
        live.request_stop(true);
        stopped.join();
        CHECK(result == 0);
        CHECK(live.save_on_stop());
        CHECK(live.snapshot().state == splatting::TrainingState::Stopping);
        live.finish(splatting::TrainingState::Completed, "done");
        CHECK(live.done());
        CHECK(live.snapshot().state == splatting::TrainingState::Completed);
        live.set_paused(true);  // too late: a finished run stays finished
        CHECK(live.snapshot().state == splatting::TrainingState::Completed);
    }

    TEST_CASE("glint train --view under Xvfb: the viewer shows the model while it trains, closing it saves") {
        if (!have_xvfb()) {
            test::skip("xvfb-run is not installed (tools/setup.sh installs it)");
            return;
        }
        test::TempDir dir;
        REQUIRE(test::run_glint("synth -q " + test::quoted(test::data_dir() / "gltf/BoxTextured.glb") +
                                " -o " + test::quoted(dir / "box") + " --views 12 --res 64")
                    .exit_code == 0);
        const auto shot = dir / "shot.png";
        const test::CommandResult run = test::run_glint_under(
            "xvfb-run -a -s '-screen 0 1280x720x24'",
            "train " + test::quoted(dir / "box") + " -o " + test::quoted(dir / "box.ply") +
                " --iters 100000 --view --view-frames 40 --view-screenshot " + test::quoted(shot));
        INFO(run.output);
        CHECK(run.exit_code == 0);
        // 40 frames are far fewer than 100,000 iterations: closing the window stopped training and saved.
        CHECK(run.output.find("stopped from the viewer at iteration") != std::string::npos);
        CHECK(std::filesystem::exists(dir / "box.ply"));
        REQUIRE(std::filesystem::exists(shot));
        const Image8 image = read_image8(shot, 3);
        // The cube is drawn right of the panel (its white border and blue/green logo over black).
        std::size_t lit = 0;
        for (int y = 19; y < image.height; ++y)
            for (int x = 340; x < image.width; ++x)
                lit += image.pixels[(static_cast<std::size_t>(y) * image.width + x) * 3 + 1] > 60 ? 1 : 0;
        CHECK(lit > 5000);
    }
}

TEST_SUITE("cpu") {
    TEST_CASE("glint view --path under Xvfb: the camera path is drawn over the scene, and previews") {
        if (!have_xvfb()) {
            test::skip("xvfb-run is not installed (tools/setup.sh installs it)");
            return;
        }
        test::TempDir dir;
        {
            std::ofstream path(dir / "path.json");
            path << R"({"timing": "constant-speed", "duration": 4, "loop": true, "keyframes": [
                {"position": [3, 0, 1.2], "look_at": [0, 0, 0]}, {"position": [0, 3, 1.6], "look_at": [0, 0, 0]},
                {"position": [-3, 0, 1.2], "look_at": [0, 0, 0]}, {"position": [0, -3, 0.8], "look_at": [0, 0, 0]}]})";
        }
        // A scene in blues only: the default scene's rainbow has the path's hue somewhere, and which part
        // of it a preview frame shows depends on the machine's speed.
        tools::RandomSceneOptions blue;
        blue.count = 3000;
        blue.sh_degree = 0;
        blue.extent = 1.5f;
        splatting::GaussianCloud scene = tools::make_random_scene(blue);
        for (std::size_t i = 0; i < scene.size(); ++i) {
            scene.sh_dc()[3 * i] = -1.2f;
            scene.sh_dc()[3 * i + 1] = -0.6f;
            scene.sh_dc()[3 * i + 2] = 1.5f;
        }
        splatting::save_scene(scene, dir / "blue.ply");
        // Pixels in the path's colour right of the panel, with and without the path.
        const auto path_pixels = [&](const std::string& arguments, const std::filesystem::path& shot) {
            const test::CommandResult run = test::run_glint_under(
                "xvfb-run -a -s '-screen 0 1280x720x24'",
                "view " + test::quoted(dir / "blue.ply") +
                    " --frames 8 --width 960 --height 540 --lookat 6,6,5,0,0,0,0,0,1 --screenshot " +
                    test::quoted(shot) + " " + arguments);
            INFO(run.output);
            REQUIRE(run.exit_code == 0);
            const Image8 image = read_image8(shot, 3);
            std::size_t count = 0;
            for (int y = 19; y < image.height; ++y)
                for (int x = 340; x < image.width; ++x) {
                    const std::uint8_t* p =
                        &image.pixels[(static_cast<std::size_t>(y) * image.width + x) * 3];
                    // The curve's hue (drawn at 86% over the scene: (220, 173, 35) over black).
                    const int r = p[0], g = p[1], b = p[2];
                    count += r >= 170 && 100 * g >= 72 * r && 100 * g <= 86 * r && 100 * b <= 35 * r ? 1 : 0;
                }
            return count;
        };
        const std::size_t with_path = path_pixels("--path " + test::quoted(dir / "path.json"), dir / "a.png");
        const std::size_t without = path_pixels("", dir / "b.png");
        MESSAGE("path-coloured pixels: ", with_path, " with the path, ", without, " without");
        CHECK(with_path > 150);
        CHECK(without < with_path / 10);
        // Previewing moves the camera onto the path (the overlay is hidden while it plays).
        const std::size_t preview =
            path_pixels("--path " + test::quoted(dir / "path.json") + " --preview-path", dir / "c.png");
        MESSAGE("path-coloured pixels while previewing: ", preview);
        CHECK(preview < with_path / 10);
        const Image8 still = read_image8(dir / "b.png", 3), moving = read_image8(dir / "c.png", 3);
        double difference = 0;
        for (std::size_t i = 0; i < still.pixels.size(); ++i)
            difference += std::abs(still.pixels[i] - moving.pixels[i]);
        CHECK(difference / static_cast<double>(still.pixels.size()) > 5.0);
        // A bad path file is the command's error, found before a window opens (so without a display:
        // xvfb-run's own exit code, when its clean-up fails, would hide glint's).
        {
            std::ofstream bad(dir / "bad.json");
            bad << R"({"keyframes": [{"position": [1, 0, 0]}]})";
        }
        const test::CommandResult bad =
            test::run_glint("view --frames 2 --path " + test::quoted(dir / "bad.json"));
        CHECK(bad.exit_code == 2);
        CHECK(bad.output.find("bad.json: keyframe 0: needs") != std::string::npos);
    }

    TEST_CASE("glint view starts from the first camera of a transforms.json beside the scene") {
        if (!have_xvfb()) {
            test::skip("xvfb-run is not installed (tools/setup.sh installs it)");
            return;
        }
        test::TempDir dir;
        splatting::save_scene(tools::make_default_scene(), dir.path() / "scene.ply");
        // The viewer's scene area at 960x540 is 620x521 (panel and menu bar): a camera of that size sees
        // exactly what the viewer shows. OpenGL camera-to-world: above the scene at z = 9, looking down,
        // shifted so the view is not the automatic one.
        std::ofstream(dir.path() / "transforms.json")
            << R"({"camera_angle_x": 0.9, "w": 620, "h": 521, "frames": [{"file_path": "./images/a.png",)"
            << R"( "transform_matrix": [[1,0,0,0.7],[0,1,0,-0.4],[0,0,1,9],[0,0,0,1]]}]})";
        const auto shot = dir.path() / "shot.png";
        const auto reference = dir.path() / "reference.png";
        std::string scene = "'";  // built with += : GCC 12 warns falsely about "'" + string
        scene += (dir.path() / "scene.ply").string();
        scene += '\'';
        const test::CommandResult run = test::run_glint_under(
            "xvfb-run -a -s '-screen 0 1280x720x24'",
            "view " + scene + " --frames 3 --width 960 --height 540 --screenshot '" + shot.string() + "'");
        INFO(run.output);
        CHECK(run.exit_code == 0);
        CHECK(run.output.find("starting from") != std::string::npos);
        CHECK(run.output.find("transforms.json") != std::string::npos);
        const test::CommandResult render =
            test::run_glint("render -q " + scene + " --cameras '" +
                            (dir.path() / "transforms.json").string() + "' -o '" + reference.string() + "'");
        REQUIRE(render.exit_code == 0);
        const Image8 image = read_image8(shot, 3);
        const Image8 expected = read_image8(reference, 3);
        REQUIRE(expected.width == 620);
        REQUIRE(expected.height == 521);
        double total = 0;
        for (int y = 0; y < 521; ++y)
            for (int x = 0; x < 620; ++x)
                for (int k = 0; k < 3; ++k)
                    total += std::abs(
                        int(image.pixels[(static_cast<std::size_t>(y + 19) * 960 + (x + 340)) * 3 + k]) -
                        int(expected.pixels[(static_cast<std::size_t>(y) * 620 + x) * 3 + k]));
        CHECK(total / (620.0 * 521.0 * 3.0) < 0.5);
    }

    TEST_CASE(
        "glint view --lod-pixels --lod-levels under Xvfb: the hierarchy's cut in level colours, as render") {
        if (!have_xvfb()) {
            test::skip("xvfb-run is not installed (tools/setup.sh installs it)");
            return;
        }
        test::TempDir dir;
        tools::CityOptions city;
        city.count = 60000;
        splatting::save_scene(tools::make_city_scene(tools::make_default_scene(), city),
                              dir.path() / "city.ply");
        const std::string scene = test::quoted(dir.path() / "city.ply");
        const std::string hierarchy = test::quoted(dir.path() / "city_lod.ply");
        REQUIRE(test::run_glint("lod -q " + scene + " -o " + hierarchy).exit_code == 0);
        // From above one corner, so that far blocks are drawn by merged nodes.
        const std::string view = " --lookat 0,-22,9,0,0,-1.2,0,0,1 --lod-pixels 6 --lod-levels";
        const auto shot = dir.path() / "shot.png";
        const auto reference = dir.path() / "reference.png";
        const test::CommandResult run = test::run_glint_under(
            "xvfb-run -a -s '-screen 0 1280x720x24'",
            "view " + hierarchy + view + " --frames 3 --width 960 --height 540 --screenshot " +
                test::quoted(shot));
        INFO(run.output);
        CHECK(run.exit_code == 0);
        const test::CommandResult render = test::run_glint(
            "render -q " + hierarchy + view + " --width 620 --height 521 -o " + test::quoted(reference));
        REQUIRE(render.exit_code == 0);
        const Image8 image = read_image8(shot, 3);
        const Image8 expected = read_image8(reference, 3);
        double total = 0;
        std::size_t merged = 0;  // level colours past turbo's blues: nodes 3 or more levels up were drawn
        for (int y = 0; y < 521; ++y)
            for (int x = 0; x < 620; ++x) {
                const std::uint8_t* a =
                    &image.pixels[(static_cast<std::size_t>(y + 19) * 960 + (x + 340)) * 3];
                const std::uint8_t* b = &expected.pixels[(static_cast<std::size_t>(y) * 620 + x) * 3];
                for (int k = 0; k < 3; ++k) total += std::abs(int(a[k]) - int(b[k]));
                merged += b[1] > b[2] + 20 ? 1 : 0;
            }
        CHECK(total / (620.0 * 521.0 * 3.0) < 0.5);
        CHECK(merged > 500);
    }
}
