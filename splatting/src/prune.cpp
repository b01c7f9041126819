#include "glint/splatting/prune.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/splatting/raster/gradients.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_stats.h"
#include "glint/splatting/temporal_hierarchy.h"

namespace glint::splatting {
namespace {

// (volume / V90) ^ power, V90 the volume 90% of the entries exceed (LightGaussian's normalisation).
std::vector<float> volume_factor(std::vector<double> volume, float power) {
    std::vector<float> factor(volume.size(), 1.0f);
    if (volume.empty()) return factor;
    std::vector<double> sorted = volume;
    const std::size_t k = static_cast<std::size_t>(0.1 * static_cast<double>(sorted.size()));
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
    const double v90 = std::max(sorted[k], 1e-300);
    for (std::size_t i = 0; i < volume.size(); ++i)
        factor[i] =
            static_cast<float>(std::pow(std::max(volume[i], 1e-300) / v90, static_cast<double>(power)));
    return factor;
}

// Solves the symmetric positive definite k x k system a x = b in place (Cholesky), for several right-hand
// sides (columns of b, `columns` of them, row-major [k, columns]). False when a is not positive definite.
bool solve_spd(double* a, int k, double* b, int columns) {
    for (int j = 0; j < k; ++j) {
        double d = a[j * k + j];
        for (int p = 0; p < j; ++p) d -= a[j * k + p] * a[j * k + p];
        if (!(d > 0.0)) return false;
        d = std::sqrt(d);
        a[j * k + j] = d;
        for (int i = j + 1; i < k; ++i) {
            double v = a[i * k + j];
            for (int p = 0; p < j; ++p) v -= a[i * k + p] * a[j * k + p];
            a[i * k + j] = v / d;
        }
    }
    for (int c = 0; c < columns; ++c) {
        for (int i = 0; i < k; ++i) {  // L y = b
            double v = b[i * columns + c];
            for (int p = 0; p < i; ++p) v -= a[i * k + p] * b[p * columns + c];
            b[i * columns + c] = v / a[i * k + i];
        }
        for (int i = k - 1; i >= 0; --i) {  // L^T x = y
            double v = b[i * columns + c];
            for (int p = i + 1; p < k; ++p) v -= a[p * k + i] * b[p * columns + c];
            b[i * columns + c] = v / a[i * k + i];
        }
    }
    return true;
}

}  // namespace

std::optional<std::vector<float>> blend_weights(const GaussianCloud& cloud,
                                                std::span<const ScoringView> views,
                                                const ScoringProgress& progress) {
    std::vector<float> weights(cloud.size(), 0.0f);
    const std::unique_ptr<Rasterizer> rasterizer = create_rasterizer(Backend::Cpu);
    RenderOutput frame;
    RenderSettings settings;
    settings.depth_and_counts = false;
    settings.contributions = weights.data();
    for (std::size_t v = 0; v < views.size(); ++v) {
        settings.time = views[v].time;
        rasterizer->render(cloud, views[v].camera, settings, frame);
        if (progress && !progress(v + 1, views.size())) return std::nullopt;
    }
    return weights;
}

std::vector<float> significance(const GaussianCloud& cloud, std::span<const float> weights,
                                float volume_power) {
    GLINT_CHECK(weights.size() == cloud.size(), "significance: one weight per Gaussian");
    std::vector<double> volume(cloud.size());
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const float* s = cloud.log_scales().data() + 3 * i;
        volume[i] = std::exp(static_cast<double>(s[0]) + s[1] + s[2]);
    }
    std::vector<float> score = volume_factor(std::move(volume), volume_power);
    for (std::size_t i = 0; i < score.size(); ++i) score[i] *= weights[i];
    return score;
}

std::vector<float> spatiotemporal_score(const GaussianCloud& cloud, std::span<const float> weights,
                                        std::span<const float> times, float span, float volume_power) {
    GLINT_CHECK(cloud.is_4d(), "spatiotemporal_score: a 4D cloud");
    GLINT_CHECK(weights.size() == cloud.size(), "spatiotemporal_score: one weight per Gaussian");
    GLINT_CHECK(span > 0.0f && !times.empty(), "spatiotemporal_score: times over a positive span");
    const std::size_t n = cloud.size();
    std::vector<double> volume(n);
    std::vector<float> temporal(n, 1.0f);
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        const float* s = cloud.log_scales().data() + 3 * i;
        volume[i] = std::exp(static_cast<double>(s[0]) + s[1] + s[2] + cloud.log_time_scales()[i]);
        // In units of the span: sigma^2 and the distance to the time mean.
        const double variance =
            static_cast<double>(time_variance(cloud, i)) / (static_cast<double>(span) * span);
        if (!(variance > 0.0)) return;
        double sum = 0.0;
        for (const float t : times) {
            const double d = (static_cast<double>(t) - cloud.time_means()[i]) / span;
            const double p = std::exp(-0.5 * d * d / variance);
            const double second = p * (d * d / (variance * variance) - 1.0 / variance);
            sum += 1.0 / (0.5 * std::tanh(std::fabs(second)) + 0.5);
        }
        temporal[i] = static_cast<float>(sum / static_cast<double>(times.size()));
    });
    std::vector<float> score = volume_factor(std::move(volume), volume_power);
    for (std::size_t i = 0; i < n; ++i) score[i] *= weights[i] * temporal[i];
    return score;
}

