// Camera helpers.
#include "glint/core/camera.h"

#include <algorithm>
#include <cmath>

#include "glint/core/error.h"

namespace glint {

float Camera::fov_x_degrees() const {
    return glm::degrees(2.0f * std::atan(0.5f * static_cast<float>(width) / fx));
}
float Camera::fov_y_degrees() const {
    return glm::degrees(2.0f * std::atan(0.5f * static_cast<float>(height) / fy));
}

Camera Camera::look_at(glm::vec3 eye, glm::vec3 target, glm::vec3 up, float fov_y_degrees, int width,
                       int height) {
    if (width <= 0 || height <= 0) throw InputError("camera size must be positive");
    if (!(fov_y_degrees > 0.0f && fov_y_degrees < 180.0f))
        throw InputError("field of view must be between 0 and 180 degrees");
    const glm::vec3 forward = target - eye;
    if (glm::length(forward) < 1e-12f) throw InputError("camera eye and target are the same point");
    const glm::vec3 z = glm::normalize(forward);
    const glm::vec3 side = glm::cross(z, up);  // camera x: right
    if (glm::length(side) < 1e-6f * glm::length(up))
        throw InputError("camera up is parallel to the view direction");
    const glm::vec3 x = glm::normalize(side);
    const glm::vec3 y = glm::cross(z, x);  // camera y: down in the image
    Camera camera;
    // Rows of R are the camera axes in world coordinates (glm is column-major: set the transpose).
    camera.rotation = glm::transpose(glm::mat3(x, y, z));
    camera.translation = -(camera.rotation * eye);
    camera.width = width;
    camera.height = height;
    camera.fy = 0.5f * static_cast<float>(height) / std::tan(0.5f * glm::radians(fov_y_degrees));
    camera.fx = camera.fy;
    camera.cx = 0.5f * static_cast<float>(width);
    camera.cy = 0.5f * static_cast<float>(height);
    return camera;
}

Camera Camera::resized(int new_width, int new_height) const {
    Camera out = *this;
    const float sx = static_cast<float>(new_width) / static_cast<float>(width);
    const float sy = static_cast<float>(new_height) / static_cast<float>(height);
    out.width = new_width;
    out.height = new_height;
    out.fx *= sx;
    out.cx *= sx;
    out.fy *= sy;
    out.cy *= sy;
    return out;
}

std::vector<Camera> cameras_around(glm::vec3 centre, float radius, int count, int size) {
    if (count < 1 || size < 8) throw InputError("views around a scene: at least one view of 8x8 pixels");
    radius = std::max(radius, 1e-6f);
    constexpr float kFov = 40.0f;
    const float distance = radius / std::sin(0.5f * glm::radians(kFov)) * 1.05f;
    const float golden = 3.14159265358979f * (3.0f - std::sqrt(5.0f));
    std::vector<Camera> views;
    for (int i = 0; i < count; ++i) {
        const float y = 1.0f - 2.0f * (static_cast<float>(i) + 0.5f) / static_cast<float>(count);
        const float ring = std::sqrt(std::max(0.0f, 1.0f - y * y)), angle = golden * static_cast<float>(i);
        const glm::vec3 direction(ring * std::cos(angle), y, ring * std::sin(angle));
        const glm::vec3 up = std::fabs(y) > 0.99f ? glm::vec3(1, 0, 0) : glm::vec3(0, 1, 0);
        views.push_back(Camera::look_at(centre + distance * direction, centre, up, kFov, size, size));
    }
    return views;
}

std::optional<glm::vec3> mean_camera_up(std::span<const Camera> cameras) {
    glm::vec3 sum(0.0f);
    for (const Camera& c : cameras) sum += glm::transpose(c.rotation) * glm::vec3(0, -1, 0);
    if (cameras.empty() || glm::length(sum) < 0.1f * static_cast<float>(cameras.size())) return std::nullopt;
    return glm::normalize(sum);
}

}  // namespace glint
