// Camera files: transforms.json (OpenGL camera-to-world) and COLMAP models (text and binary).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <glm/gtc/matrix_transform.hpp>

#include "glint/core/camera_io.h"
#include "glint/core/image_io.h"
#include "test_support.h"

using namespace glint;

namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
    test::write_bytes(path, test::as_bytes(text));
}

// Projects a world point with the camera: pixel coordinates and camera-space depth.
glm::vec3 project(const Camera& c, glm::vec3 world) {
    const glm::vec3 v = c.rotation * world + c.translation;
    return {c.fx * v.x / v.z + c.cx, c.fy * v.y / v.z + c.cy, v.z};
}

// An OpenGL camera-to-world matrix (Blender / NeRF convention) at `eye` looking at `target`, z up.
std::string gl_matrix_json(glm::vec3 eye, glm::vec3 target) {
    const glm::vec3 back = glm::normalize(eye - target);  // GL camera z points backwards
    const glm::vec3 right = glm::normalize(glm::cross({0, 0, 1}, back));
    const glm::vec3 up = glm::cross(back, right);
    const glm::vec3 axes[3] = {right, up, back};
    std::ostringstream json;
    json << "[";
    for (int r = 0; r < 3; ++r)
        json << "[" << axes[0][r] << "," << axes[1][r] << "," << axes[2][r] << "," << eye[r] << "],";
    json << "[0,0,0,1]]";
    return json.str();
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("transforms.json: OpenGL poses become OpenCV cameras that look where the matrix looks") {
    test::TempDir dir;
    const glm::vec3 eye(3.0f, -2.0f, 1.5f), target(0.2f, 0.1f, 0.0f);
    write_text(
        dir / "transforms.json",
        R"({"camera_angle_x": 0.6911, "w": 800, "h": 600, "frames": [)"
        R"({"file_path": "./train/r_0", "transform_matrix": )" +
            gl_matrix_json(eye, target) +
            R"(}, {"file_path": "./train/r_1", "fl_x": 500, "fl_y": 510, "cx": 390, "cy": 305, "transform_matrix": )" +
            gl_matrix_json(eye, target) + "}]}");
    const CameraSet set = load_cameras(dir / "transforms.json");
    REQUIRE(set.cameras.size() == 2);
    CHECK(set.names[0] == "./train/r_0");
    const Camera& a = set.cameras[0];
    CHECK(a.width == 800);
    CHECK(a.height == 600);
    CHECK(a.fx == doctest::Approx(400.0 / std::tan(0.5 * 0.6911)).epsilon(1e-5));
    CHECK(a.fy == doctest::Approx(a.fx));
    CHECK(a.cx == 400.0f);
    const glm::vec3 t = project(a, target);
    CHECK(t.x == doctest::Approx(400.0).epsilon(1e-4));
    CHECK(t.y == doctest::Approx(300.0).epsilon(1e-4));
    CHECK(t.z > 0.0f);
    // A point above the target (world z up) appears above the image centre (smaller y).
    CHECK(project(a, target + glm::vec3(0, 0, 0.3f)).y < 300.0f);
    CHECK(glm::length(a.position() - eye) < 1e-4f);
    // Per-frame intrinsics override the global ones.
    const Camera& b = set.cameras[1];
    CHECK(b.fx == 500.0f);
    CHECK(b.fy == 510.0f);
    CHECK(b.cx == 390.0f);
    CHECK(b.cy == 305.0f);
}

TEST_CASE("transforms.json without w/h reads the size from the image") {
    test::TempDir dir;
    std::filesystem::create_directory(dir / "train");
    const std::vector<std::uint8_t> pixels(64 * 48 * 3, 128);
    write_png(dir / "train/r_0.png", 64, 48, 3, pixels);
    write_text(dir / "transforms.json",
               R"({"camera_angle_x": 0.7, "frames": [{"file_path": "./train/r_0", )"
               R"("transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}]})");
    const CameraSet set = load_cameras(dir.path());  // the folder works too
    REQUIRE(set.cameras.size() == 1);
    CHECK(set.cameras[0].width == 64);
    CHECK(set.cameras[0].height == 48);
}

