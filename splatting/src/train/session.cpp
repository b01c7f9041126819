// The Gaussian trainer behind the training-session interface.
#include "glint/splatting/train/session.h"

#include "glint/splatting/scene_io.h"

namespace glint::splatting {

GaussianTrainingSession::GaussianTrainingSession(const Dataset& dataset, const TrainOptions& options)
    : m_trainer(dataset, options) {}

TrainingStepValues GaussianTrainingSession::step() {
    const StepResult r = m_trainer.step();
    return {r.loss, r.psnr};
}

TrainingEvaluation GaussianTrainingSession::evaluate() {
    return m_trainer.evaluate();
}

std::optional<TrainingEvaluation> GaussianTrainingSession::evaluate_training() {
    return m_trainer.evaluate(true);
}

void GaussianTrainingSession::save_checkpoint(const std::filesystem::path& path) const {
    m_trainer.save_checkpoint(path);
}

void GaussianTrainingSession::load_checkpoint(const std::filesystem::path& path) {
    m_trainer.load_checkpoint(path);
}

void GaussianTrainingSession::save_result(const std::filesystem::path& path) const {
    save_scene(m_trainer.cloud(), path);
}

std::vector<std::pair<std::string, double>> GaussianTrainingSession::profile() const {
    const TrainProfile& p = m_trainer.profile();
    std::vector<std::pair<std::string, double>> stages = {
        {"load", p.load},         {"forward", p.forward},     {"loss", p.loss},
        {"backward", p.backward}, {"optimizer", p.optimizer}, {"densify", p.densify}};
    if (p.exchange > 0.0) stages.emplace_back("exchange", p.exchange);
    return stages;
}

}  // namespace glint::splatting
