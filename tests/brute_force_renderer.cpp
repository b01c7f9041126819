// Brute-force renderer for the tests (slow on purpose: O(pixels x Gaussians)).
#include "brute_force_renderer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "glint/splatting/activation.h"

namespace glint::test {

using namespace splatting::raster;

void brute_force_render(const splatting::GaussianCloud& cloud, const Camera& camera,
                        const splatting::RenderSettings& settings, splatting::RenderOutput& out) {
    struct Splat {
        Vec2 center;
        Sym2 conic;
        float opacity, depth;
        Vec3 color;
        int rect_min[2], rect_max[2];
        std::size_t index;
    };
    const int grid_x = (camera.width + kTileSize - 1) / kTileSize;
    const int grid_y = (camera.height + kTileSize - 1) / kTileSize;
    Mat3 w;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) w.m[i][j] = camera.rotation[j][i];
    const glm::vec3 eye = camera.position();
    const int degree =
        settings.sh_degree < 0 ? cloud.sh_degree() : std::min(settings.sh_degree, cloud.sh_degree());
    std::vector<Splat> splats;
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const float* p = cloud.positions().data() + 3 * i;
        const float* s = cloud.log_scales().data() + 3 * i;
        const float* q = cloud.rotations().data() + 4 * i;
        Vec3 mean{p[0], p[1], p[2]};
        Sym3 cov3;
        float temporal = 1.0f;
        if (cloud.is_4d()) {
            const float scale4[4] = {std::exp(s[0]), std::exp(s[1]), std::exp(s[2]),
                                     std::exp(cloud.log_time_scales()[i])};
            const Mat4 cov4 = covariance_4d(scale4, rotation_4d(q, cloud.rotations_right().data() + 4 * i));
            if (!slice_4d(cov4, mean, cloud.time_means()[i], settings.time, mean, cov3, temporal)) continue;
            if (temporal < settings.temporal_cutoff || !(temporal > 0.0f)) continue;
        } else {
            cov3 = covariance_3d({std::exp(s[0]), std::exp(s[1]), std::exp(s[2])},
                                 quaternion_to_rotation(q[0], q[1], q[2], q[3]));
        }
        const glm::vec3 v = camera.rotation * glm::vec3(mean.x, mean.y, mean.z) + camera.translation;
        if (!(v.z > settings.near_plane)) continue;
        Sym2 cov2 = project_covariance(cov3, w, {v.x, v.y, v.z}, camera.fx, camera.fy,
                                       0.5f * static_cast<float>(camera.width) / camera.fx,
                                       0.5f * static_cast<float>(camera.height) / camera.fy);
        Splat splat;
        splat.opacity = splatting::sigmoid(cloud.opacity_logits()[i]) * temporal *
                        apply_low_pass(cov2, settings.antialias);
        if (!invert(cov2, splat.conic)) continue;
        splat.center = {camera.fx * v.x / v.z + camera.cx, camera.fy * v.y / v.z + camera.cy};
        tile_rect(splat.center, reference_radius(cov2), grid_x, grid_y, splat.rect_min, splat.rect_max);
        if ((splat.rect_max[0] - splat.rect_min[0]) * (splat.rect_max[1] - splat.rect_min[1]) == 0) continue;
        const glm::vec3 d = glm::normalize(glm::vec3(mean.x, mean.y, mean.z) - eye);
        const float* rest =
            cloud.sh_rest().data() + i * static_cast<std::size_t>(cloud.sh_rest_per_channel()) * 3;
        if (cloud.time_color_degree() > 0) {
            const std::size_t stride = cloud.time_color_per_gaussian();
            splat.color = sh_to_color_4d(
                degree, cloud.sh_dc().data() + 3 * i, rest, cloud.time_color_degree(),
                cloud.time_color().data() + i * stride, static_cast<int>(stride) / cloud.time_color_degree(),
                settings.time - cloud.time_means()[i], cloud.time_period(), {d.x, d.y, d.z});
        } else {
            splat.color = sh_to_color(degree, cloud.sh_dc().data() + 3 * i, rest, {d.x, d.y, d.z});
        }
        splat.depth = v.z;
        splat.index = i;
        splats.push_back(splat);
    }
    std::stable_sort(splats.begin(), splats.end(),
                     [](const Splat& a, const Splat& b) { return a.depth < b.depth; });

    out.width = camera.width;
    out.height = camera.height;
    const std::size_t pixels =
        static_cast<std::size_t>(camera.width) * static_cast<std::size_t>(camera.height);
    out.color.assign(pixels * 3, 0.0f);
    out.alpha.assign(pixels, 0.0f);
    out.depth.assign(pixels, 0.0f);
    out.contributors.assign(pixels, 0);
    for (int y = 0; y < camera.height; ++y) {
        for (int x = 0; x < camera.width; ++x) {
            const int tx = x / kTileSize, ty = y / kTileSize;
            float t = 1.0f, r = 0, g = 0, b = 0, depth = 0;
            std::uint32_t count = 0;
            for (const Splat& s : splats) {
                if (tx < s.rect_min[0] || tx >= s.rect_max[0] || ty < s.rect_min[1] || ty >= s.rect_max[1])
                    continue;
                const float power = gaussian_power(s.conic, s.center.x - (static_cast<float>(x) + 0.5f),
                                                   s.center.y - (static_cast<float>(y) + 0.5f));
                if (power > 0.0f) continue;
                const float alpha = std::min(kMaxAlpha, s.opacity * std::exp(power));
                if (alpha < kMinAlpha) continue;
                const float next = t * (1.0f - alpha);
                if (next < kMinTransmittance) break;
                r += s.color.x * alpha * t;
                g += s.color.y * alpha * t;
                b += s.color.z * alpha * t;
                depth += s.depth * alpha * t;
                ++count;
                t = next;
            }
            const std::size_t o = static_cast<std::size_t>(y) * static_cast<std::size_t>(camera.width) + x;
            out.color[3 * o + 0] = r + t * settings.background.x;
            out.color[3 * o + 1] = g + t * settings.background.y;
            out.color[3 * o + 2] = b + t * settings.background.z;
            out.alpha[o] = 1.0f - t;
            out.depth[o] = 1.0f - t > 0.0f ? depth / (1.0f - t) : 0.0f;
            out.contributors[o] = count;
        }
    }
}

}  // namespace glint::test
