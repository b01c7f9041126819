// `glint convert IN OUT`: between scene formats, chosen by extension.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/splatting/scene_io.h"

namespace glint::app {

void add_convert_command(CLI::App& app, Action& action) {
    struct Options {
        std::string input;
        std::string output;
        bool ascii = false;
        int sh_degree = -1, spz_version = 4;
    };
    auto options = std::make_shared<Options>();
    CLI::App* command = app.add_subcommand(
        "convert",
        "Convert a scene between formats by extension (.ply, .compressed.ply, .splat, .spz, .glb, .gltf, "
        ".sog, a SOG folder's meta.json; .ksplat read); the output is written atomically");
    command->add_option("IN", options->input, "Input scene")->required();
    command->add_option("OUT", options->output, "Output scene")->required();
    command->add_flag("--ascii", options->ascii, "Write an ASCII PLY instead of binary little-endian");
    command
        ->add_option("--sh-degree", options->sh_degree, "Reduce (or zero-extend) the SH degree of the output")
        ->check(CLI::Range(0, 3));
    command
        ->add_option("--spz-version", options->spz_version,
                     ".spz output: 4 (the newest) or 3 (older readers)")
        ->check(CLI::IsMember({3, 4}));
    command->callback([&action, options] {
        action = [options] {
            // Check the output's format before spending time on the input.
            const splatting::SceneFormat out_format = splatting::scene_format_for(options->output);
            if (options->ascii && out_format != splatting::SceneFormat::Ply)
                throw InputError(cat(options->output, ": --ascii applies to .ply output only"));
            const auto start = std::chrono::steady_clock::now();
            splatting::LoadedScene scene = splatting::load_scene(options->input);
            const auto loaded = std::chrono::steady_clock::now();
            if (options->sh_degree >= 0) scene.cloud.set_sh_degree(options->sh_degree);
            splatting::SaveOptions save;
            save.ply_encoding =
                options->ascii ? splatting::PlyEncoding::Ascii : splatting::PlyEncoding::BinaryLittleEndian;
            save.spz_version = options->spz_version;
            splatting::save_scene(scene.cloud, options->output, save);
            const auto saved = std::chrono::steady_clock::now();
            log::debug("read in ", std::chrono::duration<double, std::milli>(loaded - start).count(),
                       " ms, wrote in ", std::chrono::duration<double, std::milli>(saved - loaded).count(),
                       " ms");
            // .splat stores SH degree 0 only: report what the file holds, not what was in memory.
            const int written_degree =
                out_format == splatting::SceneFormat::Splat ? 0 : scene.cloud.sh_degree();
            log::info("wrote ", options->output, ": ", scene.cloud.size(), " Gaussians, SH degree ",
                      written_degree, ", ", human_bytes(std::filesystem::file_size(options->output)));
            return 0;
        };
    });
}

}  // namespace glint::app
