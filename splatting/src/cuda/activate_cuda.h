// Host entry of the CUDA activation kernel (plain C++ header; the implementation is in activate.cu).
#pragma once

#include "glint/splatting/activate.h"

namespace glint::splatting {

// Uploads the raw parameters, runs activate_fwd_kernel and downloads into `out` (already sized).
void activate_gaussians_cuda(const GaussianCloud& cloud, ActivatedGaussians& out);

}  // namespace glint::splatting
