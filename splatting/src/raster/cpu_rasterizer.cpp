// CPU tile rasterizer: preprocess per Gaussian, pairs per touched tile, bucket by tile and sort by depth,
// then front-to-back blending per 16x16 tile with a pixel loop written for the vectorizer.
#include "cpu_rasterizer.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <utility>

#include "frame_params.h"
#include "glint/core/radix_sort.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/blend.h"
#include "glint/splatting/raster/preprocess.h"
#include "multiversion.h"

namespace glint::splatting {
namespace {

using raster::kTileSize;
using raster::Sym2;
using raster::Vec2;
using raster::Vec3;

constexpr int kTilePixels = kTileSize * kTileSize;
// Pairs per histogram chunk when bucketing by tile: enough work per task, few enough chunks that the
// per-chunk histograms (chunks x tiles) stay small.
constexpr std::size_t kPairsPerChunk = std::size_t{1} << 16;
constexpr std::size_t kPrefetchAhead = 8;  // splats asked for ahead of the blend loop

double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Blending state of the 256 pixels of one tile, structure of arrays so the pixel loop vectorizes.
struct alignas(64) TileState {
    float transmittance[kTilePixels];
    float red[kTilePixels], green[kTilePixels], blue[kTilePixels];
    float depth[kTilePixels];
    float count[kTilePixels];
    float done[kTilePixels];  // 1 once the pixel stopped (its next contribution would drop T below 1e-4)
    float last[kTilePixels];  // with Track: index in the tile's list of the last contribution, -1: none
    bool span_done[kTilePixels / 8];  // every pixel of the 8-pixel span has stopped (updated every 32 splats)
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

constexpr int kHalf = kTileSize / 2;  // 8 pixels: one AVX2 vector of floats

// Blends one Gaussian into the pixels of one 8-pixel half row (p0 = first pixel) by the blend rule
// (raster/blend.h), whose loop becomes one AVX2 vector here. With Aux, depth and contributor counts are
// accumulated too.
template <bool Track, bool Aux>
[[gnu::always_inline]] inline void blend_span(TileState& s, int p0, const Sym2& conic, float ox, float oy,
                                              float opacity, Vec3 color, float depth, float index) {
    raster::blend_pixels<true, Track, Aux>(s, kTileCoordinates, p0, p0 + kHalf, conic, ox, oy, opacity, color,
                                           depth, index);
}

// Blends one Gaussian into the tile, visiting only the rows and half rows inside the box around its
// 1/255 contour (pixels outside cannot reach alpha 1/255, so skipping them changes nothing) and, of
// those, the spans the contour reaches. (ox, oy) is the centre relative to the tile's corner; `limit` is
// the contour's squared Mahalanobis distance.
template <bool Track, bool Aux>
[[gnu::always_inline]] inline void blend_one(TileState& s, const Sym2& conic, float ox, float oy, Vec2 extent,
                                             float limit, float opacity, Vec3 color, float depth,
                                             float index) {
    // Pixel centres are at row + 0.5: rows with |row + 0.5 - oy| <= extent.y. Clamped as floats before the
    // conversion, since a huge Gaussian's extent does not fit an int.
    const float last_row = static_cast<float>(kTileSize - 1);
    const int row0 = static_cast<int>(std::clamp(std::ceil(oy - extent.y - 0.5f), 0.0f, last_row + 1.0f));
    const int row1 = static_cast<int>(std::clamp(std::floor(oy + extent.y - 0.5f), -1.0f, last_row));
    const bool left = ox - extent.x - 0.5f < static_cast<float>(kHalf);
    const bool right = ox + extent.x - 0.5f >= static_cast<float>(kHalf);
    // Which spans to blend, for all rows first; then the blends (kept apart so the blend loop stays free
    // of the tests' control flow and vectorizes).
    const float lo = 0.5f - ox;
    bool blend[kTilePixels / kHalf];
    for (int row = row0; row <= row1; ++row) {
        const float dy = static_cast<float>(row) + 0.5f - oy;
        blend[2 * row] =
            left && !s.span_done[2 * row] && raster::segment_reached(conic, limit, lo, kHalf, dy);
        blend[2 * row + 1] = right && !s.span_done[2 * row + 1] &&
                             raster::segment_reached(conic, limit, lo + static_cast<float>(kHalf), kHalf, dy);
    }
    for (int span = 2 * row0; span <= 2 * row1 + 1; ++span)
        if (blend[span]) blend_span<Track, Aux>(s, span * kHalf, conic, ox, oy, opacity, color, depth, index);
}

// Marks the spans whose pixels have all stopped; true when every pixel has.
bool update_done(TileState& s) {
    bool all = true;
    for (int span = 0; span < kTilePixels / kHalf; ++span) {
        float sum = 0.0f;
        for (int l = 0; l < kHalf; ++l) sum += s.done[span * kHalf + l];
        s.span_done[span] = sum == static_cast<float>(kHalf);
        all = all && s.span_done[span];
    }
    return all;
}

// Blends a tile's splats front to back into `s`, stopping once every pixel is done. (x0, y0) is the
// tile's corner in pixels. Compiled for AVX2+FMA and for baseline x86-64, chosen at load time; the
// per-Gaussian work inlines into each.
// Always inlined into blend_tile, so that it is compiled for each of blend_tile's targets.
template <bool Track, bool Aux>
[[gnu::always_inline]] inline void blend_splats(TileState& s, const raster::Splat* splats,
                                                const std::uint32_t* ranks, std::size_t count, float x0,
                                                float y0) {
    for (std::size_t k = 0; k < count; ++k) {
        // A tile's splats lie scattered through the frame's depth order: the one a few on is asked for now.
        if (k + kPrefetchAhead < count) __builtin_prefetch(&splats[ranks[k + kPrefetchAhead]]);
        const raster::Splat& splat = splats[ranks[k]];
        blend_one<Track, Aux>(s, splat.conic, splat.mean.x - x0, splat.mean.y - y0, splat.extent, splat.limit,
                              splat.opacity, splat.color, splat.depth, static_cast<float>(k));
        // Checking every 32 Gaussians keeps the test off the hot path.
        if ((k + 1) % 32 == 0 && update_done(s)) break;
    }
}

// With `track`, each pixel's last contribution is recorded too (for the backward pass); with `aux`, its
// depth and contributor count.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void blend_tile(
    TileState& s, const raster::Splat* splats,      // [V] in depth order
    const std::uint32_t* ranks, std::size_t count,  // [count] this tile's splats, front to back
    float x0, float y0, bool track, bool aux) {
    if (track && aux)
        blend_splats<true, true>(s, splats, ranks, count, x0, y0);
    else if (track)
        blend_splats<true, false>(s, splats, ranks, count, x0, y0);
    else if (aux)
        blend_splats<false, true>(s, splats, ranks, count, x0, y0);
    else
        blend_splats<false, false>(s, splats, ranks, count, x0, y0);
}

// Blends a tile's splats as blend_tile does (no recording, no depth) and adds each splat's blend
// weights (alpha * T over the tile's pixels in the image: the transmittance it takes) to
// contributions[ids[rank]].
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void blend_tile_weighed(
    TileState& s, const raster::Splat* splats, const std::uint32_t* ranks, std::size_t count, float x0,
    float y0, int columns, int rows, const std::uint32_t* ids, float* contributions) {
    // Pixels past the image's edge blend too (a tile is whole); they count for nothing.
    float inside[kTilePixels];
    for (int p = 0; p < kTilePixels; ++p)
        inside[p] = p % kTileSize < columns && p / kTileSize < rows ? 1.0f : 0.0f;
    float before[kTilePixels];
    for (std::size_t k = 0; k < count; ++k) {
        const raster::Splat& splat = splats[ranks[k]];
        std::copy(std::begin(s.transmittance), std::end(s.transmittance), before);
        blend_one<false, false>(s, splat.conic, splat.mean.x - x0, splat.mean.y - y0, splat.extent,
                                splat.limit, splat.opacity, splat.color, splat.depth, static_cast<float>(k));
        float taken = 0.0f;
        for (int p = 0; p < kTilePixels; ++p) taken += inside[p] * (before[p] - s.transmittance[p]);
        if (taken > 0.0f)
            std::atomic_ref<float>(contributions[ids[ranks[k]]]).fetch_add(taken, std::memory_order_relaxed);
        if ((k + 1) % 32 == 0 && update_done(s)) break;
    }
}

// Writes a blended tile (corner x0, y0) into the output images, row by row so the loops vectorize.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void write_tile(
    const TileState& s, Vec3 background, int x0, int y0, int width, int height, bool aux, RenderOutput& out) {
    const int columns = std::min(kTileSize, width - x0);
    const int rows = std::min(kTileSize, height - y0);
    for (int r = 0; r < rows; ++r) {
        const std::size_t o =
            static_cast<std::size_t>(y0 + r) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x0);
        const int p0 = r * kTileSize;
        if (out.float_images) {
            float* color = out.color.data() + 3 * o;
            for (int c = 0; c < columns; ++c) {
                const float t_final = s.transmittance[p0 + c];
                color[3 * c + 0] = s.red[p0 + c] + t_final * background.x;
                color[3 * c + 1] = s.green[p0 + c] + t_final * background.y;
                color[3 * c + 2] = s.blue[p0 + c] + t_final * background.z;
                const float alpha = 1.0f - t_final;
                out.alpha[o + c] = alpha;
            }
            if (aux)
                for (int c = 0; c < columns; ++c) {
                    const float alpha = 1.0f - s.transmittance[p0 + c];
                    out.depth[o + c] = alpha > 0.0f ? s.depth[p0 + c] / (alpha > 0.0f ? alpha : 1.0f) : 0.0f;
                    out.contributors[o + c] = static_cast<std::uint32_t>(s.count[p0 + c]);
                }
        }
        if (out.packed_rgba != nullptr) {
            // From the tile's arrays (contiguous) rather than the interleaved colour just written.
            std::uint32_t* packed = out.packed_rgba + o;
            for (int c = 0; c < columns; ++c) {
                const float t_final = s.transmittance[p0 + c];
                packed[c] = raster::pack_rgba8(s.red[p0 + c] + t_final * background.x,
                                               s.green[p0 + c] + t_final * background.y,
                                               s.blue[p0 + c] + t_final * background.z);
            }
        }
    }
}

