// The world's up direction of a Gaussian scene: estimated from the scene itself, and chosen among what
// the user, the file and the scene say.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

struct UpEstimate {
    std::array<float, 3> up{0.0f, 0.0f, 1.0f};  // unit length
    // In [0, 1]: how much the flat Gaussians agree on one facing axis beyond the next one
    // ((l1 - l2) / (l1 + l2 + l3) of their weighted normal scatter); 0 without flat Gaussians.
    float confidence = 0.0f;
};

// The axis the scene's flat Gaussians face most (weighted by opacity and area): the normal of a ground
// plane, a table, a floor. Its sign puts the Gaussians facing along it (the ground) below the median
// of the whole scene. Meaningful when confidence is well above 0 (kConfidentUp).
UpEstimate estimate_up(const GaussianCloud& cloud);
inline constexpr float kConfidentUp = 0.3f;  // below this the facing axes are too evenly spread to trust

}  // namespace glint::splatting
