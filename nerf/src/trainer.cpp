// The NeRF trainer: batches of rays, forward and backward through compositing, the networks and the
// encoding, Adam, and the occupancy grid's updates.
#include "glint/nerf/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <numeric>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "glint/core/adam.h"
#include "glint/core/atomic_file.h"
#include "glint/core/binary_io.h"
#include "glint/core/error.h"
#include "glint/core/image_loss.h"
#include "glint/core/text.h"
#include "glint/nerf/nerf_math.h"
#include "glint/nerf/render.h"

namespace glint::nerf {
namespace {

// 2: the learnt background and its moments.
constexpr char kCheckpointMagic[8] = {'G', 'L', 'N', 'R', 'F', 'C', 'K', '2'};
constexpr std::size_t kRayBlock = 64;  // rays per marching task

std::uint64_t mix(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// A uniform float in [0, 1) from a 64-bit hash.
float unit(std::uint64_t z) {
    return static_cast<float>(z >> 40) * (1.0f / static_cast<float>(1u << 24));
}

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// What a step reuses from the last (sized on first use: no page faults for fresh buffers every step).
struct NerfTrainer::StepBuffers {
    struct RayData {
        float o[3], d[3], target[3], background[3];
        float weight;  // the pixel's mask value: 0 leaves the ray out of the loss
    };
    std::vector<RayData> rays;
    std::vector<std::vector<float>> block_t, block_dt;
    std::vector<std::vector<int>> block_count;
    std::vector<std::size_t> begin, ray_used;
    std::vector<float> t, dt, inputs, features, geometry, colour_in, raw, sigma, rgb, grad_sigma, grad_rgb,
        grad_raw, grad_geometry, grad_colour_in, grad_features;
    // The live samples (compacted): encoding inputs, density outputs, density, step.
    std::vector<std::size_t> live_begin;
    std::vector<float> c_inputs, c_geometry, c_sigma, c_dt;
    std::vector<double> ray_error;
    Mlp<float>::Activations keep_density, c_keep_density, keep_colour;
};

NerfTrainer::~NerfTrainer() = default;

NerfConfig config_for(const Dataset& dataset, const HashGridConfig& grid) {
    NerfConfig config;
    config.grid = grid;
    if (dataset.points.size() >= 8) {
        // The points' box without their outer 1% per axis, padded by a tenth: a cube around it.
        glm::vec3 lo, hi;
        for (int a = 0; a < 3; ++a) {
            std::vector<float> v(dataset.points.size());
            for (std::size_t i = 0; i < v.size(); ++i) v[i] = dataset.points.positions[3 * i + a];
            const std::size_t k = v.size() / 100;
            std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
            lo[a] = v[k];
            std::nth_element(v.begin(), v.end() - 1 - static_cast<std::ptrdiff_t>(k), v.end());
            hi[a] = v[v.size() - 1 - k];
        }
        config.centre = 0.5f * (lo + hi);
        const glm::vec3 extent = hi - lo;
        config.half_size = 0.5f * 1.2f * std::max({extent.x, extent.y, extent.z, 1e-3f});
    } else {
        // No points: a box around where the cameras look, of 0.4 times their mean distance (NeRF's
        // synthetic scenes: cameras 4 units away, objects within 1.5).
        double distance = 0;
        for (const DatasetView& v : dataset.train)
            distance += glm::length(v.camera.position() - dataset.look_at_centre);
        config.centre = dataset.look_at_centre;
        config.half_size =
            std::max(1e-3f, 0.4f * static_cast<float>(distance / static_cast<double>(std::max<std::size_t>(
                                                                     1, dataset.train.size()))));
    }
    if (dataset.aabb_scale && *dataset.aabb_scale > 1.0f) {
        config.cascades = std::clamp(1 + static_cast<int>(std::ceil(std::log2(*dataset.aabb_scale))), 1, 8);
        config.cone_angle = 1.0f / 256.0f;
    }
    return config;
}

NerfTrainer::NerfTrainer(const Dataset& dataset, const NerfConfig& config, const NerfTrainOptions& options)
    : m_dataset(dataset), m_options(options), m_model(config), m_buffers(std::make_unique<StepBuffers>()) {
    if (dataset.train.empty()) throw InputError(cat(dataset.root.string(), ": no training views"));
    if (options.iterations < 1) throw InputError("--iters must be at least 1");
    if (options.batch_samples < 1024 || options.batch_samples > (1 << 24))
        throw InputError("the NeRF batch must be between 1024 and 16777216 samples");
    if (options.max_samples_per_ray < 16) throw InputError("the NeRF sample cap per ray must be at least 16");
    if (options.occupancy_interval < 1) throw InputError("the occupancy update interval must be at least 1");
    m_model.initialize(options.seed);
    std::size_t total = 0;
    for (const DatasetView& v : dataset.train) {
        m_pixel_offset.push_back(total);
        total += static_cast<std::size_t>(v.camera.width) * static_cast<std::size_t>(v.camera.height);
    }
    m_pixel_offset.push_back(total);
    m_rgb.resize(3 * total);
    m_alpha.assign(total, 1.0f);
    if (dataset.masked_views > 0) m_mask.assign(total, 1.0f);
    std::vector<std::uint8_t> had_alpha(dataset.train.size(), 0);
    tbb::parallel_for(std::size_t{0}, dataset.train.size(), [&](std::size_t k) {
        const ImageRgb image = dataset.load_image(dataset.train[k]);
        had_alpha[k] = image.alpha.empty() ? 0 : 1;
        std::copy(image.rgb.begin(), image.rgb.end(),
                  m_rgb.begin() + static_cast<std::ptrdiff_t>(3 * m_pixel_offset[k]));
        if (!image.alpha.empty())
            std::copy(image.alpha.begin(), image.alpha.end(),
                      m_alpha.begin() + static_cast<std::ptrdiff_t>(m_pixel_offset[k]));
        if (!image.mask.empty())
            std::copy(image.mask.begin(), image.mask.end(),
                      m_mask.begin() + static_cast<std::ptrdiff_t>(m_pixel_offset[k]));
    });
    initialise_background(std::find(had_alpha.begin(), had_alpha.end(), 1) != had_alpha.end());
    m_occupancy_density.assign(m_model.occupancy().size(), 0.0f);
    m_grid_grad.assign(m_model.grid().params().size(), 0.0f);
    m_density_grad.assign(m_model.density_net().weights().size(), 0.0f);
    m_colour_grad.assign(m_model.colour_net().weights().size(), 0.0f);
    const std::size_t sizes[3] = {m_grid_grad.size(), m_density_grad.size(), m_colour_grad.size()};
    for (int k = 0; k < 3; ++k) {
        m_m[static_cast<std::size_t>(k)].assign(sizes[k], 0.0f);
        m_v[static_cast<std::size_t>(k)].assign(sizes[k], 0.0f);
    }
}

void NerfTrainer::update_occupancy() {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t cells = m_model.occupancy().size();
    const bool warmup = m_iteration < m_options.occupancy_warmup;
    const std::uint64_t seed =
        mix(m_options.seed ^ (0x6f63637570616e63ull + static_cast<std::uint64_t>(m_iteration)));
    // Which cells to sample: all of them in the warm-up; then an eighth at random and an eighth of the
    // occupied ones (Instant-NGP samples a quarter of each; the CPU takes fewer).
    std::vector<std::uint32_t> chosen;
    if (warmup) {
        chosen.resize(cells);
        std::iota(chosen.begin(), chosen.end(), 0u);
    } else {
        std::vector<std::uint32_t> occupied;
        for (std::size_t i = 0; i < cells; ++i)
            if (m_model.occupancy()[i]) occupied.push_back(static_cast<std::uint32_t>(i));
        const std::size_t n = cells / 8;
        chosen.reserve(2 * n);
        for (std::size_t i = 0; i < n; ++i)
            chosen.push_back(static_cast<std::uint32_t>(mix(seed + 2 * i) % cells));
        for (std::size_t i = 0; i < n && !occupied.empty(); ++i)
            chosen.push_back(occupied[mix(seed + 2 * i + 1) % occupied.size()]);
    }
    std::vector<float> positions(3 * chosen.size()), sigma(chosen.size());
    tbb::parallel_for(std::size_t{0}, chosen.size(), [&](std::size_t i) {
        float lo[3], hi[3];
        m_model.cell_box(chosen[i], lo, hi);
        const std::uint64_t z = mix(seed ^ (static_cast<std::uint64_t>(i) << 20) ^ 0x5bd1e995u);
        for (int a = 0; a < 3; ++a)
            positions[3 * i + a] = lo[a] + (hi[a] - lo[a]) * unit(mix(z + static_cast<std::uint64_t>(a)));
    });
    m_model.density(positions, sigma);
    for (float& d : m_occupancy_density) d *= m_options.occupancy_decay;
    for (std::size_t i = 0; i < chosen.size(); ++i)
        m_occupancy_density[chosen[i]] = std::max(m_occupancy_density[chosen[i]], sigma[i]);
    // Occupied: an optical thickness over the smallest step of at least 0.01, or the mean density where
    // that is lower (early on, so that training does not empty the grid).
    const double mean = std::accumulate(m_occupancy_density.begin(), m_occupancy_density.end(), 0.0) /
                        static_cast<double>(cells);
    const float threshold = std::min(0.01f / m_model.min_step(), static_cast<float>(mean));
    std::vector<std::uint8_t>& occupancy = m_model.occupancy();
    for (std::size_t i = 0; i < cells; ++i) occupancy[i] = m_occupancy_density[i] > threshold ? 1 : 0;
    m_profile.occupancy += ms_since(start);
}

void NerfTrainer::adam(std::span<float> values, std::span<const float> grad, std::vector<float>& m,
                       std::vector<float>& v, float lr, float decay, bool skip_zero) {
    AdamSettings settings;
    settings.beta1 = m_options.beta1;
    settings.beta2 = m_options.beta2;
    settings.epsilon = m_options.eps;
    settings.weight_decay = decay;
    settings.skip_zero_gradients = skip_zero;
    adam_step(values, grad, m, v, lr, m_iteration, settings);
}

NerfStepResult NerfTrainer::step() {
    if (m_iteration % m_options.occupancy_interval == 0) update_occupancy();
    ++m_iteration;
    NerfStepResult result;
    result.iteration = m_iteration;
    const std::uint64_t seed =
        mix(m_options.seed * 0x2545f4914f6cdd1dull + static_cast<std::uint64_t>(m_iteration));
    march_rays(seed, result);
    forward_density();
    compact_samples(result);
    composite(result);
    backward();
    optimize();
    return result;
}

// Rays through random pixels of the training views, marched over the occupancy grid: each ray's samples
// (t, dt) and their encoding inputs, in buf.begin's ranges.
void NerfTrainer::march_rays(std::uint64_t seed, NerfStepResult& result) {
    using clock = std::chrono::steady_clock;
    auto start = clock::now();
    const std::size_t rays = static_cast<std::size_t>(std::clamp(
        static_cast<int>(static_cast<float>(m_options.batch_samples) / std::max(m_samples_per_ray, 1.0f)), 64,
        1 << 16));
    const std::size_t total_pixels = m_pixel_offset.back();
    StepBuffers& buf = *m_buffers;
    std::vector<StepBuffers::RayData>& ray = buf.rays;
    ray.resize(rays);
    const std::size_t blocks = (rays + kRayBlock - 1) / kRayBlock;
    std::vector<std::vector<float>>& block_t = buf.block_t;
    std::vector<std::vector<float>>& block_dt = buf.block_dt;
    std::vector<std::vector<int>>& block_count = buf.block_count;
    block_t.resize(blocks);
    block_dt.resize(blocks);
    block_count.resize(blocks);
    const int cap = m_options.max_samples_per_ray;
    tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
        std::vector<float>& ts = block_t[b];
        std::vector<float>& dts = block_dt[b];
        ts.clear();
        dts.clear();
        block_count[b].clear();
        for (std::size_t r = b * kRayBlock; r < std::min(rays, (b + 1) * kRayBlock); ++r) {
            const std::uint64_t z = mix(seed ^ (static_cast<std::uint64_t>(r) * 0x9e3779b97f4a7c15ull));
            const std::size_t pixel = z % total_pixels;
            const std::size_t view = static_cast<std::size_t>(
                std::upper_bound(m_pixel_offset.begin(), m_pixel_offset.end(), pixel) -
                m_pixel_offset.begin() - 1);
            const Camera& cam = m_dataset.train[view].camera;
            const std::size_t local = pixel - m_pixel_offset[view];
            const int x = static_cast<int>(local % static_cast<std::size_t>(cam.width)),
                      y = static_cast<int>(local / static_cast<std::size_t>(cam.width));
            StepBuffers::RayData& rd = ray[r];
            // A random point in the pixel (anti-aliasing over the steps).
            camera_ray(m_model, cam, static_cast<float>(x) + unit(mix(z + 1)),
                       static_cast<float>(y) + unit(mix(z + 2)), rd.o, rd.d);
            const float alpha = m_alpha[pixel];
            rd.weight = m_mask.empty() ? 1.0f : m_mask[pixel];
            for (int a = 0; a < 3; ++a) {
                const float fixed = m_learn_background
                                        ? m_background.colour()[static_cast<std::size_t>(a)]
                                        : m_dataset.options.background[static_cast<std::size_t>(a)];
                rd.background[a] =
                    m_options.random_background ? unit(mix(z + 3 + static_cast<std::uint64_t>(a))) : fixed;
                rd.target[a] = m_rgb[3 * pixel + static_cast<std::size_t>(a)] +
                               (rd.background[a] - fixed) * (1.0f - alpha);
            }
            RayCursor cursor = m_model.start_ray(rd.o, rd.d, 0.0f);
            cursor.t += unit(mix(z + 6)) * m_model.min_step();  // jitter: samples between the step grid
            const std::size_t first = ts.size();
            ts.resize(first + static_cast<std::size_t>(cap));
            dts.resize(first + static_cast<std::size_t>(cap));
            const int n = m_model.march(rd.o, rd.d, cursor, cap, &ts[first], &dts[first]);
            ts.resize(first + static_cast<std::size_t>(n));
            dts.resize(first + static_cast<std::size_t>(n));
            block_count[b].push_back(n);
        }
    });
    std::vector<std::size_t>& begin = buf.begin;
    begin.assign(rays + 1, 0);
    {
        std::size_t r = 0, n = 0;
        for (std::size_t b = 0; b < blocks; ++b)
            for (const int c : block_count[b]) {
                begin[r++] = n;
                n += static_cast<std::size_t>(c);
            }
        begin[rays] = n;
    }
    const std::size_t n = begin[rays];
    result.rays = rays;
    result.samples = n;
    m_samples_per_ray =
        0.9f * m_samples_per_ray + 0.1f * std::max(1.0f, static_cast<float>(n) / static_cast<float>(rays));
    std::vector<float>&t = buf.t, &dt = buf.dt, &inputs = buf.inputs;
    t.resize(n);
    dt.resize(n);
    inputs.resize(3 * n);
    tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
        std::size_t k = 0;
        for (std::size_t r = b * kRayBlock; r < std::min(rays, (b + 1) * kRayBlock); ++r)
            for (std::size_t s = begin[r]; s < begin[r + 1]; ++s, ++k) {
                t[s] = block_t[b][k];
                dt[s] = block_dt[b][k];
                float p[3];
                for (int a = 0; a < 3; ++a) p[a] = ray[r].o[a] + t[s] * ray[r].d[a];
                m_model.encoding_input(p, &inputs[3 * s]);
            }
    });
    m_profile.marching += ms_since(start);
}

