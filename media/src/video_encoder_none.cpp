// The video encoder of a glint built without FFmpeg (GLINT_VIDEO=OFF): MP4 output is refused with a
// message that says how to record instead; PNG sequences (recorder.h) need no FFmpeg.
#include "glint/media/video_encoder.h"

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint::media {

struct VideoEncoder::State {};

VideoEncoder::VideoEncoder(std::filesystem::path path, const VideoSettings&) : m_path(std::move(path)) {
    throw InputError(cat(m_path.string(),
                         ": this glint was built without FFmpeg (GLINT_VIDEO=OFF), so it cannot write MP4 "
                         "video; record a PNG sequence instead (-o frames/%05d.png)"));
}

VideoEncoder::~VideoEncoder() = default;

void VideoEncoder::add_frame(std::span<const std::uint8_t>) {}

void VideoEncoder::finish() {}

}  // namespace glint::media
