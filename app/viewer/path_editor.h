// The Camera path panel's work: keyframes added, updated, removed and reordered from the current view,
// saved and loaded, the preview played or scrubbed (which moves the view and, for 4D scenes, the time),
// and the path drawn over the scene.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <vulkan/vulkan.hpp>

#include "glint/core/camera_controller.h"
#include "glint/core/camera_path.h"
#include "viewer_state.h"

namespace glint::app {

class PathEditor {
public:
    using Notify = std::function<void(const std::string&)>;
    PathEditor(ViewerState& state, CameraController& camera, Notify notice);

    // The panel's requests and the preview, once per frame (the scene's image is width x height);
    // `moved` becomes true when the view moved.
    void update(double seconds, int width, int height, bool& moved);
    // The curve, the keyframes as dots (the selected one larger) with where each looks, numbered.
    void draw_overlay(const vk::Rect2D& area) const;

private:
    // A pose of the path becomes the view (and, where keyframes carry it, the scene time).
    void show_pose(const PathPose& pose, int width, int height);

    ViewerState& m_state;
    CameraController& m_camera;
    Notify m_notice;
    // The path as edited this frame (rebuilt once per frame: the panel edits it in place), for the
    // preview and the overlay; empty without keyframes.
    std::optional<PathSampler> m_sampler;
};

}  // namespace glint::app
