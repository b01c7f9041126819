// Scene statistics: bounds and quantiles of activated parameters.
#include "glint/splatting/scene_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "glint/splatting/activate.h"

namespace glint::splatting {

Distribution describe(std::span<const float> values) {
    Distribution out;
    if (values.empty()) return out;
    std::vector<float> work(values.begin(), values.end());
    const double last = static_cast<double>(work.size() - 1);
    // Order statistics by successive selection: each nth_element only searches past the previous one,
    // linear time overall instead of a full sort.
    std::array<std::size_t, 2 * kStatQuantiles.size()> ranks{};
    for (std::size_t q = 0; q < kStatQuantiles.size(); ++q) {
        const std::size_t lo = static_cast<std::size_t>(std::floor(kStatQuantiles[q] * last));
        ranks[2 * q] = lo;
        ranks[2 * q + 1] = std::min(lo + 1, work.size() - 1);
    }
    std::size_t done = 0;             // work[0, done) holds the smallest `done` values
    for (std::size_t rank : ranks) {  // ascending
        if (rank < done) continue;
        std::nth_element(work.begin() + static_cast<std::ptrdiff_t>(done),
                         work.begin() + static_cast<std::ptrdiff_t>(rank), work.end());
        done = rank + 1;
    }
    for (std::size_t q = 0; q < kStatQuantiles.size(); ++q) {
        const double position = kStatQuantiles[q] * last;
        const float lo = work[ranks[2 * q]], hi = work[ranks[2 * q + 1]];
        const double t = position - std::floor(position);
        out.quantiles[q] = static_cast<float>(lo + t * (static_cast<double>(hi) - lo));
    }
    out.mean = std::accumulate(work.begin(), work.end(), 0.0) / static_cast<double>(work.size());
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
