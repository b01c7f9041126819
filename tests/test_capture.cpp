// Captures into datasets: COLMAP's progress read from its real output, video frames decoded and the
// sharpest picked, glint process run end to end with Debian's COLMAP (skipped where it is missing), the
// fixtures of real COLMAP runs (a distorted model, a video) loaded, and every bad input refused.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <glm/glm.hpp>
#include <nlohmann/json.hpp>

#include "glint/capture/colmap.h"
#include "glint/capture/frames.h"
#include "glint/capture/multiview_video.h"
#include "glint/capture/process.h"
#include "glint/core/camera_io.h"
#include "glint/core/dataset.h"
#include "glint/core/image_io.h"
#include "glint/core/lens.h"
#include "glint/core/npy.h"
#include "glint/media/video_decoder.h"
#include "glint/media/video_encoder.h"
#include "glint/synth/synth.h"
#include "test_support.h"

namespace glint {
namespace {

namespace fs = std::filesystem;

// A `size` x `size` RGB checkerboard of `cell` pixel cells, or flat grey when `cell` is 0.
std::vector<std::uint8_t> checkerboard(int width, int height, int cell) {
    std::vector<std::uint8_t> rgb(static_cast<std::size_t>(width) * height * 3, 128);
    if (cell == 0) return rgb;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const std::uint8_t v = ((x / cell + y / cell) % 2) != 0 ? 230 : 25;
            for (int c = 0; c < 3; ++c) rgb[(static_cast<std::size_t>(y) * width + x) * 3 + c] = v;
        }
    return rgb;
}

bool colmap_available() {
    return capture::find_colmap().has_value();
}

// Photos of the textured scene through a lens (the colmap_distorted fixture's 24) in a folder of their own.
fs::path copy_fixture_photos(const test::TempDir& dir) {
    const fs::path photos = dir / "photos";
    fs::create_directories(photos);
    for (const auto& entry : fs::directory_iterator(test::data_dir() / "colmap_distorted/images"))
        fs::copy_file(entry.path(), photos / entry.path().filename());
    return photos;
}

}  // namespace

TEST_CASE("COLMAP's progress and problems are read from the lines it prints") {
    using capture::parse_progress;
    const auto at = [](std::string_view line, long images) {
        const auto p = parse_progress(line, images);
        return p ? std::pair{p->done, p->total} : std::pair{-1L, -1L};
    };
    // Lines as COLMAP 3.8 prints them (feature_extractor, exhaustive_matcher, sequential_matcher, mapper,
    // image_undistorter).
    CHECK(at("Processed file [3/24]", 0) == std::pair{3L, 24L});
    CHECK(at("Matching block [2/3, 3/3] in 2.864s", 0) == std::pair{6L, 9L});
    CHECK(at("Matching block [1/1, 1/1] in 2.864s", 0) == std::pair{1L, 1L});
    CHECK(at("Matching image [5/40] in 0.103s", 0) == std::pair{5L, 40L});
    CHECK(at("Registering image #23 (3)", 24) == std::pair{3L, 24L});
    CHECK(at("Initializing with image pair #22 and #21", 24) == std::pair{2L, 24L});
    CHECK(at("Undistorting image [1/14]", 0) == std::pair{1L, 14L});
    CHECK(at("Registering image #23 (3)", 0) == std::pair{-1L, -1L});  // no image count: no fraction
    CHECK(at("  Features:        180", 24) == std::pair{-1L, -1L});
    CHECK(at("Processed file [3/0]", 0) == std::pair{-1L, -1L});
    CHECK(at("Processed file [x/24]", 0) == std::pair{-1L, -1L});

    CHECK(capture::is_problem_line("E1207 04:01:02.123 database.cc:100] Check failed: x"));
    CHECK(capture::is_problem_line("  => No good initial image pair found."));
    CHECK(capture::is_problem_line("ERROR: failed to create sparse model"));
    CHECK_FALSE(capture::is_problem_line("Elapsed time: 0.048 [minutes]"));
    CHECK_FALSE(capture::is_problem_line("Estimating two-view geometry"));
}