// The encoding and the density network for every sample.
void NerfTrainer::forward_density() {
    using clock = std::chrono::steady_clock;
    StepBuffers& buf = *m_buffers;
    const std::size_t n = buf.begin.back();
    const std::vector<float>& inputs = buf.inputs;
    auto start = clock::now();
    const HashGrid<float>& grid = m_model.grid();
    const std::size_t enc = static_cast<std::size_t>(grid.output_width());
    std::vector<float>& features = buf.features;
    features.resize(n * enc);
    grid.forward(inputs, features);
    m_profile.encoding += ms_since(start);
    start = clock::now();
    const std::size_t g = static_cast<std::size_t>(m_model.config().geometry_features);
    std::vector<float>& geometry = buf.geometry;
    geometry.resize(n * g);
    m_model.density_net().forward(features, geometry, buf.keep_density);
    m_profile.mlp += ms_since(start);
}

// Each ray's samples up to where its transmittance runs out, gathered.
void NerfTrainer::compact_samples(NerfStepResult& result) {
    using clock = std::chrono::steady_clock;
    StepBuffers& buf = *m_buffers;
    const std::size_t rays = buf.rays.size(), n = buf.begin.back();
    const std::vector<StepBuffers::RayData>& ray = buf.rays;
    const std::vector<std::size_t>& begin = buf.begin;
    const std::vector<float>&dt = buf.dt, &inputs = buf.inputs, &geometry = buf.geometry;
    const Mlp<float>::Activations& keep_density = buf.keep_density;
    const std::size_t g = static_cast<std::size_t>(m_model.config().geometry_features), cw = g + kShDirWidth;
    // Only these are shaded by the colour network and back-propagated (the rest would get zero
    // gradients); the density network's activations of these rows are gathered for its backward pass.
    const auto start = clock::now();
    std::vector<float>& sigma = buf.sigma;
    sigma.resize(n);
    std::vector<std::size_t>& ray_used = buf.ray_used;
    ray_used.resize(rays);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rays, 256), [&](const auto& range) {
        for (std::size_t r = range.begin(); r != range.end(); ++r) {
            for (std::size_t s = begin[r]; s < begin[r + 1]; ++s)
                sigma[s] = density_activation(geometry[s * g]);
            ray_used[r] = static_cast<std::size_t>(opaque_prefix<float>(
                static_cast<int>(begin[r + 1] - begin[r]), &sigma[begin[r]], &dt[begin[r]]));
        }
    });
    std::vector<std::size_t>& live = buf.live_begin;  // ray r's live samples: [live[r], live[r + 1])
    live.assign(rays + 1, 0);
    for (std::size_t r = 0; r < rays; ++r) live[r + 1] = live[r] + ray_used[r];
    const std::size_t m = live[rays];
    std::vector<float>&c_inputs = buf.c_inputs, &c_geometry = buf.c_geometry, &c_sigma = buf.c_sigma,
    &c_dt = buf.c_dt, &colour_in = buf.colour_in;
    c_inputs.resize(3 * m);
    c_geometry.resize(m * g);
    c_sigma.resize(m);
    c_dt.resize(m);
    colour_in.resize(m * cw);
    Mlp<float>::Activations& c_keep = buf.c_keep_density;
    c_keep.batch = m;
    c_keep.layers.resize(keep_density.layers.size());
    std::vector<std::size_t> widths;
    for (std::size_t l = 0; l < keep_density.layers.size(); ++l) {
        widths.push_back(keep_density.layers[l].size() / std::max<std::size_t>(n, 1));
        c_keep.layers[l].resize(m * widths[l]);
    }
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rays, 64), [&](const auto& range) {
        for (std::size_t r = range.begin(); r != range.end(); ++r) {
            float sh[kShDirWidth];
            sh_encode_direction(ray[r].d[0], ray[r].d[1], ray[r].d[2], sh);
            for (std::size_t j = 0; j < ray_used[r]; ++j) {
                const std::size_t from = begin[r] + j, to = live[r] + j;
                std::copy_n(&inputs[3 * from], 3, &c_inputs[3 * to]);
                std::copy_n(&geometry[from * g], g, &c_geometry[to * g]);
                std::copy_n(&geometry[from * g], g, &colour_in[to * cw]);
                std::copy_n(sh, kShDirWidth, &colour_in[to * cw + g]);
                c_sigma[to] = sigma[from];
                c_dt[to] = dt[from];
                for (std::size_t l = 0; l < widths.size(); ++l)
                    std::copy_n(&keep_density.layers[l][from * widths[l]], widths[l],
                                &c_keep.layers[l][to * widths[l]]);
            }
        }
    });
    result.samples_used = m;
    m_profile.compositing += ms_since(start);
}

