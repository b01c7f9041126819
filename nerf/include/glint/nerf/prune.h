// Pruning a trained NeRF: the occupancy cells that no view uses and the hash-table entries that no
// occupied cell can reach.
//
// A cell is used when some sample inside it takes a weight (transmittance times alpha) of at least
// `min_weight` in a render of one of the given views; occupied cells that are not used are cleared (the
// inside of solid objects, hidden from every view; density too faint to show). The marcher then never
// samples them. A table entry is reachable when a vertex that maps to it belongs to a grid cell that
// overlaps an occupied cell, at its level; every other entry can take no part in any render, from any
// view, and is removed (set to zero, and left out of the file: .nerf stores sparse tables). The PSNR
// before and after is the caller's to measure (evaluate_nerf in render.h).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "glint/core/camera.h"
#include "glint/nerf/model.h"

namespace glint::nerf {

struct NerfPruneOptions {
    float min_weight = 1e-3f;
};

struct NerfPruneReport {
    std::size_t views = 0, rays = 0, samples = 0;
    std::size_t cells = 0, occupied_before = 0, occupied_after = 0;
    std::size_t entries = 0, entries_before = 0, entries_after = 0;  // entries: non-zero ones
};

// Views on a sphere around the occupied cells (a Fibonacci lattice of `count` directions), each
// `size` pixels square and framing the cells, for pruning a bounded object without its dataset.
std::vector<Camera> views_around(const NerfModel& model, int count, int size);

// Prunes `model` in place. `progress` (may be empty) is called after each view with the count done and
// returns false to cancel: the model is then unchanged and the result empty. Throws InputError when
// `views` is empty or min_weight is not in (0, 1).
std::optional<NerfPruneReport> prune_nerf(
    NerfModel& model, std::span<const Camera> views, const NerfPruneOptions& options,
    const std::function<bool(std::size_t done, std::size_t total)>& progress = {});

// Non-zero table entries (an entry is zero when all its features are).
std::size_t nonzero_entries(const NerfModel& model);

}  // namespace glint::nerf
