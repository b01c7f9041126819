// Subsets of a cloud: importance ordering for level of detail, pruning masks, and gathering the kept
// Gaussians into a new cloud.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

// Importance of each Gaussian for level of detail: opacity times the area of its largest cross-section
// (a view-independent proxy of its screen coverage, as in LightGaussian's significance with unit hit
// counts). [N]
std::vector<float> importance(const GaussianCloud& cloud);

// Indices of the cloud sorted by decreasing importance (ties keep index order). [N]
std::vector<std::uint32_t> importance_order(const GaussianCloud& cloud);

// Copies rows of `stride` floats: dst row k = src row indices[k]. dst must hold indices.size() rows.
void gather_rows(std::span<const float> src, std::span<float> dst, std::size_t stride,
                 std::span<const std::uint32_t> indices);

// The Gaussians at `indices`, in that order, with every array (4D and time colour included). Throws
// ContractError for an index out of range.
GaussianCloud gather(const GaussianCloud& cloud, std::span<const std::uint32_t> indices);

// Copies every array of Gaussian `from` over Gaussian `to` (4D fields included).
void copy_row(GaussianCloud& cloud, std::uint32_t from, std::uint32_t to);

// Thresholds for pruning; a Gaussian is removed when any applies.
struct PruneCriteria {
    float min_opacity = 0.0f;  // activated opacity below this
    float max_scale = 0.0f;    // largest activated scale above this (0: no limit)
    float min_scale = 0.0f;    // largest activated scale below this (0: no limit)
};

// 1 where the Gaussian stays, 0 where the criteria remove it; returns how many stay. `keep` is resized.
std::size_t prune_mask(const GaussianCloud& cloud, const PruneCriteria& criteria,
                       std::vector<std::uint8_t>& keep);

// The Gaussians whose mask entry is non-zero, in their order.
GaussianCloud select(const GaussianCloud& cloud, std::span<const std::uint8_t> keep);

}  // namespace glint::splatting
