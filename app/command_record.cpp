// `glint record`: renders a camera path (or an automatic orbit) offline into an MP4 or a PNG sequence.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

#include "commands.h"
#include "glint/core/atomic_file.h"
#include "glint/core/camera_path.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/scene/recorder.h"
#include "view_options.h"

namespace glint::app {
namespace {

volatile std::sig_atomic_t g_record_interrupted = 0;
void on_interrupt(int) {
    g_record_interrupted = 1;
}

// "1920x1080" -> width, height.
void parse_resolution(const std::string& text, int& width, int& height) {
    const std::size_t x = to_lower(text).find('x');
    try {
        if (x == std::string::npos) throw std::invalid_argument(text);
        std::size_t used_w = 0, used_h = 0;
        width = std::stoi(text.substr(0, x), &used_w);
        height = std::stoi(text.substr(x + 1), &used_h);
        if (used_w != x || used_h != text.size() - x - 1) throw std::invalid_argument(text);
    } catch (const std::exception&) {
        throw InputError(cat("--res: expected WIDTHxHEIGHT such as 1920x1080, got '", text, "'"));
    }
    if (width < 2 || height < 2 || width > 16384 || height > 16384)
        throw InputError(cat("--res: ", text, " is out of range (2 to 16384 per side)"));
}

struct RecordOptions {
    std::string scene, path, output, export_nerfstudio, res = "1920x1080", preset = "ultrafast", background;
    std::string backend = "auto", up;
    int fps = 30, crf = 18, sh_degree = -1;
    float duration = 0.0f, fov = 50.0f, temporal_cutoff = 0.05f;
    std::optional<float> time;
    bool antialias = false, dry_run = false;
    float lod_pixels = 0.0f;
    std::size_t lod_budget = 0;
};

int run_record(const RecordOptions& o) {
    scene::RecordJob job;
    parse_resolution(o.res, job.video.width, job.video.height);
    job.video.fps = o.fps;
    job.video.crf = o.crf;
    job.video.preset = o.preset;
    job.output = o.output;
    job.duration = o.duration;
    job.dry_run = o.dry_run;
    scene::check_record_output(job);  // before loading the scene

    ViewOptions view;
    view.scene = o.scene;
    view.up = o.up;
    view.fov = o.fov;
    view.time = o.time;
    view.antialias = o.antialias;
    view.sh_degree = o.sh_degree;
    view.lod_pixels = o.lod_pixels;
    view.lod_budget = o.lod_budget;
    view.backend = o.backend;
    view.temporal_cutoff = o.temporal_cutoff;
    std::string scene_name;
    const std::unique_ptr<scene::Scene> scene = open_scene_or_default(view, scene_name);
    job.settings = draw_settings(view);
    job.settings.background = render_background(o.background, *scene);
    if (const std::optional<scene::TimeSpan> span = scene->time_span()) {
        const float time = resolve_time(view, *scene, scene_name);
        job.time_start = o.time ? time : span->begin;
        job.time_end = o.time ? time : span->end;
    } else if (o.time) {
        log::warn("--time: ", scene_name, " is static (", scene::kind_name(scene->kind()), "); ignored");
    }

    std::string what;
    if (!o.path.empty()) {
        job.path = read_camera_path(o.path);
        what = cat(o.path, " (", job.path.keyframes.size(), " keyframes)");
    } else {
        const UpChoice up = resolve_up(o.up, o.scene, scene.get());
        log::info("up: ", up.how);
        const scene::Sphere sphere = scene->framing_sphere();
        const float distance = sphere.radius / std::sin(0.5f * glm::radians(o.fov)) * 1.05f;
        job.path = orbit_path(sphere.centre, distance, up.up, 25.0f, o.fov, 8.0f);
        what = "an orbit around the scene";
    }

    if (!o.export_nerfstudio.empty()) {
        AtomicFile file(o.export_nerfstudio);
        file.write(nerfstudio_camera_path_json(job.path, job.video.width, job.video.height,
                                               static_cast<float>(job.video.fps)));
        file.commit();
        log::info("wrote ", o.export_nerfstudio, " (nerfstudio's camera_path.json)");
    }
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    double shown = -1.0;
    g_record_interrupted = 0;
    std::signal(SIGINT, on_interrupt);
    log::info("recording ", scene_name, " (", scene::kind_name(scene->kind()), ") along ", what, " at ",
              job.video.width, "x", job.video.height, ", ", job.video.fps, " fps on the ",
              backend_name(scene->backend()), " into ", o.output);
    scene::RecordProgress done;
    const bool complete = scene::record(
        *scene, job,
        [&](const scene::RecordProgress& p) {
            if (p.elapsed_seconds - shown >= (tty ? 0.25 : 10.0) || p.frame == p.frames) {
                shown = p.elapsed_seconds;
                const int width = 24, filled = width * p.frame / p.frames;
                const double rate = p.frame / std::max(p.elapsed_seconds, 1e-9);
                const std::string line =
                    cat("[", std::string(static_cast<std::size_t>(filled), '#'),
                        std::string(static_cast<std::size_t>(width - filled), '.'), "] frame ", p.frame, "/",
                        p.frames, "  ", rate, " frames/s  ETA ", duration_text((p.frames - p.frame) / rate));
                if (tty)
                    std::fprintf(stderr, "\r%s\033[K", line.c_str());
                else
                    log::info(line);
            }
            return g_record_interrupted == 0;
        },
        done);
    std::signal(SIGINT, SIG_DFL);
    if (tty) std::fprintf(stderr, "\n");
    if (!complete) {
        log::error("interrupted at frame ", done.frame, " of ", done.frames,
                   scene::is_frame_pattern(job.output) ? "; the frames so far are kept"
                                                       : "; nothing written (a previous file is untouched)");
        return 130;
    }
    const double render_ms = 1000.0 * done.render_seconds / done.frames;
    const double encode_ms = 1000.0 * done.encode_seconds / done.frames;
    const double wall_ms = 1000.0 * done.elapsed_seconds / done.frames;
    char figures[256];
    std::snprintf(figures, sizeof figures,
                  "per frame: rendering %.1f ms, %s %.1f ms (on its own thread); %.1f ms in all, "
                  "+%.0f%% over rendering",
                  render_ms, scene::is_frame_pattern(job.output) ? "PNG writing" : "conversion and encoding",
                  encode_ms, wall_ms, render_ms > 0 ? 100.0 * (wall_ms - render_ms) / render_ms : 0.0);
    log::info("wrote ", o.output, ": ", done.frames, " frames in ", duration_text(done.elapsed_seconds), "; ",
              figures);
    return 0;
}

}  // namespace

void add_record_command(CLI::App& app, Action& action) {
    auto o = std::make_shared<RecordOptions>();
    CLI::App* command = app.add_subcommand(
        "record", "Render a fly-through video (MP4, H.264) or PNG frames along a camera path, headless");
    command->add_option("SCENE", o->scene,
                        "Scene file (.ply, .splat, .nerf); the embedded default scene if omitted");
    command->add_option("--path", o->path,
                        "Camera path JSON (keyframes; see the README); an orbit around the scene if omitted");
    command->add_option("-o,--output", o->output, "fly.mp4, or a PNG sequence such as frames/%05d.png")
        ->required();
    command->add_option("--fps", o->fps, "Frames per second (default 30)")->check(CLI::Range(1, 240));
    command->add_option("--res", o->res, "Video size WIDTHxHEIGHT (default 1920x1080)");
    command->add_option("--crf", o->crf, "H.264 quality: 0 lossless .. 51 worst (default 18)")
        ->check(CLI::Range(0, 51));
    command->add_option("--preset", o->preset,
                        "x264 speed preset, ultrafast .. veryslow (default ultrafast: encoding stays within "
                        "a fifth of rendering; veryfast makes files about 3x smaller)");
    command
        ->add_option("--duration", o->duration,
                     "Video length in seconds (default: the path's; the orbit takes 8 s)")
        ->check(CLI::PositiveNumber);
    command->add_option(
        "--background", o->background,
        "black, white, or r,g,b in [0, 1] (default: the colour the scene was trained over when "
        "its file states one, else black)");
    command->add_option("--export-nerfstudio", o->export_nerfstudio,
                        "Also write the path as nerfstudio's camera_path.json (its keyframes and the path at "
                        "--fps and --res), for ns-render camera-path; written atomically");
    command->add_flag("--dry-run", o->dry_run,
                      "Render every frame but write nothing (how long the path takes to render)");
    command->add_option("--backend", o->backend, "auto, cpu or cuda");
    command->add_option("--sh-degree", o->sh_degree, "Use SH up to this degree")->check(CLI::Range(0, 3));
    command->add_flag("--antialias", o->antialias, "Mip-Splatting 2D filter with opacity compensation");
    command
        ->add_option("--lod-pixels", o->lod_pixels,
                     "Level of detail: draw the Gaussian hierarchy's cut whose nodes project under PX pixels")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--lod-budget", o->lod_budget,
                        "Level of detail: the best cut of the Gaussian hierarchy with at most N Gaussians");
    command->add_option("--up", o->up,
                        "World up direction x,y,z of the automatic orbit (default: the file's own, the "
                        "cameras beside it, its format's convention, or estimated)");
    command->add_option("--fov", o->fov, "Vertical field of view of the automatic orbit, degrees")
        ->check(CLI::Range(1.0f, 170.0f));
    command->add_option("--time", o->time,
                        "4D scenes: a fixed scene time where the path sets none (default: the scene's "
                        "time span plays over the video)");
    command
        ->add_option("--temporal-cutoff", o->temporal_cutoff,
                     "4D scenes: skip Gaussians whose temporal marginal is below this (default 0.05)")
        ->check(CLI::Range(0.0f, 0.999f));
    command->callback([&action, o] { action = [o] { return run_record(*o); }; });
}

}  // namespace glint::app
