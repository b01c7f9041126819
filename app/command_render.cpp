// `glint render`: one frame of a scene, headless, to PNG (colour, and optionally depth, alpha, counts).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "glint/core/camera_io.h"
#include "glint/core/colormap.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/scene_stats.h"
#include "view_options.h"

namespace glint::app {
namespace {

splatting::raster::Vec3 parse_background(const std::string& text) {
    const std::string name = to_lower(text);
    if (name == "black") return {0, 0, 0};
    if (name == "white") return {1, 1, 1};
    const std::vector<float> rgb = parse_numbers(text, 3, "--background");
    for (float v : rgb)
        if (v < 0.0f || v > 1.0f) throw InputError("--background: r,g,b values are in [0, 1]");
    return {rgb[0], rgb[1], rgb[2]};
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
        ViewOptions view;
        std::string output, depth, alpha, count, background = "black";
    };
    auto o = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand("render", "Render one frame of a scene to PNG, headless");
    add_view_options(*command, o->view);
    command->add_option("-o,--output", o->output, "Colour image (.png)")->required();
    command->add_option("--depth", o->depth, "Also write the expected depth as a colour-mapped PNG");
    command->add_option("--alpha", o->alpha, "Also write the accumulated opacity as a grey PNG");
    command->add_option("--count", o->count,
                        "Also write the number of Gaussians blended per pixel (heat map PNG)");
    command->add_option("--background", o->background, "black, white, or r,g,b in [0, 1]");
    command->callback([&action, o] {
        action = [o] {
            for (const std::string* path : {&o->output, &o->depth, &o->alpha, &o->count})
                if (!path->empty() && to_lower(std::filesystem::path(*path).extension().string()) != ".png")
                    throw InputError(cat(*path, ": output images are PNG (.png)"));
            std::string scene_name;
            const splatting::LoadedScene scene = load_scene_or_default(o->view, scene_name);

            std::string view;
            const Camera camera = resolve_camera(o->view, scene.cloud, view);

            splatting::RenderSettings settings = render_settings(o->view, scene.cloud, scene_name);
            settings.background = parse_background(o->background);
            const std::unique_ptr<splatting::Rasterizer> rasterizer =
                splatting::create_rasterizer(parse_backend(o->view.backend));
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
            log::info("rendered ", scene_name,
                      scene.cloud.is_4d() ? cat(" at t = ", settings.time) : std::string(), " from ", view,
                      " at ", out.width, "x", out.height, " on the ", backend_name(rasterizer->backend()),
                      ": ", stats.visible, " of ", stats.gaussians, " Gaussians visible, ", stats.tile_pairs,
                      " tile pairs; preprocess ", stats.preprocess_ms, " ms, sort ", stats.sort_ms,
                      " ms, blend ", stats.blend_ms, " ms");
            log::info("wrote ", o->output);
            return 0;
        };
    });
}

}  // namespace glint::app
