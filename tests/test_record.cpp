// Camera paths (interpolation, timing, JSON) and recording (MP4 read back with libavformat, PNG frames).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#if GLINT_TEST_VIDEO
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}
#endif

#include "glint/core/camera_path.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/scene/recorder.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "test_support.h"

using namespace glint;

namespace {

// The rotation angle between two orientations (from the chord, which stays accurate for small angles).
float angle_between(glm::quat a, glm::quat b) {
    a = glm::normalize(a);
    b = glm::normalize(b);
    if (glm::dot(a, b) < 0.0f) b = -b;
    const glm::vec4 d(a.w - b.w, a.x - b.x, a.y - b.y, a.z - b.z);
    return 4.0f * std::asin(std::min(1.0f, 0.5f * glm::length(d)));
}

// A wandering path: five keyframes at uneven spacing, looking at the origin, with fov and time changes.
CameraPath test_path(bool loop) {
    CameraPath path;
    path.loop = loop;
    const glm::vec3 positions[5] = {{4, 0, 1}, {3, 3, 1.5f}, {0, 4.5f, 2}, {-2, 2, 0.5f}, {-3, -1, 1}};
    const float fovs[5] = {50, 40, 40, 60, 45};
    const float times[5] = {0, 0.2f, 0.5f, 0.55f, 1.0f};
    const float durations[5] = {1.0f, 2.0f, 0.5f, 1.5f, 1.0f};
    for (int i = 0; i < 5; ++i) {
        Keyframe k;
        k.position = positions[i];
        k.orientation = look_at_orientation(k.position, {0, 0, 0}, {0, 0, 1});
        k.fov_y_degrees = fovs[i];
        k.time = times[i];
        k.duration = durations[i];
        path.keyframes.push_back(k);
    }
    return path;
}

#if GLINT_TEST_VIDEO
struct Decoded {
    int width = 0, height = 0, frames = 0;
    AVRational rate{0, 1};
    double duration = 0;
    std::vector<std::uint8_t> rgb;  // frame `keep`, [H, W, 3]
};

// Decodes every frame of an MP4's video stream, keeping frame `keep` as RGB (BT.709, limited range).
Decoded decode(const std::filesystem::path& file, int keep) {
    Decoded d;
    AVFormatContext* format = nullptr;
    REQUIRE(avformat_open_input(&format, file.c_str(), nullptr, nullptr) == 0);
    REQUIRE(avformat_find_stream_info(format, nullptr) >= 0);
    const int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    REQUIRE(index >= 0);
    AVStream* stream = format->streams[index];
    CHECK(std::string(avcodec_get_name(stream->codecpar->codec_id)) == "h264");
    CHECK(stream->codecpar->format == AV_PIX_FMT_YUV420P);
    d.width = stream->codecpar->width;
    d.height = stream->codecpar->height;
    d.rate = stream->avg_frame_rate;
    d.duration = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
    const AVCodec* decoder = avcodec_find_decoder(stream->codecpar->codec_id);
    REQUIRE(decoder != nullptr);
    AVCodecContext* codec = avcodec_alloc_context3(decoder);
    avcodec_parameters_to_context(codec, stream->codecpar);
    REQUIRE(avcodec_open2(codec, decoder, nullptr) == 0);
    AVPacket* packet = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    std::int64_t last_pts = -1;
    bool increasing = true;
    const auto drain = [&] {
        while (avcodec_receive_frame(codec, frame) == 0) {
            increasing = increasing && frame->pts > last_pts;
            last_pts = frame->pts;
            if (d.frames == keep) {
                SwsContext* sws = sws_getContext(d.width, d.height, AV_PIX_FMT_YUV420P, d.width, d.height,
                                                 AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr);
                const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
                sws_setColorspaceDetails(sws, bt709, 0, bt709, 1, 0, 1 << 16, 1 << 16);
                d.rgb.resize(static_cast<std::size_t>(d.width) * d.height * 3);
                std::uint8_t* out[1] = {d.rgb.data()};
                const int stride[1] = {3 * d.width};
                sws_scale(sws, frame->data, frame->linesize, 0, d.height, out, stride);
                sws_freeContext(sws);
            }
            ++d.frames;
        }
    };
    while (av_read_frame(format, packet) == 0) {
        if (packet->stream_index == index) {
            avcodec_send_packet(codec, packet);
            drain();
        }
        av_packet_unref(packet);
    }
    avcodec_send_packet(codec, nullptr);
    drain();
    CHECK(increasing);  // presentation timestamps in order
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
    return d;
}

double psnr8(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    REQUIRE(a.size() == b.size());
    double mse = 0;
    for (std::size_t i = 0; i < a.size(); ++i) mse += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    mse /= static_cast<double>(a.size()) * 255.0 * 255.0;
    return mse > 0 ? -10.0 * std::log10(mse) : 99.0;
}

// The frame a recording of `path` shows at frame k, rendered directly (CPU, black background).
std::vector<std::uint8_t> render_frame(const splatting::GaussianCloud& cloud, const CameraPath& path, int k,
                                       int frames, int width, int height) {
    const PathSampler sampler(path);
    const PathPose pose = sampler.at(scene::frame_path_time(k, frames, sampler.duration(), path.loop));
    const auto rasterizer = splatting::create_rasterizer(Backend::Cpu);
    splatting::RenderOutput out;
    rasterizer->render(cloud, camera_at(pose, width, height), {}, out);
    std::vector<std::uint8_t> rgb(out.color.size());
    for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = to_unorm8(out.color[i]);
    return rgb;
}
#endif

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("camera path: the spline passes through its keyframes at their times") {
    const CameraPath path = test_path(false);
    const PathSampler sampler(path);
    CHECK(sampler.duration() == doctest::Approx(1.0 + 2.0 + 0.5 + 1.5));
    float t = 0.0f;
    for (std::size_t i = 0; i < path.keyframes.size(); ++i) {
        const PathPose pose = sampler.at(t);
        const Keyframe& k = path.keyframes[i];
        CAPTURE(i);
        CHECK(glm::length(pose.position - k.position) < 1e-4f);
        CHECK(angle_between(pose.orientation, k.orientation) < 1e-3f);
        CHECK(pose.fov_y_degrees == doctest::Approx(k.fov_y_degrees).epsilon(1e-5));
        REQUIRE(pose.time.has_value());
        CHECK(*pose.time == doctest::Approx(*k.time).epsilon(1e-5));
        t += k.duration;
    }
}

TEST_CASE("camera path: continuous, with continuous velocity, and time never runs backwards") {
    for (const bool loop : {false, true}) {
        CAPTURE(loop);
        const PathSampler sampler(test_path(loop));
        const float dt = 1e-3f;
        float largest_step = 0, largest_turn = 0;
        PathPose previous = sampler.at(0.0f);
        for (float t = dt; t <= sampler.duration(); t += dt) {
            const PathPose pose = sampler.at(t);
            largest_step = std::max(largest_step, glm::length(pose.position - previous.position));
            largest_turn = std::max(largest_turn, angle_between(pose.orientation, previous.orientation));
            // Monotone: the keyframes' times rise (the loop's closing segment goes back to the start).
            if (!loop) CHECK(*pose.time >= *previous.time - 1e-6f);
            CHECK(*pose.time <= 1.0f + 1e-6f);
            CHECK(*pose.time >= -1e-6f);
            previous = pose;
        }
        // No jumps: at most a few times the path's mean speed (about 2.5 units/s) per millisecond.
        CHECK(largest_step < 0.03f);
        CHECK(largest_turn < 0.01f);
        // Velocity on both sides of each interior keyframe: the same direction and magnitude within a few
        // percent (position C1 at the keyframes, up to the change in segment duration).
        float t = 0.0f;
        const CameraPath& path = sampler.path();
        const std::size_t interior = loop ? path.keyframes.size() - 1 : path.keyframes.size() - 2;
        for (std::size_t i = 0; i < interior; ++i) {
            t += path.keyframes[i].duration;
            const float h = 1e-3f;
            const glm::vec3 before = (sampler.at(t).position - sampler.at(t - h).position) / h;
            const glm::vec3 after = (sampler.at(t + h).position - sampler.at(t).position) / h;
            CAPTURE(i);
            // Per-segment durations rescale the speed; the direction stays.
            CHECK(glm::dot(glm::normalize(before), glm::normalize(after)) > 0.999f);
        }
    }
}

TEST_CASE("camera path: constant speed, easing, loops and single keyframes") {
    CameraPath path = test_path(false);
    path.timing = PathTiming::ConstantSpeed;
    path.total_duration = 6.0f;
    const PathSampler sampler(path);
    CHECK(sampler.duration() == doctest::Approx(6.0));
    float slowest = 1e9f, fastest = 0.0f;
    const float dt = 0.01f;
    for (float t = dt; t + dt <= 6.0f; t += dt) {
        const float speed = glm::length(sampler.at(t + dt).position - sampler.at(t).position) / dt;
        slowest = std::min(slowest, speed);
        fastest = std::max(fastest, speed);
    }
    MESSAGE("constant speed: ", slowest, " to ", fastest, " units/s");
    CHECK(fastest < 1.03f * slowest);
    CHECK(glm::length(sampler.at(6.0f).position - path.keyframes.back().position) < 1e-4f);
    // Easing in and out: slow at both ends, still through the same places.
    path.easing = PathEasing::EaseInOut;
    const PathSampler eased(path);
    const float start_speed = glm::length(eased.at(0.01f).position - eased.at(0.0f).position) / 0.01f;
    CHECK(start_speed < 0.1f * slowest);
    CHECK(glm::length(eased.at(3.0f).position - sampler.at(3.0f).position) < 1e-4f);  // the middle agrees
    // A loop ends where it began.
    CameraPath loop = test_path(true);
    const PathSampler looped(loop);
    CHECK(looped.duration() == doctest::Approx(6.0));
    CHECK(glm::length(looped.at(6.0f).position - loop.keyframes[0].position) < 1e-4f);
    // One keyframe: a still shot of its duration.
    CameraPath still;
    still.keyframes.push_back(loop.keyframes[1]);
    const PathSampler one(still);
    CHECK(one.duration() == doctest::Approx(2.0));
    CHECK(glm::length(one.at(1.3f).position - loop.keyframes[1].position) == 0.0f);
    // A keyframe's view as a camera and back.
    const Camera camera = camera_at(one.at(0.0f), 64, 48);
    const Keyframe back = keyframe_from_camera(camera);
    CHECK(glm::length(back.position - loop.keyframes[1].position) < 1e-5f);
    CHECK(angle_between(back.orientation, loop.keyframes[1].orientation) < 1e-3f);
    CHECK(back.fov_y_degrees == doctest::Approx(loop.keyframes[1].fov_y_degrees).epsilon(1e-4));
    // look_at orientations look at the target: the camera's z axis points to it.
    const glm::mat3 axes = glm::mat3_cast(loop.keyframes[0].orientation);
    CHECK(glm::dot(axes[2], glm::normalize(-loop.keyframes[0].position)) > 0.9999f);
    CHECK(axes[1].z < 0.0f);  // image y (down) against world up
}

TEST_CASE("camera path JSON: round trip, look_at keyframes, and errors that name the file") {
    test::TempDir dir;
    const CameraPath path = test_path(true);
    write_camera_path(dir / "path.json", path);
    const CameraPath back = read_camera_path(dir / "path.json");
    REQUIRE(back.keyframes.size() == path.keyframes.size());
    CHECK(back.loop);
    for (std::size_t i = 0; i < path.keyframes.size(); ++i) {
        CHECK(glm::length(back.keyframes[i].position - path.keyframes[i].position) < 1e-6f);
        CHECK(angle_between(back.keyframes[i].orientation, path.keyframes[i].orientation) < 1e-4f);
        CHECK(*back.keyframes[i].time == *path.keyframes[i].time);
        CHECK(back.keyframes[i].duration == path.keyframes[i].duration);
    }
    const CameraPath hand = parse_camera_path(
        R"({"timing": "constant-speed", "duration": 4, "easing": "ease-in-out",
            "keyframes": [{"position": [4, 0, 1], "look_at": [0, 0, 0]},
                          {"position": [0, 4, 1], "look_at": [0, 0, 0], "up": [0, 0, 1], "fov": 35}]})",
        "hand.json");
    CHECK(hand.timing == PathTiming::ConstantSpeed);
    CHECK(hand.easing == PathEasing::EaseInOut);
    CHECK(hand.keyframes[1].fov_y_degrees == 35.0f);
    CHECK(angle_between(hand.keyframes[0].orientation, path.keyframes[0].orientation) < 1e-4f);
    const auto error = [](const std::string& text) {
        try {
            parse_camera_path(text, "bad.json");
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error("{").starts_with("bad.json: not valid JSON"));
    CHECK(error(R"({"keyframes": []})") == "bad.json: the camera path has no keyframes");
    CHECK(error(R"({"keyframes": [{"look_at": [0, 0, 0]}]})").find("\"position\" is missing") !=
          std::string::npos);
    CHECK(error(R"({"keyframes": [{"position": [1, 0, 0]}]})").find("needs \"orientation\" or \"look_at\"") !=
          std::string::npos);
    CHECK(error(R"({"keyframes": [{"position": [1, 0, 0], "look_at": [0, 0, 0], "fov": 200}]})")
              .find("field of view") != std::string::npos);
    CHECK(error(R"({"keyframes": [{"position": [1, 0, 0], "look_at": [0, 0, 0], "duration": 0}]})")
              .find("duration must be positive") != std::string::npos);
    CHECK(error(R"({"keyframes": [{"position": [1, 0, 0], "look_at": [0, 0, 0], "time": 1},
                                 {"position": [2, 0, 0], "look_at": [0, 0, 0]}]})")
              .find("either every keyframe sets the scene time or none does") != std::string::npos);
    CHECK(error(R"({"version": 2, "keyframes": []})").find("unsupported version") != std::string::npos);
    CHECK_THROWS_AS(read_camera_path(dir / "missing.json"), InputError);
}

