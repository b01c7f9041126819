// The viewer's Record button: a camera path rendered offline, at full quality, on a worker thread from a
// CPU copy of the scene (the window keeps its own backend and stays usable meanwhile).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "glint/scene/recorder.h"
#include "glint/scene/scene.h"

namespace glint::app {

class RecordingJob {
public:
    // Starts recording `job` with a copy of `scene`. Throws InputError for a bad path or output (before
    // any thread starts).
    RecordingJob(const scene::Scene& scene, scene::RecordJob job);
    ~RecordingJob();  // cancels and waits
    RecordingJob(const RecordingJob&) = delete;
    RecordingJob& operator=(const RecordingJob&) = delete;

    void cancel() { m_cancel = true; }
    float fraction() const { return m_fraction; }
    bool done() const { return m_done; }
    // Once done: what happened ("recorded fly.mp4: 240 frames in 12 s", or the error), and whether it
    // failed.
    std::string message();
    bool failed();

private:
    std::thread m_thread;
    std::atomic<bool> m_cancel{false}, m_done{false};
    std::atomic<float> m_fraction{0.0f};
    std::mutex m_mutex;
    std::string m_message;
    bool m_failed = false;
};

}  // namespace glint::app
