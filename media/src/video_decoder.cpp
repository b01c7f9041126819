// FFmpeg-backed video reader: demux, decode, convert to RGB24, rotate upright.
#include "glint/media/video_decoder.h"

#include <cmath>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include "av_error.h"
#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint::media {
namespace {

// The clockwise rotation, in multiples of 90 degrees, that shows the stream's frames upright.
int stream_rotation(const AVStream* stream) {
    const std::uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
    if (matrix == nullptr) return 0;
    // av_display_rotation_get gives the counter-clockwise angle the matrix applies.
    const double degrees = -av_display_rotation_get(reinterpret_cast<const std::int32_t*>(matrix));
    if (!std::isfinite(degrees)) return 0;
    const int quarter = static_cast<int>(std::lround(degrees / 90.0));
    return ((quarter % 4) + 4) % 4 * 90;
}

// `in` [h, w, 3] rotated clockwise by `degrees` into `out`.
void rotate_rgb(const std::vector<std::uint8_t>& in, int w, int h, int degrees,
                std::vector<std::uint8_t>& out) {
    out.resize(in.size());
    const int ow = degrees == 180 ? w : h;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            int ox = x, oy = y;
            if (degrees == 90) ox = h - 1 - y, oy = x;
            if (degrees == 180) ox = w - 1 - x, oy = h - 1 - y;
            if (degrees == 270) ox = y, oy = w - 1 - x;
            const std::size_t src = (static_cast<std::size_t>(y) * w + x) * 3;
            const std::size_t dst = (static_cast<std::size_t>(oy) * ow + ox) * 3;
            out[dst] = in[src], out[dst + 1] = in[src + 1], out[dst + 2] = in[src + 2];
        }
}

}  // namespace

struct VideoDecoder::State {
    AVFormatContext* format = nullptr;
    AVCodecContext* codec = nullptr;
    SwsContext* scaler = nullptr;
    AVPacket* packet = nullptr;
    AVFrame* frame = nullptr;
    int stream = -1;
    double time_base = 0.0;
    bool draining = false, finished = false;
    std::vector<std::uint8_t> upright;  // rotation scratch

    ~State() {
        sws_freeContext(scaler);
        av_frame_free(&frame);
        av_packet_free(&packet);
        avcodec_free_context(&codec);
        avformat_close_input(&format);
    }
};