// The colour network on the live samples, compositing, the loss and its gradient back to the colour
// network's outputs and the densities.
void NerfTrainer::composite(NerfStepResult& result) {
    using clock = std::chrono::steady_clock;
    StepBuffers& buf = *m_buffers;
    const std::size_t rays = buf.rays.size();
    const std::vector<StepBuffers::RayData>& ray = buf.rays;
    const std::vector<std::size_t>& live = buf.live_begin;
    const std::size_t m = live[rays];
    const std::vector<float>&colour_in = buf.colour_in, &c_sigma = buf.c_sigma, &c_dt = buf.c_dt;
    Mlp<float>::Activations& keep_colour = buf.keep_colour;
    const std::size_t g = static_cast<std::size_t>(m_model.config().geometry_features), cw = g + kShDirWidth;
    auto start = clock::now();
    std::vector<float>& raw = buf.raw;
    raw.resize(3 * m);
    m_model.colour_net().forward(colour_in, raw, keep_colour);
    m_profile.mlp += ms_since(start);

    // ---- compositing, loss and its backward pass ----
    start = clock::now();
    std::vector<float>&rgb = buf.rgb, &grad_sigma = buf.grad_sigma, &grad_rgb = buf.grad_rgb;
    rgb.resize(3 * m);
    grad_sigma.assign(m, 0.0f);
    grad_rgb.assign(3 * m, 0.0f);
    std::vector<double>& ray_error = buf.ray_error;
    ray_error.resize(rays);
    const float scale = 2.0f / (3.0f * static_cast<float>(rays));  // d mean squared error / d colour
    if (m_learn_background) m_ray_background_grad.assign(3 * rays, 0.0f);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rays, 256), [&](const auto& range) {
        for (std::size_t r = range.begin(); r != range.end(); ++r) {
            const std::size_t s0 = live[r];
            const int count = static_cast<int>(live[r + 1] - s0);
            for (std::size_t s = s0; s < live[r + 1]; ++s)
                for (std::size_t a = 0; a < 3; ++a) rgb[3 * s + a] = colour_activation(raw[3 * s + a]);
            float colour[3], opacity;
            const int used = composite_ray<float>(count, &c_sigma[s0], &rgb[3 * s0], &c_dt[s0], nullptr,
                                                  ray[r].background, colour, opacity, nullptr);
            float grad_colour[3];
            double error = 0;
            for (int a = 0; a < 3; ++a) {
                const float diff = colour[a] - ray[r].target[a];
                error += static_cast<double>(ray[r].weight) * diff * diff;
                grad_colour[a] = scale * ray[r].weight * diff;
            }
            ray_error[r] = error;
            if (m_learn_background)  // the colour is C + T b: its gradient is T times the colour's
                for (int a = 0; a < 3; ++a)
                    m_ray_background_grad[3 * r + a] = grad_colour[a] * (1.0f - opacity);
            composite_ray_backward<float>(used, &c_sigma[s0], &rgb[3 * s0], &c_dt[s0], ray[r].background,
                                          grad_colour, &grad_sigma[s0], &grad_rgb[3 * s0]);
        }
    });
    const double mse =
        std::accumulate(ray_error.begin(), ray_error.end(), 0.0) / (3.0 * static_cast<double>(rays));
    result.loss = mse;
    ++m_profile.steps;
    m_profile.rays += result.rays;
    m_profile.samples += result.samples;
    m_profile.samples_used += result.samples_used;
    result.psnr = psnr_from_mse(mse);
    // Through the activations (density_derivative, colour_derivative).
    std::vector<float>&grad_raw = buf.grad_raw, &grad_geometry = buf.grad_geometry,
    &grad_colour_in = buf.grad_colour_in;
    grad_raw.resize(3 * m);
    grad_geometry.resize(m * g);
    grad_colour_in.resize(m * cw);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, m, 4096), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i)
            for (std::size_t a = 0; a < 3; ++a)
                grad_raw[3 * i + a] = grad_rgb[3 * i + a] * colour_derivative(raw[3 * i + a]);
    });
    m_profile.compositing += ms_since(start);
}

