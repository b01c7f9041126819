// Orbit and fly camera control.
#include "glint/core/camera_controller.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace glint {
namespace {

constexpr float kRadiansPerPixel = 0.005f;  // a 600-pixel drag turns about 170 degrees
constexpr float kMaxPitch = 1.55f;          // just under 90 degrees, where look-at degenerates
constexpr float kZoomPerStep = 0.88f;       // one wheel step moves 12% closer
constexpr float kSpeedPerStep = 1.25f;      // one wheel step flies 25% faster
constexpr float kFastFactor = 4.0f;         // with shift

}  // namespace

void CameraController::fit(glm::vec3 centre, float radius, glm::vec3 up, float fov_y_degrees) {
    m_up = glm::normalize(up);
    glm::vec3 side = glm::cross(m_up, glm::vec3(1, 0, 0));
    if (glm::length(side) < 0.1f) side = glm::cross(m_up, glm::vec3(0, 1, 0));
    m_side = glm::normalize(side);
    m_other = glm::cross(m_side, m_up);
    m_fov_y = fov_y_degrees;
    m_target = centre;
    radius = std::max(radius, 1e-3f);
    m_distance = radius / std::sin(0.5f * glm::radians(fov_y_degrees)) * 1.05f;
    // Looking from azimuth 35, elevation 25 degrees towards the centre.
    m_yaw = glm::radians(35.0f) + std::numbers::pi_v<float>;
    m_pitch = -glm::radians(25.0f);
    m_speed = radius;  // crosses the scene in about two seconds
}

void CameraController::set_from_camera(const Camera& camera, glm::vec3 up, float target_distance) {
    const glm::mat3 to_world = glm::transpose(camera.rotation);
    fit(camera.position(), 1.0f, up, camera.fov_y_degrees());
    const glm::vec3 look = glm::normalize(to_world * glm::vec3(0, 0, 1));
    m_pitch = std::clamp(std::asin(std::clamp(glm::dot(look, m_up), -1.0f, 1.0f)), -kMaxPitch, kMaxPitch);
    m_yaw = std::atan2(glm::dot(look, m_other), glm::dot(look, m_side));
    m_distance = std::max(target_distance, 1e-3f);
    m_target = camera.position() + m_distance * forward();
    m_speed = m_distance * 0.5f;
}

glm::vec3 CameraController::forward() const {
    return std::cos(m_pitch) * (std::cos(m_yaw) * m_side + std::sin(m_yaw) * m_other) +
           std::sin(m_pitch) * m_up;
}

glm::vec3 CameraController::right() const {
    return glm::normalize(glm::cross(forward(), m_up));
}

glm::vec3 CameraController::eye() const {
    return m_target - m_distance * forward();
}

bool CameraController::update(const CameraInput& in) {
    bool changed = false;
    if (in.rotate && in.mouse_delta != glm::vec2(0.0f)) {
        const glm::vec3 eye_before = eye();
        m_yaw -= in.mouse_delta.x * kRadiansPerPixel;
        m_pitch = std::clamp(m_pitch - in.mouse_delta.y * kRadiansPerPixel, -kMaxPitch, kMaxPitch);
        // Flying turns the head: the eye stays and the target moves with the view.
        if (m_mode == CameraMode::Fly) m_target = eye_before + m_distance * forward();
        changed = true;
    }
    if (in.pan && in.mouse_delta != glm::vec2(0.0f)) {
        // One pixel moves the target by one pixel's footprint at the target's depth.
        const float per_pixel = 2.0f * m_distance * std::tan(0.5f * glm::radians(m_fov_y)) / 720.0f;
        const glm::vec3 camera_up = glm::cross(right(), forward());
        m_target += per_pixel * (-in.mouse_delta.x * right() + in.mouse_delta.y * camera_up);
        changed = true;
    }
    if (in.scroll != 0.0f) {
        if (m_mode == CameraMode::Orbit)
            m_distance = std::max(1e-4f, m_distance * std::pow(kZoomPerStep, in.scroll));
        else
            m_speed = std::max(1e-4f, m_speed * std::pow(kSpeedPerStep, in.scroll));
        changed = true;
    }
    if (in.move != glm::vec3(0.0f) && in.seconds > 0.0f) {
        const float step = m_speed * in.seconds * (in.fast ? kFastFactor : 1.0f);
        m_target += step * (in.move.x * right() + in.move.y * m_up + in.move.z * forward());
        changed = true;
    }
    return changed;
}

Camera CameraController::camera(int width, int height) const {
    const glm::vec3 from = eye();
    return Camera::look_at(from, from + forward(), m_up, m_fov_y, width, height);
}

}  // namespace glint
