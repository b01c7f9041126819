// Rendering a NeRF: a ray per pixel, marched over the occupancy grid in rounds (each live ray takes a few
// samples, the samples of all rays are evaluated as one batch, rays that end drop out: compaction),
// composited front to back with early termination. On the CPU here, on CUDA in src/cuda/render.cu
// (the settings' backend chooses).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "glint/core/backend.h"
#include "glint/core/camera.h"
#include "glint/core/dataset.h"
#include "glint/nerf/model.h"

namespace glint::nerf {

struct NerfRenderSettings {
    std::array<float, 3> background{0.0f, 0.0f, 0.0f};
    bool depth = true;  // also the expected depth and the opacity
    // Shift each pixel's samples by its own fraction of a step (pixel_jitter), as training shifts its
    // rays' samples at random. A density learnt under random shifts can be thinner than a step in places;
    // one step grid for all pixels then misses it on some and aliases into speckles (the sample's side
    // views: 15.9 dB on one grid, 29.3 dB jittered, for the same model).
    bool jitter = true;
    // Only rows [first_row, first_row + rows) of the camera's image (rows < 0: to the bottom); the output
    // is that band. The viewer refines a view band by band; the pixels equal the whole image's.
    int first_row = 0, rows = -1;
    // Auto: CUDA when this build and machine can run it, else the CPU; Cuda where it cannot run is an
    // Error. The CPU unless asked (the commands pass the user's --backend, auto by default); renders that
    // visit samples (pruning) and evaluations always run on the CPU.
    Backend backend = Backend::Cpu;
};

struct NerfImage {
    int width = 0, height = 0;
    std::vector<float> color;  // [H, W, 3]
    std::vector<float> depth;  // [H, W] expected z depth in world units (0 where nothing was hit)
    std::vector<float> alpha;  // [H, W] accumulated opacity
};

struct NerfRenderStats {
    std::size_t rays = 0, samples = 0;  // samples evaluated by the networks
    double ms = 0;
    Backend backend = Backend::Cpu;  // the one that ran
};

// The rows [first, end) a render covers (the settings' band, clamped to the camera's image). Throws
// InputError for an empty image or band.
struct RowBand {
    int first = 0, end = 0;
};
RowBand render_rows(const Camera& camera, const NerfRenderSettings& settings);

// The ray through the centre of pixel (x, y) of a camera: normalized origin and unit direction, and the
// world-to-normalized scale of t along it.
void camera_ray(const NerfModel& model, const Camera& camera, float x, float y, float origin[3],
                float direction[3]);

NerfRenderStats render_nerf(const NerfModel& model, const Camera& camera, const NerfRenderSettings& settings,
                            NerfImage& out);
// The same, calling `visit` for every composited sample with its normalized position and weight
// (transmittance times alpha), from several threads at once (pruning: which cells a view uses).
using SampleVisitor = std::function<void(const float position[3], float weight)>;
NerfRenderStats render_nerf(const NerfModel& model, const Camera& camera, const NerfRenderSettings& settings,
                            NerfImage& out, const SampleVisitor& visit);

// Renders models frame after frame (the viewer, recordings): as render_nerf, and on CUDA with the model's
// arrays kept on the device between frames, uploaded again only for another model (a model behind a
// shared pointer is not changed in place: a pruned one is a new model).
class NerfRenderer {
public:
    NerfRenderStats render(const std::shared_ptr<const NerfModel>& model, const Camera& camera,
                           const NerfRenderSettings& settings, NerfImage& out);

private:
    std::shared_ptr<const NerfModel> m_resident;  // the model whose arrays m_device holds
    std::shared_ptr<void> m_device;               // nerf::NerfDeviceModel in CUDA builds
};

// Shades samples: normalized positions and unit directions [N, 3] -> density [N] and colour [N, 3]
// (the networks' inference path, shared by the renderer and the pruning pass).
void shade_samples(const NerfModel& model, std::span<const float> positions,
                   std::span<const float> directions, std::span<float> sigma, std::span<float> rgb);

// Test-view PSNR, SSIM and L1 of a model against a dataset's test views (its training views without
// any), rendered over the dataset's background.
struct NerfEvaluation {
    double psnr = 0, ssim = 0, l1 = 0;
    std::size_t views = 0;
    std::size_t samples = 0;  // evaluated by the networks, all views together
    double render_ms = 0;     // all views together
};
NerfEvaluation evaluate_nerf(const NerfModel& model, const Dataset& dataset);

}  // namespace glint::nerf
