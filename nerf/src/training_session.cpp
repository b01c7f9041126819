// The NeRF trainer behind the training-session interface.
#include "glint/nerf/training_session.h"

#include <algorithm>

#include "glint/core/text.h"
#include "glint/nerf/model.h"

namespace glint::nerf {

NerfTrainingSession::NerfTrainingSession(const Dataset& dataset, const NerfConfig& config,
                                         const NerfTrainOptions& options)
    : m_trainer(dataset, config, options) {}

TrainingStepValues NerfTrainingSession::step() {
    const NerfStepResult r = m_trainer.step();
    return {r.loss, r.psnr};
}

TrainingEvaluation NerfTrainingSession::evaluate() {
    const NerfEvaluation e = m_trainer.evaluate();
    return {e.psnr, e.ssim, e.l1, e.views, {}, {}};
}

void NerfTrainingSession::save_checkpoint(const std::filesystem::path& path) const {
    m_trainer.save_checkpoint(path);
}

void NerfTrainingSession::load_checkpoint(const std::filesystem::path& path) {
    m_trainer.load_checkpoint(path);
}

void NerfTrainingSession::save_result(const std::filesystem::path& path) const {
    save_nerf(m_trainer.model(), path);
}

std::vector<std::pair<std::string, double>> NerfTrainingSession::profile() const {
    const NerfTrainProfile& p = m_trainer.profile();
    return {{"marching", p.marching},       {"encoding", p.encoding},   {"mlp", p.mlp},
            {"compositing", p.compositing}, {"optimizer", p.optimizer}, {"occupancy", p.occupancy}};
}

std::string NerfTrainingSession::profile_note() const {
    const NerfTrainProfile& p = m_trainer.profile();
    const double steps = static_cast<double>(std::max<std::size_t>(p.steps, 1));
    const double ms = p.marching + p.encoding + p.mlp + p.compositing + p.optimizer + p.occupancy;
    return cat("per step: ", static_cast<double>(p.rays) / steps, " rays, ",
               static_cast<double>(p.samples) / steps, " samples (",
               100.0 * static_cast<double>(p.samples_used) /
                   static_cast<double>(std::max<std::size_t>(p.samples, 1)),
               "% before the rays' transmittance ran out); ",
               static_cast<double>(p.samples) / std::max(ms, 1e-9) / 1000.0, " million samples per second");
}

}  // namespace glint::nerf
