// Scene and camera selection for the rendering commands.
#include "view_options.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "default_scene.h"
#include "glint/core/camera_io.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/core/up_settings.h"

namespace glint::app {

namespace {

// A view of the whole scene: from azimuth 35 and elevation 25 degrees around `up`, far enough that the
// bounding sphere of the 1-99% box fits the vertical field of view.
Camera fit_view(const scene::Sphere& sphere, glm::vec3 up, float fov_y, int width, int height) {
    const auto [centre, radius] = sphere;
    up = glm::normalize(up);
    glm::vec3 side = glm::cross(up, glm::vec3(1, 0, 0));
    if (glm::length(side) < 0.1f) side = glm::cross(up, glm::vec3(0, 1, 0));
    side = glm::normalize(side);
    const glm::vec3 other = glm::cross(side, up);
    const float azimuth = glm::radians(35.0f), elevation = glm::radians(25.0f);
    const glm::vec3 direction = std::cos(elevation) * (std::cos(azimuth) * side + std::sin(azimuth) * other) +
                                std::sin(elevation) * up;
    const float distance = radius / std::sin(0.5f * glm::radians(fov_y)) * 1.05f;
    return Camera::look_at(centre + distance * direction, centre, up, fov_y, width, height);
}

}  // namespace

glm::vec3 parse_background(const std::string& text) {
    const std::string name = to_lower(text);
    if (name == "black") return {0, 0, 0};
    if (name == "white") return {1, 1, 1};
    const std::vector<float> rgb = parse_numbers(text, 3, "--background");
    for (float v : rgb)
        if (v < 0.0f || v > 1.0f) throw InputError("--background: r,g,b values are in [0, 1]");
    return {rgb[0], rgb[1], rgb[2]};
}

glm::vec3 render_background(const std::string& text, const scene::Scene& scene) {
    if (!text.empty()) return parse_background(text);
    if (const std::optional<glm::vec3> trained = scene.background()) {
        log::info("background: the scene's learnt colour (", trained->x, ", ", trained->y, ", ", trained->z,
                  "); --background sets another");
        return *trained;
    }
    return glm::vec3(0.0f);
}

std::vector<float> parse_numbers(const std::string& text, std::size_t count, const char* option) {
    const std::vector<double> values = parse_number_list(text, option);
    for (const double v : values)
        if (std::fabs(v) > 3.4e38) throw InputError(cat(option, ": values must be finite"));
    if (values.size() != count)
        throw InputError(cat(option, ": expected ", count, " comma-separated numbers"));
    return std::vector<float>(values.begin(), values.end());
}

void add_view_options(CLI::App& command, ViewOptions& o) {
    command.add_option("SCENE", o.scene,
                       "Scene file (.ply, .splat, .nerf); the embedded default scene if omitted");
    command.add_option("--cameras", o.cameras, "transforms.json, or a COLMAP model folder");
    command.add_option("--index", o.index, "Which camera of --cameras (0-based, COLMAP by image name)")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--lookat", o.lookat, "eye,target,up as 9 comma-separated numbers")
        ->excludes("--cameras");
    command
        .add_option("--fov", o.fov, "Vertical field of view in degrees for --lookat or the automatic view")
        ->check(CLI::Range(1.0f, 170.0f));
    command.add_option("--up", o.up,
                       "World up direction x,y,z for the automatic view (no --cameras or --lookat); default: "
                       "the file's own, the cameras beside it, its format's convention, or estimated");
    command.add_option("--width", o.width, "Image width (cameras are rescaled)")->check(CLI::Range(1, 16384));
    command.add_option("--height", o.height, "Image height (cameras are rescaled)")
        ->check(CLI::Range(1, 16384));
    command.add_option(
        "--time", o.time,
        "4D scenes: the time to render (clamped to the scene's time span; its start by default)");
    command
        .add_option("--temporal-cutoff", o.temporal_cutoff,
                    "4D scenes: skip Gaussians whose temporal marginal is below this (default 0.05)")
        ->check(CLI::Range(0.0f, 0.999f));
    command.add_flag(
        "--no-active-masks", o.no_active_masks,
        "4D scenes: look at every Gaussian in every frame instead of only those alive at the frame's "
        "time, found through the temporal hierarchy (the same image, slower; for comparison)");
    command.add_flag("--antialias", o.antialias, "Mip-Splatting 2D filter with opacity compensation");
    command.add_option("--sh-degree", o.sh_degree, "Use SH up to this degree")->check(CLI::Range(0, 3));
    command
        .add_option("--lod-pixels", o.lod_pixels,
                    "Level of detail: draw the Gaussian hierarchy's cut whose nodes project under PX pixels "
                    "(the file's hierarchy from glint lod, or one built at load)")
        ->check(CLI::NonNegativeNumber);
    command.add_option(
        "--lod-budget", o.lod_budget,
        "Level of detail: draw the best cut of the Gaussian hierarchy with at most N Gaussians");
    command.add_flag(
        "--lod-levels", o.lod_levels,
        "Level of detail: colour the cut's Gaussians by their level in the hierarchy (turbo: blue for "
        "the scene's own Gaussians, red for 10 or more levels up)");
    command.add_option("--backend", o.backend, "auto, cpu or cuda");
}

std::unique_ptr<scene::Scene> open_scene_or_default(const ViewOptions& o, std::string& name) {
    name = o.scene.empty() ? kDefaultSceneName : o.scene;
    const Backend backend = parse_backend(o.backend);
    if (o.scene.empty())
        return scene::open_scene_from_memory(default_scene_bytes(), kDefaultSceneName, backend);
    return scene::open_scene(o.scene, backend);
}

float resolve_time(const ViewOptions& o, const scene::Scene& scene, const std::string& name) {
    const std::optional<scene::TimeSpan> span = scene.time_span();
    if (!span) return o.time.value_or(0.0f);
    if (!o.time) return span->begin;
    if (*o.time < span->begin || *o.time > span->end) {
        const float clamped = std::clamp(*o.time, span->begin, span->end);
        log::warn(name, ": time ", *o.time, " is outside the scene's time span [", span->begin, ", ",
                  span->end, "]; rendering at ", clamped);
        return clamped;
    }
    return *o.time;
}

scene::DrawSettings draw_settings(const ViewOptions& o) {
    scene::DrawSettings settings;
    settings.antialias = o.antialias;
    settings.sh_degree = o.sh_degree;
    settings.lod_pixels = o.lod_pixels;
    settings.lod_budget = o.lod_budget;
    settings.lod_levels = o.lod_levels;
    settings.temporal_cutoff = o.temporal_cutoff;
    settings.active_masks = !o.no_active_masks;
    return settings;
}

std::optional<std::filesystem::path> cameras_beside(const std::filesystem::path& scene) {
    if (scene.empty()) return std::nullopt;
    const std::filesystem::path dir = scene.parent_path().empty() ? "." : scene.parent_path();
    for (const char* name : {"transforms.json", "transforms_train.json"})
        if (std::filesystem::is_regular_file(dir / name)) return dir / name;
    for (const std::filesystem::path& model : {dir / "sparse" / "0", dir / "sparse", dir})
        if (std::filesystem::exists(model / "cameras.bin") || std::filesystem::exists(model / "cameras.txt"))
            return model;
    return std::nullopt;
}

namespace {

std::string axis_text(glm::vec3 v) {
    for (int k = 0; k < 3; ++k) {
        glm::vec3 axis(0.0f);
        axis[k] = 1.0f;
        const char* names[3] = {"x", "y", "z"};
        if (glm::dot(v, axis) > 0.9999f) return cat("+", names[k]);
        if (glm::dot(v, axis) < -0.9999f) return cat("-", names[k]);
    }
    char text[64];
    std::snprintf(text, sizeof text, "(%.3f, %.3f, %.3f)", v.x, v.y, v.z);
    return text;
}

}  // namespace

UpChoice resolve_up(const std::string& up_option, const std::filesystem::path& scene_path,
                    const scene::Scene* scene) {
    return resolve_up(up_option, scene_path, scene != nullptr ? scene->up_hint() : std::nullopt);
}

UpChoice resolve_up(const std::string& up_option, const std::filesystem::path& scene_path,
                    const std::optional<scene::UpHint>& hint) {
    UpChoice choice;
    const auto done = [&](glm::vec3 up, const std::string& how) {
        choice.up = glm::normalize(up);
        choice.how = cat(axis_text(choice.up), ", ", how);
        return choice;
    };
    if (!up_option.empty()) {
        const std::vector<float> up = parse_numbers(up_option, 3, "--up");
        if (glm::length(glm::vec3(up[0], up[1], up[2])) == 0.0f) throw InputError("--up must not be zero");
        return done({up[0], up[1], up[2]}, "from --up");
    }
    if (const std::optional<glm::vec3> up = remembered_up(scene_path))
        return done(*up, cat("chosen in the viewer (remembered in ", up_settings_path().string(), ")"));
    if (const std::optional<std::filesystem::path> beside = cameras_beside(scene_path)) {
        try {
            if (const std::optional<glm::vec3> up = mean_camera_up(load_cameras(*beside).cameras))
                return done(*up, cat("the mean up of the cameras beside it (", beside->string(), ")"));
        } catch (const InputError& e) {
            log::warn("ignoring the cameras beside the scene: ", e.what());
        }
    }
    if (hint) return done(hint->up, hint->how);
    return done({0.0f, 0.0f, 1.0f}, "the default: nothing in the file says otherwise");
}

Camera resolve_camera(const ViewOptions& o, const scene::Scene& scene, glm::vec3 up,
                      std::string& description) {
    // The sphere only matters (and is only computed) for the automatic view.
    const bool automatic = o.cameras.empty() && o.lookat.empty();
    return resolve_camera(o, automatic ? scene.framing_sphere() : scene::Sphere{}, up, description);
}

Camera resolve_camera(const ViewOptions& o, const scene::Sphere& sphere, glm::vec3 up,
                      std::string& description) {
    if (!o.cameras.empty()) {
        const CameraSet set = load_cameras(o.cameras);
        if (o.index >= static_cast<int>(set.cameras.size()))
            throw InputError(
                cat(o.cameras, ": --index ", o.index, " but there are ", set.cameras.size(), " cameras"));
        Camera camera = set.cameras[static_cast<std::size_t>(o.index)];
        description = cat("camera ", o.index, " (", set.names[static_cast<std::size_t>(o.index)], ")");
        if (o.width > 0 || o.height > 0) {
            // One dimension given: keep the camera's aspect ratio.
            const double aspect = static_cast<double>(camera.width) / camera.height;
            const int width = o.width > 0 ? o.width : static_cast<int>(std::lround(o.height * aspect));
            const int height = o.height > 0 ? o.height : static_cast<int>(std::lround(o.width / aspect));
            camera = camera.resized(std::max(width, 1), std::max(height, 1));
        }
        return camera;
    }
    const int width = o.width > 0 ? o.width : 1280;
    const int height = o.height > 0 ? o.height : (o.width > 0 ? std::max(1, o.width * 9 / 16) : 720);
    if (!o.lookat.empty()) {
        const std::vector<float> v = parse_numbers(o.lookat, 9, "--lookat");
        description = "--lookat";
        return Camera::look_at({v[0], v[1], v[2]}, {v[3], v[4], v[5]}, {v[6], v[7], v[8]}, o.fov, width,
                               height);
    }
    description = "the automatic view";
    return fit_view(sphere, up, o.fov, width, height);
}

}  // namespace glint::app
