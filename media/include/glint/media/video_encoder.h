// H.264 video in an MP4 file through FFmpeg's libraries (libavcodec's libx264 encoder, libavformat's MP4
// muxer; RGB to 4:2:0 with BT.709 coefficients, limited range, tagged in the stream). The file is written
// under a temporary name beside the destination and renamed into place by finish(), so a failed or
// interrupted recording never destroys a previous video.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace glint::media {

struct VideoSettings {
    int width = 1920, height = 1080;  // even (4:2:0 chroma)
    int fps = 30;
    int crf = 18;                   // x264 constant rate factor: 0 lossless .. 51 worst; 18 near transparent
    std::string preset = "medium";  // x264 speed preset, ultrafast .. veryslow
};

class VideoEncoder {
public:
    // Throws InputError for settings out of range and Error when no H.264 encoder is available or the
    // folder is not writable.
    VideoEncoder(std::filesystem::path path, const VideoSettings& settings);
    ~VideoEncoder();  // without finish(): removes the temporary file
    VideoEncoder(const VideoEncoder&) = delete;
    VideoEncoder& operator=(const VideoEncoder&) = delete;

    // One frame, [height, width, 4] bytes R, G, B, (ignored) per pixel, rows top to bottom.
    void add_frame(std::span<const std::uint8_t> rgbx);
    // Flushes the encoder, writes the MP4 index and renames the file into place.
    void finish();

    std::int64_t frames() const { return m_frames; }
    double encode_seconds() const { return m_seconds; }  // conversion and encoding, so far

private:
    struct State;
    std::unique_ptr<State> m_state;
    std::filesystem::path m_path, m_temp_path;
    std::int64_t m_frames = 0;
    double m_seconds = 0, m_convert_seconds = 0;
    bool m_finished = false;
};

}  // namespace glint::media
