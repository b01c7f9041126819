// A brute-force reference for the tile rasterizer: every Gaussian for every pixel, depth-sorted, with the
// reference's cut-offs and 3-sigma tile rectangles but none of the rasterizer's pruning or sorting machinery.
#pragma once

#include "glint/splatting/raster/rasterizer.h"

namespace glint::test {

void brute_force_render(const splatting::GaussianCloud& cloud, const Camera& camera,
                        const splatting::RenderSettings& settings, splatting::RenderOutput& out);

}  // namespace glint::test
