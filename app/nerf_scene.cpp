#include "nerf_scene.h"

#include <algorithm>
#include <cmath>

#include "glint/core/text.h"
#include "glint/nerf/render.h"

namespace glint::app {

bool is_nerf_path(const std::filesystem::path& path) {
    return to_lower(path.extension().string()) == ".nerf";
}

SceneSphere nerf_sphere(const nerf::NerfModel& model) {
    const nerf::NerfConfig& c = model.config();
    // The box of the occupied cells of the innermost cascade, in world units.
    glm::vec3 lo(1e30f), hi(-1e30f);
    const std::size_t r = static_cast<std::size_t>(c.occupancy_resolution), cells = r * r * r;
    for (std::size_t i = 0; i < cells; ++i) {
        if (!model.occupancy()[i]) continue;
        float a[3], b[3];
        model.cell_box(i, a, b);
        lo = glm::min(lo, glm::vec3(a[0], a[1], a[2]));
        hi = glm::max(hi, glm::vec3(b[0], b[1], b[2]));
    }
    if (lo.x > hi.x) {
        lo = glm::vec3(0.0f);
        hi = glm::vec3(1.0f);
    }
    const float world = 1.0f / model.normalized_scale();
    const glm::vec3 centre = c.centre + (0.5f * (lo + hi) - glm::vec3(0.5f)) * world;
    return {centre, 0.5f * glm::length(hi - lo) * world};
}

splatting::RenderStats render_nerf_frame(const nerf::NerfModel& model, const Camera& camera,
                                         const splatting::RenderSettings& settings,
                                         splatting::RenderOutput& out, std::size_t* samples, int first_row,
                                         int rows) {
    nerf::NerfRenderSettings nerf_settings;
    nerf_settings.first_row = first_row;
    nerf_settings.rows = rows;
    nerf_settings.background = {settings.background.x, settings.background.y, settings.background.z};
    nerf_settings.depth = out.float_images;
    nerf::NerfImage image;
    const nerf::NerfRenderStats stats = nerf::render_nerf(model, camera, nerf_settings, image);
    if (samples != nullptr) *samples = stats.samples;
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
    result.blend_ms = stats.ms;
    return result;
}

}  // namespace glint::app
