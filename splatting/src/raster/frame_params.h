// Builds the per-frame parameters of the shared preprocess from a camera, settings and cloud (host code,
// used by both backends).
#pragma once

#include "glint/splatting/raster/chain.h"
#include "glint/splatting/raster/gradients.h"
#include "glint/splatting/raster/preprocess.h"
#include "glint/splatting/raster/rasterizer.h"

namespace glint::splatting {

raster::FrameParams make_frame_params(const GaussianCloud& cloud, const Camera& camera,
                                      const RenderSettings& settings);

// The preconditions of a backward pass (Rasterizer::backward's, ResidentTraining::backward's): throws
// ContractError for viewing-only settings or a v_color of the wrong size.
void check_backward_inputs(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                           std::span<const float> v_color);

// The camera as the differentiable chain (gradients.h) reads it, for the frame `f`.
raster::View3<float> make_view3(const raster::FrameParams& f);

// What every Gaussian's backward chain (chain.h) shares in the frame `f` of a width x height image.
raster::ChainFrame make_chain_frame(const raster::FrameParams& f, const GaussianCloud& cloud, int width,
                                    int height);

// The cloud's arrays as the shared preprocess reads them, with the keep mask ([N] or null).
raster::GaussianArrays gaussian_arrays(const GaussianCloud& cloud, const std::uint8_t* keep = nullptr);

}  // namespace glint::splatting
