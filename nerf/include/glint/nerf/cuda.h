// The NeRF's CUDA backend (plain C++ header; the kernels are in src/cuda/, one file per stage, built when CUDA
// is). The kernels call the same per-element math as the CPU code (hash_grid_math.h, march_math.h,
// nerf_math.h); the "cuda" test suite compares every entry point here with its CPU counterpart.
#pragma once

#include <memory>
#include <span>

#include "glint/nerf/hash_grid.h"
#include "glint/nerf/mlp.h"
#include "glint/nerf/model.h"
#include "glint/nerf/render.h"

namespace glint::nerf {

// The hash encoding's forward and backward passes on the GPU, host arrays in and out (as HashGrid's).
void hash_grid_forward_cuda(const HashGrid<float>& grid, std::span<const float> points,
                            std::span<float> features);
void hash_grid_backward_cuda(const HashGrid<float>& grid, std::span<const float> points,
                             std::span<const float> grad_features, std::span<float> grad_params);

// An MLP's inference, and its backward pass (the forward recomputed on the GPU), as Mlp's.
void mlp_infer_cuda(const Mlp<float>& mlp, std::span<const float> input, std::span<float> output);
void mlp_backward_cuda(const Mlp<float>& mlp, std::span<const float> input,
                       std::span<const float> grad_output, std::span<float> grad_weights,
                       std::span<float> grad_input);

// A model's arrays (hash tables, networks, occupancy) on the device, uploaded once and kept while the
// model is rendered again and again (NerfRenderer); about 64 MB for the default configuration.
class NerfDeviceModel {
public:
    explicit NerfDeviceModel(const NerfModel& model);
    ~NerfDeviceModel();
    NerfDeviceModel(const NerfDeviceModel&) = delete;
    NerfDeviceModel& operator=(const NerfDeviceModel&) = delete;
    struct Arrays;  // device buffers, in src/cuda/render.cu
    std::unique_ptr<Arrays> m_arrays;
};

// Renders as render_nerf does (the same samples, jitter and early termination), on the GPU: every live
// ray marches a few samples per round, the samples are compacted, shaded in one batch and composited.
NerfRenderStats render_nerf_cuda(const NerfModel& model, const Camera& camera,
                                 const NerfRenderSettings& settings, NerfImage& out);
// The same with the model already on the device (`device` holds this model's arrays).
NerfRenderStats render_nerf_cuda(const NerfModel& model, const NerfDeviceModel& device, const Camera& camera,
                                 const NerfRenderSettings& settings, NerfImage& out);

}  // namespace glint::nerf