// Preprocesses work items [begin, end) with the shared per-Gaussian code: item k is Gaussian ids[k]
// (k without ids). Compiled for AVX2+FMA and baseline x86-64, chosen at load time.
GLINT_CLONES_FLATTEN void preprocess_range(const raster::GaussianArrays& g, const raster::FrameParams& f,
                                           const std::uint32_t* ids, std::size_t begin, std::size_t end,
                                           raster::Splat* splats, std::uint32_t* counts) {
    if (ids != nullptr)
        for (std::size_t k = begin; k < end; ++k)
            counts[k] = raster::preprocess_gaussian(g, f, ids[k], splats[k]);
    else
        for (std::size_t k = begin; k < end; ++k)
            counts[k] = raster::preprocess_gaussian(g, f, static_cast<std::uint32_t>(k), splats[k]);
}

// The visible items' keys are compacted over a fixed number of blocks (the same order whatever the thread
// count), as the sort below them is.
constexpr std::size_t kKeyBlocks = 16;
constexpr std::size_t kParallelItems = std::size_t{1} << 16;  // fewer: one block

}  // namespace

namespace {

// The (tile, rank) pairs of visible splats [begin, end) in slots offsets[v] .. offsets[v + 1] - 1, which
// the preprocess sized by counting the same tiles. Compiled as the preprocess is: the two walks over a
// contour's rows then round alike (built for AVX2 here and without FMA in baseline code, they disagreed
// on about one splat per frame of a million, and the extra pair overwrote a neighbour's slot or ran past
// the array). Whatever the rounding, a splat writes only its own slots: an extra tile is dropped and a
// missing one leaves the sentinel.
GLINT_CLONES_FLATTEN void emit_pairs(const raster::Splat* splats, const std::uint64_t* offsets,
                                     std::size_t begin, std::size_t end, int grid_x, std::uint32_t sentinel,
                                     std::uint32_t* pair_tiles, std::uint32_t* pair_ranks) {
    for (std::size_t v = begin; v != end; ++v) {
        const raster::Splat& splat = splats[v];
        std::size_t k = offsets[v];
        const std::size_t stop = offsets[v + 1];
        const auto emit = [&](int tx, int ty) {
            if (k == stop) return;
            pair_tiles[k] = static_cast<std::uint32_t>(ty * grid_x + tx);
            pair_ranks[k] = static_cast<std::uint32_t>(v);
            ++k;
        };
        // The preprocess counted the tiles the contour reaches; when that is the whole rectangle (most
        // small splats), the rectangle is emitted without testing each row again.
        const std::size_t area = static_cast<std::size_t>(splat.rect[2] - splat.rect[0]) *
                                 static_cast<std::size_t>(splat.rect[3] - splat.rect[1]);
        if (stop - k == area) {
            for (int ty = splat.rect[1]; ty < splat.rect[3]; ++ty)
                for (int tx = splat.rect[0]; tx < splat.rect[2]; ++tx) emit(tx, ty);
        } else {
            raster::for_each_tile(splat, emit);
        }
        for (; k < stop; ++k) {
            pair_tiles[k] = sentinel;
            pair_ranks[k] = static_cast<std::uint32_t>(v);
        }
    }
}

}  // namespace

