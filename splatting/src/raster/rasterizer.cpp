// Rasterizer validation and the backend factory.
#include "glint/splatting/raster/rasterizer.h"

#include <algorithm>
#include <cmath>

#include "cpu_rasterizer.h"
#include "frame_params.h"
#include "glint/core/error.h"
#include "glint/core/text.h"

#if GLINT_HAS_CUDA
#include "cuda/cuda_rasterizer.h"
#endif

namespace glint::splatting {

RenderStats Rasterizer::render(const GaussianCloud& cloud, const Camera& camera,
                               const RenderSettings& settings, RenderOutput& out) {
    if (camera.width <= 0 || camera.height <= 0)
        throw InputError(cat("camera size ", camera.width, "x", camera.height, " is not positive"));
    if (camera.width > 16384 || camera.height > 16384)
        throw InputError(cat("camera size ", camera.width, "x", camera.height, " exceeds 16384 pixels"));
    if (!(camera.fx > 0.0f) || !(camera.fy > 0.0f) || !std::isfinite(camera.fx) || !std::isfinite(camera.fy))
        throw InputError("camera focal lengths must be positive and finite");
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j)
            if (!std::isfinite(camera.rotation[i][j])) throw InputError("camera rotation is not finite");
        if (!std::isfinite(camera.translation[i])) throw InputError("camera translation is not finite");
    }
    if (!std::isfinite(camera.cx) || !std::isfinite(camera.cy))
        throw InputError("camera centre is not finite");
    if (!(settings.near_plane > 0.0f)) throw InputError("the near plane must be positive");
    if (!std::isfinite(settings.time)) throw InputError("the time must be finite");
    if (!(settings.temporal_cutoff >= 0.0f && settings.temporal_cutoff < 1.0f))
        throw InputError("the temporal cut-off must be in [0, 1)");
    if (!(settings.min_radius >= 0.0f)) throw InputError("the minimum projected radius must be non-negative");
    GLINT_CHECK(settings.contributions == nullptr || backend() == Backend::Cpu,
                "render: contributions are counted by the CPU backend");
    GLINT_CHECK(settings.active.empty() || settings.active.back() < cloud.size(),
                "render: an active Gaussian index past the cloud");
    GLINT_CHECK(out.float_images || out.packed_rgba != nullptr,
                "RenderOutput: without float images, packed_rgba must receive the colour");
    return render_impl(cloud, camera, settings, out);
}

std::array<std::size_t, kParameterGroups> parameter_group_strides(const GaussianCloud& cloud) {
    const std::size_t t = cloud.is_4d() ? 1 : 0;
    return {3,     3,
            4,     1,
            3,     static_cast<std::size_t>(cloud.sh_rest_per_channel()) * 3,
            t,     t,
            4 * t, cloud.time_color_per_gaussian()};
}

void CloudGradients::reset(const GaussianCloud& cloud) {
    const auto zero = [](std::vector<float>& v, std::size_t n) { v.assign(n, 0.0f); };
    zero(positions, cloud.positions().size());
    zero(log_scales, cloud.log_scales().size());
    zero(rotations, cloud.rotations().size());
    zero(opacity_logits, cloud.opacity_logits().size());
    zero(sh_dc, cloud.sh_dc().size());
    zero(sh_rest, cloud.sh_rest().size());
    zero(mean2d_norm, cloud.size());
    zero(visible, cloud.size());
    zero(time_means, cloud.is_4d() ? cloud.size() : 0);
    zero(log_time_scales, cloud.is_4d() ? cloud.size() : 0);
    zero(rotations_right, cloud.is_4d() ? 4 * cloud.size() : 0);
    zero(time_color, cloud.is_4d() ? cloud.time_color().size() : 0);
}

void check_backward_inputs(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                           std::span<const float> v_color) {
    GLINT_CHECK(!settings.antialias, "backward: the anti-aliasing filter has no backward pass yet");
    GLINT_CHECK(settings.keep == nullptr && settings.max_gaussians >= cloud.size() &&
                    settings.min_radius == 0.0f && settings.active.empty() &&
                    settings.contributions == nullptr,
                "backward: level-of-detail, active-mask and significance settings are for viewing");
    GLINT_CHECK(v_color.size() == static_cast<std::size_t>(camera.width) * camera.height * 3,
                "backward: v_color must be [H, W, 3] of the camera");
}

