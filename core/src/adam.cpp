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
    std::size_t begin, std::size_t end, float b1, float b2, float eps, float step, float decay,
    bool skip_zero) {
    for (std::size_t i = begin; i < end; ++i) {
        const bool keep = skip_zero && grad[i] == 0.0f;
        const float g = grad[i] + decay * values[i];
        const float m_new = b1 * m[i] + (1.0f - b1) * g;
        const float v_new = b2 * v[i] + (1.0f - b2) * g * g;
        const float value_new = values[i] - step * m_new / (std::sqrt(v_new) + eps);
        m[i] = keep ? m[i] : m_new;
        v[i] = keep ? v[i] : v_new;
        values[i] = keep ? values[i] : value_new;
    }
}

}  // namespace

void adam_step(std::span<float> values, std::span<const float> grad, std::span<float> m, std::span<float> v,
               float lr, int iteration, const AdamSettings& s) {
    GLINT_CHECK(grad.size() == values.size() && m.size() == values.size() && v.size() == values.size(),
                "adam_step: arrays of different lengths");
    GLINT_CHECK(iteration >= 1, "adam_step: iterations count from 1");
    const float t = static_cast<float>(iteration);
    const float c1 = 1.0f - std::pow(s.beta1, t), c2 = 1.0f - std::pow(s.beta2, t);
    const float step = lr * std::sqrt(c2) / c1;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, values.size(), 1 << 14), [&](const auto& range) {
        adam_range(values.data(), grad.data(), m.data(), v.data(), range.begin(), range.end(), s.beta1,
                   s.beta2, s.epsilon, step, s.weight_decay, s.skip_zero_gradients);
    });
}

}  // namespace glint
