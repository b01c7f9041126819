// glint synth: camera-file writers, the glTF reader on real files (tests/data/gltf), the mesh renderer
// against analytic images, and whole datasets through the CLI and the dataset loader.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "glint/core/camera_io.h"
#include "glint/core/dataset.h"
#include "glint/core/image_io.h"
#include "glint/synth/gltf_model.h"
#include "glint/synth/mesh_renderer.h"
#include "glint/synth/synth.h"
#include "test_support.h"

using namespace glint;
using namespace glint::synth;

namespace {

const std::filesystem::path kGltf = test::data_dir() / "gltf";

float srgb(float c) {
    c = std::clamp(c, 0.0f, 1.0f);
    return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f;
}

void check_same_camera(const Camera& a, const Camera& b, float tolerance) {
    CHECK(a.width == b.width);
    CHECK(a.height == b.height);
    CHECK(a.fx == doctest::Approx(b.fx).epsilon(1e-5));
    CHECK(a.fy == doctest::Approx(b.fy).epsilon(1e-5));
    CHECK(a.cx == doctest::Approx(b.cx).epsilon(1e-5));
    CHECK(a.cy == doctest::Approx(b.cy).epsilon(1e-5));
    for (int i = 0; i < 3; ++i) {
        CHECK(std::abs(a.translation[i] - b.translation[i]) < tolerance);
        for (int j = 0; j < 3; ++j) CHECK(std::abs(a.rotation[i][j] - b.rotation[i][j]) < tolerance);
    }
}

// A model of one quad with corners `corners` (counter-clockwise), uv (0,0) (1,0) (1,1) (0,1), one
// material with `texture` (linear texels) when given.
Model quad_model(const std::array<glm::vec3, 4>& corners, glm::vec4 color, const Texture* texture) {
    Model m;
    Material material;
    material.base_color = color;
    if (texture != nullptr) {
        m.textures.push_back(*texture);
        material.base_texture.texture = 0;
    }
    m.materials.push_back(material);
    Primitive p;
    p.material = 0;
    p.positions.assign(corners.begin(), corners.end());
    p.texcoords[0] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    p.indices = {0, 1, 2, 0, 2, 3};
    m.meshes.push_back({p});
    Node n;
    n.mesh = 0;
    n.drawn = true;
    m.nodes.push_back(n);
    return m;
}

Texture gradient_texture(int width) {
    Texture t;
    Texture::Level level{width, 1, {}};
    for (int x = 0; x < width; ++x) {
        const float u = (static_cast<float>(x) + 0.5f) / static_cast<float>(width);
        level.texels.push_back({u, 0.0f, 0.0f, 1.0f});
    }
    t.levels.push_back(level);
    t.wrap_s = t.wrap_t = Wrap::ClampToEdge;
    return t;
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE("transforms.json and COLMAP text writers round-trip through the readers") {
        test::TempDir dir;
        CameraSet set;
        for (int i = 0; i < 5; ++i) {
            const float a = 0.7f * static_cast<float>(i);
            set.cameras.push_back(
                Camera::look_at({3 * std::cos(a), 0.5f * static_cast<float>(i) - 1, 3 * std::sin(a)},
                                {0.1f, 0.2f, -0.1f}, {0, 1, 0}, 35.0f + static_cast<float>(i), 64, 48));
            set.names.push_back("images/r_" + std::to_string(i) + ".png");
            set.times.push_back(0.25f * static_cast<float>(i));
        }
        PointCloud points;
        points.positions = {0.5f, -1.0f, 2.0f, 1e-3f, 7.0f, -3.25f};
        points.colors = {1.0f, 0.0f, 0.5f, 0.2f, 0.4f, 0.6f};
        write_point_ply(dir / "points.ply", points);
        write_transforms(dir / "transforms.json", set, "points.ply");
        const CameraSet back = load_cameras(dir / "transforms.json");
        REQUIRE(back.cameras.size() == 5);
        for (std::size_t i = 0; i < 5; ++i) {
            check_same_camera(back.cameras[i], set.cameras[i], 1e-5f);
            CHECK(back.names[i] == set.names[i]);
            CHECK(back.times[i] == doctest::Approx(set.times[i]));
        }
        CHECK(back.points_file == dir / "points.ply");
        const PointCloud read = read_point_ply(back.points_file);
        REQUIRE(read.size() == 2);
        for (std::size_t k = 0; k < 6; ++k) {
            CHECK(read.positions[k] == points.positions[k]);
            CHECK(std::abs(read.colors[k] - points.colors[k]) <= 0.5f / 255.0f + 1e-6f);
        }

        CameraSet colmap_set = set;
        for (std::string& name : colmap_set.names) name = name.substr(7);  // without "images/"
        write_colmap_text(dir / "sparse" / "0", colmap_set, points);
        const CameraSet colmap = load_cameras(dir / "sparse" / "0");
        REQUIRE(colmap.cameras.size() == 5);
        for (std::size_t i = 0; i < 5; ++i) {
            check_same_camera(colmap.cameras[i], set.cameras[i], 1e-5f);
            CHECK(colmap.names[i] == colmap_set.names[i]);
        }
        const PointCloud colmap_points = load_colmap_points(dir / "sparse" / "0");
        REQUIRE(colmap_points.size() == 2);
        CHECK(colmap_points.positions[5] == doctest::Approx(-3.25f));
    }

    TEST_CASE("point PLY reader: ASCII, double and float colours, and bad files") {
        test::TempDir dir;
        test::write_bytes(dir / "a.ply",
                          test::as_bytes("ply\nformat ascii 1.0\nelement vertex 2\nproperty double x\n"
                                         "property double y\nproperty double z\nproperty float red\n"
                                         "property float green\nproperty float blue\nend_header\n"
                                         "1 2 3 0.5 0.25 1\n-1 -2 -3 0 0 0\n"));
        const PointCloud a = read_point_ply(dir / "a.ply");
        REQUIRE(a.size() == 2);
        CHECK(a.positions[4] == -2.0f);
        CHECK(a.colors[1] == 0.25f);
        test::write_bytes(dir / "nan.ply",
                          test::as_bytes("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"
                                         "property float y\nproperty float z\nend_header\nnan 0 0\n"));
        test::check_input_error([&] { read_point_ply(dir / "nan.ply"); }, {"nan.ply", "non-finite"});
        test::write_bytes(
            dir / "short.ply",
            test::as_bytes("ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
                           "property float y\nproperty float z\nend_header\n0123456789ab"));
        test::check_input_error([&] { read_point_ply(dir / "short.ply"); }, {"short.ply", "truncated"});
        test::write_bytes(dir / "noxyz.ply",
                          test::as_bytes("ply\nformat ascii 1.0\nelement vertex 1\nproperty float a\n"
                                         "end_header\n1\n"));
        test::check_input_error([&] { read_point_ply(dir / "noxyz.ply"); }, {"noxyz.ply", "x, y, z"});
        test::check_input_error([&] { read_point_ply(dir / "missing.ply"); }, {"missing.ply"});
    }

    TEST_CASE("view directions are unit vectors spread over the sphere or the upper hemisphere") {
        for (bool hemisphere : {false, true}) {
            const std::vector<glm::vec3> d = view_directions(64, hemisphere);
            REQUIRE(d.size() == 64);
            glm::vec3 mean(0.0f);
            float closest = 2.0f;
            for (std::size_t i = 0; i < d.size(); ++i) {
                CHECK(glm::length(d[i]) == doctest::Approx(1.0f).epsilon(1e-5));
                if (hemisphere) CHECK(d[i].y > 0.0f);
                mean += d[i] / 64.0f;
                for (std::size_t j = 0; j < i; ++j) closest = std::min(closest, glm::length(d[i] - d[j]));
            }
            // Evenly spread: no two views nearly coincide (a uniform lattice of 64 on the sphere has spacing
            // about sqrt(4 pi / 64) = 0.44), and the full sphere has no preferred side.
            CHECK(closest > (hemisphere ? 0.2f : 0.3f));
            if (!hemisphere) CHECK(glm::length(mean) < 0.05f);
            if (hemisphere) CHECK(mean.y == doctest::Approx(0.5f).epsilon(0.05));
        }
    }

    TEST_CASE("mesh renderer: a flat quad covers its projected area with its colour and depth") {
        // A 1x1 square at z = 4 in front of a camera at the origin looking down +z (OpenCV axes).
        const Model model =
            quad_model({glm::vec3(-0.5f, -0.5f, 4), {0.5f, -0.5f, 4}, {0.5f, 0.5f, 4}, {-0.5f, 0.5f, 4}},
                       glm::vec4(0.2f, 0.5f, 0.8f, 1.0f), nullptr);
        Camera camera;
        camera.fx = camera.fy = 100.0f;
        camera.cx = 32.3f;
        camera.cy = 31.7f;
        camera.width = camera.height = 64;
        MeshRenderOptions options;
        options.lighting.enabled = false;
        options.supersample = 4;
        const MeshImage image = render_mesh(model, model.pose(-1, 0), camera, options);
        // The square spans 25 x 25 pixels: x in [cx - 12.5, cx + 12.5].
        double coverage = 0.0;
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x) {
                const std::size_t o = static_cast<std::size_t>(y) * 64 + static_cast<std::size_t>(x);
                const float alpha = image.rgba[4 * o + 3] / 255.0f;
                coverage += alpha;
                const float px = static_cast<float>(x) + 0.5f, py = static_cast<float>(y) + 0.5f;
                const bool inside = std::abs(px - camera.cx) < 12.0f && std::abs(py - camera.cy) < 12.0f;
                const bool outside = std::abs(px - camera.cx) > 13.0f || std::abs(py - camera.cy) > 13.0f;
                if (inside) {
                    CHECK(image.rgba[4 * o + 3] == 255);
                    CHECK(image.rgba[4 * o + 0] == to_unorm8(srgb(0.2f)));
                    CHECK(image.rgba[4 * o + 2] == to_unorm8(srgb(0.8f)));
                    CHECK(image.depth[o] == doctest::Approx(4.0f));
                }
                if (outside) CHECK(image.rgba[4 * o + 3] == 0);
            }
        // Edge pixels are partly covered: 4x4 samples give the area to within a sample row per edge.
        CHECK(std::abs(coverage - 625.0) < 4 * 25 * 0.25 / 4 + 1.0);
    }

