// Image files: PNG and JPEG writing (atomic) and reading image sizes, through stb.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace glint {

// Writes 8-bit PNG with 1 (grey), 3 (RGB) or 4 (RGBA) channels, rows top to bottom. Atomic.
void write_png(const std::filesystem::path& path, int width, int height, int channels,
               std::span<const std::uint8_t> pixels);
// Writes 8-bit RGB as a baseline JPEG of the given quality (1-100). Atomic.
void write_jpeg(const std::filesystem::path& path, int width, int height, std::span<const std::uint8_t> rgb,
                int quality = 95);

struct ImageSize {
    int width = 0, height = 0, channels = 0;
};
// Reads only the header. Throws InputError naming the file when it is missing or not an image stb reads.
ImageSize read_image_size(const std::filesystem::path& path);

// 8-bit pixels of an image file, rows top to bottom, converted to `channels` (1 to 4) channels.
struct Image8 {
    int width = 0, height = 0, channels = 0;
    std::vector<std::uint8_t> pixels;  // [H, W, channels]
};
// Throws InputError naming the file when it is missing or not an image stb reads.
Image8 read_image8(const std::filesystem::path& path, int channels);

// float in [0, 1] -> 8 bits, rounded and clamped (NaN -> 0).
inline std::uint8_t to_unorm8(float v) {
    if (!(v > 0.0f)) return 0;
    if (v >= 1.0f) return 255;
    return static_cast<std::uint8_t>(v * 255.0f + 0.5f);
}

}  // namespace glint
