// The NeRF's renderer on CUDA: every live ray marches a few samples per round, the samples are compacted,
// shaded in one batch (encoding.cu, mlp.cu) and composited front to back.
#include <cub/device/device_scan.cuh>

#include <chrono>

#include <algorithm>
#include <cmath>
#include <vector>

#include "glint/core/cuda/check.cuh"
#include "glint/core/cuda/device_buffer.cuh"
#include "glint/core/error.h"
#include "glint/nerf/cuda.h"
#include "glint/nerf/march_math.h"
#include "glint/nerf/nerf_math.h"
#include "stages.cuh"

namespace glint::nerf {
namespace {

using cuda::DeviceBuffer;
using namespace cuda_stages;

struct RayState {
    float d[3];
    float t, t_far;
    float transmittance, colour[3], depth, cosine;
    int pixel;
};

struct RenderParams {
    MarchGrid grid;
    float origin[3];
    float to_world[9];  // camera to world rotation, row-major (R^T)
    float fx, fy, cx, cy;
    int width, first_row, rows;
    float outer_half;
    int jitter;
    float background[3];
    float world_per_unit;
};

__global__ void start_rays_kernel(RenderParams p, RayState* __restrict__ rays, int* __restrict__ alive,
                                  int* __restrict__ alive_count) {
    const int pixel = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (pixel >= p.width * p.rows) return;
    const int x = pixel % p.width, y = p.first_row + pixel / p.width;
    const float cam[3] = {(static_cast<float>(x) + 0.5f - p.cx) / p.fx,
                          (static_cast<float>(y) + 0.5f - p.cy) / p.fy, 1.0f};
    RayState r;
    float length = 0.0f;
    for (int i = 0; i < 3; ++i) {
        r.d[i] = p.to_world[3 * i] * cam[0] + p.to_world[3 * i + 1] * cam[1] + p.to_world[3 * i + 2] * cam[2];
        length += r.d[i] * r.d[i];
    }
    const float inv = 1.0f / sqrtf(length);
    r.cosine = 0.0f;
    for (int i = 0; i < 3; ++i) {
        r.d[i] *= inv;
        r.cosine += r.d[i] * p.to_world[3 * i + 2];
    }
    const float lo[3] = {0.5f - p.outer_half, 0.5f - p.outer_half, 0.5f - p.outer_half},
                hi[3] = {0.5f + p.outer_half, 0.5f + p.outer_half, 0.5f + p.outer_half};
    ray_box(p.origin, r.d, lo, hi, r.t, r.t_far);
    r.t = r.t > 0.0f ? r.t : 0.0f;
    if (p.jitter) r.t += pixel_jitter(x, y) * p.grid.min_step;
    r.transmittance = 1.0f;
    r.colour[0] = r.colour[1] = r.colour[2] = 0.0f;
    r.depth = 0.0f;
    r.pixel = pixel;
    rays[pixel] = r;
    if (r.t < r.t_far) alive[atomicAdd(alive_count, 1)] = pixel;
}

// Each live ray marches up to `per_ray` samples into its slots.
__global__ void march_kernel(RenderParams p, int alive_count, const int* __restrict__ alive,
                             RayState* __restrict__ rays, int per_ray, float* __restrict__ slot_t,
                             float* __restrict__ slot_dt, int* __restrict__ counts) {
    const int k = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (k >= alive_count) return;
    RayState& r = rays[alive[k]];
    const std::size_t slot = static_cast<std::size_t>(k) * static_cast<std::size_t>(per_ray);
    counts[k] = march_ray(p.grid, p.origin, r.d, r.t, r.t_far, per_ray, slot_t + slot, slot_dt + slot);
}

// The samples, compacted: encoding inputs, the ray each belongs to, t and dt.
__global__ void gather_kernel(RenderParams p, int alive_count, const int* __restrict__ alive,
                              const RayState* __restrict__ rays, int per_ray,
                              const float* __restrict__ slot_t, const float* __restrict__ slot_dt,
                              const int* __restrict__ counts, const int* __restrict__ offsets,
                              float* __restrict__ inputs, int* __restrict__ owner,
                              float* __restrict__ sample_t, float* __restrict__ sample_dt) {
    const int k = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (k >= alive_count) return;
    const RayState& r = rays[alive[k]];
    const float inv = 0.5f / p.outer_half;
    for (int j = 0; j < counts[k]; ++j) {
        const std::size_t from = static_cast<std::size_t>(k) * static_cast<std::size_t>(per_ray) + j;
        const std::size_t s = static_cast<std::size_t>(offsets[k]) + j;
        const float t = slot_t[from];
        for (int a = 0; a < 3; ++a) {
            const float v = ((p.origin[a] + t * r.d[a]) - 0.5f) * inv + 0.5f;
            inputs[3 * s + a] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
        }
        owner[s] = alive[k];
        sample_t[s] = t;
        sample_dt[s] = slot_dt[from];
    }
}

// The colour network's input (density features and the direction's SH), and the density.
__global__ void colour_input_kernel(std::size_t n, int geometry, const float* __restrict__ features_out,
                                    const int* __restrict__ owner, const RayState* __restrict__ rays,
                                    float* __restrict__ colour_in, float* __restrict__ sigma) {
    const std::size_t s = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (s >= n) return;
    const std::size_t width = static_cast<std::size_t>(geometry + kShDirWidth);
    const float* g = features_out + s * static_cast<std::size_t>(geometry);
    for (int i = 0; i < geometry; ++i) colour_in[s * width + i] = g[i];
    const RayState& r = rays[owner[s]];
    sh_encode_direction(r.d[0], r.d[1], r.d[2], colour_in + s * width + geometry);
    sigma[s] = density_activation(g[0]);
}

// Front-to-back compositing of this round's samples; rays that go on enter the next round's list.
__global__ void composite_kernel(int alive_count, const int* __restrict__ alive, RayState* __restrict__ rays,
                                 const int* __restrict__ counts, const int* __restrict__ offsets,
                                 const float* __restrict__ sigma, const float* __restrict__ raw,
                                 const float* __restrict__ sample_t, const float* __restrict__ sample_dt,
                                 int* __restrict__ next, int* __restrict__ next_count) {
    const int k = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (k >= alive_count) return;
    RayState& r = rays[alive[k]];
    for (int j = 0; j < counts[k]; ++j) {
        const std::size_t s = static_cast<std::size_t>(offsets[k]) + j;
        const float weight = composite_sample(sigma[s], sample_dt[s], r.transmittance);
        for (int a = 0; a < 3; ++a) r.colour[a] += weight * colour_activation(raw[3 * s + a]);
        r.depth += weight * sample_t[s];
        if (r.transmittance < kMinTransmittance) break;
    }
    const bool ended = r.transmittance < kMinTransmittance || !(r.t < r.t_far) || counts[k] == 0;
    if (!ended) next[atomicAdd(next_count, 1)] = alive[k];
}

__global__ void output_kernel(RenderParams p, const RayState* __restrict__ rays, float* __restrict__ colour,
                              float* __restrict__ alpha, float* __restrict__ depth, int want_depth) {
    const int pixel = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (pixel >= p.width * p.rows) return;
    const RayState& r = rays[pixel];
    for (int a = 0; a < 3; ++a) colour[3 * pixel + a] = r.colour[a] + r.transmittance * p.background[a];
    if (want_depth) {
        const float opacity = 1.0f - r.transmittance;
        alpha[pixel] = opacity;
        depth[pixel] = opacity > 1e-3f ? r.depth / opacity * p.world_per_unit * r.cosine : 0.0f;
    }
}

}  // namespace

// The model's arrays on the device.
struct NerfDeviceModel::Arrays {
    DeviceBuffer<float> params, density, colour;
    DeviceBuffer<GridLevel> levels;
    DeviceBuffer<std::uint8_t> occupancy;
};

NerfDeviceModel::NerfDeviceModel(const NerfModel& model) : m_arrays(std::make_unique<Arrays>()) {
    m_arrays->params.upload(model.grid().params());
    m_arrays->density.upload(model.density_net().weights());
    m_arrays->colour.upload(model.colour_net().weights());
    m_arrays->levels.upload(model.grid().levels());
    m_arrays->occupancy.upload(model.occupancy());
}

NerfDeviceModel::~NerfDeviceModel() = default;

NerfRenderStats render_nerf_cuda(const NerfModel& model, const Camera& camera,
                                 const NerfRenderSettings& settings, NerfImage& out) {
    return render_nerf_cuda(model, NerfDeviceModel(model), camera, settings, out);
}

NerfRenderStats render_nerf_cuda(const NerfModel& model, const NerfDeviceModel& resident,
                                 const Camera& camera, const NerfRenderSettings& settings, NerfImage& out) {
    const auto start = std::chrono::steady_clock::now();
    const RowBand band = render_rows(camera, settings);
    const int y0 = band.first, w = camera.width, h = band.end - band.first;
    const std::size_t pixels = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);

