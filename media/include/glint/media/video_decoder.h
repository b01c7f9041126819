// Video files read frame by frame through FFmpeg's libraries (any container and codec libavformat and
// libavcodec know: MP4/MOV/MKV/WebM with H.264, HEVC, VP9, AV1...), converted to 8-bit RGB by
// libswscale and turned upright when the stream carries a rotation (phones record portrait video as
// landscape frames with a display matrix).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace glint::media {

struct VideoInfo {
    int width = 0, height = 0;  // of the frames next() returns (after rotation)
    double fps = 0.0;           // the stream's average frame rate (0 when the file does not say)
    double duration = 0.0;      // seconds (0 when the file does not say)
    std::int64_t frames = 0;    // the container's frame count, or duration x fps; 0 when unknown
    int rotation = 0;           // degrees clockwise applied to the coded frames: 0, 90, 180 or 270
    std::string codec;
};

struct VideoFrame {
    int width = 0, height = 0;
    std::vector<std::uint8_t> rgb;  // [height, width, 3], rows top to bottom
    double time = 0.0;              // presentation time in seconds from the stream's start
};

class VideoDecoder {
public:
    // Opens the file's best video stream. Throws InputError naming the file when it is missing, not a
    // video, or its codec cannot be decoded here; in a glint built without FFmpeg, always.
    explicit VideoDecoder(const std::filesystem::path& path);
    ~VideoDecoder();
    VideoDecoder(const VideoDecoder&) = delete;
    VideoDecoder& operator=(const VideoDecoder&) = delete;

    const VideoInfo& info() const { return m_info; }
    // The next frame in presentation order; false at the end of the stream. Throws InputError naming the
    // file when the stream is corrupt beyond what the decoder conceals.
    bool next(VideoFrame& frame);

private:
    struct State;
    std::unique_ptr<State> m_state;
    std::filesystem::path m_path;
    VideoInfo m_info;
};

}  // namespace glint::media
