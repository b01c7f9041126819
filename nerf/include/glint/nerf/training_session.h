// The NeRF trainer as a training session (core/training_session.h): what `glint train` drives.
#pragma once

#include "glint/core/training_session.h"
#include "glint/nerf/trainer.h"

namespace glint::nerf {

class NerfTrainingSession final : public TrainingSession {
public:
    // As NerfTrainer's constructor: throws InputError for an empty dataset or options out of range.
    NerfTrainingSession(const Dataset& dataset, const NerfConfig& config, const NerfTrainOptions& options);

    TrainingStepValues step() override;
    int iteration() const override { return m_trainer.iteration(); }
    std::size_t size() const override { return m_trainer.model().occupied_cells(); }
    const char* size_unit() const override { return "occupied cells"; }
    TrainingEvaluation evaluate() override;
    void save_checkpoint(const std::filesystem::path& path) const override;
    void load_checkpoint(const std::filesystem::path& path) override;
    void save_result(const std::filesystem::path& path) const override;  // .nerf
    std::vector<std::pair<std::string, double>> profile() const override;
    std::string profile_note() const override;  // rays and samples per step, samples per second

    const NerfTrainer& trainer() const { return m_trainer; }

private:
    NerfTrainer m_trainer;
};

}  // namespace glint::nerf
