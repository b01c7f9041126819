// A temporal hierarchy for 4D scenes (after Xu et al. 2025, "Representing Long Volumetric Video with
// Temporal Gaussian Hierarchy"): the time span is halved level by level into nested segments down to
// leaves of a given length, and each Gaussian belongs to the segments of the level that matches how long
// its temporal marginal reaches the cut-off. A frame at time t looks only at the segments on the path from
// the root to t's leaf, and of their Gaussians keeps those alive at t, so its work follows what is alive
// then, not the length of the scene: a scene ten times longer costs about what its busiest stretch does.
// Each Gaussian is stored once, so the index costs 4 bytes per Gaussian plus 2 floats for the test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

// The time-time entry of a 4D Gaussian's covariance, as the rasterizer computes it.
float time_variance(const GaussianCloud& cloud, std::size_t i);

class TemporalHierarchy {
public:
    TemporalHierarchy() = default;
    // Over [start, end] with leaves of about `leaf_length` (the depth is at most 20 levels); `cutoff` is the
    // rasterizer's temporal cut-off. leaf_length <= 0 chooses the median reach of the Gaussians that do not
    // live through the whole span. Throws InputError for a 3D cloud, an empty or non-finite span, or a
    // cut-off outside (0, 1).
    TemporalHierarchy(const GaussianCloud& cloud, float start, float end, float cutoff,
                      float leaf_length = 0);

    // The Gaussians alive at `time` (their marginal may reach the cut-off: widened by a thousandth, so that
    // rounding never drops one a frame would draw), in increasing order, into `out` (reused between
    // frames). Outside the span: those alive there, from the first or last leaf's path.
    void alive(float time, std::vector<std::uint32_t>& out) const;
    // How many Gaussians the path to `time` looks at (the frame's working set before the exact test).
    std::size_t working_set(float time) const;

    int depth() const { return m_depth; }
    float leaf_length() const { return m_leaf; }
    float cutoff() const { return m_cutoff; }
    std::size_t gaussians() const { return m_gaussians; }
    // Entries per level, root first (a Gaussian whose life crosses a segment boundary counts twice).
    std::vector<std::size_t> level_counts() const;
    std::size_t memory_bytes() const;

private:
    std::size_t leaf_of(float time) const;

    float m_start = 0, m_end = 0, m_leaf = 1, m_cutoff = 0;
    int m_depth = 0;
    std::size_t m_gaussians = 0;
    // Segments in heap order (level d, index k at (1 << d) - 1 + k); each segment's Gaussians are
    // m_index[m_offset[s], m_offset[s + 1]) in increasing order, with their time means and reaches.
    std::vector<std::uint32_t> m_offset;
    std::vector<std::uint32_t> m_index;
    std::vector<float> m_mean, m_reach;
};

}  // namespace glint::splatting
