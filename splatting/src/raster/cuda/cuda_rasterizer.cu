// CUDA tile rasterizer, host side: keeps the scene on the device across frames (uploaded again only when
// the cloud's identity or version changes) and runs the stages (stages.cuh) in the CPU backend's order.
// For training it also keeps the optimizer state there (ResidentTraining): gradients, Adam's moments and
// the densification statistic never leave the device between densification rounds.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <span>

#include "../frame_params.h"
#include "cuda_rasterizer.h"
#include "glint/core/cuda/check.cuh"
#include "glint/core/cuda/device_buffer.cuh"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "stages.cuh"

namespace glint::splatting {
namespace {

using cuda::DeviceBuffer;
using raster::kTileSize;
using raster::Splat;

double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

class CudaRasterizer final : public Rasterizer, public ResidentTraining {
public:
    Backend backend() const override { return Backend::Cuda; }
    ResidentTraining* resident_training() override { return this; }

    void upload(const GaussianCloud& cloud, const OptimizerState& state) override;
    void download(GaussianCloud& cloud, OptimizerState& state) override;
    void backward(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                  std::span<const float> v_color, bool statistics) override;
    void adam(std::size_t group, float lr, int iteration) override;

private:
    RenderStats render_impl(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                            RenderOutput& out) override;
    void backward_impl(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                       std::span<const float> v_color, CloudGradients& grads) override;
    // Uploads the cloud unless the device holds this identity and version already.
    void make_resident(const GaussianCloud& cloud);
    // The backward pass of the last frame into the device's gradient buffers (sized as the cloud).
    void backward_on_device(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                            std::span<const float> v_color);
    // Parameter group g's resident array and its gradient (ResidentTraining's group order).
    DeviceBuffer<float>& group_values(std::size_t g);
    DeviceBuffer<float>& group_gradient(std::size_t g);

    // The scene on the device, and which cloud (identity, version) it is.
    DeviceBuffer<float> m_positions, m_log_scales, m_rotations, m_opacity_logits, m_sh_dc, m_sh_rest;
    DeviceBuffer<float> m_time_means, m_log_time_scales, m_rotations_right, m_time_color;
    std::uint64_t m_resident_identity = 0, m_resident_version = 0;
    bool m_resident = false;
    std::size_t m_uploads = 0;  // scene uploads so far (the debug log reports them)