// Backward through the networks and the encoding (live samples only).
void NerfTrainer::backward() {
    using clock = std::chrono::steady_clock;
    StepBuffers& buf = *m_buffers;
    const std::size_t m = buf.live_begin.back();
    const std::size_t g = static_cast<std::size_t>(m_model.config().geometry_features), cw = g + kShDirWidth;
    const HashGrid<float>& grid = m_model.grid();
    const std::size_t enc = static_cast<std::size_t>(grid.output_width());
    const std::vector<float>&grad_raw = buf.grad_raw, &grad_sigma = buf.grad_sigma,
          &c_geometry = buf.c_geometry, &c_inputs = buf.c_inputs;
    std::vector<float>&grad_geometry = buf.grad_geometry, &grad_colour_in = buf.grad_colour_in;
    const Mlp<float>::Activations& keep_colour = buf.keep_colour;
    const Mlp<float>::Activations& c_keep = buf.c_keep_density;
    auto start = clock::now();
    std::fill(m_density_grad.begin(), m_density_grad.end(), 0.0f);
    std::fill(m_colour_grad.begin(), m_colour_grad.end(), 0.0f);
    m_model.colour_net().backward(keep_colour, grad_raw, m_colour_grad, grad_colour_in);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, m, 4096), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            std::copy_n(&grad_colour_in[i * cw], g, &grad_geometry[i * g]);
            grad_geometry[i * g] += grad_sigma[i] * density_derivative(c_geometry[i * g]);
        }
    });
    std::vector<float>& grad_features = buf.grad_features;
    grad_features.resize(m * enc);
    m_model.density_net().backward(c_keep, grad_geometry, m_density_grad, grad_features);
    m_profile.mlp += ms_since(start);
    start = clock::now();
    std::fill(m_grid_grad.begin(), m_grid_grad.end(), 0.0f);
    grid.backward(c_inputs, grad_features, m_grid_grad);
    m_profile.encoding += ms_since(start);
}

