// Lens distortion: the models' maps and their inverses, undistorted cameras, and datasets photographed
// through a lens (glint synth --distortion) undistorted at load to what a pinhole camera sees.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "glint/core/dataset.h"
#include "glint/core/image_loss.h"
#include "glint/core/lens.h"
#include "glint/synth/mesh_renderer.h"
#include "glint/synth/synth.h"
#include "test_support.h"

using namespace glint;
using Model = LensDistortion::Model;

namespace {

LensDistortion lens(Model model, double k1, double k2 = 0, double p1 = 0, double p2 = 0, double k3 = 0,
                    double k4 = 0) {
    LensDistortion l;
    l.model = model;
    l.k1 = k1, l.k2 = k2, l.p1 = p1, l.p2 = p2, l.k3 = k3, l.k4 = k4;
    return l;
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("lens models: known values, and undistort inverts distort over the field") {
    // OPENCV at (0.3, 0.2): r2 = 0.13; radial 1 + k1 r2 + k2 r2^2; tangential 2 p1 x y + p2 (r2 + 2 x^2).
    const LensDistortion cv = lens(Model::OpenCV, -0.2, 0.05, 0.001, -0.002);
    const glm::dvec2 d = distort(cv, {0.3, 0.2});
    const double r2 = 0.13, radial = 1 - 0.2 * r2 + 0.05 * r2 * r2;
    CHECK(d.x == doctest::Approx(0.3 * radial + 2 * 0.001 * 0.06 - 0.002 * (r2 + 0.18)).epsilon(1e-12));
    CHECK(d.y == doctest::Approx(0.2 * radial + 2 * -0.002 * 0.06 + 0.001 * (r2 + 0.08)).epsilon(1e-12));
    // OPENCV_FISHEYE: theta = atan(r), theta_d = theta (1 + k1 theta^2 + ...), scaled by theta_d / r.
    const LensDistortion fish = lens(Model::OpenCVFisheye, 0.05, -0.01, 0, 0, 0.002, -0.001);
    const double r = std::hypot(0.3, 0.2), t = std::atan(r), t2 = t * t;
    const double td = t * (1 + 0.05 * t2 - 0.01 * t2 * t2 + 0.002 * t2 * t2 * t2 - 0.001 * t2 * t2 * t2 * t2);
    CHECK(distort(fish, {0.3, 0.2}).x == doctest::Approx(0.3 * td / r).epsilon(1e-12));
    for (const LensDistortion& l :
         {lens(Model::SimpleRadial, -0.15), lens(Model::Radial, 0.1, -0.02), cv,
          lens(Model::FullOpenCV, -0.2, 0.03, 0.001, 0.001, 0.01, 0.02),
          lens(Model::SimpleRadialFisheye, 0.03), lens(Model::RadialFisheye, -0.02, 0.004), fish}) {
        CAPTURE(l.describe());
        double worst = 0;
        for (double x = -0.6; x <= 0.6; x += 0.1)
            for (double y = -0.6; y <= 0.6; y += 0.1) {
                glm::dvec2 u;
                REQUIRE(undistort(l, distort(l, {x, y}), u));
                worst = std::max(worst, glm::length(u - glm::dvec2(x, y)));
            }
        CHECK(worst < 1e-9);
    }
}

TEST_CASE("the undistorted camera sees only valid pixels, as wide as it can") {
    Camera c;
    c.width = 200, c.height = 150, c.fx = c.fy = 180, c.cx = 101, c.cy = 74;
    for (const LensDistortion& l : {lens(Model::OpenCV, -0.3, 0.08), lens(Model::OpenCV, 0.2, 0.0),
                                    lens(Model::OpenCVFisheye, 0.1, 0.01)}) {
        CAPTURE(l.describe());
        const Camera p = undistorted_camera(c, l);
        CHECK(p.width == c.width);
        CHECK(p.cx == doctest::Approx(100.0));
        // Every pixel of the pinhole image maps inside the distorted one; the border touches its edge.
        double margin = 1e30;
        for (int y = 0; y <= p.height; y += 5)
            for (int x = 0; x <= p.width; x += 5) {
                if (x != 0 && x != p.width && y != 0 && y != p.height) continue;
                const glm::dvec2 d = distort(
                    l, {(x - static_cast<double>(p.cx)) / p.fx, (y - static_cast<double>(p.cy)) / p.fy});
                const double sx = d.x * c.fx + c.cx, sy = d.y * c.fy + c.cy;
                margin = std::min({margin, sx, c.width - sx, sy, c.height - sy});
            }
        CHECK(margin > -1e-3);
        CHECK(margin < 0.5);
    }
}

TEST_CASE("a dataset photographed through a lens is undistorted at load to what a pinhole camera sees") {
    test::TempDir dir;
    synth::SynthOptions options;
    options.views = 4;
    options.width = 128;
    options.points = 100;
    options.lens = parse_lens("OPENCV:-0.35,0.08,0.002,-0.001");
    const std::filesystem::path model = test::data_dir() / "gltf/BoxTextured.glb";
    synth::synthesize(model, dir / "lens", options);
    for (const char* camera_file : {"", "sparse/0"}) {  // transforms.json, and the COLMAP model beside it
        CAPTURE(camera_file);
        if (*camera_file != 0) std::filesystem::remove(dir / "lens/transforms.json");
        const Dataset d = load_dataset(dir / "lens");
        REQUIRE(d.distortion.find("OPENCV (k1 -0.35, k2 0.08, p1 0.002, p2 -0.001) on 4 of 4 views") !=
                std::string::npos);
        const DatasetView& view = d.train.front();
        const ImageRgb undistorted = d.load_image(view);
        // The same view rendered by a pinhole camera with the undistorted intrinsics.
        const synth::Model gltf = synth::load_gltf(model);
        synth::MeshRenderOptions render;
        const synth::MeshImage truth = synth::render_mesh(gltf, gltf.pose(-1, 0.0f), view.camera, render);
        std::vector<float> expected(undistorted.rgb.size()), ignored(undistorted.rgb.size());
        DatasetView as_pinhole = view;  // the photo read as if it were a pinhole one (distortion ignored)
        as_pinhole.lens = {};
        as_pinhole.camera = view.distorted_camera;
        const ImageRgb raw = d.load_image(as_pinhole);
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const float a = truth.rgba[(i / 3) * 4 + 3] / 255.0f;
            expected[i] = truth.rgba[(i / 3) * 4 + i % 3] / 255.0f * a + (1.0f - a);  // over white
            ignored[i] = raw.rgb[i];
        }
        const double with_lens = psnr(undistorted.rgb, expected), without = psnr(ignored, expected);
        MESSAGE("undistorted photo against a pinhole render: ", with_lens,
                " dB; the photo as it is: ", without, " dB");
        // Two bilinear resamplings (the lens's warp in synth, the undistortion) blur a little; a photo
        // read through the wrong camera is misplaced by pixels at the edges.
        CHECK(with_lens > 30.0);
        CHECK(with_lens > without + 5.0);
    }
}

TEST_CASE("lens options and files that glint cannot use are errors naming them") {
    test::check_input_error([] { parse_lens("OPENCV:0.1,0.2"); }, {"OPENCV", "4 parameters"});
    test::check_input_error([] { parse_lens("FOV:0.1"); }, {"FOV:0.1", "MODEL:PARAMS"});
    test::check_input_error([] { parse_lens("RADIAL:0.1,x"); }, {"'x'", "not a number"});
    Camera c;
    c.width = 100, c.height = 100, c.fx = c.fy = 50, c.cx = c.cy = 50;
    // A strong pincushion folds the image over itself: no inverse at the corners.
    test::check_input_error([&] { undistorted_camera(c, lens(Model::SimpleRadial, -2.0)); },
                            {"SIMPLE_RADIAL"});
}

TEST_SUITE_END();
