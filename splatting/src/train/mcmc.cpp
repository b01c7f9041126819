// MCMC densification (Kheradmand et al. 2024, "3D Gaussian Splatting as Markov Chain Monte Carlo"):
// position noise, opacity and scale regularisers, relocation of dead Gaussians and growth to a cap.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include <tbb/parallel_for.h>

#include "glint/core/log.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"
#include "glint/splatting/selection.h"
#include "glint/splatting/train/mcmc.h"
#include "glint/splatting/train/trainer.h"
#include "train_random.h"

namespace glint::splatting {
namespace {

// A Gaussian shared by this many copies at most gets the correction for this many (the paper's table).
constexpr int kMaxCopies = 51;

}  // namespace

// coeff = opacity / sum_{i=1..n} sum_{k=0..i-1} C(i-1, k) (-1)^k / sqrt(k + 1) new_opacity^(k + 1), in
// double: the alternating sum cancels heavily for large n.
Relocated mcmc_relocation(float opacity, int copies, float min_opacity) {
    const int n = std::clamp(copies, 1, kMaxCopies);
    double new_opacity = 1.0 - std::pow(1.0 - static_cast<double>(opacity), 1.0 / n);
    new_opacity = std::clamp(new_opacity, static_cast<double>(min_opacity), 1.0 - 1e-7);
    double sum = 0.0;
    for (int i = 1; i <= n; ++i) {
        double binomial = 1.0;  // C(i - 1, k), built up over k
        for (int k = 0; k < i; ++k) {
            sum += binomial * ((k % 2 == 0) ? 1.0 : -1.0) / std::sqrt(k + 1.0) * std::pow(new_opacity, k + 1);
            binomial = binomial * (i - 1 - k) / (k + 1);
        }
    }
    const double factor = sum > 0.0 ? static_cast<double>(opacity) / sum : 1.0;
    return {static_cast<float>(new_opacity), static_cast<float>(factor)};
}

namespace {

// `count` indices drawn with replacement, each with probability proportional to weights[i].
std::vector<std::uint32_t> sample_by_weight(const std::vector<float>& weights, std::size_t count,
                                            std::uint64_t& random) {
    std::vector<double> cdf(weights.size());
    double total = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) cdf[i] = total += weights[i];
    std::vector<std::uint32_t> picks;
    if (!(total > 0.0)) return picks;
    picks.reserve(count);
    for (std::size_t k = 0; k < count; ++k) {
        const double u =
            (static_cast<double>(next_random(random) >> 11) / static_cast<double>(1ull << 53)) * total;
        const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
        picks.push_back(
            static_cast<std::uint32_t>(std::min<std::size_t>(it - cdf.begin(), weights.size() - 1)));
    }
    return picks;
}

}  // namespace

void Trainer::zero_moments(std::uint32_t row) {
    const std::array<std::size_t, kParameterGroups> strides = parameter_group_strides(m_cloud);
    for (std::size_t g = 0; g < kParameterGroups; ++g) {
        OptimizerState::Moments& m = m_state.moments[g];
        const std::size_t begin = row * strides[g], end = begin + strides[g];
        if (m.m.size() < end) continue;  // no step has sized it yet
        std::fill(m.m.begin() + static_cast<std::ptrdiff_t>(begin),
                  m.m.begin() + static_cast<std::ptrdiff_t>(end), 0.0f);
        std::fill(m.v.begin() + static_cast<std::ptrdiff_t>(begin),
                  m.v.begin() + static_cast<std::ptrdiff_t>(end), 0.0f);
    }
}

void Trainer::mcmc_regularize() {
    const std::size_t n = m_cloud.size();
    if (n == 0) return;
    // d/dlogit of reg * mean(sigmoid(logit)), and d/dlog_scale of reg * mean(exp(log_scale)).
    const float opacity_weight = m_options.mcmc_opacity_reg / static_cast<float>(n);
    const float scale_weight = m_options.mcmc_scale_reg / static_cast<float>(3 * n);
    const std::span<const float> logits = m_cloud.opacity_logits(), log_scales = m_cloud.log_scales();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 2048), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            const float o = sigmoid(logits[i]);
            m_grads.opacity_logits[i] += opacity_weight * o * (1.0f - o);
            for (int k = 0; k < 3; ++k)
                m_grads.log_scales[3 * i + k] += scale_weight * std::exp(log_scales[3 * i + k]);
        }
    });
}

