// FFmpeg-backed H.264/MP4 writer.
#include "record/video_encoder.h"

#include <chrono>
#include <system_error>

#include <unistd.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint::app {
namespace {

std::string av_error(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

}  // namespace

struct VideoEncoder::State {
    AVFormatContext* format = nullptr;
    AVCodecContext* codec = nullptr;
    AVStream* stream = nullptr;
    AVFrame* frame = nullptr;
    AVPacket* packet = nullptr;
    SwsContext* sws = nullptr;
    bool header_written = false;

    ~State() {
        sws_freeContext(sws);
        av_packet_free(&packet);
        av_frame_free(&frame);
        avcodec_free_context(&codec);
        if (format != nullptr) {
            if (format->pb != nullptr) avio_closep(&format->pb);
            avformat_free_context(format);
        }
    }

    // Sends a frame (null: flush) and writes every packet the encoder returns.
    void encode(AVFrame* input, const std::string& name) {
        int status = avcodec_send_frame(codec, input);
        if (status < 0) throw Error(cat(name, ": encoding failed (", av_error(status), ")"));
        while (true) {
            status = avcodec_receive_packet(codec, packet);
            if (status == AVERROR(EAGAIN) || status == AVERROR_EOF) return;
            if (status < 0) throw Error(cat(name, ": encoding failed (", av_error(status), ")"));
            av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
            packet->stream_index = stream->index;
            status = av_interleaved_write_frame(format, packet);
            if (status < 0) throw Error(cat(name, ": writing failed (", av_error(status), ")"));
        }
    }
};

VideoEncoder::VideoEncoder(std::filesystem::path path, const VideoSettings& s)
    : m_state(std::make_unique<State>()), m_path(std::move(path)) {
    const std::string name = m_path.string();
    if (s.width < 2 || s.height < 2 || s.width % 2 != 0 || s.height % 2 != 0)
        throw InputError(cat(name, ": H.264 with 4:2:0 chroma needs an even width and height (got ", s.width,
                             "x", s.height, ")"));
    if (s.fps < 1 || s.fps > 240) throw InputError("--fps must be between 1 and 240");
    if (s.crf < 0 || s.crf > 51) throw InputError("--crf must be between 0 and 51");
    av_log_set_level(AV_LOG_ERROR);
    const AVCodec* encoder = avcodec_find_encoder_by_name("libx264");
    if (encoder == nullptr) encoder = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (encoder == nullptr) throw Error("this FFmpeg has no H.264 encoder (libx264)");

    m_temp_path = m_path;
    m_temp_path.replace_filename(cat(".", m_path.filename().string(), ".partial-", ::getpid()));
    State& st = *m_state;
    int status = avformat_alloc_output_context2(&st.format, nullptr, "mp4", m_temp_path.c_str());
    if (status < 0 || st.format == nullptr)
        throw Error(cat(name, ": cannot set up MP4 output (", av_error(status), ")"));
    st.codec = avcodec_alloc_context3(encoder);
    st.codec->width = s.width;
    st.codec->height = s.height;
    st.codec->time_base = AVRational{1, s.fps};
    st.codec->framerate = AVRational{s.fps, 1};
    st.codec->pix_fmt = AV_PIX_FMT_YUV420P;
    st.codec->gop_size = 2 * s.fps;  // a key frame every two seconds, for seeking
    st.codec->color_range = AVCOL_RANGE_MPEG;
    st.codec->colorspace = AVCOL_SPC_BT709;
    st.codec->color_primaries = AVCOL_PRI_BT709;
    st.codec->color_trc = AVCOL_TRC_BT709;
    if (st.format->oformat->flags & AVFMT_GLOBALHEADER) st.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (std::string(encoder->name) == "libx264") {
        av_opt_set(st.codec->priv_data, "crf", std::to_string(s.crf).c_str(), 0);
        if (av_opt_set(st.codec->priv_data, "preset", s.preset.c_str(), 0) < 0)
            throw InputError(cat("--preset: unknown x264 preset '", s.preset, "'"));
    }
    status = avcodec_open2(st.codec, encoder, nullptr);
    if (status < 0)
        throw InputError(
            cat(name, ": the H.264 encoder refused the settings (", av_error(status), "); check --preset"));
    st.stream = avformat_new_stream(st.format, nullptr);
    st.stream->time_base = st.codec->time_base;
    st.stream->avg_frame_rate = st.codec->framerate;
    avcodec_parameters_from_context(st.stream->codecpar, st.codec);
    status = avio_open(&st.format->pb, m_temp_path.c_str(), AVIO_FLAG_WRITE);
    if (status < 0) throw Error(cat(name, ": cannot write (", av_error(status), ")"));
    status = avformat_write_header(st.format, nullptr);
    if (status < 0) throw Error(cat(name, ": cannot write the MP4 header (", av_error(status), ")"));
    st.header_written = true;

    st.frame = av_frame_alloc();
    st.frame->format = AV_PIX_FMT_YUV420P;
    st.frame->width = s.width;
    st.frame->height = s.height;
    st.frame->color_range = AVCOL_RANGE_MPEG;
    st.frame->colorspace = AVCOL_SPC_BT709;
    if (av_frame_get_buffer(st.frame, 0) < 0) throw Error("out of memory for a video frame");
    st.packet = av_packet_alloc();
    st.sws = sws_getContext(s.width, s.height, AV_PIX_FMT_RGB0, s.width, s.height, AV_PIX_FMT_YUV420P,
                            SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (st.sws == nullptr) throw Error("cannot set up the RGB to YUV conversion");
    // Full-range RGB in, limited-range BT.709 YUV out.
    const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(st.sws, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
}

VideoEncoder::~VideoEncoder() {
    if (!m_finished) {
        m_state.reset();
        std::error_code ignored;
        std::filesystem::remove(m_temp_path, ignored);
    }
}

void VideoEncoder::add_frame(std::span<const std::uint8_t> rgbx) {
    State& st = *m_state;
    GLINT_CHECK(rgbx.size() == static_cast<std::size_t>(st.codec->width) * st.codec->height * 4,
                "VideoEncoder::add_frame: wrong frame size");
    const auto start = std::chrono::steady_clock::now();
    if (av_frame_make_writable(st.frame) < 0) throw Error("out of memory for a video frame");
    const std::uint8_t* source[1] = {rgbx.data()};
    const int stride[1] = {4 * st.codec->width};
    sws_scale(st.sws, source, stride, 0, st.codec->height, st.frame->data, st.frame->linesize);
    st.frame->pts = m_frames++;
    st.encode(st.frame, m_path.string());
    m_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void VideoEncoder::finish() {
    State& st = *m_state;
    const auto start = std::chrono::steady_clock::now();
    st.encode(nullptr, m_path.string());
    const int status = av_write_trailer(st.format);
    if (status < 0) throw Error(cat(m_path.string(), ": cannot finish the MP4 (", av_error(status), ")"));
    avio_closep(&st.format->pb);
    std::filesystem::rename(m_temp_path, m_path);
    m_finished = true;
    m_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace glint::app
