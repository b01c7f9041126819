// `glint render`: one frame of a scene, headless, to PNG (colour, and optionally depth, alpha, counts).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "default_scene.h"
#include "glint/core/camera_io.h"
#include "glint/core/colormap.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/scene_stats.h"

namespace glint::app {
namespace {

std::vector<float> parse_numbers(const std::string& text, std::size_t count, const char* option) {
    std::vector<float> values;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            std::size_t used = 0;
            values.push_back(std::stof(item, &used));
            if (used != item.size()) throw std::invalid_argument(item);
        } catch (const std::exception&) {
            throw InputError(cat(option, ": '", printable(item), "' is not a number"));
        }
        if (!std::isfinite(values.back())) throw InputError(cat(option, ": values must be finite"));
    }
    if (values.size() != count)
        throw InputError(cat(option, ": expected ", count, " comma-separated numbers"));
    return values;
}

splatting::raster::Vec3 parse_background(const std::string& text) {
    const std::string name = to_lower(text);
    if (name == "black") return {0, 0, 0};
    if (name == "white") return {1, 1, 1};
    const std::vector<float> rgb = parse_numbers(text, 3, "--background");
    for (float v : rgb)
        if (v < 0.0f || v > 1.0f) throw InputError("--background: r,g,b values are in [0, 1]");
    return {rgb[0], rgb[1], rgb[2]};
}

// A view of the whole scene: from azimuth 35 and elevation 25 degrees around `up`, far enough that the
// 1-99% bounding box fits the vertical field of view.
Camera fit_view(const splatting::GaussianCloud& cloud, glm::vec3 up, float fov_y, int width, int height) {
    const splatting::SceneStats stats = splatting::compute_stats(cloud);
    glm::vec3 lo(stats.robust_min[0], stats.robust_min[1], stats.robust_min[2]);
    glm::vec3 hi(stats.robust_max[0], stats.robust_max[1], stats.robust_max[2]);
    const glm::vec3 centre = 0.5f * (lo + hi);
    const float radius = std::max(0.5f * glm::length(hi - lo), 1e-3f);
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

std::vector<std::uint8_t> depth_image(const splatting::RenderOutput& out) {
    std::vector<float> depths;
    for (std::size_t i = 0; i < out.alpha.size(); ++i)
        if (out.alpha[i] > 0.5f) depths.push_back(out.depth[i]);
    float near = 0, far = 1;
    if (!depths.empty()) {
        const auto at = [&](double q) {
            const auto rank = static_cast<std::size_t>(q * static_cast<double>(depths.size() - 1));
            std::nth_element(depths.begin(), depths.begin() + static_cast<std::ptrdiff_t>(rank),
                             depths.end());
            return depths[rank];
        };
        near = at(0.01);
        far = at(0.99);
    }
    log::info("depth image: turbo colour map from ", near, " (red) to ", far,
              " (blue), black where alpha is 0");
    std::vector<std::uint8_t> rgb(out.alpha.size() * 3);
    for (std::size_t i = 0; i < out.alpha.size(); ++i) {
        const float t = far > near ? (out.depth[i] - near) / (far - near) : 0.0f;
        const auto c = turbo(1.0f - t);
        for (int k = 0; k < 3; ++k) rgb[3 * i + k] = to_unorm8(c[k] * out.alpha[i]);
    }
    return rgb;
}

std::vector<std::uint8_t> count_image(const splatting::RenderOutput& out) {
    const std::uint32_t most =
        std::max<std::uint32_t>(1, *std::max_element(out.contributors.begin(), out.contributors.end()));
    log::info("count image: turbo colour map from 0 to ", most, " Gaussians per pixel");
    std::vector<std::uint8_t> rgb(out.contributors.size() * 3);
    for (std::size_t i = 0; i < out.contributors.size(); ++i) {
        const auto c = turbo(static_cast<float>(out.contributors[i]) / static_cast<float>(most));
        for (int k = 0; k < 3; ++k) rgb[3 * i + k] = to_unorm8(out.contributors[i] == 0 ? 0.0f : c[k]);
    }
    return rgb;
}

}  // namespace

