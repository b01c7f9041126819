// `glint prune`: removes what a trained NeRF never uses (occupancy cells no view needs, hash-table
// entries no occupied cell reaches) and reports the size, render cost and test PSNR before and after.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "glint/core/dataset.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/nerf/model.h"
#include "glint/nerf/prune.h"
#include "glint/nerf/render.h"
#include "glint/scene/scene.h"

namespace glint::app {
namespace {

struct PruneOptions {
    std::string scene, output, cameras;
    int views = 96, view_size = 192, downscale = 1;
    float min_weight = 1e-3f;
};

double percent_fewer(std::size_t before, std::size_t after) {
    return before > 0 ? 100.0 * (1.0 - static_cast<double>(after) / static_cast<double>(before)) : 0.0;
}

int run_prune(const PruneOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    if (!scene::is_nerf_path(o.scene))
        throw InputError(cat(o.scene, ": glint prune takes a .nerf scene (Gaussian scenes are pruned by ",
                             "opacity and scale in the viewer's Pruning panel)"));
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

}  // namespace

void add_prune_command(CLI::App& app, Action& action) {
    auto o = std::make_shared<PruneOptions>();
    CLI::App* command = app.add_subcommand(
        "prune",
        "Remove what a trained NeRF never uses (occupancy cells no view needs, hash entries no occupied cell "
        "reaches); print size, render cost and test PSNR before and after");
    command->add_option("scene", o->scene, "A .nerf scene")->required();
    command->add_option("-o,--output", o->output, "The pruned scene (.nerf; written atomically)")->required();
    command->add_option(
        "--cameras", o->cameras,
        "A dataset (COLMAP or transforms.json): its cameras decide what is seen, its test views "
        "measure PSNR before and after (default: views around the scene, no PSNR)");
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
    command->callback([&action, o] { action = [o] { return run_prune(*o); }; });
}

}  // namespace glint::app
