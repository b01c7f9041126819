// The world's up direction: estimated from a scene's flat Gaussians, and chosen from the option, the
// file, the cameras beside it, the format's convention or the estimate (glint info shows which).
#include <cmath>
#include <fstream>

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>
#include <nlohmann/json.hpp>

#include "glint/core/up_settings.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/up_direction.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;

namespace {

// The cloud turned by `rotation` about the origin: positions and orientations.
splatting::GaussianCloud rotated(const splatting::GaussianCloud& cloud, glm::quat rotation) {
    splatting::GaussianCloud out = cloud;
    for (std::size_t i = 0; i < out.size(); ++i) {
        float* p = &out.positions()[3 * i];
        const glm::vec3 moved = rotation * glm::vec3(p[0], p[1], p[2]);
        for (int k = 0; k < 3; ++k) p[k] = moved[k];
        float* q = &out.rotations()[4 * i];
        const glm::quat turned = rotation * glm::quat(q[0], q[1], q[2], q[3]);
        q[0] = turned.w, q[1] = turned.x, q[2] = turned.y, q[3] = turned.z;
    }
    out.set_up(std::nullopt);
    return out;
}

double degrees_between(glm::vec3 a, glm::vec3 b) {
    return glm::degrees(std::acos(std::clamp(glm::dot(glm::normalize(a), glm::normalize(b)), -1.0f, 1.0f)));
}

nlohmann::json info_json(const std::filesystem::path& file) {
    const test::CommandResult r = test::run_glint("info --json " + test::quoted(file));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.output);
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE("the up estimate finds a tilted ground plane's normal, pointing away from the ground") {
        // The default scene: a knot standing on a disc; tilted by known rotations, and upside down.
        const splatting::GaussianCloud scene = tools::make_default_scene();
        for (const glm::vec3 angles : {glm::vec3(0, 0, 0), glm::vec3(30, 0, 20), glm::vec3(-50, 35, 0),
                                       glm::vec3(90, 0, 0), glm::vec3(180, 0, 0)}) {
            const glm::quat rotation(glm::radians(angles));
            const splatting::UpEstimate estimate = splatting::estimate_up(rotated(scene, rotation));
            const glm::vec3 truth = rotation * glm::vec3(0, 0, 1);
            const glm::vec3 found(estimate.up[0], estimate.up[1], estimate.up[2]);
            INFO("rotation ", angles.x, ", ", angles.y, ", ", angles.z, " degrees: found (", found.x, ", ",
                 found.y, ", ", found.z, "), confidence ", estimate.confidence);
            CHECK(degrees_between(found, truth) < 3.0);
            CHECK(estimate.confidence >= splatting::kConfidentUp);
        }
        // Random Gaussians face every way: no confident answer.
        tools::RandomSceneOptions random;
        random.count = 3000;
        CHECK(splatting::estimate_up(tools::make_random_scene(random)).confidence < splatting::kConfidentUp);
    }

    TEST_CASE(
        "glint info says where the up comes from: the file, the cameras beside it, the convention, "
        "the estimate") {
        test::TempDir dir;
        // glint's own file with its up line.
        const splatting::GaussianCloud scene = tools::make_default_scene();
        splatting::save_scene(scene, dir / "marked.ply");
        nlohmann::json info = info_json(dir / "marked.ply");
        CHECK(info["up"] == nlohmann::json({0.0, 0.0, 1.0}));
        CHECK(info["up_from"].get<std::string>().find("'glint up' line") != std::string::npos);
        // Written by glint without an up line, tilted: the estimate.
        const glm::quat tilt(glm::radians(glm::vec3(25, -15, 0)));
        splatting::save_scene(rotated(scene, tilt), dir / "tilted.ply");
        info = info_json(dir / "tilted.ply");
        const glm::vec3 found(info["up"][0].get<float>(), info["up"][1].get<float>(),
                              info["up"][2].get<float>());
        CHECK(degrees_between(found, tilt * glm::vec3(0, 0, 1)) < 3.0);
        CHECK(info["up_from"].get<std::string>().find("estimated") != std::string::npos);
        // A third-party PLY (the donut, trained by Mip-Splatting): the reference convention, -y.
        info = info_json(test::data_dir() / "splats/donut_sh0.ply");
        CHECK(info["up"] == nlohmann::json({0.0, -1.0, 0.0}));
        CHECK(info["up_from"].get<std::string>().find("convention") != std::string::npos);
        // Cameras beside the file: their mean up, here tilted 90 degrees from the file's axes.
        std::filesystem::copy(test::data_dir() / "splats/donut_sh0.ply", dir / "capture.ply");
        std::ofstream(dir / "transforms.json")
            << R"({"w": 8, "h": 8, "fl_x": 8, "frames": [{"file_path": "a.png", "transform_matrix": )"
            << R"([[1,0,0,0],[0,0,-1,-4],[0,1,0,0],[0,0,0,1]]}]})";
        info = info_json(dir / "capture.ply");
        // The OpenGL camera's up (its y column) is world +z.
        CHECK(info["up"][2].get<double>() == doctest::Approx(1.0));
        CHECK(info["up_from"].get<std::string>().find("cameras beside it") != std::string::npos);
    }

