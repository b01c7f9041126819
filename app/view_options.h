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
#include "glint/scene/scene.h"

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
    bool no_active_masks = false;   // 4D scenes: look at every Gaussian in every frame
    float lod_pixels = 0.0f;        // 3D scenes: draw the hierarchy's cut under this size (0: the scene)
    std::size_t lod_budget = 0;     // 3D scenes: the best cut of at most this many Gaussians (0: none)
    bool lod_levels = false;        // the cut's Gaussians coloured by their level in the hierarchy
};

void add_view_options(CLI::App& command, ViewOptions& options);

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
                    const scene::Scene* scene);
// The same with what the scene's content says (scene::Scene::up_hint), if anything.
UpChoice resolve_up(const std::string& up_option, const std::filesystem::path& scene_path,
                    const std::optional<scene::UpHint>& hint);

// A transforms.json or COLMAP model beside a scene file (its folder), or nothing.
std::optional<std::filesystem::path> cameras_beside(const std::filesystem::path& scene);

// The scene named by the options (any kind, on the options' backend), or the embedded default scene;
// `name` says which. Throws InputError naming the file for bad input.
std::unique_ptr<scene::Scene> open_scene_or_default(const ViewOptions& options, std::string& name);

// The camera the options describe; `description` says which ("camera 3 (r_3.png)", "--lookat", ...).
// The automatic view looks from slightly above along `up` at the scene's framing sphere. Throws
// InputError for bad option values or camera files.
Camera resolve_camera(const ViewOptions& options, const scene::Scene& scene, glm::vec3 up,
                      std::string& description);
// The same with the automatic view framing `sphere`.
Camera resolve_camera(const ViewOptions& options, const scene::Sphere& sphere, glm::vec3 up,
                      std::string& description);

// The time to render a dynamic scene at: --time, clamped with a warning to the scene's time span, or
// the start of that span when --time is not given. Static scenes: --time or 0 (ignored by them).
float resolve_time(const ViewOptions& options, const scene::Scene& scene, const std::string& name);

// Draw settings from the options (background black).
scene::DrawSettings draw_settings(const ViewOptions& options);

// --background: black, white, or r,g,b in [0, 1]. Throws InputError otherwise.
glm::vec3 parse_background(const std::string& text);
// The background a render of `scene` uses: --background when given (`text` not empty), else the colour
// the scene was trained over when its file states one, else black.
glm::vec3 render_background(const std::string& text, const scene::Scene& scene);

// Comma-separated numbers, exactly `count` of them, finite; `option` names the option in errors.
std::vector<float> parse_numbers(const std::string& text, std::size_t count, const char* option);

}  // namespace glint::app