TEST_CASE("sharpness ranks a detailed frame over a blurred one, and downsizing keeps the aspect") {
    const int w = 64, h = 48;
    const std::vector<std::uint8_t> sharp = checkerboard(w, h, 4), flat = checkerboard(w, h, 0);
    std::vector<std::uint8_t> blurred(sharp.size());
    for (int y = 0; y < h; ++y)  // a 5x5 box blur of the checkerboard
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) {
                int sum = 0, n = 0;
                for (int dy = -2; dy <= 2; ++dy)
                    for (int dx = -2; dx <= 2; ++dx) {
                        const int yy = std::clamp(y + dy, 0, h - 1), xx = std::clamp(x + dx, 0, w - 1);
                        sum += sharp[(static_cast<std::size_t>(yy) * w + xx) * 3 + c];
                        ++n;
                    }
                blurred[(static_cast<std::size_t>(y) * w + x) * 3 + c] = static_cast<std::uint8_t>(sum / n);
            }
    const double s_sharp = capture::sharpness(sharp, w, h), s_blur = capture::sharpness(blurred, w, h);
    CHECK(capture::sharpness(flat, w, h) == doctest::Approx(0.0));
    CHECK(s_sharp > 4.0 * s_blur);
    CHECK(s_blur > 0.0);

    std::vector<std::uint8_t> image = sharp;
    int width = w, height = h;
    capture::limit_size(image, width, height, 32);
    CHECK(width == 32);
    CHECK(height == 24);
    CHECK(image.size() == 32u * 24u * 3u);
    capture::limit_size(image, width, height, 100);  // already within: unchanged
    CHECK(width == 32);
    capture::limit_size(image, width, height, 0);
    CHECK(width == 32);
}

#if GLINT_TEST_VIDEO
TEST_CASE("video frames are decoded with their times, and the sharpest of each window is kept") {
    test::TempDir dir;
    const int w = 64, h = 48;
    {
        // 2 s at 10 fps: in each half second (5 frames) one detailed frame, the others flat grey.
        media::VideoSettings settings;
        settings.width = w;
        settings.height = h;
        settings.fps = 10;
        settings.crf = 12;
        settings.preset = "ultrafast";
        media::VideoEncoder encoder(dir / "clip.mp4", settings);
        for (int k = 0; k < 20; ++k) {
            const std::vector<std::uint8_t> rgb = checkerboard(w, h, k % 5 == 2 ? 4 : 0);
            std::vector<std::uint8_t> rgbx(static_cast<std::size_t>(w) * h * 4, 255);
            for (std::size_t i = 0; i < static_cast<std::size_t>(w) * h; ++i)
                for (int c = 0; c < 3; ++c) rgbx[i * 4 + c] = rgb[i * 3 + c];
            encoder.add_frame(rgbx);
        }
        encoder.finish();
    }
    media::VideoDecoder decoder(dir / "clip.mp4");
    CHECK(decoder.info().width == w);
    CHECK(decoder.info().height == h);
    CHECK(decoder.info().fps == doctest::Approx(10.0));
    CHECK(decoder.info().codec == "h264");
    media::VideoFrame frame;
    std::vector<double> times;
    while (decoder.next(frame)) {
        times.push_back(frame.time);
        CHECK(frame.width == w);
        CHECK(frame.rgb.size() == static_cast<std::size_t>(w) * h * 3);
    }
    REQUIRE(times.size() == 20);
    for (std::size_t k = 0; k < times.size(); ++k)
        CHECK(times[k] == doctest::Approx(0.1 * static_cast<double>(k)).epsilon(1e-6));

    const capture::ExtractedFrames kept =
        capture::extract_frames(dir / "clip.mp4", dir / "frames", {.rate = 2.0});
    CHECK(kept.decoded == 20);
    REQUIRE(kept.files.size() == 4);
    CHECK(kept.files.front().filename() == "frame_00001.jpg");
    for (const fs::path& file : kept.files) {
        const Image8 image = read_image8(file, 3);
        CHECK(capture::sharpness(image.pixels, image.width, image.height) > 1000.0);  // a checkerboard
    }
    // A frame limit widens the windows: 2 frames from 2 s.
    const capture::ExtractedFrames two = capture::extract_frames(
        dir / "clip.mp4", dir / "two", {.rate = 2.0, .max_frames = 2, .max_size = 32});
    CHECK(two.files.size() == 2);
    CHECK(read_image_size(two.files.front()).width == 32);

    // Not a video, though it is called one.
    test::write_bytes(dir / "fake.mp4", test::as_bytes("not a video at all"));
    test::check_input_error([&] { media::VideoDecoder bad(dir / "fake.mp4"); }, {"fake.mp4", "not a video"});
    test::check_input_error([&] { media::VideoDecoder bad(dir / "missing.mp4"); },
                            {"missing.mp4", "no such"});
}
#endif

