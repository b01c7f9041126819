// CPU NeRF rendering: tiles of rays in parallel, each marched in rounds with compaction.
#include "glint/nerf/render.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>

#include <tbb/blocked_range2d.h>
#include <tbb/combinable.h>
#include <tbb/parallel_for.h>

#include "glint/core/error.h"
#include "glint/core/image_loss.h"
#include "glint/nerf/nerf_math.h"
#if GLINT_HAS_CUDA
#include "glint/nerf/cuda.h"
#endif

namespace glint::nerf {
namespace {

constexpr int kTile = 16;  // rays per tile side

}  // namespace

RowBand render_rows(const Camera& camera, const NerfRenderSettings& settings) {
    if (camera.width <= 0 || camera.height <= 0) throw InputError("render_nerf: empty image");
    RowBand band;
    band.first = std::clamp(settings.first_row, 0, camera.height);
    band.end = settings.rows < 0 ? camera.height : std::min(camera.height, band.first + settings.rows);
    if (band.end <= band.first) throw InputError("render_nerf: empty band of rows");
    return band;
}

void camera_ray(const NerfModel& model, const Camera& camera, float x, float y, float origin[3],
                float direction[3]) {
    const glm::vec3 cam((x - camera.cx) / camera.fx, (y - camera.cy) / camera.fy, 1.0f);
    const glm::vec3 d = glm::normalize(glm::transpose(camera.rotation) * cam);
    const glm::vec3 o = model.to_normalized(camera.position());
    for (int k = 0; k < 3; ++k) {
        origin[k] = o[k];
        direction[k] = d[k];
    }
}

void shade_samples(const NerfModel& model, std::span<const float> positions,
                   std::span<const float> directions, std::span<float> sigma, std::span<float> rgb) {
    const std::size_t n = sigma.size();
    GLINT_CHECK(positions.size() == 3 * n && directions.size() == 3 * n && rgb.size() == 3 * n,
                "shade_samples: sizes differ");
    const std::size_t g = static_cast<std::size_t>(model.config().geometry_features);
    std::vector<float> inputs(3 * n);
    for (std::size_t i = 0; i < n; ++i) model.encoding_input(&positions[3 * i], &inputs[3 * i]);
    std::vector<float> features(n * static_cast<std::size_t>(model.grid().output_width()));
    model.grid().forward(inputs, features);
    std::vector<float> geometry(n * g);
    model.density_net().infer(features, geometry);
    const std::size_t width = g + kShDirWidth;
    std::vector<float> colour_in(n * width), raw(3 * n);
    for (std::size_t i = 0; i < n; ++i) {
        std::copy_n(&geometry[i * g], g, &colour_in[i * width]);
        sh_encode_direction(directions[3 * i], directions[3 * i + 1], directions[3 * i + 2],
                            &colour_in[i * width + g]);
        sigma[i] = density_activation(geometry[i * g]);
    }
    model.colour_net().infer(colour_in, raw);
    for (std::size_t i = 0; i < 3 * n; ++i) rgb[i] = colour_activation(raw[i]);
}

NerfRenderStats render_nerf(const NerfModel& model, const Camera& camera, const NerfRenderSettings& settings,
                            NerfImage& out) {
    if (resolve_backend(settings.backend) == Backend::Cuda) {
#if GLINT_HAS_CUDA
        NerfRenderStats stats = render_nerf_cuda(model, camera, settings, out);
        stats.backend = Backend::Cuda;
        return stats;
#endif
    }
    return render_nerf(model, camera, settings, out, SampleVisitor());
}

NerfRenderStats NerfRenderer::render(const std::shared_ptr<const NerfModel>& model, const Camera& camera,
                                     const NerfRenderSettings& settings, NerfImage& out) {
#if GLINT_HAS_CUDA
    if (resolve_backend(settings.backend) == Backend::Cuda) {
        if (!m_device || m_resident != model) {
            m_device.reset();  // the previous model's memory first
            m_device = std::make_shared<NerfDeviceModel>(*model);
            m_resident = model;
        }
        NerfRenderStats stats = render_nerf_cuda(*model, *static_cast<const NerfDeviceModel*>(m_device.get()),
                                                 camera, settings, out);
        stats.backend = Backend::Cuda;
        return stats;
    }
#endif
    return render_nerf(*model, camera, settings, out, SampleVisitor());
}

NerfRenderStats render_nerf(const NerfModel& model, const Camera& camera, const NerfRenderSettings& settings,
                            NerfImage& out, const SampleVisitor& visit) {
    const auto start = std::chrono::steady_clock::now();
    const RowBand band = render_rows(camera, settings);
    const int y0 = band.first, y1 = band.end, w = camera.width, h = y1 - y0;
    out.width = w;
    out.height = h;
    out.color.assign(static_cast<std::size_t>(w) * h * 3, 0.0f);
    out.depth.assign(settings.depth ? static_cast<std::size_t>(w) * h : 0, 0.0f);
    out.alpha.assign(settings.depth ? static_cast<std::size_t>(w) * h : 0, 0.0f);
    // t along a unit normalized ray -> z depth in world units: t / scale * (cosine to the optical axis).
    const float world_per_unit = 1.0f / model.normalized_scale();
    tbb::combinable<std::size_t> samples_total([] { return std::size_t{0}; });

    tbb::parallel_for(
        tbb::blocked_range2d<int>(0, (h + kTile - 1) / kTile, 1, 0, (w + kTile - 1) / kTile, 1),
        [&](const tbb::blocked_range2d<int>& tiles) {
            for (int ty = tiles.rows().begin(); ty != tiles.rows().end(); ++ty)
                for (int tx = tiles.cols().begin(); tx != tiles.cols().end(); ++tx) {
                    struct Ray {
                        int pixel;
                        float o[3], d[3];
                        RayCursor cursor;
                        float transmittance = 1.0f, colour[3] = {0, 0, 0}, depth = 0.0f, cosine = 1.0f;
                    };
                    std::vector<Ray> rays;
                    for (int y = y0 + ty * kTile; y < std::min(y1, y0 + (ty + 1) * kTile); ++y)
                        for (int x = tx * kTile; x < std::min(w, (tx + 1) * kTile); ++x) {
                            Ray r;
                            r.pixel = (y - y0) * w + x;
                            camera_ray(model, camera, static_cast<float>(x) + 0.5f,
                                       static_cast<float>(y) + 0.5f, r.o, r.d);
                            const glm::vec3 axis = glm::transpose(camera.rotation) * glm::vec3(0, 0, 1);
                            r.cosine = r.d[0] * axis.x + r.d[1] * axis.y + r.d[2] * axis.z;
                            r.cursor = model.start_ray(r.o, r.d, 0.0f);
                            if (settings.jitter) r.cursor.t += pixel_jitter(x, y) * model.min_step();
                            rays.push_back(r);
                        }
                    std::vector<int> live;
                    for (int i = 0; i < static_cast<int>(rays.size()); ++i)
                        if (!rays[static_cast<std::size_t>(i)].cursor.done()) live.push_back(i);
                    std::vector<float> t, dt, positions, directions, sigma, rgb;
                    std::vector<int> owner, begin;
                    while (!live.empty()) {
                        // Few samples per ray while many rays live, more as they end.
                        const int per_ray = std::clamp(1024 / static_cast<int>(live.size()), 4, 64);
                        t.resize(live.size() * static_cast<std::size_t>(per_ray));
                        dt.resize(t.size());
                        begin.assign(live.size() + 1, 0);
                        std::size_t n = 0;
                        for (std::size_t k = 0; k < live.size(); ++k) {
                            Ray& r = rays[static_cast<std::size_t>(live[k])];
                            begin[k] = static_cast<int>(n);
                            n += static_cast<std::size_t>(
                                model.march(r.o, r.d, r.cursor, per_ray, &t[n], &dt[n]));
                        }
                        begin[live.size()] = static_cast<int>(n);
                        positions.resize(3 * n);
                        directions.resize(3 * n);
                        for (std::size_t k = 0; k < live.size(); ++k) {
                            const Ray& r = rays[static_cast<std::size_t>(live[k])];
                            for (int s = begin[k]; s < begin[k + 1]; ++s)
                                for (int a = 0; a < 3; ++a) {
                                    positions[3 * static_cast<std::size_t>(s) + a] =
                                        r.o[a] + t[static_cast<std::size_t>(s)] * r.d[a];
                                    directions[3 * static_cast<std::size_t>(s) + a] = r.d[a];
                                }
                        }
                        sigma.resize(n);
                        rgb.resize(3 * n);
                        if (n > 0) shade_samples(model, positions, directions, sigma, rgb);
                        samples_total.local() += n;
                        std::size_t kept = 0;
                        for (std::size_t k = 0; k < live.size(); ++k) {
                            Ray& r = rays[static_cast<std::size_t>(live[k])];
                            for (int s = begin[k]; s < begin[k + 1]; ++s) {
                                const std::size_t i = static_cast<std::size_t>(s);
                                const float weight = composite_sample(sigma[i], dt[i], r.transmittance);
                                if (visit) visit(&positions[3 * i], weight);
                                for (int a = 0; a < 3; ++a) r.colour[a] += weight * rgb[3 * i + a];
                                r.depth += weight * t[i];
                                if (r.transmittance < kMinTransmittance) break;
                            }
                            const bool ended = r.transmittance < kMinTransmittance || r.cursor.done() ||
                                               begin[k + 1] == begin[k];
                            if (!ended) live[kept++] = live[k];
                        }
                        live.resize(kept);
                    }
                    for (const Ray& r : rays) {
                        const std::size_t p = static_cast<std::size_t>(r.pixel);
                        for (int a = 0; a < 3; ++a)
                            out.color[3 * p + a] = r.colour[a] + r.transmittance * settings.background[a];
                        if (settings.depth) {
                            const float opacity = 1.0f - r.transmittance;
                            out.alpha[p] = opacity;
                            // The expected depth of what was hit (normalized by the opacity).
                            out.depth[p] =
                                opacity > 1e-3f ? r.depth / opacity * world_per_unit * r.cosine : 0.0f;
                        }
                    }
                }
        });
    NerfRenderStats stats;
    stats.rays = static_cast<std::size_t>(w) * h;
    stats.samples = samples_total.combine([](std::size_t a, std::size_t b) { return a + b; });
    stats.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

NerfEvaluation evaluate_nerf(const NerfModel& model, const Dataset& dataset) {
    const std::vector<DatasetView>& views = dataset.test.empty() ? dataset.train : dataset.test;
    NerfEvaluation e;
    NerfRenderSettings settings;
    // A model trained over a learnt background is scored over it.
    settings.background = model.background() ? *model.background() : dataset.options.background;
    settings.depth = false;
    for (const DatasetView& v : views) {
        const ImageRgb target = dataset.load_image(v);
        NerfImage image;
        const NerfRenderStats stats = render_nerf(model, v.camera, settings, image);
        e.samples += stats.samples;
        e.render_ms += stats.ms;
        e.psnr += psnr(image.color, target.rgb);
        e.ssim += ssim(image.color, target.rgb, image.width, image.height);
        double l1 = 0;
        for (std::size_t i = 0; i < image.color.size(); ++i) l1 += std::fabs(image.color[i] - target.rgb[i]);
        e.l1 += l1 / static_cast<double>(image.color.size());
    }
    e.views = views.size();
    if (e.views > 0) {
        e.psnr /= static_cast<double>(e.views);
        e.ssim /= static_cast<double>(e.views);
        e.l1 /= static_cast<double>(e.views);
    }
    return e;
}

}  // namespace glint::nerf