    TEST_CASE("mesh renderer: textures are interpolated perspective-correctly") {
        // A plane tilted 60 degrees away from the camera, textured with u as its red channel; each pixel's u
        // is found by intersecting its ray with the plane. Affine interpolation would be off by up to 0.2.
        const float c = std::cos(1.0472f), s = std::sin(1.0472f);
        const glm::vec3 origin(-1.0f, -1.0f, 3.0f), along_u(2.0f * c, 0, 2.0f * s), along_v(0, 2.0f, 0);
        const Texture texture = gradient_texture(256);
        const Model model =
            quad_model({origin, origin + along_u, origin + along_u + along_v, origin + along_v},
                       glm::vec4(1.0f), &texture);
        Camera camera;
        camera.fx = camera.fy = 40.0f;
        camera.cx = camera.cy = 24.0f;
        camera.width = camera.height = 48;
        MeshRenderOptions options;
        options.lighting.enabled = false;
        options.supersample = 1;
        const MeshImage image = render_mesh(model, model.pose(-1, 0), camera, options);
        const glm::vec3 normal = glm::normalize(glm::cross(along_u, along_v));
        int checked = 0;
        float worst = 0.0f;
        for (int y = 0; y < 48; ++y)
            for (int x = 0; x < 48; ++x) {
                const std::size_t o = static_cast<std::size_t>(y) * 48 + static_cast<std::size_t>(x);
                const glm::vec3 ray((static_cast<float>(x) + 0.5f - camera.cx) / camera.fx,
                                    (static_cast<float>(y) + 0.5f - camera.cy) / camera.fy, 1.0f);
                const float t = glm::dot(origin, normal) / glm::dot(ray, normal);
                const glm::vec3 hit = t * ray - origin;
                const float u = glm::dot(hit, along_u) / glm::dot(along_u, along_u);
                const float v = glm::dot(hit, along_v) / glm::dot(along_v, along_v);
                if (u < 0.02f || u > 0.98f || v < 0.02f || v > 0.98f) continue;
                REQUIRE(image.rgba[4 * o + 3] == 255);
                worst = std::max(worst, std::abs(image.rgba[4 * o] / 255.0f - srgb(u)));
                CHECK(image.depth[o] == doctest::Approx(t).epsilon(1e-4));
                ++checked;
            }
        CHECK(checked > 200);
        CHECK(worst < 2.5f / 255.0f);
    }

