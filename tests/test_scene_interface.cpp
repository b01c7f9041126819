// The Scene interface (scene/): what every command and the viewer render through, for Gaussian and NeRF
// scenes alike: description, bands of rows, saving, and the errors for what a kind cannot do.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "glint/core/error.h"
#include "glint/nerf/model.h"
#include "glint/nerf/render.h"
#include "glint/scene/gaussian_scene.h"
#include "glint/scene/nerf_scene.h"
#include "glint/splatting/raster/rasterizer.h"
#include "test_support.h"

using namespace glint;

namespace {

Camera front_camera(const scene::Scene& s, int width, int height) {
    const scene::Sphere sphere = s.framing_sphere();
    return Camera::look_at(sphere.centre + glm::vec3(0.3f, -2.5f, 0.8f) * sphere.radius, sphere.centre,
                           {0.0f, 0.0f, 1.0f}, 45.0f, width, height);
}

// Rows [first, first + count) of `whole` equal `band` (every image the frame has).
void check_band(const Frame& whole, const Frame& band, int first, int count) {
    REQUIRE(band.width == whole.width);
    REQUIRE(band.height == count);
    const auto rows = [&](const auto& all, const auto& part, std::size_t channels) {
        const std::size_t offset = static_cast<std::size_t>(first) * whole.width * channels;
        REQUIRE(part.size() == static_cast<std::size_t>(count) * whole.width * channels);
        return std::equal(part.begin(), part.end(), all.begin() + static_cast<std::ptrdiff_t>(offset));
    };
    CHECK(rows(whole.color, band.color, 3));
    CHECK(rows(whole.alpha, band.alpha, 1));
    CHECK(rows(whole.depth, band.depth, 1));
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("a Gaussian scene through the Scene interface: description, frames as the rasterizer's, bands") {
    const auto s = scene::open_scene(test::data_dir() / "splats/donut_sh0.ply", Backend::Cpu);
    CHECK(s->kind() == scene::SceneKind::Gaussians3D);
    CHECK(s->has_counts());
    CHECK_FALSE(s->progressive());
    CHECK_FALSE(s->time_span().has_value());
    CHECK(s->primitives() > 0);
    CHECK(s->summary().find("Gaussians") != std::string::npos);
    CHECK(s->up_hint().has_value());  // a reference PLY not written by glint: -y
    const Camera camera = front_camera(*s, 160, 120);
    Frame through_scene, direct;
    const scene::FrameStats stats = s->render(camera, 0.0f, {}, through_scene);
    CHECK(stats.visible > 0);
    const splatting::LoadedScene loaded = splatting::load_scene(test::data_dir() / "splats/donut_sh0.ply");
    splatting::create_rasterizer(Backend::Cpu)->render(loaded.cloud, camera, {}, direct);
    CHECK(through_scene.color == direct.color);
    // A band of rows (a camera with the principal point moved) has the whole image's pixels there.
    scene::DrawSettings band;
    band.first_row = 37;
    band.rows = 45;
    Frame part;
    s->render(camera, 0.0f, band, part);
    check_band(through_scene, part, 37, 45);
    band.first_row = 120;
    test::check_input_error([&] { s->render(camera, 0.0f, band, part); }, {"empty band"});
}

TEST_CASE("Scene::save writes the kind's formats and refuses the others, keeping the previous file") {
    test::TempDir dir;
    const auto s = scene::open_scene(test::data_dir() / "splats/donut_sh0.ply", Backend::Cpu);
    s->save(dir / "copy.splat");
    const auto back = scene::open_scene(dir / "copy.splat", Backend::Cpu);
    CHECK(back->primitives() == s->primitives());
    test::check_input_error([&] { s->save(dir / "copy.nerf"); }, {"copy.nerf", ".ply, .compressed.ply, .splat, .spz, .glb, .gltf or .sog"});
    CHECK_FALSE(std::filesystem::exists(dir / "copy.nerf"));
    test::check_input_error([&] { scene::open_scene(dir / "missing.ply", Backend::Cpu); }, {"missing.ply"});
}

TEST_CASE("a NeRF scene through the Scene interface: progressive, no counts, bands, .nerf only") {
    test::TempDir dir;
    auto model = std::make_shared<nerf::NerfModel>(test::small_nerf_config());
    model->initialize(3);
    scene::NerfScene s(model, "random.nerf", Backend::Cpu);
    CHECK(s.kind() == scene::SceneKind::Nerf);
    CHECK(s.progressive());
    CHECK_FALSE(s.has_counts());
    CHECK(s.primitives() == 0);
    CHECK(s.memory_bytes() > 0);
    const Camera camera = front_camera(s, 64, 48);
    Frame whole, part;
    s.render(camera, 0.0f, {}, whole);
    REQUIRE(whole.width == 64);
    scene::DrawSettings band;
    band.first_row = 10;
    band.rows = 7;
    s.render(camera, 0.0f, band, part);
    check_band(whole, part, 10, 7);
    s.save(dir / "m.nerf");
    CHECK(std::filesystem::exists(dir / "m.nerf"));
    test::check_input_error([&] { s.save(dir / "m.ply"); }, {"m.ply", ".nerf"});
}

TEST_SUITE_END();
