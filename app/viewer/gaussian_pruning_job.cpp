#include "gaussian_pruning_job.h"

#include <algorithm>

#include "../view_options.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/splatting/train/trainer.h"

namespace glint::app {

GaussianPruningJob::GaussianPruningJob(ViewerState& state, SceneHost& host, SceneHost::Notify notice)
    : m_state(state), m_host(host), m_notice(std::move(notice)) {}

GaussianPruningJob::~GaussianPruningJob() {
    stop();
}

void GaussianPruningJob::stop() {
    if (!m_run) return;
    m_run->cancel = true;
    if (m_run->thread.joinable()) m_run->thread.join();
    m_run.reset();
    m_state.scoring = m_state.finetuning = false;
}

void GaussianPruningJob::scene_replaced() {
    stop();
    m_dataset.reset();
    m_state.has_dataset = false;
    m_state.prune_views.clear();
    if (m_host.gaussians() == nullptr) return;
    // The dataset beside the file (its transforms.json or COLMAP folder) scores and fine-tunes; it is
    // loaded when first needed.
    m_beside = cameras_beside(m_host.path());
    m_state.has_dataset = m_beside.has_value();
    m_state.prune_views = m_beside ? cat("the training views of ", m_beside->string())
                                   : std::string("96 views around the scene, 192x192");
}

void GaussianPruningJob::load_dataset_beside() {
    if (m_dataset || !m_beside) return;
    try {
        m_dataset = std::make_shared<const Dataset>(load_dataset(*m_beside, DatasetOptions{}));
    } catch (const std::exception& e) {
        m_notice(cat(m_beside->string(), ": not a dataset to score or fine-tune on (", e.what(), ")"));
        m_beside.reset();
        m_state.has_dataset = false;
        m_state.prune_views = "96 views around the scene, 192x192";
    }
}

void GaussianPruningJob::start_scoring(const splatting::GaussianCloud& cloud) {
    std::vector<splatting::ScoringView> views;
    std::vector<float> times;
    float span = 1.0f;
    if (m_dataset) {
        for (const DatasetView& v : m_dataset->train) views.push_back({v.camera, v.time});
    }
    if (cloud.is_4d()) {
        for (const splatting::ScoringView& v : views) times.push_back(v.time);
        std::sort(times.begin(), times.end());
        times.erase(std::unique(times.begin(), times.end()), times.end());
        if (times.size() < 2) {
            const std::optional<scene::TimeSpan> s = m_host.scene().time_span();
            const float begin = s ? s->begin : 0.0f, end = s && s->end > s->begin ? s->end : begin + 1.0f;
            times.clear();
            for (int k = 0; k < 10; ++k)
                times.push_back(begin + (end - begin) * static_cast<float>(k) / 9.0f);
        }
        span = std::max(times.back() - times.front(), 1e-6f);
    }
    if (views.empty()) {
        const std::vector<Camera> around = splatting::views_around(cloud, 96, 192);
        for (std::size_t k = 0; k < around.size(); ++k)
            views.push_back({around[k], times.empty() ? 0.0f : times[k % times.size()]});
    }
    m_run = std::make_unique<Run>();
    Run* run = m_run.get();
    m_state.scoring = true;
    m_state.prune_job_fraction = 0.0f;
    run->thread = std::thread([run, cloud, views = std::move(views), times = std::move(times), span] {
        try {
            const std::optional<std::vector<float>> weights =
                splatting::blend_weights(cloud, views, [run](std::size_t done, std::size_t total) {
                    run->fraction = static_cast<float>(done) / static_cast<float>(total);
                    return !run->cancel.load();
                });
            if (weights)
                run->scores = cloud.is_4d() ? splatting::spatiotemporal_score(cloud, *weights, times, span)
                                            : splatting::significance(cloud, *weights);
        } catch (const std::exception& e) {
            run->error = e.what();
        }
        run->done = true;
    });
}

void GaussianPruningJob::start_finetune(const splatting::GaussianCloud& cloud) {
    m_run = std::make_unique<Run>();
    Run* run = m_run.get();
    run->finetune = true;
    m_state.finetuning = true;
    m_state.prune_job_fraction = 0.0f;
    const int iterations = m_state.finetune_iterations;
    run->thread = std::thread([run, cloud, iterations, dataset = m_dataset] {
        try {
            splatting::TrainOptions options;
            options.iterations = iterations;
            options.densify_until = 0;  // the kept Gaussians only
            options.lr_position = options.lr_position_final;
            splatting::Trainer trainer(*dataset, options, cloud);
            for (int i = 1; i <= iterations && !run->cancel; ++i) {
                trainer.step();
                run->fraction = static_cast<float>(i) / static_cast<float>(iterations);
            }
            if (!run->cancel) run->cloud = trainer.cloud();
        } catch (const std::exception& e) {
            run->error = e.what();
        }
        run->done = true;
    });
}

void GaussianPruningJob::poll() {
    scene::GaussianScene* scene = m_host.gaussians();
    const bool start_scoring_now = m_state.score_start, start_finetune_now = m_state.finetune_start;
    m_state.score_start = m_state.finetune_start = false;
    if (scene != nullptr && !m_run && (start_scoring_now || start_finetune_now)) {
        try {
            load_dataset_beside();
            if (start_scoring_now) start_scoring(scene->cloud());
            if (start_finetune_now && m_dataset) start_finetune(scene->cloud());
        } catch (const std::exception& e) {
            m_state.error = cat("pruning: ", e.what());
            log::error(m_state.error);
            m_run.reset();
            m_state.scoring = m_state.finetuning = false;
        }
    }
    if (!m_run) return;
    if (m_state.prune_job_cancel) m_run->cancel = true;
    m_state.prune_job_cancel = false;
    m_state.prune_job_fraction = m_run->fraction;
    if (!m_run->done) return;
    m_run->thread.join();
    if (!m_run->error.empty()) {
        m_state.error = cat(m_run->finetune ? "fine-tuning: " : "scoring: ", m_run->error);
        log::error(m_state.error);
    } else if (m_run->scores && scene != nullptr && m_run->scores->size() == scene->cloud().size()) {
        m_host.set_significance(std::move(*m_run->scores));
        m_notice(cat("scored ", group_digits(scene->cloud().size()), " Gaussians over ", m_state.prune_views,
                     "; the slider previews what goes"));
    } else if (m_run->cloud && scene != nullptr) {
        m_host.set_cloud(*m_run->cloud);
        m_notice(cat("fine-tuned ", m_state.finetune_iterations, " iterations; Save As keeps the result"));
    } else {
        m_notice(m_run->finetune ? "fine-tuning cancelled" : "scoring cancelled");
    }
    m_run.reset();
    m_state.scoring = m_state.finetuning = false;
}

}  // namespace glint::app
