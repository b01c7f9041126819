// A hash-grid NeRF (Instant-NGP's "nerf" network): the multiresolution hash encoding of a position, a
// density network (one hidden layer) whose first output is the log density and whose outputs together
// feed the colour network (two hidden layers) with the degree-4 SH encoding of the view direction; a
// multi-scale occupancy grid for empty-space skipping; and the ray marcher over it.
//
// Space: the scene box (centre, half size) maps to the unit cube [0, 1]^3 of "normalized" coordinates.
// Cascade k of the occupancy grid covers the cube of half size 2^(k-1) around (0.5, 0.5, 0.5), so one
// cascade is a bounded object and more cover an unbounded scene; the hash encoding sees the outermost
// cascade's cube as its [0, 1]^3 (its finest resolution is scaled by the cascades' extent).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include <glm/glm.hpp>

#include "glint/nerf/hash_grid.h"
#include "glint/nerf/march_math.h"
#include "glint/nerf/mlp.h"

namespace glint::nerf {

struct NerfConfig {
    HashGridConfig grid;  // max_resolution is of the unit cube (cascade 0); scaled for the outer cascades
    int hidden = 64;      // width of both networks' hidden layers
    int geometry_features = 16;  // density network outputs (the first: log density)
    glm::vec3 centre{0.0f};      // scene box (cascade 0) in world units
    float half_size = 1.0f;
    int cascades = 1;                // occupancy grid cascades (1: a bounded object)
    int occupancy_resolution = 128;  // cells per axis per cascade
    int steps = 1024;                // the smallest step is sqrt(3) / steps (normalized)
    float cone_angle = 0.0f;         // step growth with distance (unbounded scenes)
};

// Throws InputError naming the value when a configuration is out of range.
void check_config(const NerfConfig& config);

// Where a ray is in its march: the next t and the end (normalized units).
struct RayCursor {
    float t = 0.0f, t_far = 0.0f;
    bool done() const { return !(t < t_far); }
};

class NerfModel {
public:
    explicit NerfModel(const NerfConfig& config);
    const NerfConfig& config() const { return m_config; }
    void initialize(std::uint64_t seed);

    HashGrid<float>& grid() { return m_grid; }
    const HashGrid<float>& grid() const { return m_grid; }
    Mlp<float>& density_net() { return m_density; }
    const Mlp<float>& density_net() const { return m_density; }
    Mlp<float>& colour_net() { return m_colour; }
    const Mlp<float>& colour_net() const { return m_colour; }

    // Occupancy: one byte per cell (1: occupied), cascades * R^3, cell (x, y, z) of cascade k at
    // k R^3 + x + R (y + R z).
    std::vector<std::uint8_t>& occupancy() { return m_occupancy; }
    const std::vector<std::uint8_t>& occupancy() const { return m_occupancy; }
    std::size_t occupied_cells() const;
    // The colour the model was trained over, when training learnt it (photos without alpha); .nerf files
    // from version 3 carry it, and renders default to it.
    const std::optional<std::array<float, 3>>& background() const { return m_background; }
    void set_background(std::optional<std::array<float, 3>> colour) { m_background = colour; }
    // The cell holding a normalized position, or -1 outside the outermost cascade.
    std::int64_t cell_of(const float p[3]) const;
    // Cell `cell`'s box in normalized coordinates.
    void cell_box(std::size_t cell, float lo[3], float hi[3]) const;
    // The world box of the innermost cascade's occupied cells (the scene box when none is occupied).
    void occupied_box(glm::vec3& lo, glm::vec3& hi) const;

    // World <-> normalized coordinates (the unit cube is the scene box).
    glm::vec3 to_normalized(glm::vec3 world) const;
    float normalized_scale() const { return 0.5f / m_config.half_size; }  // normalized per world unit
    // The hash encoding's input for a normalized position (the outermost cascade's cube to [0, 1]^3).
    void encoding_input(const float p[3], float out[3]) const;
    // The outermost cascade's cube, normalized.
    float outer_half() const { return m_outer_half; }

    // Starts a ray (normalized origin and unit direction): the cursor covers its part in the outermost
    // cascade, beginning at `near` at least.
    RayCursor start_ray(const float o[3], const float d[3], float near) const;
    // Marches on from `cursor`, skipping empty cells, and writes up to `max` samples' t and dt; returns
    // how many. `jitter` in [0, 1) shifts the first step (training); the cursor moves past the samples.
    int march(const float o[3], const float d[3], RayCursor& cursor, int max, float* t, float* dt) const;
    float min_step() const { return m_min_step; }
    // The occupancy grid and steps as the shared marching math takes them (march_math.h).
    MarchGrid march_grid() const;

    // Density (per normalized unit) at normalized positions [N, 3].
    void density(std::span<const float> positions, std::span<float> sigma) const;

    // Parameters in one list (grid, density network, colour network), for the optimizer and the file.
    std::size_t parameter_count() const;

private:
    NerfConfig m_config;
    HashGrid<float> m_grid;
    Mlp<float> m_density, m_colour;
    std::vector<std::uint8_t> m_occupancy;
    std::optional<std::array<float, 3>> m_background;
    float m_outer_half = 0.5f, m_min_step = 0.0f;
};

// The hash grid configuration for a model: the caller's, with the finest resolution scaled by the
// outermost cascade's extent (Instant-NGP: N_max grows with the scene bound).
HashGridConfig scaled_grid_config(const NerfConfig& config);

// The `.nerf` file: a header (magic "GLINTNRF", format version, the configuration), the parameters
// (float32, little-endian; the hash tables dense, or sparse where that is smaller: pruned tables), the
// occupancy bits, and an FNV-1a 64 checksum of everything before it. Documented in the README. Writes
// version 2 atomically; reads versions 1 (always dense tables) and 2. Reading throws InputError naming
// the file and the problem (not a .nerf file, a newer version, truncated, a checksum mismatch, values out
// of range).
void save_nerf(const NerfModel& model, const std::filesystem::path& path);
NerfModel load_nerf(const std::filesystem::path& path);
inline constexpr std::uint32_t kNerfFormatVersion = 3;  // 3: the learnt background

}  // namespace glint::nerf