TEST_CASE(
    "the fixture COLMAP made from photos through a lens loads undistorted, its lens near the true one") {
    const fs::path root = test::data_dir() / "colmap_distorted";
    const Dataset d = load_dataset(root);
    CHECK(d.train.size() + d.test.size() == 24);
    CHECK(d.distortion.find("OPENCV (k1 ") == 0);
    const DatasetView& view = d.train.front();
    CHECK(view.lens.model == LensDistortion::Model::OpenCV);
    // The photos were rendered through OPENCV:-0.25,0.06,0.001,-0.001 (LENS); COLMAP fitted the lens
    // with the focal length from 24 small photos: a barrel lens, its k1 within 0.05 of the truth.
    std::ifstream lens_file(root / "LENS");
    std::string truth;
    lens_file >> truth;
    CHECK(truth == "OPENCV:-0.25,0.06,0.001,-0.001");
    CHECK(view.lens.k1 < -0.15);
    CHECK(view.lens.k1 > -0.30);
    const ImageRgb image = d.load_image(view);
    CHECK(image.width == view.camera.width);
    CHECK(d.points.size() > 300);
}

TEST_CASE("the fixture COLMAP made from a short video loads with every frame it posed") {
    const Dataset d = load_dataset(test::data_dir() / "colmap_video");
    CHECK(d.train.size() + d.test.size() >= 20);  // of 24 frames kept from the video
    CHECK(d.distortion.empty());                  // undistorted by COLMAP: pinhole cameras
    CHECK(d.points.size() > 300);
    for (const DatasetView& v : d.train) CHECK(v.image.filename().string().starts_with("frame_"));
}

TEST_CASE("glint render --distortion makes the photo a lens takes: undistorted, it is the pinhole render") {
    test::TempDir dir;
    const fs::path scene = test::data_dir() / "splats/donut_sh0.ply";
    const std::string view = " --lookat 0,0.25,0.2,0,0,0,0,0,1 --width 160 --height 120 --background white";
    fs::create_directories(dir / "images");
    REQUIRE(test::run_glint("render -q " + test::quoted(scene) + view +
                            " --fov 60 --distortion OPENCV:-0.25,0.06,0.001,-0.001 -o " +
                            test::quoted(dir / "images/photo.png"))
                .exit_code == 0);
    // The photo's camera (60 degrees vertically over 120 pixels) and lens, in a transforms.json.
    const double f = 60.0 / std::tan(glm::radians(30.0));
    nlohmann::json transforms{{"w", 160},
                              {"h", 120},
                              {"fl_x", f},
                              {"fl_y", f},
                              {"cx", 80},
                              {"cy", 60},
                              {"k1", -0.25},
                              {"k2", 0.06},
                              {"p1", 0.001},
                              {"p2", -0.001},
                              {"camera_model", "OPENCV"}};
    const nlohmann::json pose = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    transforms["frames"] = {{{"file_path", "images/photo.png"}, {"transform_matrix", pose}},
                            {{"file_path", "images/photo.png"}, {"transform_matrix", pose}}};
    std::ofstream(dir / "transforms.json") << transforms.dump();
    DatasetOptions options;
    options.test_every = 0;
    const Dataset d = load_dataset(dir.path(), options);
    const DatasetView& v = d.train.front();
    const ImageRgb undistorted = d.load_image(v);
    // The pinhole camera the loader undistorts onto, rendered directly.
    const double fov = glm::degrees(2.0 * std::atan(60.0 / v.camera.fy));
    REQUIRE(test::run_glint("render -q " + test::quoted(scene) + view + " --fov " + std::to_string(fov) +
                            " -o " + test::quoted(dir / "pinhole.png"))
                .exit_code == 0);
    const Image8 expected = read_image8(dir / "pinhole.png", 3);
    REQUIRE(expected.pixels.size() == undistorted.rgb.size());
    double mse = 0.0;
    for (std::size_t i = 0; i < expected.pixels.size(); ++i) {
        const double e = undistorted.rgb[i] - expected.pixels[i] / 255.0;
        mse += e * e;
    }
    const double psnr = 10.0 * std::log10(static_cast<double>(expected.pixels.size()) / std::max(mse, 1e-12));
    MESSAGE("distorted render, undistorted at load, against the pinhole render: ", psnr, " dB");
    CHECK(psnr > 30.0);
}

