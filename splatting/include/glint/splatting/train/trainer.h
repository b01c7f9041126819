// Training a 3D Gaussian scene from a posed-image dataset (Kerbl et al. 2023): Adam with the reference's
// learning rates, the position rate decaying exponentially and scaled by the cameras' extent, L1 + 0.2
// D-SSIM, SH degree raised on a schedule, adaptive density control (clone, split, prune, opacity reset),
// initialisation from the dataset's sparse points or at random. Deterministic for a seed on one backend.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "glint/core/backend.h"
#include "glint/core/collective.h"
#include "glint/core/dataset.h"
#include "glint/core/image_loss.h"
#include "glint/core/learnt_background.h"
#include "glint/core/training_session.h"
#include "glint/splatting/gaussian_cloud.h"
#include "glint/splatting/raster/rasterizer.h"

namespace glint::splatting {

struct TrainOptions {
    int iterations = 30000;
    std::uint64_t seed = 1;
    // Learning rates (the reference's); the position rate goes from initial to final exponentially over
    // position_decay_iterations, times the cameras' extent.
    float lr_position = 1.6e-4f, lr_position_final = 1.6e-6f;
    int position_decay_iterations = 30000;
    float lr_sh_dc = 2.5e-3f, lr_sh_rest = 2.5e-3f / 20.0f, lr_opacity = 0.05f, lr_scale = 5e-3f,
          lr_rotation = 1e-3f;
    float lambda_dssim = 0.2f;
    // Per training photo, a colour correction (gain and bias per channel) applied to the render before
    // the loss and left out of every render: photos whose exposure or white balance changed between shots
    // then need no floaters to explain it. Fitted in closed form at every step to the photo drawn (least
    // squares; the gains held toward the photo's exposure, the bias toward 0: fit_colour_correction), so
    // the Gaussians never see an exposure change. (Learnt by Adam, each correction moved only when its
    // photo was drawn, once an epoch: from a random start the Gaussians explained the exposures first and
    // covered the held-out views in haze.)
    bool appearance = false;
    int sh_degree = 3, sh_interval = 1000;  // one more SH degree every sh_interval iterations
    // Adaptive density control: from densify_from to densify_until, every densify_interval iterations,
    // Gaussians whose mean screen-space gradient exceeds the threshold are cloned (small) or split
    // (large); opacities are reset every opacity_reset_interval iterations within that window, and once
    // at densify_from when the images have a background colour of their own (RGBA over a fixed colour),
    // as the reference does for white backgrounds: random Gaussians turned into that colour are otherwise
    // free in every view that sees them against it, and cover the object in the views that do not.
    int densify_from = 500, densify_until = 15000, densify_interval = 100, opacity_reset_interval = 3000;
    float densify_grad_threshold = 2e-4f;  // of the mean screen-space gradient (normalized device units)
    float percent_dense = 0.01f;           // clone below, split above this fraction of the extent
    float prune_opacity = 0.005f;
    float prune_world_scale = 0.1f;  // of the extent, once opacity has been reset
    // RGBA datasets: each step composites its target over a new random colour and renders over the same
    // colour, so no Gaussian can stand in for the background (evaluation uses the fixed background).
    bool random_background = false;
    // Photos without alpha: the colour behind the Gaussians is learnt with them (Adam at lr_background,
    // decaying a hundredfold over the run as the positions' rate does), starting from the mean colour of
    // the training photos' borders. What the photos show of a backdrop or a sky is then that colour, not
    // Gaussians placed anywhere along the training rays that paint it, which cover the held-out views
    // (a uniform grey backdrop behind 13 views: 18.6 dB held out over black, 27.6 dB learnt).
    // The trained scene carries the colour (GaussianCloud::background). Ignored, with a warning, for
    // images with alpha (their background is the dataset's colour).
    bool learn_background = false;
    float lr_background = 1e-2f;
    std::optional<std::array<float, 3>> background_start;  // default: the photos' borders' mean colour
    std::size_t max_gaussians = 3'000'000;
    // How the Gaussians are grown and moved: adaptive density control (clone, split, prune, opacity
    // resets: the reference), or MCMC (Kheradmand et al. 2024): no pruning; every densify_interval
    // iterations in the window, Gaussians of opacity <= prune_opacity are moved onto live ones sampled by
    // opacity, with the paper's opacity and scale correction so the image does not change, and the count
    // grows by mcmc_growth up to max_gaussians; every step, positions get noise scaled by the position
    // learning rate, the Gaussian's covariance and how transparent it is; opacity and scale regularisers.
    enum class Densify { Adc, Mcmc } densify = Densify::Adc;
    float mcmc_growth = 0.05f;
    float mcmc_noise = 5e5f;         // the paper's noise learning rate
    float mcmc_opacity_reg = 0.01f;  // times the mean activated opacity, added to the loss
    float mcmc_scale_reg = 0.01f;    // times the mean activated scale
    float mcmc_init_opacity = 0.5f;  // the paper's initial opacity (ADC starts at 0.1)
    float mcmc_init_scale = 0.1f;    // times the neighbour distance (ADC: 1)
    // Initialisation without sparse points: random_count random Gaussians, laid out by random_layout.
    // Box: in a cube around the point the cameras look at (Dataset::look_at_centre), of half side
    // random_extent times the cameras' extent (0.3 of 1.1x the camera radius of an object dataset covers
    // the reference's [-1.3, 1.3] box for NeRF's synthetic scenes). Frustums: in the training views'
    // frustums, at depths from 0.2 to 5 camera extents, with a tenth of them on a background sphere of 10
    // extents around the cameras (rooms, streets, forward-facing captures: Mip-NeRF 360's kind). Auto:
    // Box when the cameras surround a centre (Dataset::surrounds_centre), Frustums otherwise.
    std::size_t random_count = 50'000;
    enum class Layout { Auto, Box, Frustums } random_layout = Layout::Auto;
    // Where the initial Gaussians come from: the dataset's sparse points (COLMAP), or random. A COLMAP
    // dataset without points is an error unless random is asked for.
    enum class Init { Auto, Points, Random } init = Init::Auto;
    float random_extent = 0.3f;
    // 4D Gaussians (Yang et al. 2024) for views that carry times (multi-view or monocular video): every
    // 4D parameter is trained through the slice at each view's time. Initial Gaussians get time means
    // uniform over the training views' time span widened by a tenth on each side and time scales of
    // sqrt(1/5) of the span (the reference's for a span of 1), identity right quaternions; splits sample
    // in 4D and shrink the time scale as the spatial ones. The time means learn at lr_time_mean times the
    // span, not decayed. (The reference scales that rate by the cameras' extent, as positions: in scene
    // units, so a scene modelled in centimetres, extent 305, moved its time means by 0.05 of the span per
    // step and trained to 22 dB on its own views; per span, the rate is the same on every scene.) Time
    // scales learn at lr_scale, right quaternions at lr_rotation, the time-varying colour
    // (time_color_degree frequencies, 0 to 2) at lr_sh_rest.
    bool temporal = false;
    // Views per step (the reference 4DGS trains multi-view video with 4): their losses are averaged into
    // one gradient; the densification statistic is the mean over the batch's views that saw a Gaussian.
    int batch_views = 1;
    int time_color_degree = 0;
    float lr_time_mean = 5e-4f;
    Backend backend = Backend::Cpu;
    // Distributed training (data parallel): every rank holds the same scene and draws the same batch;
    // rank r renders the batch's views b with b % size == r, and the gradients, densification statistics
    // and losses are summed across ranks in rank order, so every rank takes the same step. Not owned;
    // null in one process.
    Collective* collective = nullptr;
};

// The reference schedule is written for 30,000 iterations. For a run of `iterations`, the position
// learning rate decays over the run, and shorter runs compress the densification window, its interval,
// the opacity resets and the SH schedule by iterations / 30,000, with floors that keep each densification
// round's statistics over enough views (at least an epoch of steps between rounds, `views` over
// options.batch_views, up to 100). Set options.batch_views first.
void fit_schedule(TrainOptions& options, int iterations, std::size_t views);

// The colour correction {gain r, g, b, bias r, g, b} that maps `render` [N, 3] closest to `target` in
// least squares, pixels weighted by `mask` ([N], all 1 when empty), plus the weight sum times
// gain_ridge (gain - E)^2 + bias_ridge bias^2 per channel, E the photo's summed colour over the render's
// (an exposure, the same for the three channels); both 0: the plain fit. What --appearance fits at every
// step.
std::array<float, 6> fit_colour_correction(std::span<const float> render, std::span<const float> target,
                                           std::span<const float> mask, double gain_ridge, double bias_ridge);

// Adds one step's screen-space gradients (step.mean2d_norm, step.visible) to the densification statistic
// ([N] sums and view counts). As the reference's: every Gaussian the step's views drew counts a view,
// hidden ones (no gradient) included, so the mean is over the views that saw the Gaussian, not only over
// those that moved it.
void add_densification_statistics(const CloudGradients& step, std::span<float> sums, std::span<float> views);

// Wall time per stage, summed over iterations (milliseconds).
struct TrainProfile {
    double load = 0, forward = 0, loss = 0, backward = 0, optimizer = 0, densify = 0;
    double exchange = 0;  // distributed: summing across ranks, with the wait for the slowest
};

struct StepResult {
    int iteration = 0;
    double loss = 0, psnr = 0;  // of the training view this step used
};

using Evaluation = TrainingEvaluation;  // core/training_session.h

class Trainer {
public:
    // Initialises the cloud (from the dataset's points when it has some, else at random). Throws
    // InputError for an empty dataset or options out of range.
    Trainer(const Dataset& dataset, const TrainOptions& options);
    // Continues from `start` (fine-tuning a pruned or distilled scene): its SH degree, 4D fields and
    // time-varying colour replace the options', and every SH degree is trained from the first step.
    Trainer(const Dataset& dataset, const TrainOptions& options, GaussianCloud start);
    ~Trainer();

