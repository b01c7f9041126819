// Offline recording of camera paths.
#include "record/recorder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <regex>
#include <vector>

#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/text.h"

namespace glint::app {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

const std::regex& frame_field() {
    static const std::regex field("%0?([0-9]*)d");
    return field;
}

}  // namespace

int frame_count(float seconds, int fps) {
    return std::max(1, static_cast<int>(std::lround(static_cast<double>(seconds) * fps)));
}

float frame_path_time(int k, int frames, float path_duration, bool loop) {
    if (frames <= 1) return 0.0f;
    const double fraction = loop ? static_cast<double>(k) / frames : static_cast<double>(k) / (frames - 1);
    return static_cast<float>(fraction * path_duration);
}

bool is_frame_pattern(const std::filesystem::path& output) {
    const std::string name = output.filename().string();
    // Exactly one conversion, and no other % in the name.
    return std::regex_search(name, frame_field()) && std::count(name.begin(), name.end(), '%') == 1;
}

std::filesystem::path frame_file(const std::filesystem::path& pattern, int k) {
    const std::string name = pattern.filename().string();
    std::smatch match;
    if (!std::regex_search(name, match, frame_field())) return pattern;
    const std::string digits = match[1].str();
    const std::size_t width = digits.empty() ? 0 : std::stoul(digits);
    std::string number = std::to_string(k);
    if (number.size() < width) number.insert(0, width - number.size(), '0');
    return pattern.parent_path() / (match.prefix().str() + number + match.suffix().str());
}

bool record(const splatting::GaussianCloud& cloud, splatting::Rasterizer& rasterizer, const RecordJob& job,
            const std::function<bool(const RecordProgress&)>& progress, RecordProgress& result) {
    const PathSampler sampler(job.path);
    const float video_seconds = job.duration > 0.0f ? job.duration : sampler.duration();
    const int fps = job.video.fps;
    if (fps < 1 || fps > 240) throw InputError("--fps must be between 1 and 240");
    const int frames = frame_count(video_seconds, fps);
    const int width = job.video.width, height = job.video.height;
    const bool sequence = is_frame_pattern(job.output);
    const std::string extension = to_lower(job.output.extension().string());
    if (sequence && extension != ".png")
        throw InputError(cat(job.output.string(), ": frame sequences are PNG (for example frames/%05d.png)"));
    if (!sequence && extension != ".mp4")
        throw InputError(cat(job.output.string(), ": the output is an .mp4 file or a PNG sequence such as ",
                             "frames/%05d.png"));
    if (width < 1 || height < 1) throw InputError("the video size must be positive");

    std::unique_ptr<VideoEncoder> encoder;
    if (sequence) {
        if (job.output.has_parent_path()) std::filesystem::create_directories(job.output.parent_path());
    } else {
        encoder = std::make_unique<VideoEncoder>(job.output, job.video);
    }

    const auto start = std::chrono::steady_clock::now();
    RecordProgress state;
    state.frames = frames;
    splatting::RenderOutput out;
    const bool packed = rasterizer.backend() == Backend::Cpu;  // CUDA's packed output is device memory
    std::vector<std::uint32_t> pixels(static_cast<std::size_t>(width) * height);
    std::vector<std::uint8_t> rgb;
    for (int k = 0; k < frames; ++k) {
        const PathPose pose = sampler.at(frame_path_time(k, frames, sampler.duration(), job.path.loop));
        splatting::RenderSettings settings = job.settings;
        if (pose.time)
            settings.time = *pose.time;
        else
            settings.time = frames > 1
                                ? job.time_start + (job.time_end - job.time_start) * static_cast<float>(k) /
                                                       static_cast<float>(frames - 1)
                                : job.time_start;
        const Camera camera = camera_at(pose, width, height);
        auto t0 = std::chrono::steady_clock::now();
        if (packed) {
            out.float_images = false;
            out.packed_rgba = pixels.data();
            rasterizer.render(cloud, camera, settings, out);
        } else {
            out.float_images = true;
            out.packed_rgba = nullptr;
            rasterizer.render(cloud, camera, settings, out);
            for (std::size_t i = 0; i < pixels.size(); ++i)
                pixels[i] = splatting::raster::pack_rgba8(out.color[3 * i], out.color[3 * i + 1],
                                                          out.color[3 * i + 2]);
        }
        state.render_seconds += seconds_since(t0);
        t0 = std::chrono::steady_clock::now();
        const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(pixels.data()),
                                                  pixels.size() * 4);
        if (encoder) {
            encoder->add_frame(bytes);
        } else {
            rgb.resize(pixels.size() * 3);
            for (std::size_t i = 0; i < pixels.size(); ++i)
                for (int c = 0; c < 3; ++c)
                    rgb[3 * i + static_cast<std::size_t>(c)] = bytes[4 * i + static_cast<std::size_t>(c)];
            write_png(frame_file(job.output, k), width, height, 3, rgb);
        }
        state.encode_seconds += seconds_since(t0);
        state.frame = k + 1;
        state.elapsed_seconds = seconds_since(start);
        if (progress && !progress(state) && k + 1 < frames) {
            result = state;
            return false;  // the encoder's destructor removes the partial file
        }
    }
    if (encoder) {
        const auto t0 = std::chrono::steady_clock::now();
        encoder->finish();
        state.encode_seconds += seconds_since(t0);
    }
    state.elapsed_seconds = seconds_since(start);
    result = state;
    return true;
}

}  // namespace glint::app
