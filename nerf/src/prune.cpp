// NeRF pruning: the cells the views use (from renders with a sample visitor), then the table entries the
// occupied cells can reach.
#include "glint/nerf/prune.h"

#include <algorithm>
#include <cmath>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "glint/core/error.h"
#include "glint/nerf/render.h"

namespace glint::nerf {
namespace {

// Marks the table entries of `level` that vertices of grid cells overlapping an occupied cell map to.
void mark_level(const NerfModel& model, const GridLevel& level, std::vector<std::uint8_t>& keep) {
    const std::vector<std::uint8_t>& occupancy = model.occupancy();
    // Each occupied cell's range of grid-cell corners at this level (as grid_cell finds them for the
    // points of the cell: the encoding input of its two extreme corners, which is monotonic).
    struct Range {
        std::uint32_t lo[3], hi[3];
    };
    std::vector<Range> ranges;
    double vertices = 0;
    const float last = static_cast<float>(level.resolution) - 2.0f;
    for (std::size_t cell = 0; cell < occupancy.size(); ++cell) {
        if (!occupancy[cell]) continue;
        float lo[3], hi[3], a[3], b[3];
        model.cell_box(cell, lo, hi);
        model.encoding_input(lo, a);
        model.encoding_input(hi, b);
        Range r;
        double count = 1;
        for (int k = 0; k < 3; ++k) {
            const float p = std::clamp(std::floor(a[k] * level.scale + 0.5f), 0.0f, last);
            const float q = std::clamp(std::floor(b[k] * level.scale + 0.5f), 0.0f, last);
            r.lo[k] = static_cast<std::uint32_t>(p);
            r.hi[k] = static_cast<std::uint32_t>(q) + 1;  // the far corner of the last grid cell
            count *= static_cast<double>(r.hi[k] - r.lo[k] + 1);
        }
        vertices += count;
        ranges.push_back(r);
    }
    // A hashed level whose occupied region holds far more vertices than the table has entries reaches
    // every entry (the chance that one is missed is below exp(-64)): no need to visit them.
    if (!level.dense && vertices > 64.0 * static_cast<double>(level.size)) {
        std::fill(keep.begin() + level.offset, keep.begin() + level.offset + level.size, std::uint8_t{1});
        return;
    }
    for (const Range& r : ranges)
        for (std::uint32_t z = r.lo[2]; z <= r.hi[2]; ++z)
            for (std::uint32_t y = r.lo[1]; y <= r.hi[1]; ++y)
                for (std::uint32_t x = r.lo[0]; x <= r.hi[0]; ++x)
                    keep[level.offset + vertex_index(level, x, y, z)] = 1;
}

}  // namespace

std::vector<Camera> views_around(const NerfModel& model, int count, int size) {
    glm::vec3 lo, hi;
    model.occupied_box(lo, hi);
    return cameras_around(0.5f * (lo + hi), 0.5f * glm::length(hi - lo), count, size);
}

std::size_t nonzero_entries(const NerfModel& model) {
    const std::vector<float>& params = model.grid().params();
    const std::size_t f = static_cast<std::size_t>(model.grid().config().features);
    std::size_t count = 0;
    for (std::size_t e = 0; e < params.size() / f; ++e)
        count += std::any_of(params.begin() + static_cast<std::ptrdiff_t>(e * f),
                             params.begin() + static_cast<std::ptrdiff_t>((e + 1) * f),
                             [](float v) { return v != 0.0f; })
                     ? 1
                     : 0;
    return count;
}

std::optional<NerfPruneReport> prune_nerf(
    NerfModel& model, std::span<const Camera> views, const NerfPruneOptions& options,
    const std::function<bool(std::size_t done, std::size_t total)>& progress) {
    if (views.empty()) throw InputError("pruning needs at least one view");
    if (!(options.min_weight > 0.0f && options.min_weight < 1.0f))
        throw InputError("the pruning weight threshold must be in (0, 1)");
    NerfPruneReport report;
    report.views = views.size();
    report.cells = model.occupancy().size();
    report.occupied_before = model.occupied_cells();
    report.entries = model.grid().params().size() / static_cast<std::size_t>(model.grid().config().features);
    report.entries_before = nonzero_entries(model);

    // Cells the views use.
    tbb::enumerable_thread_specific<std::vector<std::uint8_t>> used_local(
        [&] { return std::vector<std::uint8_t>(model.occupancy().size(), 0); });
    NerfRenderSettings settings;
    settings.depth = false;
    const float threshold = options.min_weight;
    for (std::size_t v = 0; v < views.size(); ++v) {
        NerfImage image;
        const NerfRenderStats stats =
            render_nerf(model, views[v], settings, image, [&](const float p[3], float weight) {
                if (weight < threshold) return;
                const std::int64_t cell = model.cell_of(p);
                if (cell >= 0) used_local.local()[static_cast<std::size_t>(cell)] = 1;
            });
        report.rays += stats.rays;
        report.samples += stats.samples;
        if (progress && !progress(v + 1, views.size())) return std::nullopt;
    }
    std::vector<std::uint8_t> used(model.occupancy().size(), 0);
    for (const std::vector<std::uint8_t>& local : used_local)
        for (std::size_t i = 0; i < used.size(); ++i) used[i] |= local[i];
    std::vector<std::uint8_t>& occupancy = model.occupancy();
    for (std::size_t i = 0; i < occupancy.size(); ++i) occupancy[i] = occupancy[i] && used[i] ? 1 : 0;
    report.occupied_after = model.occupied_cells();

    // Entries the occupied cells reach; the rest are zeroed.
    const std::vector<GridLevel>& levels = model.grid().levels();
    std::vector<std::uint8_t> keep(report.entries, 0);
    tbb::parallel_for(std::size_t{0}, levels.size(),
                      [&](std::size_t l) { mark_level(model, levels[l], keep); });
    std::vector<float>& params = model.grid().params();
    const std::size_t f = static_cast<std::size_t>(model.grid().config().features);
    for (std::size_t e = 0; e < keep.size(); ++e)
        if (!keep[e]) std::fill_n(params.begin() + static_cast<std::ptrdiff_t>(e * f), f, 0.0f);
    report.entries_after = nonzero_entries(model);
    return report;
}

}  // namespace glint::nerf
