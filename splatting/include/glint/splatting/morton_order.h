// Morton (Z-order) ordering of Gaussians by position, for the formats that store them spatially sorted
// (compressed PLY's chunks, SOG's textures), and for sharding a scene by space.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace glint::splatting {

// Indices of the Gaussians at `positions` ([N, 3]) in Morton order of 10 bits per axis over their
// bounding box; ties keep the input order.
std::vector<std::uint32_t> morton_order(std::span<const float> positions);

}  // namespace glint::splatting
