// Scene statistics: bounds and quantiles of activated parameters.
#include "glint/splatting/scene_stats.h"

#include <tbb/parallel_sort.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "glint/splatting/activate.h"

namespace glint::splatting {

Distribution describe(std::span<const float> values) {
    Distribution out;
    if (values.empty()) return out;
    std::vector<float> sorted(values.begin(), values.end());
    tbb::parallel_sort(sorted.begin(), sorted.end());
    const double last = static_cast<double>(sorted.size() - 1);
    for (std::size_t q = 0; q < kStatQuantiles.size(); ++q) {
        const double position = kStatQuantiles[q] * last;
        const std::size_t lo = static_cast<std::size_t>(std::floor(position));
        const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
        const double t = position - static_cast<double>(lo);
        out.quantiles[q] =
            static_cast<float>(sorted[lo] + t * (static_cast<double>(sorted[hi]) - sorted[lo]));
    }
    out.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(sorted.size());
    return out;
}

SceneStats compute_stats(const GaussianCloud& cloud, Backend backend) {
    SceneStats stats;
    stats.count = cloud.size();
    stats.sh_degree = cloud.sh_degree();
    stats.is_4d = cloud.is_4d();
    stats.memory_bytes = cloud.memory_bytes();
    const std::size_t n = cloud.size();
    if (n == 0) return stats;

    std::vector<float> axis(n);
    for (int a = 0; a < 3; ++a) {
        for (std::size_t i = 0; i < n; ++i) axis[i] = cloud.positions()[3 * i + a];
        const Distribution d = describe(axis);
        stats.bounds_min[a] = d.quantiles.front();
        stats.bounds_max[a] = d.quantiles.back();
        stats.robust_min[a] = d.quantiles[1];
        stats.robust_max[a] = d.quantiles[kStatQuantiles.size() - 2];
    }

    const ActivatedGaussians activated = activate_gaussians(cloud, backend);
    stats.opacity = describe(activated.opacities);
    std::vector<float> largest(n), smallest(n);
    for (std::size_t i = 0; i < n; ++i) {
        const float* s = activated.scales.data() + 3 * i;
        largest[i] = std::max({s[0], s[1], s[2]});
        smallest[i] = std::min({s[0], s[1], s[2]});
    }
    stats.scale_max = describe(largest);
    stats.scale_min = describe(smallest);

    if (cloud.is_4d()) {
        const auto [lo, hi] = std::minmax_element(cloud.time_means().begin(), cloud.time_means().end());
        stats.time_min = *lo;
        stats.time_max = *hi;
        std::vector<float> time_scales(n);
        for (std::size_t i = 0; i < n; ++i) time_scales[i] = std::exp(cloud.log_time_scales()[i]);
        stats.time_scale = describe(time_scales);
    }
    return stats;
}

}  // namespace glint::splatting
