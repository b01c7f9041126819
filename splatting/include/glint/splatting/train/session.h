// The Gaussian trainer as a training session (core/training_session.h): what `glint train` and the
// viewer drive.
#pragma once

#include "glint/core/training_session.h"
#include "glint/splatting/train/trainer.h"

namespace glint::splatting {

class GaussianTrainingSession final : public TrainingSession {
public:
    // As Trainer's constructor: throws InputError for an empty dataset or options out of range.
    GaussianTrainingSession(const Dataset& dataset, const TrainOptions& options);

    TrainingStepValues step() override;
    int iteration() const override { return m_trainer.iteration(); }
    std::size_t size() const override { return m_trainer.gaussians(); }
    const char* size_unit() const override { return "Gaussians"; }
    TrainingEvaluation evaluate() override;
    std::optional<TrainingEvaluation> evaluate_training() override;
    void save_checkpoint(const std::filesystem::path& path) const override;
    void load_checkpoint(const std::filesystem::path& path) override;
    void save_result(const std::filesystem::path& path) const override;  // .ply or .splat
    std::vector<std::pair<std::string, double>> profile() const override;

    const GaussianCloud& cloud() const { return m_trainer.cloud(); }
    const Trainer& trainer() const { return m_trainer; }

private:
    Trainer m_trainer;
};

}  // namespace glint::splatting