    StepResult step();  // one iteration
    int iteration() const { return m_iteration; }
    // The scene as it is now (with a device-resident state, copied back from the device first).
    const GaussianCloud& cloud() const;
    std::size_t gaussians() const { return m_cloud.size(); }
    const TrainProfile& profile() const { return m_profile; }
    int active_sh_degree() const { return m_active_sh; }

    // The colour renders are composited over: the learnt one (TrainOptions::learn_background) or the
    // dataset's.
    std::array<float, 3> background() const;

    // Renders every test view (or, with none or with `training_views`, every training view) and
    // compares with its image.
    Evaluation evaluate(bool training_views = false);

    // Everything the next iterations depend on (Gaussians, Adam moments, densification statistics,
    // random state, view order), written atomically; resuming from it continues exactly as if training
    // had not stopped (same options, same dataset). load_checkpoint throws InputError naming the file
    // when it is not a checkpoint, is truncated, or does not fit the options (SH degree).
    void save_checkpoint(const std::filesystem::path& path) const;
    void load_checkpoint(const std::filesystem::path& path);

private:
    // With a resident state: the device's copied into m_cloud and m_state (when it is ahead), and back
    // (after the host changed them).
    void pull_state() const;
    void push_state();
    void adam(std::span<float> values, std::span<const float> grad, OptimizerState::Moments& moments,
              float lr);
    // The step's Adam updates of every group (on the device with a resident state).
    void optimize(float lr_position);
    std::size_t next_view();  // the next training view of this epoch's random order
    // Renders a training view over `background` (or the dataset's colour), and adds the gradient of
    // `weight` times its loss to `grads` (with a resident state, to the device's gradients and
    // statistic instead). Returns the view's loss and mean squared error.
    std::pair<double, double> train_view(std::size_t view, float weight,
                                         const std::optional<std::array<float, 3>>& background,
                                         CloudGradients& grads);
    // Distributed: this rank's gradients, statistics and step values summed over the ranks.
    void sum_across_ranks(bool batch_statistics, std::span<double> values);
    // The learnt background (background.cpp): its start, one view's gradient (from the render's
    // transmittance and the loss's image gradient), and its Adam step at `progress` through the run.
    void initialise_background();
    void add_background_gradient(std::span<const float> v_image, std::span<const float> alpha);
    void step_background(float progress);
    void densify_and_prune(bool prune_large);
    void reset_opacity();
    // MCMC: regulariser gradients (before Adam), position noise (after it), relocation and growth.
    void mcmc_regularize();
    void mcmc_noise(float lr_position);
    void mcmc_relocate_and_grow();
    void zero_moments(std::uint32_t row);  // of one Gaussian, in every parameter group
    // After rows were appended to the cloud: zero moments for them, and the densification statistics.
    void initialise_cloud();  // from the dataset's points or at random, as the options say
    void grow_state(std::size_t total);
    void keep_rows(const std::vector<std::uint8_t>& keep);  // rows of the cloud, moments and statistics
    const ImageRgb& image(std::size_t view, bool test);
    const SsimMoments<float>* moments(std::size_t view);  // null past the budget

