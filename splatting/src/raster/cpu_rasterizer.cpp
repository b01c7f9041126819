// CPU tile rasterizer: preprocess per Gaussian, pairs per touched tile, bucket by tile and sort by depth,
// then front-to-back blending per 16x16 tile with a pixel loop written for the vectorizer.
#include "cpu_rasterizer.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>

#include "glint/splatting/activation.h"

namespace glint::splatting {
namespace {

using raster::kTileSize;
using raster::Mat3;
using raster::Sym2;
using raster::Vec2;
using raster::Vec3;

constexpr int kTilePixels = kTileSize * kTileSize;
// Pairs per histogram chunk when bucketing by tile: enough work per task, few enough chunks that the
// per-chunk histograms (chunks x tiles) stay small.
constexpr std::size_t kPairsPerChunk = std::size_t{1} << 16;

double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

Mat3 row_major(const glm::mat3& m) {
    Mat3 out;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) out.m[i][j] = m[j][i];  // glm is column-major
    return out;
}

// Blending state of the 256 pixels of one tile, structure of arrays so the pixel loop vectorizes.
struct alignas(64) TileState {
    float transmittance[kTilePixels];
    float red[kTilePixels], green[kTilePixels], blue[kTilePixels];
    float depth[kTilePixels];
    float count[kTilePixels];
    float done[kTilePixels];  // 1 once the pixel stopped (its next contribution would drop T below 1e-4)
};

// Pixel-centre offsets inside a tile.
struct TileCoordinates {
    float x[kTilePixels], y[kTilePixels];
    TileCoordinates() {
        for (int p = 0; p < kTilePixels; ++p) {
            x[p] = static_cast<float>(p % kTileSize) + 0.5f;
            y[p] = static_cast<float>(p / kTileSize) + 0.5f;
        }
    }
};
const TileCoordinates kTileCoordinates;

// Blends one Gaussian into every pixel of the tile. Branch-free so that each pixel follows exactly the
// reference's per-pixel rules (skip power > 0 and alpha < 1/255, stop before T < 1e-4) in vector lanes.
// Compiled for AVX2+FMA and for baseline x86-64, chosen at load time.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void blend_one(TileState& s, Sym2 conic, float ox,
                                                                           float oy, float opacity,
                                                                           Vec3 color, float depth) {
    for (int p = 0; p < kTilePixels; ++p) {
        const float dx = kTileCoordinates.x[p] - ox;
        const float dy = kTileCoordinates.y[p] - oy;
        const float power = raster::gaussian_power(conic, dx, dy);
        const float weighted = opacity * raster::blend_exp(power);
        const float alpha = weighted < raster::kMaxAlpha ? weighted : raster::kMaxAlpha;
        const float t = s.transmittance[p];
        const float test_t = t * (1.0f - alpha);
        // 0/1 masks as floats and selects: no branches, so the loop vectorizes (with -fno-trapping-math).
        const float valid = (s.done[p] == 0.0f && power <= 0.0f && alpha >= raster::kMinAlpha) ? 1.0f : 0.0f;
        const float stop = test_t < raster::kMinTransmittance ? valid : 0.0f;
        const float take = valid - stop;
        const float weight = take * alpha * t;
        s.red[p] += weight * color.x;
        s.green[p] += weight * color.y;
        s.blue[p] += weight * color.z;
        s.depth[p] += weight * depth;
        s.count[p] += take;
        s.transmittance[p] = take != 0.0f ? test_t : t;
        s.done[p] += stop;
    }
}

bool all_done(const TileState& s) {
    float sum = 0.0f;
    for (int p = 0; p < kTilePixels; ++p) sum += s.done[p];
    return sum == static_cast<float>(kTilePixels);
}

}  // namespace