    TEST_CASE("mesh renderer: the near plane clips a quad that passes behind the camera") {
        // A floor under the camera reaching from behind it to far in front: only the part ahead is drawn.
        const Model model =
            quad_model({glm::vec3(-5, 1, -5), {5, 1, -5}, {5, 1, 20}, {-5, 1, 20}}, glm::vec4(1.0f), nullptr);
        Camera camera;
        camera.fx = camera.fy = 30.0f;
        camera.cx = camera.cy = 16.0f;
        camera.width = camera.height = 32;
        MeshRenderOptions options;
        options.lighting.enabled = false;
        const MeshImage image = render_mesh(model, model.pose(-1, 0), camera, options);
        // Rows below the horizon (y > cy) see the floor at depth 30 * 1 / (y + 0.5 - cy), up to z = 20.
        for (int y = 0; y < 32; ++y) {
            const std::size_t o = static_cast<std::size_t>(y) * 32 + 16;
            const float py = static_cast<float>(y) + 0.5f - camera.cy;
            const float z = py > 0 ? camera.fy / py : INFINITY;
            // The pixel's depth is the mean over its 4 rows of samples.
            float mean_z = 0.0f;
            for (int k = 0; k < 4; ++k)
                mean_z += camera.fy /
                          (static_cast<float>(y) + (static_cast<float>(k) + 0.5f) / 4.0f - camera.cy) / 4.0f;
            if (z < 19.0f) {
                CHECK(image.rgba[4 * o + 3] == 255);
                CHECK(image.depth[o] == doctest::Approx(mean_z).epsilon(1e-4));
            } else if (z > 21.0f) {
                CHECK(image.rgba[4 * o + 3] == 0);
            }
        }
    }

