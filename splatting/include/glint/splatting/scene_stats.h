// Summary statistics of a Gaussian scene, as `glint info` prints them.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "glint/core/backend.h"
#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

// Quantiles reported for every distribution, in this order.
inline constexpr std::array<double, 7> kStatQuantiles = {0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0};

struct Distribution {
    std::array<float, kStatQuantiles.size()> quantiles{};  // at kStatQuantiles
    double mean = 0.0;
};

// Quantiles with linear interpolation between order statistics (numpy's default). Empty input: zeros.
Distribution describe(std::span<const float> values);

struct SceneStats {
    std::size_t count = 0;
    int sh_degree = 0;
    bool is_4d = false;
    std::array<float, 3> bounds_min{}, bounds_max{};  // of positions
    std::array<float, 3> robust_min{}, robust_max{};  // 1st and 99th percentile per axis
    Distribution opacity;                             // sigmoid(opacity logit)
    Distribution scale_max;                           // largest of exp(log_scale) per Gaussian
    Distribution scale_min;                           // smallest
    float time_min = 0, time_max = 0;                 // 4D: range of time means
    Distribution time_scale;                          // 4D: exp(log time scale)
    std::size_t memory_bytes = 0;
};

SceneStats compute_stats(const GaussianCloud& cloud, Backend backend = Backend::Cpu);

}  // namespace glint::splatting
