// `glint process PHOTOS|VIDEO -o DATASET`: a capture posed by COLMAP into a dataset glint trains on.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <tbb/global_control.h>
#include <unistd.h>

#include "commands.h"
#include "glint/core/log.h"
#include "glint/core/text.h"

namespace glint::app {

namespace {

// One line per stage: redrawn with a bar while it runs on a terminal, printed once when it ends.
capture::ProcessEvents stage_display() {
    struct State {
        bool tty = isatty(STDERR_FILENO) != 0 && log::level() <= log::Level::Info;
        std::chrono::steady_clock::time_point start, last_draw;
    };
    auto state = std::make_shared<State>();
    capture::ProcessEvents events;
    events.started = [state](const std::string&) { state->start = std::chrono::steady_clock::now(); };
    events.progress = [state](const std::string& stage, long done, long total) {
        if (!state->tty || total <= 0) return;
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - state->last_draw < std::chrono::milliseconds(100)) return;
        state->last_draw = now;
        const int filled = static_cast<int>(24 * std::min(done, total) / total);
        const double seconds = std::chrono::duration<double>(now - state->start).count();
        std::fprintf(stderr, "\r%-19s [%s%s] %ld/%ld  %s\033[K", stage.c_str(),
                     std::string(filled, '#').c_str(), std::string(24 - filled, '.').c_str(), done, total,
                     duration_text(seconds).c_str());
    };
    events.finished = [state](const std::string& stage, double seconds, const std::string& result) {
        if (state->tty) std::fprintf(stderr, "\r\033[K");
        log::info(stage, ": ", result, " (", fixed(seconds, 1), " s)");
    };
    return events;
}

}  // namespace

capture::ProcessSummary process_with_display(const capture::ProcessOptions& options) {
    capture::ProcessOptions o = options;
    if (o.threads == 0)
        o.threads =
            static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
    const capture::ProcessSummary s = capture::process_capture(o, stage_display());
    for (const std::string& note : s.notes) log::info(o.output.string(), ": ", note);
    double total = 0.0;
    for (const auto& stage : s.stages) total += stage.second;
    log::info(o.output.string(), ": ", s.registered, " of ", s.images, " images posed, ",
              group_digits(s.points), " points (mean track ", fixed(s.mean_track_length, 1),
              " images), reprojection error ", fixed(s.reprojection_error, 2), " px; ",
              s.colmap_version.substr(0, s.colmap_version.find(" --")), ", ", duration_text(total));
    if (s.registered * 2 < s.images)
        log::warn(o.output.string(), ": COLMAP posed only ", s.registered, " of ", s.images,
                  " images; the others had too few matches (more overlap between photos helps)");
    return s;
}

void add_capture_options(CLI::App& command, capture::ProcessOptions& o) {
    command.add_option("--fps", o.frames.rate, "Video: frames kept per second, the sharpest of each window")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command.add_option("--max-frames", o.frames.max_frames, "Video: at most this many frames (0: no limit)");
    command
        .add_option("--max-size", o.max_size,
                    "Downsize photos and frames to this longer side in pixels first")
        ->check(CLI::NonNegativeNumber);
    command
        .add_option("--camera-model", o.camera_model,
                    "COLMAP's camera model: SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, "
                    "OPENCV_FISHEYE, FULL_OPENCV, ...")
        ->capture_default_str();
    command
        .add_option("--sift-peak-threshold", o.sift_peak_threshold,
                    "SIFT's peak threshold (default: COLMAP's 0.0067, or 0.002 when that finds under 1,000 "
                    "features per image)")
        ->check(CLI::PositiveNumber);
    command.add_option("--colmap", o.colmap, "The COLMAP program (default: colmap on PATH)");
}

void add_process_command(CLI::App& app, Action& action) {
    auto o = std::make_shared<capture::ProcessOptions>();
    auto input = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    auto matcher = std::make_shared<std::string>("auto");
    CLI::App* command = app.add_subcommand(
        "process", "Pose a folder of photos or a video with COLMAP into a dataset for glint train");
    command->add_option("INPUT", *input, "A folder of photos (jpg, png) or a video file")->required();
    command->add_option("-o,--output", *output, "The dataset folder to create")->required();
    command
        ->add_option("--matcher", *matcher,
                     "auto (sequential for video, exhaustive for photos), exhaustive or sequential")
        ->check(CLI::IsMember({"auto", "exhaustive", "sequential"}))
        ->capture_default_str();
    add_capture_options(*command, *o);
    command->add_flag(
        "--per-image-cameras", [o](std::int64_t) { o->single_camera = false; },
        "A camera of its own for every image (zoom changed, several devices)");
    command->add_flag(
        "--cpu-sift", [o](std::int64_t) { o->use_gpu = false; }, "SIFT on the CPU even when COLMAP has CUDA");
    command->add_flag("--overwrite", o->overwrite,
                      "Replace the output folder once the new dataset is complete");
    command->callback([&action, o, input, output, matcher] {
        action = [o, input, output, matcher] {
            o->input = *input;
            o->output = *output;
            o->matcher = *matcher == "sequential"   ? capture::Matcher::Sequential
                         : *matcher == "exhaustive" ? capture::Matcher::Exhaustive
                                                    : capture::Matcher::Auto;
            process_with_display(*o);
            log::info("train on it with: glint train ", *output, " -o scene.ply");
            return 0;
        };
    });
}

}  // namespace glint::app