    DeviceBuffer<Splat> m_splats;                   // [N]
    DeviceBuffer<uint32_t> m_counts;                // [N]
    DeviceBuffer<uint32_t> m_visible;               // [1] the visible count's reduction
    cuda_raster::SortBuffers m_sort;                // pairs, sorted, tile ranges
    DeviceBuffer<float> m_color, m_alpha, m_depth;  // [H, W(, 3)]
    DeviceBuffer<uint32_t> m_contributors;          // [H, W]
    DeviceBuffer<uint8_t> m_keep;                   // [N] RenderSettings::keep, when given
    DeviceBuffer<uint32_t> m_active;                // RenderSettings::active, when given
    // Backward pass.
    DeviceBuffer<float> m_v_color, m_v_splats;  // [H, W, 3], [N, 9]
    DeviceBuffer<float> m_v_positions, m_v_log_scales, m_v_rotations, m_v_opacity, m_v_sh_dc, m_v_sh_rest,
        m_mean2d_norm, m_v_time_means, m_v_log_time_scales, m_v_rotations_right, m_v_time_color;
    int m_last_width = 0, m_last_height = 0;
    // Training state (ResidentTraining): Adam's moments per group and the densification statistic.
    std::array<DeviceBuffer<float>, kParameterGroups> m_moment_m, m_moment_v;
    DeviceBuffer<float> m_grad_sums, m_grad_views;  // [N]
};

DeviceBuffer<float>& CudaRasterizer::group_values(std::size_t g) {
    std::array<DeviceBuffer<float>*, kParameterGroups> groups = {
        &m_positions, &m_log_scales, &m_rotations,       &m_opacity_logits,  &m_sh_dc,
        &m_sh_rest,   &m_time_means, &m_log_time_scales, &m_rotations_right, &m_time_color};
    return *groups.at(g);
}

DeviceBuffer<float>& CudaRasterizer::group_gradient(std::size_t g) {
    std::array<DeviceBuffer<float>*, kParameterGroups> groups = {
        &m_v_positions, &m_v_log_scales, &m_v_rotations,       &m_v_opacity,         &m_v_sh_dc,
        &m_v_sh_rest,   &m_v_time_means, &m_v_log_time_scales, &m_v_rotations_right, &m_v_time_color};
    return *groups.at(g);
}

void CudaRasterizer::upload(const GaussianCloud& cloud, const OptimizerState& state) {
    m_resident = false;  // every array again, whatever the version says
    make_resident(cloud);
    const std::array<std::size_t, kParameterGroups> strides = parameter_group_strides(cloud);
    const std::size_t n = cloud.size();
    const auto put = [](DeviceBuffer<float>& to, const std::vector<float>& from, std::size_t count) {
        GLINT_CHECK(from.empty() || from.size() == count, "resident training: state of another shape");
        to.resize(count);
        if (count == 0) return;
        if (from.empty())
            GLINT_CUDA_CHECK(cudaMemset(to.data(), 0, count * sizeof(float)));
        else
            to.upload(from);
    };
    for (std::size_t g = 0; g < kParameterGroups; ++g) {
        put(m_moment_m[g], state.moments[g].m, n * strides[g]);
        put(m_moment_v[g], state.moments[g].v, n * strides[g]);
    }
    put(m_grad_sums, state.grad_sums, n);
    put(m_grad_views, state.grad_views, n);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
}

void CudaRasterizer::download(GaussianCloud& cloud, OptimizerState& state) {
    GLINT_CHECK(
        m_resident && cloud.identity() == m_resident_identity && cloud.version() == m_resident_version,
        "resident training: download into a cloud the device does not hold");
    const std::array<std::span<float>, kParameterGroups> values = {
        cloud.positions(),       cloud.log_scales(), cloud.rotations(),  cloud.opacity_logits(),
        cloud.sh_dc(),           cloud.sh_rest(),    cloud.time_means(), cloud.log_time_scales(),
        cloud.rotations_right(), cloud.time_color()};
    for (std::size_t g = 0; g < kParameterGroups; ++g) {
        group_values(g).download(values[g]);
        state.moments[g].m.resize(values[g].size());
        state.moments[g].v.resize(values[g].size());
        m_moment_m[g].download(state.moments[g].m);
        m_moment_v[g].download(state.moments[g].v);
    }
    state.grad_sums.resize(cloud.size());
    state.grad_views.resize(cloud.size());
    m_grad_sums.download(state.grad_sums);
    m_grad_views.download(state.grad_views);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    m_resident_version = cloud.version();  // the writes above bumped it; the device holds these values
}

void CudaRasterizer::backward(const GaussianCloud& cloud, const Camera& camera,
                              const RenderSettings& settings, std::span<const float> v_color,
                              bool statistics) {
    check_backward_inputs(cloud, camera, settings, v_color);
    backward_on_device(cloud, camera, settings, v_color);
    if (statistics) {
        GLINT_CHECK(m_grad_sums.size() == cloud.size(), "resident training: upload() the state first");
        cuda_raster::add_statistics(m_mean2d_norm.data(), m_counts.data(),
                                    static_cast<uint32_t>(cloud.size()), m_grad_sums.data(),
                                    m_grad_views.data());
    }
}

void CudaRasterizer::adam(std::size_t group, float lr, int iteration) {
    GLINT_CHECK(iteration >= 1, "adam: iterations count from 1");
    DeviceBuffer<float>& values = group_values(group);
    DeviceBuffer<float>& grad = group_gradient(group);
    GLINT_CHECK(grad.size() == values.size() && m_moment_m[group].size() == values.size(),
                "resident training: upload() the state and run backward() first");
    cuda_raster::adam(values.data(), grad.data(), m_moment_m[group].data(), m_moment_v[group].data(),
                      values.size(), adam_step_constants(lr, iteration, AdamSettings{}));
}

void CudaRasterizer::make_resident(const GaussianCloud& cloud) {
    if (m_resident && cloud.identity() == m_resident_identity && cloud.version() == m_resident_version)
        return;
    m_positions.upload(cloud.positions());
    m_log_scales.upload(cloud.log_scales());
    m_rotations.upload(cloud.rotations());
    m_opacity_logits.upload(cloud.opacity_logits());
    m_sh_dc.upload(cloud.sh_dc());
    m_sh_rest.upload(cloud.sh_rest());
    m_time_means.upload(cloud.time_means());
    m_log_time_scales.upload(cloud.log_time_scales());
    m_rotations_right.upload(cloud.rotations_right());
    m_time_color.upload(cloud.time_color());
    m_resident_identity = cloud.identity();
    m_resident_version = cloud.version();
    m_resident = true;
    ++m_uploads;
    log::debug("CUDA rasterizer: scene upload ", m_uploads, ", ", cloud.size(), " Gaussians, ",
               human_bytes(cloud.memory_bytes()));
}

RenderStats CudaRasterizer::render_impl(const GaussianCloud& cloud, const Camera& camera,
                                        const RenderSettings& settings, RenderOutput& out) {
    RenderStats stats;
    const uint32_t limit = static_cast<uint32_t>(std::min(cloud.size(), settings.max_gaussians));
    stats.gaussians = limit;
    // Work items: the Gaussians below the limit, or the active ones below it (uploaded each frame: 4 bytes
    // per active Gaussian).
    uint32_t n = limit;
    const uint32_t* ids = nullptr;
    if (!settings.active.empty()) {
        n = static_cast<uint32_t>(std::lower_bound(settings.active.begin(), settings.active.end(), limit) -
                                  settings.active.begin());
        m_active.upload(settings.active.first(n));
        ids = m_active.data();
    }
    const int width = camera.width, height = camera.height;
    const int grid_x = (width + kTileSize - 1) / kTileSize, grid_y = (height + kTileSize - 1) / kTileSize;
    const std::size_t pixels = static_cast<std::size_t>(width) * height;

    auto start = std::chrono::steady_clock::now();
    make_resident(cloud);
    raster::GaussianArrays arrays{m_positions.data(),
                                  m_log_scales.data(),
                                  m_rotations.data(),
                                  m_opacity_logits.data(),
                                  m_sh_dc.data(),
                                  m_sh_rest.data(),
                                  cloud.is_4d() ? m_time_means.data() : nullptr,
                                  cloud.is_4d() ? m_log_time_scales.data() : nullptr,
                                  cloud.is_4d() ? m_rotations_right.data() : nullptr,
                                  cloud.time_color_degree() > 0 ? m_time_color.data() : nullptr,
                                  nullptr};
    if (settings.keep != nullptr) {
        m_keep.upload(std::span<const uint8_t>(settings.keep, cloud.size()));
        arrays.keep = m_keep.data();
    }
    const raster::FrameParams frame = make_frame_params(cloud, camera, settings);
    m_splats.resize(n);
    m_counts.resize(n);
    cuda_raster::preprocess_forward(arrays, frame, n, ids, m_splats.data(), m_counts.data());
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    stats.preprocess_ms = milliseconds_since(start);

    start = std::chrono::steady_clock::now();
    stats.tile_pairs = cuda_raster::sort_pairs(m_splats.data(), m_counts.data(), n, grid_x, grid_y, m_sort);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    stats.sort_ms = milliseconds_since(start);

    start = std::chrono::steady_clock::now();
    m_color.resize(pixels * 3);
    m_alpha.resize(pixels);
    m_depth.resize(pixels);
    m_contributors.resize(pixels);
    cuda_raster::blend_forward(m_sort.ranges.data(), m_sort.sorted_values.data(), m_splats.data(), width,
                               height, settings.background, m_color.data(), m_alpha.data(), m_depth.data(),
                               m_contributors.data(), out.packed_rgba);
    out.width = width;
    out.height = height;
    const std::size_t kept = out.float_images ? pixels : 0;
    out.color.resize(kept * 3);
    out.alpha.resize(kept);
    out.depth.resize(kept);
    out.contributors.resize(kept);
    if (out.float_images) {
        m_color.download(out.color);
        m_alpha.download(out.alpha);
        m_depth.download(out.depth);
        m_contributors.download(out.contributors);
    }
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    stats.blend_ms = milliseconds_since(start);
    m_last_width = width;
    m_last_height = height;
    m_visible.resize(1);
    stats.visible = cuda_raster::count_visible(m_counts.data(), n, m_visible.data());
    return stats;
}

void CudaRasterizer::backward_on_device(const GaussianCloud& cloud, const Camera& camera,
                                        const RenderSettings& settings, std::span<const float> v_color) {
    GLINT_CHECK(m_last_width == camera.width && m_last_height == camera.height,
                "backward: call render() for this camera first");
    make_resident(cloud);  // as the CPU backend, the chain reads the cloud as it is now
    const uint32_t n = static_cast<uint32_t>(cloud.size());
    const int width = camera.width, height = camera.height;
    m_v_color.upload(v_color);
    m_v_splats.resize(static_cast<std::size_t>(n) * raster::kBlendGradients);
    GLINT_CUDA_CHECK(cudaMemset(m_v_splats.data(), 0, m_v_splats.size() * sizeof(float)));
    cuda_raster::blend_backward(m_sort.ranges.data(), m_sort.sorted_values.data(), m_splats.data(), width,
                                height, settings.background, m_v_color.data(), m_v_splats.data());
    const auto zeroed = [](DeviceBuffer<float>& b, std::size_t count) {
        b.resize(count);
        if (count > 0) GLINT_CUDA_CHECK(cudaMemset(b.data(), 0, count * sizeof(float)));
    };
    zeroed(m_v_positions, cloud.positions().size());
    zeroed(m_v_log_scales, cloud.log_scales().size());
    zeroed(m_v_rotations, cloud.rotations().size());
    zeroed(m_v_opacity, cloud.opacity_logits().size());
    zeroed(m_v_sh_dc, cloud.sh_dc().size());
    zeroed(m_v_sh_rest, cloud.sh_rest().size());
    zeroed(m_mean2d_norm, cloud.size());
    zeroed(m_v_time_means, cloud.time_means().size());
    zeroed(m_v_log_time_scales, cloud.log_time_scales().size());
    zeroed(m_v_rotations_right, cloud.rotations_right().size());
    zeroed(m_v_time_color, cloud.time_color().size());
    const raster::FrameParams frame = make_frame_params(cloud, camera, settings);
    const bool temporal = cloud.is_4d(), time_color = cloud.time_color_degree() > 0;
    const raster::GaussianArrays arrays{m_positions.data(),
                                        m_log_scales.data(),
                                        m_rotations.data(),
                                        m_opacity_logits.data(),
                                        m_sh_dc.data(),
                                        m_sh_rest.data(),
                                        temporal ? m_time_means.data() : nullptr,
                                        temporal ? m_log_time_scales.data() : nullptr,
                                        temporal ? m_rotations_right.data() : nullptr,
                                        time_color ? m_time_color.data() : nullptr,
                                        nullptr};
    const raster::GradientArrays outputs{m_v_positions.data(),
                                         m_v_log_scales.data(),
                                         m_v_rotations.data(),
                                         m_v_opacity.data(),
                                         m_v_sh_dc.data(),
                                         m_v_sh_rest.data(),
                                         m_mean2d_norm.data(),
                                         temporal ? m_v_time_means.data() : nullptr,
                                         temporal ? m_v_log_time_scales.data() : nullptr,
                                         temporal ? m_v_rotations_right.data() : nullptr,
                                         time_color ? m_v_time_color.data() : nullptr};
    // As the CPU backend: the same per-Gaussian chain (chain.h), 4D ones at the frame's time.
    const raster::ChainFrame chain = make_chain_frame(frame, cloud, width, height);
    cuda_raster::preprocess_backward(arrays, chain, temporal, n, m_counts.data(), m_v_splats.data(), outputs);
}

void CudaRasterizer::backward_impl(const GaussianCloud& cloud, const Camera& camera,
                                   const RenderSettings& settings, std::span<const float> v_color,
                                   CloudGradients& grads) {
    backward_on_device(cloud, camera, settings, v_color);
    const uint32_t n = static_cast<uint32_t>(cloud.size());
    const bool temporal = cloud.is_4d();
    // Added to what the caller accumulated.
    const auto add = [](DeviceBuffer<float>& from, std::vector<float>& to) {
        std::vector<float> part(to.size());
        from.download(part);
        GLINT_CUDA_CHECK(cudaDeviceSynchronize());
        for (std::size_t k = 0; k < to.size(); ++k) to[k] += part[k];
    };
    add(m_v_positions, grads.positions);
    add(m_v_log_scales, grads.log_scales);
    add(m_v_rotations, grads.rotations);
    add(m_v_opacity, grads.opacity_logits);
    add(m_v_sh_dc, grads.sh_dc);
    add(m_v_sh_rest, grads.sh_rest);
    add(m_mean2d_norm, grads.mean2d_norm);
    // Drawn in this frame: the preprocess's tile counts.
    std::vector<uint32_t> counts(n);
    m_counts.download(counts);
    GLINT_CUDA_CHECK(cudaDeviceSynchronize());
    for (uint32_t i = 0; i < n; ++i) grads.visible[i] += counts[i] > 0 ? 1.0f : 0.0f;
    if (temporal) {
        add(m_v_time_means, grads.time_means);
        add(m_v_log_time_scales, grads.log_time_scales);
        add(m_v_rotations_right, grads.rotations_right);
        add(m_v_time_color, grads.time_color);
    }
}

}  // namespace

std::unique_ptr<Rasterizer> create_cuda_rasterizer() {
    return std::make_unique<CudaRasterizer>();
}

}  // namespace glint::splatting
