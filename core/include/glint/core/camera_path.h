// Camera paths for fly-through videos: keyframes (position, orientation, field of view, scene time) and
// their interpolation. Positions follow a centripetal Catmull-Rom spline (no cusps or self-intersections
// within a segment), orientations a spherical cubic (SQUAD) through the keyframes' quaternions, field of
// view and scene time monotone cubic Hermite curves (smooth, and never overshooting a keyframe's value).
// Timing: each keyframe's duration to the next, or constant speed along the path over a total duration;
// an easing of the whole path; open or looped. The JSON format is documented in README.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

#include "glint/core/camera.h"

namespace glint {

struct Keyframe {
    glm::vec3 position{0.0f};
    // Camera to world, in the OpenCV camera axes (x right, y down, z forward): the columns of its matrix
    // are the camera's axes in world coordinates.
    glm::quat orientation{1.0f, 0.0f, 0.0f, 0.0f};
    float fov_y_degrees = 50.0f;
    std::optional<float> time;  // the scene time shown here (4D scenes); absent: the path does not set it
    float duration = 2.0f;      // seconds to the next keyframe (timing Durations)
};

enum class PathTiming { Durations, ConstantSpeed };
enum class PathEasing { Linear, EaseInOut };

struct CameraPath {
    std::vector<Keyframe> keyframes;
    bool loop = false;  // the last keyframe leads back to the first
    PathTiming timing = PathTiming::Durations;
    float total_duration = 10.0f;  // seconds, with ConstantSpeed
    PathEasing easing = PathEasing::Linear;
};

// What the path shows at one moment.
struct PathPose {
    glm::vec3 position{0.0f};
    glm::quat orientation{1.0f, 0.0f, 0.0f, 0.0f};
    float fov_y_degrees = 50.0f;
    std::optional<float> time;
};

// The keyframe's orientation as a camera looking from `eye` at `target` with `up` up in the image. Throws
// InputError as Camera::look_at does.
glm::quat look_at_orientation(glm::vec3 eye, glm::vec3 target, glm::vec3 up);
// The keyframe of a camera's current view (its pose and vertical field of view).
Keyframe keyframe_from_camera(const Camera& camera);
// A camera of the given size at a pose.
Camera camera_at(const PathPose& pose, int width, int height);

// Evaluates a path. Construction checks it (InputError with the problem: no keyframes, a keyframe with a
// non-finite value, a field of view outside (0, 180), a non-positive duration, time set on some
// keyframes only); a single keyframe is a still shot.
class PathSampler {
public:
    explicit PathSampler(CameraPath path);
    float duration() const { return m_duration; }  // seconds
    PathPose at(float seconds) const;              // clamped to [0, duration]
    // The path parameter (keyframe index + fraction in the segment) at `seconds`, after timing and easing.
    float parameter(float seconds) const;
    const CameraPath& path() const { return m_path; }

private:
    PathPose at_parameter(int segment, float u) const;
    CameraPath m_path;
    std::vector<float> m_start;                    // [segments + 1] seconds at each keyframe
    std::vector<std::vector<float>> m_arc_length;  // ConstantSpeed: per segment, cumulative length table
    std::vector<float> m_fov_slope, m_time_slope;  // monotone Hermite tangents per keyframe
    float m_duration = 0.0f;
    int m_segments = 0;
};

// An orbit around `centre`: `count` keyframes on a circle of `radius` at `elevation_degrees` above the
// plane normal to `up`, looking at the centre, looped, constant speed over `seconds`.
CameraPath orbit_path(glm::vec3 centre, float radius, glm::vec3 up, float elevation_degrees,
                      float fov_y_degrees, float seconds, int count = 8);

// JSON (see README.md). read_camera_path throws InputError naming the file and the problem;
// write_camera_path writes atomically.
CameraPath read_camera_path(const std::filesystem::path& path);
CameraPath parse_camera_path(const std::string& json_text, const std::string& source);
std::string camera_path_json(const CameraPath& path);
void write_camera_path(const std::filesystem::path& path, const CameraPath& camera_path);

// nerfstudio's camera_path.json: read_camera_path / parse_camera_path take it too (recognised by its
// "camera_path" array: one keyframe per rendered camera, 1/fps apart, OpenGL camera axes turned into
// glint's); this writes one (its keyframes, and the path rendered at `fps` for a `width` x `height`
// video, as `ns-render camera-path` reads it).
std::string nerfstudio_camera_path_json(const CameraPath& path, int width, int height, float fps);

}  // namespace glint
