// Training state kept on the device beside a rasterizer's resident scene (the CUDA backend): the
// gradients of each backward pass stay there, Adam updates the resident parameters in place, and the
// densification statistic is summed there. The host sees the state only when it asks for it (before a
// densification round, an opacity reset, a checkpoint, or when the scene is read), and hands it back
// after changing it, so a training step moves one image each way and nothing per Gaussian.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "glint/core/camera.h"
#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

struct RenderSettings;

// The Adam parameter groups, in this order: positions, log_scales, rotations, opacity_logits, sh_dc,
// sh_rest, then the 4D ones (empty for a 3D cloud): time_means, log_time_scales, rotations_right,
// time_color.
inline constexpr std::size_t kParameterGroups = 10;

// Floats per Gaussian of each group of `cloud`.
std::array<std::size_t, kParameterGroups> parameter_group_strides(const GaussianCloud& cloud);

// Everything a Gaussian trainer keeps per Gaussian besides the cloud.
struct OptimizerState {
    struct Moments {
        std::vector<float> m, v;  // Adam's first and second moments, shaped as the group (empty: zero)
    };
    std::array<Moments, kParameterGroups> moments;
    // The densification statistic since the last round: [N] summed |dL/d screen mean| (normalized
    // device units) and [N] how many views drew each Gaussian.
    std::vector<float> grad_sums, grad_views;
};

class ResidentTraining {
public:
    virtual ~ResidentTraining() = default;
    // Makes `cloud` and `state` the device's training state (every array uploaded; empty moments become
    // zeros); renders of `cloud` draw it until the cloud changes on the host.
    virtual void upload(const GaussianCloud& cloud, const OptimizerState& state) = 0;
    // Writes the device's parameters into `cloud` (the same shape as the one uploaded) and its moments
    // and statistics into `state`; the device copy stays current for the updated cloud.
    virtual void download(GaussianCloud& cloud, OptimizerState& state) = 0;
    // The backward pass of the frame the last render drew (as Rasterizer::backward), the gradients kept
    // on the device, replacing the previous step's; with `statistics`, the frame's screen-space
    // gradients and drawn Gaussians added to the statistic.
    virtual void backward(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                          std::span<const float> v_color, bool statistics) = 0;
    // One Adam step (core/adam.h, the reference's settings) of group `group` from the last gradients.
    virtual void adam(std::size_t group, float lr, int iteration) = 0;
};

}  // namespace glint::splatting
