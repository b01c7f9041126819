// The temporal hierarchy: nested time segments, each Gaussian in the smallest that holds its reach.
#include "glint/splatting/temporal_hierarchy.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/splatting/raster/raster_math.h"

namespace glint::splatting {

float time_variance(const GaussianCloud& cloud, std::size_t i) {
    const float* log_scale = cloud.log_scales().data() + 3 * i;
    const float scale4[4] = {std::exp(log_scale[0]), std::exp(log_scale[1]), std::exp(log_scale[2]),
                             std::exp(cloud.log_time_scales()[i])};
    const raster::Mat4 cov4 = raster::covariance_4d(
        scale4,
        raster::rotation_4d(cloud.rotations().data() + 4 * i, cloud.rotations_right().data() + 4 * i));
    return cov4.m[3][3];
}

namespace {

constexpr int kMaxDepth = 20;

}  // namespace

TemporalHierarchy::TemporalHierarchy(const GaussianCloud& cloud, float start, float end, float cutoff,
                                     float leaf_length)
    : m_start(start), m_end(end), m_cutoff(cutoff), m_gaussians(cloud.size()) {
    if (!cloud.is_4d()) throw InputError("a temporal hierarchy is for 4D scenes");
    if (!(std::isfinite(start) && std::isfinite(end) && end > start))
        throw InputError(cat("a temporal hierarchy needs a time span; [", start, ", ", end, "] is not one"));
    if (!(cutoff > 0.0f && cutoff < 1.0f))
        throw InputError(cat("the temporal cut-off ", cutoff, " is not in (0, 1)"));
    const std::size_t n = cloud.size();
    const double span = static_cast<double>(end) - start;
    // A Gaussian's marginal exp(-dt^2 / (2 var)) reaches the cut-off while |dt| <= sqrt(-2 var ln(cutoff)),
    // widened by a thousandth so rounding never drops a Gaussian a frame would draw. Never drawn: -1.
    const double reach_factor = std::sqrt(-2.0 * std::log(static_cast<double>(cutoff))) * 1.001;
    std::vector<float> reach(n);
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        const float variance = time_variance(cloud, i);
        reach[i] = variance > 0.0f && std::isfinite(variance)
                       ? static_cast<float>(reach_factor * std::sqrt(static_cast<double>(variance)))
                       : -1.0f;
    });
    if (!(leaf_length > 0.0f)) {
        // The median reach of the short-lived: most of them then fit a leaf or its parent.
        std::vector<float> short_lived;
        for (const float r : reach)
            if (r >= 0.0f && 2.0 * r < span) short_lived.push_back(2.0f * r);
        if (short_lived.empty()) {
            leaf_length = static_cast<float>(span);
        } else {
            const auto middle = short_lived.begin() + static_cast<std::ptrdiff_t>(short_lived.size() / 2);
            std::nth_element(short_lived.begin(), middle, short_lived.end());
            leaf_length = *middle;
        }
    }
    m_depth = 0;
    while (m_depth < kMaxDepth && span / static_cast<double>(1u << m_depth) > 1.0001 * leaf_length) ++m_depth;
    const std::size_t leaves = std::size_t{1} << m_depth;
    m_leaf = static_cast<float>(span / static_cast<double>(leaves));

    // Each Gaussian's level: the deepest whose segments are at least as long as its life, so that its life
    // touches one segment there or two neighbours, which both hold it (clamped to the span: one alive only
    // before or after it sits with the first or last leaf). Never higher up for straddling a boundary:
    // a path's segments then hold only Gaussians that live near them, however long the scene.
    constexpr std::uint32_t kNever = 0xffffffffu;
    std::vector<std::uint32_t> first(n), last(n);
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        first[i] = last[i] = kNever;
        if (reach[i] < 0.0f) return;
        int level = m_depth;
        while (level > 0 && 2.0 * reach[i] > static_cast<double>(m_leaf) * (1u << (m_depth - level))) --level;
        const double length = static_cast<double>(m_leaf) * (1u << (m_depth - level));
        const double mean = cloud.time_means()[i], top = static_cast<double>((1u << level) - 1);
        const auto segment = [&](double t) {
            return static_cast<std::uint32_t>(std::clamp(std::floor((t - start) / length), 0.0, top));
        };
        const std::uint32_t base = (1u << level) - 1u;
        first[i] = base + segment(mean - reach[i]);
        last[i] = base + segment(mean + reach[i]);
    });
    const std::size_t segments = (std::size_t{2} << m_depth) - 1;
    m_offset.assign(segments + 1, 0);
    for (std::size_t i = 0; i < n; ++i)
        if (first[i] != kNever)
            for (std::uint32_t s = first[i]; s <= last[i]; ++s) ++m_offset[s + 1];
    for (std::size_t s = 0; s < segments; ++s) m_offset[s + 1] += m_offset[s];
    m_index.resize(m_offset.back());
    m_mean.resize(m_offset.back());
    m_reach.resize(m_offset.back());
    std::vector<std::uint32_t> fill(m_offset.begin(), m_offset.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
        if (first[i] == kNever) continue;
        for (std::uint32_t s = first[i]; s <= last[i]; ++s) {
            const std::uint32_t at = fill[s]++;
            m_index[at] = static_cast<std::uint32_t>(i);
            m_mean[at] = cloud.time_means()[i];
            m_reach[at] = reach[i];
        }
    }
}

