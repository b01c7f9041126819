// `glint lod SCENE -o OUT.ply`: a Gaussian hierarchy over a 3D scene, for level-of-detail rendering.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/scene/gaussian_scene.h"
#include "glint/splatting/lod.h"
#include "glint/splatting/scene_io.h"

namespace glint::app {

void add_lod_command(CLI::App& app, Action& action) {
    struct Options {
        std::string input, output;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand(
        "lod",
        "Build a Gaussian hierarchy over a 3D scene (interior nodes merged from their children) and write it "
        "as a PLY whose vertices are the scene and whose lod_node element is the hierarchy; render, record, "
        "bench and view draw its cut with --lod-pixels or --lod-budget");
    command->add_option("SCENE", options->input, "3D scene (any format glint reads)")->required();
    command->add_option("-o,--output", options->output, "Output .ply")->required();
    command->callback([&action, options] {
        action = [options] {
            if (to_lower(std::filesystem::path(options->output).extension().string()) != ".ply" ||
                splatting::scene_format_for(options->output) != splatting::SceneFormat::Ply)
                throw InputError(cat(options->output, ": a hierarchy is written as .ply"));
            const auto start = std::chrono::steady_clock::now();
            const splatting::LoadedScene scene = splatting::load_scene(options->input);
            if (scene.cloud.is_4d())
                throw InputError(
                    cat(options->input, ": a 4D scene; glint lod builds hierarchies over 3D scenes"));
            if (scene.cloud.empty()) throw InputError(cat(options->input, ": no Gaussians"));
            const auto loaded = std::chrono::steady_clock::now();
            splatting::LodHierarchy hierarchy = splatting::build_lod(scene.cloud);
            // The file is glint's: keep the up its format implied (a reference PLY's -y) as its "glint up".
            if (!hierarchy.nodes.up())
                if (const auto hint = scene::gaussian_up_hint(scene))
                    hierarchy.nodes.set_up(std::array<float, 3>{hint->up.x, hint->up.y, hint->up.z});
            const auto built = std::chrono::steady_clock::now();
            splatting::write_lod_ply(hierarchy, options->output);
            const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
            log::info("wrote ", options->output, ": ", hierarchy.leaves, " Gaussians and ",
                      hierarchy.nodes.size() - hierarchy.leaves, " interior nodes (memory ",
                      human_bytes(hierarchy.memory_bytes()), ", the scene's ",
                      human_bytes(scene.cloud.memory_bytes()), "), ",
                      human_bytes(std::filesystem::file_size(options->output)), "; built in ",
                      seconds(loaded, built), " s (read ", seconds(start, loaded), " s, written ",
                      seconds(built, std::chrono::steady_clock::now()), " s)");
            return 0;
        };
    });
}

}  // namespace glint::app
