// The viewer's camera: orbit around a target or fly freely, driven by mouse and keyboard input; pure
// math, no window.
#pragma once

#include <glm/glm.hpp>

#include "glint/core/camera.h"

namespace glint {

enum class CameraMode { Orbit, Fly };

// One frame of input, already filtered (nothing while ImGui wants the mouse or keyboard).
struct CameraInput {
    glm::vec2 mouse_delta{0.0f};  // pixels moved this frame
    bool rotate = false;          // left button held: orbit, or look around when flying
    bool pan = false;             // right or middle button held
    float scroll = 0.0f;          // wheel steps: zoom when orbiting, speed when flying
    glm::vec3 move{0.0f};         // WASD/QE: x right, y up, z forward, each -1, 0 or 1
    bool fast = false;            // shift: move 4x faster
    float seconds = 0.0f;         // since the previous frame
};

class CameraController {
public:
    // A view of a sphere (centre, radius) from azimuth 35 and elevation 25 degrees around `up`.
    void fit(glm::vec3 centre, float radius, glm::vec3 up, float fov_y_degrees);
    // Takes the pose and field of view of a camera (from a dataset); `up` is the world's up direction and
    // `target_distance` where the orbit target sits in front of it.
    void set_from_camera(const Camera& camera, glm::vec3 up, float target_distance);

    // Applies one frame of input; returns whether the view changed.
    bool update(const CameraInput& input);

    void set_mode(CameraMode mode) { m_mode = mode; }
    CameraMode mode() const { return m_mode; }
    float fov_y() const { return m_fov_y; }
    void set_fov_y(float degrees) { m_fov_y = degrees; }
    float speed() const { return m_speed; }
    glm::vec3 eye() const;
    glm::vec3 forward() const;
    glm::vec3 target() const { return m_target; }
    float distance() const { return m_distance; }
    glm::vec3 up() const { return m_up; }

    // The camera for an image of width x height (principal point at the centre).
    Camera camera(int width, int height) const;

private:
    glm::vec3 right() const;

    CameraMode m_mode = CameraMode::Orbit;
    glm::vec3 m_up{0, 0, 1};
    glm::vec3 m_side{1, 0, 0}, m_other{0, 1, 0};  // with m_up, a right-handed frame for yaw
    glm::vec3 m_target{0.0f};                     // orbit centre
    float m_distance = 1.0f;                      // eye to target
    float m_yaw = 0.0f, m_pitch = 0.0f;           // radians: direction the camera looks
    float m_fov_y = 50.0f;
    float m_speed = 1.0f;  // fly speed in scene units per second
};

}  // namespace glint