std::size_t TemporalHierarchy::leaf_of(float time) const {
    const double top = static_cast<double>((std::size_t{1} << m_depth) - 1);
    return static_cast<std::size_t>(
        std::clamp(std::floor((static_cast<double>(time) - m_start) / m_leaf), 0.0, top));
}

void TemporalHierarchy::alive(float time, std::vector<std::uint32_t>& out) const {
    out.clear();
    if (m_offset.empty()) return;
    const std::size_t leaf = leaf_of(time);
    // The path's segments, each scanned in order: runs of increasing indices, then merged pairwise.
    std::vector<std::size_t> runs = {0};
    for (int level = 0; level <= m_depth; ++level) {
        const std::size_t s = ((std::size_t{1} << level) - 1) + (leaf >> (m_depth - level));
        for (std::uint32_t k = m_offset[s]; k < m_offset[s + 1]; ++k)
            if (std::abs(time - m_mean[k]) <= m_reach[k]) out.push_back(m_index[k]);
        if (out.size() > runs.back()) runs.push_back(out.size());
    }
    if (runs.size() <= 2) return;
    std::vector<std::uint32_t> merged(out.size());
    while (runs.size() > 2) {
        std::vector<std::size_t> next = {0};
        for (std::size_t r = 0; r + 1 < runs.size(); r += 2) {
            const std::size_t a = runs[r], b = runs[r + 1], c = r + 2 < runs.size() ? runs[r + 2] : b;
            std::merge(
                out.begin() + static_cast<std::ptrdiff_t>(a), out.begin() + static_cast<std::ptrdiff_t>(b),
                out.begin() + static_cast<std::ptrdiff_t>(b), out.begin() + static_cast<std::ptrdiff_t>(c),
                merged.begin() + static_cast<std::ptrdiff_t>(a));
            next.push_back(c);
        }
        out.swap(merged);
        runs = std::move(next);
    }
}

std::size_t TemporalHierarchy::working_set(float time) const {
    if (m_offset.empty()) return 0;
    const std::size_t leaf = leaf_of(time);
    std::size_t total = 0;
    for (int level = 0; level <= m_depth; ++level) {
        const std::size_t s = ((std::size_t{1} << level) - 1) + (leaf >> (m_depth - level));
        total += m_offset[s + 1] - m_offset[s];
    }
    return total;
}

std::vector<std::size_t> TemporalHierarchy::level_counts() const {
    std::vector<std::size_t> counts(static_cast<std::size_t>(m_depth) + 1, 0);
    for (int level = 0; level <= m_depth && !m_offset.empty(); ++level) {
        const std::size_t first = (std::size_t{1} << level) - 1, last = (std::size_t{2} << level) - 1;
        counts[static_cast<std::size_t>(level)] = m_offset[last] - m_offset[first];
    }
    return counts;
}

std::size_t TemporalHierarchy::memory_bytes() const {
    return m_offset.size() * sizeof(std::uint32_t) + m_index.size() * sizeof(std::uint32_t) +
           (m_mean.size() + m_reach.size()) * sizeof(float);
}

}  // namespace glint::splatting
