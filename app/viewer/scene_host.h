// The viewer's scene host: the scene on screen (any kind, through scene::Scene), what the panels show of
// it, the pruning preview masks and Save As, and its image, rendered only when out of date. Scenes that
// render quickly draw a frame at once (at a lower resolution while the camera moves, on the CPU);
// progressive ones (a NeRF) show a quick low-resolution frame when the view changes and refine it band by
// band over the next frames.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../view_options.h"
#include "glint/core/camera_controller.h"
#include "glint/renderer/presenter.h"
#include "glint/scene/gaussian_scene.h"
#include "glint/scene/nerf_scene.h"
#include "glint/splatting/selection.h"
#include "viewer_state.h"

namespace glint::app {

// The Gaussian hierarchy's automatic target while frames follow each other: the size `current` moved
// toward the one whose frames take `target_ms` (this frame took `frame_ms`), never finer than the chosen
// size (nor 0.5 pixels) nor coarser than 256 pixels.
float next_lod_target(float current, float chosen, double frame_ms, double target_ms);

class SceneHost {
public:
    using Notify = std::function<void(const std::string&)>;
    SceneHost(ViewerState& state, const ViewOptions& options, Notify notice);

    // Shows `scene` (from `path`; empty for the default scene and live training) and fills the panel's
    // description of it. A Gaussian scene is ordered by importance, so a budget draws a prefix.
    void install(std::unique_ptr<scene::Scene> scene, const std::string& name, const std::string& path);
    scene::Scene& scene() { return *m_scene; }
    const scene::Scene& scene() const { return *m_scene; }
    // The scene as Gaussians (level of detail, pruning previews, training updates) or as a NeRF
    // (occupancy pruning); null when it is another kind.
    scene::GaussianScene* gaussians() { return dynamic_cast<scene::GaussianScene*>(m_scene.get()); }
    scene::NerfScene* nerf() { return dynamic_cast<scene::NerfScene*>(m_scene.get()); }
    const std::string& path() const { return m_path; }
    // After the model behind the scene changed (a pruned NeRF): draw again and show its counts.
    void model_changed();

    // Live training: the newest Gaussians replace the scene's; the camera and the panel's settings stay.
    void set_cloud(const splatting::GaussianCloud& cloud);
    // The Pruning panel's Gaussian requests (preview masks, Apply) and Save As.
    void handle_requests();
    // Significance scores of the shown Gaussians (their order), from the pruning job; empty: none.
    void set_significance(std::vector<float> scores);

    // Renders the image for `slot` when it is out of date (or still refining); `source` says where its
    // pixels are. Returns whether it rendered.
    bool render(const CameraController& camera, int width, int height, bool moving, int slot,
                renderer::Presenter& presenter, std::optional<renderer::PixelSource>& source);
    // The image on screen is a reduced one (moving, or still refining): more frames will follow.
    bool reduced() const { return m_reduced; }
    bool refining() const { return m_refine.active; }
    // The image must be drawn again even if nothing it depends on changed (a skipped frame).
    void forget_image() { m_have_image = false; }
    bool has_image() const { return m_have_image; }

private:
    // Everything a scene image depends on; a frame renders the scene only when this changes.
    struct RenderKey {
        float rotation[9], translation[3], fx, fy;
        int width, height, display, backend;
        float background[3];
        int sh_degree, antialias, lod, budget;
        float min_radius, lod_pixels;
        int lod_budget, lod_levels;
        int preview;
        std::uint64_t prune_version, scene_version;
        float time;
    };
    RenderKey key(const Camera& camera, int width, int height, bool automatic_budget) const;
    scene::DrawSettings draw_settings(bool automatic_budget) const;
    bool render_direct(const Camera& camera, bool moving, int slot, renderer::Presenter& presenter,
                       std::optional<renderer::PixelSource>& source, double& stage_ms);
    void render_progressive(const CameraController& camera, int width, int height, bool changed);
    void show_counts();
    void update_prune_mask();
    void finish_frame(double render_ms, double display_ms, const scene::FrameStats& stats);

    ViewerState& m_state;
    const ViewOptions& m_options;
    Notify m_notice;
    std::unique_ptr<scene::Scene> m_scene;
    std::string m_path;
    std::uint64_t m_version = 0;
    std::vector<std::uint8_t> m_keep, m_removed;  // pruning preview masks (Gaussians)
    splatting::PruneCriteria m_prune_criteria{-1.0f, -1.0f, -1.0f};
    std::vector<float> m_significance;  // [N] or empty
    float m_prune_fraction = -1.0f;     // the fraction the masks were made for (significance mode)
    int m_prune_mode = -1;
    std::uint64_t m_prune_version = 0;
    Frame m_out;
    RenderKey m_last_key{};
    bool m_have_image = false;
    bool m_reduced = false;
    double m_last_render_time = -1e9;  // no frame yet: the first one is an idle gap
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    // A progressive scene's view refined over frames: a quick frame at the adaptive scale when the view
    // changes, then full-resolution rows, as many per frame as fit the target frame time, over the quick
    // frame's enlarged pixels.
    struct Refinement {
        bool active = false;
        int next_row = 0;
        double ms_per_row = 0;
        Frame image;  // full resolution: float colour, opacity, depth
    } m_refine;
};

}  // namespace glint::app
