// FFmpeg's error codes as text, for the reader's and the writer's messages.
#pragma once

#include <string>

extern "C" {
#include <libavutil/error.h>
}

namespace glint::media {

inline std::string av_error(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

}  // namespace glint::media
