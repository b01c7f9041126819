// Registration of the glint subcommands; each adds itself to the CLI11 app and sets the action to run.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "glint/capture/process.h"

namespace glint::app {

// The action of the subcommand the user chose; it returns the process exit code.
using Action = std::function<int()>;

void add_info_command(CLI::App& app, Action& action);
void add_convert_command(CLI::App& app, Action& action);
void add_lod_command(CLI::App& app, Action& action);
void add_render_command(CLI::App& app, Action& action);
void add_bench_command(CLI::App& app, Action& action);
void add_view_command(CLI::App& app, Action& action);
void add_train_command(CLI::App& app, Action& action);
void add_synth_command(CLI::App& app, Action& action);
void add_record_command(CLI::App& app, Action& action);
void add_prune_command(CLI::App& app, Action& action);
void add_process_command(CLI::App& app, Action& action);

// The capture options glint process and glint train (given photos or a video) share.
void add_capture_options(CLI::App& command, capture::ProcessOptions& options);
// Runs the capture pipeline with a progress line per stage and a summary; throws as process_capture.
capture::ProcessSummary process_with_display(const capture::ProcessOptions& options);

// What `glint` does with no arguments: the main job on the embedded default scene.
int run_default(bool json);

}  // namespace glint::app