    TEST_CASE("glTF: BoxTextured, FlightHelmet and Fox load with their meshes, textures and animations") {
        const Model box = load_gltf(kGltf / "BoxTextured.glb");
        CHECK(box.triangle_count() == 12);
        REQUIRE(box.textures.size() == 1);
        CHECK(box.textures[0].levels.size() > 5);  // a mip chain

        const Model helmet = load_gltf(kGltf / "FlightHelmet/FlightHelmet.gltf");
        CHECK(helmet.triangle_count() == 94722);
        CHECK(helmet.materials.size() == 6);
        CHECK(std::count_if(helmet.materials.begin(), helmet.materials.end(),
                            [](const Material& m) { return m.alpha_mode == AlphaMode::Blend; }) == 1);
        CHECK(std::any_of(helmet.warnings.begin(), helmet.warnings.end(),
                          [](const std::string& w) { return w.find("normal maps") != std::string::npos; }));

        const Model fox = load_gltf(kGltf / "Fox.glb");
        REQUIRE(fox.animations.size() == 3);
        CHECK(fox.animations[0].name == "Survey");
        CHECK(fox.animations[1].name == "Walk");
        CHECK(fox.animations[2].name == "Run");
        REQUIRE(fox.skins.size() == 1);
        // Skinned poses move the vertices, keep the fox's size, and repeat at the loop's ends.
        const Animation& walk = fox.animations[1];
        CHECK(walk.end > walk.start);
        const std::vector<PosedPrimitive> rest = fox.pose(-1, 0), a = fox.pose(1, walk.start),
                                          b = fox.pose(1, 0.5f * (walk.start + walk.end));
        double moved = 0;
        for (std::size_t v = 0; v < a[0].positions.size(); ++v)
            moved += glm::length(a[0].positions[v] - b[0].positions[v]);
        CHECK(moved / static_cast<double>(a[0].positions.size()) > 1.0);  // the fox is ~165 units long
        const Bounds br = bounds_of(rest), ba = bounds_of(a);
        CHECK(ba.radius() == doctest::Approx(br.radius()).epsilon(0.15));
    }

