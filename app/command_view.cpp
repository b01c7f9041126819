// `glint view`: the interactive viewer.
#include <memory>

#include "commands.h"
#include "viewer/viewer.h"

namespace glint::app {

void add_view_command(CLI::App& app, Action& action) {
    auto o = std::make_shared<ViewerOptions>();
    CLI::App* command = app.add_subcommand(
        "view",
        "Open the interactive viewer (Vulkan window with panels); H in the window lists the shortcuts");
    add_view_options(*command, o->view);
    command->add_option("--frames", o->frames, "Run this many frames, then exit (tests, screenshots)")
        ->check(CLI::PositiveNumber);
    command->add_option("--screenshot", o->screenshot, "With --frames: write the last frame to this PNG")
        ->needs("--frames");
    command->add_flag(
        "--validation", o->validation,
        "Enable the Vulkan validation layer (also GLINT_VULKAN_VALIDATION=1); exit 1 if it reports");
    command->add_flag("!--no-vsync", o->vsync, "Present without waiting for the display's refresh");
    command->add_flag("--fly", o->fly, "Start with the fly camera instead of orbiting");
    command->add_flag("--hide-panel", o->hide_panel, "Start with the side panel hidden (G shows it)");
    command->add_option("--path", o->path,
                        "Open this camera path (JSON) in the Camera path panel, to edit, preview and record");
    command->add_flag("--preview-path", o->preview_path, "With --path: start playing the path's preview");
    command
        ->add_option("--prune-significance", o->prune_significance,
                     "Gaussian scenes: open the Pruning panel scoring the scene by significance, previewing "
                     "what removing this fraction takes away")
        ->check(CLI::Range(0.0f, 0.99f));
    command->callback([&action, o] { action = [o] { return run_viewer(*o); }; });
}

}  // namespace glint::app
