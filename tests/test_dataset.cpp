// Datasets: the COLMAP fixture made by the real COLMAP program (tools/make_colmap_fixture.sh), NeRF-style
// transforms.json with RGBA images, test splits, downscaling, and bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>

#include "glint/core/camera_io.h"
#include "glint/core/dataset.h"
#include "glint/core/image_io.h"
#include "test_support.h"

using namespace glint;

namespace {

const std::filesystem::path kFixture = test::source_dir() / "tests/data/colmap_fixture";

void write_text(const std::filesystem::path& path, const std::string& text) {
    test::write_bytes(path, test::as_bytes(text));
}

// Where tools/make_colmap_fixture.sh put camera `i`: two rings of 12 around the scene.
glm::dvec3 true_centre(int i) {
    const bool upper = i >= 12;
    const int k = i % 12;
    const double radius = upper ? 5.0 : 6.0, height = upper ? 3.5 : 1.5;
    const double angle = 2.0 * M_PI * (k + (upper ? 0.5 : 0.0)) / 12.0;
    return {radius * std::cos(angle), radius * std::sin(angle), height};
}

// Least-squares similarity (Umeyama 1991) taking `from` onto `to`; returns the RMS residual and sets
// scale, rotation and translation.
double align(const std::vector<glm::dvec3>& from, const std::vector<glm::dvec3>& to, double& scale,
             glm::dmat3& rotation, glm::dvec3& translation) {
    const auto n = static_cast<double>(from.size());
    glm::dvec3 mf(0.0), mt(0.0);
    for (std::size_t i = 0; i < from.size(); ++i) {
        mf += from[i] / n;
        mt += to[i] / n;
    }
    glm::dmat3 covariance(0.0);
    double variance = 0.0;
    for (std::size_t i = 0; i < from.size(); ++i) {
        const glm::dvec3 a = from[i] - mf, b = to[i] - mt;
        covariance += glm::outerProduct(b, a) / n;
        variance += glm::dot(a, a) / n;
    }
    // Rotation from the polar decomposition of the covariance, by iteration (R <- (R + R^-T) / 2).
    glm::dmat3 r = covariance;
    for (int it = 0; it < 100; ++it) r = 0.5 * (r + glm::transpose(glm::inverse(r)));
    if (glm::determinant(r) < 0) r = -r;  // not a reflection (good enough for well-spread points)
    rotation = r;
    // Scale: trace(R^T C) / variance.
    const glm::dmat3 rc = glm::transpose(r) * covariance;
    scale = (rc[0][0] + rc[1][1] + rc[2][2]) / variance;
    translation = mt - scale * (r * mf);
    double residual = 0.0;
    for (std::size_t i = 0; i < from.size(); ++i) {
        const glm::dvec3 e = scale * (r * from[i]) + translation - to[i];
        residual += glm::dot(e, e) / n;
    }
    return std::sqrt(residual);
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("COLMAP fixture: the binary and text models COLMAP wrote read the same") {
    const CameraSet binary = load_cameras(kFixture);  // sparse/0 holds the .bin files
    const CameraSet text = load_cameras(kFixture / "text");
    REQUIRE(binary.cameras.size() == text.cameras.size());
    CHECK(binary.cameras.size() >= 10);
    for (std::size_t i = 0; i < binary.cameras.size(); ++i) {
        CHECK(binary.names[i] == text.names[i]);
        CHECK(binary.models[i] == "PINHOLE");
        const Camera &a = binary.cameras[i], &b = text.cameras[i];
        CHECK(a.width == 240);
        CHECK(a.height == 180);
        CHECK(a.fx == doctest::Approx(b.fx).epsilon(1e-6));
        CHECK(a.cy == doctest::Approx(b.cy).epsilon(1e-6));
        for (int r = 0; r < 3; ++r) {
            CHECK(a.translation[r] == doctest::Approx(b.translation[r]).epsilon(1e-5));
            for (int c = 0; c < 3; ++c)
                CHECK(a.rotation[r][c] == doctest::Approx(b.rotation[r][c]).epsilon(1e-5));
        }
    }
    const PointCloud points_bin = load_colmap_points(kFixture / "sparse/0");
    const PointCloud points_txt = load_colmap_points(kFixture / "text");
    CHECK(points_bin.size() > 100);
    REQUIRE(points_bin.size() == points_txt.size());
    // The two files list the points in different orders; sorted, they are the same points (the text
    // model prints 17 significant digits) with the same colours.
    const auto sorted = [](const PointCloud& p) {
        std::vector<std::array<float, 6>> rows(p.size());
        for (std::size_t i = 0; i < p.size(); ++i)
            for (int k = 0; k < 3; ++k) {
                rows[i][k] = p.positions[3 * i + k];
                rows[i][3 + k] = p.colors[3 * i + k];
            }
        std::sort(rows.begin(), rows.end());
        return rows;
    };
    CHECK(sorted(points_bin) == sorted(points_txt));
}

TEST_CASE("COLMAP fixture: recovered cameras and points match the rendered scene up to a similarity") {
    const Dataset d = load_dataset(kFixture);
    CHECK(d.kind == "COLMAP (binary)");
    std::vector<DatasetView> views = d.train;
    views.insert(views.end(), d.test.begin(), d.test.end());
    std::vector<glm::dvec3> recovered, truth;
    for (const DatasetView& v : views) {
        const int index = std::stoi(v.name.substr(5, 2));  // view_NN.png
        recovered.emplace_back(v.camera.position());
        truth.push_back(true_centre(index));
        // Focal length: the renders used a 50 degree vertical field of view at 180 pixels.
        CHECK(v.camera.fy == doctest::Approx(90.0 / std::tan(glm::radians(25.0))).epsilon(0.03));
    }
    double scale = 0;
    glm::dmat3 rotation;
    glm::dvec3 translation;
    const double residual = align(recovered, truth, scale, rotation, translation);
    MESSAGE("camera centres: RMS ", residual, " after a similarity (scale ", scale, ")");
    CHECK(residual < 0.05);  // the rings have radius 5 and 6

    // Points lie on the scene's surfaces, the ground z = 0 or the box [-0.7, 0.7]^2 x [0, 1.4], within
    // 0.1 (the similarity fitted to the camera centres leaves offsets of a few hundredths).
    std::size_t on_surface = 0;
    for (std::size_t i = 0; i < d.points.size(); ++i) {
        const glm::dvec3 p =
            scale * (rotation * glm::dvec3(d.points.positions[3 * i], d.points.positions[3 * i + 1],
                                           d.points.positions[3 * i + 2])) +
            translation;
        const double ground = std::abs(p.z);
        const double box = std::max({std::abs(p.x) - 0.7, std::abs(p.y) - 0.7, std::abs(p.z - 0.7) - 0.7});
        on_surface += std::min(ground, std::abs(box)) < 0.1 ? 1 : 0;
    }
    MESSAGE(on_surface, " of ", d.points.size(), " points within 0.1 of a surface");
    CHECK(static_cast<double>(on_surface) > 0.9 * static_cast<double>(d.points.size()));
    // The world's up glint gives a scene trained from this model (and a viewer of a scene beside it):
    // the cameras' mean up, which the rendering world calls +z (rings of upright cameras).
    std::vector<Camera> cameras;
    for (const DatasetView& v : views) cameras.push_back(v.camera);
    const std::optional<glm::vec3> up = mean_camera_up(cameras);
    REQUIRE(up.has_value());
    const glm::dvec3 world_up = glm::normalize(rotation * glm::dvec3(*up));
    const double degrees = glm::degrees(std::acos(std::clamp(world_up.z, -1.0, 1.0)));
    MESSAGE("the cameras' mean up is ", degrees, " degrees from the true up");
    CHECK(degrees < 5.0);
    for (const float c : d.points.colors) CHECK((c >= 0.0f && c <= 1.0f));
}

TEST_CASE("COLMAP fixture: every 8th view is a test view, images load and downscale by box filtering") {
    const Dataset d = load_dataset(kFixture);
    const std::size_t total = d.train.size() + d.test.size();
    CHECK(d.test.size() == (total + 7) / 8);
    CHECK(d.camera_extent > 0.0f);
    const ImageRgb full = d.load_image(d.train.front());
    CHECK(full.width == 240);
    CHECK(full.height == 180);
    CHECK(full.alpha.empty());
    const Image8 file = read_image8(d.train.front().image, 3);
    CHECK(full.rgb[3 * (10 * 240 + 20) + 1] ==
          doctest::Approx(file.pixels[3 * (10 * 240 + 20) + 1] / 255.0f));

    DatasetOptions half;
    half.downscale = 2;
    const Dataset h = load_dataset(kFixture, half);
    const DatasetView& v = h.train.front();
    CHECK(v.camera.width == 120);
    CHECK(v.camera.fx == doctest::Approx(d.train.front().camera.fx / 2.0f));
    CHECK(v.camera.cx == doctest::Approx(d.train.front().camera.cx / 2.0f));
    const ImageRgb small = h.load_image(v);
    REQUIRE(small.width == 120);
    float expected = 0;
    for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx)
            expected += file.pixels[3 * ((20 + dy) * 240 + (30 + dx))] / 255.0f / 4.0f;
    CHECK(small.rgb[3 * (10 * 120 + 15)] == doctest::Approx(expected));
}

TEST_CASE("transforms.json: RGBA composited over the background, own test split, times, aabb_scale") {
    test::TempDir dir;
    // A 4x2 RGBA image: opaque red, half-transparent green, transparent.
    std::vector<std::uint8_t> rgba(4 * 2 * 4, 0);
    for (int i = 0; i < 8; ++i) {
        rgba[4 * i] = 255;
        rgba[4 * i + 3] = 255;
    }
    rgba[4 * 1 + 0] = 0, rgba[4 * 1 + 1] = 255, rgba[4 * 1 + 3] = 128;
    rgba[4 * 2 + 3] = 0;
    std::filesystem::create_directories(dir / "train");
    for (int i = 0; i < 3; ++i) write_png(dir / "train" / ("r_" + std::to_string(i) + ".png"), 4, 2, 4, rgba);
    std::string frames;
    for (int i = 0; i < 3; ++i)
        frames += (i ? "," : "") + std::string(R"({"file_path": "./train/r_)") + std::to_string(i) +
                  R"(", "time": )" + std::to_string(0.5 * i) +
                  R"(, "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,)" + std::to_string(4 + i) +
                  "],[0,0,0,1]]}";
    write_text(dir / "transforms.json",
               R"({"camera_angle_x": 0.7, "aabb_scale": 4, "frames": [)" + frames + "]}");

    DatasetOptions options;
    options.background = {0.0f, 0.0f, 1.0f};
    const Dataset d = load_dataset(dir.path(), options);
    CHECK(d.kind == "transforms.json");
    REQUIRE(d.test.size() == 1);  // every 8th, from the first
    REQUIRE(d.train.size() == 2);
    CHECK(d.test[0].name == "./train/r_0");
    CHECK(d.train[1].time == doctest::Approx(1.0f));
    CHECK(d.aabb_scale == 4.0f);
    const ImageRgb image = d.load_image(d.train[0]);
    REQUIRE(image.alpha.size() == 8);
    CHECK(image.rgb[0] == doctest::Approx(1.0f));  // opaque red
    CHECK(image.rgb[2] == doctest::Approx(0.0f));
    const float a = 128.0f / 255.0f;
    CHECK(image.rgb[3 + 1] == doctest::Approx(a));         // green * alpha
    CHECK(image.rgb[3 + 2] == doctest::Approx(1.0f - a));  // + blue background * (1 - alpha)
    CHECK(image.rgb[6 + 2] == doctest::Approx(1.0f));      // transparent: the background
    CHECK(image.alpha[1] == doctest::Approx(a));

    // The dataset's own split, when it has one.
    write_text(dir / "transforms_train.json", R"({"camera_angle_x": 0.7, "frames": [)" + frames + "]}");
    write_text(dir / "transforms_test.json",
               R"({"camera_angle_x": 0.7, "frames": [{"file_path": "./train/r_1", "transform_matrix": )"
               R"([[1,0,0,0],[0,1,0,0],[0,0,1,9],[0,0,0,1]]}]})");
    const Dataset split = load_dataset(dir.path());
    CHECK(split.train.size() == 3);
    CHECK(split.test.size() == 1);
}