    const Dataset& m_dataset;
    TrainOptions m_options;
    mutable GaussianCloud m_cloud;
    std::unique_ptr<Rasterizer> m_rasterizer;
    RenderOutput m_out;
    CloudGradients m_grads;
    CloudGradients m_view_grads;    // one view's, in a batch of several
    std::vector<float> m_exchange;  // distributed: this rank's sums, then every rank's
    // Adam's moments (as parameter_group_strides()) and the densification statistic. With a resident
    // state (CUDA), the device holds the current cloud and state while m_device_ahead, and const readers
    // (cloud(), save_checkpoint) first bring the host copies up to date: hence mutable.
    mutable OptimizerState m_state;
    ResidentTraining* m_resident = nullptr;  // the rasterizer's, when training keeps its state there
    mutable bool m_device_ahead = false;
    std::vector<float> m_batch_norm, m_batch_seen;  // [N] this batch's summed statistic and views
    std::vector<float> m_v_image;
    std::vector<float> m_target;     // [H, W, 3] this step's target over a random background
    std::vector<float> m_corrected;  // with appearance, this step's render through its colour correction
    LossBuffers<float> m_loss_buffers;
    std::vector<std::unique_ptr<ImageRgb>> m_train_images, m_test_images;  // decoded on first use
    // The training targets' blurred moments for SSIM, kept while they fit in kMomentsBudget bytes.
    std::vector<std::unique_ptr<SsimMoments<float>>> m_train_moments;
    std::size_t m_moments_bytes = 0;
    std::vector<std::size_t> m_order;  // this epoch's view order
    std::size_t m_next = 0;
    std::uint64_t m_random;
    int m_iteration = 0;
    int m_active_sh = 0;
    float m_time_start = 0.0f, m_time_span = 0.0f;  // of the training views
    TrainProfile m_profile;
    bool m_learn_background = false;
    LearntBackground m_background;

    Trainer(const Dataset& dataset, const TrainOptions& options, std::optional<GaussianCloud> start);
};

}  // namespace glint::splatting
