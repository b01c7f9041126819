// The Pruning panel's significance mode for Gaussian scenes: scores (LightGaussian's significance, or
// 4DGS-1K's spatial-temporal score for 4D scenes) over the dataset beside the scene or views around it,
// and fine-tuning on that dataset, each on a worker thread with progress and cancel. Scores go to the
// scene host, which previews and applies the lowest fraction; a fine-tuned scene replaces the one shown.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "glint/core/dataset.h"
#include "glint/splatting/gaussian_cloud.h"
#include "glint/splatting/prune.h"
#include "scene_host.h"
#include "viewer_state.h"

namespace glint::app {

class GaussianPruningJob {
public:
    GaussianPruningJob(ViewerState& state, SceneHost& host, SceneHost::Notify notice);
    ~GaussianPruningJob();  // cancels and waits
    GaussianPruningJob(const GaussianPruningJob&) = delete;
    GaussianPruningJob& operator=(const GaussianPruningJob&) = delete;

    // The panel's requests and the worker's result, once per frame.
    void poll();
    // A new scene: a run on the previous one is cancelled; the dataset beside the new one is looked for.
    void scene_replaced();

private:
    struct Run {
        bool finetune = false;
        std::thread thread;
        std::atomic<bool> cancel{false}, done{false};
        std::atomic<float> fraction{0.0f};
        std::optional<std::vector<float>> scores;       // scoring
        std::optional<splatting::GaussianCloud> cloud;  // fine-tuning
        std::string error;
    };
    void start_scoring(const splatting::GaussianCloud& cloud);
    void start_finetune(const splatting::GaussianCloud& cloud);
    void stop();
    void load_dataset_beside();  // once; on failure scoring falls back to views around the scene

    ViewerState& m_state;
    SceneHost& m_host;
    SceneHost::Notify m_notice;
    std::unique_ptr<Run> m_run;
    std::optional<std::filesystem::path> m_beside;  // the cameras beside the scene's file
    std::shared_ptr<const Dataset> m_dataset;       // loaded from them when first needed
};

}  // namespace glint::app
