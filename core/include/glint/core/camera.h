// A pinhole camera in the OpenCV convention: x right, y down, z forward; world-to-camera rotation and
// translation (x_cam = R x_world + t); intrinsics in pixels.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include <glm/glm.hpp>

namespace glint {

struct Camera {
    glm::mat3 rotation{1.0f};     // world to camera
    glm::vec3 translation{0.0f};  // world to camera
    float fx = 0, fy = 0, cx = 0, cy = 0;
    int width = 0, height = 0;

    glm::vec3 position() const { return -glm::transpose(rotation) * translation; }
    // Horizontal and vertical field of view in degrees.
    float fov_x_degrees() const;
    float fov_y_degrees() const;

    // A camera at `eye` looking at `target`, with `up` pointing up in the image, vertical field of view
    // `fov_y_degrees`, square pixels and the principal point at the image centre. Throws InputError when
    // eye == target, up is parallel to the view direction, or the size or field of view is invalid.
    static Camera look_at(glm::vec3 eye, glm::vec3 target, glm::vec3 up, float fov_y_degrees, int width,
                          int height);

    // The same view at another resolution (intrinsics scaled).
    Camera resized(int new_width, int new_height) const;
};

// `count` square views of `size` pixels around a sphere (centre, radius), on a Fibonacci spiral, each
// looking at the centre with a 40-degree field of view from where the sphere just fits; up is world +y
// except near the poles. For scoring what a scene shows when no dataset says where its cameras were.
// Throws InputError for count < 1 or size < 8.
std::vector<Camera> cameras_around(glm::vec3 centre, float radius, int count, int size);

// The world's up as a set of cameras sees it: the mean of their up directions (image -y in the world),
// normalized; nothing when they cancel out (as many upside down as upright) or there are none.
std::optional<glm::vec3> mean_camera_up(std::span<const Camera> cameras);

}  // namespace glint