void Trainer::mcmc_noise(float lr_position) {
    // Noise in the Gaussian's own covariance R S^2 R^T, scaled by a steep sigmoid of its transparency:
    // opaque Gaussians (opacity above about 0.005) barely move, transparent ones explore.
    const std::size_t n = m_cloud.size();
    const float scale = m_options.mcmc_noise * lr_position;
    const std::uint64_t key = next_random(m_random);  // this step's draws: normal_at(key, 3 i + axis)
    const std::span<float> positions = m_cloud.positions();
    const std::span<const float> logits = m_cloud.opacity_logits(), log_scales = m_cloud.log_scales(),
                                 rotations = m_cloud.rotations();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 2048), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            const float o = sigmoid(logits[i]);
            // The paper's k = 100, x0 = 0.995 on 1 - opacity.
            const float gate = 1.0f / (1.0f + std::exp(-100.0f * ((1.0f - o) - 0.995f)));
            // Below 1e-10 (opacity above about 0.23) the step is far under float rounding of a position.
            if (gate < 1e-10f) continue;
            const float* q = &rotations[4 * i];
            const raster::Mat3 r = raster::quaternion_to_rotation(q[0], q[1], q[2], q[3]);
            float s2[3];
            for (int k = 0; k < 3; ++k) s2[k] = std::exp(2.0f * log_scales[3 * i + k]);
            // R^T e, scaled by S^2, then R.
            const float e[3] = {normal_at(key, 3 * i), normal_at(key, 3 * i + 1), normal_at(key, 3 * i + 2)};
            float t[3];
            for (int k = 0; k < 3; ++k)
                t[k] = s2[k] * (r.m[0][k] * e[0] + r.m[1][k] * e[1] + r.m[2][k] * e[2]);
            for (int a = 0; a < 3; ++a)
                positions[3 * i + a] +=
                    scale * gate * (r.m[a][0] * t[0] + r.m[a][1] * t[1] + r.m[a][2] * t[2]);
        }
    });
}

void Trainer::mcmc_relocate_and_grow() {
    const TrainOptions& o = m_options;
    const std::size_t n = m_cloud.size();
    std::vector<float> opacity(n);
    for (std::size_t i = 0; i < n; ++i) opacity[i] = sigmoid(m_cloud.opacity_logits()[i]);
    std::vector<std::uint32_t> dead;
    std::vector<float> live_weight(opacity);
    for (std::size_t i = 0; i < n; ++i)
        if (opacity[i] <= o.prune_opacity) {
            dead.push_back(static_cast<std::uint32_t>(i));
            live_weight[i] = 0.0f;
        }

    // Each sampled source shares its look with its copies: apply the correction for (times sampled + 1)
    // copies to the source, then copy it into its targets.
    const auto relocate = [&](const std::vector<std::uint32_t>& sources,
                              const std::vector<std::uint32_t>& targets) {
        std::unordered_map<std::uint32_t, int> times;
        for (const std::uint32_t s : sources) ++times[s];
        std::vector<std::uint32_t> distinct;
        for (const auto& [s, count] : times) distinct.push_back(s);
        std::sort(distinct.begin(), distinct.end());
        for (const std::uint32_t s : distinct) {
            const Relocated r = mcmc_relocation(opacity[s], times[s] + 1, o.prune_opacity);
            m_cloud.opacity_logits()[s] = logit(r.opacity);
            for (int k = 0; k < 3; ++k)
                m_cloud.log_scales()[3 * s + k] += std::log(std::max(r.scale_factor, 1e-12f));
            zero_moments(s);
        }
        for (std::size_t k = 0; k < targets.size(); ++k) {
            copy_row(m_cloud, sources[k], targets[k]);
            zero_moments(targets[k]);
        }
    };

    std::size_t moved = 0;
    if (!dead.empty()) {
        const std::vector<std::uint32_t> sources = sample_by_weight(live_weight, dead.size(), m_random);
        if (!sources.empty()) {
            relocate(sources, dead);
            moved = dead.size();
            for (std::size_t k = 0; k < dead.size(); ++k) opacity[dead[k]] = opacity[sources[k]];
            for (const std::uint32_t s : sources) opacity[s] = sigmoid(m_cloud.opacity_logits()[s]);
        }
    }

    // Growth: mcmc_growth more, up to the cap; new rows copied from Gaussians sampled by opacity.
    const auto target =
        std::min(o.max_gaussians, static_cast<std::size_t>(static_cast<double>(n) * (1.0 + o.mcmc_growth)));
    std::size_t added = 0;
    if (target > n) {
        const std::vector<std::uint32_t> sources = sample_by_weight(opacity, target - n, m_random);
        if (!sources.empty()) {
            std::vector<std::uint32_t> rows(n);
            std::iota(rows.begin(), rows.end(), 0u);
            rows.insert(rows.end(), sources.begin(), sources.end());
            m_cloud = gather(m_cloud, rows);
            grow_state(m_cloud.size());
            std::vector<std::uint32_t> targets(sources.size());
            std::iota(targets.begin(), targets.end(), static_cast<std::uint32_t>(n));
            relocate(sources, targets);
            added = sources.size();
        }
    }
    grow_state(m_cloud.size());  // MCMC keeps no gradient statistics; the checkpoint wants them sized
    log::debug("iteration ", m_iteration, ": MCMC moved ", moved, " dead Gaussians, added ", added, ", now ",
               m_cloud.size());
}

}  // namespace glint::splatting