RenderStats CpuRasterizer::render_impl(const GaussianCloud& cloud, const Camera& camera,
                                       const RenderSettings& settings, RenderOutput& out) {
    RenderStats stats;
    const std::size_t n = cloud.size();
    stats.gaussians = n;
    const int width = camera.width, height = camera.height;
    const int grid_x = (width + kTileSize - 1) / kTileSize;
    const int grid_y = (height + kTileSize - 1) / kTileSize;
    const std::size_t tiles = static_cast<std::size_t>(grid_x) * static_cast<std::size_t>(grid_y);
    const int sh_degree =
        settings.sh_degree < 0 ? cloud.sh_degree() : std::min(settings.sh_degree, cloud.sh_degree());

    // --- preprocess ---------------------------------------------------------------------------------
    auto start = std::chrono::steady_clock::now();
    m_mean2d.resize(n);
    m_conic.resize(n);
    m_opacity.resize(n);
    m_limit.resize(n);
    m_color.resize(n);
    m_depth.resize(n);
    m_rect.resize(4 * n);
    m_tile_counts.resize(n);
    m_offsets.resize(n + 1);
    const Mat3 view_rotation = row_major(camera.rotation);
    const Vec3 view_translation{camera.translation.x, camera.translation.y, camera.translation.z};
    const glm::vec3 eye = camera.position();
    const Vec3 camera_position{eye.x, eye.y, eye.z};
    const float tan_fov_x = 0.5f * static_cast<float>(width) / camera.fx;
    const float tan_fov_y = 0.5f * static_cast<float>(height) / camera.fy;
    const std::size_t rest_stride = static_cast<std::size_t>(cloud.sh_rest_per_channel()) * 3;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1024), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            m_tile_counts[i] = 0;
            const float* p = cloud.positions().data() + 3 * i;
            const Vec3 world{p[0], p[1], p[2]};
            Vec3 view = raster::mul(view_rotation, world);
            view = {view.x + view_translation.x, view.y + view_translation.y, view.z + view_translation.z};
            if (!(view.z > settings.near_plane)) continue;
            const float* log_scale = cloud.log_scales().data() + 3 * i;
            const float* q = cloud.rotations().data() + 4 * i;
            const Vec3 scale{std::exp(log_scale[0]), std::exp(log_scale[1]), std::exp(log_scale[2])};
            const raster::Sym3 cov3 =
                raster::covariance_3d(scale, raster::quaternion_to_rotation(q[0], q[1], q[2], q[3]));
            Sym2 cov2 = raster::project_covariance(cov3, view_rotation, view, camera.fx, camera.fy, tan_fov_x,
                                                   tan_fov_y);
            const float opacity =
                sigmoid(cloud.opacity_logits()[i]) * raster::apply_low_pass(cov2, settings.antialias);
            Sym2 conic{};
            if (!raster::invert(cov2, conic)) continue;
            const float limit = raster::visible_mahalanobis2(opacity);
            if (!(limit >= 0.0f)) continue;  // can never reach alpha 1/255
            const Vec2 center{camera.fx * view.x / view.z + camera.cx,
                              camera.fy * view.y / view.z + camera.cy};
            int rect_min[2], rect_max[2];
            raster::tile_rect(center, raster::reference_radius(cov2), grid_x, grid_y, rect_min, rect_max);
            std::uint32_t count = 0;
            for (int ty = rect_min[1]; ty < rect_max[1]; ++ty)
                for (int tx = rect_min[0]; tx < rect_max[0]; ++tx)
                    count += raster::ellipse_touches_tile(conic, center, limit, tx, ty) ? 1 : 0;
            if (count == 0) continue;
            const Vec3 dir = world - camera_position;
            const float inv_length = 1.0f / std::sqrt(std::max(raster::dot(dir, dir), 1e-30f));
            m_color[i] = raster::sh_to_color(sh_degree, cloud.sh_dc().data() + 3 * i,
                                             cloud.sh_rest().data() + rest_stride * i,
                                             {dir.x * inv_length, dir.y * inv_length, dir.z * inv_length});
            m_mean2d[i] = center;
            m_conic[i] = conic;
            m_opacity[i] = opacity;
            m_limit[i] = limit;
            m_depth[i] = view.z;
            m_rect[4 * i + 0] = rect_min[0];
            m_rect[4 * i + 1] = rect_min[1];
            m_rect[4 * i + 2] = rect_max[0];
            m_rect[4 * i + 3] = rect_max[1];
            m_tile_counts[i] = count;
        }
    });
    m_offsets[0] = 0;
    for (std::size_t i = 0; i < n; ++i) {
        m_offsets[i + 1] = m_offsets[i] + m_tile_counts[i];
        stats.visible += m_tile_counts[i] > 0 ? 1 : 0;
    }
    const std::size_t pairs = m_offsets[n];
    stats.tile_pairs = pairs;
    stats.preprocess_ms = milliseconds_since(start);

    // --- pairs, bucketed by tile, sorted by depth ------------------------------------------------------
    start = std::chrono::steady_clock::now();
    m_pair_tiles.resize(pairs);
    m_pair_keys.resize(pairs);
    m_sorted_keys.resize(pairs);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1024), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            if (m_tile_counts[i] == 0) continue;
            std::size_t k = m_offsets[i];
            // Depths are positive floats: their bit patterns order as the values do.
            const std::uint64_t key = std::uint64_t{std::bit_cast<std::uint32_t>(m_depth[i])} << 32 | i;
            const std::int32_t* rect = m_rect.data() + 4 * i;
            for (int ty = rect[1]; ty < rect[3]; ++ty)
                for (int tx = rect[0]; tx < rect[2]; ++tx)
                    if (raster::ellipse_touches_tile(m_conic[i], m_mean2d[i], m_limit[i], tx, ty)) {
                        m_pair_tiles[k] = static_cast<std::uint32_t>(ty * grid_x + tx);
                        m_pair_keys[k] = key;
                        ++k;
                    }
        }
    });
    // Counting sort by tile: per-chunk histograms, then a stable scatter.
    const std::size_t chunks = std::max<std::size_t>(1, (pairs + kPairsPerChunk - 1) / kPairsPerChunk);
    m_chunk_histograms.assign(chunks * tiles, 0);
    tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
        std::uint32_t* histogram = m_chunk_histograms.data() + c * tiles;
        for (std::size_t k = c * kPairsPerChunk; k < std::min(pairs, (c + 1) * kPairsPerChunk); ++k)
            ++histogram[m_pair_tiles[k]];
    });
    m_tile_ranges.resize(tiles + 1);
    std::uint32_t running = 0;
    for (std::size_t t = 0; t < tiles; ++t) {
        m_tile_ranges[t] = running;
        for (std::size_t c = 0; c < chunks; ++c) {
            std::uint32_t& slot = m_chunk_histograms[c * tiles + t];
            const std::uint32_t count = slot;
            slot = running;  // now the chunk's write position for this tile
            running += count;
        }
    }
    m_tile_ranges[tiles] = running;
    tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
        std::uint32_t* position = m_chunk_histograms.data() + c * tiles;
        for (std::size_t k = c * kPairsPerChunk; k < std::min(pairs, (c + 1) * kPairsPerChunk); ++k)
            m_sorted_keys[position[m_pair_tiles[k]]++] = m_pair_keys[k];
    });
    // Front to back; equal depths by Gaussian index, as a stable sort of the emission order would.
    tbb::parallel_for(std::size_t{0}, tiles, [&](std::size_t t) {
        std::sort(m_sorted_keys.begin() + m_tile_ranges[t], m_sorted_keys.begin() + m_tile_ranges[t + 1]);
    });
    stats.sort_ms = milliseconds_since(start);

    // --- blend ------------------------------------------------------------------------------------------
    start = std::chrono::steady_clock::now();
    out.width = width;
    out.height = height;
    const std::size_t pixels = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    out.color.resize(pixels * 3);
    out.alpha.resize(pixels);
    out.depth.resize(pixels);
    out.contributors.resize(pixels);
    const Vec3 background = settings.background;
    tbb::parallel_for(std::size_t{0}, tiles, [&](std::size_t t) {
        const int tx = static_cast<int>(t % static_cast<std::size_t>(grid_x));
        const int ty = static_cast<int>(t / static_cast<std::size_t>(grid_x));
        const float x0 = static_cast<float>(tx * kTileSize), y0 = static_cast<float>(ty * kTileSize);
        TileState s;
        std::fill(std::begin(s.transmittance), std::end(s.transmittance), 1.0f);
        for (float* a : {s.red, s.green, s.blue, s.depth, s.count, s.done})
            std::fill(a, a + kTilePixels, 0.0f);
        std::uint32_t processed = 0;
        for (std::uint32_t k = m_tile_ranges[t]; k < m_tile_ranges[t + 1]; ++k) {
            const std::uint32_t i = static_cast<std::uint32_t>(m_sorted_keys[k]);
            blend_one(s, m_conic[i], m_mean2d[i].x - x0, m_mean2d[i].y - y0, m_opacity[i], m_color[i],
                      m_depth[i]);
            // Checking every 32 Gaussians keeps the test off the hot path.
            if (++processed % 32 == 0 && all_done(s)) break;
        }
        for (int p = 0; p < kTilePixels; ++p) {
            const int x = tx * kTileSize + p % kTileSize, y = ty * kTileSize + p / kTileSize;
            if (x >= width || y >= height) continue;
            const std::size_t o =
                static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x);
            const float t_final = s.transmittance[p];
            out.color[3 * o + 0] = s.red[p] + t_final * background.x;
            out.color[3 * o + 1] = s.green[p] + t_final * background.y;
            out.color[3 * o + 2] = s.blue[p] + t_final * background.z;
            const float alpha = 1.0f - t_final;
            out.alpha[o] = alpha;
            out.depth[o] = alpha > 0.0f ? s.depth[p] / alpha : 0.0f;
            out.contributors[o] = static_cast<std::uint32_t>(s.count[p]);
        }
    });
    stats.blend_ms = milliseconds_since(start);
    return stats;
}

}  // namespace glint::splatting
