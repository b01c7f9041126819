// Training a hash-grid NeRF from a posed-image dataset, as Instant-NGP does: batches of random pixels'
// rays marched over the occupancy grid (a batch aims at a number of samples; the ray count adapts),
// volume rendering, squared error, the backward pass through compositing, both networks and the hash
// encoding, Adam (beta 0.9 / 0.99, eps 1e-15; the hash entries a batch did not touch keep their moments),
// and the occupancy grid updated every 16 steps with decay. Deterministic for a seed.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "glint/core/dataset.h"
#include "glint/core/learnt_background.h"
#include "glint/nerf/model.h"
#include "glint/nerf/render.h"

namespace glint::nerf {

struct NerfTrainOptions {
    int iterations = 3000;
    std::uint64_t seed = 1;
    int batch_samples = 1 << 16;  // samples per step the ray count aims at
    int max_samples_per_ray = 1024;
    // Adam's rate, decaying exponentially to lr_final over the iterations (Instant-NGP: 1e-2, constant for
    // its first 20,000 steps).
    float lr = 1e-2f, lr_final = 1e-2f;
    float beta1 = 0.9f, beta2 = 0.99f, eps = 1e-15f;
    float weight_decay = 1e-6f;                           // L2 on the networks' weights
    int occupancy_interval = 16, occupancy_warmup = 256;  // every K steps; all cells during the warm-up
    float occupancy_decay = 0.95f;
    // A random background colour per ray (transparent datasets: the model cannot learn the background).
    bool random_background = false;
    // Photos without alpha: the colour behind the rays is learnt with the model (Adam at lr_background,
    // on the networks' schedule from lr to lr_final), from the mean colour of the photos' borders or
    // background_start; the model carries it (NerfModel::background). As the Gaussian trainer's
    // (splatting TrainOptions::learn_background). Ignored, with a warning, for images with alpha.
    bool learn_background = false;
    float lr_background = 1e-2f;
    std::optional<std::array<float, 3>> background_start;
};

// The scene box, cascades and network sizes for a dataset: the box of its sparse points when it has
// them (padded), otherwise around the point the cameras look at; transforms.json's aabb_scale adds
// cascades. `grid` sets the encoding (its max_resolution is of the scene box).
NerfConfig config_for(const Dataset& dataset, const HashGridConfig& grid);

struct NerfStepResult {
    int iteration = 0;
    double loss = 0, psnr = 0;  // of the batch
    std::size_t rays = 0, samples = 0;
    std::size_t samples_used = 0;  // before each ray's transmittance ran out (the rest get no gradient)
};

// Wall time per stage, summed over steps (milliseconds).
struct NerfTrainProfile {
    double marching = 0, encoding = 0, mlp = 0, compositing = 0, optimizer = 0, occupancy = 0;
    std::size_t steps = 0, rays = 0, samples = 0, samples_used = 0;  // summed over steps
};

class NerfTrainer {
public:
    // Loads every training image (the dataset's background must be fixed: random backgrounds are drawn
    // per ray here). Throws InputError for an empty dataset or options out of range.
    NerfTrainer(const Dataset& dataset, const NerfConfig& config, const NerfTrainOptions& options);
    ~NerfTrainer();

    NerfStepResult step();
    int iteration() const { return m_iteration; }
    const NerfModel& model() const { return m_model; }
    NerfModel& model() { return m_model; }
    const NerfTrainProfile& profile() const { return m_profile; }

    // Renders every test view (or every training view without any) over the dataset's background.
    NerfEvaluation evaluate() const;

    // Model, Adam moments, occupancy densities, random state: resuming continues exactly. load throws
    // InputError naming the file when it is not a NeRF checkpoint, is truncated, or does not fit.
    void save_checkpoint(const std::filesystem::path& path) const;
    void load_checkpoint(const std::filesystem::path& path);

private:
    void update_occupancy();
    // The stages of step(), in order; they pass their work on through m_buffers.
    void march_rays(std::uint64_t seed, NerfStepResult& result);
    void forward_density();
    void compact_samples(NerfStepResult& result);
    void composite(NerfStepResult& result);
    void backward();
    void optimize();
    void adam(std::span<float> values, std::span<const float> grad, std::vector<float>& m,
              std::vector<float>& v, float lr, float decay, bool skip_zero);

    const Dataset& m_dataset;
    NerfTrainOptions m_options;
    NerfModel m_model;
    // Training pixels: RGB over the dataset's background and alpha (1 without an alpha channel), all
    // images one after another; view k's pixels start at m_pixel_offset[k].
    std::vector<float> m_rgb, m_alpha;
    std::vector<float> m_mask;  // [pixels] the views' masks (1 where a view has none); empty without masks
    std::vector<std::size_t> m_pixel_offset;
    std::vector<float> m_occupancy_density;  // decayed maximum density per cell
    std::vector<float> m_grid_grad, m_density_grad, m_colour_grad;
    std::array<std::vector<float>, 3> m_m, m_v;  // Adam moments: grid, density net, colour net
    float m_samples_per_ray = 256.0f;            // running mean, sets the ray count
    int m_iteration = 0;
    NerfTrainProfile m_profile;
    bool m_learn_background = false;
    LearntBackground m_background;
    std::vector<float> m_ray_background_grad;  // [rays, 3] this step's, summed in ray order
    void initialise_background(bool any_alpha);
    void step_background(float progress);
    struct StepBuffers;
    std::unique_ptr<StepBuffers> m_buffers;
};

}  // namespace glint::nerf
