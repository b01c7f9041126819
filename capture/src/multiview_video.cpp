// The N3V layout: LLFF poses, videos decoded into a frame cache, a time-stamped transforms dataset.
#include "glint/capture/multiview_video.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include <glm/glm.hpp>

#include "glint/capture/frames.h"
#include "glint/core/camera_io.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/npy.h"
#include "glint/core/text.h"
#include "glint/media/video_decoder.h"

namespace glint::capture {

namespace fs = std::filesystem;

namespace {

// The camNN videos of a folder, by name.
std::vector<fs::path> camera_videos(const fs::path& folder) {
    std::vector<fs::path> videos;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && name.starts_with("cam") && is_video_file(entry.path()))
            videos.push_back(entry.path());
    }
    std::sort(videos.begin(), videos.end());
    return videos;
}

// LLFF's row for a camera: [3, 5] of rotation columns (down, right, backwards), position, and (height,
// width, focal), then near and far. A glint camera (OpenCV axes) for frames of width x height.
Camera llff_camera(const double* row, int width, int height) {
    const auto at = [row](int r, int c) { return static_cast<float>(row[5 * r + c]); };
    const glm::vec3 down(at(0, 0), at(1, 0), at(2, 0)), right(at(0, 1), at(1, 1), at(2, 1)),
        back(at(0, 2), at(1, 2), at(2, 2)), position(at(0, 3), at(1, 3), at(2, 3));
    Camera c;
    // World to camera: rows are the camera's x (right), y (down) and z (forward) axes in the world.
    c.rotation = glm::transpose(glm::mat3(right, down, -back));
    c.translation = -(c.rotation * position);
    const float scale = static_cast<float>(width) / at(1, 4);
    c.fx = c.fy = at(2, 4) * scale;
    c.cx = 0.5f * static_cast<float>(width);
    c.cy = 0.5f * static_cast<float>(height);
    c.width = width;
    c.height = height;
    return c;
}

bool cache_is_fresh(const fs::path& cache, const fs::path& folder, const std::vector<fs::path>& videos) {
    const fs::path marker = cache / "transforms_test.json";
    if (!fs::exists(marker) || !fs::exists(cache / "transforms_train.json")) return false;
    const auto made = fs::last_write_time(marker);
    if (fs::last_write_time(folder / "poses_bounds.npy") > made) return false;
    for (const fs::path& v : videos)
        if (fs::last_write_time(v) > made) return false;
    return true;
}

}  // namespace

bool is_multiview_video(const fs::path& folder) {
    return fs::is_directory(folder) && fs::exists(folder / "poses_bounds.npy") &&
           !camera_videos(folder).empty();
}

MultiviewVideo prepare_multiview_video(const fs::path& folder,
                                       const std::function<void(const std::string&)>& on_camera) {
    const std::vector<fs::path> videos = camera_videos(folder);
    const fs::path poses_file = folder / "poses_bounds.npy";
    const NpyArray poses = read_npy(poses_file);
    if (poses.shape.size() != 2 || poses.shape[1] != 17)
        throw InputError(
            cat(poses_file.string(), ": expected an array of [cameras, 17] (LLFF poses and bounds)"));
    if (poses.shape[0] != videos.size())
        throw InputError(cat(poses_file.string(), ": ", poses.shape[0], " cameras, but ", videos.size(),
                             " camNN videos beside it"));
    MultiviewVideo result;
    result.dataset = folder / "glint_frames";
    result.cameras = videos.size();
    if (cache_is_fresh(result.dataset, folder, videos)) {
        const CameraSet test = load_cameras(result.dataset / "transforms_test.json");
        result.reused = true;
        result.frames = test.cameras.size();
        result.width = test.cameras.front().width;
        result.height = test.cameras.front().height;
        return result;
    }
    CameraSet train, test;
    for (std::size_t cam = 0; cam < videos.size(); ++cam) {
        const std::string stem = videos[cam].stem().string();
        if (on_camera) on_camera(stem);
        media::VideoDecoder decoder(videos[cam]);
        fs::create_directories(result.dataset / stem);
        media::VideoFrame frame;
        std::vector<std::string> names;
        while (decoder.next(frame)) {
            if (cam == 0 && names.empty()) result.width = frame.width, result.height = frame.height;
            if (frame.width != result.width || frame.height != result.height)
                throw InputError(cat(videos[cam].string(), ": ", frame.width, "x", frame.height,
                                     " frames, but ", videos.front().filename().string(), " has ",
                                     result.width, "x", result.height));
            char name[64];
            std::snprintf(name, sizeof name, "%s/frame_%05zu.png", stem.c_str(), names.size());
            write_png(result.dataset / name, frame.width, frame.height, 3, frame.rgb);
            names.emplace_back(name);
        }
        if (names.empty()) throw InputError(cat(videos[cam].string(), ": the video has no frames"));
        if (cam == 0) result.frames = names.size();
        if (names.size() != result.frames)
            throw InputError(cat(videos[cam].string(), ": ", names.size(), " frames, but ",
                                 videos.front().filename().string(), " has ", result.frames));
        const Camera camera = llff_camera(poses.data.data() + 17 * cam, result.width, result.height);
        CameraSet& set = cam == 0 ? test : train;
        for (std::size_t k = 0; k < names.size(); ++k) {
            set.cameras.push_back(camera);
            set.names.push_back(names[k]);
            set.times.push_back(
                names.size() > 1 ? static_cast<float>(k) / static_cast<float>(names.size() - 1) : 0.0f);
        }
    }
    if (train.cameras.empty())
        throw InputError(
            cat(folder.string(), ": one camera only; cam00 is held out for testing, so training needs more"));
    write_transforms(result.dataset / "transforms_train.json", train);
    write_transforms(result.dataset / "transforms_test.json", test);  // written last: it marks the cache done
    return result;
}

}  // namespace glint::capture
