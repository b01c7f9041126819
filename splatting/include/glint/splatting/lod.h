// A Gaussian hierarchy for level of detail (after Kerbl et al. 2024, "A Hierarchical 3D Gaussian
// Representation"): the scene's Gaussians are the leaves of a binary tree built by median splits along the
// longest axis; every interior node is one Gaussian merged from its two children. A cut through the tree
// per frame draws every node whose projected size is under a target while its parent's is over it (or the
// best cut under a Gaussian budget), with each node blended toward its parent while the parent is under
// twice the target, so that nodes appear without popping.
//
// Merging children c with weights w = opacity x the area of its two largest axes:
//   mean        sum w mu / W
//   covariance  sum w (Sigma_c + (mu_c - mu)(mu_c - mu)^T) / W   (moment matching)
//   SH          sum w sh / W
//   opacity     sum opacity_c area_c / area, at most 0.99: the node covers as much as its children
// Each node also has a radius: a sphere about its mean that holds its own 3-sigma extent and its children's
// spheres, so that a node's projected size is never smaller than any of its descendants'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "glint/core/camera.h"
#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

inline constexpr std::uint32_t kNoNode = std::numeric_limits<std::uint32_t>::max();

struct LodHierarchy {
    // Leaves [0, leaves) in tree order (every subtree's leaves are contiguous), then the leaves - 1
    // interior nodes.
    GaussianCloud nodes;
    std::size_t leaves = 0;
    std::uint32_t root = kNoNode;
    std::vector<std::uint32_t> left, right;  // per interior node (index i - leaves)
    std::vector<std::uint32_t> parent;       // per node; kNoNode for the root
    std::vector<float> radius;               // per node
    std::vector<std::uint8_t> height;        // per node: 0 for a leaf, else one over its higher child's

    bool is_leaf(std::uint32_t node) const { return node < leaves; }
    // The scene: the leaves, as a cloud of their own.
    GaussianCloud leaf_cloud() const;
    std::size_t memory_bytes() const;
};

// Builds the hierarchy over a 3D scene in O(n log n), in parallel. Throws InputError for a 4D scene.
LodHierarchy build_lod(const GaussianCloud& scene);

// The parent, radius and child links from the nodes and children alone (what a file stores).
void link_lod(LodHierarchy& hierarchy);

struct LodCutSettings {
    float target_pixels = 0.0f;                                    // 0: no size target
    std::size_t budget = std::numeric_limits<std::size_t>::max();  // at most this many nodes
    // Leave out every node whose sphere lies wholly outside the camera's view (in front of it and within
    // the image's four edges), with its subtree: nothing of it can reach a pixel.
    bool cull = true;
};

struct LodCut {
    std::vector<std::uint32_t> nodes;  // the cut, in the same order for any thread count
    std::vector<float> blend;  // per node: 1 draws it as itself, t < 1 draws it t of the way from its parent
    float target_pixels = 0.0f;  // the target the cut met (under a budget: the size it stopped at)
};

// The cut for `camera`: with a target only, every node whose projected size is at most the target while
// its parent's is over it (leaves however large); with a budget, the cut that splits the largest nodes
// first while it stays within the budget. Without culling the cut covers every leaf once; with it, every
// leaf whose sphere the view can reach. Computed in parallel; the same for any thread count.
LodCut lod_cut(const LodHierarchy& hierarchy, const Camera& camera, const LodCutSettings& settings);
// Whether a node's sphere reaches into the camera's view (in front of it, within the image's edges).
bool lod_in_view(const LodHierarchy& hierarchy, std::uint32_t node, const Camera& camera);
// The projected size in pixels of a node's sphere seen from `camera`.
float lod_projected_size(const LodHierarchy& hierarchy, std::uint32_t node, const Camera& camera);

// The cut's Gaussians, blended toward their parents, into `out` (resized; reused between frames).
void cut_cloud(const LodHierarchy& hierarchy, const LodCut& cut, GaussianCloud& out);

// A PLY whose vertex element is the leaves (what any reader sees: the scene itself) and whose "lod_node"
// element holds the interior nodes with the same properties plus their children ("left", "right": node
// indices, leaves first).
std::vector<std::byte> encode_lod_ply(const LodHierarchy& hierarchy);
void write_lod_ply(const LodHierarchy& hierarchy, const std::filesystem::path& path);
// The hierarchy of a PLY that has a "lod_node" element, given the file's bytes and its leaves as read;
// nullopt for a PLY without one. Throws InputError naming the file for a malformed hierarchy.
std::optional<LodHierarchy> read_lod_hierarchy(std::span<const std::byte> bytes, std::string_view name,
                                               const GaussianCloud& leaves);

}  // namespace glint::splatting