TEST_CASE("glint process refuses bad input with the reason, before running COLMAP") {
    test::TempDir dir;
    const auto run = [](const std::string& args) { return test::run_glint("process " + args); };
    auto r = run(test::quoted(dir / "missing") + " -o " + test::quoted(dir / "out"));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("no such folder or video") != std::string::npos);

    fs::create_directories(dir / "two");
    for (const char* name : {"a.png", "b.png"})
        fs::copy_file(test::data_dir() / "colmap_fixture/images/view_00.png", dir / "two" / name);
    r = run(test::quoted(dir / "two") + " -o " + test::quoted(dir / "out"));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("2 photos") != std::string::npos);
    CHECK(r.output.find("at least 3") != std::string::npos);

    test::write_bytes(dir / "notes.txt", test::as_bytes("not a capture"));
    r = run(test::quoted(dir / "notes.txt") + " -o " + test::quoted(dir / "out"));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("not a folder of photos or a video") != std::string::npos);

    fs::create_directories(dir / "taken");
    r = run(test::quoted(test::data_dir() / "colmap_fixture/images") + " -o " + test::quoted(dir / "taken"));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("already exists") != std::string::npos);

    r = run(test::quoted(test::data_dir() / "colmap_fixture/images") + " -o " + test::quoted(dir / "out") +
            " --colmap /nonexistent/colmap");
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("/nonexistent/colmap: cannot run it as COLMAP") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out"));

#if GLINT_TEST_VIDEO
    test::write_bytes(dir / "broken.mp4", test::as_bytes("truncated"));
    r = run(test::quoted(dir / "broken.mp4") + " -o " + test::quoted(dir / "out"));
    if (colmap_available()) {
        CHECK(r.exit_code == 2);
        CHECK(r.output.find("broken.mp4: not a video") != std::string::npos);
    }
#endif
}

TEST_CASE("glint process poses photos with COLMAP, and a failed run leaves the previous dataset whole") {
    if (!colmap_available()) {
        test::skip("COLMAP is not installed (tools/setup.sh installs it)");
        return;
    }
    test::TempDir dir;
    const fs::path photos = copy_fixture_photos(dir);
    const auto r = test::run_glint("process " + test::quoted(photos) + " -o " + test::quoted(dir / "ds") +
                                   " --threads 2");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    for (const char* stage :
         {"feature extraction", "feature matching: exhaustive", "mapping", "undistortion"})
        CHECK(r.output.find(stage) != std::string::npos);
    std::ifstream record_file(dir / "ds/process.json");
    const nlohmann::json record = nlohmann::json::parse(record_file);
    CHECK(record["images"] == 24);
    CHECK(record["registered"].get<int>() >= 20);
    CHECK(record["reprojection_error"].get<double>() < 1.0);
    CHECK(record["points"].get<int>() > 300);
    const Dataset d = load_dataset(dir / "ds");
    CHECK(d.train.size() + d.test.size() == record["registered"].get<std::size_t>());
    CHECK(fs::exists(dir / "ds/distorted/sparse/0/cameras.bin"));
    CHECK_FALSE(fs::exists(dir / "ds/stereo"));
    CHECK_FALSE(fs::exists(dir / "ds.partial"));

    // Again without --overwrite: refused. With it, but a run that fails: the dataset is untouched.
    CHECK(test::run_glint("process " + test::quoted(photos) + " -o " + test::quoted(dir / "ds")).exit_code ==
          2);
    fs::create_directories(dir / "blank");
    for (int i = 0; i < 4; ++i) {  // four flat images: COLMAP finds nothing to match
        const std::vector<std::uint8_t> grey(64 * 48 * 3, 100);
        write_png(dir / "blank" / ("flat_" + std::to_string(i) + ".png"), 64, 48, 3, grey);
    }
    const auto failed = test::run_glint("process " + test::quoted(dir / "blank") + " -o " +
                                        test::quoted(dir / "ds") + " --overwrite");
    CHECK(failed.exit_code == 1);
    CHECK(failed.output.find("failed") != std::string::npos);
    CHECK(load_dataset(dir / "ds").train.size() == d.train.size());
}

