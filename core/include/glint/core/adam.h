// Adam (Kingma and Ba 2015), the one optimizer step both trainers use: branch-free over arrays so it runs
// in vector lanes, the same bits on every path.
#pragma once

#include <span>

namespace glint {

struct AdamSettings {
    float beta1 = 0.9f, beta2 = 0.999f;
    float epsilon = 1e-15f;     // the reference 3DGS's and Instant-NGP's (not Adam's usual 1e-8)
    float weight_decay = 0.0f;  // L2, added to the gradient
    // Entries whose gradient is exactly zero keep their value and moments (Instant-NGP's hash tables:
    // entries a batch never touched are not decayed by stale moments).
    bool skip_zero_gradients = false;
};

// One step at `iteration` (1 for the first) with learning rate `lr`: values, m and v are updated in
// place, with bias correction. All spans have the same length. Parallel over the entries.
void adam_step(std::span<float> values, std::span<const float> grad, std::span<float> m, std::span<float> v,
               float lr, int iteration, const AdamSettings& settings);

}  // namespace glint