TEST_CASE("datasets: bad input is an InputError naming the file and the problem") {
    test::TempDir dir;
    std::vector<std::uint8_t> grey(8 * 6, 100);
    write_png(dir / "a.png", 8, 6, 1, grey);
    write_png(dir / "b.png", 8, 6, 1, grey);
    const std::string pose = R"("transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]])";
    const auto transforms = [&](const std::string& frames) {
        write_text(dir / "transforms.json", R"({"camera_angle_x": 0.7, "frames": [)" + frames + "]}");
    };
    transforms(R"({"file_path": "a.png", )" + pose + R"(}, {"file_path": "missing.png", "w": 8, "h": 6, )" +
               pose + "}");
    test::check_input_error([&] { load_dataset(dir.path()); }, {"missing.png", "no such image"});
    transforms(R"({"file_path": "a.png", )" + pose + R"(}, {"file_path": "b.png", "w": 9, "h": 6, )" + pose +
               "}");
    test::check_input_error([&] { load_dataset(dir.path()); }, {"b.png", "8x6", "9x6"});
    transforms(R"({"file_path": "a.png", )" + pose + "}");
    test::check_input_error([&] { load_dataset(dir.path()); }, {"1 view", "at least two"});
    transforms(
        R"({"file_path": "a.png", )" + pose +
        R"(}, {"file_path": "b.png", "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,1e999],[0,0,0,1]]})");
    test::check_input_error([&] { load_dataset(dir.path()); }, {"transforms.json", "1e999"});
    write_text(dir / "junk.png", "not an image");
    transforms(R"({"file_path": "a.png", )" + pose + R"(}, {"file_path": "junk.png", "w": 8, "h": 6, )" +
               pose + "}");
    test::check_input_error([&] { load_dataset(dir.path()); }, {"junk.png", "not a readable image"});
    test::check_input_error([&] { load_dataset(dir / "nowhere"); }, {"nowhere", "no such file"});
    DatasetOptions bad;
    bad.downscale = 0;
    test::check_input_error([&] { load_dataset(kFixture, bad); }, {"downscale"});

    // A distorted COLMAP camera is undistorted at load (the summary says so); a lens model glint cannot
    // undistort is refused with how to undistort it; rendering takes both (with a warning).
    test::TempDir colmap;
    std::filesystem::create_directories(colmap / "sparse/0");
    std::filesystem::create_directories(colmap / "images");
    write_png(colmap / "images/a.png", 8, 6, 1, grey);
    write_png(colmap / "images/b.png", 8, 6, 1, grey);
    write_text(colmap / "sparse/0/cameras.txt", "1 SIMPLE_RADIAL 8 6 7 4 3 0.01\n");
    write_text(colmap / "sparse/0/images.txt", "1 1 0 0 0 0 0 4 1 a.png\n\n2 1 0 0 0 0.5 0 4 1 b.png\n\n");
    const Dataset undistorted = load_dataset(colmap.path());
    CHECK(undistorted.distortion.find("SIMPLE_RADIAL (k 0.01) on 2 of 2 views") != std::string::npos);
    CHECK(undistorted.train.front().lens.model == LensDistortion::Model::SimpleRadial);
    write_text(colmap / "sparse/0/cameras.txt", "1 FOV 8 6 7 7 4 3 0.1\n");
    test::check_input_error([&] { load_dataset(colmap.path()); }, {"FOV", "image_undistorter"});
    test::LogCapture log;
    CHECK(load_cameras(colmap.path()).cameras.size() == 2);
    CHECK(log.contains("distortion"));

    // A NaN pose, which only a binary model can hold.
    std::filesystem::remove(colmap / "sparse/0/cameras.txt");
    std::filesystem::remove(colmap / "sparse/0/images.txt");
    std::string cameras, images;
    const auto put = [](std::string& out, const auto value) {
        const auto* bytes = reinterpret_cast<const char*>(&value);
        out.append(bytes, sizeof value);
    };
    put(cameras, std::uint64_t{1});
    put(cameras, std::int32_t{1});
    put(cameras, std::int32_t{1});  // PINHOLE
    put(cameras, std::uint64_t{8});
    put(cameras, std::uint64_t{6});
    for (const double v : {7.0, 7.0, 4.0, 3.0}) put(cameras, v);
    put(images, std::uint64_t{2});
    for (std::uint32_t id = 1; id <= 2; ++id) {
        put(images, id);
        for (const double v : {1.0, 0.0, 0.0, 0.0, id == 2 ? std::nan("") : 0.0, 0.0, 4.0}) put(images, v);
        put(images, std::int32_t{1});
        images += id == 1 ? "a.png" : "b.png";
        images += '\0';
        put(images, std::uint64_t{0});
    }
    write_text(colmap / "sparse/0/cameras.bin", cameras);
    write_text(colmap / "sparse/0/images.bin", images);
    test::check_input_error([&] { load_dataset(colmap.path()); }, {"images.bin", "b.png", "not finite"});
}

