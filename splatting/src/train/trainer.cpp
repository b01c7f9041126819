// The Gaussian-splatting trainer.
#include "glint/splatting/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>

#include <tbb/parallel_for.h>
#include <glm/gtc/constants.hpp>

#include "glint/core/adam.h"
#include "glint/core/error.h"
#include "glint/core/image_loss.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"
#include "glint/splatting/selection.h"
#include "train_random.h"

namespace glint::splatting {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Mean squared distance to the three nearest other points, through a uniform grid (the reference uses
// a k-d tree); points with fewer than three neighbours in the 27 cells around them get the cell size.
std::vector<float> mean_knn_distance2(const std::vector<float>& positions) {
    const std::size_t n = positions.size() / 3;
    glm::vec3 lo(1e30f), hi(-1e30f);
    for (std::size_t i = 0; i < n; ++i)
        for (int k = 0; k < 3; ++k) {
            lo[k] = std::min(lo[k], positions[3 * i + k]);
            hi[k] = std::max(hi[k], positions[3 * i + k]);
        }
    const glm::vec3 size = glm::max(hi - lo, glm::vec3(1e-6f));
    // About two points per cell on average.
    const float cell =
        std::cbrt(size.x * size.y * size.z * 2.0f / static_cast<float>(std::max<std::size_t>(n, 1)));
    const auto key = [&](int x, int y, int z) {
        return (static_cast<std::int64_t>(x) * 73856093) ^ (static_cast<std::int64_t>(y) * 19349663) ^
               (static_cast<std::int64_t>(z) * 83492791);
    };
    std::unordered_multimap<std::int64_t, std::uint32_t> grid;
    const auto cell_of = [&](std::size_t i, int axis) {
        return static_cast<int>(std::floor((positions[3 * i + axis] - lo[axis]) / cell));
    };
    for (std::size_t i = 0; i < n; ++i) grid.emplace(key(cell_of(i, 0), cell_of(i, 1), cell_of(i, 2)), i);
    std::vector<float> result(n);
    for (std::size_t i = 0; i < n; ++i) {
        float best[3] = {1e30f, 1e30f, 1e30f};
        const int cx = cell_of(i, 0), cy = cell_of(i, 1), cz = cell_of(i, 2);
        for (int dx = -1; dx <= 1; ++dx)
            for (int dy = -1; dy <= 1; ++dy)
                for (int dz = -1; dz <= 1; ++dz) {
                    const auto [first, last] = grid.equal_range(key(cx + dx, cy + dy, cz + dz));
                    for (auto it = first; it != last; ++it) {
                        const std::size_t j = it->second;
                        if (j == i) continue;
                        float d2 = 0;
                        for (int k = 0; k < 3; ++k) {
                            const float d = positions[3 * i + k] - positions[3 * j + k];
                            d2 += d * d;
                        }
                        if (d2 < best[2]) {
                            best[2] = d2;
                            std::sort(best, best + 3);
                        }
                    }
                }
        float sum = 0;
        for (const float b : best) sum += b < 1e29f ? b : cell * cell;
        result[i] = std::max(sum / 3.0f, 1e-14f);
    }
    return result;
}

// With appearance, how strongly each step's colour correction is held, as ridges of these times the
// pixel count on the gains' distance from the photo's exposure (fit_colour_correction) and on the bias.
// Exposure and white balance are gains: the gain's ridge is small against an image's colour variance, so
// a rendered picture gets the gains its photo asks for, and large against a start's nearly flat render,
// whose plain fit would have a gain near 0 and pass the Gaussians no gradient. A free bias would absorb a
// translucent veil in front of the scene (an affine change of every pixel), so the Gaussians could grow
// one at no cost: its ridge is strong. (With both at 0.01, FlightHelmet with exposure changes grew a grey
// veil over its white background: 31.6 dB held out; with these, 34.0 dB and a clean background.)
constexpr double kGainRidge = 1e-3, kBiasRidge = 1.0;

// out = gain * render + bias per channel (out may be render).
void apply_correction(const std::array<float, 6>& c, std::span<const float> render, std::span<float> out) {
    for (std::size_t p = 0; p < render.size() / 3; ++p)
        for (int k = 0; k < 3; ++k) out[3 * p + k] = c[k] * render[3 * p + k] + c[3 + k];
}

}  // namespace

std::array<float, 6> fit_colour_correction(std::span<const float> render, std::span<const float> target,
                                           std::span<const float> mask, double gain_ridge,
                                           double bias_ridge) {
    std::array<float, 6> c{1, 1, 1, 0, 0, 0};
    const std::size_t n = render.size() / 3;
    double sw = 0, sx[3] = {}, sy[3] = {}, sxx[3] = {}, sxy[3] = {};
    for (std::size_t p = 0; p < n; ++p) {
        const double w = mask.empty() ? 1.0 : mask[p];
        sw += w;
        for (int k = 0; k < 3; ++k) {
            const double x = render[3 * p + k], y = target[3 * p + k];
            sx[k] += w * x, sy[k] += w * y, sxx[k] += w * x * x, sxy[k] += w * x * y;
        }
    }
    if (!(sw > 0.0)) return c;
    // The gains are pulled toward the photo's overall brightness over the render's, the same for the three
    // channels: toward an exposure, not toward 1. A pull toward 1 would favour a scene whose colours are
    // the photos' average, which against a fixed background colour means a veil over it (seen: a tinted
    // veil grown late in 7,000-iteration runs while the gains made up for it); a pull toward the grey
    // ratio leaves the scene's brightness to the data and holds its tint.
    const double rendered = sx[0] + sx[1] + sx[2], photographed = sy[0] + sy[1] + sy[2];
    const double exposure = rendered > 1e-12 ? std::clamp(photographed / rendered, 0.1, 10.0) : 1.0;
    for (int k = 0; k < 3; ++k) {
        // Minimising sum w (g x + b - y)^2 + sw (gain_ridge (g - exposure)^2 + bias_ridge b^2).
        const double pg = gain_ridge * sw, total = sw + bias_ridge * sw;
        const double var = sxx[k] - sx[k] * sx[k] / total + pg;
        const double gain = var > 1e-12 ? (sxy[k] - sx[k] * sy[k] / total + pg * exposure) / var : 1.0;
        c[k] = static_cast<float>(gain);
        c[3 + k] = static_cast<float>((sy[k] - gain * sx[k]) / total);
    }
    return c;
}

void add_densification_statistics(const CloudGradients& step, std::span<float> sums, std::span<float> views) {
    GLINT_CHECK(step.mean2d_norm.size() == sums.size() && step.visible.size() == sums.size() &&
                    views.size() == sums.size(),
                "densification statistics: sizes differ");
    // Counting only the views that gave a gradient (as glint did before) made a Gaussian hidden behind
    // the surface in most views as urgent as one on it: 5-42% more Gaussians on the quality matrix's ADC
    // rows.
    for (std::size_t i = 0; i < sums.size(); ++i)
        if (step.visible[i] > 0.0f) {
            sums[i] += step.mean2d_norm[i];
            views[i] += 1.0f;
        }
}

void fit_schedule(TrainOptions& options, int iterations, std::size_t views) {
    constexpr int kReferenceIterations = 30000;
    options.iterations = iterations;
    options.position_decay_iterations = iterations;
    if (iterations >= kReferenceIterations) return;
    const double r = static_cast<double>(iterations) / kReferenceIterations;
    const auto scaled = [r](int value, int floor) {
        return std::max(floor, static_cast<int>(std::lround(value * r)));
    };
    const std::size_t batch = static_cast<std::size_t>(std::max(options.batch_views, 1));
    const std::size_t epoch = (std::max<std::size_t>(views, 1) + batch - 1) / batch;  // steps
    const int round_floor = static_cast<int>(std::min<std::size_t>(epoch, 100));
    options.densify_interval = scaled(options.densify_interval, round_floor);
    options.densify_from = scaled(options.densify_from, options.densify_interval);
    options.densify_until = scaled(options.densify_until, 2 * options.densify_interval);
    options.opacity_reset_interval = scaled(options.opacity_reset_interval, 3 * options.densify_interval);
    options.sh_interval = scaled(options.sh_interval, 1);
    // MCMC relocates until 25,000 of 30,000 iterations (its paper's schedule).
    if (options.densify == TrainOptions::Densify::Mcmc)
        options.densify_until = scaled(25000, 2 * options.densify_interval);
}

namespace {

// The random initial Gaussians' positions and colours (TrainOptions::random_layout).
void random_points(const Dataset& dataset, const TrainOptions& options, std::uint64_t& random,
                   std::vector<float>& positions, std::vector<float>& colors) {
    const bool box = options.random_layout == TrainOptions::Layout::Box ||
                     (options.random_layout == TrainOptions::Layout::Auto && dataset.surrounds_centre);
    const float extent = dataset.camera_extent;
    const auto add = [&](glm::vec3 p) {
        for (int k = 0; k < 3; ++k) positions.push_back(p[k]);
        for (int k = 0; k < 3; ++k) colors.push_back(uniform(random));
    };
    if (box) {
        const float half = options.random_extent * extent;
        for (std::size_t i = 0; i < options.random_count; ++i)
            add(dataset.look_at_centre + half * glm::vec3(2.0f * uniform(random) - 1.0f,
                                                          2.0f * uniform(random) - 1.0f,
                                                          2.0f * uniform(random) - 1.0f));
        log::info("initialising ", options.random_count, " random Gaussians in a cube of half side ", half,
                  " around the point the cameras look at");
        return;
    }
    // Through a random pixel of a random training view, at a depth uniform in [0.2, 5] extents; a tenth on
    // a sphere of 10 extents around the cameras, for what lies beyond (sky, far buildings).
    const std::size_t background = options.random_count / 10;
    for (std::size_t i = 0; i + background < options.random_count; ++i) {
        const Camera& c = dataset.train[next_random(random) % dataset.train.size()].camera;
        const glm::vec3 ray((uniform(random) * static_cast<float>(c.width) - c.cx) / c.fx,
                            (uniform(random) * static_cast<float>(c.height) - c.cy) / c.fy, 1.0f);
        const float depth = extent * (0.2f + 4.8f * uniform(random));
        add(c.position() + glm::transpose(c.rotation) * (depth * ray));
    }
    for (std::size_t i = 0; i < background; ++i) {
        const float z = 2.0f * uniform(random) - 1.0f, phi = glm::two_pi<float>() * uniform(random);
        const float r = std::sqrt(std::max(0.0f, 1.0f - z * z));
        add(dataset.camera_centre + 10.0f * extent * glm::vec3(r * std::cos(phi), r * std::sin(phi), z));
    }
    log::info(
        "initialising ", options.random_count - background,
        " random Gaussians in the training views' frustums ", "(depths ", 0.2f * extent, " to ",
        5.0f * extent, ") and ", background, " on a background sphere of radius ", 10.0f * extent,
        options.random_layout == TrainOptions::Layout::Auto ? ": the cameras do not surround a centre" : "");
}

}  // namespace

Trainer::Trainer(const Dataset& dataset, const TrainOptions& options)
    : Trainer(dataset, options, std::optional<GaussianCloud>{}) {}

Trainer::Trainer(const Dataset& dataset, const TrainOptions& options, GaussianCloud start)
    : Trainer(dataset, options, std::optional<GaussianCloud>(std::move(start))) {}

Trainer::Trainer(const Dataset& dataset, const TrainOptions& given, std::optional<GaussianCloud> start)
    : m_dataset(dataset), m_options(given), m_random(given.seed) {
    if (start) {
        if (start->empty()) throw InputError("fine-tuning needs a scene with Gaussians");
        m_options.sh_degree = start->sh_degree();
        m_options.temporal = start->is_4d();
        m_options.time_color_degree = start->time_color_degree();
    }
    const TrainOptions& options = m_options;
    if (dataset.train.empty()) throw InputError("the dataset has no training views");
    if (options.iterations < 1) throw InputError("the number of iterations must be positive");
    if (options.batch_views < 1) throw InputError("a step needs at least one view (batch of views < 1)");
    if (options.sh_degree < 0 || options.sh_degree > 3) throw InputError("the SH degree must be in [0, 3]");
    if (options.time_color_degree < 0 || options.time_color_degree > kMaxTimeColorDegree)
        throw InputError(cat("the time-varying colour degree must be in [0, ", kMaxTimeColorDegree, "]"));
    if (options.time_color_degree > 0 && !options.temporal)
        throw InputError("time-varying colour needs 4D Gaussians");
    m_rasterizer = create_rasterizer(options.backend);
    const auto [first_time, last_time] =
        std::minmax_element(dataset.train.begin(), dataset.train.end(),
                            [](const DatasetView& a, const DatasetView& b) { return a.time < b.time; });
    m_time_start = first_time->time;
    m_time_span = last_time->time - first_time->time;
    if (options.temporal && !(m_time_span > 0.0f))
        log::warn(dataset.root.string(), ": every training view has the same time (", m_time_start,
                  "): 4D Gaussians will learn a still scene");

    // --- initial Gaussians --------------------------------------------------------------------------------
    if (start) {
        m_cloud = std::move(*start);
        m_active_sh = m_cloud.sh_degree();
        log::info("continuing from ", m_cloud.size(), " Gaussians");
    } else {
        initialise_cloud();
    }
    const std::size_t n = m_cloud.size();
    // The dataset's up travels with the scene (PLY "glint up" line), so viewers open it upright.
    std::vector<Camera> cameras;
    for (const DatasetView& view : dataset.train) cameras.push_back(view.camera);
    const std::optional<glm::vec3> up = mean_camera_up(cameras);
    if (up && !m_cloud.up()) m_cloud.set_up(std::array<float, 3>{up->x, up->y, up->z});
    m_state.grad_sums.assign(n, 0.0f);
    m_state.grad_views.assign(n, 0.0f);
    m_train_images.resize(dataset.train.size());
    m_train_moments.resize(dataset.train.size());
    m_test_images.resize(dataset.test.size());
    initialise_background();
    if (options.random_background && image(0, false).alpha.empty())
        log::warn(dataset.train.front().image.string(),
                  ": random backgrounds need images with alpha; this dataset has none, so they are not used");
    // A backend that keeps training state beside its resident scene (CUDA) runs Adam and sums the
    // densification statistic there. MCMC (noise and regularisers on the host every step), batches and
    // ranks (gradients summed on the host) keep the host path.
    if (options.densify == TrainOptions::Densify::Adc && options.batch_views == 1 &&
        options.collective == nullptr)
        m_resident = m_rasterizer->resident_training();
    push_state();
}

const GaussianCloud& Trainer::cloud() const {
    pull_state();
    return m_cloud;
}

void Trainer::pull_state() const {
    if (!m_device_ahead) return;
    m_resident->download(m_cloud, m_state);
    m_device_ahead = false;
}

void Trainer::push_state() {
    if (m_resident == nullptr) return;
    m_resident->upload(m_cloud, m_state);
    m_device_ahead = false;
}

void Trainer::initialise_cloud() {
    const Dataset& dataset = m_dataset;
    const TrainOptions& options = m_options;
    std::vector<float> positions, colors;
    const bool colmap = dataset.kind.starts_with("COLMAP");
    using Init = TrainOptions::Init;
    if ((options.init == Init::Points || (options.init == Init::Auto && colmap)) &&
        dataset.points.size() == 0)
        throw InputError(cat(dataset.root.string(),
                             ": the dataset has no sparse points (empty or missing points3D) ",
                             "to start from; use a random initialisation (glint train --init random)"));
    if (options.init != Init::Random && dataset.points.size() > 0) {
        positions = dataset.points.positions;
        colors = dataset.points.colors;
        log::info("initialising from ", dataset.points.size(), " sparse points");
    } else {
        if (options.random_count == 0)
            throw InputError("no sparse points and a random initialisation of 0 Gaussians");
        random_points(dataset, options, m_random, positions, colors);
    }
    if (positions.size() / 3 > options.max_gaussians) {
        // Over the budget from the start: a random subset (deterministic for the seed), in point order.
        const std::size_t count = positions.size() / 3;
        std::vector<std::uint32_t> rows(count);
        std::iota(rows.begin(), rows.end(), 0u);
        for (std::size_t i = 0; i < options.max_gaussians; ++i)
            std::swap(rows[i], rows[i + next_random(m_random) % (count - i)]);
        rows.resize(options.max_gaussians);
        std::sort(rows.begin(), rows.end());
        std::vector<float> kept_positions(3 * rows.size()), kept_colors(3 * rows.size());
        gather_rows(positions, kept_positions, 3, rows);
        gather_rows(colors, kept_colors, 3, rows);
        positions.swap(kept_positions);
        colors.swap(kept_colors);
        log::info("keeping ", options.max_gaussians, " of the ", count, " initial points (--max-gaussians)");
    }
    const std::size_t n = positions.size() / 3;
    const std::vector<float> knn = mean_knn_distance2(positions);
    const bool mcmc = options.densify == TrainOptions::Densify::Mcmc;
    m_cloud.resize(n, options.sh_degree, options.temporal, options.time_color_degree);
    std::copy(positions.begin(), positions.end(), m_cloud.positions().begin());
    if (options.temporal) {
        // The reference's start: times uniform over the span widened by a tenth each side, one time
        // scale of sqrt(1/5) of the span, no rotation in the time planes.
        const float span = m_time_span > 0.0f ? m_time_span : 1.0f;
        m_cloud.set_time_period(span);
        m_cloud.set_time_range(std::array<float, 2>{m_time_start, m_time_start + m_time_span});
        const float log_time_scale = std::log(span * std::sqrt(0.2f));
        for (std::size_t i = 0; i < n; ++i) {
            m_cloud.time_means()[i] = m_time_start + (1.2f * uniform(m_random) - 0.1f) * m_time_span;
            m_cloud.log_time_scales()[i] = log_time_scale;
            m_cloud.rotations_right()[4 * i] = 1.0f;
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        // The log of the RMS neighbour distance (MCMC: a tenth of it, the paper's start).
        const float log_scale = 0.5f * std::log(knn[i]) + (mcmc ? std::log(options.mcmc_init_scale) : 0.0f);
        for (int k = 0; k < 3; ++k) {
            m_cloud.log_scales()[3 * i + k] = log_scale;
            m_cloud.sh_dc()[3 * i + k] = (colors[3 * i + k] - 0.5f) / raster::kSh0;
        }
        m_cloud.rotations()[4 * i] = 1.0f;
        m_cloud.opacity_logits()[i] = logit(mcmc ? options.mcmc_init_opacity : 0.1f);
    }
}

Trainer::~Trainer() = default;

const ImageRgb& Trainer::image(std::size_t view, bool test) {
    auto& slot = test ? m_test_images[view] : m_train_images[view];
    if (!slot)
        slot = std::make_unique<ImageRgb>(
            m_dataset.load_image(test ? m_dataset.test[view] : m_dataset.train[view]));
    return *slot;
}

const SsimMoments<float>* Trainer::moments(std::size_t view) {
    // Six floats per pixel (three times the image): for small and medium datasets all of them fit.
    constexpr std::size_t kMomentsBudget = std::size_t{512} << 20;
    auto& slot = m_train_moments[view];
    if (!slot) {
        const ImageRgb& target = image(view, false);
        const std::size_t bytes = 2 * target.rgb.size() * sizeof(float);
        if (m_moments_bytes + bytes > kMomentsBudget) return nullptr;
        m_moments_bytes += bytes;
        slot = std::make_unique<SsimMoments<float>>(
            ssim_moments<float>(target.rgb, target.width, target.height));
    }
    return slot.get();
}

void Trainer::adam(std::span<float> values, std::span<const float> grad, OptimizerState::Moments& moments,
                   float lr) {
    moments.m.resize(values.size(), 0.0f);
    moments.v.resize(values.size(), 0.0f);
    adam_step(values, grad, moments.m, moments.v, lr, m_iteration, AdamSettings{});  // the reference's
}

void Trainer::optimize(float lr_position) {
    const TrainOptions& o = m_options;
    const float lr_time_mean = o.lr_time_mean * (m_time_span > 0.0f ? m_time_span : 1.0f);
    const std::array<float, kParameterGroups> rates = {
        lr_position,  o.lr_scale,   o.lr_rotation, o.lr_opacity,  o.lr_sh_dc,
        o.lr_sh_rest, lr_time_mean, o.lr_scale,    o.lr_rotation, o.lr_sh_rest};
    const std::size_t groups = m_cloud.is_4d() ? kParameterGroups : 6;
    if (m_resident != nullptr) {
        for (std::size_t g = 0; g < groups; ++g) m_resident->adam(g, rates[g], m_iteration);
        m_device_ahead = true;
        return;
    }
    GaussianCloud& c = m_cloud;
    const std::array<std::span<float>, kParameterGroups> values = {
        c.positions(), c.log_scales(), c.rotations(),       c.opacity_logits(),  c.sh_dc(),
        c.sh_rest(),   c.time_means(), c.log_time_scales(), c.rotations_right(), c.time_color()};
    const CloudGradients& d = m_grads;
    const std::array<const std::vector<float>*, kParameterGroups> grads = {
        &d.positions, &d.log_scales, &d.rotations,       &d.opacity_logits,  &d.sh_dc,
        &d.sh_rest,   &d.time_means, &d.log_time_scales, &d.rotations_right, &d.time_color};
    for (std::size_t g = 0; g < groups; ++g) adam(values[g], *grads[g], m_state.moments[g], rates[g]);
}

namespace {

// to += from, every array but the densification statistic (the batch keeps its own).
void add_gradients(const CloudGradients& from, CloudGradients& to) {
    const auto add = [](const std::vector<float>& a, std::vector<float>& b) {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, a.size(), 1 << 14), [&](const auto& range) {
            for (std::size_t i = range.begin(); i != range.end(); ++i) b[i] += a[i];
        });
    };
    add(from.positions, to.positions);
    add(from.log_scales, to.log_scales);
    add(from.rotations, to.rotations);
    add(from.opacity_logits, to.opacity_logits);
    add(from.sh_dc, to.sh_dc);
    add(from.sh_rest, to.sh_rest);
    add(from.time_means, to.time_means);
    add(from.log_time_scales, to.log_time_scales);
    add(from.rotations_right, to.rotations_right);
    add(from.time_color, to.time_color);
}

}  // namespace