std::size_t CpuRasterizer::order_by_depth(std::size_t items, const std::uint32_t* ids, bool with_ids) {
    // The visible items' (depth, index) keys in index order: counted per block, then written in parallel.
    const std::size_t blocks = items >= kParallelItems ? kKeyBlocks : 1;
    std::array<std::size_t, kKeyBlocks + 1> starts{};
    tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t block) {
        std::size_t count = 0;
        for (std::size_t i = block * items / blocks; i < (block + 1) * items / blocks; ++i)
            count += m_tile_counts[i] > 0 ? 1 : 0;
        starts[block + 1] = count;
    });
    for (std::size_t block = 0; block < blocks; ++block) starts[block + 1] += starts[block];
    m_depth_order.resize(starts[blocks]);
    tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t block) {
        std::size_t at = starts[block];
        for (std::size_t i = block * items / blocks; i < (block + 1) * items / blocks; ++i)
            if (m_tile_counts[i] > 0)
                m_depth_order[at++] =
                    std::uint64_t{std::bit_cast<std::uint32_t>(m_splats[i].depth)} << 32 | i;
    });
    sort_by_high_word(m_depth_order, m_radix_scratch);
    const std::size_t visible = m_depth_order.size();
    // Gather once into depth order: everything after reads the splats sequentially.
    m_sorted_splats.resize(visible);
    m_offsets.resize(visible + 1);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, visible, 4096), [&](const auto& range) {
        for (std::size_t v = range.begin(); v != range.end(); ++v) {
            const auto i = static_cast<std::uint32_t>(m_depth_order[v]);
            m_sorted_splats[v] = m_splats[i];
            m_offsets[v + 1] = m_tile_counts[i];
        }
    });
    m_offsets[0] = 0;
    // Significance: the Gaussian behind each sorted splat.
    if (with_ids) {
        m_sorted_ids.resize(visible);
        for (std::size_t v = 0; v < visible; ++v) {
            const auto k = static_cast<std::uint32_t>(m_depth_order[v]);
            m_sorted_ids[v] = ids != nullptr ? ids[k] : k;
        }
    }
    return visible;
}

