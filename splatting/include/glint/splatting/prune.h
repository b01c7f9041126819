// Pruning by what each Gaussian gives the images: LightGaussian's global significance (Fan et al. 2023)
// for 3D scenes, 4DGS-1K's spatial-temporal variation score (Yuan et al. 2025) for 4D ones, distillation
// of SH to a lower degree, and 4DGS-1K's active masks, which let a 4D frame look only at the Gaussians
// its time can reach.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include <glm/glm.hpp>

#include "glint/core/camera.h"
#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

// A view the scores are measured over: a camera and, for 4D scenes, its time.
struct ScoringView {
    Camera camera;
    float time = 0.0f;
};

// Called with (views done, views); returning false cancels.
using ScoringProgress = std::function<bool(std::size_t, std::size_t)>;

// Each Gaussian's blend weights alpha * T summed over every pixel of every view (the hit score both
// papers build on), rendered on the CPU. Nothing when `progress` cancels. [N]
std::optional<std::vector<float>> blend_weights(const GaussianCloud& cloud,
                                                std::span<const ScoringView> views,
                                                const ScoringProgress& progress = {});

// LightGaussian's global significance: the blend weights times (volume / V90) ^ volume_power, where
// volume is the product of the three scales and V90 the volume 90% of the Gaussians exceed (the paper's
// v_pow is 0.1): large, much-seen Gaussians rank first. [N]
std::vector<float> significance(const GaussianCloud& cloud, std::span<const float> weights,
                                float volume_power = 0.1f);

// 4DGS-1K's spatial-temporal variation score of a 4D cloud: the blend weights (the spatial score, over
// views at their times) times the temporal score, the mean over `times` of
// 1 / (0.5 tanh(|d^2 p / dt^2|) + 0.5), p the Gaussian's temporal marginal and t in units of `span`
// (near 2 for a long-lived Gaussian whose opacity barely changes, near 1 for one that flashes by), times
// (V4 / V4_90) ^ volume_power of its 4D volume (the space scales times the time scale, normalised as
// significance() does). Short-lived, small, little-seen Gaussians rank last. [N]
std::vector<float> spatiotemporal_score(const GaussianCloud& cloud, std::span<const float> weights,
                                        std::span<const float> times, float span, float volume_power = 0.1f);

// 1 for the Gaussians that stay when the `fraction` (in [0, 1]) with the lowest scores goes; ties go in
// index order. Returns how many stay.
std::size_t keep_highest(std::span<const float> scores, double fraction, std::vector<std::uint8_t>& keep);

// Lowers the SH degree to `degree`, fitting each Gaussian's lower-degree colour to its full-degree colour
// over the directions it is seen from at `eyes` (least squares, with a small pull towards the truncated
// coefficients so directions nobody sees stay put). Without eyes this is the truncation, which is the
// least-squares fit over the whole sphere. Time-varying colour terms are truncated. Does nothing when
// the cloud's degree is not above `degree`.
void distill_sh(GaussianCloud& cloud, int degree, std::span<const glm::vec3> eyes);

// Views around a cloud (its 1st-99th percentile box) for scoring without a dataset: `count` views of
// `size` pixels (core/camera.h cameras_around).
std::vector<Camera> views_around(const GaussianCloud& cloud, int count, int size);

// 4DGS-1K's active masks. The time span is cut at key frames every `key_interval`; the set of a segment
// between two key frames holds the Gaussians whose temporal marginal reaches `cutoff` somewhere in the
// segment, which is every Gaussian a frame in it can draw: rendering a time with its segment's set gives
// the same image as rendering them all, with the rasterizer looking at that set only.
class ActiveMasks {
public:
    ActiveMasks() = default;
    // Throws InputError for a 3D cloud, an empty or non-finite span, or key_interval <= 0.
    ActiveMasks(const GaussianCloud& cloud, float start, float end, float key_interval, float cutoff);

    // 4DGS-1K's masks proper: narrows each segment's set to the Gaussians that some view at a time inside
    // the segment draws (a blend weight above zero). Faster, but no longer exact for views unlike the
    // given ones (measure held-out views with the masks). Segments no view falls in keep their sets.
    // Returns how many segments were narrowed.
    std::size_t keep_seen(const GaussianCloud& cloud, std::span<const ScoringView> views);

    // The set for `time` (indices in increasing order); empty outside the span, for no masks, or when no
    // Gaussian is active there (RenderSettings::active: empty means every Gaussian).
    std::span<const std::uint32_t> at(float time) const;
    std::size_t segments() const { return m_sets.size(); }
    float cutoff() const { return m_cutoff; }
    float key_interval() const { return m_step; }
    // The mean set size over the segments, as a fraction of the cloud.
    double mean_fraction() const;
    std::size_t memory_bytes() const;

private:
    float m_start = 0, m_end = 0, m_step = 1, m_cutoff = 0;
    std::size_t m_gaussians = 0;
    std::vector<std::vector<std::uint32_t>> m_sets;
};

// Key frames every 6 frames (4DGS-1K's sparse key frames), and the frame length when nothing says it:
// a 300-frame video over the span (Neural 3D Video's length).
inline constexpr int kKeyFrameInterval = 6;
inline constexpr int kAssumedFrames = 300;

}  // namespace glint::splatting