void Trainer::sum_across_ranks(bool batch_statistics, std::span<double> values) {
    // One buffer of every sum, so that the ranks exchange once per step.
    std::vector<std::vector<float>*> parts = {
        &m_grads.positions,       &m_grads.log_scales,      &m_grads.rotations,   &m_grads.opacity_logits,
        &m_grads.sh_dc,           &m_grads.sh_rest,         &m_grads.mean2d_norm, &m_grads.time_means,
        &m_grads.log_time_scales, &m_grads.rotations_right, &m_grads.time_color};
    if (batch_statistics) parts.insert(parts.end(), {&m_batch_norm, &m_batch_seen});
    std::size_t total = 0;
    for (const std::vector<float>* part : parts) total += part->size();
    std::vector<float>& buffer = m_exchange;  // kept between steps: no fresh pages each step
    buffer.resize(total);
    std::size_t at = 0;
    for (const std::vector<float>* part : parts)
        at = static_cast<std::size_t>(
            std::copy(part->begin(), part->end(), buffer.begin() + static_cast<std::ptrdiff_t>(at)) -
            buffer.begin());
    m_options.collective->sum_in_rank_order(buffer);
    at = 0;
    for (std::vector<float>* part : parts) {
        std::copy_n(buffer.begin() + static_cast<std::ptrdiff_t>(at), part->size(), part->begin());
        at += part->size();
    }
    m_options.collective->sum_in_rank_order(values);
}