std::size_t CpuRasterizer::bucket_pairs(std::size_t visible, int grid_x, std::size_t tiles) {
    for (std::size_t v = 0; v < visible; ++v) m_offsets[v + 1] += m_offsets[v];
    const std::size_t pairs = m_offsets[visible];
    m_pair_tiles.resize(pairs);
    m_pair_ranks.resize(pairs);
    m_sorted_ranks.resize(pairs);
    // Pairs past the tiles a splat's count allows, or short of them, never leave its slots; slots left
    // over hold the sentinel tile `tiles`, which the counting sort puts after every real tile.
    const auto sentinel = static_cast<std::uint32_t>(tiles);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, visible, 1024), [&](const auto& range) {
        emit_pairs(m_sorted_splats.data(), m_offsets.data(), range.begin(), range.end(), grid_x, sentinel,
                   m_pair_tiles.data(), m_pair_ranks.data());
    });
    // Counting sort by tile: per-chunk histograms, then a stable scatter.
    const std::size_t chunks = std::max<std::size_t>(1, (pairs + kPairsPerChunk - 1) / kPairsPerChunk);
    const std::size_t buckets = tiles + 1;  // the last: the sentinel's
    m_chunk_histograms.assign(chunks * buckets, 0);
    tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
        std::uint32_t* histogram = m_chunk_histograms.data() + c * buckets;
        for (std::size_t k = c * kPairsPerChunk; k < std::min(pairs, (c + 1) * kPairsPerChunk); ++k)
            ++histogram[m_pair_tiles[k]];
    });
    m_tile_ranges.resize(tiles + 1);
    std::uint32_t running = 0;
    for (std::size_t t = 0; t < buckets; ++t) {
        if (t < tiles) m_tile_ranges[t] = running;
        for (std::size_t c = 0; c < chunks; ++c) {
            std::uint32_t& slot = m_chunk_histograms[c * buckets + t];
            const std::uint32_t count = slot;
            slot = running;  // now the chunk's write position for this tile
            running += count;
        }
        if (t + 1 == tiles) m_tile_ranges[tiles] = running;
    }
    if (tiles == 0) m_tile_ranges[0] = 0;
    tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
        std::uint32_t* position = m_chunk_histograms.data() + c * buckets;
        for (std::size_t k = c * kPairsPerChunk; k < std::min(pairs, (c + 1) * kPairsPerChunk); ++k)
            m_sorted_ranks[position[m_pair_tiles[k]]++] = m_pair_ranks[k];
    });
    return pairs;
}