// Adam on the hash tables and both networks, with the learning rate decayed over the run.
void NerfTrainer::optimize() {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const float progress =
        static_cast<float>(m_iteration - 1) / static_cast<float>(std::max(1, m_options.iterations - 1));
    const float lr = m_options.lr * std::pow(m_options.lr_final / m_options.lr, std::min(progress, 1.0f));
    adam(m_model.grid().params(), m_grid_grad, m_m[0], m_v[0], lr, 0.0f, true);
    adam(m_model.density_net().weights(), m_density_grad, m_m[1], m_v[1], lr, m_options.weight_decay, false);
    adam(m_model.colour_net().weights(), m_colour_grad, m_m[2], m_v[2], lr, m_options.weight_decay, false);
    step_background(std::min(progress, 1.0f));
    m_profile.optimizer += ms_since(start);
}

void NerfTrainer::initialise_background(bool any_alpha) {
    const std::optional<std::array<float, 3>> start = learnt_background_start(
        m_options.learn_background, any_alpha, m_dataset.train.front().image.string(),
        m_options.background_start, [&](double sum[3], std::size_t& count) {
            for (std::size_t view = 0; view < m_dataset.train.size(); ++view) {
                const Camera& c = m_dataset.train[view].camera;
                const std::size_t pixels =
                    static_cast<std::size_t>(c.width) * static_cast<std::size_t>(c.height);
                add_border_colours(
                    std::span<const float>(m_rgb).subspan(3 * m_pixel_offset[view], 3 * pixels), c.width,
                    c.height, sum, count);
            }
        });
    m_learn_background = start.has_value();
    if (!start) return;
    m_background.start(*start);
    m_model.set_background(m_background.colour());
}