    const NerfDeviceModel::Arrays& device = *resident.m_arrays;
    RenderParams p{};
    p.grid = model.march_grid();
    p.grid.occupancy = device.occupancy.data();
    const glm::vec3 origin = model.to_normalized(camera.position());
    for (int i = 0; i < 3; ++i) {
        p.origin[i] = origin[i];
        for (int j = 0; j < 3; ++j) p.to_world[3 * i + j] = camera.rotation[i][j];
    }
    p.fx = camera.fx;
    p.fy = camera.fy;
    p.cx = camera.cx;
    p.cy = camera.cy;
    p.width = w;
    p.first_row = y0;
    p.rows = h;
    p.outer_half = model.outer_half();
    p.jitter = settings.jitter ? 1 : 0;
    for (int a = 0; a < 3; ++a) p.background[a] = settings.background[static_cast<std::size_t>(a)];
    p.world_per_unit = 1.0f / model.normalized_scale();

    DeviceBuffer<RayState> rays(pixels);
    DeviceBuffer<int> alive(pixels), next(pixels), counter(2);
    GLINT_CUDA_CHECK(cudaMemset(counter.data(), 0, counter.bytes()));
    start_rays_kernel<<<blocks_for(pixels), kThreads>>>(p, rays.data(), alive.data(), counter.data());
    GLINT_CUDA_CHECK_LAUNCH();
    int alive_count = 0;
    GLINT_CUDA_CHECK(cudaMemcpy(&alive_count, counter.data(), sizeof(int), cudaMemcpyDeviceToHost));

