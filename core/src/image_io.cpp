// stb-backed image I/O.
#include "glint/core/image_io.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <filesystem>
#include <vector>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {

namespace {

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + size);
}

void write_encoded(const std::filesystem::path& path, const std::vector<std::uint8_t>& encoded) {
    AtomicFile file(path);
    file.write(std::as_bytes(std::span(encoded)));
    file.commit();
}

}  // namespace

void write_png(const std::filesystem::path& path, int width, int height, int channels,
               std::span<const std::uint8_t> pixels) {
    GLINT_CHECK(width > 0 && height > 0 && (channels == 1 || channels == 3 || channels == 4),
                "bad PNG shape");
    GLINT_CHECK(pixels.size() == static_cast<std::size_t>(width) * height * channels, "PNG size mismatch");
    std::vector<std::uint8_t> encoded;
    if (stbi_write_png_to_func(append_bytes, &encoded, width, height, channels, pixels.data(),
                               width * channels) == 0)
        throw Error(cat(path.string(), ": PNG encoding failed"));
    write_encoded(path, encoded);
}

void write_jpeg(const std::filesystem::path& path, int width, int height, std::span<const std::uint8_t> rgb,
                int quality) {
    GLINT_CHECK(width > 0 && height > 0 && quality >= 1 && quality <= 100, "bad JPEG shape or quality");
    GLINT_CHECK(rgb.size() == static_cast<std::size_t>(width) * height * 3, "JPEG size mismatch");
    std::vector<std::uint8_t> encoded;
    if (stbi_write_jpg_to_func(append_bytes, &encoded, width, height, 3, rgb.data(), quality) == 0)
        throw Error(cat(path.string(), ": JPEG encoding failed"));
    write_encoded(path, encoded);
}

ImageSize read_image_size(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) throw InputError(cat(path.string(), ": no such file"));
    ImageSize size;
    if (stbi_info(path.c_str(), &size.width, &size.height, &size.channels) == 0)
        throw InputError(cat(path.string(), ": not a readable image (", stbi_failure_reason(), ")"));
    return size;
}

Image8 read_image8(const std::filesystem::path& path, int channels) {
    GLINT_CHECK(channels >= 1 && channels <= 4, "read_image8: 1 to 4 channels");
    if (!std::filesystem::exists(path)) throw InputError(cat(path.string(), ": no such file"));
    Image8 image;
    int file_channels = 0;
    stbi_uc* data = stbi_load(path.c_str(), &image.width, &image.height, &file_channels, channels);
    if (data == nullptr)
        throw InputError(cat(path.string(), ": not a readable image (", stbi_failure_reason(), ")"));
    image.channels = channels;
    image.pixels.assign(data, data + static_cast<std::size_t>(image.width) * image.height * channels);
    stbi_image_free(data);
    return image;
}

}  // namespace glint
