// `glint info`: what a scene file holds (count, SH degree, bounds, parameter distributions, memory), or
// what a posed-image dataset holds.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "default_scene.h"
#include "glint/capture/multiview_video.h"
#include "glint/core/dataset.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/nerf/model.h"
#include "glint/scene/gaussian_scene.h"
#include "glint/splatting/lod.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/scene_stats.h"
#include "glint/splatting/sog_format.h"
#include "view_options.h"

namespace glint::app {
namespace {

using splatting::Distribution;
using splatting::kStatQuantiles;
using splatting::LoadedScene;
using splatting::SceneStats;

void print_distribution(const char* label, const Distribution& d) {
    std::printf("  %-14s", label);
    for (float q : d.quantiles) std::printf(" %10.4g", static_cast<double>(q));
    std::printf("   mean %.4g\n", d.mean);
}

void print_text(const std::string& name, const LoadedScene& scene, const SceneStats& s, const UpChoice& up) {
    std::printf("%s\n", name.c_str());
    std::printf("  format         %s (%s), %s\n", splatting::scene_format_name(scene.format),
                scene.encoding.c_str(), human_bytes(scene.file_bytes).c_str());
    const int coefficients = splatting::sh_coefficient_count(s.sh_degree);
    std::printf("  Gaussians      %s, %s, SH degree %d (%d coefficient%s per channel)\n",
                group_digits(s.count).c_str(), s.is_4d ? "4D" : "3D", s.sh_degree, coefficients,
                coefficients == 1 ? "" : "s");
    std::printf("  memory         %s (%zu bytes per Gaussian, float32 structure of arrays)\n",
                human_bytes(s.memory_bytes).c_str(), scene.cloud.floats_per_gaussian() * sizeof(float));
    if (scene.lod)
        std::printf(
            "  hierarchy      %s interior nodes, %d levels above the Gaussians (glint lod); %s with the "
            "scene in memory\n",
            group_digits(scene.lod->nodes.size() - scene.lod->leaves).c_str(),
            scene.lod->root != splatting::kNoNode ? scene.lod->height[scene.lod->root] : 0,
            human_bytes(scene.lod->memory_bytes()).c_str());
    if (s.count == 0) {
        std::printf("  (no Gaussians)\n");
        return;
    }
    std::printf("  bounds         x [%.4g, %.4g]  y [%.4g, %.4g]  z [%.4g, %.4g]\n", s.bounds_min[0],
                s.bounds_max[0], s.bounds_min[1], s.bounds_max[1], s.bounds_min[2], s.bounds_max[2]);
    std::printf("  bounds 1-99%%   x [%.4g, %.4g]  y [%.4g, %.4g]  z [%.4g, %.4g]\n", s.robust_min[0],
                s.robust_max[0], s.robust_min[1], s.robust_max[1], s.robust_min[2], s.robust_max[2]);
    std::printf("  up             %s\n", up.how.c_str());
    std::printf("  %-14s", "");
    for (double q : kStatQuantiles) {
        const std::string label = q == 0.0 ? "min" : (q == 1.0 ? "max" : cat(q * 100, "%"));
        std::printf(" %10s", label.c_str());
    }
    std::printf("\n");
    print_distribution("opacity", s.opacity);
    print_distribution("scale largest", s.scale_max);
    print_distribution("scale smallest", s.scale_min);
    if (s.is_4d) {
        std::printf("  time span      [%.4g, %.4g] (time means); time period %.4g; time-varying colour: %s\n",
                    s.time_min, s.time_max, scene.cloud.time_period(),
                    scene.cloud.time_color_degree() == 0
                        ? "none"
                        : cat(scene.cloud.time_color_degree(), " frequencies").c_str());
        print_distribution("time scale", s.time_scale);
        if (const auto& range = scene.cloud.time_range())
            std::printf("  time range     [%.4g, %.4g] (what it was made for: its frame times)\n",
                        static_cast<double>((*range)[0]), static_cast<double>((*range)[1]));
    }
    if (const auto& bg = scene.cloud.background())
        std::printf("  background     %.4g, %.4g, %.4g (learnt in training; renders use it by default)\n",
                    static_cast<double>((*bg)[0]), static_cast<double>((*bg)[1]),
                    static_cast<double>((*bg)[2]));
    if (!scene.skipped_properties.empty())
        std::printf("  skipped        %s\n", join(scene.skipped_properties, " ").c_str());
    if (!scene.skipped_elements.empty())
        std::printf("  other elements %s (ignored)\n", join(scene.skipped_elements, " ").c_str());
}

nlohmann::ordered_json distribution_json(const Distribution& d) {
    nlohmann::ordered_json out = {{"mean", d.mean}};
    for (std::size_t q = 0; q < kStatQuantiles.size(); ++q) {
        const double quantile = kStatQuantiles[q];
        const std::string key =
            quantile == 0.0 ? "min" : (quantile == 1.0 ? "max" : cat("p", quantile * 100));
        out[key] = d.quantiles[q];
    }
    return out;
}

void print_json(const std::string& name, const LoadedScene& scene, const SceneStats& s, const UpChoice& up) {
    nlohmann::ordered_json out = {
        {"file", name},
        {"format", splatting::scene_format_name(scene.format)},
        {"encoding", scene.encoding},
        {"file_bytes", scene.file_bytes},
        {"count", s.count},
        {"sh_degree", s.sh_degree},
        {"is_4d", s.is_4d},
        {"memory_bytes", s.memory_bytes},
        {"skipped_properties", scene.skipped_properties},
        {"skipped_elements", scene.skipped_elements},
        {"up", {up.up.x, up.up.y, up.up.z}},
        {"up_from", up.how},
    };
    if (const auto& bg = scene.cloud.background()) out["background"] = {(*bg)[0], (*bg)[1], (*bg)[2]};
    if (scene.lod)
        out["hierarchy"] = {
            {"interior_nodes", scene.lod->nodes.size() - scene.lod->leaves},
            {"levels", scene.lod->root != splatting::kNoNode ? scene.lod->height[scene.lod->root] : 0},
            {"memory_bytes", scene.lod->memory_bytes()}};
    if (s.count > 0) {
        out["bounds"] = {{"min", s.bounds_min}, {"max", s.bounds_max}};
        out["bounds_1_99"] = {{"min", s.robust_min}, {"max", s.robust_max}};
        out["opacity"] = distribution_json(s.opacity);
        out["scale_largest"] = distribution_json(s.scale_max);
        out["scale_smallest"] = distribution_json(s.scale_min);
        if (s.is_4d) {
            out["time_span"] = {s.time_min, s.time_max};
            out["time_period"] = scene.cloud.time_period();
            out["time_color_degree"] = scene.cloud.time_color_degree();
            out["time_scale"] = distribution_json(s.time_scale);
            if (const auto& range = scene.cloud.time_range()) out["time_range"] = {(*range)[0], (*range)[1]};
        }
    }
    std::printf("%s\n", out.dump(2).c_str());
}

int show(const std::string& name, const LoadedScene& scene, bool json, const std::string& path) {
    const SceneStats stats = splatting::compute_stats(scene.cloud);
    const UpChoice up = resolve_up("", path, scene::gaussian_up_hint(scene));
    if (json)
        print_json(name, scene, stats, up);
    else
        print_text(name, scene, stats, up);
    return 0;
}

// A NeRF (.nerf): its configuration, parameters and occupancy.
int show_nerf(const std::string& path, bool json) {
    const nerf::NerfModel model = nerf::load_nerf(path);
    const nerf::NerfConfig& c = model.config();
    const nerf::HashGridConfig grid = nerf::scaled_grid_config(c);
    const std::size_t cells = model.occupancy().size(), occupied = model.occupied_cells();
    const std::size_t bytes = std::filesystem::file_size(path);
    if (json) {
        nlohmann::json j = {
            {"file", path},
            {"model", "hash-grid NeRF"},
            {"format_version", nerf::kNerfFormatVersion},
            {"file_bytes", bytes},
            {"hash_levels", c.grid.levels},
            {"features_per_level", c.grid.features},
            {"log2_table_size", c.grid.log2_table_size},
            {"base_resolution", c.grid.base_resolution},
            {"max_resolution", grid.max_resolution},
            {"hidden_width", c.hidden},
            {"parameters", model.parameter_count()},
            {"scene_box", {{"centre", {c.centre.x, c.centre.y, c.centre.z}}, {"half_size", c.half_size}}},
            {"cascades", c.cascades},
            {"occupancy_resolution", c.occupancy_resolution},
            {"occupied_cells", occupied},
            {"cells", cells},
            {"steps", c.steps}};
        if (const auto& bg = model.background()) j["background"] = {(*bg)[0], (*bg)[1], (*bg)[2]};
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("%s: hash-grid NeRF (.nerf version %u), %s\n", path.c_str(), nerf::kNerfFormatVersion,
                human_bytes(bytes).c_str());
    std::printf("  hash grid      %d levels x %d features, tables of 2^%d entries, resolution %g to %g\n",
                c.grid.levels, c.grid.features, c.grid.log2_table_size,
                static_cast<double>(c.grid.base_resolution), static_cast<double>(grid.max_resolution));
    std::printf("  networks       density %d -> %d -> %d, colour %d -> %d -> %d -> 3\n",
                c.grid.levels * c.grid.features, c.hidden, c.geometry_features, c.geometry_features + 16,
                c.hidden, c.hidden);
    std::printf("  parameters     %s\n", group_digits(model.parameter_count()).c_str());
    std::printf("  scene box      centre (%g, %g, %g), half size %g, %d cascade(s)\n",
                static_cast<double>(c.centre.x), static_cast<double>(c.centre.y),
                static_cast<double>(c.centre.z), static_cast<double>(c.half_size), c.cascades);
    std::printf("  occupancy      %s of %s cells (%.1f%%) at %d^3 per cascade\n",
                group_digits(occupied).c_str(), group_digits(cells).c_str(),
                100.0 * static_cast<double>(occupied) / static_cast<double>(cells), c.occupancy_resolution);
    std::printf("  marching       %d steps across the box's diagonal\n", c.steps);
    if (const auto& bg = model.background())
        std::printf("  background     %.4g, %.4g, %.4g (learnt in training; renders use it by default)\n",
                    static_cast<double>((*bg)[0]), static_cast<double>((*bg)[1]),
                    static_cast<double>((*bg)[2]));
    return 0;
}

// A posed-image dataset (a folder, or a transforms.json): what training would see.
int show_dataset(std::string path, bool json) {
    if (capture::is_multiview_video(path)) {
        const capture::MultiviewVideo video = capture::prepare_multiview_video(
            path, [](const std::string& camera) { log::info("decoding ", camera, " into the frame cache"); });
        log::info(path, ": multi-view video (N3V layout), ", video.cameras, " cameras x ", video.frames,
                  " frames at ", video.width, "x", video.height, ", cam00 held out; frames ",
                  video.reused ? "cached in " : "decoded into ", video.dataset.string());
        path = video.dataset.string();
    }
    const Dataset d = load_dataset(path);
    const DatasetView& first = d.train.front();
    // A video: its frame times, and the cameras (views sharing a pose) of each split.
    std::set<float> times;
    std::set<std::size_t> train_cameras, test_cameras;
    for (const DatasetView& v : d.train) times.insert(v.time), train_cameras.insert(v.camera_id);
    for (const DatasetView& v : d.test) times.insert(v.time), test_cameras.insert(v.camera_id);
    if (json) {
        nlohmann::ordered_json out = {
            {"dataset", path},
            {"kind", d.kind},
            {"train_views", d.train.size()},
            {"test_views", d.test.size()},
            {"width", first.camera.width},
            {"height", first.camera.height},
            {"points", d.points.size()},
            {"camera_extent", d.camera_extent},
            {"cameras_surround_centre", d.surrounds_centre},
        };
        if (times.size() > 1) {
            out["frame_times"] = times.size();
            out["time_span"] = {*times.begin(), *times.rbegin()};
            out["train_cameras"] = train_cameras.size();
            out["test_cameras"] = test_cameras.size();
        }
        if (d.aabb_scale) out["aabb_scale"] = *d.aabb_scale;
        if (!d.distortion.empty()) out["distortion"] = d.distortion;
        out["masked_views"] = d.masked_views;
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    std::printf("%s\n", path.c_str());
    std::printf("  kind           %s\n", d.kind.c_str());
    std::printf("  views          %zu train, %zu test%s\n", d.train.size(), d.test.size(),
                d.test.empty() ? "" : cat(" (first test view: ", d.test.front().name, ")").c_str());
    std::printf("  images         %dx%d (first view), fx %.1f, fy %.1f\n", first.camera.width,
                first.camera.height, static_cast<double>(first.camera.fx),
                static_cast<double>(first.camera.fy));
    if (!d.distortion.empty()) std::printf("  lens           %s\n", d.distortion.c_str());
    if (d.masked_views > 0)
        std::printf("  masks          %zu views (masked pixels are left out of the loss)\n", d.masked_views);
    std::printf("  cameras        centre (%.3g, %.3g, %.3g), extent %.3g; %s\n", d.camera_centre.x,
                d.camera_centre.y, d.camera_centre.z, static_cast<double>(d.camera_extent),
                d.surrounds_centre ? "around an object (looking at its centre)"
                                   : "not around one centre (a room, a street, forward-facing)");
    if (d.kind.starts_with("COLMAP") || d.points.size() > 0)
        std::printf("  sparse points  %zu\n", d.points.size());
    if (times.size() > 1) {
        const bool monocular = train_cameras.size() == d.train.size();
        std::printf(
            "  video          %zu frame times from %g to %g; %s\n", times.size(),
            static_cast<double>(*times.begin()), static_cast<double>(*times.rbegin()),
            monocular ? cat("monocular: one camera per training view, ", d.test.size(), " test views").c_str()
                      : cat(train_cameras.size(), " training cameras x their frames, ", test_cameras.size(),
                            " held-out camera", test_cameras.size() == 1 ? "" : "s", " (", d.test.size(),
                            " test views)")
                            .c_str());
    }
    if (d.aabb_scale) std::printf("  aabb_scale     %g\n", static_cast<double>(*d.aabb_scale));
    return 0;
}

}  // namespace

int run_default(bool json) {
    const LoadedScene scene = splatting::load_scene_from_memory(
        default_scene_bytes(), splatting::SceneFormat::Ply, kDefaultSceneName);
    return show(kDefaultSceneName, scene, json, "");
}

void add_info_command(CLI::App& app, Action& action) {
    struct Options {
        std::string file;
        bool json = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command =
        app.add_subcommand("info",
                           "Print what a scene file holds: Gaussian count, SH degree, bounds, "
                           "opacity and scale distributions, memory, time span (4D)");
    command->add_option(
        "FILE", options->file,
        "Scene file (.ply, .splat, .spz, .ksplat, .gltf, .glb, .sog or a SOG folder, .nerf), or a dataset "
        "(COLMAP or transforms.json folder, a "
        "transforms.json, or an N3V multi-view video folder); the embedded default scene if omitted");
    command->add_flag("--json", options->json, "Print machine-readable JSON");
    command->callback([&action, options] {
        action = [options] {
            if (options->file.empty()) return run_default(options->json);
            const std::filesystem::path path(options->file);
            if (!splatting::is_sog_path(path) &&
                (std::filesystem::is_directory(path) || to_lower(path.extension().string()) == ".json"))
                return show_dataset(options->file, options->json);
            if (scene::is_nerf_path(path)) return show_nerf(options->file, options->json);
            const auto start = std::chrono::steady_clock::now();
            const LoadedScene scene = splatting::load_scene(options->file);
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            log::debug("read ", scene.cloud.size(), " Gaussians from ", options->file, " in ", seconds * 1e3,
                       " ms (", static_cast<double>(scene.file_bytes) / 1e6 / seconds, " MB/s)");
            return show(options->file, scene, options->json, options->file);
        };
    });
}

}  // namespace glint::app
