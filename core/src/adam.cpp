// Adam over arrays, with AVX-512 and AVX2 clones that agree bit for bit with the baseline (this file is
// built without contraction into fused multiply-adds).
#include "glint/core/adam.h"

#include <tbb/parallel_for.h>

#include <cmath>
#include <cstddef>

#include "glint/core/error.h"

namespace glint {
namespace {

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void adam_range(
    float* __restrict values, const float* __restrict grad, float* __restrict m, float* __restrict v,
    std::size_t begin, std::size_t end, const AdamStep s) {
    for (std::size_t i = begin; i < end; ++i) adam_update(values[i], grad[i], m[i], v[i], s);
}

}  // namespace

void adam_step(std::span<float> values, std::span<const float> grad, std::span<float> m, std::span<float> v,
               float lr, int iteration, const AdamSettings& s) {
    GLINT_CHECK(grad.size() == values.size() && m.size() == values.size() && v.size() == values.size(),
                "adam_step: arrays of different lengths");
    GLINT_CHECK(iteration >= 1, "adam_step: iterations count from 1");
    const AdamStep step = adam_step_constants(lr, iteration, s);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, values.size(), 1 << 14), [&](const auto& range) {
        adam_range(values.data(), grad.data(), m.data(), v.data(), range.begin(), range.end(), step);
    });
}

}  // namespace glint
