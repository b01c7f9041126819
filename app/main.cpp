// glint's entry point: parses the command line, runs one subcommand, maps errors to exit codes
// (0 ok, 1 failure, 2 bad input or usage).
#include <cstdio>
#include <exception>

#include <tbb/global_control.h>
#include <CLI/CLI.hpp>
#include <memory>

#include "commands.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/version.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "glint: view, train and record 3D/4D Gaussian and NeRF scenes.\n"
        "With no command, shows the embedded default scene.",
        "glint"};
    app.set_version_flag("--version", std::string("glint ") + glint::kVersion);
    bool verbose = false;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbose, "Print debug messages (timings, decisions)");
    app.add_flag("-q,--quiet", quiet, "Print errors only");
    int threads = 0;
    app.add_option("--threads", threads, "Worker threads for the CPU work (default: one per core)")
        ->check(CLI::Range(1, 1024));
    app.require_subcommand(0, 1);
    app.fallthrough();

    glint::app::Action action;
    glint::app::add_info_command(app, action);
    glint::app::add_convert_command(app, action);
    glint::app::add_lod_command(app, action);
    glint::app::add_render_command(app, action);
    glint::app::add_bench_command(app, action);
    glint::app::add_view_command(app, action);
    glint::app::add_train_command(app, action);
    glint::app::add_synth_command(app, action);
    glint::app::add_record_command(app, action);
    glint::app::add_prune_command(app, action);
    glint::app::add_process_command(app, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "glint: error: %s\nRun 'glint --help' for usage.\n", e.what());
        return kExitBadInput;
    }
    glint::log::set_level(verbose ? glint::log::Level::Debug
                                  : (quiet ? glint::log::Level::Error : glint::log::Level::Info));

    // Limits oneTBB's pool for the whole run (every parallel loop, the viewer's and the trainer's).
    std::unique_ptr<tbb::global_control> thread_limit;
    if (threads > 0)
        thread_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                             static_cast<std::size_t>(threads));

    try {
        return action ? action() : glint::app::run_default(false);
    } catch (const glint::InputError& e) {
        glint::log::error(e.what());
        return kExitBadInput;
    } catch (const std::bad_alloc&) {
        glint::log::error("out of memory");
        return kExitFailure;
    } catch (const std::exception& e) {
        glint::log::error(e.what());
        return kExitFailure;
    }
}
