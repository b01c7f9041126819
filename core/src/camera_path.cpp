// Camera path interpolation and its JSON form.
#include "glint/core/camera_path.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "camera_path_nerfstudio.h"
#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {
namespace {

constexpr int kArcSamples = 64;  // per segment, for constant speed

bool finite(glm::vec3 v) {
    return std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z);
}

// Logarithm and exponential of unit quaternions (pure quaternions as vec3).
glm::vec3 quat_log(glm::quat q) {
    const glm::vec3 v(q.x, q.y, q.z);
    const float s = glm::length(v);
    if (s < 1e-12f) return glm::vec3(0.0f);
    return v * (std::atan2(s, q.w) / s);
}
glm::quat quat_exp(glm::vec3 v) {
    const float angle = glm::length(v);
    if (angle < 1e-12f) return glm::quat(1.0f, v.x, v.y, v.z);
    const glm::vec3 axis = v * (std::sin(angle) / angle);
    return glm::quat(std::cos(angle), axis.x, axis.y, axis.z);
}
// b on the hemisphere of a (q and -q are the same rotation).
glm::quat near(glm::quat a, glm::quat b) {
    return glm::dot(a, b) < 0.0f ? -b : b;
}
// Spherical interpolation along the great arc from a to b as given (no flip to the shorter arc: SQUAD
// needs the arcs it is given, and a flip would jump where the sign of the dot product changes).
glm::quat slerp_arc(glm::quat a, glm::quat b, float t) {
    const float d = std::clamp(glm::dot(a, b), -1.0f, 1.0f);
    if (d > 0.9995f) return glm::normalize(a * (1.0f - t) + b * t);
    const float angle = std::acos(d), sine = std::sin(angle);
    return a * (std::sin((1.0f - t) * angle) / sine) + b * (std::sin(t * angle) / sine);
}

// SQUAD's control point at q between its neighbours (Shoemake): the tangent that makes the spline C1.
glm::quat inner(glm::quat previous, glm::quat q, glm::quat next) {
    const glm::quat inverse = glm::conjugate(q);
    return glm::normalize(q * quat_exp(-0.25f * (quat_log(inverse * next) + quat_log(inverse * previous))));
}

// Centripetal Catmull-Rom between p1 and p2 at u in [0, 1] (Barry-Goldman evaluation, alpha = 1/2).
glm::vec3 catmull_rom(glm::vec3 p0, glm::vec3 p1, glm::vec3 p2, glm::vec3 p3, float u) {
    const float span = glm::length(p2 - p1);
    if (span < 1e-12f) return p1;
    const float floor = 1e-4f * std::sqrt(span);  // coincident neighbours: a tiny knot interval
    const float t0 = 0.0f;
    const float t1 = t0 + std::max(std::sqrt(glm::length(p1 - p0)), floor);
    const float t2 = t1 + std::sqrt(span);
    const float t3 = t2 + std::max(std::sqrt(glm::length(p3 - p2)), floor);
    const float t = t1 + u * (t2 - t1);
    const glm::vec3 a1 = ((t1 - t) * p0 + (t - t0) * p1) / (t1 - t0);
    const glm::vec3 a2 = ((t2 - t) * p1 + (t - t1) * p2) / (t2 - t1);
    const glm::vec3 a3 = ((t3 - t) * p2 + (t - t2) * p3) / (t3 - t2);
    const glm::vec3 b1 = ((t2 - t) * a1 + (t - t0) * a2) / (t2 - t0);
    const glm::vec3 b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1);
    return ((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1);
}

float hermite(float y0, float y1, float m0, float m1, float u) {
    const float u2 = u * u, u3 = u2 * u;
    return (2 * u3 - 3 * u2 + 1) * y0 + (u3 - 2 * u2 + u) * m0 + (-2 * u3 + 3 * u2) * y1 + (u3 - u2) * m1;
}

