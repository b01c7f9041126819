#include "glint/scene/gaussian_scene.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "glint/core/colormap.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/pixel.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/scene_stats.h"
#include "glint/splatting/up_direction.h"

namespace glint::scene {
namespace {

// The cut's Gaussians in one colour per level, shaded by their own brightness so that shapes stay
// apart, with no view-dependent part.
void paint_levels(const splatting::LodHierarchy& h, const splatting::LodCut& cut,
                  splatting::GaussianCloud& out) {
    constexpr float kTopLevel = 10.0f;
    for (std::size_t i = 0; i < cut.nodes.size(); ++i) {
        const std::array<float, 3> c =
            turbo(0.1f + 0.9f * std::min(static_cast<float>(h.height[cut.nodes[i]]), kTopLevel) / kTopLevel);
        float own[3];
        for (int a = 0; a < 3; ++a)
            own[a] = std::clamp(splatting::sh_dc_to_color(out.sh_dc()[3 * i + a]), 0.0f, 1.0f);
        const float shade = 0.35f + 0.65f * (0.2126f * own[0] + 0.7152f * own[1] + 0.0722f * own[2]);
        for (int a = 0; a < 3; ++a) out.sh_dc()[3 * i + a] = splatting::color_to_sh_dc(shade * c[a]);
    }
    std::fill(out.sh_rest().begin(), out.sh_rest().end(), 0.0f);
}

}  // namespace

Sphere framing_sphere(const splatting::GaussianCloud& cloud) {
    if (cloud.empty()) return {glm::vec3(0.0f), 1.0f};
    const splatting::SceneStats stats = splatting::compute_stats(cloud);
    const glm::vec3 lo(stats.robust_min[0], stats.robust_min[1], stats.robust_min[2]);
    const glm::vec3 hi(stats.robust_max[0], stats.robust_max[1], stats.robust_max[2]);
    return {0.5f * (lo + hi), std::max(0.5f * glm::length(hi - lo), 1e-3f)};
}

std::optional<UpHint> gaussian_up_hint(const splatting::LoadedScene& loaded) {
    const splatting::GaussianCloud& c = loaded.cloud;
    if (c.up()) return UpHint{{(*c.up())[0], (*c.up())[1], (*c.up())[2]}, "from the file's 'glint up' line"};
    if (loaded.format == splatting::SceneFormat::CompressedPly)
        return UpHint{{0.0f, -1.0f, 0.0f}, "the compressed PLY's (the reference PLY convention)"};
    if (loaded.format == splatting::SceneFormat::Gltf)
        return UpHint{{0.0f, -1.0f, 0.0f}, "glTF's y up (read into the reference PLY's axes)"};
    if (loaded.format == splatting::SceneFormat::Sog)
        return UpHint{{0.0f, -1.0f, 0.0f}, "SOG's (the reference PLY convention)"};
    if (loaded.format == splatting::SceneFormat::Spz)
        return UpHint{{0.0f, -1.0f, 0.0f},
                      "the .spz convention (its y up, read into the reference PLY's axes)"};
    if (loaded.format == splatting::SceneFormat::Splat)
        return UpHint{{0.0f, -1.0f, 0.0f}, "the .splat convention (COLMAP's image-down axis is down)"};
    if (loaded.format == splatting::SceneFormat::Ply && !loaded.written_by_glint)
        return UpHint{{0.0f, -1.0f, 0.0f}, "the reference PLY convention (COLMAP's image-down axis is down)"};
    const splatting::UpEstimate estimate = splatting::estimate_up(c);
    if (estimate.confidence >= splatting::kConfidentUp)
        return UpHint{{estimate.up[0], estimate.up[1], estimate.up[2]},
                      cat("estimated from the axis the flat Gaussians face (confidence ",
                          std::lround(100.0f * estimate.confidence), "%)")};
    return std::nullopt;
}

GaussianScene::GaussianScene(splatting::LoadedScene loaded, const std::string& name, Backend backend)
    : m_loaded(std::move(loaded)), m_name(name), m_rasterizer(splatting::create_rasterizer(backend)) {
    if (const auto bad = m_loaded.cloud.find_non_finite()) throw InputError(cat(name, ": ", *bad));
}

SceneKind GaussianScene::kind() const {
    return m_loaded.cloud.is_4d() ? SceneKind::Gaussians4D : SceneKind::Gaussians3D;
}

std::string GaussianScene::summary() const {
    const splatting::GaussianCloud& c = m_loaded.cloud;
    return cat(group_digits(c.size()), c.is_4d() ? " 4D" : "", " Gaussians, SH degree ", c.sh_degree(), ", ",
               human_bytes(c.memory_bytes()));
}

Sphere GaussianScene::framing_sphere() const {
    return scene::framing_sphere(m_loaded.cloud);
}

void GaussianScene::bounds(glm::vec3& lo, glm::vec3& hi) const {
    lo = hi = glm::vec3(0.0f);
    if (m_loaded.cloud.empty()) return;
    const splatting::SceneStats stats = splatting::compute_stats(m_loaded.cloud);
    lo = {stats.bounds_min[0], stats.bounds_min[1], stats.bounds_min[2]};
    hi = {stats.bounds_max[0], stats.bounds_max[1], stats.bounds_max[2]};
}

std::optional<TimeSpan> GaussianScene::time_span() const {
    const splatting::GaussianCloud& c = m_loaded.cloud;
    if (!c.is_4d() || c.empty()) return std::nullopt;
    if (c.time_range()) return TimeSpan{(*c.time_range())[0], (*c.time_range())[1]};
    const auto [lo, hi] = std::minmax_element(c.time_means().begin(), c.time_means().end());
    return TimeSpan{*lo, *hi};
}

std::size_t GaussianScene::memory_bytes() const {
    return m_loaded.cloud.memory_bytes();
}

std::optional<UpHint> GaussianScene::up_hint() const {
    return gaussian_up_hint(m_loaded);
}

std::optional<glm::vec3> GaussianScene::background() const {
    const auto& colour = m_loaded.cloud.background();
    if (!colour) return std::nullopt;
    return glm::vec3((*colour)[0], (*colour)[1], (*colour)[2]);
}

std::unique_ptr<Scene> GaussianScene::cpu_copy() const {
    return std::make_unique<GaussianScene>(m_loaded, m_name, Backend::Cpu);
}

void GaussianScene::save(const std::filesystem::path& path) const {
    if (is_nerf_path(path))
        throw InputError(
            cat(path.string(),
                ": Gaussians are saved as .ply, .compressed.ply, .splat, .spz, .glb, .gltf or .sog"));
    splatting::save_scene(m_loaded.cloud, path);
}

void GaussianScene::set_cloud(splatting::GaussianCloud cloud) {
    m_loaded.cloud = std::move(cloud);
    m_loaded.lod.reset();  // the file's hierarchy was over the old cloud
    m_temporal.reset();
    m_lod.reset();
}

void GaussianScene::set_backend(Backend backend) {
    backend = resolve_backend(backend);
    if (backend != m_rasterizer->backend()) m_rasterizer = splatting::create_rasterizer(backend);
}

FrameStats GaussianScene::render(const Camera& camera, float time, const DrawSettings& settings,
                                 Frame& frame) {
    const auto start = std::chrono::steady_clock::now();
    splatting::RenderSettings s;
    s.background = {settings.background.x, settings.background.y, settings.background.z};
    s.antialias = settings.antialias;
    s.sh_degree = settings.sh_degree;
    s.time = time;
    s.temporal_cutoff = settings.temporal_cutoff;
    s.max_gaussians = settings.max_primitives;
    s.min_radius = settings.min_radius;
    s.keep = settings.keep;
    if (settings.active_masks && m_loaded.cloud.is_4d() && settings.temporal_cutoff > 0.0f) {
        if (!m_temporal || m_temporal->cutoff() != settings.temporal_cutoff) {
            m_temporal.reset();
            if (const std::optional<TimeSpan> span = time_span(); span && span->end > span->begin) {
                const auto built = std::chrono::steady_clock::now();
                m_temporal.emplace(m_loaded.cloud, span->begin, span->end, settings.temporal_cutoff);
                log::debug(m_name, ": temporal hierarchy of ", m_temporal->depth() + 1, " levels (leaves of ",
                           m_temporal->leaf_length(), ") in ",
                           std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - built)
                               .count(),
                           " ms");
            }
        }
        if (m_temporal) {
            m_temporal->alive(time, m_alive);
            // Nothing alive: an empty list would mean every Gaussian; the first of none is as good.
            s.active = m_alive;
            if (m_alive.empty()) s.max_gaussians = 0;
        }
    }
    const splatting::GaussianCloud* cloud = &m_loaded.cloud;
    double lod_ms = 0;
    float lod_target = 0.0f;
    if ((settings.lod_pixels > 0.0f || settings.lod_budget > 0) && !m_loaded.cloud.is_4d() &&
        !m_loaded.cloud.empty()) {
        if (!m_lod) m_lod = m_loaded.lod;
        if (!m_lod) {
            const auto built = std::chrono::steady_clock::now();
            m_lod = std::make_shared<const splatting::LodHierarchy>(splatting::build_lod(m_loaded.cloud));
            log::info(m_name, ": built a Gaussian hierarchy of ", m_lod->nodes.size(), " nodes in ",
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - built).count(),
                      " s (glint lod stores one)");
        }
        const auto cut_start = std::chrono::steady_clock::now();
        splatting::LodCutSettings cut;
        cut.target_pixels = settings.lod_pixels;
        if (settings.lod_budget > 0) cut.budget = settings.lod_budget;
        const splatting::LodCut chosen = splatting::lod_cut(*m_lod, camera, cut);
        const auto gather_start = std::chrono::steady_clock::now();
        splatting::cut_cloud(*m_lod, chosen, m_cut);
        if (settings.lod_levels) paint_levels(*m_lod, chosen, m_cut);
        lod_target = chosen.target_pixels;
        log::debug(m_name, ": cut of ", chosen.nodes.size(), " nodes chosen in ",
                   std::chrono::duration<double, std::milli>(gather_start - cut_start).count(),
                   " ms, gathered in ",
                   std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - gather_start)
                       .count(),
                   " ms");
        lod_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - cut_start).count();
        cloud = &m_cut;
        s.keep = nullptr;
        s.max_gaussians = SIZE_MAX;
    }
    const bool whole = settings.first_row == 0 && (settings.rows < 0 || settings.rows >= camera.height);
    splatting::RenderStats r;
    if (whole) {
        r = m_rasterizer->render(*cloud, camera, s, frame);
    } else {
        // A band is cut from the whole image: a camera cropped to the band would clamp the projection to
        // its own, smaller field of view and change pixels near the band's edges.
        const Camera band = band_camera(camera, settings.first_row, settings.rows);  // checks the band
        GLINT_CHECK(frame.packed_rgba == nullptr || m_rasterizer->backend() == Backend::Cpu,
                    "a band's packed pixels are written on the host: CPU backend only");
        Frame full;
        r = m_rasterizer->render(*cloud, camera, s, full);
        const std::size_t w = static_cast<std::size_t>(camera.width), first = settings.first_row * w,
                          count = static_cast<std::size_t>(band.height) * w;
        const auto rows = [&](const auto& all, auto& part, std::size_t channels) {
            part.assign(all.begin() + static_cast<std::ptrdiff_t>(first * channels),
                        all.begin() + static_cast<std::ptrdiff_t>((first + count) * channels));
        };
        frame.width = camera.width;
        frame.height = band.height;
        rows(full.color, frame.color, 3);
        rows(full.alpha, frame.alpha, 1);
        rows(full.depth, frame.depth, 1);
        rows(full.contributors, frame.contributors, 1);
        if (frame.packed_rgba != nullptr)
            for (std::size_t i = 0; i < count; ++i)
                frame.packed_rgba[i] =
                    pack_rgba8(frame.color[3 * i], frame.color[3 * i + 1], frame.color[3 * i + 2]);
    }
    FrameStats stats;
    stats.backend = m_rasterizer->backend();
    stats.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    stats.preprocess_ms = r.preprocess_ms;
    stats.sort_ms = r.sort_ms;
    stats.blend_ms = r.blend_ms;
    stats.primitives = r.gaussians;
    stats.visible = r.visible;
    stats.tile_pairs = r.tile_pairs;
    if (cloud == &m_cut) stats.lod_ms = lod_ms, stats.lod_nodes = m_cut.size(), stats.lod_target = lod_target;
    return stats;
}

}  // namespace glint::scene