    TEST_CASE("glTF: bad files are input errors naming the file") {
        test::TempDir dir;
        test::check_input_error([&] { load_gltf(dir / "none.glb"); }, {"none.glb", "no such file"});
        test::write_bytes(dir / "junk.glb", test::as_bytes("glTF this is not a binary glTF"));
        test::check_input_error([&] { load_gltf(dir / "junk.glb"); }, {"junk.glb", "not a valid glTF"});
        test::write_bytes(dir / "model.obj", test::as_bytes("v 0 0 0"));
        test::check_input_error([&] { load_gltf(dir / "model.obj"); }, {"model.obj", ".glb or .gltf"});
        // A valid glTF whose index points past its vertices.
        const std::vector<std::byte> box = test::read_bytes(kGltf / "BoxTextured.glb");
        test::write_bytes(dir / "empty.gltf",
                          test::as_bytes(R"({"asset": {"version": "2.0"}, "scenes": [{"nodes": []}]})"));
        test::check_input_error([&] { load_gltf(dir / "empty.gltf"); }, {"empty.gltf", "no triangles"});
        std::vector<std::byte> cut(box.begin(), box.begin() + static_cast<std::ptrdiff_t>(box.size() / 2));
        test::write_bytes(dir / "cut.glb", cut);
        test::check_input_error([&] { load_gltf(dir / "cut.glb"); }, {"cut.glb"});
    }

    TEST_CASE("glint synth writes a dataset the loader reads, with points on the model's surface") {
        test::TempDir dir;
        const auto out = dir / "box";
        const test::CommandResult r =
            test::run_glint("synth " + test::quoted(kGltf / "BoxTextured.glb") + " -o " + test::quoted(out) +
                            " --views 16 --res 48 --points 400");
        INFO(r.output);
        REQUIRE(r.exit_code == 0);
        const Dataset d = load_dataset(out);
        CHECK(d.kind == "transforms.json");
        CHECK(d.train.size() == 14);
        CHECK(d.test.size() == 2);
        REQUIRE(d.points.size() == 400);
        // BoxTextured is the cube [-0.5, 0.5]^3: every point lies on a face.
        for (std::size_t i = 0; i < d.points.size(); ++i) {
            const glm::vec3 p(d.points.positions[3 * i], d.points.positions[3 * i + 1],
                              d.points.positions[3 * i + 2]);
            const float face = std::max({std::abs(p.x), std::abs(p.y), std::abs(p.z)});
            CHECK(face == doctest::Approx(0.5f).epsilon(0.02));
        }
        // The cameras look at the cube's centre, all at one distance; the COLMAP model holds the same
        // cameras.
        CHECK(glm::length(d.look_at_centre) < 1e-3f);
        const CameraSet colmap = load_cameras(out / "sparse" / "0");
        REQUIRE(colmap.cameras.size() == 16);
        const CameraSet transforms = load_cameras(out / "transforms.json");
        for (std::size_t i = 0; i < 16; ++i) {
            check_same_camera(colmap.cameras[i], transforms.cameras[i], 1e-5f);
            CHECK(glm::length(transforms.cameras[i].position()) ==
                  doctest::Approx(glm::length(transforms.cameras[0].position())));
        }
        const ImageRgb image = d.load_image(d.test[0]);
        CHECK(image.width == 48);
        REQUIRE(!image.alpha.empty());
        const auto covered =
            std::count_if(image.alpha.begin(), image.alpha.end(), [](float a) { return a > 0.99f; });
        const auto empty =
            std::count_if(image.alpha.begin(), image.alpha.end(), [](float a) { return a == 0.0f; });
        CHECK(covered > 200);
        CHECK(empty > 200);

        // A second run does not replace the dataset unless asked.
        const test::CommandResult again = test::run_glint("synth " + test::quoted(kGltf / "BoxTextured.glb") +
                                                          " -o " + test::quoted(out) + " --views 4 --res 32");
        CHECK(again.exit_code != 0);
        CHECK(again.output.find("--overwrite") != std::string::npos);
        CHECK(load_dataset(out).train.size() == 14);

        // With --overwrite, the new dataset replaces the old one, images included.
        const test::CommandResult replaced =
            test::run_glint("synth -q " + test::quoted(kGltf / "BoxTextured.glb") + " -o " +
                            test::quoted(out) + " --views 4 --res 32 --overwrite");
        CHECK(replaced.exit_code == 0);
        CHECK(load_dataset(out).train.size() == 3);
        std::size_t images = 0;
        for (const auto& entry : std::filesystem::directory_iterator(out / "images"))
            images += entry.is_regular_file() ? 1 : 0;
        CHECK(images == 4);
    }

