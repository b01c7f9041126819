// Lens distortion as COLMAP and transforms.json (instant-ngp, nerfstudio) describe it, and undistortion of
// images into pinhole ones: glint's rasterizer and training model pinhole cameras only, so a dataset's
// distorted photos are remapped once at load onto a pinhole camera chosen so that every pixel is valid
// (as COLMAP's image_undistorter does by default).
#pragma once

#include <string>
#include <vector>

#include <glm/glm.hpp>

#include "glint/core/camera.h"

namespace glint {

struct LensDistortion {
    // COLMAP's models with distortion; None is a pinhole.
    enum class Model {
        None,
        SimpleRadial,         // k
        Radial,               // k1, k2
        OpenCV,               // k1, k2, p1, p2
        FullOpenCV,           // k1, k2, p1, p2, k3, k4, k5, k6 (rational radial)
        SimpleRadialFisheye,  // k
        RadialFisheye,        // k1, k2
        OpenCVFisheye,        // k1, k2, k3, k4
    };
    Model model = Model::None;
    double k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, p1 = 0, p2 = 0;

    bool none() const { return model == Model::None; }
    // "OPENCV (k1 -0.12, k2 0.01, p1 0, p2 0)".
    std::string describe() const;
};

// COLMAP's name of a model ("OPENCV_FISHEYE"), and the model of a name (None for "PINHOLE" and
// "SIMPLE_PINHOLE"); false for a name glint cannot undistort (FOV, THIN_PRISM_FISHEYE, unknown).
const char* lens_model_name(LensDistortion::Model model);
bool lens_model_from_name(const std::string& name, LensDistortion::Model& model);

// Normalized image coordinates (x/z, y/z of a camera-space point) to where the lens puts them.
glm::dvec2 distort(const LensDistortion& lens, glm::dvec2 undistorted);
// The inverse, by Newton's method from the distorted point; false where it does not converge (beyond
// the lens's field, where the model folds back).
bool undistort(const LensDistortion& lens, glm::dvec2 distorted, glm::dvec2& undistorted);

// The pinhole camera a distorted one's images are remapped onto: the same size, pose and principal
// point at the image centre, its focal length scaled so that every pixel of the new image sees a point
// inside the distorted image (the largest such view). Throws InputError when the distortion cannot be
// inverted over the image (parameters that fold the image over itself).
Camera undistorted_camera(const Camera& distorted, const LensDistortion& lens);

// Remaps an image [H, W, channels] of values in [0, 1] taken through `lens` with intrinsics `distorted`
// onto the pinhole camera `pinhole` (undistorted_camera), by bicubic interpolation.
std::vector<float> undistort_image(const std::vector<float>& image, int channels, const Camera& distorted,
                                   const LensDistortion& lens, const Camera& pinhole);

// A lens from the command line, MODEL:PARAMS with COLMAP's model names and parameter order
// (OPENCV:k1,k2,p1,p2). Throws InputError naming the option's text when it is not one.
LensDistortion parse_lens(const std::string& text);

// The pinhole camera with `distorted`'s focal length, pose and principal point whose image covers
// every pixel of the distorted one once undistorted (larger than it for barrel distortion): rendered, it
// is remapped onto the distorted camera by distort_image. Throws InputError as undistorted_camera.
Camera covering_camera(const Camera& distorted, const LensDistortion& lens);

// Remaps a pinhole image [H, W, channels] (covering_camera) onto the camera `distorted` with `lens`, by
// bicubic interpolation: the image that lens would have taken.
std::vector<float> distort_image(const std::vector<float>& image, int channels, const Camera& pinhole,
                                 const LensDistortion& lens, const Camera& distorted);

}  // namespace glint
