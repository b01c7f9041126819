// The CPU backward pass of the tile rasterizer: per pixel, the forward blend is replayed front to back
// and undone back to front (Kerbl et al. 2023), giving per-splat gradients of the screen mean, conic,
// opacity and colour; then the per-Gaussian chain (gradients.h) takes them to the raw parameters.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>

#include "cpu_rasterizer.h"
#include "frame_params.h"
#include "glint/core/error.h"
#include "glint/splatting/raster/blend.h"
#include "glint/splatting/raster/chain.h"
#include "glint/splatting/raster/gradients.h"
#include "multiversion.h"

namespace glint::splatting {
namespace {

using raster::kTileSize;

constexpr int kGradsPerSplat = raster::kBlendGradients;  // mean x, y; conic a, b, c; opacity; colour r, g, b

constexpr int kTilePixels = kTileSize * kTileSize;
constexpr int kHalf = kTileSize / 2;       // 8 pixels: one AVX2 vector of floats
constexpr std::size_t kPrefetchAhead = 8;  // splats

// Per-pixel state of one tile, structure of arrays so the pixel loops vectorize.
struct alignas(64) BackwardTile {
    float px[kTilePixels], py[kTilePixels];  // pixel-centre offsets from the tile's corner
    float transmittance[kTilePixels];        // forward: running T; backward: T in front of the splat
    float done[kTilePixels];                 // 1 once the forward blend stopped
    float last[kTilePixels];                 // index in the tile's list of the last contribution, -1: none
    float after[3][kTilePixels];             // backward: what lies behind the current splat, as seen
    float v_color[3][kTilePixels];           // dL/d pixel colour, 0 outside the image
};

// The pixel centres of BackwardTile for blend_pixels.
struct PixelCentres {
    const float* x;
    const float* y;
};

// Rows and half rows of the tile inside the box around a splat's 1/255 contour (as the forward pass).
template <typename Span>
inline void for_each_span(const raster::Splat& s, float ox, float oy, Span span) {
    const float last_row = static_cast<float>(kTileSize - 1);
    const int row0 = static_cast<int>(std::clamp(std::ceil(oy - s.extent.y - 0.5f), 0.0f, last_row + 1.0f));
    const int row1 = static_cast<int>(std::clamp(std::floor(oy + s.extent.y - 0.5f), -1.0f, last_row));
    const bool left = ox - s.extent.x - 0.5f < static_cast<float>(kHalf);
    const bool right = ox + s.extent.x - 0.5f >= static_cast<float>(kHalf);
    for (int row = row0; row <= row1; ++row) {
        if (left) span(row * kTileSize);
        if (right) span(row * kTileSize + kHalf);
    }
}

// The forward blend of a tile again, recording each pixel's final transmittance and last contribution.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void replay_tile(
    BackwardTile& b, const raster::Splat* splats, const std::uint32_t* ranks, std::size_t count, float x0,
    float y0) {
    const PixelCentres centres{b.px, b.py};
    for (std::size_t k = 0; k < count; ++k) {
        const raster::Splat& s = splats[ranks[k]];
        const float ox = s.mean.x - x0, oy = s.mean.y - y0, index = static_cast<float>(k);
        for_each_span(s, ox, oy, [&](int p0) {
            raster::blend_pixels<false, true, false>(b, centres, p0, p0 + kHalf, s.conic, ox, oy, s.opacity,
                                                     s.color, s.depth, index);
        });
        if ((k + 1) % 32 == 0) {
            float sum = 0.0f;
            for (int p = 0; p < kTilePixels; ++p) sum += b.done[p];
            if (sum == static_cast<float>(kTilePixels)) break;
        }
    }
}

// Undoes a tile's blend back to front, adding each splat's gradients (mean x, y, conic a, b, c, opacity,
// colour) into `grads` ([V, 9]). Per-lane partial sums keep the pixel loop vectorized.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void undo_tile(
    BackwardTile& b, const raster::Splat* splats, const std::uint32_t* ranks, std::size_t end, float x0,
    float y0, float* grads) {
    // The last contribution in each 8-pixel span: a splat behind it (a higher index) adds nothing there.
    float span_last[kTilePixels / kHalf];
    for (int span = 0; span < kTilePixels / kHalf; ++span) {
        float most = -1.0f;
        for (int l = 0; l < kHalf; ++l) most = std::max(most, b.last[span * kHalf + l]);
        span_last[span] = most;
    }
    for (std::size_t k = end; k-- > 0;) {
        // The tile's splats are scattered through the frame's depth order, walked backwards here: the
        // record a few splats on is asked for now (its load was the loop's costliest instruction).
        if (k >= kPrefetchAhead) __builtin_prefetch(&splats[ranks[k - kPrefetchAhead]]);
        const raster::Splat& s = splats[ranks[k]];
        const float ox = s.mean.x - x0, oy = s.mean.y - y0, index = static_cast<float>(k);
        float lanes[kGradsPerSplat][kHalf] = {};
        // The spans the splat's contour reaches, tested apart from the pixel loop (which then vectorizes).
        bool reached[kTilePixels / kHalf];
        for_each_span(s, ox, oy, [&](int p0) {
            reached[p0 / kHalf] =
                raster::segment_reached(s.conic, s.limit, static_cast<float>(p0 % kTileSize) + 0.5f - ox,
                                        kHalf, static_cast<float>(p0 / kTileSize) + 0.5f - oy);
        });
        for_each_span(s, ox, oy, [&](int p0) {
            // Behind the span's last contribution, or outside the contour there: nothing to undo.
            if (index > span_last[p0 / kHalf] || !reached[p0 / kHalf]) return;
            raster::undo_pixels<kHalf>(b, p0, s.conic, ox, oy, s.opacity, s.color, index, lanes);
        });
        float* out = grads + static_cast<std::size_t>(ranks[k]) * kGradsPerSplat;
        for (int j = 0; j < kGradsPerSplat; ++j) {
            float sum = 0.0f;
            for (int l = 0; l < kHalf; ++l) sum += lanes[j][l];
            out[j] += sum;
        }
    }
}

