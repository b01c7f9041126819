// The tile rasterizer's interface: an image of a Gaussian scene from a camera, on the CPU or CUDA backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "glint/core/backend.h"
#include "glint/core/camera.h"
#include "glint/core/frame.h"
#include "glint/splatting/gaussian_cloud.h"
#include "glint/splatting/raster/raster_math.h"
#include "glint/splatting/raster/resident_training.h"

namespace glint::splatting {

struct RenderSettings {
    raster::Vec3 background{0.0f, 0.0f, 0.0f};     // composited where transmittance remains
    bool antialias = false;                        // Mip-Splatting 2D filter with opacity compensation
    int sh_degree = -1;                            // lower than the scene's to save time; -1: all of it
    float near_plane = raster::kDefaultNearPlane;  // Gaussians nearer than this are culled
    // 4D scenes: the time to slice at, and the temporal marginal below which a Gaussian is skipped
    // before projection (the reference implementation masks below 0.05).
    float time = 0.0f;
    float temporal_cutoff = 0.05f;
    // Level of detail and pruning previews. Only the first `max_gaussians` of the cloud are drawn (order
    // the cloud by importance first, see splatting/lod.h); Gaussians whose projected 3-sigma radius is
    // below `min_radius` pixels are skipped; with `keep` ([N], host memory, not owned), Gaussians whose
    // entry is 0 are skipped.
    std::size_t max_gaussians = SIZE_MAX;
    float min_radius = 0.0f;
    const std::uint8_t* keep = nullptr;
    // 4D active masks (splatting/prune.h): with a non-empty `active` (Gaussian indices in increasing
    // order, host memory, not owned), only those Gaussians are looked at; the image is the same as
    // without when the set holds every Gaussian the frame draws, as an ActiveMasks set does.
    std::span<const std::uint32_t> active;
    // Significance (CPU backend only): with `contributions` ([N] floats, host, not owned), each
    // Gaussian's blend weights alpha * T over the frame's pixels are added to its entry.
    float* contributions = nullptr;
    // Training: keep each pixel's final transmittance and last contribution for backward(), which then
    // need not replay the blend (CPU; the same gradients up to float rounding).
    bool record_for_backward = false;
    // False: only colour and alpha are wanted, and the CPU backend leaves depth and contributors empty
    // (training, which reads neither).
    bool depth_and_counts = true;
};

// The rasterizer draws into the neutral frame every scene kind renders into (core/frame.h).
using RenderOutput = Frame;

// Median-free per-frame counters and stage times (milliseconds).
struct RenderStats {
    std::size_t gaussians = 0;   // in the scene
    std::size_t visible = 0;     // survived culling and touch at least one tile
    std::size_t tile_pairs = 0;  // (tile, Gaussian) pairs sorted and blended
    double preprocess_ms = 0, sort_ms = 0, blend_ms = 0;
};

// Gradients of a loss with respect to a cloud's raw parameters, shaped as its arrays (gaussian_cloud.h).
struct CloudGradients {
    std::vector<float> positions, log_scales, rotations, opacity_logits, sh_dc, sh_rest;  // [N, ...]
    // 4D clouds only (empty for 3D): time means, log time scales, right quaternions, time-varying colour.
    std::vector<float> time_means, log_time_scales, rotations_right, time_color;
    // [N] |dL/d screen mean| in normalized device units (pixels times W/2 and H/2), the statistic the
    // reference densifies by (threshold 0.0002); 0 for Gaussians not visible in the frame.
    std::vector<float> mean2d_norm;
    // [N] how many of the frames added here drew each Gaussian (it touched at least one tile; the
    // reference's radii > 0), reached by a pixel's gradient or not: the denominator the reference averages
    // mean2d_norm over, so a Gaussian seen but hidden behind others counts as a view with no gradient.
    std::vector<float> visible;
    // Sizes every array for `cloud` and sets it to zero.
    void reset(const GaussianCloud& cloud);
};

class Rasterizer {
public:
    virtual ~Rasterizer() = default;
    // Renders `cloud` seen by `camera` into `out` (resized to the camera). Throws InputError for an
    // invalid camera (size, focal length, non-finite pose). Buffers are reused: after the first frame of a
    // given size and scene, a CPU render allocates nothing.
    RenderStats render(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                       RenderOutput& out);
    virtual Backend backend() const = 0;

    // Adds to `grads` the gradients of a loss whose gradient with respect to the rendered colour is
    // `v_color` ([H, W, 3]), for the frame the last render() drew: call it right after render() with the
    // same cloud, camera and settings. 3D and 4D Gaussians (sliced at settings.time), without
    // anti-aliasing (ContractError otherwise);
    // `grads` must have been reset() for the cloud.
    void backward(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                  std::span<const float> v_color, CloudGradients& grads);

    // The backend's device-side training state (raster/resident_training.h), or null when it keeps none
    // (the CPU backend: its scene is the host's).
    virtual ResidentTraining* resident_training() { return nullptr; }

private:
    virtual RenderStats render_impl(const GaussianCloud& cloud, const Camera& camera,
                                    const RenderSettings& settings, RenderOutput& out) = 0;
    virtual void backward_impl(const GaussianCloud& cloud, const Camera& camera,
                               const RenderSettings& settings, std::span<const float> v_color,
                               CloudGradients& grads) = 0;
};

// Backend::Auto gives CUDA when this build and machine can run it, else the CPU. Throws Error naming the
// reason when Backend::Cuda is asked for and cannot be used.
std::unique_ptr<Rasterizer> create_rasterizer(Backend backend = Backend::Auto);

}  // namespace glint::splatting