void Rasterizer::backward(const GaussianCloud& cloud, const Camera& camera, const RenderSettings& settings,
                          std::span<const float> v_color, CloudGradients& grads) {
    check_backward_inputs(cloud, camera, settings, v_color);
    GLINT_CHECK(grads.positions.size() == cloud.positions().size() &&
                    grads.sh_rest.size() == cloud.sh_rest().size() &&
                    grads.time_means.size() == (cloud.is_4d() ? cloud.size() : 0) &&
                    grads.visible.size() == cloud.size(),
                "backward: gradients were not reset for this cloud");
    backward_impl(cloud, camera, settings, v_color, grads);
}

raster::FrameParams make_frame_params(const GaussianCloud& cloud, const Camera& camera,
                                      const RenderSettings& settings) {
    raster::FrameParams frame{};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            frame.view_rotation.m[i][j] = camera.rotation[j][i];  // glm is column-major
    frame.view_translation = {camera.translation.x, camera.translation.y, camera.translation.z};
    const glm::vec3 eye = camera.position();
    frame.camera_position = {eye.x, eye.y, eye.z};
    frame.fx = camera.fx, frame.fy = camera.fy, frame.cx = camera.cx, frame.cy = camera.cy;
    frame.tan_fov_x = 0.5f * static_cast<float>(camera.width) / camera.fx;
    frame.tan_fov_y = 0.5f * static_cast<float>(camera.height) / camera.fy;
    frame.near_plane = settings.near_plane;
    frame.min_radius = settings.min_radius;
    frame.time = settings.time;
    frame.temporal_cutoff = settings.temporal_cutoff;
    frame.time_period = cloud.time_period();
    frame.time_color_degree = cloud.time_color_degree();
    frame.time_color_stride = static_cast<int>(cloud.time_color_per_gaussian());
    frame.antialias = settings.antialias ? 1 : 0;
    frame.temporal = cloud.is_4d() ? 1 : 0;
    frame.sh_degree =
        settings.sh_degree < 0 ? cloud.sh_degree() : std::min(settings.sh_degree, cloud.sh_degree());
    frame.sh_rest_stride = cloud.sh_rest_per_channel() * 3;
    frame.grid_x = (camera.width + raster::kTileSize - 1) / raster::kTileSize;
    frame.grid_y = (camera.height + raster::kTileSize - 1) / raster::kTileSize;
    return frame;
}

raster::View3<float> make_view3(const raster::FrameParams& f) {
    raster::View3<float> v{};
    const float translation[3] = {f.view_translation.x, f.view_translation.y, f.view_translation.z};
    const float position[3] = {f.camera_position.x, f.camera_position.y, f.camera_position.z};
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) v.rotation[i][j] = f.view_rotation.m[i][j];
        v.translation[i] = translation[i];
        v.position[i] = position[i];
    }
    v.fx = f.fx, v.fy = f.fy, v.cx = f.cx, v.cy = f.cy;
    v.tan_fov_x = f.tan_fov_x, v.tan_fov_y = f.tan_fov_y;
    v.sh_degree = f.sh_degree;
    return v;
}

raster::ChainFrame make_chain_frame(const raster::FrameParams& f, const GaussianCloud& cloud, int width,
                                    int height) {
    raster::ChainFrame chain{make_view3(f),
                             {make_view3(f), f.time, f.time_period, f.time_color_degree, 0},
                             f.near_plane,
                             0.5f * static_cast<float>(width),
                             0.5f * static_cast<float>(height),
                             cloud.sh_rest_per_channel() * 3,
                             static_cast<int>(cloud.time_color_per_gaussian())};
    if (f.time_color_degree > 0) chain.view4.time_block = f.time_color_stride / f.time_color_degree;
    return chain;
}

raster::GaussianArrays gaussian_arrays(const GaussianCloud& cloud, const std::uint8_t* keep) {
    return {cloud.positions().data(),
            cloud.log_scales().data(),
            cloud.rotations().data(),
            cloud.opacity_logits().data(),
            cloud.sh_dc().data(),
            cloud.sh_rest().data(),
            cloud.time_means().data(),
            cloud.log_time_scales().data(),
            cloud.rotations_right().data(),
            cloud.time_color().data(),
            keep};
}

std::unique_ptr<Rasterizer> create_rasterizer(Backend backend) {
    if (resolve_backend(backend) == Backend::Cuda) {
#if GLINT_HAS_CUDA
        return create_cuda_rasterizer();
#endif
    }
    return std::make_unique<CpuRasterizer>();
}

}  // namespace glint::splatting
