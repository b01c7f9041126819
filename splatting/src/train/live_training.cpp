// The training thread and the viewer meet here.
#include "glint/splatting/train/live_training.h"

namespace glint::splatting {

const char* to_string(TrainingState state) {
    switch (state) {
        case TrainingState::Running:
            return "training";
        case TrainingState::Paused:
            return "paused";
        case TrainingState::Stopping:
            return "stopping";
        case TrainingState::Completed:
            return "completed";
        case TrainingState::Failed:
            return "failed";
    }
    return "";
}

void LiveTraining::publish(const GaussianCloud& cloud, double seconds, bool force) {
    {
        std::lock_guard lock(m_mutex);
        if (!force && seconds - m_published_at < kPublishInterval) return;
        m_published_at = seconds;
    }
    GaussianCloud copy = cloud;  // outside the lock: the viewer never waits for the copy
    std::lock_guard lock(m_mutex);
    m_cloud = std::move(copy);
    ++m_version;
}

bool LiveTraining::publish_due(double seconds) const {
    std::lock_guard lock(m_mutex);
    return seconds - m_published_at >= kPublishInterval;
}

void LiveTraining::progress(int iteration, int iterations, double loss, double psnr, double rate,
                            double seconds, std::size_t gaussians) {
    std::lock_guard lock(m_mutex);
    TrainingProgress& p = m_progress;
    p.iteration = iteration;
    p.iterations = iterations;
    p.loss = loss;
    p.psnr = psnr;
    p.rate = rate;
    p.seconds = seconds;
    p.gaussians = gaussians;
    // Keep the curves bounded: halve them (every other sample) when full.
    if (p.loss_curve.size() >= kCurveLength) {
        for (std::size_t i = 0; i < p.loss_curve.size() / 2; ++i) {
            p.loss_curve[i] = p.loss_curve[2 * i];
            p.psnr_curve[i] = p.psnr_curve[2 * i];
        }
        p.loss_curve.resize(p.loss_curve.size() / 2);
        p.psnr_curve.resize(p.psnr_curve.size() / 2);
    }
    p.loss_curve.push_back(static_cast<float>(loss));
    p.psnr_curve.push_back(static_cast<float>(psnr));
}

void LiveTraining::tested(int iteration, double psnr) {
    std::lock_guard lock(m_mutex);
    m_progress.test_iterations.push_back(static_cast<float>(iteration));
    m_progress.test_psnr.push_back(static_cast<float>(psnr));
}

bool LiveTraining::keep_going() {
    std::unique_lock lock(m_mutex);
    m_resume.wait(lock, [&] { return m_progress.state != TrainingState::Paused || m_stop; });
    return !m_stop;
}

bool LiveTraining::save_on_stop() const {
    std::lock_guard lock(m_mutex);
    return m_save;
}

void LiveTraining::finish(TrainingState state, const std::string& status) {
    std::lock_guard lock(m_mutex);
    m_progress.state = state;
    m_progress.status = status;
}

bool LiveTraining::take_cloud(std::uint64_t& version, GaussianCloud& out) {
    std::lock_guard lock(m_mutex);
    if (m_version == version) return false;
    version = m_version;
    out = m_cloud;
    return true;
}

TrainingProgress LiveTraining::snapshot() const {
    std::lock_guard lock(m_mutex);
    return m_progress;
}

void LiveTraining::set_paused(bool paused) {
    {
        std::lock_guard lock(m_mutex);
        if (m_progress.state != TrainingState::Running && m_progress.state != TrainingState::Paused) return;
        m_progress.state = paused ? TrainingState::Paused : TrainingState::Running;
    }
    m_resume.notify_all();
}

void LiveTraining::request_stop(bool save) {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_save = save;
        if (!m_progress.done()) m_progress.state = TrainingState::Stopping;
    }
    m_resume.notify_all();
}

bool LiveTraining::done() const {
    std::lock_guard lock(m_mutex);
    return m_progress.done();
}

}  // namespace glint::splatting