VideoDecoder::VideoDecoder(const std::filesystem::path& path)
    : m_state(std::make_unique<State>()), m_path(path) {
    const std::string name = path.string();
    if (!std::filesystem::is_regular_file(path)) throw InputError(cat(name, ": no such video file"));
    State& s = *m_state;
    if (const int rc = avformat_open_input(&s.format, name.c_str(), nullptr, nullptr); rc < 0)
        throw InputError(cat(name, ": not a video FFmpeg can read (", av_error(rc), ")"));
    if (const int rc = avformat_find_stream_info(s.format, nullptr); rc < 0)
        throw InputError(cat(name, ": cannot read the streams (", av_error(rc), ")"));
    const AVCodec* decoder = nullptr;
    s.stream = av_find_best_stream(s.format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
    if (s.stream < 0 || decoder == nullptr)
        throw InputError(cat(name, ": ",
                             s.stream == AVERROR_DECODER_NOT_FOUND ? "no decoder here for its video codec"
                                                                   : "has no video stream"));
    const AVStream* stream = s.format->streams[s.stream];
    s.codec = avcodec_alloc_context3(decoder);
    if (s.codec == nullptr) throw Error(cat(name, ": out of memory for the decoder"));
    avcodec_parameters_to_context(s.codec, stream->codecpar);
    s.codec->thread_count = 0;  // FFmpeg picks (frame and slice threads)
    if (const int rc = avcodec_open2(s.codec, decoder, nullptr); rc < 0)
        throw InputError(cat(name, ": cannot open the ", decoder->name, " decoder (", av_error(rc), ")"));
    if (s.codec->width <= 0 || s.codec->height <= 0)
        throw InputError(cat(name, ": the video has no frame size"));
    s.packet = av_packet_alloc();
    s.frame = av_frame_alloc();
    s.time_base = av_q2d(stream->time_base);

    m_info.rotation = stream_rotation(stream);
    const bool swap = m_info.rotation == 90 || m_info.rotation == 270;
    m_info.width = swap ? s.codec->height : s.codec->width;
    m_info.height = swap ? s.codec->width : s.codec->height;
    m_info.codec = decoder->name;
    const AVRational rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
    m_info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
    if (stream->duration > 0)
        m_info.duration = static_cast<double>(stream->duration) * s.time_base;
    else if (s.format->duration > 0)
        m_info.duration = static_cast<double>(s.format->duration) / AV_TIME_BASE;
    m_info.frames = stream->nb_frames > 0
                        ? stream->nb_frames
                        : static_cast<std::int64_t>(std::lround(m_info.duration * m_info.fps));
}

VideoDecoder::~VideoDecoder() = default;

bool VideoDecoder::next(VideoFrame& out) {
    State& s = *m_state;
    const std::string name = m_path.string();
    while (!s.finished) {
        const int got = avcodec_receive_frame(s.codec, s.frame);
        if (got == 0) {
            const int w = s.frame->width, h = s.frame->height;
            s.scaler = sws_getCachedContext(s.scaler, w, h, static_cast<AVPixelFormat>(s.frame->format), w, h,
                                            AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr);
            if (s.scaler == nullptr) throw InputError(cat(name, ": cannot convert its pixel format to RGB"));
            // The stream's own matrix (BT.709 for HD, BT.601 when unspecified) and range, to full-range RGB.
            const int* coefficients = sws_getCoefficients(s.frame->colorspace);
            const int full_range = s.frame->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
            sws_setColorspaceDetails(s.scaler, coefficients, full_range, sws_getCoefficients(SWS_CS_DEFAULT),
                                     1, 0, 1 << 16, 1 << 16);
            std::vector<std::uint8_t>& coded = m_info.rotation == 0 ? out.rgb : s.upright;
            coded.resize(static_cast<std::size_t>(w) * h * 3);
            std::uint8_t* planes[1] = {coded.data()};
            const int strides[1] = {3 * w};
            sws_scale(s.scaler, s.frame->data, s.frame->linesize, 0, h, planes, strides);
            const std::int64_t pts = s.frame->best_effort_timestamp;
            out.time = pts == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(pts) * s.time_base;
            const AVStream* stream = s.format->streams[s.stream];
            if (stream->start_time != AV_NOPTS_VALUE)
                out.time -= static_cast<double>(stream->start_time) * s.time_base;
            if (m_info.rotation != 0) rotate_rgb(s.upright, w, h, m_info.rotation, out.rgb);
            const bool swap = m_info.rotation == 90 || m_info.rotation == 270;
            out.width = swap ? h : w;
            out.height = swap ? w : h;
            av_frame_unref(s.frame);
            return true;
        }
        if (got == AVERROR_EOF) {
            s.finished = true;
            break;
        }
        if (got != AVERROR(EAGAIN))
            throw InputError(cat(name, ": cannot decode a frame (", av_error(got), ")"));
        if (s.draining) {
            s.finished = true;
            break;
        }
        // The decoder wants input: the next packet of our stream, or a flush at the end of the file.
        const int read = av_read_frame(s.format, s.packet);
        if (read == AVERROR_EOF) {
            s.draining = true;
            avcodec_send_packet(s.codec, nullptr);
            continue;
        }
        if (read < 0) throw InputError(cat(name, ": cannot read the file (", av_error(read), ")"));
        if (s.packet->stream_index == s.stream) {
            const int sent = avcodec_send_packet(s.codec, s.packet);
            if (sent < 0 && sent != AVERROR(EAGAIN) && sent != AVERROR_INVALIDDATA)
                throw InputError(cat(name, ": cannot decode a packet (", av_error(sent), ")"));
        }
        av_packet_unref(s.packet);
    }
    return false;
}

}  // namespace glint::media
