// Packed 8-bit pixels, as every frame is shown and written: RGBA with R in the lowest byte. GLINT_HD, no
// STL (the CUDA kernels pack too).
#pragma once

#include <stdint.h>

#include "glint/core/hd.h"

namespace glint {

// A colour in [0, 1] as an 8-bit value; rounded, clamped, NaN -> 0. Selects rather than branches, so
// that a loop of them vectorizes.
GLINT_HD inline uint32_t unorm8(float c) {
    float v = c * 255.0f + 0.5f;
    v = v > 0.0f ? v : 0.0f;  // also NaN -> 0
    v = v < 255.0f ? v : 255.0f;
    return static_cast<uint32_t>(static_cast<int>(v));
}

// RGB in [0, 1] as opaque RGBA8, R in the lowest byte.
GLINT_HD inline uint32_t pack_rgba8(float r, float g, float b) {
    return 0xff000000u | unorm8(r) | unorm8(g) << 8 | unorm8(b) << 16;
}

}  // namespace glint
