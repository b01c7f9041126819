// Builds the per-frame parameters of the shared preprocess from a camera, settings and cloud (host code,
// used by both backends).
#pragma once

#include "glint/splatting/raster/preprocess.h"
#include "glint/splatting/raster/rasterizer.h"

namespace glint::splatting {

raster::FrameParams make_frame_params(const GaussianCloud& cloud, const Camera& camera,
                                      const RenderSettings& settings);

}  // namespace glint::splatting
