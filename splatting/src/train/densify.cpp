// Adaptive density control of the Gaussian trainer (the reference 3DGS's): clone small and split large
// Gaussians whose mean screen-space gradient passes the threshold, prune transparent, oversized and
// out-of-time ones, reset opacities; the optimizer state and statistics follow the rows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/selection.h"
#include "glint/splatting/train/trainer.h"
#include "train_random.h"

namespace glint::splatting {

void Trainer::keep_rows(const std::vector<std::uint8_t>& keep) {
    std::vector<std::uint32_t> rows;
    for (std::size_t i = 0; i < m_cloud.size(); ++i)
        if (i >= keep.size() || keep[i]) rows.push_back(static_cast<std::uint32_t>(i));
    m_cloud = gather(m_cloud, rows);
    const auto gather_vector = [&](std::vector<float>& v, std::size_t stride) {
        if (v.empty()) return;
        std::vector<float> out(rows.size() * stride);
        gather_rows(v, out, stride, rows);
        v.swap(out);
    };
    const std::array<std::size_t, kParameterGroups> strides = parameter_group_strides(m_cloud);
    for (std::size_t g = 0; g < kParameterGroups; ++g) {
        gather_vector(m_state.moments[g].m, strides[g]);
        gather_vector(m_state.moments[g].v, strides[g]);
    }
    gather_vector(m_state.grad_sums, 1);
    gather_vector(m_state.grad_views, 1);
}

void Trainer::grow_state(std::size_t total) {
    const std::array<std::size_t, kParameterGroups> strides = parameter_group_strides(m_cloud);
    for (std::size_t g = 0; g < kParameterGroups; ++g) {
        m_state.moments[g].m.resize(total * strides[g], 0.0f);
        m_state.moments[g].v.resize(total * strides[g], 0.0f);
    }
    // The statistics start again after every round, for every Gaussian.
    m_state.grad_sums.assign(total, 0.0f);
    m_state.grad_views.assign(total, 0.0f);
}

void Trainer::densify_and_prune(bool prune_large) {
    const TrainOptions& o = m_options;
    const std::size_t n = m_cloud.size();
    const float extent = m_dataset.camera_extent;
    std::vector<std::uint32_t> candidates;
    std::vector<float> mean_grad(n, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
        mean_grad[i] = m_state.grad_views[i] > 0 ? m_state.grad_sums[i] / m_state.grad_views[i] : 0.0f;
        if (mean_grad[i] >= o.densify_grad_threshold) candidates.push_back(static_cast<std::uint32_t>(i));
    }
    // Under a Gaussian budget, the candidates with the largest gradients go first (ties by index, so
    // the choice is deterministic); a split adds two Gaussians, a clone one.
    const std::size_t room = o.max_gaussians > n ? o.max_gaussians - n : 0;
    if (candidates.size() > room / 2)
        std::stable_sort(candidates.begin(), candidates.end(),
                         [&](std::uint32_t x, std::uint32_t y) { return mean_grad[x] > mean_grad[y]; });
    std::vector<std::uint32_t> clone, split;
    std::size_t added = 0;
    for (const std::uint32_t i : candidates) {
        const float* s = &m_cloud.log_scales()[3 * i];
        const bool small = std::exp(std::max({s[0], s[1], s[2]})) <= o.percent_dense * extent;
        const std::size_t cost = small ? 1 : 2;
        if (added + cost > room) continue;
        added += cost;
        (small ? clone : split).push_back(i);
    }
    std::sort(clone.begin(), clone.end());
    std::sort(split.begin(), split.end());
    // New rows: clones are exact copies; each split Gaussian gives two samples from itself, scaled by 1/1.6.
    std::vector<std::uint32_t> sources(clone);
    for (const std::uint32_t i : split) sources.insert(sources.end(), {i, i});
    std::vector<std::uint32_t> all(n);
    std::iota(all.begin(), all.end(), 0u);
    all.insert(all.end(), sources.begin(), sources.end());
    GaussianCloud grown = gather(m_cloud, all);
    const std::span<const float> scales = m_cloud.log_scales(), means = m_cloud.positions();
    for (std::size_t k = clone.size(); k < sources.size(); ++k) {
        const std::size_t row = n + k, i = sources[k];
        if (m_cloud.is_4d()) {
            // In space and time (the reference's 4D split): a sample of the 4D Gaussian, rotated by
            // L(left) R(right); the time scale shrinks as the spatial ones.
            float sample[4];
            for (int a = 0; a < 3; ++a) sample[a] = std::exp(scales[3 * i + a]) * normal(m_random);
            sample[3] = std::exp(m_cloud.log_time_scales()[i]) * normal(m_random);
            const raster::Mat4 r4 =
                raster::rotation_4d(&m_cloud.rotations()[4 * i], &m_cloud.rotations_right()[4 * i]);
            const auto& rot = r4.m;
            for (int a = 0; a < 3; ++a)
                grown.positions()[3 * row + a] = means[3 * i + a] + rot[a][0] * sample[0] +
                                                 rot[a][1] * sample[1] + rot[a][2] * sample[2] +
                                                 rot[a][3] * sample[3];
            grown.time_means()[row] = m_cloud.time_means()[i] + rot[3][0] * sample[0] +
                                      rot[3][1] * sample[1] + rot[3][2] * sample[2] + rot[3][3] * sample[3];
            grown.log_time_scales()[row] = m_cloud.log_time_scales()[i] - std::log(1.6f);
        } else {
            const float* q = &m_cloud.rotations()[4 * i];
            const raster::Mat3 r = raster::quaternion_to_rotation(q[0], q[1], q[2], q[3]);
            float sample[3];
            for (int a = 0; a < 3; ++a) sample[a] = std::exp(scales[3 * i + a]) * normal(m_random);
            for (int a = 0; a < 3; ++a)
                grown.positions()[3 * row + a] =
                    means[3 * i + a] + r.m[a][0] * sample[0] + r.m[a][1] * sample[1] + r.m[a][2] * sample[2];
        }
        for (int a = 0; a < 3; ++a) grown.log_scales()[3 * row + a] = scales[3 * i + a] - std::log(1.6f);
    }
    m_cloud = std::move(grown);
    const std::size_t total = m_cloud.size();
    grow_state(total);

    // Prune: the split originals, the transparent, (after an opacity reset) the huge, and 4D Gaussians
    // that no frame of the training span shows (their temporal marginal is under the renderer's cutoff
    // at every time of it: they get no gradient and would stay forever).
    std::vector<std::uint8_t> keep(total, 1);
    for (const std::uint32_t i : split) keep[i] = 0;
    std::size_t out_of_time = 0;
    const float cutoff = RenderSettings{}.temporal_cutoff;
    for (std::size_t i = 0; i < total; ++i) {
        if (sigmoid(m_cloud.opacity_logits()[i]) < o.prune_opacity) keep[i] = 0;
        if (m_cloud.is_4d() && keep[i]) {
            const float t = m_cloud.time_means()[i];
            const float nearest = std::clamp(t, m_time_start, m_time_start + m_time_span);
            const raster::Mat4 r4 =
                raster::rotation_4d(&m_cloud.rotations()[4 * i], &m_cloud.rotations_right()[4 * i]);
            float sigma_tt = 0.0f;
            for (int k = 0; k < 4; ++k) {
                const float s = std::exp(k < 3 ? m_cloud.log_scales()[3 * i + static_cast<std::size_t>(k)]
                                               : m_cloud.log_time_scales()[i]);
                sigma_tt += r4.m[3][k] * r4.m[3][k] * s * s;
            }
            const float dt = t - nearest;
            if (!(std::exp(-0.5f * dt * dt / sigma_tt) >= cutoff)) {
                keep[i] = 0;
                ++out_of_time;
            }
        }
        if (prune_large) {
            const float* s = &m_cloud.log_scales()[3 * i];
            if (std::exp(std::max({s[0], s[1], s[2]})) > o.prune_world_scale * extent) keep[i] = 0;
        }
    }
    keep_rows(keep);
    log::debug("iteration ", m_iteration, ": cloned ", clone.size(), ", split ", split.size(),
               out_of_time > 0 ? cat(", pruned ", out_of_time, " outside the time span") : std::string(),
               ", now ", m_cloud.size(), " Gaussians");
}

void Trainer::reset_opacity() {
    const float cap = logit(0.01f);
    for (float& o : m_cloud.opacity_logits()) o = std::min(o, cap);
    std::fill(m_state.moments[3].m.begin(), m_state.moments[3].m.end(), 0.0f);
    std::fill(m_state.moments[3].v.begin(), m_state.moments[3].v.end(), 0.0f);
}

}  // namespace glint::splatting
