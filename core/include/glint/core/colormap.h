// Colour maps for data images (depth, per-pixel counts).
#pragma once

#include <algorithm>
#include <array>

namespace glint {

// Turbo (Mikhailov 2019), through its published degree-5 polynomial fit; t in [0, 1], RGB in [0, 1].
inline std::array<float, 3> turbo(float t) {
    const float x = std::clamp(t, 0.0f, 1.0f);
    const float r = 0.13572138f +
                    x * (4.61539260f +
                         x * (-42.66032258f + x * (132.13108234f + x * (-152.94239396f + x * 59.28637943f))));
    const float g =
        0.09140261f +
        x * (2.19418839f + x * (4.84296658f + x * (-14.18503333f + x * (4.27729857f + x * 2.82956604f))));
    const float b = 0.10667330f +
                    x * (12.64194608f +
                         x * (-60.58204836f + x * (110.36276771f + x * (-89.90310912f + x * 27.34824973f))));
    return {std::clamp(r, 0.0f, 1.0f), std::clamp(g, 0.0f, 1.0f), std::clamp(b, 0.0f, 1.0f)};
}

}  // namespace glint