TEST_CASE("COLMAP text and binary models give the same cameras, sorted by image name") {
    test::TempDir dir;
    std::filesystem::create_directories(dir / "text");
    std::filesystem::create_directories(dir / "bin/sparse/0");
    write_text(dir / "text/cameras.txt",
               "# Camera list with one line of data per camera:\n1 PINHOLE 640 480 500 510 320 240\n"
               "2 SIMPLE_RADIAL 320 240 300 160 120 0.01\n");
    write_text(dir / "text/images.txt",
               "# Image list with two lines of data per image:\n"
               "7 0.9238795 0 0.3826834 0 0.1 -0.2 3.0 1 b.png\n100 200 -1\n"
               "3 1 0 0 0 0 0 5 2 a.png\n\n");
    // The same model in COLMAP's binary layout.
    std::string cameras, images;
    const auto put = [](std::string& out, const auto& value) {
        out.append(reinterpret_cast<const char*>(&value), sizeof value);
    };
    put(cameras, std::uint64_t{2});
    put(cameras, std::int32_t{1}), put(cameras, std::int32_t{1}), put(cameras, std::uint64_t{640}),
        put(cameras, std::uint64_t{480});
    for (double v : {500.0, 510.0, 320.0, 240.0}) put(cameras, v);
    put(cameras, std::int32_t{2}), put(cameras, std::int32_t{2}), put(cameras, std::uint64_t{320}),
        put(cameras, std::uint64_t{240});
    for (double v : {300.0, 160.0, 120.0, 0.01}) put(cameras, v);
    put(images, std::uint64_t{2});
    put(images, std::uint32_t{7});
    for (double v : {0.9238795, 0.0, 0.3826834, 0.0, 0.1, -0.2, 3.0}) put(images, v);
    put(images, std::int32_t{1});
    images += std::string("b.png") + '\0';
    put(images, std::uint64_t{1});
    put(images, 100.0), put(images, 200.0), put(images, std::int64_t{-1});
    put(images, std::uint32_t{3});
    for (double v : {1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0}) put(images, v);
    put(images, std::int32_t{2});
    images += std::string("a.png") + '\0';
    put(images, std::uint64_t{0});
    write_text(dir / "bin/sparse/0/cameras.bin", cameras);
    write_text(dir / "bin/sparse/0/images.bin", images);

    for (const auto& folder : {dir / "text", dir / "bin"}) {
        CAPTURE(folder.string());
        test::LogCapture capture;
        const CameraSet set = load_cameras(folder);
        CHECK(capture.contains("lens distortion"));
        REQUIRE(set.cameras.size() == 2);
        CHECK(set.names == std::vector<std::string>{"a.png", "b.png"});
        const Camera& a = set.cameras[0];
        CHECK(a.fx == 300.0f);
        CHECK(a.fy == 300.0f);
        CHECK(a.cx == 160.0f);
        CHECK(a.translation.z == 5.0f);
        const Camera& b = set.cameras[1];
        CHECK(b.fx == 500.0f);
        CHECK(b.fy == 510.0f);
        // 45 degrees about y: R = [[c, 0, s], [0, 1, 0], [-s, 0, c]] (glm indexes [column][row]).
        CHECK(b.rotation[0][0] == doctest::Approx(std::sqrt(0.5)).epsilon(1e-5));
        CHECK(b.rotation[2][0] == doctest::Approx(std::sqrt(0.5)).epsilon(1e-5));
        CHECK(b.rotation[0][2] == doctest::Approx(-std::sqrt(0.5)).epsilon(1e-5));
        CHECK(b.translation.x == doctest::Approx(0.1));
    }
}

TEST_CASE("bad camera files are rejected with the file and the problem") {
    test::TempDir dir;
    test::check_input_error([&] { load_cameras(dir / "missing.json"); }, {"missing.json", "no such file"});
    test::check_input_error([&] { load_cameras(dir.path()); }, {"no transforms.json or COLMAP model"});
    write_text(dir / "a.json", "{ not json");
    test::check_input_error([&] { load_cameras(dir / "a.json"); }, {"a.json", "not valid JSON"});
    write_text(dir / "b.json", R"({"frames": []})");
    test::check_input_error([&] { load_cameras(dir / "b.json"); }, {"'frames' is empty"});
    write_text(dir / "c.json",
               R"({"w": 4, "h": 4, "camera_angle_x": 1, "frames": [{"transform_matrix": [[1,0,0]]}]})");
    test::check_input_error([&] { load_cameras(dir / "c.json"); }, {"frame 0", "not a 4x4 matrix"});
    write_text(
        dir / "d.json",
        R"({"w": 4, "h": 4, "frames": [{"transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]})");
    test::check_input_error([&] { load_cameras(dir / "d.json"); }, {"no focal length"});
    std::filesystem::create_directory(dir / "colmap");
    write_text(dir / "colmap/cameras.txt", "1 PINHOLE 10 10 5 5 5\n");
    write_text(dir / "colmap/images.txt", "1 1 0 0 0 0 0 0 1 x.png\n\n");
    test::check_input_error([&] { load_cameras(dir / "colmap"); },
                            {"cameras.txt", "line 1", "needs 4 parameters"});
    write_text(dir / "colmap/cameras.txt", "1 PINHOLE 10 10 5 5 5 5\n");
    write_text(dir / "colmap/images.txt", "1 1 0 0 0 0 0 0 9 x.png\n\n");
    test::check_input_error([&] { load_cameras(dir / "colmap"); }, {"images.txt", "camera 9", "not defined"});
}

TEST_SUITE_END();