// Tangents of a monotone cubic Hermite interpolation through values at unit spacing (Fritsch-Butland:
// the harmonic mean of neighbouring secants, zero at extrema), wrapping around when `loop`.
std::vector<float> monotone_slopes(const std::vector<float>& y, bool loop) {
    const std::size_t n = y.size();
    std::vector<float> m(n, 0.0f);
    if (n < 2) return m;
    const auto secant = [&](std::size_t k) { return y[(k + 1) % n] - y[k]; };  // k to k + 1
    for (std::size_t i = 0; i < n; ++i) {
        const bool first = i == 0, last = i == n - 1;
        if (!loop && first) {
            m[i] = secant(0);
            continue;
        }
        if (!loop && last) {
            m[i] = secant(n - 2);
            continue;
        }
        const float before = secant((i + n - 1) % n), after = secant(i);
        m[i] = before * after > 0.0f ? 2.0f * before * after / (before + after) : 0.0f;
    }
    // One-sided end tangents can exceed what keeps the first and last segment monotone: cap at 3x.
    if (!loop)
        for (const std::size_t i : {std::size_t{0}, n - 1}) {
            const float s = secant(i == 0 ? 0 : n - 2);
            if (std::abs(m[i]) > 3.0f * std::abs(s)) m[i] = 3.0f * s;
        }
    return m;
}

float ease(PathEasing easing, float s) {
    if (easing == PathEasing::EaseInOut) return s * s * (3.0f - 2.0f * s);
    return s;
}

}  // namespace

glm::quat look_at_orientation(glm::vec3 eye, glm::vec3 target, glm::vec3 up) {
    const Camera camera = Camera::look_at(eye, target, up, 50.0f, 2, 2);
    return glm::normalize(glm::quat_cast(glm::transpose(camera.rotation)));
}

Keyframe keyframe_from_camera(const Camera& camera) {
    Keyframe k;
    k.position = camera.position();
    k.orientation = glm::normalize(glm::quat_cast(glm::transpose(camera.rotation)));
    k.fov_y_degrees = camera.fov_y_degrees();
    return k;
}

Camera camera_at(const PathPose& pose, int width, int height) {
    if (width <= 0 || height <= 0) throw InputError("camera size must be positive");
    Camera camera;
    camera.rotation = glm::transpose(glm::mat3_cast(glm::normalize(pose.orientation)));
    camera.translation = -(camera.rotation * pose.position);
    camera.width = width;
    camera.height = height;
    camera.fy = 0.5f * static_cast<float>(height) / std::tan(0.5f * glm::radians(pose.fov_y_degrees));
    camera.fx = camera.fy;
    camera.cx = 0.5f * static_cast<float>(width);
    camera.cy = 0.5f * static_cast<float>(height);
    return camera;
}

PathSampler::PathSampler(CameraPath path) : m_path(std::move(path)) {
    const auto& keys = m_path.keyframes;
    const std::size_t n = keys.size();
    if (n == 0) throw InputError("the camera path has no keyframes");
    const bool timed = keys.front().time.has_value();
    for (std::size_t i = 0; i < n; ++i) {
        const Keyframe& k = keys[i];
        const std::string which = cat("keyframe ", i);
        if (!finite(k.position)) throw InputError(cat(which, ": the position is not finite"));
        const glm::vec4 q(k.orientation.w, k.orientation.x, k.orientation.y, k.orientation.z);
        if (!(std::isfinite(q.x) && std::isfinite(q.y) && std::isfinite(q.z) && std::isfinite(q.w)) ||
            glm::length(q) < 1e-6f)
            throw InputError(cat(which, ": the orientation is not a non-zero finite quaternion"));
        if (!(k.fov_y_degrees > 0.0f && k.fov_y_degrees < 180.0f))
            throw InputError(cat(which, ": the field of view must be between 0 and 180 degrees"));
        if (k.time.has_value() != timed)
            throw InputError(cat(which, ": either every keyframe sets the scene time or none does"));
        if (k.time && !std::isfinite(*k.time)) throw InputError(cat(which, ": the time is not finite"));
        if (!(k.duration > 0.0f) || !std::isfinite(k.duration))
            throw InputError(cat(which, ": the duration must be positive"));
    }
    if (m_path.timing == PathTiming::ConstantSpeed &&
        (!(m_path.total_duration > 0.0f) || !std::isfinite(m_path.total_duration)))
        throw InputError("the camera path's duration must be positive");
    for (Keyframe& k : m_path.keyframes) k.orientation = glm::normalize(k.orientation);
    m_segments = n < 2 ? 0 : static_cast<int>(m_path.loop ? n : n - 1);

    std::vector<float> fovs, times;
    for (const Keyframe& k : keys) {
        fovs.push_back(k.fov_y_degrees);
        if (k.time) times.push_back(*k.time);
    }
    m_fov_slope = monotone_slopes(fovs, m_path.loop);
    m_time_slope = monotone_slopes(times, m_path.loop);

    // Segment durations: given, or in proportion to arc length.
    std::vector<float> durations(static_cast<std::size_t>(m_segments));
    if (m_path.timing == PathTiming::ConstantSpeed && m_segments > 0) {
        m_arc_length.resize(static_cast<std::size_t>(m_segments));
        float total = 0.0f;
        for (int s = 0; s < m_segments; ++s) {
            auto& table = m_arc_length[static_cast<std::size_t>(s)];
            table.assign(kArcSamples + 1, 0.0f);
            glm::vec3 previous = at_parameter(s, 0.0f).position;
            for (int j = 1; j <= kArcSamples; ++j) {
                const glm::vec3 p = at_parameter(s, static_cast<float>(j) / kArcSamples).position;
                table[static_cast<std::size_t>(j)] =
                    table[static_cast<std::size_t>(j - 1)] + glm::length(p - previous);
                previous = p;
            }
            total += table.back();
        }
        for (int s = 0; s < m_segments; ++s)
            durations[static_cast<std::size_t>(s)] =
                total > 0.0f
                    ? m_path.total_duration * m_arc_length[static_cast<std::size_t>(s)].back() / total
                    : m_path.total_duration / static_cast<float>(m_segments);
    } else {
        for (int s = 0; s < m_segments; ++s)
            durations[static_cast<std::size_t>(s)] = keys[static_cast<std::size_t>(s)].duration;
    }
    m_start.assign(static_cast<std::size_t>(m_segments) + 1, 0.0f);
    for (int s = 0; s < m_segments; ++s)
        m_start[static_cast<std::size_t>(s) + 1] =
            m_start[static_cast<std::size_t>(s)] + durations[static_cast<std::size_t>(s)];
    m_duration = m_segments > 0 ? m_start.back()
                                : (m_path.timing == PathTiming::ConstantSpeed ? m_path.total_duration
                                                                              : keys.front().duration);
}

