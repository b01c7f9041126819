// Builds the per-frame parameters of the shared preprocess from a camera, settings and cloud (host code,
// used by both backends).
#pragma once

#include "glint/splatting/raster/gradients.h"
#include "glint/splatting/raster/preprocess.h"
#include "glint/splatting/raster/rasterizer.h"

namespace glint::splatting {

raster::FrameParams make_frame_params(const GaussianCloud& cloud, const Camera& camera,
                                      const RenderSettings& settings);

// The camera as the differentiable chain (gradients.h) reads it, for the frame `f`.
raster::View3<float> make_view3(const raster::FrameParams& f);

}  // namespace glint::splatting
