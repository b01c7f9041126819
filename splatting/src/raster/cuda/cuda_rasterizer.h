// Host entry of the CUDA tile rasterizer (plain C++ header; the implementation is in cuda_rasterizer.cu).
#pragma once

#include <memory>

#include "glint/splatting/raster/rasterizer.h"

namespace glint::splatting {

// Call only when cuda_status().usable().
std::unique_ptr<Rasterizer> create_cuda_rasterizer();

}  // namespace glint::splatting