RenderStats CpuRasterizer::render_impl(const GaussianCloud& cloud, const Camera& camera,
                                       const RenderSettings& settings, RenderOutput& out) {
    RenderStats stats;
    const std::size_t n = std::min(cloud.size(), settings.max_gaussians);
    stats.gaussians = n;
    // The work items: every Gaussian below n, or the active ones below n.
    const std::uint32_t* ids = settings.active.empty() ? nullptr : settings.active.data();
    const std::size_t items =
        ids == nullptr
            ? n
            : static_cast<std::size_t>(
                  std::lower_bound(settings.active.begin(), settings.active.end(),
                                   static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX))) -
                  settings.active.begin());
    const int width = camera.width, height = camera.height;
    const int grid_x = (width + kTileSize - 1) / kTileSize;
    const int grid_y = (height + kTileSize - 1) / kTileSize;
    const std::size_t tiles = static_cast<std::size_t>(grid_x) * static_cast<std::size_t>(grid_y);

    // --- preprocess ---------------------------------------------------------------------------------
    auto start = std::chrono::steady_clock::now();
    m_splats.resize(items);
    m_tile_counts.resize(items);
    const raster::GaussianArrays arrays = gaussian_arrays(cloud, settings.keep);
    const raster::FrameParams frame = make_frame_params(cloud, camera, settings);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, items, 1024), [&](const auto& range) {
        preprocess_range(arrays, frame, ids, range.begin(), range.end(), m_splats.data(),
                         m_tile_counts.data());
    });
    stats.preprocess_ms = milliseconds_since(start);

    // --- depth order, then pairs bucketed by tile ----------------------------------------------------
    // Visible Gaussians are radix-sorted by depth once; pairs are emitted in that order and bucketed by
    // tile with a stable counting sort, so each tile's list comes out front to back with no per-tile
    // sort. Equal depths keep index order, as the reference's stable radix sort does.
    start = std::chrono::steady_clock::now();
    const std::size_t visible = order_by_depth(items, ids, settings.contributions != nullptr);
    stats.visible = visible;
    stats.tile_pairs = bucket_pairs(visible, grid_x, tiles);
    stats.sort_ms = milliseconds_since(start);

    // --- blend ------------------------------------------------------------------------------------------
    start = std::chrono::steady_clock::now();
    out.width = width;
    out.height = height;
    const std::size_t pixels = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    const bool float_images = out.float_images;
    const bool aux = float_images && settings.depth_and_counts;
    out.color.resize(float_images ? 3 * pixels : 0);
    out.alpha.resize(float_images ? pixels : 0);
    out.depth.resize(aux ? pixels : 0);
    out.contributors.resize(aux ? pixels : 0);
    const Vec3 background = settings.background;
    const bool track = settings.record_for_backward;
    m_recorded_transmittance.resize(track ? tiles * kTilePixels : 0);
    m_recorded_last.resize(track ? tiles * kTilePixels : 0);
    tbb::parallel_for(std::size_t{0}, tiles, [&](std::size_t t) {
        const int tx = static_cast<int>(t % static_cast<std::size_t>(grid_x));
        const int ty = static_cast<int>(t / static_cast<std::size_t>(grid_x));
        const float x0 = static_cast<float>(tx * kTileSize), y0 = static_cast<float>(ty * kTileSize);
        TileState s;
        std::fill(std::begin(s.transmittance), std::end(s.transmittance), 1.0f);
        for (float* a : {s.red, s.green, s.blue, s.depth, s.count, s.done})
            std::fill(a, a + kTilePixels, 0.0f);
        std::fill(std::begin(s.last), std::end(s.last), -1.0f);
        std::fill(std::begin(s.span_done), std::end(s.span_done), false);
        if (settings.contributions != nullptr)
            blend_tile_weighed(
                s, m_sorted_splats.data(), m_sorted_ranks.data() + m_tile_ranges[t],
                m_tile_ranges[t + 1] - m_tile_ranges[t], x0, y0, std::min(kTileSize, width - tx * kTileSize),
                std::min(kTileSize, height - ty * kTileSize), m_sorted_ids.data(), settings.contributions);
        else
            blend_tile(s, m_sorted_splats.data(), m_sorted_ranks.data() + m_tile_ranges[t],
                       m_tile_ranges[t + 1] - m_tile_ranges[t], x0, y0, track, aux);
        if (track) {
            std::copy(std::begin(s.transmittance), std::end(s.transmittance),
                      m_recorded_transmittance.begin() + static_cast<std::ptrdiff_t>(t * kTilePixels));
            std::copy(std::begin(s.last), std::end(s.last),
                      m_recorded_last.begin() + static_cast<std::ptrdiff_t>(t * kTilePixels));
        }
        write_tile(s, background, tx * kTileSize, ty * kTileSize, width, height, aux, out);
    });
    stats.blend_ms = milliseconds_since(start);
    return stats;
}

}  // namespace glint::splatting
