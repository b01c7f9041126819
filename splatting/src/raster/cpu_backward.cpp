// The CPU backward pass of the tile rasterizer: per pixel, the forward blend is replayed front to back
// and undone back to front (Kerbl et al. 2023), giving per-splat gradients of the screen mean, conic,
// opacity and colour; then the per-Gaussian chain (gradients.h) takes them to the raw parameters.
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "cpu_rasterizer.h"
#include "frame_params.h"
#include "glint/core/error.h"
#include "glint/splatting/raster/gradients.h"

namespace glint::splatting {
namespace {

using raster::kTileSize;

constexpr int kGradsPerSplat = 9;  // mean x, y; conic a, b, c; opacity; colour r, g, b

struct Contribution {
    std::uint32_t rank;  // into the sorted splats
    float alpha, gaussian;
    bool clamped;  // alpha hit kMaxAlpha: no gradient through it
};

}  // namespace

void CpuRasterizer::backward_impl(const GaussianCloud& cloud, const Camera& camera,
                                  const RenderSettings& settings, std::span<const float> v_color,
                                  CloudGradients& grads) {
    const int width = camera.width, height = camera.height;
    const int grid_x = (width + kTileSize - 1) / kTileSize;
    const int grid_y = (height + kTileSize - 1) / kTileSize;
    const std::size_t tiles = static_cast<std::size_t>(grid_x) * static_cast<std::size_t>(grid_y);
    GLINT_CHECK(m_tile_ranges.size() == tiles + 1, "backward: call render() for this camera first");
    const std::size_t visible = m_sorted_splats.size();
    const raster::Vec3 background = settings.background;

    // --- per pixel: replay and undo the blend ---------------------------------------------------------
    // Tiles are cut into a fixed number of contiguous chunks, each summing into its own buffer, and the
    // buffers are added in chunk order: the same sums in the same order on every run (training is
    // deterministic for a seed on a given machine).
    const std::size_t chunks =
        std::min<std::size_t>(tiles, 2 * static_cast<std::size_t>(tbb::info::default_concurrency()));
    std::vector<std::vector<float>> partial(chunks);
    tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t chunk) {
        std::vector<float>& acc = partial[chunk];
        acc.assign(visible * kGradsPerSplat, 0.0f);
        std::vector<Contribution> list;
        for (std::size_t tile = chunk * tiles / chunks; tile < (chunk + 1) * tiles / chunks; ++tile) {
            const int tx = static_cast<int>(tile % static_cast<std::size_t>(grid_x));
            const int ty = static_cast<int>(tile / static_cast<std::size_t>(grid_x));
            const std::uint32_t* ranks = m_sorted_ranks.data() + m_tile_ranges[tile];
            const std::size_t count = m_tile_ranges[tile + 1] - m_tile_ranges[tile];
            for (int py = ty * kTileSize; py < std::min(height, (ty + 1) * kTileSize); ++py)
                for (int px = tx * kTileSize; px < std::min(width, (tx + 1) * kTileSize); ++px) {
                    const float cx = static_cast<float>(px) + 0.5f, cy = static_cast<float>(py) + 0.5f;
                    // Front to back, with the forward pass's rules.
                    list.clear();
                    float transmittance = 1.0f;
                    for (std::size_t k = 0; k < count; ++k) {
                        const raster::Splat& s = m_sorted_splats[ranks[k]];
                        // Outside the box around the 1/255 contour alpha stays below 1/255 (the forward pass
                        // skips these pixels the same way).
                        if (std::abs(cx - s.mean.x) > s.extent.x || std::abs(cy - s.mean.y) > s.extent.y)
                            continue;
                        const float power = raster::gaussian_power(s.conic, cx - s.mean.x, cy - s.mean.y);
                        if (!(power <= 0.0f)) continue;
                        const float g = raster::blend_exp(power);
                        const float raw = s.opacity * g;
                        const float alpha = raw < raster::kMaxAlpha ? raw : raster::kMaxAlpha;
                        if (alpha < raster::kMinAlpha) continue;
                        const float next = transmittance * (1.0f - alpha);
                        if (next < raster::kMinTransmittance) break;
                        list.push_back({ranks[k], alpha, g, raw >= raster::kMaxAlpha});
                        transmittance = next;
                    }
                    const std::size_t o = static_cast<std::size_t>(py) * static_cast<std::size_t>(width) +
                                          static_cast<std::size_t>(px);
                    const float v_c[3] = {v_color[3 * o], v_color[3 * o + 1], v_color[3 * o + 2]};
                    // Back to front: `after` is what lies behind the current splat (later splats and the
                    // background), as seen through it.
                    float after[3] = {transmittance * background.x, transmittance * background.y,
                                      transmittance * background.z};
                    float t = transmittance;
                    for (std::size_t k = list.size(); k-- > 0;) {
                        const Contribution& c = list[k];
                        const raster::Splat& s = m_sorted_splats[c.rank];
                        t /= 1.0f - c.alpha;  // transmittance in front of this splat
                        const float color[3] = {s.color.x, s.color.y, s.color.z};
                        float* g = acc.data() + static_cast<std::size_t>(c.rank) * kGradsPerSplat;
                        float v_alpha = 0.0f;
                        for (int ch = 0; ch < 3; ++ch) {
                            g[6 + ch] += c.alpha * t * v_c[ch];
                            v_alpha += (t * color[ch] - after[ch] / (1.0f - c.alpha)) * v_c[ch];
                            after[ch] += c.alpha * t * color[ch];
                        }
                        if (c.clamped) continue;
                        g[5] += c.gaussian * v_alpha;
                        const float v_power = s.opacity * c.gaussian * v_alpha;
                        const float dx = cx - s.mean.x, dy = cy - s.mean.y;
                        g[0] += v_power * (s.conic.a * dx + s.conic.b * dy);
                        g[1] += v_power * (s.conic.c * dy + s.conic.b * dx);
                        g[2] += v_power * (-0.5f * dx * dx);
                        g[3] += v_power * (-dx * dy);
                        g[4] += v_power * (-0.5f * dy * dy);
                    }
                }
        }
    });
    m_splat_grads.assign(visible * kGradsPerSplat, 0.0f);
    for (const std::vector<float>& part : partial)
        for (std::size_t i = 0; i < part.size(); ++i) m_splat_grads[i] += part[i];

    // --- per visible Gaussian: the chain to the raw parameters -------------------------------------------
    const raster::FrameParams frame = make_frame_params(cloud, camera, settings);
    const raster::View3<float> view = make_view3(frame);
    const std::size_t rest_stride = static_cast<std::size_t>(cloud.sh_rest_per_channel()) * 3;
    const float half_w = 0.5f * static_cast<float>(width), half_h = 0.5f * static_cast<float>(height);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, visible, 256), [&](const auto& range) {
        for (std::size_t v = range.begin(); v != range.end(); ++v) {
            const auto i = static_cast<std::uint32_t>(m_depth_order[v]);
            raster::Gaussian3<float> g{};
            for (int k = 0; k < 3; ++k) {
                g.position[k] = cloud.positions()[3 * i + k];
                g.log_scale[k] = cloud.log_scales()[3 * i + k];
            }
            for (int k = 0; k < 4; ++k) g.rotation[k] = cloud.rotations()[4 * i + k];
            g.opacity_logit = cloud.opacity_logits()[i];
            g.sh_dc = cloud.sh_dc().data() + 3 * std::size_t{i};
            g.sh_rest = cloud.sh_rest().data() + rest_stride * i;
            raster::Projected<float> p;
            if (!raster::project_gaussian(g, view, frame.near_plane, p)) continue;
            const float* s = m_splat_grads.data() + v * kGradsPerSplat;
            const raster::ProjectedGradient<float> in{
                {s[0], s[1]}, {s[2], s[3], s[4]}, s[5], {s[6], s[7], s[8]}};
            raster::GaussianGradient<float> out{};
            out.sh_dc = grads.sh_dc.data() + 3 * std::size_t{i};
            out.sh_rest = grads.sh_rest.data() + rest_stride * i;
            raster::project_gaussian_backward(g, view, p, in, out);
            for (int k = 0; k < 3; ++k) {
                grads.positions[3 * i + k] += out.position[k];
                grads.log_scales[3 * i + k] += out.log_scale[k];
            }
            for (int k = 0; k < 4; ++k) grads.rotations[4 * i + k] += out.rotation[k];
            grads.opacity_logits[i] += out.opacity_logit;
            grads.mean2d_norm[i] += std::sqrt(s[0] * half_w * s[0] * half_w + s[1] * half_h * s[1] * half_h);
        }
    });
}

}  // namespace glint::splatting
