// Camera files: NeRF / Instant-NGP transforms.json and COLMAP sparse models (text or binary).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "glint/core/camera.h"
#include "glint/core/lens.h"

namespace glint {

struct CameraSet {
    std::vector<Camera> cameras;
    std::vector<std::string> names;      // image file of each camera
    std::vector<std::string> models;     // COLMAP camera model of each ("PINHOLE" for transforms.json)
    std::vector<LensDistortion> lenses;  // the lens distortion of each (model None for a pinhole)
    std::vector<std::filesystem::path> masks;  // transforms.json "mask_path" of each, resolved; empty: none
    std::vector<float> times;            // transforms.json "time" of each frame; empty when no frame has one
    std::filesystem::path model_folder;  // the COLMAP model folder read, or the transforms.json file
    std::optional<float> aabb_scale;     // transforms.json (Instant-NGP's scene bound), when given
    std::filesystem::path points_file;   // transforms.json "ply_file_path" (nerfstudio), resolved; or empty
};

// What to do with cameras that have lens distortion.
enum class Distortion {
    Ignore,  // pinhole projection, with one warning (viewing, rendering)
    Refuse,  // InputError naming the model and how to undistort
    Keep,    // in CameraSet::lenses (datasets undistort their images); a model glint cannot undistort
             // (FOV, THIN_PRISM_FISHEYE) is an InputError naming the camera
};

// `path` is a transforms.json file, or a folder holding a COLMAP sparse model (cameras and images,
// .bin or .txt, directly or in sparse/0). transforms.json poses (OpenGL camera-to-world) are converted to
// OpenCV world-to-camera; COLMAP cameras are sorted by image name. Lens distortion (COLMAP's
// SIMPLE_RADIAL, RADIAL, OPENCV, FULL_OPENCV and fisheye models; transforms.json's k1 k2 k3 k4 p1 p2 with
// camera_model OPENCV or OPENCV_FISHEYE, per frame or global) goes as `distortion` says.
// Throws InputError naming the file and the problem for anything missing or malformed.
CameraSet load_cameras(const std::filesystem::path& path, Distortion distortion = Distortion::Ignore);

// The image file a camera file names: `base / name`, or with .png/.jpg/.jpeg added when the name has no
// extension (transforms.json often omits it). The plain path when none exists.
std::filesystem::path find_image(const std::filesystem::path& base, const std::string& name);

// The sparse points of a COLMAP model folder (points3D.bin or .txt). Throws InputError when malformed;
// a folder with no points3D file gives no points.
struct PointCloud {
    std::vector<float> positions;  // [P, 3] world space
    std::vector<float> colors;     // [P, 3] in [0, 1]
    // COLMAP models: each point's mean reprojection error in pixels and its track length (the images
    // that see it); empty for other sources.
    std::vector<float> errors;
    std::vector<std::uint32_t> track_lengths;
    std::size_t size() const { return positions.size() / 3; }
};
PointCloud load_colmap_points(const std::filesystem::path& folder);

// Points of a PLY file (the "ply_file_path" of a nerfstudio transforms.json): the vertex element's x y z
// and, when present, red green blue (8-bit, or float in [0, 1]); ASCII or binary little-endian. Throws
// InputError naming the file for anything malformed, truncated or non-finite.
PointCloud read_point_ply(const std::filesystem::path& path);
// Binary little-endian PLY with x y z (float) and red green blue (uchar). Atomic.
void write_point_ply(const std::filesystem::path& path, const PointCloud& points);

// Writes `set` as a transforms.json (OpenGL camera-to-world; intrinsics fl_x fl_y cx cy w h, written once
// when every camera shares them, per frame otherwise; "time" per frame when set.times is not empty;
// "ply_file_path" when `points_ply` is given, relative to the file). set.names are the frames'
// file_path values. Atomic.
void write_transforms(const std::filesystem::path& file, const CameraSet& set,
                      const std::string& points_ply = {});
// Writes a COLMAP text model (cameras.txt with PINHOLE cameras, or the model of set.lenses, images.txt,
// points3D.txt with empty tracks) into `folder`, created when missing. set.names are the image names.
// Each file atomic. write_transforms writes lenses as OPENCV or OPENCV_FISHEYE keys.
void write_colmap_text(const std::filesystem::path& folder, const CameraSet& set, const PointCloud& points);

}  // namespace glint
