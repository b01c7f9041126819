// Synthetic posed-image datasets from glTF models (`glint synth`): cameras on a sphere or hemisphere
// around the model, images rendered by the mesh renderer, and the camera files training reads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <glm/glm.hpp>

#include "glint/core/camera.h"
#include "glint/core/lens.h"
#include "glint/synth/gltf_model.h"

namespace glint::synth {

struct SynthOptions {
    int views = 100;
    int width = 256, height = 0;  // height 0: square images
    float fov_x_degrees = 40.0f;  // horizontal field of view (NeRF's camera_angle_x)
    bool hemisphere = false;      // cameras above the model's horizon only
    float distance = 0.0f;        // camera distance from the model's centre; 0: the model fills the view
    int frames = 1;               // > 1: a multi-view video of the animation, times 0..1
    std::string animation;        // name or index; empty: the first animation
    int supersample = 4;          // samples per pixel along each axis
    bool lighting = true;         // false: base colour only
    int points = 5000;            // initial points for training, sampled from the rendered surfaces
    std::uint32_t seed = 0;
    bool overwrite = false;  // replace an existing dataset in the output folder
    // Photographs through this lens (tests of undistortion): each image is rendered as a pinhole one
    // over the field the lens sees, then warped through the distortion; the camera files carry it.
    LensDistortion lens;
};

struct SynthReport {
    int images = 0;
    std::size_t triangles = 0, points = 0;
    Bounds bounds;
    float distance = 0.0f;
    std::string animation;  // the animation rendered, when frames > 1
    std::vector<std::string> warnings;
};

// Unit directions from the model's centre to the cameras: a Fibonacci lattice on the sphere (or the
// upper hemisphere around `up`), evenly spread for any count.
std::vector<glm::vec3> view_directions(int count, bool hemisphere, glm::vec3 up = {0, 1, 0});

// The cameras of a dataset: looking at the bounds' centre from `directions`, at `distance` (0: the
// bounding sphere just fills the narrower field of view).
std::vector<Camera> orbit_cameras(const Bounds& bounds, const std::vector<glm::vec3>& directions,
                                  const SynthOptions& options, float& distance);

// Renders `model_path` into `output`: images/*.png (RGBA, alpha 0 where nothing is hit), transforms.json
// (with "time" per frame for animations and "ply_file_path"), points3D.ply, and a COLMAP text model in
// sparse/0 of the first frame's cameras and images. `progress(done, total)` is called after each image.
// Throws InputError for bad models or options, Error when the output cannot be written.
SynthReport synthesize(const std::filesystem::path& model_path, const std::filesystem::path& output,
                       const SynthOptions& options, const std::function<void(int, int)>& progress = {});

}  // namespace glint::synth
