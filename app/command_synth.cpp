// `glint synth MODEL.glb -o DATASET`: a posed-image dataset rendered from a glTF model.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <unistd.h>

#include "commands.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/synth/synth.h"

namespace glint::app {

void add_synth_command(CLI::App& app, Action& action) {
    struct Options {
        std::string model, output, distortion;
        synth::SynthOptions synth;
    };
    auto o = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand(
        "synth", "Render a glTF 2.0 model into a posed-image dataset (transforms.json, COLMAP text model)");
    command->add_option("model", o->model, "glTF model (.glb, or .gltf with its files)")->required();
    command->add_option("-o,--output", o->output, "Dataset folder to write")->required();
    command->add_option("--views", o->synth.views, "Number of camera views")->capture_default_str();
    command->add_option("--res", o->synth.width, "Image width in pixels")->capture_default_str();
    command->add_option("--height", o->synth.height, "Image height in pixels (default: the width)");
    command->add_option("--fov", o->synth.fov_x_degrees, "Horizontal field of view in degrees")
        ->capture_default_str();
    command->add_flag("--hemisphere", o->synth.hemisphere, "Cameras above the model's horizon only");
    command->add_option("--distance", o->synth.distance,
                        "Camera distance from the model's centre (default: the model fills the view)");
    command
        ->add_option("--frames", o->synth.frames,
                     "Frames of the animation to render (a multi-view video dataset when > 1)")
        ->capture_default_str();
    command->add_option("--animation", o->synth.animation, "Animation name or index (default: the first)");
    command
        ->add_option("--supersample", o->synth.supersample, "Anti-aliasing samples per pixel along each axis")
        ->capture_default_str();
    command->add_flag(
        "--unlit", [o](std::int64_t) { o->synth.lighting = false; }, "Base colour only, no lighting");
    command->add_option("--points", o->synth.points, "Initial points sampled from the rendered surfaces")
        ->capture_default_str();
    command->add_option("--seed", o->synth.seed, "Random seed of the point sampling")->capture_default_str();
    command->add_flag("--overwrite", o->synth.overwrite, "Replace a dataset already in the output folder");
    command->add_option(
        "--distortion", o->distortion,
        "Photograph through a lens, MODEL:PARAMS (as COLMAP's models: OPENCV:k1,k2,p1,p2, "
        "OPENCV_FISHEYE:k1,k2,k3,k4, SIMPLE_RADIAL:k, RADIAL:k1,k2, FULL_OPENCV:k1,k2,p1,p2,k3,k4,"
        "k5,k6, SIMPLE_RADIAL_FISHEYE:k, RADIAL_FISHEYE:k1,k2); the camera files carry it");
    command->callback([&action, o] {
        action = [o] {
            if (!o->distortion.empty()) o->synth.lens = parse_lens(o->distortion);
            const auto start = std::chrono::steady_clock::now();
            const bool tty = isatty(fileno(stderr)) != 0;
            int last_percent = -1;
            const synth::SynthReport report =
                synth::synthesize(o->model, o->output, o->synth, [&](int done, int total) {
                    const double seconds =
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                    const int percent = 100 * done / total;
                    if (tty) {
                        std::fprintf(stderr, "\rsynth: %d/%d images (%d%%), %.1f s\033[K", done, total,
                                     percent, seconds);
                        if (done == total) std::fprintf(stderr, "\n");
                    } else if (percent / 25 != last_percent / 25 || done == total) {
                        log::info("synth: ", done, "/", total, " images, ", seconds, " s");
                    }
                    last_percent = percent;
                });
            for (const std::string& w : report.warnings) log::warn(o->model, ": ", w);
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const glm::vec3 size = report.bounds.max - report.bounds.min;
            log::info(
                o->model, ": ", report.triangles, " triangles, size ", size.x, " x ", size.y, " x ", size.z,
                ", cameras at distance ", report.distance,
                report.animation.empty() ? std::string() : cat(", animation '", report.animation, "'"),
                o->synth.lens.none() ? std::string() : cat(", through the lens ", o->synth.lens.describe()));
            log::info("wrote ", report.images, " images, transforms.json, sparse/0 (COLMAP text) and ",
                      report.points, " points to ", o->output, " in ", seconds, " s");
            return 0;
        };
    });
}

}  // namespace glint::app