    const HashGridConfig& grid = model.grid().config();
    const int levels = grid.levels, features = grid.features, geometry = model.config().geometry_features;
    const DeviceMlp density_net = describe(model.density_net(), device.density.data());
    const DeviceMlp colour_net = describe(model.colour_net(), device.colour.data());
    DeviceBuffer<float> slot_t, slot_dt, inputs, sample_t, sample_dt, encoded, geometry_out, colour_in, sigma,
        raw;
    DeviceBuffer<int> counts, offsets, owner;
    DeviceBuffer<unsigned char> scan_storage;
    std::vector<DeviceBuffer<float>> hidden;
    std::size_t samples = 0;
    constexpr int kRoundSamples = 1 << 20;  // samples per round at most (bounds the shading buffers)
    while (alive_count > 0) {
        const int per_ray = std::clamp(kRoundSamples / alive_count, 1, 64);
        const std::size_t slots = static_cast<std::size_t>(alive_count) * static_cast<std::size_t>(per_ray);
        slot_t.resize(slots);
        slot_dt.resize(slots);
        counts.resize(static_cast<std::size_t>(alive_count));
        offsets.resize(static_cast<std::size_t>(alive_count));
        march_kernel<<<blocks_for(static_cast<std::size_t>(alive_count)), kThreads>>>(
            p, alive_count, alive.data(), rays.data(), per_ray, slot_t.data(), slot_dt.data(), counts.data());
        GLINT_CUDA_CHECK_LAUNCH();
        std::size_t scan_bytes = 0;
        GLINT_CUDA_CHECK(
            cub::DeviceScan::ExclusiveSum(nullptr, scan_bytes, counts.data(), offsets.data(), alive_count));
        scan_storage.resize(scan_bytes);
        GLINT_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(scan_storage.data(), scan_bytes, counts.data(),
                                                       offsets.data(), alive_count));
        int last_offset = 0, last_count = 0;
        GLINT_CUDA_CHECK(
            cudaMemcpy(&last_offset, offsets.data() + alive_count - 1, sizeof(int), cudaMemcpyDeviceToHost));
        GLINT_CUDA_CHECK(
            cudaMemcpy(&last_count, counts.data() + alive_count - 1, sizeof(int), cudaMemcpyDeviceToHost));
        const std::size_t n = static_cast<std::size_t>(last_offset) + static_cast<std::size_t>(last_count);
        samples += n;
        if (n > 0) {
            inputs.resize(3 * n);
            owner.resize(n);
            sample_t.resize(n);
            sample_dt.resize(n);
            gather_kernel<<<blocks_for(static_cast<std::size_t>(alive_count)), kThreads>>>(
                p, alive_count, alive.data(), rays.data(), per_ray, slot_t.data(), slot_dt.data(),
                counts.data(), offsets.data(), inputs.data(), owner.data(), sample_t.data(),
                sample_dt.data());
            GLINT_CUDA_CHECK_LAUNCH();
            encoded.resize(n * static_cast<std::size_t>(levels * features));
            encode_forward(n, levels, features, device.levels.data(), device.params.data(), inputs.data(),
                           encoded.data());
            geometry_out.resize(n * static_cast<std::size_t>(geometry));
            mlp_forward(density_net, n, encoded.data(), hidden, geometry_out.data());
            colour_in.resize(n * static_cast<std::size_t>(geometry + kShDirWidth));
            sigma.resize(n);
            colour_input_kernel<<<blocks_for(n), kThreads>>>(n, geometry, geometry_out.data(), owner.data(),
                                                             rays.data(), colour_in.data(), sigma.data());
            GLINT_CUDA_CHECK_LAUNCH();
            raw.resize(3 * n);
            mlp_forward(colour_net, n, colour_in.data(), hidden, raw.data());
        }
        GLINT_CUDA_CHECK(cudaMemset(counter.data(), 0, sizeof(int)));
        composite_kernel<<<blocks_for(static_cast<std::size_t>(alive_count)), kThreads>>>(
            alive_count, alive.data(), rays.data(), counts.data(), offsets.data(), sigma.data(), raw.data(),
            sample_t.data(), sample_dt.data(), next.data(), counter.data());
        GLINT_CUDA_CHECK_LAUNCH();
        GLINT_CUDA_CHECK(cudaMemcpy(&alive_count, counter.data(), sizeof(int), cudaMemcpyDeviceToHost));
        std::swap(alive, next);
    }

    DeviceBuffer<float> colour(3 * pixels), alpha(settings.depth ? pixels : 0),
        depth(settings.depth ? pixels : 0);
    output_kernel<<<blocks_for(pixels), kThreads>>>(p, rays.data(), colour.data(), alpha.data(), depth.data(),
                                                    settings.depth ? 1 : 0);
    GLINT_CUDA_CHECK_LAUNCH();
    out.width = w;
    out.height = h;
    out.color.resize(3 * pixels);
    out.depth.resize(settings.depth ? pixels : 0);
    out.alpha.resize(settings.depth ? pixels : 0);
    colour.download(out.color);
    if (settings.depth) {
        alpha.download(out.alpha);
        depth.download(out.depth);
    }
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    NerfRenderStats stats;
    stats.rays = pixels;
    stats.samples = samples;
    stats.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

}  // namespace glint::nerf