TEST_CASE("frame timing and PNG sequence names") {
    CHECK(scene::frame_count(2.0f, 30) == 60);
    CHECK(scene::frame_count(0.001f, 30) == 1);
    CHECK(scene::frame_path_time(0, 60, 5.0f, false) == 0.0f);
    CHECK(scene::frame_path_time(59, 60, 5.0f, false) == doctest::Approx(5.0));
    CHECK(scene::frame_path_time(59, 60, 5.0f, true) == doctest::Approx(5.0 * 59 / 60));
    CHECK(scene::is_frame_pattern("frames/%05d.png"));
    CHECK(scene::is_frame_pattern("f%d.png"));
    CHECK_FALSE(scene::is_frame_pattern("fly.mp4"));
    CHECK_FALSE(scene::is_frame_pattern("a%05d%d.png"));
    CHECK_FALSE(scene::is_frame_pattern("a%s.png"));
    CHECK(scene::frame_file("frames/%05d.png", 7) == std::filesystem::path("frames/00007.png"));
    CHECK(scene::frame_file("f%d.png", 123) == std::filesystem::path("f123.png"));
}

#if GLINT_TEST_VIDEO
TEST_CASE("glint record: an MP4 with the requested frames, size and rate, matching glint render") {
    test::TempDir dir;
    const std::filesystem::path scene = test::source_dir() / "assets/default_scene.ply";
    const splatting::LoadedScene loaded = splatting::load_scene(scene);
    // A path around the default scene's centre. (At 640x360: at very small sizes the 4:2:0 chroma alone
    // costs this scene's fine colour detail more than 35 dB, even with lossless coding.)
    CameraPath path;
    path.timing = PathTiming::ConstantSpeed;
    path.total_duration = 2.0f;
    for (const glm::vec3 p : {glm::vec3(3, 0, 1), glm::vec3(2, 2, 1.5f), glm::vec3(0, 3, 1)}) {
        Keyframe k;
        k.position = p;
        k.orientation = look_at_orientation(p, {0, 0, 0}, {0, 0, 1});
        path.keyframes.push_back(k);
    }
    write_camera_path(dir / "path.json", path);
    const int width = 640, height = 360, fps = 12;
    const test::CommandResult r = test::run_glint(
        "record " + test::quoted(scene) + " --path " + test::quoted(dir / "path.json") + " -o " +
        test::quoted(dir / "fly.mp4") + " --res 640x360 --fps 12 --duration 1.5 --backend cpu");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const int frames = scene::frame_count(1.5f, fps);  // 18
    const int keep = 7;
    const Decoded d = decode(dir / "fly.mp4", keep);
    CHECK(d.frames == frames);
    CHECK(d.width == width);
    CHECK(d.height == height);
    CHECK(d.rate.num == fps * d.rate.den);
    CHECK(d.duration == doctest::Approx(1.5).epsilon(0.01));
    // The video is 1.5 s of a 2 s path: frame k shows the path at k / 17 of its length.
    const std::vector<std::uint8_t> expected = render_frame(loaded.cloud, path, keep, frames, width, height);
    const double psnr = psnr8(d.rgb, expected);
    MESSAGE("decoded frame ", keep, " against the direct rendering: ", psnr, " dB");
    CHECK(psnr >= 35.0);
    // A wrong frame is far off (the check can fail).
    CHECK(psnr8(d.rgb, render_frame(loaded.cloud, path, keep + 6, frames, width, height)) < psnr - 5.0);

    // PNG frames: exact.
    const test::CommandResult png = test::run_glint(
        "record " + test::quoted(scene) + " --path " + test::quoted(dir / "path.json") + " -o " +
        test::quoted(dir / "frames/%03d.png") + " --res 640x360 --fps 4 --backend cpu");
    INFO(png.output);
    REQUIRE(png.exit_code == 0);
    CHECK(std::filesystem::exists(dir / "frames/007.png"));
    CHECK_FALSE(std::filesystem::exists(dir / "frames/008.png"));
    const Image8 frame3 = read_image8(dir / "frames/003.png", 3);
    const std::vector<std::uint8_t> direct = render_frame(loaded.cloud, path, 3, 8, width, height);
    int differing = 0;
    for (std::size_t i = 0; i < direct.size(); ++i)
        differing += std::abs(int(frame3.pixels[i]) - direct[i]) > 1;
    CHECK(differing == 0);
}

