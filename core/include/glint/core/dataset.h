// Posed-image datasets for training: COLMAP sparse models with an images folder, and NeRF / Instant-NGP
// transforms.json; train and test views, camera-scale facts, sparse points, and images loaded on demand.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <glm/glm.hpp>

#include "glint/core/camera.h"
#include "glint/core/camera_io.h"

namespace glint {

struct DatasetOptions {
    int downscale = 1;  // integer factor: images are box-filtered on load and the intrinsics divided
    // RGBA images are composited over this colour (NeRF's synthetic scenes: white); the image keeps its
    // alpha, so a trainer can composite it again over another colour (random backgrounds).
    std::array<float, 3> background{1.0f, 1.0f, 1.0f};
    // Without a test split of its own (transforms_test.json), every Nth view is held out for testing,
    // counting from the first, as the reference 3DGS evaluation does (0: no test views); for views
    // carrying several times (a multi-view video), every Nth camera with all of its frames.
    int test_every = 8;
    std::string images_folder;  // COLMAP: images relative to the dataset; "images" when empty
};

struct DatasetView {
    std::string name;  // as the camera file names it
    std::filesystem::path image;
    Camera camera;      // at the dataset's resolution after downscaling; a pinhole camera
    float time = 0.0f;  // transforms.json "time" (multi-view video), 0 otherwise
    // Which physical camera took it, numbered from 0 in order of first appearance in its camera file:
    // views with the same pose and intrinsics (a multi-view video's frames) share one.
    std::size_t camera_id = 0;
    // A photo taken through a distorting lens: the lens and the camera it was taken with; load_image
    // remaps it onto `camera` (lens.h's undistorted_camera of this one).
    LensDistortion lens;
    Camera distorted_camera;
    // A mask of the pixels training may use (grey or alpha; 0 excludes a pixel), or empty: transforms.json's
    // "mask_path", or masks/NAME (NAME.png) beside the images folder, as COLMAP and nerfstudio name them.
    std::filesystem::path mask;
};

// An image in memory: float RGB in [0, 1], rows top to bottom, and the file's alpha when it had one.
struct ImageRgb {
    int width = 0, height = 0;
    std::vector<float> rgb;    // [H, W, 3], composited over the background when the file had alpha
    std::vector<float> alpha;  // [H, W], empty when the file had no alpha channel
    std::vector<float> mask;   // [H, W] in [0, 1], 0 where the view's mask excludes a pixel; empty: none
};

class Dataset {
public:
    std::filesystem::path root;
    std::string kind;  // "COLMAP (binary)", "COLMAP (text)", "transforms.json"
    DatasetOptions options;
    std::vector<DatasetView> train, test;
    PointCloud points;                // COLMAP's sparse points, or transforms.json's "ply_file_path"
    std::optional<float> aabb_scale;  // transforms.json (Instant-NGP), when given
    // What was done about lens distortion, one line for the summary ("OPENCV (k1 ...) on 49 of 56 views:
    // undistorted at load onto pinhole cameras, focal length x0.94"); empty for pinhole datasets.
    std::string distortion;
    std::size_t masked_views = 0;  // views with a mask
    // Cameras' extent as the reference 3DGS computes it (getNerfppNorm): the centre of the camera
    // positions and 1.1 times their largest distance from it; scales the position learning rate.
    glm::vec3 camera_centre{0.0f};
    float camera_extent = 1.0f;
    // The point the training cameras look at: least-squares nearest to every optical axis (the camera
    // centre when the axes are near parallel). Object captures centre their subject here.
    glm::vec3 look_at_centre{0.0f};
    // Whether the cameras surround look_at_centre, looking at it (an object capture): at least three in
    // four training cameras have it in front of them within 30 degrees of their optical axis. False for
    // rooms, streets and forward-facing captures, where no object sits at the centre of the views.
    bool surrounds_centre = false;

    // Reads, downscales and composites a view's image, and undistorts it when its lens distorts. Throws
    // InputError naming the file when it is unreadable or its size is not the camera's.
    ImageRgb load_image(const DatasetView& view) const;
};

// Reads a dataset: a folder with a COLMAP model (sparse/0, sparse, or the folder itself) and images, or
// with transforms.json (or transforms_train.json and transforms_test.json), or a transforms.json file.
// Every image is checked to exist with the camera's size (headers only; pixels load on demand). Throws
// InputError naming the file and the problem: no cameras, one view only, missing or unreadable images,
// sizes that differ from the cameras', non-finite poses, lens models glint cannot undistort.
Dataset load_dataset(const std::filesystem::path& path, const DatasetOptions& options = {});

}  // namespace glint