TEST_CASE("glint train PHOTOS poses them first, and a second run uses that dataset again") {
    if (!colmap_available()) {
        test::skip("COLMAP is not installed (tools/setup.sh installs it)");
        return;
    }
    test::TempDir dir;
    const fs::path photos = copy_fixture_photos(dir);
    const std::string args = "train " + test::quoted(photos) + " -o " + test::quoted(dir / "scene.ply") +
                             " --iters 30 --eval-every 30 --downscale 2";
    const auto first = test::run_glint(args);
    INFO(first.output);
    REQUIRE(first.exit_code == 0);
    CHECK(first.output.find("posing it with COLMAP") != std::string::npos);
    CHECK(fs::exists(dir / "scene_dataset/sparse/0"));
    CHECK(fs::exists(dir / "scene.ply"));
    const auto second = test::run_glint(args);
    CHECK(second.exit_code == 0);
    CHECK(second.output.find("posed before") != std::string::npos);
    CHECK(second.output.find("feature extraction") == std::string::npos);
}

#if GLINT_TEST_VIDEO
TEST_CASE("glint process poses the frames of a video") {
    if (!colmap_available()) {
        test::skip("COLMAP is not installed (tools/setup.sh installs it)");
        return;
    }
    test::TempDir dir;
    const auto r =
        test::run_glint("process " + test::quoted(test::data_dir() / "capture_video/orbit.mp4") + " -o " +
                        test::quoted(dir / "ds") + " --fps 3 --camera-model SIMPLE_RADIAL --threads 2");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("24 frames kept of 96") != std::string::npos);
    CHECK(r.output.find("feature matching: sequential") != std::string::npos);
    const Dataset d = load_dataset(dir / "ds");
    CHECK(d.train.size() + d.test.size() >= 20);
}
#endif

}  // namespace glint

