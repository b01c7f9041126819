// Rasterizer validation and the backend factory.
#include "glint/splatting/raster/rasterizer.h"

#include <cmath>

#include "cpu_rasterizer.h"
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
    return render_impl(cloud, camera, settings, out);
}

std::unique_ptr<Rasterizer> create_rasterizer(Backend backend) {
    const CudaStatus& cuda = cuda_status();
    if (backend == Backend::Auto) backend = cuda.usable() ? Backend::Cuda : Backend::Cpu;
    if (backend == Backend::Cuda) {
        if (!cuda.usable()) throw Error("the CUDA backend cannot be used: " + cuda.reason);
#if GLINT_HAS_CUDA
        return create_cuda_rasterizer();
#endif
    }
    return std::make_unique<CpuRasterizer>();
}

}  // namespace glint::splatting