void NerfTrainer::step_background(float progress) {
    if (!m_learn_background) return;
    for (std::size_t r = 0; r < m_ray_background_grad.size() / 3; ++r)
        for (int k = 0; k < 3; ++k) m_background.gradient()[k] += m_ray_background_grad[3 * r + k];
    // The networks' schedule (Instant-NGP's: constant by default).
    m_background.step(m_options.lr_background * std::pow(m_options.lr_final / m_options.lr, progress),
                      m_iteration);
    m_model.set_background(m_background.colour());
}

NerfEvaluation NerfTrainer::evaluate() const {
    return evaluate_nerf(m_model, m_dataset);
}

void NerfTrainer::save_checkpoint(const std::filesystem::path& path) const {
    BinaryWriter w;
    for (const char c : kCheckpointMagic) w.put(c);
    w.put(static_cast<std::int32_t>(m_iteration));
    w.put(m_samples_per_ray);
    w.put(static_cast<std::uint64_t>(m_model.parameter_count()));
    w.put_array<float>(m_model.grid().params());
    w.put_array<float>(m_model.density_net().weights());
    w.put_array<float>(m_model.colour_net().weights());
    w.put_array<std::uint8_t>(m_model.occupancy());
    w.put_array<float>(m_occupancy_density);
    for (int k = 0; k < 3; ++k) {
        w.put_array<float>(m_m[static_cast<std::size_t>(k)]);
        w.put_array<float>(m_v[static_cast<std::size_t>(k)]);
    }
    m_background.write(w, m_learn_background);
    AtomicFile file(path);
    file.write(std::as_bytes(std::span(w.data())));
    file.commit();
}

