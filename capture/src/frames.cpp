// Photo listing, downsizing and sharpest-frame selection.
#include "glint/capture/frames.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <stb_image_resize.h>

#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/text.h"

namespace glint::capture {

namespace fs = std::filesystem;

bool is_video_file(const fs::path& path) {
    const std::string ext = to_lower(path.extension().string());
    for (const char* known : {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mts"})
        if (ext == known) return true;
    return false;
}

std::vector<fs::path> list_photos(const fs::path& folder) {
    std::vector<fs::path> photos;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error)) {
        const std::string ext = to_lower(entry.path().extension().string());
        if (entry.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png"))
            photos.push_back(entry.path());
    }
    std::sort(photos.begin(), photos.end());
    return photos;
}

double sharpness(std::span<const std::uint8_t> rgb, int width, int height) {
    if (width < 3 || height < 3) return 0.0;
    std::vector<float> luma(static_cast<std::size_t>(width) * height);
    for (std::size_t i = 0; i < luma.size(); ++i)
        luma[i] = 0.2126f * rgb[3 * i] + 0.7152f * rgb[3 * i + 1] + 0.0722f * rgb[3 * i + 2];
    double sum = 0.0, sum_sq = 0.0;
    for (int y = 1; y + 1 < height; ++y) {
        const float* row = luma.data() + static_cast<std::size_t>(y) * width;
        for (int x = 1; x + 1 < width; ++x) {
            const double l = row[x - 1] + row[x + 1] + row[x - width] + row[x + width] - 4.0 * row[x];
            sum += l;
            sum_sq += l * l;
        }
    }
    const double n = static_cast<double>(width - 2) * (height - 2);
    const double mean = sum / n;
    return sum_sq / n - mean * mean;
}

void limit_size(std::vector<std::uint8_t>& rgb, int& width, int& height, int max_size) {
    const int longer = std::max(width, height);
    if (max_size <= 0 || longer <= max_size) return;
    const double scale = static_cast<double>(max_size) / longer;
    const int w = std::max(1, static_cast<int>(std::lround(width * scale)));
    const int h = std::max(1, static_cast<int>(std::lround(height * scale)));
    std::vector<std::uint8_t> out(static_cast<std::size_t>(w) * h * 3);
    if (stbir_resize_uint8_srgb(rgb.data(), width, height, 0, out.data(), w, h, 0, 3,
                                STBIR_ALPHA_CHANNEL_NONE, 0) == 0)
        throw Error("image downsizing failed");
    rgb = std::move(out);
    width = w;
    height = h;
}

ExtractedFrames extract_frames(const fs::path& video, const fs::path& folder, const FrameOptions& options,
                               const std::function<void(std::int64_t, std::int64_t)>& on_progress) {
    GLINT_CHECK(options.rate > 0.0, "frame rate must be positive");
    media::VideoDecoder decoder(video);
    ExtractedFrames result;
    result.info = decoder.info();
    result.window = 1.0 / options.rate;
    if (options.max_frames > 0 && result.info.duration > 0.0)
        result.window =
            std::max(result.window, result.info.duration / static_cast<double>(options.max_frames));
    fs::create_directories(folder);

    media::VideoFrame frame, best;
    double best_score = -1.0;
    long window = -1;
    const auto flush = [&] {
        if (best_score < 0.0) return;
        int w = best.width, h = best.height;
        limit_size(best.rgb, w, h, options.max_size);
        char name[32];
        std::snprintf(name, sizeof name, "frame_%05zu.jpg", result.files.size() + 1);
        const fs::path file = folder / name;
        write_jpeg(file, w, h, best.rgb, 95);
        result.files.push_back(file);
        best_score = -1.0;
    };
    while (decoder.next(frame)) {
        ++result.decoded;
        const long index = static_cast<long>(std::floor(std::max(0.0, frame.time) / result.window + 1e-9));
        if (index != window) {
            flush();
            window = index;
        }
        const double score = sharpness(frame.rgb, frame.width, frame.height);
        if (score > best_score) {
            best_score = score;
            std::swap(best, frame);
        }
        if (on_progress) on_progress(result.decoded, result.info.frames);
    }
    flush();
    if (result.files.empty()) throw InputError(cat(video.string(), ": the video has no frames"));
    return result;
}

}  // namespace glint::capture