// The chain to the raw parameters for Gaussians [begin, end) in index order, so that the cloud's arrays
// and the gradients are read and written as streams (in depth order they were random accesses: a third of
// a training step's time). Compiled for AVX2+FMA and baseline x86-64, with the per-Gaussian code (chain.h,
// shared with the CUDA kernel) inlined into each.
struct ChainInputs {
    const raster::GaussianArrays& cloud;
    const raster::ChainFrame& frame;
    const raster::GradientArrays& grads;
    const std::uint32_t* splat_of;  // [N] rank in depth order, UINT32_MAX for Gaussians not visible
    const float* splat_grads;       // [V, 9]
};

// The splat gradients of a Gaussian, or null when it was not visible, or when no pixel's gradient
// reached it (hidden behind others, or covering only pixels whose blend ended before it): then its chain
// gives zeros.
inline const float* reached_splat(const ChainInputs& c, std::size_t gaussian) {
    const std::uint32_t v = c.splat_of[gaussian];
    if (v == UINT32_MAX) return nullptr;
    const float* s = c.splat_grads + std::size_t{v} * kGradsPerSplat;
    bool touched = false;
    for (int j = 0; j < kGradsPerSplat; ++j) touched = touched || s[j] != 0.0f;
    return touched ? s : nullptr;
}

// The splat gradients of the Gaussian kPrefetchAhead on are asked for: they lie in depth order, read here
// in index order (the load was a fifth of the chain's time).
inline void prefetch_splat(const ChainInputs& c, std::size_t gaussian, std::size_t end) {
    if (gaussian + kPrefetchAhead >= end) return;
    const std::uint32_t v = c.splat_of[gaussian + kPrefetchAhead];
    if (v == UINT32_MAX) return;
    const float* s = c.splat_grads + std::size_t{v} * kGradsPerSplat;
    __builtin_prefetch(s);
    __builtin_prefetch(s + kGradsPerSplat - 1);
}

GLINT_CLONES_FLATTEN void chain_range(const ChainInputs& c, std::size_t begin, std::size_t end) {
    for (std::size_t gaussian = begin; gaussian != end; ++gaussian) {
        prefetch_splat(c, gaussian, end);
        if (const float* s = reached_splat(c, gaussian))
            raster::chain_gaussian(c.cloud, c.frame, gaussian, s, c.grads);
    }
}