void add_render_command(CLI::App& app, Action& action) {
    struct Options {
        std::string scene, cameras, lookat, output, depth, alpha, count, background = "black",
                                                                         backend = "auto";
        std::string up = "0,0,1";
        int index = 0, width = 0, height = 0, sh_degree = -1;
        float fov = 50.0f;
        bool antialias = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("render", "Render one frame of a scene to PNG, headless");
    command->add_option("SCENE", o->scene,
                        "Scene file (.ply, .splat); the embedded default scene if omitted");
    command->add_option("-o,--output", o->output, "Colour image (.png)")->required();
    command->add_option("--cameras", o->cameras, "transforms.json, or a COLMAP model folder");
    command->add_option("--index", o->index, "Which camera of --cameras (0-based, COLMAP by image name)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--lookat", o->lookat, "eye,target,up as 9 comma-separated numbers")
        ->excludes("--cameras");
    command
        ->add_option("--fov", o->fov, "Vertical field of view in degrees for --lookat or the automatic view")
        ->check(CLI::Range(1.0f, 170.0f));
    command->add_option("--up", o->up,
                        "World up direction for the automatic view (no --cameras or --lookat)");
    command->add_option("--width", o->width, "Image width (cameras are rescaled)")
        ->check(CLI::Range(1, 16384));
    command->add_option("--height", o->height, "Image height (cameras are rescaled)")
        ->check(CLI::Range(1, 16384));
    command->add_option("--depth", o->depth, "Also write the expected depth as a colour-mapped PNG");
    command->add_option("--alpha", o->alpha, "Also write the accumulated opacity as a grey PNG");
    command->add_option("--count", o->count,
                        "Also write the number of Gaussians blended per pixel (heat map PNG)");
    command->add_option("--background", o->background, "black, white, or r,g,b in [0, 1]");
    command->add_flag("--antialias", o->antialias, "Mip-Splatting 2D filter with opacity compensation");
    command->add_option("--sh-degree", o->sh_degree, "Use SH up to this degree")->check(CLI::Range(0, 3));
    command->add_option("--backend", o->backend, "auto, cpu or cuda");
    command->callback([&action, o] {
        action = [o] {
            for (const std::string* path : {&o->output, &o->depth, &o->alpha, &o->count})
                if (!path->empty() && to_lower(std::filesystem::path(*path).extension().string()) != ".png")
                    throw InputError(cat(*path, ": output images are PNG (.png)"));
            const splatting::LoadedScene scene =
                o->scene.empty() ? splatting::load_scene_from_memory(
                                       default_scene_bytes(), splatting::SceneFormat::Ply, kDefaultSceneName)
                                 : splatting::load_scene(o->scene);
            const std::string scene_name = o->scene.empty() ? kDefaultSceneName : o->scene;
            if (scene.cloud.is_4d())
                throw InputError(cat(scene_name, ": a 4D scene; glint cannot render 4D scenes yet"));

            Camera camera;
            std::string view;
            if (!o->cameras.empty()) {
                const CameraSet set = load_cameras(o->cameras);
                if (o->index >= static_cast<int>(set.cameras.size()))
                    throw InputError(cat(o->cameras, ": --index ", o->index, " but there are ",
                                         set.cameras.size(), " cameras"));
                camera = set.cameras[static_cast<std::size_t>(o->index)];
                view = cat("camera ", o->index, " (", set.names[static_cast<std::size_t>(o->index)], ")");
            } else {
                const int width = o->width > 0 ? o->width : 1280;
                const int height = o->height > 0 ? o->height : (o->width > 0 ? o->width * 9 / 16 : 720);
                if (!o->lookat.empty()) {
                    const std::vector<float> v = parse_numbers(o->lookat, 9, "--lookat");
                    camera = Camera::look_at({v[0], v[1], v[2]}, {v[3], v[4], v[5]},
                                             glm::vec3(v[6], v[7], v[8]), o->fov, width, height);
                    view = "--lookat";
                } else {
                    const std::vector<float> up = parse_numbers(o->up, 3, "--up");
                    if (glm::length(glm::vec3(up[0], up[1], up[2])) == 0.0f)
                        throw InputError("--up must not be zero");
                    camera = fit_view(scene.cloud, {up[0], up[1], up[2]}, o->fov, width, height);
                    view = "the automatic view";
                }
            }
            if (!o->cameras.empty() && (o->width > 0 || o->height > 0)) {
                const int width = o->width > 0
                                      ? o->width
                                      : static_cast<int>(std::lround(static_cast<double>(camera.width) *
                                                                     o->height / camera.height));
                const int height = o->height > 0
                                       ? o->height
                                       : static_cast<int>(std::lround(static_cast<double>(camera.height) *
                                                                      o->width / camera.width));
                camera = camera.resized(std::max(width, 1), std::max(height, 1));
            }

            splatting::RenderSettings settings;
            settings.background = parse_background(o->background);
            settings.antialias = o->antialias;
            settings.sh_degree = o->sh_degree;
            const std::unique_ptr<splatting::Rasterizer> rasterizer =
                splatting::create_rasterizer(parse_backend(o->backend));
            splatting::RenderOutput out;
            const splatting::RenderStats stats = rasterizer->render(scene.cloud, camera, settings, out);

            std::vector<std::uint8_t> rgb(out.color.size());
            std::transform(out.color.begin(), out.color.end(), rgb.begin(), to_unorm8);
            write_png(o->output, out.width, out.height, 3, rgb);
            if (!o->depth.empty()) write_png(o->depth, out.width, out.height, 3, depth_image(out));
            if (!o->alpha.empty()) {
                std::vector<std::uint8_t> grey(out.alpha.size());
                std::transform(out.alpha.begin(), out.alpha.end(), grey.begin(), to_unorm8);
                write_png(o->alpha, out.width, out.height, 1, grey);
            }
            if (!o->count.empty()) write_png(o->count, out.width, out.height, 3, count_image(out));
            log::info("rendered ", scene_name, " from ", view, " at ", out.width, "x", out.height, " on the ",
                      backend_name(rasterizer->backend()), ": ", stats.visible, " of ", stats.gaussians,
                      " Gaussians visible, ", stats.tile_pairs, " tile pairs; preprocess ",
                      stats.preprocess_ms, " ms, sort ", stats.sort_ms, " ms, blend ", stats.blend_ms, " ms");
            log::info("wrote ", o->output);
            return 0;
        };
    });
}

}  // namespace glint::app