    TEST_CASE("the shipped sample is what tools/make_sample.sh makes: the same model, the same images") {
        test::TempDir dir;
        const std::string make = std::string("'") + GLINT_TEST_MAKE_SAMPLE_MODEL + "' " +
                                 test::quoted(dir / "model.glb") + " > /dev/null";
        REQUIRE(std::system(make.c_str()) == 0);
        const auto sample = test::source_dir() / "assets/sample";
        CHECK(test::read_bytes(dir / "model.glb") == test::read_bytes(sample / "model.glb"));
        const test::CommandResult r =
            test::run_glint("synth -q " + test::quoted(sample / "model.glb") + " -o " +
                            test::quoted(dir / "dataset") + " --views 48 --res 200 --hemisphere --seed 1");
        INFO(r.output);
        REQUIRE(r.exit_code == 0);
        CHECK(test::read_bytes(dir / "dataset/transforms.json") ==
              test::read_bytes(sample / "dataset/transforms.json"));
        // Images: equal up to float rounding where the compiler's instruction choice differs between
        // machines.
        double total = 0;
        int largest = 0;
        std::size_t values = 0;
        for (int view : {0, 7, 23, 47}) {
            const std::string name =
                "images/r_0" + std::string(view < 10 ? "0" : "") + std::to_string(view) + ".png";
            const Image8 made = read_image8(dir / "dataset" / name, 4);
            const Image8 shipped = read_image8(sample / "dataset" / name, 4);
            REQUIRE(made.pixels.size() == shipped.pixels.size());
            for (std::size_t i = 0; i < made.pixels.size(); ++i) {
                const int d = std::abs(int(made.pixels[i]) - int(shipped.pixels[i]));
                total += d;
                largest = std::max(largest, d);
            }
            values += made.pixels.size();
        }
        MESSAGE("sample images remade: mean difference ", total / static_cast<double>(values), ", largest ",
                largest);
        CHECK(total / static_cast<double>(values) < 0.05);
        CHECK(largest <= 8);
    }

    TEST_CASE("glint synth --frames renders an animation as a multi-view video with times") {
        test::TempDir dir;
        const test::CommandResult r =
            test::run_glint("synth " + test::quoted(kGltf / "Fox.glb") + " -o " + test::quoted(dir / "fox") +
                            " --views 4 --res 32 --frames 3 --animation Run --points 0");
        INFO(r.output);
        REQUIRE(r.exit_code == 0);
        const CameraSet set = load_cameras(dir / "fox" / "transforms.json");
        REQUIRE(set.cameras.size() == 12);
        REQUIRE(set.times.size() == 12);
        std::set<float> times(set.times.begin(), set.times.end());
        CHECK(times == std::set<float>{0.0f, 0.5f, 1.0f});
        CHECK(load_cameras(dir / "fox" / "sparse" / "0").cameras.size() == 4);  // the first frame's

        // Frames differ where the fox moves; the same view at two times is not the same image.
        const Image8 first = read_image8(dir / "fox" / "images" / "r_001_f000.png", 4);
        const Image8 middle = read_image8(dir / "fox" / "images" / "r_001_f001.png", 4);
        CHECK(first.pixels != middle.pixels);

        const test::CommandResult bad =
            test::run_glint("synth " + test::quoted(kGltf / "Fox.glb") + " -o " + test::quoted(dir / "x") +
                            " --frames 3 --animation Swim");
        CHECK(bad.exit_code != 0);
        CHECK(bad.output.find("'Survey', 'Walk', 'Run'") != std::string::npos);
        const test::CommandResult still = test::run_glint("synth " + test::quoted(kGltf / "BoxTextured.glb") +
                                                          " -o " + test::quoted(dir / "y") + " --frames 3");
        CHECK(still.exit_code != 0);
        CHECK(still.output.find("has none") != std::string::npos);
    }

}  // TEST_SUITE
