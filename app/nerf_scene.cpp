#include "nerf_scene.h"

#include <algorithm>
#include <cmath>

#include "glint/core/text.h"

namespace glint::app {

bool is_nerf_path(const std::filesystem::path& path) {
    return to_lower(path.extension().string()) == ".nerf";
}

SceneSphere nerf_sphere(const nerf::NerfModel& model) {
    glm::vec3 lo, hi;
    model.occupied_box(lo, hi);
    return {0.5f * (lo + hi), 0.5f * glm::length(hi - lo)};
}

splatting::RenderStats render_nerf_frame(const nerf::NerfModel& model, const Camera& camera,
                                         const splatting::RenderSettings& settings, Backend backend,
                                         splatting::RenderOutput& out, nerf::NerfRenderStats* stats,
                                         int first_row, int rows) {
    nerf::NerfRenderSettings nerf_settings;
    nerf_settings.first_row = first_row;
    nerf_settings.rows = rows;
    nerf_settings.background = {settings.background.x, settings.background.y, settings.background.z};
    nerf_settings.depth = out.float_images;
    nerf_settings.backend = backend;
    nerf::NerfImage image;
    const nerf::NerfRenderStats nerf_stats = nerf::render_nerf(model, camera, nerf_settings, image);
    if (stats != nullptr) *stats = nerf_stats;
    if (out.packed_rgba != nullptr) {
        for (std::size_t i = 0; i < image.color.size() / 3; ++i) {
            std::uint32_t p = 0xff000000u;
            for (int c = 0; c < 3; ++c) {
                const float v = std::clamp(image.color[3 * i + static_cast<std::size_t>(c)], 0.0f, 1.0f);
                p |= static_cast<std::uint32_t>(std::lround(v * 255.0f)) << (8 * c);
            }
            out.packed_rgba[i] = p;
        }
    }
    out.width = image.width;
    out.height = image.height;
    if (out.float_images) {
        out.color = std::move(image.color);
        out.alpha = std::move(image.alpha);
        out.depth = std::move(image.depth);
        out.contributors.assign(out.alpha.size(), 0);
    }
    splatting::RenderStats result;
    result.blend_ms = nerf_stats.ms;
    return result;
}

}  // namespace glint::app