namespace glint {

#if GLINT_TEST_VIDEO
TEST_CASE("multi-view video in the N3V layout: videos and LLFF poses decode into a time-stamped dataset") {
    test::TempDir dir;
    // A 3-camera x 5-frame animation rendered by glint synth, each camera's frames encoded as camNN.mp4
    // by glint's encoder, and the cameras written as LLFF's poses_bounds.npy.
    synth::SynthOptions options;
    options.views = 3;
    options.frames = 5;
    options.width = 48;
    options.points = 100;
    synth::synthesize(test::data_dir() / "gltf/Fox.glb", dir / "synth", options);
    const CameraSet truth = load_cameras(dir / "synth/transforms.json");
    fs::create_directories(dir / "n3v");
    std::vector<double> poses;
    for (int cam = 0; cam < 3; ++cam) {
        media::VideoSettings settings;
        settings.width = settings.height = 48;
        settings.fps = 5;
        settings.crf = 10;
        settings.preset = "ultrafast";
        media::VideoEncoder encoder(dir / "n3v" / ("cam0" + std::to_string(cam) + ".mp4"), settings);
        for (int k = 0; k < 5; ++k) {
            char name[64];
            std::snprintf(name, sizeof name, "synth/images/r_%03d_f%03d.png", cam, k);
            const Image8 image = read_image8(dir / name, 4);
            std::vector<std::uint8_t> over_white(image.pixels.size());
            for (std::size_t p = 0; p < image.pixels.size() / 4; ++p)
                for (int c = 0; c < 4; ++c) {
                    const int a = image.pixels[4 * p + 3];
                    over_white[4 * p + c] = static_cast<std::uint8_t>(
                        (image.pixels[4 * p + c] * a + 255 * (255 - a) + 127) / 255);
                }
            encoder.add_frame(over_white);
        }
        encoder.finish();
        const Camera& c = truth.cameras[static_cast<std::size_t>(cam)];  // frame 0 of camera `cam`
        const glm::mat3 axes = glm::transpose(c.rotation);               // columns: right, down, forward
        const glm::vec3 position = c.position();
        const glm::vec3 columns[4] = {axes[1], axes[0], -axes[2], position};  // LLFF: down, right, back
        for (int r = 0; r < 3; ++r) {
            for (const glm::vec3& column : columns) poses.push_back(column[r]);
            poses.push_back(r == 0 ? 48.0 : (r == 1 ? 48.0 : static_cast<double>(c.fx)));
        }
        poses.push_back(0.1);
        poses.push_back(10.0);
    }
    write_npy(dir / "n3v/poses_bounds.npy", {3, 17}, poses);
    CHECK(read_npy(dir / "n3v/poses_bounds.npy").data == poses);

    REQUIRE(capture::is_multiview_video(dir / "n3v"));
    const capture::MultiviewVideo video = capture::prepare_multiview_video(dir / "n3v");
    CHECK(video.cameras == 3);
    CHECK(video.frames == 5);
    CHECK_FALSE(video.reused);
    CHECK(capture::prepare_multiview_video(dir / "n3v").reused);  // the cache serves the second time
    const Dataset d = load_dataset(video.dataset);
    REQUIRE(d.train.size() == 10);
    REQUIRE(d.test.size() == 5);  // cam00, every frame
    for (std::size_t k = 0; k < 5; ++k)
        CHECK(d.test[k].time == doctest::Approx(0.25 * static_cast<double>(k)));
    // The cameras come back as synth placed them, and the frames as it rendered them.
    for (const DatasetView& v : d.test) {
        const Camera& c = truth.cameras[0];
        CHECK(glm::length(v.camera.position() - c.position()) < 1e-4f);
        CHECK(glm::length(v.camera.rotation[2] - c.rotation[2]) < 1e-4f);
        CHECK(v.camera.fx == doctest::Approx(c.fx).epsilon(1e-5));
    }
    const ImageRgb decoded = d.load_image(d.train.front());
    const Image8 original = read_image8(dir / "synth/images/r_001_f000.png", 4);
    double mse = 0.0;
    for (std::size_t p = 0; p < original.pixels.size() / 4; ++p)
        for (int c = 0; c < 3; ++c) {
            const double a = original.pixels[4 * p + 3] / 255.0;
            const double e = decoded.rgb[3 * p + c] - (original.pixels[4 * p + c] / 255.0 * a + (1.0 - a));
            mse += e * e;
        }
    const double psnr = 10.0 * std::log10(3.0 * static_cast<double>(original.pixels.size() / 4) / mse);
    MESSAGE("an N3V frame decoded against the image it was encoded from: ", psnr, " dB");
    CHECK(psnr > 30.0);
    // glint train takes the layout as it comes and trains 4D Gaussians on the cached frames.
    const test::CommandResult trained =
        test::run_glint("train -q " + test::quoted(dir / "n3v") + " -o " + test::quoted(dir / "n3v.ply") +
                        " --iters 30 --init random");
    INFO(trained.output);
    CHECK(trained.exit_code == 0);
    CHECK(test::run_glint("info " + test::quoted(dir / "n3v.ply")).output.find("4D") != std::string::npos);

    // A poses file that does not fit the videos.
    write_npy(dir / "n3v/poses_bounds.npy", {2, 17}, std::vector<double>(34, 0.5));
    test::check_input_error([&] { capture::prepare_multiview_video(dir / "n3v"); },
                            {"poses_bounds.npy", "2 cameras", "3 camNN videos"});
    test::write_bytes(dir / "n3v/poses_bounds.npy", test::as_bytes("\x93NUMPY\x01\x00garbage"));
    test::check_input_error([&] { read_npy(dir / "n3v/poses_bounds.npy"); }, {"poses_bounds.npy"});
}
#endif

}  // namespace glint
