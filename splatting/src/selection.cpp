// Importance ordering, pruning masks and gathering subsets of a cloud.
#include "glint/splatting/selection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <tbb/parallel_for.h>

#include "glint/core/error.h"
#include "glint/splatting/activation.h"

namespace glint::splatting {
void gather_rows(std::span<const float> src, std::span<float> dst, std::size_t stride,
                 std::span<const std::uint32_t> indices) {
    GLINT_CHECK(dst.size() >= indices.size() * stride, "gather_rows: destination too small");
    if (stride == 0) return;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, indices.size(), 4096), [&](const auto& range) {
        for (std::size_t k = range.begin(); k != range.end(); ++k)
            std::copy_n(src.data() + indices[k] * stride, stride, dst.data() + k * stride);
    });
}

std::vector<float> importance(const GaussianCloud& cloud) {
    std::vector<float> score(cloud.size());
    const auto opacity = cloud.opacity_logits();
    const auto log_scales = cloud.log_scales();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cloud.size(), 8192), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            float s[3] = {log_scales[3 * i], log_scales[3 * i + 1], log_scales[3 * i + 2]};
            std::sort(s, s + 3);
            // Largest cross-section: the ellipse of the two largest axes.
            const float area = std::exp(s[1] + s[2]);
            const float value = sigmoid(opacity[i]) * area;
            score[i] = std::isfinite(value) ? value : 0.0f;
        }
    });
    return score;
}

std::vector<std::uint32_t> importance_order(const GaussianCloud& cloud) {
    const std::vector<float> score = importance(cloud);
    std::vector<std::uint32_t> order(cloud.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return score[a] > score[b]; });
    return order;
}

GaussianCloud gather(const GaussianCloud& cloud, std::span<const std::uint32_t> indices) {
    for (const std::uint32_t i : indices) GLINT_CHECK(i < cloud.size(), "gather: index out of range");
    GaussianCloud out;
    out.resize_for_overwrite(indices.size(), cloud.sh_degree(), cloud.is_4d(), cloud.time_color_degree());
    out.set_time_period(cloud.time_period());
    out.set_up(cloud.up());
    out.set_background(cloud.background());
    out.set_time_range(cloud.time_range());
    gather_rows(cloud.positions(), out.positions(), 3, indices);
    gather_rows(cloud.log_scales(), out.log_scales(), 3, indices);
    gather_rows(cloud.rotations(), out.rotations(), 4, indices);
    gather_rows(cloud.opacity_logits(), out.opacity_logits(), 1, indices);
    gather_rows(cloud.sh_dc(), out.sh_dc(), 3, indices);
    gather_rows(cloud.sh_rest(), out.sh_rest(), static_cast<std::size_t>(cloud.sh_rest_per_channel()) * 3,
                indices);
    if (cloud.is_4d()) {
        gather_rows(cloud.time_means(), out.time_means(), 1, indices);
        gather_rows(cloud.log_time_scales(), out.log_time_scales(), 1, indices);
        gather_rows(cloud.rotations_right(), out.rotations_right(), 4, indices);
        gather_rows(cloud.time_color(), out.time_color(), cloud.time_color_per_gaussian(), indices);
    }
    return out;
}

void copy_row(GaussianCloud& cloud, std::uint32_t from, std::uint32_t to) {
    GLINT_CHECK(from < cloud.size() && to < cloud.size(), "copy_row: index out of range");
    const auto copy = [&](std::span<float> a, std::size_t stride) {
        std::copy_n(a.data() + from * stride, stride, a.data() + to * stride);
    };
    copy(cloud.positions(), 3);
    copy(cloud.log_scales(), 3);
    copy(cloud.rotations(), 4);
    copy(cloud.opacity_logits(), 1);
    copy(cloud.sh_dc(), 3);
    copy(cloud.sh_rest(), static_cast<std::size_t>(cloud.sh_rest_per_channel()) * 3);
    if (cloud.is_4d()) {
        copy(cloud.time_means(), 1);
        copy(cloud.log_time_scales(), 1);
        copy(cloud.rotations_right(), 4);
        copy(cloud.time_color(), cloud.time_color_per_gaussian());
    }
}

std::size_t prune_mask(const GaussianCloud& cloud, const PruneCriteria& criteria,
                       std::vector<std::uint8_t>& keep) {
    keep.resize(cloud.size());
    const auto opacity = cloud.opacity_logits();
    const auto log_scales = cloud.log_scales();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cloud.size(), 8192), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            const float largest =
                std::exp(std::max({log_scales[3 * i], log_scales[3 * i + 1], log_scales[3 * i + 2]}));
            bool stays = sigmoid(opacity[i]) >= criteria.min_opacity;
            if (criteria.max_scale > 0.0f && largest > criteria.max_scale) stays = false;
            if (criteria.min_scale > 0.0f && largest < criteria.min_scale) stays = false;
            keep[i] = stays ? 1 : 0;
        }
    });
    return static_cast<std::size_t>(std::count(keep.begin(), keep.end(), std::uint8_t{1}));
}

GaussianCloud select(const GaussianCloud& cloud, std::span<const std::uint8_t> keep) {
    GLINT_CHECK(keep.size() == cloud.size(), "select: mask size differs from the cloud");
    std::vector<std::uint32_t> indices;
    indices.reserve(cloud.size());
    for (std::size_t i = 0; i < keep.size(); ++i)
        if (keep[i] != 0) indices.push_back(static_cast<std::uint32_t>(i));
    return gather(cloud, indices);
}

}  // namespace glint::splatting