TEST_CASE("glint record: bad input is refused and never replaces a previous video") {
    test::TempDir dir;
    const std::string scene = test::quoted(test::source_dir() / "assets/default_scene.ply");
    {
        std::ofstream old(dir / "fly.mp4");
        old << "previous video";
    }
    const auto run = [&](const std::string& arguments) {
        const test::CommandResult r =
            test::run_glint("record " + scene + " -o " + test::quoted(dir / "fly.mp4") + " " + arguments);
        CHECK(r.exit_code == 2);
        return r.output;
    };
    CHECK(run("--res 641x360").find("even width and height") != std::string::npos);
    CHECK(run("--res big").find("--res: expected WIDTHxHEIGHT") != std::string::npos);
    CHECK(run("--preset glacial").find("--preset") != std::string::npos);
    CHECK(run("--path " + test::quoted(dir / "none.json")).find("none.json: cannot open") !=
          std::string::npos);
    std::ifstream old(dir / "fly.mp4");
    std::string text;
    std::getline(old, text);
    CHECK(text == "previous video");
    const test::CommandResult avi =
        test::run_glint("record " + scene + " -o " + test::quoted(dir / "fly.avi"));
    CHECK(avi.exit_code == 2);
    CHECK(avi.output.find("an .mp4 file or a PNG sequence") != std::string::npos);
    // No temporary files left behind.
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        files += entry.is_regular_file();
    CHECK(files == 1);
}

