// Multi-view video datasets in the Neural 3D Video (N3V) layout: one video per camera (cam00.mp4 ...
// camNN.mp4) and LLFF's poses_bounds.npy (a 3x5 pose-and-intrinsics block and near/far bounds per
// camera, in LLFF's axes: down, right, backwards). glint decodes the videos once into a frame cache
// beside them and reads that as a time-stamped dataset, cam00 held out for testing as the benchmark does.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

namespace glint::capture {

// Whether `folder` holds poses_bounds.npy and at least one camNN video.
bool is_multiview_video(const std::filesystem::path& folder);

struct MultiviewVideo {
    std::filesystem::path dataset;  // the frame cache: transforms_train.json, transforms_test.json, camNN/
    std::size_t cameras = 0, frames = 0;
    int width = 0, height = 0;
    bool reused = false;  // the cache was there already, newer than the videos and the poses
};

// Decodes every camera's video into FOLDER/glint_frames/camNN/frame_NNNNN.png and writes the cameras
// (converted from LLFF's axes; focal length scaled from the poses' image size to the video's) with each
// frame's time, frame k of F at k / (F - 1): transforms_train.json with every camera but cam00,
// transforms_test.json with cam00. Reuses a cache newer than every input. Throws InputError naming the
// file: a poses array that is not [cameras, 17], a count of rows that is not the count of videos,
// videos of different sizes or frame counts, an unreadable video.
MultiviewVideo prepare_multiview_video(const std::filesystem::path& folder,
                                       const std::function<void(const std::string&)>& on_camera = {});

}  // namespace glint::capture
