// The video decoder of a glint built without FFmpeg (GLINT_VIDEO=OFF): every video is refused with a
// message that says how to give frames instead.
#include "glint/media/video_decoder.h"

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint::media {

struct VideoDecoder::State {};

VideoDecoder::VideoDecoder(const std::filesystem::path& path) : m_path(path) {
    throw InputError(cat(path.string(),
                         ": this glint was built without FFmpeg (GLINT_VIDEO=OFF), so it cannot read video; "
                         "extract the frames as images into a folder and give the folder instead"));
}

VideoDecoder::~VideoDecoder() = default;

bool VideoDecoder::next(VideoFrame&) {
    return false;
}

}  // namespace glint::media
