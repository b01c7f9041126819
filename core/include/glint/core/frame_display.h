// What a render shows: the colour, or a data image (expected depth, opacity, Gaussians per pixel) as
// 8-bit pixels, for the viewer and `glint render`.
#pragma once

#include <cstdint>
#include <span>

#include "glint/core/frame.h"

namespace glint {

enum class DisplayMode { Color, Depth, Alpha, Heat };
const char* display_mode_name(DisplayMode mode);

// The range of expected depth the depth image maps: the 1st to 99th percentile where alpha > 0.5 (0, 1
// when no pixel is that opaque).
struct DepthRange {
    float near = 0.0f, far = 1.0f;
};
DepthRange depth_range(const Frame& out);

// Packed RGBA8 (R in the lowest byte, opaque) for `mode` [H, W]: depth through turbo from near (red) to
// far (blue), black where alpha is 0; alpha as grey; the count of blended Gaussians through turbo from 0
// to the image's maximum. Returns the maximum count for Heat, 0 otherwise.
std::uint32_t display_pixels(const Frame& out, DisplayMode mode, const DepthRange& depth,
                             std::span<std::uint32_t> pixels);

// Packed RGBA8 -> RGB bytes [H, W, 3].
void unpack_rgb(std::span<const std::uint32_t> packed, std::span<std::uint8_t> rgb);

}  // namespace glint