std::pair<double, double> Trainer::train_view(std::size_t view, float weight,
                                              const std::optional<std::array<float, 3>>& random_background,
                                              CloudGradients& grads) {
    const TrainOptions& o = m_options;
    auto start = Clock::now();
    const DatasetView& v = m_dataset.train[view];
    const ImageRgb& target = image(view, false);

    // The background: the dataset's colour, or with random backgrounds a new colour per step behind both
    // the target (composited again from its alpha) and the render.
    const std::array<float, 3> base = background();
    raster::Vec3 behind{base[0], base[1], base[2]};
    std::span<const float> target_rgb = target.rgb;
    const SsimMoments<float>* target_moments = nullptr;
    if (random_background && !target.alpha.empty()) {
        const auto [r, g, b] = *random_background;
        behind = {r, g, b};
        m_target.resize(target.rgb.size());
        const float shift[3] = {r - base[0], g - base[1], b - base[2]};
        for (std::size_t p = 0; p < target.alpha.size(); ++p)
            for (int k = 0; k < 3; ++k)
                m_target[3 * p + k] = target.rgb[3 * p + k] + (1.0f - target.alpha[p]) * shift[k];
        target_rgb = m_target;
    } else {
        target_moments = moments(view);
    }
    m_profile.load += ms_since(start);

    start = Clock::now();
    RenderSettings settings;
    settings.sh_degree = m_active_sh;
    settings.record_for_backward = true;  // backward() reuses the blend's final state
    settings.depth_and_counts = false;
    settings.background = behind;
    settings.time = v.time;
    m_rasterizer->render(m_cloud, v.camera, settings, m_out);
    m_profile.forward += ms_since(start);

    start = Clock::now();
    // With appearance, the loss sees the render through the colour correction that fits it best to this
    // photo (in closed form, fit_colour_correction): the Gaussians never see an exposure change.
    std::span<const float> rendered = m_out.color;
    std::array<float, 6> correction{1, 1, 1, 0, 0, 0};
    if (o.appearance) {
        correction = fit_colour_correction(m_out.color, target_rgb, target.mask, kGainRidge, kBiasRidge);
        m_corrected.resize(m_out.color.size());
        apply_correction(correction, m_out.color, m_corrected);
        rendered = m_corrected;
    }
    if (!target.mask.empty()) {
        // Masked pixels constrain nothing: the target takes the render's colour there (no L1 term; SSIM
        // windows see the render), and no gradient leaves them.
        if (target_rgb.data() != m_target.data()) {
            m_target.assign(target_rgb.begin(), target_rgb.end());
            target_rgb = m_target;
        }
        for (std::size_t p = 0; p < target.mask.size(); ++p) {
            const float keep = target.mask[p];
            for (int k = 0; k < 3; ++k)
                m_target[3 * p + k] = keep * m_target[3 * p + k] + (1.0f - keep) * rendered[3 * p + k];
        }
        target_moments = nullptr;  // the target changes with every render
    }
    m_v_image.resize(m_out.color.size());
    const LossValue loss = photometric_loss<float>(rendered, target_rgb, v.camera.width, v.camera.height,
                                                   o.lambda_dssim, m_v_image, m_loss_buffers, target_moments);
    for (std::size_t p = 0; p < target.mask.size(); ++p)
        for (int k = 0; k < 3; ++k) m_v_image[3 * p + k] *= target.mask[p];
    if (weight != 1.0f)
        for (float& g : m_v_image) g *= weight;
    if (o.appearance)  // the render's gradient through its correction (the fit itself is held fixed)
        for (std::size_t p = 0; p < m_out.color.size() / 3; ++p)
            for (int k = 0; k < 3; ++k) m_v_image[3 * p + k] *= correction[k];
    add_background_gradient(m_v_image, m_out.alpha);
    m_profile.loss += ms_since(start);

    start = Clock::now();
    if (m_resident != nullptr) {
        const bool statistics = m_iteration < o.densify_until;
        m_resident->backward(m_cloud, v.camera, settings, m_v_image, statistics);
    } else {
        m_rasterizer->backward(m_cloud, v.camera, settings, m_v_image, grads);
    }
    m_profile.backward += ms_since(start);
    return {loss.loss, loss.mse};
}