float PathSampler::parameter(float seconds) const {
    if (m_segments == 0) return 0.0f;
    const float s = std::clamp(seconds / m_duration, 0.0f, 1.0f);
    const float t = ease(m_path.easing, s) * m_duration;
    // The segment holding t (the last one at the very end).
    const auto it = std::upper_bound(m_start.begin() + 1, m_start.end() - 1, t);
    const int segment = static_cast<int>(it - m_start.begin()) - 1;
    const float begin = m_start[static_cast<std::size_t>(segment)],
                end = m_start[static_cast<std::size_t>(segment) + 1];
    float f = end > begin ? std::clamp((t - begin) / (end - begin), 0.0f, 1.0f) : 1.0f;
    if (!m_arc_length.empty()) {
        // Constant speed inside the segment: the u whose arc length is the fraction f of the segment's.
        const auto& table = m_arc_length[static_cast<std::size_t>(segment)];
        const float target = f * table.back();
        if (table.back() > 0.0f) {
            const auto at = std::lower_bound(table.begin(), table.end(), target);
            const std::size_t j =
                std::clamp<std::size_t>(static_cast<std::size_t>(at - table.begin()), 1, kArcSamples);
            const float lo = table[j - 1], hi = table[j];
            const float w = hi > lo ? (target - lo) / (hi - lo) : 0.0f;
            f = (static_cast<float>(j - 1) + w) / kArcSamples;
        }
    }
    return static_cast<float>(segment) + f;
}

PathPose PathSampler::at(float seconds) const {
    if (m_segments == 0) return at_parameter(0, 0.0f);
    const float p = parameter(seconds);
    const int segment = std::min(static_cast<int>(p), m_segments - 1);
    return at_parameter(segment, p - static_cast<float>(segment));
}

