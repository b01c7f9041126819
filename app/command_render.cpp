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
#include "glint/core/error.h"
#include "glint/core/frame_display.h"
#include "glint/core/image_io.h"
#include "glint/core/lens.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "view_options.h"

namespace glint::app {
namespace {

// A data image of `mode` as RGB bytes.
std::vector<std::uint8_t> data_image(const Frame& out, DisplayMode mode) {
    std::vector<std::uint32_t> packed(out.alpha.size());
    const DepthRange range = mode == DisplayMode::Depth ? depth_range(out) : DepthRange{};
    const std::uint32_t most = display_pixels(out, mode, range, packed);
    if (mode == DisplayMode::Depth)
        log::info("depth image: turbo colour map from ", range.near, " (red) to ", range.far,
                  " (blue), black where alpha is 0");
    if (mode == DisplayMode::Heat)
        log::info("count image: turbo colour map from 0 to ", most, " Gaussians per pixel");
    std::vector<std::uint8_t> rgb(packed.size() * 3);
    unpack_rgb(packed, rgb);
    return rgb;
}

}  // namespace

void add_render_command(CLI::App& app, Action& action) {
    struct Options {
        ViewOptions view;
        std::string output, depth, alpha, count, background, distortion;
    };
    auto o = std::make_shared<Options>();
    CLI::App* command =
        app.add_subcommand("render", "Render one frame of a scene (Gaussians or a .nerf) to PNG, headless");
    add_view_options(*command, o->view);
    command->add_option("-o,--output", o->output, "Colour image (.png)")->required();
    command->add_option("--depth", o->depth, "Also write the expected depth as a colour-mapped PNG");
    command->add_option("--alpha", o->alpha, "Also write the accumulated opacity as a grey PNG");
    command->add_option("--count", o->count,
                        "Also write the number of Gaussians blended per pixel (heat map PNG)");
    command->add_option(
        "--background", o->background,
        "black, white, or r,g,b in [0, 1] (default: the colour the scene was trained over when "
        "its file states one, else black)");
    command->add_option(
        "--distortion", o->distortion,
        "Render as a camera with this lens would see it, MODEL:PARAMS as COLMAP's models "
        "(OPENCV:k1,k2,p1,p2, SIMPLE_RADIAL:k, OPENCV_FISHEYE:k1,k2,k3,k4, ...); colour only");
    command->callback([&action, o] {
        action = [o] {
            const auto write_images = [&](const Frame& out) {
                std::vector<std::uint8_t> rgb(out.color.size());
                std::transform(out.color.begin(), out.color.end(), rgb.begin(), to_unorm8);
                write_png(o->output, out.width, out.height, 3, rgb);
                if (!o->depth.empty())
                    write_png(o->depth, out.width, out.height, 3, data_image(out, DisplayMode::Depth));
                if (!o->alpha.empty()) {
                    std::vector<std::uint8_t> grey(out.alpha.size());
                    std::transform(out.alpha.begin(), out.alpha.end(), grey.begin(), to_unorm8);
                    write_png(o->alpha, out.width, out.height, 1, grey);
                }
                if (!o->count.empty())
                    write_png(o->count, out.width, out.height, 3, data_image(out, DisplayMode::Heat));
            };
            for (const std::string* path : {&o->output, &o->depth, &o->alpha, &o->count})
                if (!path->empty() && to_lower(std::filesystem::path(*path).extension().string()) != ".png")
                    throw InputError(cat(*path, ": output images are PNG (.png)"));
            std::string scene_name;
            const std::unique_ptr<scene::Scene> scene = open_scene_or_default(o->view, scene_name);
            if (!o->count.empty() && !scene->has_counts())
                throw InputError(cat("--count shows primitives blended per pixel; ", scene_name, " (",
                                     scene::kind_name(scene->kind()), ") has none"));

            std::string view;
            const UpChoice up = resolve_up(o->view.up, o->view.scene, scene.get());
            const Camera camera = resolve_camera(o->view, *scene, up.up, view);
            if (view == "the automatic view") log::info("up: ", up.how);

            scene::DrawSettings settings = draw_settings(o->view);
            settings.background = render_background(o->background, *scene);
            const float time = resolve_time(o->view, *scene, scene_name);
            Frame out;
            scene::FrameStats stats;
            if (o->distortion.empty()) {
                stats = scene->render(camera, time, settings, out);
            } else {
                // A pinhole view wide enough for the lens, remapped through it.
                if (!o->depth.empty() || !o->alpha.empty() || !o->count.empty())
                    throw InputError(
                        "--distortion renders the colour image only (no --depth, --alpha, --count)");
                const LensDistortion lens = parse_lens(o->distortion);
                const Camera pinhole = covering_camera(camera, lens);
                stats = scene->render(pinhole, time, settings, out);
                out.color = distort_image(out.color, 3, pinhole, lens, camera);
                out.width = camera.width;
                out.height = camera.height;
                view += cat(" through ", lens.describe());
            }
            write_images(out);

            log::info("rendered ", scene_name, " (", scene->summary(), ")",
                      scene->time_span() ? cat(" at t = ", time) : std::string(), " from ", view, " at ",
                      out.width, "x", out.height, " on the ", backend_name(stats.backend), ": ",
                      stats.describe());
            log::info("wrote ", o->output);
            return 0;
        };
    });
}

}  // namespace glint::app
