// `glint view`: the interactive viewer (GLFW window, Vulkan presentation, ImGui panels).
#pragma once

#include <string>

#include "../view_options.h"

namespace glint::splatting {
class LiveTraining;
}

namespace glint::app {

struct ViewerOptions {
    ViewOptions view;         // scene, initial camera (--cameras, --lookat), rendering options
    int frames = 0;           // run this many frames, then exit (0: until the window closes)
    std::string screenshot;   // with --frames: write the last frame here (PNG)
    bool validation = false;  // Vulkan validation layer (also GLINT_VULKAN_VALIDATION=1, and debug builds)
    bool vsync = true;
    bool fly = false;  // start with the fly camera
    bool hide_panel = false;
    std::string path;           // a camera path to open in the path panel
    bool preview_path = false;  // and play its preview from the start
    // Gaussian scenes: open the Pruning panel in significance mode, score the scene and preview what
    // removing this fraction takes away (< 0: not asked).
    float prune_significance = -1.0f;
    // `glint train --view`: show the trainer's Gaussians as they change (instead of a scene file).
    splatting::LiveTraining* live = nullptr;
};

// Opens the window and runs until it is closed (or `frames` frames). Returns the exit code; with
// validation on, 1 when the validation layer reported anything.
int run_viewer(const ViewerOptions& options);

}  // namespace glint::app
