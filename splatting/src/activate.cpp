// CPU activation (oneTBB) and the backend choice for activate_gaussians.
#include "glint/splatting/activate.h"

#include <tbb/parallel_for.h>

#include "glint/core/error.h"
#include "glint/splatting/activation.h"

#if GLINT_HAS_CUDA
#include "cuda/activate_cuda.h"
#endif

namespace glint::splatting {
namespace {

void activate_cpu(const GaussianCloud& cloud, ActivatedGaussians& out) {
    const float* log_scales = cloud.log_scales().data();
    const float* rotations = cloud.rotations().data();
    const float* logits = cloud.opacity_logits().data();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cloud.size(), 4096), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i)
            activate_gaussian(log_scales + 3 * i, rotations + 4 * i, logits[i], out.scales.data() + 3 * i,
                              out.rotations.data() + 4 * i, out.opacities.data() + i);
    });
}

}  // namespace

ActivatedGaussians activate_gaussians(const GaussianCloud& cloud, Backend backend) {
    ActivatedGaussians out;
    out.scales.resize(cloud.size() * 3);
    out.rotations.resize(cloud.size() * 4);
    out.opacities.resize(cloud.size());
    if (resolve_backend(backend) == Backend::Cuda) {
#if GLINT_HAS_CUDA
        activate_gaussians_cuda(cloud, out);
#endif
        return out;
    }
    activate_cpu(cloud, out);
    return out;
}

}  // namespace glint::splatting
