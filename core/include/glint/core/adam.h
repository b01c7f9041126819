// Adam (Kingma and Ba 2015), the one optimizer step every trainer uses: one per-element update
// (adam_update) that the host loop below and the CUDA training kernels both call, branch-free so it runs
// in vector lanes.
#pragma once

#include <cmath>
#include <span>

#include "glint/core/hd.h"

namespace glint {

struct AdamSettings {
    float beta1 = 0.9f, beta2 = 0.999f;
    float epsilon = 1e-15f;     // the reference 3DGS's and Instant-NGP's (not Adam's usual 1e-8)
    float weight_decay = 0.0f;  // L2, added to the gradient
    // Entries whose gradient is exactly zero keep their value and moments (Instant-NGP's hash tables:
    // entries a batch never touched are not decayed by stale moments).
    bool skip_zero_gradients = false;
};

// One step's constants: the settings with the learning rate and the bias corrections folded into `step`.
struct AdamStep {
    float beta1, beta2, epsilon, step, weight_decay;
    bool skip_zero_gradients;
};

// The constants of the step at `iteration` (1 for the first) with learning rate `lr`.
inline AdamStep adam_step_constants(float lr, int iteration, const AdamSettings& s) {
    const float t = static_cast<float>(iteration);
    const float c1 = 1.0f - std::pow(s.beta1, t), c2 = 1.0f - std::pow(s.beta2, t);
    return {s.beta1, s.beta2, s.epsilon, lr * std::sqrt(c2) / c1, s.weight_decay, s.skip_zero_gradients};
}

// One entry: value, m and v updated in place from its gradient.
GLINT_HD_INLINE void adam_update(float& value, float grad, float& m, float& v, const AdamStep& s) {
    const bool keep = s.skip_zero_gradients && grad == 0.0f;
    const float g = grad + s.weight_decay * value;
    const float m_new = s.beta1 * m + (1.0f - s.beta1) * g;
    const float v_new = s.beta2 * v + (1.0f - s.beta2) * g * g;
    const float value_new = value - s.step * m_new / (sqrtf(v_new) + s.epsilon);
    m = keep ? m : m_new;
    v = keep ? v : v_new;
    value = keep ? value : value_new;
}

// One step at `iteration` (1 for the first) with learning rate `lr`: values, m and v are updated in
// place, with bias correction. All spans have the same length. Parallel over the entries.
void adam_step(std::span<float> values, std::span<const float> grad, std::span<float> m, std::span<float> v,
               float lr, int iteration, const AdamSettings& settings);

}  // namespace glint
