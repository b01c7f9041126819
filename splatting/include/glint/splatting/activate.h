// Activates a whole cloud's scales, rotations and opacities on the CPU or CUDA backend.
#pragma once

#include <vector>

#include "glint/core/backend.h"
#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

struct ActivatedGaussians {
    std::vector<float> scales;     // [N, 3]
    std::vector<float> rotations;  // [N, 4] unit quaternions (w, x, y, z)
    std::vector<float> opacities;  // [N]
};

// Backend::Auto picks CUDA when this build and machine can run it. Throws Error naming the reason when
// Backend::Cuda is asked for and cannot be used.
ActivatedGaussians activate_gaussians(const GaussianCloud& cloud, Backend backend = Backend::Cpu);

}  // namespace glint::splatting