void NerfTrainer::load_checkpoint(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(cat(path.string(), ": cannot open the checkpoint"));
    BinaryReader r(std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
                   path, "not a usable glint NeRF checkpoint");
    for (const char c : kCheckpointMagic)
        if (r.get<char>() != c) r.fail("wrong magic (not a NeRF checkpoint, or another version)");
    const int iteration = r.get<std::int32_t>();
    const float per_ray = r.get<float>();
    if (r.get<std::uint64_t>() != m_model.parameter_count())
        r.fail("its model has another size (other --hash-* or network options)");
    if (iteration < 0 || !(per_ray > 0.0f)) r.fail("implausible state");
    r.get_into<float>(m_model.grid().params());
    r.get_into<float>(m_model.density_net().weights());
    r.get_into<float>(m_model.colour_net().weights());
    r.get_into<std::uint8_t>(m_model.occupancy());
    r.get_into<float>(m_occupancy_density);
    for (int k = 0; k < 3; ++k) {
        r.get_into<float>(m_m[static_cast<std::size_t>(k)]);
        r.get_into<float>(m_v[static_cast<std::size_t>(k)]);
    }
    LearntBackground background;
    background.read(r, m_learn_background);
    if (!r.at_end()) r.fail("trailing bytes");
    if (m_learn_background) {
        m_background = background;
        m_model.set_background(m_background.colour());
    }
    m_iteration = iteration;
    m_samples_per_ray = per_ray;
}

}  // namespace glint::nerf
