// What `glint train --view` shares between the training thread and the viewer: the latest Gaussians,
// the progress and curves, and the viewer's requests (pause, resume, stop). Every member is guarded by
// one mutex; the viewer copies what it shows once per frame.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

// Running -> Paused <-> Running; Running or Paused -> Stopping (a stop was asked for) -> Completed;
// any -> Failed when a training step throws.
enum class TrainingState { Running, Paused, Stopping, Completed, Failed };
const char* to_string(TrainingState state);

struct TrainingProgress {
    int iteration = 0, iterations = 0;
    double loss = 0, psnr = 0, rate = 0, seconds = 0;  // smoothed loss and training-view PSNR; it/s
    std::size_t gaussians = 0;
    std::vector<float> loss_curve, psnr_curve;      // one sample per published step
    std::vector<float> test_iterations, test_psnr;  // the evaluations so far
    TrainingState state = TrainingState::Running;
    std::string status;  // the last thing that happened ("wrote out.ply", an error)
    bool done() const { return state == TrainingState::Completed || state == TrainingState::Failed; }
};

class LiveTraining {
public:
    // Training thread.
    // Copies `cloud` for the viewer when the last copy is older than `interval` seconds (or `force`).
    void publish(const GaussianCloud& cloud, double seconds, bool force = false);
    // Whether publish() at `seconds` would copy: a trainer whose scene lives on the device is read only
    // then.
    bool publish_due(double seconds) const;
    void progress(int iteration, int iterations, double loss, double psnr, double rate, double seconds,
                  std::size_t gaussians);
    void tested(int iteration, double psnr);
    // Blocks while paused. False when a stop was requested (the loop should end).
    bool keep_going();
    // Whether the results should be written when stopping (a stop from the panel or the closed window),
    // or not (the viewer failed to start).
    bool save_on_stop() const;
    // The loop has ended (Completed) or thrown (Failed); `status` says how.
    void finish(TrainingState state, const std::string& status);

    // Viewer.
    // The newest Gaussians when newer than `version` (which is updated); false otherwise.
    bool take_cloud(std::uint64_t& version, GaussianCloud& out);
    TrainingProgress snapshot() const;
    void set_paused(bool paused);
    void request_stop(bool save);
    bool done() const;

    static constexpr double kPublishInterval = 0.25;  // seconds between copies for the viewer
    static constexpr std::size_t kCurveLength = 2000;

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_resume;
    GaussianCloud m_cloud;
    std::uint64_t m_version = 0;
    double m_published_at = -1e9;
    TrainingProgress m_progress;
    bool m_stop = false, m_save = true;
};

}  // namespace glint::splatting