std::size_t keep_highest(std::span<const float> scores, double fraction, std::vector<std::uint8_t>& keep) {
    if (!(fraction >= 0.0 && fraction <= 1.0))
        throw InputError(cat("a pruned fraction of ", fraction, " is not in [0, 1]"));
    const std::size_t n = scores.size();
    const std::size_t removed =
        std::min(n, static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n))));
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    // Lowest score first, ties by index.
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(removed), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) {
                         return scores[a] < scores[b] || (scores[a] == scores[b] && a < b);
                     });
    keep.assign(n, 1);
    for (std::size_t k = 0; k < removed; ++k) keep[order[k]] = 0;
    return n - removed;
}

void distill_sh(GaussianCloud& cloud, int degree, std::span<const glm::vec3> eyes) {
    if (degree < 0 || degree > kMaxShDegree)
        throw InputError(cat("SH degree ", degree, " is not in [0, ", kMaxShDegree, "]"));
    const int from = cloud.sh_degree();
    if (from <= degree) return;
    const int k = sh_coefficient_count(degree), full = sh_coefficient_count(from);
    const std::size_t rest_from = static_cast<std::size_t>(full - 1) * 3,
                      rest_to = static_cast<std::size_t>(k - 1) * 3;
    std::vector<float> dc(cloud.sh_dc().begin(), cloud.sh_dc().end());
    std::vector<float> rest(cloud.size() * rest_to, 0.0f);
    const std::span<const float> old_rest = std::as_const(cloud).sh_rest();
    // Truncation first (also the answer without eyes).
    for (std::size_t i = 0; i < cloud.size(); ++i)
        std::copy_n(old_rest.begin() + static_cast<std::ptrdiff_t>(i * rest_from), rest_to,
                    rest.begin() + static_cast<std::ptrdiff_t>(i * rest_to));
    if (!eyes.empty()) {
        const std::span<const float> positions = std::as_const(cloud).positions();
        // The pull towards the truncation, relative to the number of directions.
        const double ridge = 1e-3 * static_cast<double>(eyes.size());
        tbb::parallel_for(std::size_t{0}, cloud.size(), [&](std::size_t i) {
            double a[16 * 16] = {}, b[16 * 3] = {};
            const float* old = old_rest.data() + i * rest_from;
            const glm::vec3 mean(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]);
            for (const glm::vec3& eye : eyes) {
                glm::vec3 dir = mean - eye;
                const float length = glm::length(dir);
                if (!(length > 0.0f)) continue;
                dir /= length;
                const double d[3] = {dir.x, dir.y, dir.z};
                double basis[16];
                basis[0] = raster::kSh0;
                raster::sh_basis<double>(from, d, basis + 1);
                // The full-degree expansion (DC included) along this direction: the target.
                double target[3] = {};
                for (int c = 0; c < 3; ++c) {
                    target[c] = basis[0] * dc[3 * i + c];
                    for (int j = 1; j < full; ++j) target[c] += basis[j] * old[3 * (j - 1) + c];
                }
                for (int r = 0; r < k; ++r) {
                    for (int s = 0; s < k; ++s) a[r * k + s] += basis[r] * basis[s];
                    for (int c = 0; c < 3; ++c) b[r * 3 + c] += basis[r] * target[c];
                }
            }
            for (int r = 0; r < k; ++r) {
                a[r * k + r] += ridge;
                for (int c = 0; c < 3; ++c)
                    b[r * 3 + c] += ridge * (r == 0 ? dc[3 * i + c] : old[3 * (r - 1) + c]);
            }
            if (!solve_spd(a, k, b, 3)) return;  // keep the truncation
            for (int c = 0; c < 3; ++c) {
                dc[3 * i + c] = static_cast<float>(b[c]);
                for (int r = 1; r < k; ++r)
                    rest[i * rest_to + 3 * (r - 1) + c] = static_cast<float>(b[r * 3 + c]);
            }
        });
    }
    cloud.set_sh_degree(degree);
    std::copy(dc.begin(), dc.end(), cloud.sh_dc().begin());
    std::copy(rest.begin(), rest.end(), cloud.sh_rest().begin());
}

std::vector<Camera> views_around(const GaussianCloud& cloud, int count, int size) {
    if (cloud.empty()) throw InputError("views around an empty scene");
    const SceneStats stats = compute_stats(cloud);
    const glm::vec3 lo(stats.robust_min[0], stats.robust_min[1], stats.robust_min[2]);
    const glm::vec3 hi(stats.robust_max[0], stats.robust_max[1], stats.robust_max[2]);
    return cameras_around(0.5f * (lo + hi), 0.5f * glm::length(hi - lo), count, size);
}

