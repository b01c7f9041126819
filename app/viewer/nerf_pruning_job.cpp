#include "nerf_pruning_job.h"

#include "../view_options.h"
#include "glint/core/camera_io.h"
#include "glint/core/log.h"
#include "glint/core/text.h"

namespace glint::app {

NerfPruningJob::NerfPruningJob(ViewerState& state, SceneHost& host, SceneHost::Notify notice)
    : m_state(state), m_host(host), m_notice(std::move(notice)) {}

NerfPruningJob::~NerfPruningJob() {
    stop();
}

void NerfPruningJob::stop() {
    if (!m_run) return;
    m_run->cancel = true;
    if (m_run->thread.joinable()) m_run->thread.join();
    m_run.reset();
    m_state.nerf_pruning = false;
}

void NerfPruningJob::scene_replaced() {
    stop();
    m_unpruned.reset();
}

void NerfPruningJob::start(const scene::NerfScene& scene) {
    // The views that decide: the cameras beside the file (its dataset), else views around the scene.
    std::vector<Camera> views;
    if (const std::optional<std::filesystem::path> beside = cameras_beside(m_host.path()))
        views = load_cameras(*beside).cameras;
    if (views.empty()) views = nerf::views_around(*scene.model(), 96, 192);
    m_run = std::make_unique<Run>();
    m_run->model = std::make_shared<nerf::NerfModel>(*scene.model());
    m_state.nerf_pruning = true;
    m_state.nerf_prune_fraction = 0.0f;
    Run* run = m_run.get();
    nerf::NerfPruneOptions options;
    options.min_weight = m_state.nerf_prune_min_weight;
    run->thread = std::thread([run, views = std::move(views), options] {
        try {
            run->report =
                nerf::prune_nerf(*run->model, views, options, [run](std::size_t done, std::size_t total) {
                    run->fraction = static_cast<float>(done) / static_cast<float>(total);
                    return !run->cancel.load();
                });
        } catch (const std::exception& e) {
            run->error = e.what();
        }
        run->done = true;
    });
}

void NerfPruningJob::poll() {
    scene::NerfScene* scene = m_host.nerf();
    if (m_state.nerf_prune_start && scene != nullptr && !m_run) {
        try {
            start(*scene);
        } catch (const std::exception& e) {
            m_state.error = cat("pruning: ", e.what());
            log::error(m_state.error);
        }
    }
    m_state.nerf_prune_start = false;
    if (m_run) {
        if (m_state.nerf_prune_cancel) m_run->cancel = true;
        m_state.nerf_prune_fraction = m_run->fraction;
        if (m_run->done) {
            m_run->thread.join();
            if (!m_run->error.empty()) {
                m_state.error = cat("pruning: ", m_run->error);
            } else if (m_run->report && scene != nullptr) {
                const nerf::NerfPruneReport& r = *m_run->report;
                if (!m_unpruned) m_unpruned = scene->model();
                scene->set_model(std::move(m_run->model));
                m_host.model_changed();
                m_state.nerf_pruned = true;
                m_state.nerf_prune_report =
                    cat("occupied cells ", group_digits(r.occupied_before), " -> ",
                        group_digits(r.occupied_after), "; hash entries ", group_digits(r.entries_before),
                        " -> ", group_digits(r.entries_after), " (", r.views, " views)");
                m_notice(cat("pruned: ", m_state.nerf_prune_report, "; Save As keeps it"));
            } else {
                m_notice("pruning cancelled");
            }
            m_run.reset();
            m_state.nerf_pruning = false;
        }
    }
    m_state.nerf_prune_cancel = false;
    if (m_state.nerf_prune_revert) {
        m_state.nerf_prune_revert = false;
        if (m_unpruned && !m_run && scene != nullptr) {
            scene->set_model(std::move(m_unpruned));
            m_unpruned.reset();
            m_host.model_changed();
            m_state.nerf_pruned = false;
            m_state.nerf_prune_report.clear();
            m_notice("reverted to the model before pruning");
        }
    }
}

}  // namespace glint::app