TEST_CASE("glint info on a dataset folder says what training would see") {
    const test::CommandResult text = test::run_glint("info '" + kFixture.string() + "'");
    CHECK(text.exit_code == 0);
    CHECK(text.output.find("COLMAP (binary)") != std::string::npos);
    CHECK(text.output.find("240x180") != std::string::npos);
    const test::CommandResult json = test::run_glint("info --json '" + kFixture.string() + "'");
    CHECK(json.exit_code == 0);
    CHECK(json.output.find("\"test_views\": 2") != std::string::npos);
}

TEST_SUITE_END();

#include "glint/core/plot.h"

TEST_SUITE("cpu") {
    TEST_CASE("line plots: panels stacked, series drawn in their colour, written as PNG") {
        test::TempDir dir;
        PlotSeries s{"psnr", {0, 100, 200}, {10, 20, 25}, {200, 30, 30}};
        write_plot_png(dir / "plot.png", {{"PSNR", "iteration", {s}}, {"empty", "x", {}}}, 320, 160);
        const Image8 image = read_image8(dir / "plot.png", 3);
        CHECK(image.width == 320);
        CHECK(image.height == 320);
        std::size_t series = 0, top_half = 0;
        for (int y = 0; y < image.height; ++y)
            for (int x = 0; x < image.width; ++x) {
                const std::uint8_t* p = &image.pixels[(static_cast<std::size_t>(y) * 320 + x) * 3];
                if (p[0] == 200 && p[1] == 30 && p[2] == 30) {
                    ++series;
                    top_half += y < 160 ? 1 : 0;
                }
            }
        CHECK(series > 200);        // the line, its points and the legend
        CHECK(top_half == series);  // all in the first panel
    }
}
