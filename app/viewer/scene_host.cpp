#include "scene_host.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "glint/core/error.h"
#include "glint/core/frame_display.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/nerf/model.h"
#include "glint/splatting/prune.h"
#include "glint/splatting/scene_io.h"

namespace glint::app {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// "dir/name.ext" -> "dir/name_pruned.EXT", the Save As default after pruning.
std::string pruned_name(const std::string& path, const char* extension) {
    if (path.empty()) return cat("pruned", extension);
    const std::filesystem::path p(path);
    return (p.parent_path() / (p.stem().string() + "_pruned" + extension)).string();
}

}  // namespace

float next_lod_target(float current, float chosen, double frame_ms, double target_ms) {
    // A cut's cost falls about as the square of its target size: the square root of the time ratio, by at
    // most a quarter a frame.
    const double factor = std::clamp(std::sqrt(frame_ms / target_ms), 0.8, 1.25);
    return static_cast<float>(
        std::clamp(static_cast<double>(current) * factor, std::max(static_cast<double>(chosen), 0.5), 256.0));
}

SceneHost::SceneHost(ViewerState& state, const ViewOptions& options, Notify notice)
    : m_state(state), m_options(options), m_notice(std::move(notice)) {}

void SceneHost::install(std::unique_ptr<scene::Scene> scene, const std::string& name,
                        const std::string& path) {
    m_scene = std::move(scene);
    m_path = path;
    m_refine = {};
    m_keep.clear();
    m_removed.clear();
    m_prune_criteria = {-1.0f, -1.0f, -1.0f};
    set_significance({});
    // The budget draws the first Gaussians: put them in importance order, unless the file's Gaussian
    // hierarchy needs its own (tree) order.
    if (scene::GaussianScene* g = gaussians(); g != nullptr && g->loaded().lod == nullptr)
        g->set_cloud(splatting::gather(g->cloud(), splatting::importance_order(g->cloud())));
    show_counts();
    m_state.scene_name = name;
    m_state.is_nerf = nerf() != nullptr;
    m_state.gaussians_loaded = m_state.gaussians;
    m_state.budget = static_cast<int>(m_scene->primitives());
    // --lod-pixels / --lod-budget open the panel on the hierarchy's cut.
    if (m_options.lod_pixels > 0.0f || m_options.lod_budget > 0) {
        m_state.lod = LodMode::Hierarchy;
        if (m_options.lod_pixels > 0.0f) m_state.lod_pixels = m_options.lod_pixels;
        m_state.lod_use_budget = m_options.lod_budget > 0;
        if (m_options.lod_budget > 0)
            m_state.lod_budget = static_cast<int>(std::min<std::size_t>(m_options.lod_budget, 2'000'000'000));
        if (m_options.lod_pixels <= 0.0f) m_state.lod_pixels = 0.0f;
        m_state.lod_levels = m_options.lod_levels;
    }
    m_state.lod_auto_pixels = std::max(m_state.lod_pixels, 0.5f);
    const int degree = gaussians() != nullptr ? gaussians()->cloud().sh_degree() : 0;
    m_state.sh_degree_limit = m_options.sh_degree >= 0 ? std::min(m_options.sh_degree, degree) : degree;
    const std::optional<scene::TimeSpan> span = m_scene->time_span();
    m_state.is_4d = span.has_value();
    if (span) {
        m_state.time_min = span->begin;
        m_state.time_max = std::max(span->end, span->begin + 1e-6f);
        m_state.time = resolve_time(m_options, *m_scene, name);
    } else {
        m_state.playing = false;
    }
    if (!m_scene->has_counts() && m_state.display == DisplayMode::Heat) m_state.display = DisplayMode::Color;
    m_state.prune_preview = PrunePreview::Off;
    // A progressive scene's first frame comes quickly; the rate it reaches sets the scale.
    if (m_scene->progressive()) m_state.adaptive_scale = 0.25f;
    m_state.save_path = pruned_name(path, nerf() != nullptr ? ".nerf" : ".ply");
    m_state.nerf_pruned = false;
    m_state.nerf_prune_report.clear();
    if (nerf() != nullptr) {
        const std::optional<std::filesystem::path> beside = cameras_beside(path);
        m_state.nerf_prune_views = beside ? cat("the cameras of ", beside->string())
                                          : std::string("96 views around the scene, 192x192");
    }
}

void SceneHost::model_changed() {
    show_counts();
}

// The scene's counts, memory and bounds in the panel.
void SceneHost::show_counts() {
    ++m_version;
    m_state.gaussians = m_scene->primitives();
    m_state.memory_bytes = m_scene->memory_bytes();
    glm::vec3 lo, hi;
    m_scene->bounds(lo, hi);
    m_state.bounds_min = {lo.x, lo.y, lo.z};
    m_state.bounds_max = {hi.x, hi.y, hi.z};
    if (const scene::GaussianScene* g = gaussians()) m_state.sh_degree = g->cloud().sh_degree();
    if (const scene::NerfScene* n = nerf()) {
        const nerf::NerfModel& model = *n->model();
        m_state.nerf_summary = n->summary();
        m_state.nerf_parameters = model.parameter_count();
        m_state.nerf_occupied = model.occupied_cells();
        m_state.nerf_cells = model.occupancy().size();
    }
}

void SceneHost::set_cloud(const splatting::GaussianCloud& cloud) {
    scene::GaussianScene* g = gaussians();
    if (g == nullptr) return;
    const bool whole = m_state.budget >= static_cast<int>(m_state.gaussians);
    g->set_cloud(splatting::gather(cloud, splatting::importance_order(cloud)));
    set_significance({});
    show_counts();
    m_state.gaussians_loaded = m_state.gaussians;
    if (whole || m_state.budget > static_cast<int>(m_state.gaussians))
        m_state.budget = static_cast<int>(m_state.gaussians);
}

void SceneHost::set_significance(std::vector<float> scores) {
    m_significance = std::move(scores);
    m_state.significance_ready = !m_significance.empty();
    m_prune_mode = -1;  // masks again
}

void SceneHost::update_prune_mask() {
    const scene::GaussianScene* g = gaussians();
    if (g == nullptr) return;
    if (m_state.prune_mode == 1) {
        // Significance: the lowest fraction goes once there are scores; until then everything stays.
        if (m_prune_mode == 1 && m_prune_fraction == m_state.prune_fraction &&
            m_keep.size() == g->cloud().size())
            return;
        m_prune_mode = 1;
        m_prune_fraction = m_state.prune_fraction;
        m_prune_criteria = {-1.0f, -1.0f, -1.0f};
        if (m_significance.size() == g->cloud().size())
            m_state.prune_kept = splatting::keep_highest(m_significance, m_state.prune_fraction, m_keep);
        else
            m_state.prune_kept = splatting::prune_mask(g->cloud(), {}, m_keep);
        m_removed.resize(m_keep.size());
        for (std::size_t i = 0; i < m_keep.size(); ++i) m_removed[i] = m_keep[i] ? 0 : 1;
        ++m_prune_version;
        return;
    }
    const splatting::PruneCriteria criteria{m_state.prune_min_opacity, m_state.prune_max_scale,
                                            m_state.prune_min_scale};
    if (criteria.min_opacity == m_prune_criteria.min_opacity &&
        criteria.max_scale == m_prune_criteria.max_scale &&
        criteria.min_scale == m_prune_criteria.min_scale && m_keep.size() == g->cloud().size())
        return;
    m_prune_criteria = criteria;
    m_prune_mode = 0;
    m_state.prune_kept = splatting::prune_mask(g->cloud(), criteria, m_keep);
    m_removed.resize(m_keep.size());
    for (std::size_t i = 0; i < m_keep.size(); ++i) m_removed[i] = m_keep[i] ? 0 : 1;
    ++m_prune_version;
}

void SceneHost::handle_requests() {
    update_prune_mask();
    if (m_state.prune_apply) {
        m_state.prune_apply = false;
        if (scene::GaussianScene* g = gaussians()) {
            const std::size_t before = g->cloud().size();
            g->set_cloud(splatting::select(g->cloud(), m_keep));
            // The kept Gaussians keep their scores, so pruning can go on from them.
            if (m_significance.size() == m_keep.size()) {
                std::vector<float> kept;
                for (std::size_t i = 0; i < m_keep.size(); ++i)
                    if (m_keep[i]) kept.push_back(m_significance[i]);
                set_significance(std::move(kept));
            }
            m_prune_mode = -1;
            show_counts();
            m_state.budget = static_cast<int>(m_state.gaussians);
            m_state.prune_preview = PrunePreview::Off;
            m_prune_criteria = {-1.0f, -1.0f, -1.0f};
            update_prune_mask();
            m_notice(cat("pruned ", before - m_state.gaussians, " Gaussians; ", m_state.gaussians,
                         " remain (Save As keeps them)"));
        }
    }
    if (m_state.save) {
        m_state.save = false;
        try {
            m_scene->save(m_state.save_path);
            m_notice(cat("saved ", m_scene->summary(), " to ", m_state.save_path));
        } catch (const std::exception& e) {
            m_state.error = e.what();
            log::error(e.what());
        }
    }
}

scene::DrawSettings SceneHost::draw_settings(bool automatic_budget) const {
    scene::DrawSettings settings;
    settings.background = {m_state.background[0], m_state.background[1], m_state.background[2]};
    settings.sh_degree = m_state.sh_degree_limit;
    settings.antialias = m_state.antialias;
    settings.temporal_cutoff = m_options.temporal_cutoff;
    settings.active_masks = !m_options.no_active_masks;
    if (m_state.lod == LodMode::Hierarchy && !m_state.is_4d) {
        settings.lod_pixels =
            automatic_budget && m_state.lod_auto ? m_state.lod_auto_pixels : m_state.lod_pixels;
        if (m_state.lod_use_budget)
            settings.lod_budget = static_cast<std::size_t>(std::max(m_state.lod_budget, 1));
        settings.lod_levels = m_state.lod_levels;
    }
    if (m_state.lod == LodMode::Budget || (m_state.lod == LodMode::Auto && automatic_budget))
        settings.max_primitives = static_cast<std::size_t>(std::max(m_state.budget, 0));
    if (m_state.lod == LodMode::MinSize) settings.min_radius = m_state.min_radius;
    if (m_state.prune_preview == PrunePreview::Kept) settings.keep = m_keep.data();
    if (m_state.prune_preview == PrunePreview::Removed) settings.keep = m_removed.data();
    return settings;
}

SceneHost::RenderKey SceneHost::key(const Camera& camera, int width, int height,
                                    bool automatic_budget) const {
    RenderKey key;
    std::memset(&key, 0, sizeof key);
    std::memcpy(key.rotation, &camera.rotation[0][0], sizeof key.rotation);
    std::memcpy(key.translation, &camera.translation[0], sizeof key.translation);
    key.fx = camera.fx;
    key.fy = camera.fy;
    key.width = width;
    key.height = height;
    key.display = static_cast<int>(m_state.display);
    key.backend = static_cast<int>(m_state.backend);
    std::copy(m_state.background.begin(), m_state.background.end(), key.background);
    key.sh_degree = m_state.sh_degree_limit;
    key.antialias = m_state.antialias;
    key.lod = static_cast<int>(m_state.lod);
    // The automatic budget follows the frame rate; a change of it alone does not call for a new frame.
    key.budget = m_state.lod == LodMode::Budget ? m_state.budget : (automatic_budget ? -1 : 0);
    key.min_radius = m_state.lod == LodMode::MinSize ? m_state.min_radius : 0.0f;
    if (m_state.lod == LodMode::Hierarchy) {
        // As the automatic budget: the automatic target's own changes call for no new frame.
        key.lod_pixels = automatic_budget && m_state.lod_auto ? -1.0f : m_state.lod_pixels;
        key.lod_budget = m_state.lod_use_budget ? m_state.lod_budget : 0;
        key.lod_levels = m_state.lod_levels;
    }
    key.preview = static_cast<int>(m_state.prune_preview);
    key.prune_version = m_state.prune_preview == PrunePreview::Off ? 0 : m_prune_version;
    key.scene_version = m_version;
    key.time = m_state.is_4d ? m_state.time : 0.0f;
    return key;
}

bool SceneHost::render(const CameraController& camera, int viewport_width, int viewport_height, bool moving,
                       int slot, renderer::Presenter& presenter,
                       std::optional<renderer::PixelSource>& source) {
    if (!m_scene) return false;
    m_scene->set_backend(m_state.backend);
    const bool progressive = m_scene->progressive();
    // A progressive scene refines at full resolution; others drop to the adaptive scale while moving (CPU).
    const bool adaptive =
        !progressive && m_state.backend == Backend::Cpu && m_state.adaptive_resolution && moving;
    const float scale = m_state.resolution_scale * (adaptive ? m_state.adaptive_scale : 1.0f);
    const int width = std::max(1, static_cast<int>(std::lround(static_cast<float>(viewport_width) * scale)));
    const int height =
        std::max(1, static_cast<int>(std::lround(static_cast<float>(viewport_height) * scale)));
    const Camera view = camera.camera(width, height);
    // The automatic budget and hierarchy target apply while frames follow each other; a still view gets
    // every Gaussian, or the chosen target.
    const bool automatic =
        (m_state.lod == LodMode::Auto || (m_state.lod == LodMode::Hierarchy && m_state.lod_auto)) &&
        (moving || m_state.playing);
    const RenderKey k = key(view, width, height, automatic);
    const bool changed = !m_have_image || std::memcmp(&k, &m_last_key, sizeof k) != 0;
    if (!changed && !m_refine.active) return false;

    const auto start = Clock::now();
    scene::FrameStats stats;
    presenter.set_image_size(width, height);
    const double target_ms = 1000.0 / std::max(1.0f, m_state.target_fps);
    if (progressive) {
        render_progressive(camera, width, height, changed);
        stats.backend = m_scene->backend();
        stats.blend_ms = ms_between(start, Clock::now());
    } else {
        const bool shared = m_scene->backend() == Backend::Cuda && m_state.cuda_shared &&
                            m_state.display == DisplayMode::Color;
        const bool direct = m_scene->backend() == Backend::Cpu && m_state.display == DisplayMode::Color;
        if (shared) {
            presenter.begin_cuda_write(slot);
            m_out.packed_rgba = presenter.cuda_pixels(slot);
        } else {
            m_out.packed_rgba = direct ? presenter.host_pixels(slot) : nullptr;
        }
        // The colour alone needs only the packed pixels; the data images need the float ones.
        m_out.float_images = !(shared || direct);
        try {
            stats = m_scene->render(view, m_state.time, draw_settings(automatic), m_out);
        } catch (...) {
            if (shared) presenter.end_cuda_write(slot);
            m_out.packed_rgba = nullptr;
            throw;
        }
        m_out.packed_rgba = nullptr;
        if (shared) {
            presenter.end_cuda_write(slot);
            source = renderer::PixelSource::Cuda;
        }
        if (direct) source = renderer::PixelSource::Host;
    }
    const auto rendered = Clock::now();
    if (!source) {
        // The float images, shown as the display mode asks.
        const Frame& image = progressive ? m_refine.image : m_out;
        const DepthRange range = m_state.display == DisplayMode::Depth ? depth_range(image) : DepthRange{};
        m_state.depth_near = range.near;
        m_state.depth_far = range.far;
        m_state.heat_max = display_pixels(
            image, m_state.display, range,
            std::span<std::uint32_t>(presenter.host_pixels(slot), static_cast<std::size_t>(width) * height));
        source = renderer::PixelSource::Host;
    }
    const double render_ms = ms_between(start, Clock::now());
    const double display_ms = ms_between(rendered, Clock::now());

    // Frame-rate control: adaptive resolution while moving (CPU), and the automatic budget.
    if (adaptive)
        m_state.adaptive_scale =
            std::clamp(m_state.adaptive_scale *
                           static_cast<float>(std::clamp(std::sqrt(target_ms / render_ms), 0.7, 1.2)),
                       0.25f, 1.0f);
    if (automatic && m_state.lod == LodMode::Hierarchy) {
        m_state.lod_auto_pixels =
            next_lod_target(m_state.lod_auto_pixels, m_state.lod_pixels, render_ms, target_ms);
    } else if (automatic) {
        const double factor = std::clamp(target_ms / render_ms, 0.8, 1.2);
        const double total = static_cast<double>(m_scene->primitives());
        m_state.budget =
            static_cast<int>(std::clamp(m_state.budget * factor, std::min(1000.0, total), total));
    }
    m_reduced = progressive ? m_refine.active : adaptive && scale < m_state.resolution_scale;
    m_state.nerf_refined =
        progressive ? static_cast<float>(m_refine.next_row) / static_cast<float>(height) : 1.0f;
    m_state.render_width = width;
    m_state.render_height = height;
    finish_frame(render_ms, display_ms, stats);
    m_last_key = k;
    m_have_image = true;
    if (!progressive)
        log::debug("frame ", width, "x", height, " on the ", backend_name(stats.backend), ": ",
                   stats.describe(), "; ", render_ms, " ms", moving ? " (moving)" : "");
    return true;
}

// When the view changed, a quick frame at the adaptive scale, enlarged to the full resolution; while it
// stays, full-resolution rows replace the enlarged ones, as many per frame as fit the target frame time,
// until the image is complete.
void SceneHost::render_progressive(const CameraController& camera, int width, int height, bool changed) {
    const auto start = Clock::now();
    const double target_ms = 1000.0 / std::max(1.0f, m_state.target_fps);
    const scene::DrawSettings settings = draw_settings(false);
    Frame& image = m_refine.image;
    const std::size_t pixels = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    if (changed) {
        const float scale = m_state.adaptive_resolution ? m_state.adaptive_scale : 1.0f;
        const int quick_width = std::max(1, static_cast<int>(std::lround(static_cast<float>(width) * scale)));
        const int quick_height =
            std::max(1, static_cast<int>(std::lround(static_cast<float>(height) * scale)));
        Frame quick;
        m_scene->render(camera.camera(quick_width, quick_height), m_state.time, settings, quick);
        const double ms = ms_between(start, Clock::now());
        if (m_state.adaptive_resolution)
            m_state.adaptive_scale =
                std::clamp(scale * static_cast<float>(std::clamp(std::sqrt(target_ms / ms), 0.7, 1.2)),
                           1.0f / 16.0f, 1.0f);
        // The full-resolution image starts as the quick frame enlarged (nearest pixel).
        image.width = width;
        image.height = height;
        image.color.resize(3 * pixels);
        image.alpha.resize(pixels);
        image.depth.resize(pixels);
        image.contributors.assign(pixels, 0);
        const bool counts = quick.contributors.size() == quick.alpha.size();
        for (int y = 0; y < height; ++y) {
            const auto sy = static_cast<std::size_t>(std::min(quick_height - 1, y * quick_height / height));
            for (int x = 0; x < width; ++x) {
                const auto sx = static_cast<std::size_t>(std::min(quick_width - 1, x * quick_width / width));
                const std::size_t from = sy * static_cast<std::size_t>(quick_width) + sx,
                                  to = static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                                       static_cast<std::size_t>(x);
                for (std::size_t c = 0; c < 3; ++c) image.color[3 * to + c] = quick.color[3 * from + c];
                image.alpha[to] = quick.alpha[from];
                image.depth[to] = quick.depth[from];
                if (counts) image.contributors[to] = quick.contributors[from];
            }
        }
        m_refine.next_row = quick_width == width && quick_height == height ? height : 0;
    } else {
        // Full-resolution rows in chunks of at most 16, until the frame's time is spent (each chunk's
        // size from the cost of the rows just above: neighbouring rows cost about the same, whereas the
        // background rows and the object's differ a hundredfold). On CUDA a chunk is a batch of rays: no
        // limit but the time.
        const Camera full = camera.camera(width, height);
        const int max_chunk = m_scene->backend() == Backend::Cuda ? height : 16;
        double spent = 0;
        while (m_refine.next_row < height && spent < 0.8 * target_ms) {
            const int rows = std::clamp(
                m_refine.ms_per_row > 0 ? static_cast<int>((target_ms - spent) / m_refine.ms_per_row) : 2, 1,
                std::min(max_chunk, height - m_refine.next_row));
            const auto chunk_start = Clock::now();
            scene::DrawSettings band = settings;
            band.first_row = m_refine.next_row;
            band.rows = rows;
            Frame out;
            m_scene->render(full, m_state.time, band, out);
            const std::size_t offset =
                static_cast<std::size_t>(m_refine.next_row) * static_cast<std::size_t>(width);
            const auto at = [](std::size_t i) { return static_cast<std::ptrdiff_t>(i); };
            std::copy(out.color.begin(), out.color.end(), image.color.begin() + at(3 * offset));
            std::copy(out.alpha.begin(), out.alpha.end(), image.alpha.begin() + at(offset));
            std::copy(out.depth.begin(), out.depth.end(), image.depth.begin() + at(offset));
            if (out.contributors.size() == out.alpha.size())
                std::copy(out.contributors.begin(), out.contributors.end(),
                          image.contributors.begin() + at(offset));
            m_refine.ms_per_row = ms_between(chunk_start, Clock::now()) / rows;
            m_refine.next_row += rows;
            spent = ms_between(start, Clock::now());
        }
    }
    m_refine.active = m_refine.next_row < height;
    log::debug("progressive frame: ", changed ? "quick frame, " : "refined, ", m_refine.next_row, " of ",
               height, " rows at full resolution, ", ms_between(start, Clock::now()), " ms");
}

void SceneHost::finish_frame(double render_ms, double display_ms, const scene::FrameStats& stats) {
    m_state.render_ms = render_ms;
    m_state.drawn = stats.primitives;
    m_state.visible = stats.visible;
    m_state.cut_nodes = stats.lod_nodes;
    m_state.cut_ms = static_cast<float>(stats.lod_ms);
    m_state.cut_target = stats.lod_target;
    const double now = std::chrono::duration<double>(Clock::now() - m_start).count();
    const double interval = (now - m_last_render_time) * 1000.0;
    m_last_render_time = now;
    // The frame rate while frames follow each other (moving, playing); 0 after an idle gap.
    constexpr double kIdleGapMs = 250.0;
    m_state.fps = interval < kIdleGapMs
                      ? (m_state.fps > 0 ? 0.8 * m_state.fps + 0.2 * (1000.0 / interval) : 1000.0 / interval)
                      : 0.0;
    m_state.timings.push(static_cast<float>(interval), static_cast<float>(stats.preprocess_ms),
                         static_cast<float>(stats.sort_ms), static_cast<float>(stats.blend_ms),
                         static_cast<float>(display_ms));
}

}  // namespace glint::app