    TEST_CASE("training writes the dataset's up into the scene: a glTF model (+y) opens upright") {
        test::TempDir dir;
        REQUIRE(test::run_glint("synth -q " + test::quoted(test::data_dir() / "gltf/BoxTextured.glb") +
                                " -o " + test::quoted(dir / "box") + " --views 12 --res 32 --points 500")
                    .exit_code == 0);
        const test::CommandResult trained =
            test::run_glint("train -q " + test::quoted(dir / "box") + " -o " +
                            test::quoted(dir / "trained.ply") + " --iters 20");
        INFO(trained.output);
        REQUIRE(trained.exit_code == 0);
        std::filesystem::copy(dir / "trained.ply", dir / "alone.ply");  // nothing beside it
        const nlohmann::json info = info_json(dir / "alone.ply");
        const glm::vec3 up(info["up"][0].get<float>(), info["up"][1].get<float>(),
                           info["up"][2].get<float>());
        MESSAGE("trained scene's up: (", up.x, ", ", up.y, ", ", up.z, "), ",
                info["up_from"].get<std::string>());
        CHECK(degrees_between(up, {0, 1, 0}) < 5.0);
    }

    TEST_CASE("an up chosen in the viewer is remembered per file and used by info, render and record") {
        test::TempDir dir;
        const std::string config = "XDG_CONFIG_HOME=" + test::quoted(dir / "config");
        std::filesystem::copy(test::data_dir() / "splats/donut_sh0.ply", dir / "donut.ply");
        // What the View menu does (core/up_settings.h), then the commands in a process that sees the same
        // settings folder.
        ::setenv("XDG_CONFIG_HOME", (dir / "config").c_str(), 1);
        remember_up(dir / "donut.ply", {0.0f, 0.0f, -2.0f});
        REQUIRE(remembered_up(dir / "donut.ply").has_value());
        CHECK(remembered_up(dir / "donut.ply")->z == doctest::Approx(-1.0));
        CHECK_FALSE(remembered_up(dir / "other.ply").has_value());
        ::unsetenv("XDG_CONFIG_HOME");
        const test::CommandResult info =
            test::run_glint_under("env " + config, "info --json " + test::quoted(dir / "donut.ply"));
        INFO(info.output);
        REQUIRE(info.exit_code == 0);
        const nlohmann::json json = nlohmann::json::parse(info.output);
        CHECK(json["up"] == nlohmann::json({0.0, 0.0, -1.0}));
        CHECK(json["up_from"].get<std::string>().find("chosen in the viewer") != std::string::npos);
        const test::CommandResult render =
            test::run_glint_under("env " + config, "render " + test::quoted(dir / "donut.ply") +
                                                       " --width 64 -o " + test::quoted(dir / "v.png"));
        INFO(render.output);
        CHECK(render.exit_code == 0);
        CHECK(render.output.find("up: -z, chosen in the viewer") != std::string::npos);
        // --up still wins; a broken settings file is a warning, not a failure.
        std::ofstream(dir / "config/glint/up.json") << "not json";
        const test::CommandResult broken = test::run_glint_under(
            "env " + config, "render " + test::quoted(dir / "donut.ply") + " --width 64 --up 1,0,0 -o " +
                                 test::quoted(dir / "w.png"));
        INFO(broken.output);
        CHECK(broken.exit_code == 0);
        CHECK(broken.output.find("up: +x, from --up") != std::string::npos);
        const test::CommandResult ignored =
            test::run_glint_under("env " + config, "render " + test::quoted(dir / "donut.ply") +
                                                       " --width 64 -o " + test::quoted(dir / "x.png"));
        INFO(ignored.output);
        CHECK(ignored.exit_code == 0);
        CHECK(ignored.output.find("not a JSON object") != std::string::npos);
        CHECK(ignored.output.find("up: -y, the reference PLY convention") != std::string::npos);
    }
}
