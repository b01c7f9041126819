// What the commands and the viewer draw: a scene of any kind (3D Gaussians, 4D Gaussians, a hash-grid
// NeRF) behind one interface. `glint render`, `bench`, `record` and the viewer open a scene with
// open_scene() and render it into a neutral Frame (core/frame.h) without asking what it is; what differs
// between kinds (a NeRF is slow and refines progressively, Gaussians have per-pixel counts) is asked of
// the scene as a capability.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <glm/vec3.hpp>

#include "glint/core/backend.h"
#include "glint/core/camera.h"
#include "glint/core/frame.h"

namespace glint::scene {

enum class SceneKind { Gaussians3D, Gaussians4D, Nerf };
// "3D Gaussians", "4D Gaussians", "hash-grid NeRF".
const char* kind_name(SceneKind kind);

// The sphere an automatic view frames.
struct Sphere {
    glm::vec3 centre{0.0f};
    float radius = 1.0f;
};

// The times a dynamic scene spans (the range of its Gaussians' time means).
struct TimeSpan {
    float begin = 0.0f, end = 0.0f;
};

// What the scene's own content says about the world's up direction, and why.
struct UpHint {
    glm::vec3 up{0.0f, 0.0f, 1.0f};
    std::string how;
};

// How to draw a frame. Options a kind has no use for are ignored by it (a NeRF has no SH degree).
struct DrawSettings {
    glm::vec3 background{0.0f};     // composited where the scene leaves transmittance
    bool antialias = false;         // Gaussians: Mip-Splatting's 2D filter
    int sh_degree = -1;             // Gaussians: a lower degree than the scene's (-1: all of it)
    float temporal_cutoff = 0.05f;  // 4D Gaussians: temporal marginal below which a Gaussian is skipped
    // 4D Gaussians: look only at the Gaussians alive at the time, found through a temporal hierarchy
    // (splatting/temporal_hierarchy.h): the same image with less work.
    bool active_masks = true;
    // Level of detail and pruning previews (Gaussians): the first `max_primitives` in the scene's
    // importance order, none projected smaller than `min_radius` pixels, and with `keep` ([N], not owned)
    // only those whose entry is non-zero.
    std::size_t max_primitives = SIZE_MAX;
    float min_radius = 0.0f;
    const std::uint8_t* keep = nullptr;
    // Gaussian hierarchy (3D Gaussians): draw the cut whose nodes project under `lod_pixels` pixels, or the
    // best cut of at most `lod_budget` Gaussians (0: none). The hierarchy is the file's (`glint lod`) or
    // built on first use. keep and max_primitives do not apply to a cut.
    float lod_pixels = 0.0f;
    std::size_t lod_budget = 0;
    // Draw the cut's Gaussians in a colour per level (turbo from blue for the scene's own Gaussians to
    // red for nodes 10 or more levels above them) instead of their own.
    bool lod_levels = false;
    // Only rows [first_row, first_row + rows) of the camera's image (rows < 0: to the bottom); the frame
    // is that band, with the same pixels as the whole image's rows. Progressive hosts refine by bands.
    int first_row = 0, rows = -1;
};

// What a frame cost and drew.
struct FrameStats {
    Backend backend = Backend::Cpu;  // the one that ran
    double ms = 0;                   // the whole render
    // Gaussians: the stages, the scene's count, those visible and the (tile, Gaussian) pairs blended.
    double preprocess_ms = 0, sort_ms = 0, blend_ms = 0;
    std::size_t primitives = 0, visible = 0, tile_pairs = 0;
    std::size_t samples = 0;  // NeRF: samples the networks evaluated
    // Gaussian hierarchy: the time to choose the cut and gather its Gaussians, and how many it drew.
    double lod_ms = 0;
    std::size_t lod_nodes = 0;
    float lod_target = 0.0f;  // the size the cut met (under a budget: where it stopped), pixels
    // One line for logs: "1,234 of 5,000 Gaussians visible, ..." or "2,000,000 samples".
    std::string describe() const;
};

class Scene {
public:
    virtual ~Scene() = default;

    virtual SceneKind kind() const = 0;
    // One line: counts, degree, encoding ("48,000 Gaussians, SH degree 3, 11.1 MiB").
    virtual std::string summary() const = 0;
    virtual Sphere framing_sphere() const = 0;
    // The box the scene fills (Gaussians: their means; a NeRF: its scene box).
    virtual void bounds(glm::vec3& lo, glm::vec3& hi) const = 0;
    // Dynamic scenes: the span of times worth rendering.
    virtual std::optional<TimeSpan> time_span() const = 0;
    virtual std::size_t memory_bytes() const = 0;
    // Primitives a budget counts (Gaussians; 0 for a NeRF, which has no budget).
    virtual std::size_t primitives() const = 0;
    // The up direction the file or its content states, if any.
    virtual std::optional<UpHint> up_hint() const = 0;
    // The colour the scene was trained over, when the file states it (a learnt background): renders
    // default to it.
    virtual std::optional<glm::vec3> background() const = 0;
    // Frames carry per-pixel primitive counts (Frame::contributors).
    virtual bool has_counts() const = 0;
    // A frame takes long enough that an interactive host should show a coarse one and refine it band by
    // band over the next frames.
    virtual bool progressive() const = 0;
    // The backend its frames run on, and a change of it (Auto: CUDA when usable; Cuda where it cannot
    // run is an Error).
    virtual Backend backend() const = 0;
    virtual void set_backend(Backend backend) = 0;
    // A copy that renders on the CPU, for a worker thread (recording) while this one keeps rendering.
    virtual std::unique_ptr<Scene> cpu_copy() const = 0;
    // Writes the scene atomically in the format its extension names (Gaussians: .ply, .splat; a NeRF:
    // .nerf). Throws InputError for an extension the kind cannot be written as, Error when writing fails
    // (the previous file is kept).
    virtual void save(const std::filesystem::path& path) const = 0;

    // Renders the scene seen by `camera` at `time` (ignored by static scenes) into `frame`. Throws
    // InputError for an invalid camera or band.
    virtual FrameStats render(const Camera& camera, float time, const DrawSettings& settings,
                              Frame& frame) = 0;
};

// A camera for rows [first_row, first_row + rows) of `camera`'s image: the same rays, the principal
// point moved up. rows < 0: to the bottom. Throws InputError for an empty band.
Camera band_camera(const Camera& camera, int first_row, int rows);

// Opens a scene file by its extension: .nerf, or Gaussians (.ply, .splat, .spz), rendering on `backend`
// (Auto: CUDA when usable). Throws InputError naming the file for bad input.
std::unique_ptr<Scene> open_scene(const std::filesystem::path& path, Backend backend);
// A Gaussian scene from bytes in memory (the embedded default scene).
std::unique_ptr<Scene> open_scene_from_memory(std::span<const std::byte> bytes, const std::string& name,
                                              Backend backend);
// True for a path ending in .nerf (case-insensitive).
bool is_nerf_path(const std::filesystem::path& path);

}  // namespace glint::scene