#endif

TEST_SUITE_END();

TEST_CASE("nerfstudio camera_path.json: written and read back along the same poses, in the right axes") {
    const CameraPath orbit = orbit_path({0.5f, -0.2f, 1.0f}, 4.0f, {0, 0, 1}, 25.0f, 45.0f, 3.0f, 6);
    const std::string text = nerfstudio_camera_path_json(orbit, 640, 360, 10.0f);
    const nlohmann::json written = nlohmann::json::parse(text);
    CHECK(written["render_width"] == 640);
    CHECK(written["camera_path"].size() == 30);  // 3 s at 10 fps
    CHECK(written["keyframes"].size() == 6);
    const CameraPath back = parse_camera_path(text, "camera_path.json");
    REQUIRE(back.keyframes.size() == 30);
    const PathSampler original(orbit), imported(back);
    for (int f = 0; f < 30; ++f) {
        CAPTURE(f);
        const PathPose a = original.at(static_cast<float>(f) / 10.0f);
        const PathPose b = imported.at(static_cast<float>(f) / 10.0f);
        CHECK(glm::length(a.position - b.position) < 1e-4f);
        CHECK(std::fabs(glm::dot(a.orientation, b.orientation)) > 0.99999f);
        CHECK(b.fov_y_degrees == doctest::Approx(a.fov_y_degrees));
    }
    // nerfstudio's axes: an identity camera_to_world at (0, 0, 5) looks down -z with +y up in the image.
    const std::string one = R"({"camera_type": "perspective", "render_width": 100, "render_height": 80,
        "seconds": 1, "camera_path": [{"camera_to_world": [1,0,0,0, 0,1,0,0, 0,0,1,5, 0,0,0,1],
        "fov": 60, "aspect": 1.25}]})";
    const CameraPath still = parse_camera_path(one, "one.json");
    const Camera camera = camera_at(PathSampler(still).at(0.0f), 100, 80);
    const glm::vec3 origin = camera.rotation * glm::vec3(0.0f) + camera.translation;
    CHECK(origin.z == doctest::Approx(5.0f));  // in front, 5 away
    const glm::vec3 above = camera.rotation * glm::vec3(0.0f, 1.0f, 0.0f) + camera.translation;
    CHECK(above.y < 0.0f);  // world up is image up
    CHECK(camera.fov_y_degrees() == doctest::Approx(60.0f));
    // Bad input names the camera and the problem.
    const auto refused = [](const std::string& json_text, std::initializer_list<std::string_view> pieces) {
        test::check_input_error([&] { parse_camera_path(json_text, "bad.json"); }, pieces);
    };
    refused(R"({"camera_path": []})", {"bad.json", "non-empty"});
    refused(R"({"camera_path": [{"camera_to_world": [2,0,0,0, 0,1,0,0, 0,0,1,5, 0,0,0,1], "fov": 50}]})",
            {"bad.json", "camera_path[0]", "not a rotation"});
    refused(R"({"camera_path": [{"camera_to_world": [1,0,0,0, 0,1,0,0, 0,0,1,5, 0,0,0,1]}]})",
            {"bad.json", "camera_path[0]", "fov"});
    refused(
        R"({"camera_type": "fisheye", "camera_path": [{"camera_to_world": [1,0,0,0, 0,1,0,0, 0,0,1,5, 0,0,0,1], "fov": 50}]})",
        {"bad.json", "fisheye"});
}

TEST_CASE("glint record --export-nerfstudio writes a path that glint record --path reads") {
    test::TempDir dir;
    const auto exported = dir / "camera_path.json";
    const test::CommandResult run =
        test::run_glint("record -o " + test::quoted(dir / "a.mp4") +
                        " --res 64x48 --fps 12 --dry-run --export-nerfstudio " + test::quoted(exported));
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    REQUIRE(std::filesystem::exists(exported));
    const test::CommandResult again =
        test::run_glint("record -o " + test::quoted(dir / "b.mp4") +
                        " --res 64x48 --fps 12 --dry-run --path " + test::quoted(exported));
    INFO(again.output);
    CHECK(again.exit_code == 0);
    CHECK(again.output.find("96 keyframes") != std::string::npos);  // the 8 s orbit at 12 fps
}