std::size_t Trainer::next_view() {
    // A random permutation of the training views per epoch.
    if (m_next == m_order.size()) {
        m_order.resize(m_dataset.train.size());
        std::iota(m_order.begin(), m_order.end(), std::size_t{0});
        for (std::size_t i = m_order.size(); i > 1; --i)
            std::swap(m_order[i - 1], m_order[next_random(m_random) % i]);
        m_next = 0;
    }
    return m_order[m_next++];
}

StepResult Trainer::step() {
    ++m_iteration;
    const TrainOptions& o = m_options;
    if (m_iteration % o.sh_interval == 0 && m_active_sh < m_cloud.sh_degree()) ++m_active_sh;
    const bool mcmc = o.densify == TrainOptions::Densify::Mcmc;
    const bool statistics = !mcmc && m_iteration < o.densify_until;
    if (m_resident == nullptr) m_grads.reset(m_cloud);
    const std::size_t batch = static_cast<std::size_t>(o.batch_views);
    if (batch > 1 && statistics) {
        m_batch_norm.assign(m_cloud.size(), 0.0f);
        m_batch_seen.assign(m_cloud.size(), 0.0f);
    }
    StepResult result{m_iteration, 0.0, 0.0};
    // The batch's views and random backgrounds, drawn in the same order on every rank (and as one process
    // draws them); then this rank's share of them.
    std::vector<std::pair<std::size_t, std::optional<std::array<float, 3>>>> plan(batch);
    for (auto& [view, background] : plan) {
        view = next_view();
        if (o.random_background)
            background = std::array<float, 3>{uniform(m_random), uniform(m_random), uniform(m_random)};
    }
    const int ranks = o.collective != nullptr ? o.collective->size() : 1;
    const int rank = o.collective != nullptr ? o.collective->rank() : 0;
    double values[5] = {0.0, 0.0, 0.0, 0.0, 0.0};  // the batch's summed loss, PSNR, background gradient
    // A batch's views each have a gradient of their own, added to the step's one by one: the step's
    // gradient is then the same sum in the same order whichever rank rendered which view (a view's
    // backward pass writing into a running sum would fuse its products with the sum: other bits).
    CloudGradients& grads = batch > 1 ? m_view_grads : m_grads;
    for (std::size_t b = 0; b < batch; ++b) {
        if (static_cast<int>(b % static_cast<std::size_t>(ranks)) != rank) continue;
        if (batch > 1) m_view_grads.reset(m_cloud);
        const auto [loss, mse] =
            train_view(plan[b].first, 1.0f / static_cast<float>(batch), plan[b].second, grads);
        values[0] += loss;
        values[1] += psnr_from_mse(mse);
        if (batch == 1) continue;
        add_gradients(m_view_grads, m_grads);
        if (statistics) {
            // Densification statistics per view: the batch's mean screen-space gradient over the views
            // that drew each Gaussian (the reference's batched statistic).
            for (std::size_t i = 0; i < m_cloud.size(); ++i)
                if (m_view_grads.visible[i] > 0.0f) {
                    m_batch_norm[i] += m_view_grads.mean2d_norm[i] * static_cast<float>(batch);
                    m_batch_seen[i] += 1.0f;
                }
        }
    }
    if (ranks > 1) {
        const auto exchanged = Clock::now();
        std::copy(m_background.gradient().begin(), m_background.gradient().end(), values + 2);
        sum_across_ranks(batch > 1 && statistics, values);
        std::copy(values + 2, values + 5, m_background.gradient().begin());
        m_profile.exchange += ms_since(exchanged);
    }
    result.loss = values[0] / static_cast<double>(batch);
    result.psnr = values[1] / static_cast<double>(batch);
    if (batch > 1 && statistics)
        for (std::size_t i = 0; i < m_cloud.size(); ++i) {
            m_grads.mean2d_norm[i] = m_batch_seen[i] > 0.0f ? m_batch_norm[i] / m_batch_seen[i] : 0.0f;
            m_grads.visible[i] = m_batch_seen[i];  // every rank's views
        }
    auto start = Clock::now();
    if (mcmc) mcmc_regularize();
    m_profile.backward += ms_since(start);

    start = Clock::now();
    const float progress = std::min(
        1.0f, static_cast<float>(m_iteration) / static_cast<float>(std::max(1, o.position_decay_iterations)));
    const float lr_position =
        std::exp((1.0f - progress) * std::log(o.lr_position) + progress * std::log(o.lr_position_final)) *
        m_dataset.camera_extent;
    optimize(lr_position);
    step_background(progress);
    m_profile.optimizer += ms_since(start);

    start = Clock::now();
    if (mcmc) {
        mcmc_noise(lr_position);
        if (m_iteration >= o.densify_from && m_iteration < o.densify_until &&
            m_iteration % o.densify_interval == 0)
            mcmc_relocate_and_grow();
    } else if (m_iteration < o.densify_until) {
        if (m_resident == nullptr)
            add_densification_statistics(m_grads, m_state.grad_sums, m_state.grad_views);
        const bool densify = m_iteration >= o.densify_from && m_iteration % o.densify_interval == 0;
        const bool background_reset =
            m_iteration == o.densify_from && !o.random_background && !image(0, false).alpha.empty();
        const bool reset = m_iteration % o.opacity_reset_interval == 0 || background_reset;
        if (densify || reset) {
            pull_state();  // the rounds run on the host, every few hundred steps
            if (densify) densify_and_prune(m_iteration > o.opacity_reset_interval);
            if (reset) reset_opacity();
            push_state();
        }
    }
    m_profile.densify += ms_since(start);
    return result;
}

