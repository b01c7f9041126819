// Images for COLMAP from a capture: photos listed and downsized, video frames picked (the sharpest in
// each window of time) and written as images.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

#include "glint/media/video_decoder.h"

namespace glint::capture {

// Whether a file is a video glint offers to FFmpeg (by extension: mp4 mov m4v mkv webm avi mts).
bool is_video_file(const std::filesystem::path& path);
// The photos directly in `folder` (jpg jpeg png, any case), sorted by name.
std::vector<std::filesystem::path> list_photos(const std::filesystem::path& folder);

// Sharpness of an RGB image: the variance of the Laplacian of its luma (blurred frames score low).
double sharpness(std::span<const std::uint8_t> rgb, int width, int height);

// `rgb` [height, width, 3] scaled so its longer side is at most `max_size` (area filter, in sRGB);
// unchanged when it already is or max_size is 0. Updates width and height.
void limit_size(std::vector<std::uint8_t>& rgb, int& width, int& height, int max_size);

struct FrameOptions {
    double rate = 2.0;           // frames kept per second of video: the sharpest of each 1/rate window
    std::size_t max_frames = 0;  // when the video would give more, the windows widen to give this many
    int max_size = 0;            // longer side limit in pixels (0: as decoded)
};

struct ExtractedFrames {
    std::vector<std::filesystem::path> files;  // frame_00001.jpg ... in time order
    std::int64_t decoded = 0;                  // frames decoded
    media::VideoInfo info;
    double window = 0.0;  // seconds per kept frame
};

// Decodes `video` and writes the sharpest frame of each window into `folder` (created), as JPEG
// (quality 95). `on_progress(decoded, expected)` after each decoded frame. Throws InputError naming the
// video when it cannot be read or gives no frame.
ExtractedFrames extract_frames(const std::filesystem::path& video, const std::filesystem::path& folder,
                               const FrameOptions& options,
                               const std::function<void(std::int64_t, std::int64_t)>& on_progress = {});

}  // namespace glint::capture
