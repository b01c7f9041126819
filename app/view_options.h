// Options shared by the commands that render: the scene (or the embedded default), the camera
// (--cameras/--index, --lookat/--fov, or the automatic view; --width/--height), the time of a 4D scene,
// and the rendering options (--antialias, --sh-degree, --backend).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "glint/core/camera.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"

namespace glint::app {

struct ViewOptions {
    std::string scene;
    std::string cameras, lookat, up;  // up: empty = resolve_up() decides
    int index = 0, width = 0, height = 0;
    float fov = 50.0f;
    std::optional<float> time;  // 4D scenes; the start of the scene's time span when not given
    // Rendering.
    bool antialias = false;
    int sh_degree = -1;
    std::string backend = "auto";
    float temporal_cutoff = 0.05f;  // 4D scenes
};

void add_view_options(CLI::App& command, ViewOptions& options);

// The sphere the automatic view frames: the box of the 1st to 99th percentile of positions per axis.
struct SceneSphere {
    glm::vec3 centre;
    float radius;
};
SceneSphere scene_sphere(const splatting::GaussianCloud& cloud);

// The world's up direction for the automatic view, and how it was chosen, in order: the --up option; the
// up chosen for this file in the viewer (up_settings.h); the mean up of the cameras beside the file
// (transforms.json or a COLMAP model: the dataset it came from); the file's own "glint up" line (glint
// writes the up of the dataset it trained from, and of the scenes it generates);
// the convention of third-party reference PLY and .splat files (-y, COLMAP's image-down axis, as the
// common viewers take it); an estimate from the scene's flat Gaussians when it is clear; +z.
struct UpChoice {
    glm::vec3 up{0.0f, 0.0f, 1.0f};
    std::string how;
};
UpChoice resolve_up(const std::string& up_option, const std::filesystem::path& scene_path,
                    const splatting::LoadedScene* scene);
// The same from a cloud (null for scenes that are not Gaussians) and what its file was.
UpChoice resolve_up(const std::string& up_option, const std::filesystem::path& scene_path,
                    const splatting::GaussianCloud* cloud, splatting::SceneFormat format,
                    bool written_by_glint);

// A transforms.json or COLMAP model beside a scene file (its folder), or nothing.
std::optional<std::filesystem::path> cameras_beside(const std::filesystem::path& scene);

// The scene named by the options, or the embedded default scene; `name` says which.
splatting::LoadedScene load_scene_or_default(const ViewOptions& options, std::string& name);

// The camera the options describe; `description` says which ("camera 3 (r_3.png)", "--lookat", ...).
// The automatic view looks from slightly above along `up`. Throws InputError for bad option values or
// camera files.
Camera resolve_camera(const ViewOptions& options, const splatting::GaussianCloud& cloud, glm::vec3 up,
                      std::string& description);
// The same with the automatic view framing `sphere` (scenes that are not Gaussians).
Camera resolve_camera(const ViewOptions& options, const SceneSphere& sphere, glm::vec3 up,
                      std::string& description);

// The time to render a 4D scene at: --time, clamped with a warning to the span of the scene's time
// means, or the start of that span when --time is not given. 3D scenes ignore it.
float resolve_time(const ViewOptions& options, const splatting::GaussianCloud& cloud,
                   const std::string& name);

// Render settings from the options (background black); the time resolved as resolve_time does.
splatting::RenderSettings render_settings(const ViewOptions& options, const splatting::GaussianCloud& cloud,
                                          const std::string& name);

// --background: black, white, or r,g,b in [0, 1]. Throws InputError otherwise.
splatting::raster::Vec3 parse_background(const std::string& text);

// Comma-separated numbers, exactly `count` of them, finite; `option` names the option in errors.
std::vector<float> parse_numbers(const std::string& text, std::size_t count, const char* option);

}  // namespace glint::app