Evaluation Trainer::evaluate(bool training_views) {
    const bool test = !training_views && !m_dataset.test.empty();
    const std::vector<DatasetView>& views = test ? m_dataset.test : m_dataset.train;
    Evaluation e;
    RenderSettings settings;
    settings.sh_degree = m_active_sh;
    const std::array<float, 3> bg = background();
    settings.background = {bg[0], bg[1], bg[2]};
    RenderOutput out;
    // With appearance, every view is scored through the per-channel gain and bias that fit it best (as
    // evaluations of appearance models do: the scene does not know a photo's exposure).
    const bool appearance = m_options.appearance;
    if (appearance) e.exposure = "colour-corrected per view";
    std::map<float, TrainingEvaluation::Frame> frames;  // by time, for views that carry several
    for (std::size_t i = 0; i < views.size(); ++i) {
        const ImageRgb& target = image(i, test);
        settings.time = views[i].time;
        m_rasterizer->render(m_cloud, views[i].camera, settings, out);
        if (appearance)
            apply_correction(fit_colour_correction(out.color, target.rgb, {}, 0.0, 0.0), out.color,
                             out.color);
        const double view_psnr = psnr(out.color, target.rgb);
        const double view_ssim = ssim(out.color, target.rgb, target.width, target.height);
        e.psnr += view_psnr;
        e.ssim += view_ssim;
        TrainingEvaluation::Frame& frame = frames[views[i].time];
        frame.time = views[i].time;
        frame.psnr += view_psnr;
        frame.ssim += view_ssim;
        ++frame.views;
        double l1 = 0;
        for (std::size_t k = 0; k < out.color.size(); ++k) l1 += std::abs(out.color[k] - target.rgb[k]);
        e.l1 += l1 / static_cast<double>(out.color.size());
    }
    e.views = views.size();
    const auto count = static_cast<double>(views.size());
    e.psnr /= count;
    e.ssim /= count;
    e.l1 /= count;
    if (frames.size() > 1)
        for (auto& [time, frame] : frames) {
            frame.psnr /= static_cast<double>(frame.views);
            frame.ssim /= static_cast<double>(frame.views);
            e.frames.push_back(frame);
        }
    return e;
}

}  // namespace glint::splatting
