// Data images for display.
#include "glint/core/frame_display.h"

#include <algorithm>
#include <vector>

#include <tbb/parallel_for.h>

#include "glint/core/colormap.h"
#include "glint/core/error.h"
#include "glint/core/pixel.h"

namespace glint {
namespace {

std::uint32_t pack(float r, float g, float b) {
    return pack_rgba8(r, g, b);
}

template <typename Body>
void for_pixels(std::size_t count, const Body& body) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, 16384), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) body(i);
    });
}

}  // namespace

const char* display_mode_name(DisplayMode mode) {
    switch (mode) {
        case DisplayMode::Color:
            return "colour";
        case DisplayMode::Depth:
            return "depth";
        case DisplayMode::Alpha:
            return "alpha";
        case DisplayMode::Heat:
            return "Gaussians per pixel";
    }
    return "?";
}

DepthRange depth_range(const Frame& out) {
    std::vector<float> depths;
    for (std::size_t i = 0; i < out.alpha.size(); ++i)
        if (out.alpha[i] > 0.5f) depths.push_back(out.depth[i]);
    DepthRange range;
    if (depths.empty()) return range;
    const auto at = [&](double q) {
        const auto rank = static_cast<std::size_t>(q * static_cast<double>(depths.size() - 1));
        std::nth_element(depths.begin(), depths.begin() + static_cast<std::ptrdiff_t>(rank), depths.end());
        return depths[rank];
    };
    range.near = at(0.01);
    range.far = at(0.99);
    return range;
}

std::uint32_t display_pixels(const Frame& out, DisplayMode mode, const DepthRange& depth,
                             std::span<std::uint32_t> pixels) {
    const std::size_t count = out.alpha.size();
    GLINT_CHECK(pixels.size() == count, "display_pixels: size mismatch");
    switch (mode) {
        case DisplayMode::Color:
            for_pixels(count, [&](std::size_t i) {
                pixels[i] = pack(out.color[3 * i], out.color[3 * i + 1], out.color[3 * i + 2]);
            });
            return 0;
        case DisplayMode::Depth: {
            const float span = depth.far > depth.near ? depth.far - depth.near : 1.0f;
            for_pixels(count, [&](std::size_t i) {
                const auto c = turbo(1.0f - (out.depth[i] - depth.near) / span);
                const float a = out.alpha[i];
                pixels[i] = pack(c[0] * a, c[1] * a, c[2] * a);
            });
            return 0;
        }
        case DisplayMode::Alpha:
            for_pixels(count,
                       [&](std::size_t i) { pixels[i] = pack(out.alpha[i], out.alpha[i], out.alpha[i]); });
            return 0;
        case DisplayMode::Heat: {
            const std::uint32_t most = std::max<std::uint32_t>(
                1, count == 0 ? 1 : *std::max_element(out.contributors.begin(), out.contributors.end()));
            for_pixels(count, [&](std::size_t i) {
                if (out.contributors[i] == 0) {
                    pixels[i] = pack(0, 0, 0);
                    return;
                }
                const auto c = turbo(static_cast<float>(out.contributors[i]) / static_cast<float>(most));
                pixels[i] = pack(c[0], c[1], c[2]);
            });
            return most;
        }
    }
    return 0;
}

void unpack_rgb(std::span<const std::uint32_t> packed, std::span<std::uint8_t> rgb) {
    GLINT_CHECK(rgb.size() == packed.size() * 3, "unpack_rgb: size mismatch");
    for (std::size_t i = 0; i < packed.size(); ++i)
        for (int k = 0; k < 3; ++k) rgb[3 * i + k] = static_cast<std::uint8_t>(packed[i] >> (8 * k));
}

}  // namespace glint
