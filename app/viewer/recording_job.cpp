#include "recording_job.h"

#include "glint/core/camera_path.h"
#include "glint/core/text.h"

namespace glint::app {

RecordingJob::RecordingJob(const scene::Scene& scene, scene::RecordJob job) {
    PathSampler check(job.path);  // a bad path is an error here, not on the worker
    scene::check_record_output(job);
    m_thread = std::thread([this, copy = scene.cpu_copy(), job = std::move(job)]() {
        std::string message;
        bool failed = false;
        try {
            scene::RecordProgress result;
            const bool complete = scene::record(
                *copy, job,
                [this](const scene::RecordProgress& p) {
                    m_fraction = static_cast<float>(p.frame) / static_cast<float>(p.frames);
                    return !m_cancel.load();
                },
                result);
            message = complete ? cat("recorded ", job.output.string(), ": ", result.frames, " frames in ",
                                     duration_text(result.elapsed_seconds))
                               : cat("recording cancelled at frame ", result.frame, " of ", result.frames);
        } catch (const std::exception& e) {
            message = cat("recording failed: ", e.what());
            failed = true;
        }
        const std::lock_guard lock(m_mutex);
        m_message = message;
        m_failed = failed;
        m_done = true;
    });
}

RecordingJob::~RecordingJob() {
    m_cancel = true;
    if (m_thread.joinable()) m_thread.join();
}

std::string RecordingJob::message() {
    const std::lock_guard lock(m_mutex);
    return m_message;
}

bool RecordingJob::failed() {
    const std::lock_guard lock(m_mutex);
    return m_failed;
}

}  // namespace glint::app
