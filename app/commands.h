// Registration of the glint subcommands; each adds itself to the CLI11 app and sets the action to run.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace glint::app {

// The action of the subcommand the user chose; it returns the process exit code.
using Action = std::function<int()>;

void add_info_command(CLI::App& app, Action& action);
void add_convert_command(CLI::App& app, Action& action);
void add_render_command(CLI::App& app, Action& action);
void add_bench_command(CLI::App& app, Action& action);
void add_view_command(CLI::App& app, Action& action);
void add_train_command(CLI::App& app, Action& action);
void add_synth_command(CLI::App& app, Action& action);
void add_record_command(CLI::App& app, Action& action);
void add_prune_command(CLI::App& app, Action& action);

// What `glint` does with no arguments: the main job on the embedded default scene.
int run_default(bool json);

}  // namespace glint::app