PathPose PathSampler::at_parameter(int segment, float u) const {
    const auto& keys = m_path.keyframes;
    const int n = static_cast<int>(keys.size());
    PathPose pose;
    if (m_segments == 0) {
        pose.position = keys[0].position;
        pose.orientation = keys[0].orientation;
        pose.fov_y_degrees = keys[0].fov_y_degrees;
        pose.time = keys[0].time;
        return pose;
    }
    const int i1 = segment, i2 = (segment + 1) % n;
    const bool has_before = m_path.loop || i1 > 0, has_after = m_path.loop || i2 < n - 1;
    const int i0 = (i1 + n - 1) % n, i3 = (i2 + 1) % n;
    const Keyframe &k1 = keys[static_cast<std::size_t>(i1)], &k2 = keys[static_cast<std::size_t>(i2)];
    // Positions: an open path's ends are extended by reflection.
    const glm::vec3 p1 = k1.position, p2 = k2.position;
    const glm::vec3 p0 = has_before ? keys[static_cast<std::size_t>(i0)].position : 2.0f * p1 - p2;
    const glm::vec3 p3 = has_after ? keys[static_cast<std::size_t>(i3)].position : 2.0f * p2 - p1;
    pose.position = catmull_rom(p0, p1, p2, p3, u);
    // Orientations: SQUAD, with every neighbour on the hemisphere of the one before.
    const glm::quat q1 = k1.orientation;
    const glm::quat q2 = near(q1, k2.orientation);
    const glm::quat q0 = has_before ? near(q1, keys[static_cast<std::size_t>(i0)].orientation) : q1;
    const glm::quat q3 = has_after ? near(q2, keys[static_cast<std::size_t>(i3)].orientation) : q2;
    const glm::quat s1 = inner(q0, q1, q2), s2 = inner(q1, q2, q3);
    pose.orientation =
        glm::normalize(slerp_arc(slerp_arc(q1, q2, u), slerp_arc(s1, s2, u), 2.0f * u * (1.0f - u)));
    pose.fov_y_degrees =
        hermite(k1.fov_y_degrees, k2.fov_y_degrees, m_fov_slope[static_cast<std::size_t>(i1)],
                m_fov_slope[static_cast<std::size_t>(i2)], u);
    if (k1.time)
        pose.time = hermite(*k1.time, *k2.time, m_time_slope[static_cast<std::size_t>(i1)],
                            m_time_slope[static_cast<std::size_t>(i2)], u);
    return pose;
}

CameraPath orbit_path(glm::vec3 centre, float radius, glm::vec3 up, float elevation_degrees,
                      float fov_y_degrees, float seconds, int count) {
    up = glm::normalize(up);
    glm::vec3 side = glm::cross(up, glm::vec3(1, 0, 0));
    if (glm::length(side) < 0.1f) side = glm::cross(up, glm::vec3(0, 1, 0));
    side = glm::normalize(side);
    const glm::vec3 other = glm::cross(side, up);
    const float elevation = glm::radians(elevation_degrees);
    CameraPath path;
    path.loop = true;
    path.timing = PathTiming::ConstantSpeed;
    path.total_duration = seconds;
    for (int i = 0; i < count; ++i) {
        const float azimuth =
            glm::radians(35.0f) + 2.0f * glm::pi<float>() * static_cast<float>(i) / static_cast<float>(count);
        const glm::vec3 direction =
            std::cos(elevation) * (std::cos(azimuth) * side + std::sin(azimuth) * other) +
            std::sin(elevation) * up;
        Keyframe k;
        k.position = centre + radius * direction;
        k.orientation = look_at_orientation(k.position, centre, up);
        k.fov_y_degrees = fov_y_degrees;
        path.keyframes.push_back(k);
    }
    return path;
}

// ---- JSON -----------------------------------------------------------------------------------------------

namespace {

using nlohmann::json;

std::vector<float> numbers(const json& value, std::size_t count, const std::string& what) {
    if (!value.is_array() || value.size() != count)
        throw InputError(cat(what, " must be an array of ", count, " numbers"));
    std::vector<float> out;
    for (const json& v : value) {
        if (!v.is_number()) throw InputError(cat(what, " must be an array of ", count, " numbers"));
        out.push_back(v.get<float>());
    }
    return out;
}

float number(const json& object, const char* key, const std::string& what) {
    const json& v = object.at(key);
    if (!v.is_number()) throw InputError(cat(what, ": \"", key, "\" must be a number"));
    return v.get<float>();
}

}  // namespace

