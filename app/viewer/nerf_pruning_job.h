// The Pruning panel's NeRF mode: occupancy cells no view uses and hash entries no occupied cell reaches
// are removed (nerf/prune.h) from a copy of the model on a worker thread; the result replaces the model
// on screen, and Revert brings the one before pruning back.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "glint/core/camera.h"
#include "glint/nerf/prune.h"
#include "glint/scene/nerf_scene.h"
#include "scene_host.h"
#include "viewer_state.h"

namespace glint::app {

class NerfPruningJob {
public:
    NerfPruningJob(ViewerState& state, SceneHost& host, SceneHost::Notify notice);
    ~NerfPruningJob();  // cancels and waits
    NerfPruningJob(const NerfPruningJob&) = delete;
    NerfPruningJob& operator=(const NerfPruningJob&) = delete;

    // The panel's requests (start, cancel, revert) and the worker's result, once per frame.
    void poll();
    // A new scene: a run started on the previous one is cancelled, and Revert forgets it.
    void scene_replaced();

private:
    struct Run {
        std::thread thread;
        std::atomic<bool> cancel{false}, done{false};
        std::atomic<float> fraction{0.0f};
        std::shared_ptr<nerf::NerfModel> model;
        std::optional<nerf::NerfPruneReport> report;
        std::string error;
    };
    void start(const scene::NerfScene& scene);
    void stop();

    ViewerState& m_state;
    SceneHost& m_host;
    SceneHost::Notify m_notice;
    std::unique_ptr<Run> m_run;
    std::shared_ptr<const nerf::NerfModel> m_unpruned;  // for Revert
};

}  // namespace glint::app
