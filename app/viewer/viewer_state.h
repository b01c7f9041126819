// The viewer's plain state: what the panels show and edit, and the requests they make of the viewer.
// Panels read and write it; the viewer acts on it between frames.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "glint/core/backend.h"
#include "glint/core/camera_controller.h"
#include "glint/core/camera_path.h"
#include "glint/core/frame_display.h"
#include "glint/splatting/train/live_training.h"

namespace glint::app {

enum class LodMode { Off, Budget, MinSize, Auto, Hierarchy };
enum class PrunePreview { Off, Kept, Removed };

// Samples of the last frames, for the stats plots.
struct TimingHistory {
    static constexpr std::size_t kLength = 240;  // about four seconds at 60 frames per second
    std::deque<float> frame_ms, preprocess_ms, sort_ms, blend_ms, display_ms;
    void push(float frame, float preprocess, float sort, float blend, float display);
};

struct ViewerState {
    // Scene (read-only in the panel).
    std::string scene_name;
    std::string up_how;  // the world's up and how it was chosen (resolve_up)
    std::size_t gaussians = 0, gaussians_loaded = 0;
    int sh_degree = 0;
    bool is_4d = false;
    std::size_t memory_bytes = 0;
    std::array<float, 3> bounds_min{}, bounds_max{};
    // A hash-grid NeRF instead of Gaussians (rendered on the CPU, progressively).
    bool is_nerf = false;
    std::string nerf_summary;  // encoding and networks, one line
    std::size_t nerf_parameters = 0, nerf_occupied = 0, nerf_cells = 0;
    float nerf_refined = 1.0f;  // share of the full-resolution image rendered since the view last changed

    // Render.
    Backend backend = Backend::Cpu;
    bool cuda_usable = false;
    std::string cuda_reason;   // why CUDA cannot be used, when it cannot
    bool cuda_shared = false;  // the window shows CUDA's pixels with no copy
    DisplayMode display = DisplayMode::Color;
    std::array<float, 3> background{0.0f, 0.0f, 0.0f};
    int sh_degree_limit = 3;
    bool antialias = false;
    float resolution_scale = 1.0f;    // of the window's size
    bool adaptive_resolution = true;  // CPU: lower resolution while the camera moves
    float adaptive_scale = 1.0f;      // the scale in use while moving
    float target_fps = 30.0f;         // for adaptive resolution and automatic level of detail
    bool vsync = true;
    std::uint32_t heat_max = 0;  // the count the heat map's top colour stands for
    float depth_near = 0, depth_far = 1;

    // Level of detail.
    LodMode lod = LodMode::Off;
    int budget = 0;           // Gaussians drawn, the most important first
    float min_radius = 1.0f;  // pixels: smaller projected Gaussians are skipped
    std::size_t drawn = 0;    // Gaussians drawn in the last frame (before culling)
    std::size_t visible = 0;  // of those, visible
    // The Gaussian hierarchy (3D scenes; the file's from glint lod, or built on the first frame asking):
    // a cut by projected size, optionally under a budget; the automatic target grows the size while
    // moving or playing to hold target_fps, and a still view gets the chosen size again.
    float lod_pixels = 2.0f;
    bool lod_use_budget = false;
    int lod_budget = 1'000'000;
    bool lod_auto = false;
    float lod_auto_pixels = 2.0f;  // the automatic target in use
    bool lod_levels = false;       // colour each Gaussian of the cut by its level
    std::size_t cut_nodes = 0;     // the last frame's cut (0: none drawn)
    float cut_ms = 0.0f, cut_target = 0.0f;

    // Pruning.
    float prune_min_opacity = 0.005f;  // the reference trainer's pruning threshold
    float prune_max_scale = 0.0f;      // 0: no limit
    float prune_min_scale = 0.0f;
    PrunePreview prune_preview = PrunePreview::Off;
    std::size_t prune_kept = 0;
    bool prune_apply = false;  // request
    std::string save_path;
    bool save = false;  // request
    // Gaussian pruning by significance (LightGaussian; 4DGS-1K's spatial-temporal score for 4D scenes):
    // scored on a worker thread over the dataset beside the scene (or views around it), the lowest
    // `prune_fraction` previewed and applied; fine-tuning on that dataset in the background.
    int prune_mode = 0;         // 0: thresholds, 1: significance
    bool open_pruning = false;  // open the Pruning panel on the next frame
    float prune_fraction = 0.66f;
    int finetune_iterations = 1000;
    std::string prune_views;          // which views score, as the panel says it
    bool has_dataset = false;         // a dataset to fine-tune on
    bool significance_ready = false;  // the shown Gaussians have scores
    bool score_start = false, finetune_start = false, prune_job_cancel = false;  // requests
    bool scoring = false, finetuning = false;
    float prune_job_fraction = 0.0f;
    // NeRF pruning (cells no view uses, hash entries no occupied cell reaches), on a worker thread.
    float nerf_prune_min_weight = 1e-3f;
    std::string nerf_prune_views;  // which views decide, as the panel says it
    bool nerf_prune_start = false, nerf_prune_cancel = false, nerf_prune_revert = false;  // requests
    bool nerf_pruning = false, nerf_pruned = false;  // running; the shown model is a pruned one
    float nerf_prune_fraction = 0.0f;
    std::string nerf_prune_report;  // the last result

    // Time (4D).
    float time = 0.0f, time_min = 0.0f, time_max = 1.0f;
    bool playing = false, loop = true;
    float speed = 1.0f;  // scene time units per second, relative to the span: 1 plays the span in 10 s

    // Camera path (fly-through): keyframes edited from the current view, previewed, saved, recorded.
    enum class PathEdit { None, Add, Update, Remove, Up, Down, Go, Clear };
    CameraPath path;
    int path_selected = -1;
    PathEdit path_edit = PathEdit::None;  // request
    bool path_show = true;
    bool path_bind_time = true;  // 4D: new keyframes take the current scene time
    bool path_previewing = false;
    bool path_scrub = false;  // request: show the path at path_preview_time
    float path_preview_time = 0.0f, path_duration = 0.0f;
    std::string path_file = "path.json";
    bool path_save = false, path_load = false;  // requests
    // Recording (offline, full quality, on a worker thread).
    std::string record_output = "fly.mp4";
    int record_width = 1920, record_height = 1080, record_fps = 30;
    bool record_start = false, record_cancel = false;  // requests
    bool recording = false;
    float record_fraction = 0.0f;
    std::string record_status;

    // Camera and window.
    CameraMode camera_mode = CameraMode::Orbit;
    bool fit_view = false, reset_view = false, screenshot = false;  // requests
    // Request: set the world's up. 0-5: +x, -x, +y, -y, +z, -z; kUpThisWay: the view's up;
    // kUpLevel: the current up with the view's roll removed (the horizon level on screen).
    static constexpr int kUpThisWay = 6, kUpLevel = 7;
    int up_request = -1;
    bool show_panel = true, show_help = false, quit = false;
    std::string open_path;  // request: open this scene
    std::string file_dialog_dir;
    bool file_dialog = false;
    std::string save_dialog_path;  // what the Save As dialog shows
    bool save_dialog = false;

    // Stats.
    TimingHistory timings;
    double render_ms = 0, frame_ms = 0, fps = 0;
    int render_width = 0, render_height = 0;

    // Training (`glint train --view`).
    bool training = false;
    splatting::TrainingProgress training_progress;
    int training_pause_request = -1;  // request: 1 pause, 0 resume
    bool training_stop_request = false;
    // Messages: the last error stays until dismissed; notices fade.
    std::string error;
    std::string notice;
    double notice_until = 0;
};

}  // namespace glint::app
