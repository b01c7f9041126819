#include "glint/scene/nerf_scene.h"

#include <algorithm>
#include <cmath>

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/nerf/prune.h"
#include "glint/nerf/render.h"

namespace glint::scene {

NerfScene::NerfScene(std::shared_ptr<const nerf::NerfModel> model, const std::string& name, Backend backend)
    : m_model(std::move(model)), m_name(name), m_backend(resolve_backend(backend)) {}

std::string NerfScene::summary() const {
    const nerf::NerfConfig& c = m_model->config();
    return cat(c.grid.levels, " levels x ", c.grid.features, " features, tables of 2^",
               c.grid.log2_table_size, "; networks ", c.hidden, " wide; ", c.cascades,
               c.cascades == 1 ? " cascade" : " cascades");
}

Sphere NerfScene::framing_sphere() const {
    glm::vec3 lo, hi;
    m_model->occupied_box(lo, hi);
    return {0.5f * (lo + hi), 0.5f * glm::length(hi - lo)};
}

void NerfScene::bounds(glm::vec3& lo, glm::vec3& hi) const {
    // The scene box of the innermost cascade, in world units.
    const nerf::NerfConfig& c = m_model->config();
    for (int a = 0; a < 3; ++a) {
        lo[a] = c.centre[a] - c.half_size;
        hi[a] = c.centre[a] + c.half_size;
    }
}

std::size_t NerfScene::memory_bytes() const {
    const std::size_t features = static_cast<std::size_t>(m_model->config().grid.features);
    return (nerf::nonzero_entries(*m_model) * features + m_model->density_net().weights().size() +
            m_model->colour_net().weights().size()) *
               sizeof(float) +
           m_model->occupancy().size() / 8;
}

void NerfScene::set_backend(Backend backend) {
    m_backend = resolve_backend(backend);
}

std::unique_ptr<Scene> NerfScene::cpu_copy() const {
    return std::make_unique<NerfScene>(m_model, m_name, Backend::Cpu);
}

void NerfScene::save(const std::filesystem::path& path) const {
    if (!is_nerf_path(path)) throw InputError(cat(path.string(), ": a NeRF is saved as .nerf"));
    nerf::save_nerf(*m_model, path);
}

FrameStats NerfScene::render(const Camera& camera, float, const DrawSettings& settings, Frame& frame) {
    nerf::NerfRenderSettings s;
    s.first_row = settings.first_row;
    s.rows = settings.rows;
    s.background = {settings.background.x, settings.background.y, settings.background.z};
    s.depth = frame.float_images;
    s.backend = m_backend;
    nerf::NerfImage image;
    const nerf::NerfRenderStats r = m_renderer.render(m_model, camera, s, image);
    if (frame.packed_rgba != nullptr) {
        for (std::size_t i = 0; i < image.color.size() / 3; ++i) {
            std::uint32_t p = 0xff000000u;
            for (int c = 0; c < 3; ++c) {
                const float v = std::clamp(image.color[3 * i + static_cast<std::size_t>(c)], 0.0f, 1.0f);
                p |= static_cast<std::uint32_t>(std::lround(v * 255.0f)) << (8 * c);
            }
            frame.packed_rgba[i] = p;
        }
    }
    frame.width = image.width;
    frame.height = image.height;
    if (frame.float_images) {
        frame.color = std::move(image.color);
        frame.alpha = std::move(image.alpha);
        frame.depth = std::move(image.depth);
        frame.contributors.assign(frame.alpha.size(), 0);
    }
    FrameStats stats;
    stats.backend = r.backend;
    stats.ms = r.ms;
    stats.blend_ms = r.ms;
    stats.samples = r.samples;
    return stats;
}

}  // namespace glint::scene
