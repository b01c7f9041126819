// `glint prune`: for Gaussian scenes, removes the Gaussians that give the images least (LightGaussian's
// significance, 4DGS-1K's spatial-temporal score), distils SH to a lower degree and fine-tunes on the
// dataset; for NeRFs, removes what the model never uses (occupancy cells no view needs, hash-table
// entries no occupied cell reaches). Reports the size, render time and test PSNR before and after.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "glint/core/dataset.h"
#include "glint/core/error.h"
#include "glint/core/image_loss.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/nerf/model.h"
#include "glint/nerf/prune.h"
#include "glint/nerf/render.h"
#include "glint/scene/scene.h"
#include "glint/splatting/prune.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/selection.h"
#include "glint/splatting/train/trainer.h"
#include "view_options.h"

namespace glint::app {
namespace {

struct PruneOptions {
    std::string scene, output, cameras, background;
    int views = 96, view_size = 192, downscale = 1, test_every = 8;
    float min_weight = 1e-3f;
    // Gaussian scenes.
    double significance = -1.0, spatiotemporal = -1.0;  // fractions to remove; < 0: not asked
    int sh_degree = -1, finetune = 0, key_frames = splatting::kKeyFrameInterval;
    float volume_power = 0.1f;  // LightGaussian's v_pow
    int rounds = 1;
    std::uint64_t seed = 1;
};

double percent_fewer(std::size_t before, std::size_t after) {
    return before > 0 ? 100.0 * (1.0 - static_cast<double>(after) / static_cast<double>(before)) : 0.0;
}

int run_prune_nerf(const PruneOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    if (o.significance >= 0.0 || o.spatiotemporal >= 0.0 || o.sh_degree >= 0 || o.finetune > 0)
        throw InputError(cat(o.scene, ": --significance, --spatiotemporal, --sh-degree and --finetune are ",
                             "for Gaussian scenes (a NeRF is pruned by --min-weight)"));
    if (!scene::is_nerf_path(o.output))
        throw InputError(cat(o.output, ": the pruned NeRF is written to a .nerf file"));
    nerf::NerfModel model = nerf::load_nerf(o.scene);

    // The views: the dataset's cameras (training and test), or views around the object.
    std::optional<Dataset> dataset;
    std::vector<Camera> views;
    std::string from;
    if (!o.cameras.empty()) {
        DatasetOptions dataset_options;
        dataset_options.downscale = o.downscale;
        dataset = load_dataset(o.cameras, dataset_options);
        for (const std::vector<DatasetView>* set : {&dataset->train, &dataset->test})
            for (const DatasetView& v : *set) views.push_back(v.camera);
        from = cat(views.size(), " views of ", o.cameras);
    } else {
        if (model.config().cascades > 1)
            log::warn(o.scene, ": an unbounded scene (", model.config().cascades,
                      " cascades) is seen from inside; views around it miss what its cameras saw (give "
                      "--cameras DATASET)");
        views = nerf::views_around(model, o.views, o.view_size);
        from = cat(views.size(), " views around the scene at ", o.view_size, "x", o.view_size);
    }
    log::info("pruning ", o.scene, " with ", from, " (cells whose samples weigh at least ", o.min_weight,
              ")");

    std::optional<nerf::NerfEvaluation> before;
    if (dataset) before = nerf::evaluate_nerf(model, *dataset);
    const bool tty = ::isatty(STDERR_FILENO) != 0 && log::level() <= log::Level::Info;
    nerf::NerfPruneOptions options;
    options.min_weight = o.min_weight;
    const std::optional<nerf::NerfPruneReport> report =
        nerf::prune_nerf(model, views, options, [&](std::size_t done, std::size_t total) {
            if (tty) {
                const int width = 24, filled = static_cast<int>(width * done / total);
                std::fprintf(stderr, "\r[%s%s] view %zu/%zu\033[K",
                             std::string(static_cast<std::size_t>(filled), '#').c_str(),
                             std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total);
                if (done == total) std::fprintf(stderr, "\n");
            }
            return true;
        });
    nerf::save_nerf(model, o.output);
    const nerf::NerfPruneReport& r = *report;
    std::printf("occupied cells  %s -> %s of %s (%.1f%% fewer)\n", group_digits(r.occupied_before).c_str(),
                group_digits(r.occupied_after).c_str(), group_digits(r.cells).c_str(),
                percent_fewer(r.occupied_before, r.occupied_after));
    std::printf("hash entries    %s -> %s non-zero of %s (%.1f%% fewer)\n",
                group_digits(r.entries_before).c_str(), group_digits(r.entries_after).c_str(),
                group_digits(r.entries).c_str(), percent_fewer(r.entries_before, r.entries_after));
    const std::uintmax_t in_bytes = std::filesystem::file_size(o.scene),
                         out_bytes = std::filesystem::file_size(o.output);
    std::printf("file            %s -> %s (%.1f%% smaller)\n", human_bytes(in_bytes).c_str(),
                human_bytes(out_bytes).c_str(), percent_fewer(in_bytes, out_bytes));
    if (dataset) {
        const nerf::NerfEvaluation after = nerf::evaluate_nerf(model, *dataset);
        std::printf("test PSNR       %.2f dB -> %.2f dB, SSIM %.4f -> %.4f (%zu views)\n", before->psnr,
                    after.psnr, before->ssim, after.ssim, after.views);
        std::printf("render samples  %s -> %s over those views (%.0f ms -> %.0f ms)\n",
                    group_digits(before->samples).c_str(), group_digits(after.samples).c_str(),
                    before->render_ms, after.render_ms);
    }
    log::info("wrote ", o.output, " in ",
              duration_text(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
    return 0;
}

// What a scene costs and scores: its count, file size, mean render time over `views` (without and, for
// 4D scenes, with active masks) and, with a dataset, its test PSNR and SSIM.
struct Measure {
    std::size_t gaussians = 0;
    std::uintmax_t bytes = 0;
    double render_ms = 0, masked_ms = 0, psnr = 0, ssim = 0;
    double seen_ms = 0, seen_psnr = 0;  // with masks narrowed to what the training views see
    std::size_t test_views = 0;
};

// The mean time to render `views` (three passes; the first warms the buffers up).
double mean_render_ms(const splatting::GaussianCloud& cloud, std::span<const splatting::ScoringView> views,
                      const splatting::ActiveMasks* masks, splatting::Rasterizer& rasterizer) {
    splatting::RenderSettings settings;
    splatting::RenderOutput out;
    double total = 0.0;
    std::size_t count = 0;
    for (int pass = 0; pass < 3; ++pass)
        for (const splatting::ScoringView& view : views) {
            settings.time = view.time;
            if (masks != nullptr) settings.active = masks->at(view.time);
            const auto start = std::chrono::steady_clock::now();
            rasterizer.render(cloud, view.camera, settings, out);
            if (pass > 0) {
                total += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                             .count();
                ++count;
            }
        }
    return count > 0 ? total / static_cast<double>(count) : 0.0;
}

// Test PSNR and SSIM over the dataset's test views (with `masks` when given).
void test_scores(const splatting::GaussianCloud& cloud, const Dataset& dataset,
                 const splatting::ActiveMasks* masks, splatting::Rasterizer& rasterizer, double& psnr_out,
                 double& ssim_out) {
    splatting::RenderSettings settings;
    const auto& bg = dataset.options.background;
    settings.background = {bg[0], bg[1], bg[2]};
    splatting::RenderOutput out;
    psnr_out = ssim_out = 0.0;
    for (const DatasetView& view : dataset.test) {
        const ImageRgb target = dataset.load_image(view);
        settings.time = view.time;
        if (masks != nullptr) settings.active = masks->at(view.time);
        rasterizer.render(cloud, view.camera, settings, out);
        psnr_out += psnr(out.color, target.rgb);
        ssim_out += ssim(out.color, target.rgb, target.width, target.height);
    }
    psnr_out /= static_cast<double>(dataset.test.size());
    ssim_out /= static_cast<double>(dataset.test.size());
}

Measure measure(const splatting::GaussianCloud& cloud, const std::filesystem::path& file,
                std::span<const splatting::ScoringView> timing_views, const splatting::ActiveMasks* masks,
                const splatting::ActiveMasks* seen_masks, const Dataset* dataset,
                splatting::Rasterizer& rasterizer) {
    Measure m;
    m.gaussians = cloud.size();
    m.bytes = std::filesystem::file_size(file);
    m.render_ms = mean_render_ms(cloud, timing_views, nullptr, rasterizer);
    if (masks != nullptr) m.masked_ms = mean_render_ms(cloud, timing_views, masks, rasterizer);
    if (seen_masks != nullptr) m.seen_ms = mean_render_ms(cloud, timing_views, seen_masks, rasterizer);
    if (dataset != nullptr && !dataset->test.empty()) {
        test_scores(cloud, *dataset, nullptr, rasterizer, m.psnr, m.ssim);
        m.test_views = dataset->test.size();
        double ssim_seen = 0.0;
        if (seen_masks != nullptr)
            test_scores(cloud, *dataset, seen_masks, rasterizer, m.seen_psnr, ssim_seen);
    }
    return m;
}

// A progress bar on a terminal, rewritten in place.
void progress_bar(const char* what, std::size_t done, std::size_t total) {
    if (::isatty(STDERR_FILENO) == 0 || log::level() > log::Level::Info || total == 0) return;
    const int width = 24, filled = static_cast<int>(width * done / total);
    std::fprintf(stderr, "\r%s [%s%s] %zu/%zu\033[K", what,
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total);
    if (done == total) std::fprintf(stderr, "\n");
}

// A 4D scene's time span, frame length and the times views are scored at: the dataset's frame times,
// else the scene's range over an assumed 300 frames (ten times across it).
struct TimeFrames {
    float start = 0.0f, end = 0.0f, length = 0.0f;
    std::vector<float> times;
};

TimeFrames time_frames(const splatting::GaussianCloud& cloud, const std::optional<Dataset>& dataset) {
    TimeFrames f;
    if (dataset) {
        for (const DatasetView& v : dataset->train) f.times.push_back(v.time);
        std::sort(f.times.begin(), f.times.end());
        f.times.erase(std::unique(f.times.begin(), f.times.end()), f.times.end());
    }
    if (f.times.size() > 1) {
        f.start = f.times.front();
        f.end = f.times.back();
        f.length = (f.end - f.start) / static_cast<float>(f.times.size() - 1);
        return f;
    }
    const std::array<float, 2> range =
        cloud.time_range() ? *cloud.time_range() : std::array<float, 2>{0.0f, 1.0f};
    f.start = range[0];
    f.end = range[1] > range[0] ? range[1] : range[0] + 1.0f;
    f.length = (f.end - f.start) / static_cast<float>(splatting::kAssumedFrames - 1);
    f.times.clear();
    for (int k = 0; k < 10; ++k)
        f.times.push_back(f.start + (f.end - f.start) * static_cast<float>(k) / 9.0f);
    return f;
}

// Score and prune, fine-tune: in `rounds` rounds, each removing the same share of what is left and
// fine-tuning its part of the iterations (one round: LightGaussian's one shot); SH distilled once, after
// the first cut.
void prune_and_finetune(splatting::GaussianCloud& cloud, const PruneOptions& o,
                        const std::vector<splatting::ScoringView>& views, const std::string& from,
                        const std::vector<float>& frame_times, float span,
                        const std::optional<Dataset>& dataset) {
    const double fraction = std::max(o.significance, o.spatiotemporal);
    const bool spatiotemporal = o.spatiotemporal >= 0.0;
    const int rounds = fraction > 0.0 ? o.rounds : 1;
    const double per_round = fraction > 0.0 ? 1.0 - std::pow(1.0 - fraction, 1.0 / rounds) : 0.0;
    for (int round = 1; round <= rounds; ++round) {
        const std::string which = rounds > 1 ? cat("round ", round, "/", rounds, ": ") : std::string();
        if (fraction > 0.0) {
            log::info(
                which, "scoring ", group_digits(cloud.size()), " Gaussians (",
                spatiotemporal ? "4DGS-1K's spatial-temporal variation" : "LightGaussian's significance",
                ") over ", from);
            const std::optional<std::vector<float>> weights =
                splatting::blend_weights(cloud, views, [](std::size_t done, std::size_t total) {
                    progress_bar("scoring", done, total);
                    return true;
                });
            const std::vector<float> score =
                spatiotemporal
                    ? splatting::spatiotemporal_score(cloud, *weights, frame_times, span, o.volume_power)
                    : splatting::significance(cloud, *weights, o.volume_power);
            std::vector<std::uint8_t> keep;
            splatting::keep_highest(score, per_round, keep);
            cloud = splatting::select(cloud, keep);
        }
        if (round == 1 && o.sh_degree >= 0 && o.sh_degree < cloud.sh_degree()) {
            std::vector<glm::vec3> eyes;
            for (const splatting::ScoringView& v : views) eyes.push_back(v.camera.position());
            log::info("distilling SH degree ", cloud.sh_degree(), " to ", o.sh_degree, " over ", eyes.size(),
                      " view directions");
            splatting::distill_sh(cloud, o.sh_degree, eyes);
        }
        const int iterations = o.finetune / rounds + (round == rounds ? o.finetune % rounds : 0);
        if (iterations > 0) {
            splatting::TrainOptions options;
            options.iterations = iterations;
            options.seed = o.seed + static_cast<std::uint64_t>(round - 1);
            options.densify_until = 0;  // no densification, no opacity resets: the kept Gaussians only
            options.lr_position = options.lr_position_final;  // the end of a full run's decay
            log::info(which, "fine-tuning ", group_digits(cloud.size()), " Gaussians for ", iterations,
                      " iterations on ", o.cameras);
            splatting::Trainer trainer(*dataset, options, std::move(cloud));
            for (int i = 1; i <= iterations; ++i) {
                trainer.step();
                if (i % std::max(1, iterations / 100) == 0 || i == iterations)
                    progress_bar("fine-tuning", static_cast<std::size_t>(i),
                                 static_cast<std::size_t>(iterations));
            }
            cloud = trainer.cloud();
        }
    }
}

void print_report(const Measure& before, const Measure& after, std::size_t timing_views,
                  const PruneOptions& o, const splatting::ActiveMasks* masks,
                  const splatting::ActiveMasks* seen, bool dataset) {
    std::printf("Gaussians       %s -> %s (%.1f%% fewer)\n", group_digits(before.gaussians).c_str(),
                group_digits(after.gaussians).c_str(), percent_fewer(before.gaussians, after.gaussians));
    std::printf("file            %s -> %s (%.1f%% smaller)\n", human_bytes(before.bytes).c_str(),
                human_bytes(after.bytes).c_str(), percent_fewer(before.bytes, after.bytes));
    std::printf("render (CPU)    %.2f ms -> %.2f ms per view (%.2fx faster, %zu views)\n", before.render_ms,
                after.render_ms, after.render_ms > 0 ? before.render_ms / after.render_ms : 0.0,
                timing_views);
    if (masks != nullptr)
        std::printf(
            "with masks      %.2f ms -> %.2f ms per view (%.2fx faster than the input without masks; "
            "key frames every %d frames, %zu segments, %.1f%% of the Gaussians active on average)\n",
            before.masked_ms, after.masked_ms, after.masked_ms > 0 ? before.render_ms / after.masked_ms : 0.0,
            o.key_frames, masks->segments(), 100.0 * masks->mean_fraction());
    if (seen != nullptr)
        std::printf(
            "seen masks      %.2f ms -> %.2f ms per view (%.2fx faster than the input without masks; "
            "%.1f%% active), test PSNR with them %.2f dB -> %.2f dB\n",
            before.seen_ms, after.seen_ms, after.seen_ms > 0 ? before.render_ms / after.seen_ms : 0.0,
            100.0 * seen->mean_fraction(), before.seen_psnr, after.seen_psnr);
    if (dataset && before.test_views > 0)
        std::printf("test PSNR       %.2f dB -> %.2f dB (%+.2f dB), SSIM %.4f -> %.4f (%zu views)\n",
                    before.psnr, after.psnr, after.psnr - before.psnr, before.ssim, after.ssim,
                    after.test_views);
}

int run_prune_gaussians(const PruneOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    if (scene::is_nerf_path(o.output))
        throw InputError(
            cat(o.scene, " is a Gaussian scene: it is written to .ply, .splat or .spz, not ", o.output));
    splatting::scene_format_for(o.output);  // throws for an extension that is not a Gaussian format
    if (o.significance >= 0.0 && o.spatiotemporal >= 0.0)
        throw InputError("give --significance or --spatiotemporal, not both");
    splatting::LoadedScene loaded = splatting::load_scene(o.scene);
    splatting::GaussianCloud cloud = std::move(loaded.cloud);
    if (cloud.empty()) throw InputError(cat(o.scene, ": the scene has no Gaussians"));
    if (const auto bad = cloud.find_non_finite()) throw InputError(cat(o.scene, ": ", *bad));
    const bool temporal = cloud.is_4d();
    if (o.spatiotemporal >= 0.0 && !temporal)
        throw InputError(
            cat(o.scene, ": --spatiotemporal scores 4D scenes; this one is 3D (use --significance)"));
    if (o.finetune > 0 && o.cameras.empty())
        throw InputError("--finetune trains on a dataset: give --dataset DATASET");
    if (o.significance < 0.0 && o.spatiotemporal < 0.0 && o.sh_degree < 0 && o.finetune == 0)
        throw InputError("nothing to do: give --significance, --spatiotemporal, --sh-degree or --finetune");

    // The dataset (its training views score, its test views measure), or views around the scene.
    std::optional<Dataset> dataset;
    std::vector<splatting::ScoringView> views;
    std::string from;
    if (!o.cameras.empty()) {
        DatasetOptions dataset_options;
        dataset_options.downscale = o.downscale;
        dataset_options.test_every = o.test_every;
        // A scene trained over a learnt background is scored and fine-tuned over it (held fixed).
        const auto& learnt = cloud.background();
        const glm::vec3 background = !o.background.empty() ? parse_background(o.background)
                                     : learnt ? glm::vec3((*learnt)[0], (*learnt)[1], (*learnt)[2])
                                              : glm::vec3(1.0f);
        dataset_options.background = {background.x, background.y, background.z};
        dataset = load_dataset(o.cameras, dataset_options);
        for (const DatasetView& v : dataset->train) views.push_back({v.camera, v.time});
        from = cat(views.size(), " training views of ", o.cameras);
    }
    const TimeFrames frames = temporal ? time_frames(cloud, dataset) : TimeFrames{};
    const float span_start = frames.start, span_end = frames.end, frame_length = frames.length;
    const std::vector<float>& frame_times = frames.times;
    if (views.empty()) {
        const std::vector<Camera> around = splatting::views_around(cloud, o.views, o.view_size);
        for (std::size_t k = 0; k < around.size(); ++k)
            views.push_back({around[k], temporal ? frame_times[k % frame_times.size()] : 0.0f});
        from = cat(views.size(), " views around the scene at ", o.view_size, "x", o.view_size,
                   temporal ? cat(" over ", frame_times.size(), " times") : std::string());
    }
    // Render times over up to 16 of the views (test views when there are some).
    std::vector<splatting::ScoringView> timing;
    if (dataset && !dataset->test.empty())
        for (const DatasetView& v : dataset->test) timing.push_back({v.camera, v.time});
    else
        timing = views;
    if (timing.size() > 16) {
        std::vector<splatting::ScoringView> every;
        for (std::size_t k = 0; k < 16; ++k) every.push_back(timing[k * timing.size() / 16]);
        timing.swap(every);
    }
    const auto rasterizer = splatting::create_rasterizer(Backend::Cpu);
    const float key_interval = static_cast<float>(o.key_frames) * frame_length;
    const float cutoff = splatting::RenderSettings{}.temporal_cutoff;
    // 4D: active masks from the time marginal (exact), and, with a dataset, narrowed to what its training
    // views see at their times (4DGS-1K's; measured on the held-out views).
    std::optional<splatting::ActiveMasks> masks, seen;
    const auto make_masks = [&] {
        if (!temporal) return;
        masks.emplace(cloud, span_start, span_end, key_interval, cutoff);
        if (dataset) {
            seen = masks;
            seen->keep_seen(cloud, views);
        }
    };
    make_masks();
    const Measure before = measure(cloud, o.scene, timing, masks ? &*masks : nullptr, seen ? &*seen : nullptr,
                                   dataset ? &*dataset : nullptr, *rasterizer);

    prune_and_finetune(cloud, o, views, from, frame_times, span_end - span_start, dataset);
    splatting::save_scene(cloud, o.output);
    make_masks();
    const Measure after = measure(cloud, o.output, timing, masks ? &*masks : nullptr, seen ? &*seen : nullptr,
                                  dataset ? &*dataset : nullptr, *rasterizer);

    print_report(before, after, timing.size(), o, masks ? &*masks : nullptr, seen ? &*seen : nullptr,
                 dataset.has_value());
    log::info("wrote ", o.output, " in ",
              duration_text(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
    return 0;
}

int run_prune(const PruneOptions& o) {
    return scene::is_nerf_path(o.scene) ? run_prune_nerf(o) : run_prune_gaussians(o);
}

}  // namespace

void add_prune_command(CLI::App& app, Action& action) {
    auto o = std::make_shared<PruneOptions>();
    CLI::App* command = app.add_subcommand(
        "prune",
        "Make a scene smaller and faster: Gaussians by significance (3D, 4D) or spatial-temporal score (4D), "
        "SH distillation and fine-tuning; a NeRF by what it never uses. Prints size, render time and test "
        "PSNR before and after");
    command->add_option("scene", o->scene, "A Gaussian scene (.ply, .splat, .spz) or a .nerf")->required();
    command->add_option("-o,--output", o->output, "The pruned scene (same kind; written atomically)")
        ->required();
    command->add_option(
        "--dataset,--cameras", o->cameras,
        "A dataset: its training views decide what is seen, its test views measure PSNR before and "
        "after, fine-tuning trains on it (default: views around the scene, no PSNR)");
    command->add_option("--downscale", o->downscale, "With --cameras: integer image downscale factor")
        ->check(CLI::PositiveNumber);
    command->add_option("--views", o->views, "Without --cameras: views around the scene (default 96)")
        ->check(CLI::Range(1, 100000));
    command->add_option("--view-size", o->view_size, "Without --cameras: their size in pixels (default 192)")
        ->check(CLI::Range(8, 8192));
    command
        ->add_option("--min-weight", o->min_weight,
                     "A cell stays when one of its samples weighs at least this much in a view "
                     "(transmittance times alpha; default 1e-3)")
        ->check(CLI::Range(1e-6, 0.5));
    command
        ->add_option("--significance", o->significance,
                     "Gaussian scenes: remove this fraction, least significant first (LightGaussian: blend "
                     "weights over the views times a volume term)")
        ->check(CLI::Range(0.0, 1.0));
    command
        ->add_option("--spatiotemporal", o->spatiotemporal,
                     "4D scenes: remove this fraction by 4DGS-1K's spatial-temporal variation score "
                     "(short-lived, small, little-seen Gaussians first)")
        ->check(CLI::Range(0.0, 1.0));
    command
        ->add_option("--sh-degree", o->sh_degree,
                     "Gaussian scenes: distil SH to this degree (least squares over the views' directions)")
        ->check(CLI::Range(0, 3));
    command
        ->add_option("--finetune", o->finetune,
                     "Gaussian scenes: then train this many iterations on --dataset (no densification)")
        ->check(CLI::Range(0, 1000000));
    command
        ->add_option("--key-frames", o->key_frames,
                     "4D scenes: active masks with key frames every K frames (default 6)")
        ->check(CLI::Range(1, 100000));
    command
        ->add_option("--test-every", o->test_every,
                     "With --dataset: every Nth image is a test view (default 8)")
        ->check(CLI::Range(0, 1000000));
    command->add_option(
        "--background", o->background,
        "With --dataset: behind RGBA images and renders, white, black or R,G,B (default: the colour "
        "the scene was trained over when its file states one, else white)");
    command
        ->add_option("--rounds", o->rounds,
                     "Prune in this many rounds, each removing the same share of what is left, scored again "
                     "and fine-tuned for its part of --finetune (default 1: one cut, as LightGaussian)")
        ->check(CLI::Range(1, 100));
    command
        ->add_option(
            "--volume-power", o->volume_power,
            "The scores' volume term (volume / V90) ^ P: 0 ranks by blend weights alone (default 0.1, "
            "LightGaussian's)")
        ->check(CLI::Range(0.0f, 2.0f));
    command->add_option("--seed", o->seed, "Fine-tuning's random seed (default 1)");
    command->callback([&action, o] { action = [o] { return run_prune(*o); }; });
}

}  // namespace glint::app