CameraPath parse_camera_path(const std::string& text, const std::string& source) {
    json root;
    try {
        root = json::parse(text);
    } catch (const json::exception& e) {
        throw InputError(cat(source, ": not valid JSON (", e.what(), ")"));
    }
    try {
        if (!root.is_object()) throw InputError("the top level must be an object");
        if (root.contains("camera_path")) return nerfstudio_camera_path(root);
        if (root.contains("version") &&
            (!root["version"].is_number_integer() || root["version"].get<int>() != 1))
            throw InputError("unsupported version (this glint reads version 1)");
        CameraPath path;
        if (root.contains("loop")) {
            if (!root["loop"].is_boolean()) throw InputError("\"loop\" must be true or false");
            path.loop = root["loop"].get<bool>();
        }
        if (root.contains("timing")) {
            const std::string timing = root["timing"].is_string() ? root["timing"].get<std::string>() : "";
            if (timing == "durations")
                path.timing = PathTiming::Durations;
            else if (timing == "constant-speed")
                path.timing = PathTiming::ConstantSpeed;
            else
                throw InputError("\"timing\" must be \"durations\" or \"constant-speed\"");
        }
        if (root.contains("duration")) path.total_duration = number(root, "duration", "the path");
        if (root.contains("easing")) {
            const std::string easing = root["easing"].is_string() ? root["easing"].get<std::string>() : "";
            if (easing == "linear")
                path.easing = PathEasing::Linear;
            else if (easing == "ease-in-out")
                path.easing = PathEasing::EaseInOut;
            else
                throw InputError("\"easing\" must be \"linear\" or \"ease-in-out\"");
        }
        if (!root.contains("keyframes") || !root["keyframes"].is_array())
            throw InputError("\"keyframes\" must be an array");
        int index = 0;
        for (const json& item : root["keyframes"]) {
            const std::string what = cat("keyframe ", index++);
            if (!item.is_object()) throw InputError(cat(what, " must be an object"));
            Keyframe k;
            if (!item.contains("position")) throw InputError(cat(what, ": \"position\" is missing"));
            const auto p = numbers(item["position"], 3, cat(what, ": \"position\""));
            k.position = {p[0], p[1], p[2]};
            if (item.contains("fov")) k.fov_y_degrees = number(item, "fov", what);
            if (item.contains("orientation")) {
                const auto q = numbers(item["orientation"], 4, cat(what, ": \"orientation\" (w, x, y, z)"));
                k.orientation = glm::quat(q[0], q[1], q[2], q[3]);
            } else if (item.contains("look_at")) {
                const auto t = numbers(item["look_at"], 3, cat(what, ": \"look_at\""));
                glm::vec3 up(0, 0, 1);
                if (item.contains("up")) {
                    const auto u = numbers(item["up"], 3, cat(what, ": \"up\""));
                    up = {u[0], u[1], u[2]};
                }
                try {
                    k.orientation = look_at_orientation(k.position, {t[0], t[1], t[2]}, up);
                } catch (const InputError& e) {
                    throw InputError(cat(what, ": ", e.what()));
                }
            } else {
                throw InputError(cat(what, ": needs \"orientation\" or \"look_at\""));
            }
            if (item.contains("time") && !item["time"].is_null()) k.time = number(item, "time", what);
            if (item.contains("duration")) k.duration = number(item, "duration", what);
            path.keyframes.push_back(k);
        }
        PathSampler check(path);  // every other check (counts, ranges, durations)
        return path;
    } catch (const InputError& e) {
        throw InputError(cat(source, ": ", e.what()));
    } catch (const json::exception& e) {
        throw InputError(cat(source, ": ", e.what()));
    }
}

CameraPath read_camera_path(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(cat(path.string(), ": cannot open the camera path"));
    std::stringstream text;
    text << in.rdbuf();
    return parse_camera_path(text.str(), path.string());
}

std::string camera_path_json(const CameraPath& path) {
    json root;
    root["version"] = 1;
    root["loop"] = path.loop;
    root["timing"] = path.timing == PathTiming::ConstantSpeed ? "constant-speed" : "durations";
    root["duration"] = path.total_duration;
    root["easing"] = path.easing == PathEasing::EaseInOut ? "ease-in-out" : "linear";
    json keys = json::array();
    for (const Keyframe& k : path.keyframes) {
        json item;
        item["position"] = {k.position.x, k.position.y, k.position.z};
        item["orientation"] = {k.orientation.w, k.orientation.x, k.orientation.y, k.orientation.z};
        item["fov"] = k.fov_y_degrees;
        if (k.time) item["time"] = *k.time;
        item["duration"] = k.duration;
        keys.push_back(item);
    }
    root["keyframes"] = keys;
    return root.dump(2) + "\n";
}

void write_camera_path(const std::filesystem::path& path, const CameraPath& camera_path) {
    AtomicFile file(path);
    file.write(camera_path_json(camera_path));
    file.commit();
}

}  // namespace glint
