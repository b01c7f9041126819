// Camera files: NeRF / Instant-NGP transforms.json and COLMAP sparse models (text or binary).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "glint/core/camera.h"

namespace glint {

struct CameraSet {
    std::vector<Camera> cameras;
    std::vector<std::string> names;  // image file of each camera
};

// `path` is a transforms.json file, or a folder holding a COLMAP sparse model (cameras and images,
// .bin or .txt, directly or in sparse/0). transforms.json poses (OpenGL camera-to-world) are converted to
// OpenCV world-to-camera; COLMAP cameras are sorted by image name. Distortion parameters of COLMAP's
// SIMPLE_RADIAL, RADIAL, OPENCV and fisheye models are ignored with a warning (pinhole projection).
// Throws InputError naming the file and the problem for anything missing or malformed.
CameraSet load_cameras(const std::filesystem::path& path);

}  // namespace glint
