// `glint bench`: renders a view repeatedly and reports median per-stage times, frame rate, work counts
// and peak memory, as text or JSON.
#include <sys/resource.h>

#include <tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "glint/core/error.h"
#include "glint/core/frame_display.h"
#include "glint/core/image_loss.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/renderer/headless_target.h"
#include "glint/renderer/presenter.h"
#include "glint/renderer/vulkan_context.h"
#include "view_options.h"

namespace glint::app {
namespace {

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

std::size_t peak_memory_bytes() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

struct BenchOptions {
    ViewOptions view;
    int frames = 30, warmup = 3;
    bool json = false, present = false;
};

// A 4D scene's frame at one time: through the temporal hierarchy (as the settings say), and without.
struct TimedFrame {
    float time;
    double frame_ms, unmasked_ms;
    std::size_t visible, tile_pairs;
};

// A hierarchy cut's full scene from the same view, timed the same way, and how close the cut is to it.
struct FullFrame {
    double frame_ms = 0, psnr = 0;
    std::size_t primitives = 0, visible = 0;
};

struct BenchResult {
    std::string scene_name, view, kind, summary, present_device;
    std::size_t scene_primitives = 0;
    Camera camera;
    scene::FrameStats stats;  // of the last timed frame
    double load_ms = 0;
    std::vector<double> preprocess, sort, blend, present, total, lod;
    std::optional<FullFrame> full;
    std::vector<TimedFrame> across;
    bool active_masks = false;
    double frame_ms() const { return median(total); }
};

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

BenchResult measure(const BenchOptions& o) {
    BenchResult r;
    const auto load_start = std::chrono::steady_clock::now();
    const std::unique_ptr<scene::Scene> scene = open_scene_or_default(o.view, r.scene_name);
    r.load_ms = ms_since(load_start);
    const UpChoice up = resolve_up(o.view.up, o.view.scene, scene.get());
    r.camera = resolve_camera(o.view, *scene, up.up, r.view);
    r.kind = scene::kind_name(scene->kind());
    r.summary = scene->summary();
    r.scene_primitives = scene->primitives();
    scene::DrawSettings settings = draw_settings(o.view);
    float time = resolve_time(o.view, *scene, r.scene_name);
    Frame out;
    // --present: the viewer's CPU path, offscreen.
    std::unique_ptr<renderer::VulkanContext> context;
    std::unique_ptr<renderer::Presenter> presenter;
    std::unique_ptr<renderer::HeadlessTarget> target;
    if (o.present) {
        context = std::make_unique<renderer::VulkanContext>(renderer::ContextOptions{});
        presenter = std::make_unique<renderer::Presenter>(*context, renderer::HeadlessTarget::kFormat,
                                                          renderer::HeadlessTarget::kFinalLayout);
        presenter->set_image_size(r.camera.width, r.camera.height);
        target =
            std::make_unique<renderer::HeadlessTarget>(*context, *presenter, r.camera.width, r.camera.height);
        r.present_device = context->device_name();
    }
    int slot = 0;
    const auto frame = [&] {
        // Packed pixels in host memory come from the CPU backend only.
        if (presenter && scene->backend() == Backend::Cpu) {
            out.packed_rgba = presenter->host_pixels(slot);
            out.float_images = false;  // as the viewer in colour mode
        }
        const scene::FrameStats s = scene->render(r.camera, time, settings, out);
        const auto shown = std::chrono::steady_clock::now();
        if (presenter) {
            if (out.packed_rgba == nullptr)  // other backends: the float colour, packed here
                display_pixels(out, DisplayMode::Color, DepthRange{},
                               std::span<std::uint32_t>(presenter->host_pixels(slot), out.color.size() / 3));
            target->present(*presenter, slot, renderer::PixelSource::Host);
            slot = (slot + 1) % renderer::Presenter::kFramesInFlight;
        }
        return std::pair{s, ms_since(shown)};
    };
    // The median frame time after the warm-up, and the last frame's counts.
    const auto timed = [&](scene::FrameStats& last) {
        for (int i = 0; i < o.warmup; ++i) frame();
        std::vector<double> times;
        for (int i = 0; i < o.frames; ++i) {
            const auto start = std::chrono::steady_clock::now();
            last = frame().first;
            times.push_back(ms_since(start));
        }
        return median(times);
    };
    // A 4D scene without --time: the frame time at five times across its span too (the work changes with
    // what is alive at each time); the main figures are at the span's start.
    r.active_masks = settings.active_masks;
    if (const std::optional<scene::TimeSpan> span = scene->time_span(); span && !o.view.time) {
        for (int k = 0; k <= 4; ++k) {
            time = span->begin + (span->end - span->begin) * static_cast<float>(k) / 4.0f;
            scene::FrameStats s;
            settings.active_masks = false;
            const double unmasked = timed(s);
            settings.active_masks = r.active_masks;
            const double masked = timed(s);
            r.across.push_back({time, masked, unmasked, s.visible, s.tile_pairs});
        }
        time = span->begin;
    }
    for (int i = 0; i < o.warmup; ++i) frame();
    for (int i = 0; i < o.frames; ++i) {
        const auto start = std::chrono::steady_clock::now();
        double present_ms = 0;
        std::tie(r.stats, present_ms) = frame();
        r.total.push_back(ms_since(start));
        r.preprocess.push_back(r.stats.preprocess_ms);
        r.sort.push_back(r.stats.sort_ms);
        r.blend.push_back(r.stats.blend_ms);
        r.present.push_back(present_ms);
        r.lod.push_back(r.stats.lod_ms);
    }
    if (r.stats.lod_nodes > 0) {
        const std::vector<float> cut_color = out.color;
        settings.lod_pixels = 0.0f;
        settings.lod_budget = 0;
        FullFrame& full = r.full.emplace();
        scene::FrameStats s;
        full.frame_ms = timed(s);
        full.primitives = s.primitives;
        full.visible = s.visible;
        // Presented frames are packed pixels only (no float colour to compare): no figure then.
        full.psnr = cut_color.empty() || out.color.empty() ? std::nan("") : psnr(cut_color, out.color);
    }
    return r;
}

void print_json(const BenchResult& r, const BenchOptions& o, std::size_t threads) {
    const double frame_ms = r.frame_ms();
    nlohmann::ordered_json report = {
        {"scene", r.scene_name},
        {"view", r.view},
        {"width", r.camera.width},
        {"height", r.camera.height},
        {"backend", backend_name(r.stats.backend)},
        {"machine", {{"cpu", cpu_model()}, {"threads", threads}}},
        {"frames", o.frames},
        {"kind", r.kind},
        {"gaussians", r.stats.primitives},
        {"visible", r.stats.visible},
        {"tile_pairs", r.stats.tile_pairs},
        {"samples", r.stats.samples},
        {"median_ms",
         {{"preprocess", median(r.preprocess)},
          {"sort", median(r.sort)},
          {"blend", median(r.blend)},
          {"present", o.present ? nlohmann::ordered_json(median(r.present)) : nlohmann::ordered_json()},
          {"frame", frame_ms}}},
        {"present_device", r.present_device},
        {"min_frame_ms", *std::min_element(r.total.begin(), r.total.end())},
        {"fps", 1000.0 / frame_ms},
        {"load_ms", r.load_ms},
        {"peak_memory_bytes", peak_memory_bytes()},
    };
    if (r.full)
        report["lod"] = {{"cut_gaussians", r.stats.lod_nodes},   {"cut_ms", median(r.lod)},
                         {"full_gaussians", r.full->primitives}, {"full_visible", r.full->visible},
                         {"full_frame_ms", r.full->frame_ms},    {"full_fps", 1000.0 / r.full->frame_ms},
                         {"psnr_against_full", r.full->psnr}};
    for (const TimedFrame& t : r.across)
        report["across_time"].push_back({{"time", t.time},
                                         {"frame_ms", t.frame_ms},
                                         {"frame_ms_every_gaussian", t.unmasked_ms},
                                         {"visible", t.visible},
                                         {"tile_pairs", t.tile_pairs}});
    std::printf("%s\n", report.dump(2).c_str());
}

void print_text(const BenchResult& r, const BenchOptions& o, std::size_t threads) {
    const double frame_ms = r.frame_ms();
    std::printf("%s, %s, %dx%d, %s backend (%s, %zu threads)\n", r.scene_name.c_str(), r.view.c_str(),
                r.camera.width, r.camera.height, backend_name(r.stats.backend), cpu_model().c_str(), threads);
    std::printf("  %s: %s\n", r.kind.c_str(), r.summary.c_str());
    if (r.scene_primitives > 0)
        std::printf("  Gaussians %zu, visible %zu, tile pairs %zu\n", r.stats.primitives, r.stats.visible,
                    r.stats.tile_pairs);
    else
        std::printf("  samples %zu\n", r.stats.samples);
    std::printf("  median of %d frames: preprocess %.2f ms, sort %.2f ms, blend %.2f ms, ", o.frames,
                median(r.preprocess), median(r.sort), median(r.blend));
    if (o.present) std::printf("present %.2f ms (%s), ", median(r.present), r.present_device.c_str());
    std::printf("frame %.2f ms\n", frame_ms);
    std::printf("  %.1f frames per second (best frame %.2f ms); scene load %.0f ms; peak memory %s\n",
                1000.0 / frame_ms, *std::min_element(r.total.begin(), r.total.end()), r.load_ms,
                human_bytes(peak_memory_bytes()).c_str());
    if (r.full)
        std::printf(
            "  level of detail: the cut draws %s of %s Gaussians (choosing and gathering it: %.2f "
            "ms of the frame); the full scene from this view: frame %.2f ms (%.1f FPS), %s visible; "
            "the cut's image against the full one: %.2f dB\n",
            group_digits(r.stats.lod_nodes).c_str(), group_digits(r.full->primitives).c_str(), median(r.lod),
            r.full->frame_ms, 1000.0 / r.full->frame_ms, group_digits(r.full->visible).c_str(), r.full->psnr);
    if (!r.across.empty()) {
        std::printf("  across the time span (median of %d frames each; temporal hierarchy %s):\n", o.frames,
                    r.active_masks ? "on, then off" : "off");
        for (const TimedFrame& t : r.across)
            std::printf(
                "    t = %-8.4g frame %.2f ms (%.1f FPS), every Gaussian %.2f ms (%.2fx), visible "
                "%zu, tile pairs %zu\n",
                static_cast<double>(t.time), t.frame_ms, 1000.0 / t.frame_ms, t.unmasked_ms,
                t.unmasked_ms / t.frame_ms, t.visible, t.tile_pairs);
    }
}

}  // namespace

void add_bench_command(CLI::App& app, Action& action) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App* command = app.add_subcommand(
        "bench", "Render a view repeatedly; print median stage times, frame rate and memory");
    add_view_options(*command, o->view);
    command->add_option("--frames", o->frames, "Timed frames")->check(CLI::Range(1, 100000));
    command->add_option("--warmup", o->warmup, "Untimed frames first (buffers grow to size)")
        ->check(CLI::Range(0, 1000));
    command->add_flag("--json", o->json, "Print machine-readable JSON");
    command->add_flag(
        "--present", o->present,
        "Also show each frame as the viewer does (packed pixels in mapped memory, upload and draw "
        "on the Vulkan device, offscreen) and time that");
    command->callback([&action, o] {
        action = [o] {
            const BenchResult result = measure(*o);
            const std::size_t threads = static_cast<std::size_t>(tbb::info::default_concurrency());
            if (o->json)
                print_json(result, *o, threads);
            else
                print_text(result, *o, threads);
            return 0;
        };
    });
}

}  // namespace glint::app