ActiveMasks::ActiveMasks(const GaussianCloud& cloud, float start, float end, float key_interval, float cutoff)
    : m_start(start), m_end(end), m_step(key_interval), m_cutoff(cutoff), m_gaussians(cloud.size()) {
    if (!cloud.is_4d()) throw InputError("active masks are for 4D scenes");
    if (!(std::isfinite(start) && std::isfinite(end) && end > start))
        throw InputError(cat("active masks need a time span; [", start, ", ", end, "] is not one"));
    if (!(key_interval > 0.0f && std::isfinite(key_interval)))
        throw InputError(cat("the key-frame interval ", key_interval, " is not positive"));
    if (!(cutoff > 0.0f && cutoff < 1.0f))
        throw InputError(cat("the temporal cut-off ", cutoff, " is not in (0, 1)"));
    const auto segments =
        static_cast<std::size_t>(std::max(1.0, std::ceil(static_cast<double>(end - start) / key_interval)));
    m_sets.resize(segments);
    // A Gaussian's marginal exp(-dt^2 / (2 var)) reaches the cut-off while |dt| <= sqrt(-2 var ln(cutoff)):
    // one run of segments, widened by a thousandth so rounding never drops a Gaussian a frame would draw.
    const double reach_factor = std::sqrt(-2.0 * std::log(static_cast<double>(cutoff))) * 1.001;
    std::vector<std::int64_t> first(cloud.size()), last(cloud.size());
    tbb::parallel_for(std::size_t{0}, cloud.size(), [&](std::size_t i) {
        const float variance = time_variance(cloud, i);
        first[i] = 0;
        last[i] = -1;
        if (!(variance > 0.0f) || !std::isfinite(variance)) return;  // never drawn
        const double reach = reach_factor * std::sqrt(static_cast<double>(variance));
        const double mean = cloud.time_means()[i];
        const double lo = (mean - reach - start) / key_interval, hi = (mean + reach - start) / key_interval;
        const auto top = static_cast<double>(segments - 1);
        if (hi < 0.0 || lo > top + 1.0) return;
        first[i] = static_cast<std::int64_t>(std::clamp(std::floor(lo), 0.0, top));
        last[i] = static_cast<std::int64_t>(std::clamp(std::floor(hi), 0.0, top));
    });
    std::vector<std::size_t> counts(segments, 0);
    for (std::size_t i = 0; i < cloud.size(); ++i)
        for (std::int64_t s = first[i]; s <= last[i]; ++s) ++counts[static_cast<std::size_t>(s)];
    for (std::size_t s = 0; s < segments; ++s) m_sets[s].reserve(counts[s]);
    for (std::size_t i = 0; i < cloud.size(); ++i)
        for (std::int64_t s = first[i]; s <= last[i]; ++s)
            m_sets[static_cast<std::size_t>(s)].push_back(static_cast<std::uint32_t>(i));
}

std::size_t ActiveMasks::keep_seen(const GaussianCloud& cloud, std::span<const ScoringView> views) {
    GLINT_CHECK(cloud.size() == m_gaussians, "keep_seen: the cloud the masks were made for");
    std::vector<std::vector<ScoringView>> by_segment(m_sets.size());
    for (const ScoringView& view : views) {
        if (!(view.time >= m_start && view.time <= m_end)) continue;
        const auto s = std::min(static_cast<std::size_t>((static_cast<double>(view.time) - m_start) / m_step),
                                m_sets.size() - 1);
        by_segment[s].push_back(view);
    }
    std::size_t narrowed = 0;
    for (std::size_t s = 0; s < m_sets.size(); ++s) {
        if (by_segment[s].empty()) continue;
        const std::vector<float> weights = *blend_weights(cloud, by_segment[s]);
        std::erase_if(m_sets[s], [&](std::uint32_t i) { return !(weights[i] > 0.0f); });
        ++narrowed;
    }
    return narrowed;
}

std::span<const std::uint32_t> ActiveMasks::at(float time) const {
    if (m_sets.empty() || !(time >= m_start && time <= m_end)) return {};
    const auto s =
        std::min(static_cast<std::size_t>((static_cast<double>(time) - m_start) / m_step), m_sets.size() - 1);
    return m_sets[s];
}

double ActiveMasks::mean_fraction() const {
    if (m_sets.empty() || m_gaussians == 0) return 1.0;
    double sum = 0.0;
    for (const auto& set : m_sets) sum += static_cast<double>(set.size());
    return sum / static_cast<double>(m_sets.size()) / static_cast<double>(m_gaussians);
}

std::size_t ActiveMasks::memory_bytes() const {
    std::size_t bytes = 0;
    for (const auto& set : m_sets) bytes += set.size() * sizeof(std::uint32_t);
    return bytes;
}

}  // namespace glint::splatting
