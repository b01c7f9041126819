// Offline recording of camera paths.
#include "glint/scene/recorder.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>
#include <vector>

#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/text.h"
#include "glint/splatting/raster/raster_math.h"

namespace glint::scene {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

const std::regex& frame_field() {
    static const std::regex field("%0?([0-9]*)d");
    return field;
}

// A thread that writes frames in order while the caller renders the next: a pool of pixel buffers, a
// queue of filled ones. An exception on the thread is rethrown to the caller.
class FrameWriter {
public:
    using Write = std::function<void(int, const std::vector<std::uint32_t>&)>;
    FrameWriter(Write write, std::size_t pixels) : m_write(std::move(write)) {
        for (auto& buffer : m_buffers) buffer.resize(pixels);
        for (std::size_t i = 0; i < m_buffers.size(); ++i) m_free.push_back(i);
        m_thread = std::thread([this] { run(); });
    }
    ~FrameWriter() { stop(); }

    // A buffer to render into (waits while all are queued); submit() queues it as frame k.
    std::vector<std::uint32_t>& free_buffer() {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return !m_free.empty() || m_error; });
        rethrow();
        m_current = m_free.front();
        m_free.pop_front();
        return m_buffers[m_current];
    }
    void submit(int k) {
        {
            const std::lock_guard lock(m_mutex);
            m_queue.emplace_back(k, m_current);
        }
        m_changed.notify_all();
    }
    // Waits until every queued frame is written; rethrows a write's exception.
    void finish() {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_queue.empty() || m_error; });
        rethrow();
        lock.unlock();
        stop();
    }
    // Stops the thread; queued frames not yet written are dropped.
    void stop() {
        {
            const std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_changed.notify_all();
        if (m_thread.joinable()) m_thread.join();
    }
    double busy_seconds() const {
        const std::lock_guard lock(m_mutex);
        return m_busy;
    }

private:
    void rethrow() {
        if (m_error) std::rethrow_exception(m_error);
    }
    void run() {
        while (true) {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [&] { return !m_queue.empty() || m_stopping; });
            if (m_stopping) return;
            const auto [k, buffer] = m_queue.front();
            lock.unlock();
            const auto start = std::chrono::steady_clock::now();
            std::exception_ptr error;
            try {
                m_write(k, m_buffers[buffer]);
            } catch (...) {
                error = std::current_exception();
            }
            lock.lock();
            m_busy += seconds_since(start);
            m_queue.pop_front();
            m_free.push_back(buffer);
            if (error) m_error = error;
            lock.unlock();
            m_changed.notify_all();
            if (error) return;
        }
    }

    Write m_write;
    std::array<std::vector<std::uint32_t>, 3> m_buffers;
    std::deque<std::size_t> m_free;
    std::deque<std::pair<int, std::size_t>> m_queue;
    std::size_t m_current = 0;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::exception_ptr m_error;
    bool m_stopping = false;
    double m_busy = 0;
    std::thread m_thread;
};

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

void check_record_output(const RecordJob& job) {
    const bool sequence = is_frame_pattern(job.output);
    const std::string extension = to_lower(job.output.extension().string());
    if (sequence && extension != ".png")
        throw InputError(cat(job.output.string(), ": frame sequences are PNG (for example frames/%05d.png)"));
    if (!sequence && extension != ".mp4")
        throw InputError(cat(job.output.string(), ": the output is an .mp4 file or a PNG sequence such as ",
                             "frames/%05d.png"));
    const int width = job.video.width, height = job.video.height;
    if (width < 2 || height < 2 || width > 16384 || height > 16384)
        throw InputError(
            cat("the video size ", width, "x", height, " is out of range (2 to 16384 per side)"));
    if (!sequence && (width % 2 != 0 || height % 2 != 0))
        throw InputError(cat(job.output.string(),
                             ": H.264 with 4:2:0 chroma needs an even width and height (got ", width, "x",
                             height, ")"));
    if (job.video.fps < 1 || job.video.fps > 240)
        throw InputError("the frame rate must be between 1 and 240");
}

bool record(Scene& scene, const RecordJob& job, const std::function<bool(const RecordProgress&)>& progress,
            RecordProgress& result) {
    const PathSampler sampler(job.path);
    const float video_seconds = job.duration > 0.0f ? job.duration : sampler.duration();
    check_record_output(job);
    const int fps = job.video.fps;
    const int frames = frame_count(video_seconds, fps);
    const int width = job.video.width, height = job.video.height;
    const bool sequence = is_frame_pattern(job.output);

    std::unique_ptr<media::VideoEncoder> encoder;
    if (sequence && !job.dry_run && job.output.has_parent_path())
        std::filesystem::create_directories(job.output.parent_path());
    if (!sequence && !job.dry_run) encoder = std::make_unique<media::VideoEncoder>(job.output, job.video);
    // Frames are encoded (or written as PNG) on a thread of their own while the next one renders.
    std::vector<std::uint8_t> rgb;
    FrameWriter writer(
        [&](int k, const std::vector<std::uint32_t>& pixels) {
            const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(pixels.data()),
                                                      pixels.size() * 4);
            if (job.dry_run) return;
            if (encoder) {
                encoder->add_frame(bytes);
                return;
            }
            rgb.resize(pixels.size() * 3);
            for (std::size_t i = 0; i < pixels.size(); ++i)
                for (std::size_t c = 0; c < 3; ++c) rgb[3 * i + c] = bytes[4 * i + c];
            write_png(frame_file(job.output, k), width, height, 3, rgb);
        },
        static_cast<std::size_t>(width) * static_cast<std::size_t>(height));

    const auto start = std::chrono::steady_clock::now();
    RecordProgress state;
    state.frames = frames;
    Frame out;
    // Packed pixels land in host memory only from the CPU backend (CUDA's would be device memory).
    const bool packed = scene.backend() == Backend::Cpu;
    for (int k = 0; k < frames; ++k) {
        const PathPose pose = sampler.at(frame_path_time(k, frames, sampler.duration(), job.path.loop));
        float time = 0.0f;
        if (pose.time)
            time = *pose.time;
        else
            time = frames > 1 ? job.time_start + (job.time_end - job.time_start) * static_cast<float>(k) /
                                                     static_cast<float>(frames - 1)
                              : job.time_start;
        const Camera camera = camera_at(pose, width, height);
        std::vector<std::uint32_t>& pixels = writer.free_buffer();
        const auto t0 = std::chrono::steady_clock::now();
        if (packed) {
            out.float_images = false;
            out.packed_rgba = pixels.data();
            scene.render(camera, time, job.settings, out);
        } else {
            out.float_images = true;
            out.packed_rgba = nullptr;
            scene.render(camera, time, job.settings, out);
            for (std::size_t i = 0; i < pixels.size(); ++i)
                pixels[i] = splatting::raster::pack_rgba8(out.color[3 * i], out.color[3 * i + 1],
                                                          out.color[3 * i + 2]);
        }
        state.render_seconds += seconds_since(t0);
        writer.submit(k);
        state.frame = k + 1;
        state.elapsed_seconds = seconds_since(start);
        state.encode_seconds = writer.busy_seconds();
        if (progress && !progress(state) && k + 1 < frames) {
            writer.stop();
            result = state;
            return false;  // the encoder's destructor removes the partial file
        }
    }
    writer.finish();
    if (encoder) encoder->finish();
    state.encode_seconds = writer.busy_seconds();
    state.elapsed_seconds = seconds_since(start);
    result = state;
    return true;
}

}  // namespace glint::scene