// chain_range for 4D clouds: the 4D chain at the frame's time, into the 4D gradients too.
GLINT_CLONES_FLATTEN void chain_range_4d(const ChainInputs& c, std::size_t begin, std::size_t end) {
    for (std::size_t gaussian = begin; gaussian != end; ++gaussian) {
        prefetch_splat(c, gaussian, end);
        if (const float* s = reached_splat(c, gaussian))
            raster::chain_gaussian_4d(c.cloud, c.frame, gaussian, s, c.grads);
    }
}
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
    const bool recorded = m_recorded_transmittance.size() == tiles * kTilePixels &&
                          m_recorded_last.size() == tiles * kTilePixels;

    // --- per pixel: replay and undo the blend ---------------------------------------------------------
    // Tiles are cut into a fixed number of contiguous chunks, each summing into its own buffer, and the
    // buffers are added in chunk order: the same sums in the same order on every run (training is
    // deterministic for a seed on a given machine). The count follows the machine's processors, not the
    // threads this process may use nor the cores it is bound to (MPI launchers bind each rank to one):
    // processes on one machine then sum alike whatever their threads and binding.
    const std::size_t chunks = std::min<std::size_t>(
        tiles, 2 * static_cast<std::size_t>(std::max(1u, std::thread::hardware_concurrency())));
    std::vector<std::vector<float>> partial(chunks);
    tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t chunk) {
        std::vector<float>& acc = partial[chunk];
        acc.assign(visible * kGradsPerSplat, 0.0f);
        BackwardTile state;
        for (int p = 0; p < kTilePixels; ++p) {
            state.px[p] = static_cast<float>(p % kTileSize) + 0.5f;
            state.py[p] = static_cast<float>(p / kTileSize) + 0.5f;
        }
        for (std::size_t tile = chunk * tiles / chunks; tile < (chunk + 1) * tiles / chunks; ++tile) {
            const int tx = static_cast<int>(tile % static_cast<std::size_t>(grid_x));
            const int ty = static_cast<int>(tile / static_cast<std::size_t>(grid_x));
            const std::uint32_t* ranks = m_sorted_ranks.data() + m_tile_ranges[tile];
            const std::size_t count = m_tile_ranges[tile + 1] - m_tile_ranges[tile];
            const float x0 = static_cast<float>(tx * kTileSize), y0 = static_cast<float>(ty * kTileSize);
            std::fill(std::begin(state.transmittance), std::end(state.transmittance), 1.0f);
            std::fill(std::begin(state.done), std::end(state.done), 0.0f);
            std::fill(std::begin(state.last), std::end(state.last), -1.0f);
            // Pixels outside the image count as done and never contribute.
            for (int p = 0; p < kTilePixels; ++p) {
                const int x = tx * kTileSize + p % kTileSize, y = ty * kTileSize + p / kTileSize;
                const bool inside = x < width && y < height;
                state.done[p] = inside ? 0.0f : 1.0f;
                const std::size_t o = inside ? static_cast<std::size_t>(y) * width + x : 0;
                for (int ch = 0; ch < 3; ++ch) state.v_color[ch][p] = inside ? v_color[3 * o + ch] : 0.0f;
            }
            if (recorded) {
                // The forward pass kept each pixel's final transmittance and last contribution.
                const float* t = m_recorded_transmittance.data() + tile * kTilePixels;
                const float* l = m_recorded_last.data() + tile * kTilePixels;
                for (int p = 0; p < kTilePixels; ++p) {
                    const bool inside = state.done[p] == 0.0f;
                    state.transmittance[p] = inside ? t[p] : 1.0f;
                    state.last[p] = inside ? l[p] : -1.0f;
                }
            } else {
                replay_tile(state, m_sorted_splats.data(), ranks, count, x0, y0);
            }
            float end = -1.0f;
            for (int p = 0; p < kTilePixels; ++p) {
                end = std::max(end, state.last[p]);
                const float bg[3] = {background.x, background.y, background.z};
                for (int ch = 0; ch < 3; ++ch) state.after[ch][p] = state.transmittance[p] * bg[ch];
            }
            undo_tile(state, m_sorted_splats.data(), ranks, static_cast<std::size_t>(end + 1.0f), x0, y0,
                      acc.data());
        }
    });
    // The chunks' sums added in chunk order for every element (deterministic), over element ranges in
    // parallel.
    m_splat_grads.resize(visible * kGradsPerSplat);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, m_splat_grads.size(), 1 << 14),
                      [&](const auto& range) {
                          for (std::size_t i = range.begin(); i != range.end(); ++i) {
                              float sum = 0.0f;
                              for (const std::vector<float>& part : partial) sum += part[i];
                              m_splat_grads[i] = sum;
                          }
                      });

    // --- per visible Gaussian: the chain to the raw parameters -------------------------------------------
    const raster::FrameParams frame = make_frame_params(cloud, camera, settings);
    const raster::ChainFrame chain = make_chain_frame(frame, cloud, width, height);
    m_splat_of.assign(cloud.size(), UINT32_MAX);
    for (std::size_t v = 0; v < visible; ++v) {
        const auto gaussian = static_cast<std::uint32_t>(m_depth_order[v]);
        m_splat_of[gaussian] = static_cast<std::uint32_t>(v);
        grads.visible[gaussian] += 1.0f;
    }
    const raster::GaussianArrays arrays = gaussian_arrays(cloud);
    const raster::GradientArrays outputs{
        grads.positions.data(),       grads.log_scales.data(), grads.rotations.data(),
        grads.opacity_logits.data(),  grads.sh_dc.data(),      grads.sh_rest.data(),
        grads.mean2d_norm.data(),     grads.time_means.data(), grads.log_time_scales.data(),
        grads.rotations_right.data(), grads.time_color.data()};
    const ChainInputs inputs{arrays, chain, outputs, m_splat_of.data(), m_splat_grads.data()};
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cloud.size(), 1024), [&](const auto& range) {
        if (cloud.is_4d())
            chain_range_4d(inputs, range.begin(), range.end());
        else
            chain_range(inputs, range.begin(), range.end());
    });
}

}  // namespace glint::splatting
