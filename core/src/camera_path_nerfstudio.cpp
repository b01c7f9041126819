// nerfstudio's camera_path.json (its viewer's export, what `ns-render camera-path` reads): the rendered
// path, one camera per frame ("camera_path": "camera_to_world" a row-major 4x4 in OpenGL camera axes,
// x right, y up, z back; "fov" the vertical field of view in degrees; "render_time" for dynamic scenes),
// "seconds", "fps", "render_width" and "render_height", and the viewer's "keyframes".
#include "camera_path_nerfstudio.h"

#include <cmath>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {
namespace {

using json = nlohmann::json;

float finite_number(const json& object, const char* key, const std::string& what) {
    if (!object.contains(key)) throw InputError(cat(what, ": \"", key, "\" is missing"));
    const json& v = object.at(key);
    if (!v.is_number() || !std::isfinite(v.get<double>()))
        throw InputError(cat(what, ": \"", key, "\" must be a finite number"));
    return v.get<float>();
}

// A row-major 4x4 camera-to-world in OpenGL camera axes -> position and orientation in glint's (OpenCV
// camera axes: y and z turned).
void pose_from_opengl(const json& matrix, const std::string& what, Keyframe& k) {
    if (!matrix.is_array() || (matrix.size() != 16 && matrix.size() != 12))
        throw InputError(cat(what, ": \"camera_to_world\" must hold 16 (or 12) numbers, row by row"));
    float m[16];
    for (std::size_t i = 0; i < matrix.size(); ++i) {
        if (!matrix[i].is_number() || !std::isfinite(matrix[i].get<double>()))
            throw InputError(cat(what, ": \"camera_to_world\" holds something that is not a finite number"));
        m[i] = matrix[i].get<float>();
    }
    glm::mat3 rotation;  // column j = camera axis j in the world
    for (int row = 0; row < 3; ++row)
        for (int col = 0; col < 3; ++col) rotation[col][row] = m[4 * row + col];
    rotation[1] = -rotation[1];  // y up -> y down
    rotation[2] = -rotation[2];  // z back -> z forward
    for (int c = 0; c < 3; ++c)
        if (!(std::fabs(glm::length(rotation[c]) - 1.0f) < 1e-2f))
            throw InputError(cat(what, ": \"camera_to_world\" is not a rotation (an axis of length ",
                                 glm::length(rotation[c]), ")"));
    k.position = {m[3], m[7], m[11]};
    k.orientation = glm::normalize(glm::quat_cast(rotation));
}

json opengl_matrix(const PathPose& pose) {
    glm::mat3 r = glm::mat3_cast(glm::normalize(pose.orientation));
    r[1] = -r[1];
    r[2] = -r[2];
    json m = json::array();
    for (int row = 0; row < 3; ++row) {
        for (int col = 0; col < 3; ++col) m.push_back(r[col][row]);
        m.push_back(pose.position[row]);
    }
    for (const float v : {0.0f, 0.0f, 0.0f, 1.0f}) m.push_back(v);
    return m;
}

}  // namespace

CameraPath nerfstudio_camera_path(const json& root) {
    const json& frames = root.at("camera_path");
    if (!frames.is_array() || frames.empty())
        throw InputError("nerfstudio \"camera_path\" must be a non-empty array of cameras");
    float fps = 0.0f;
    if (root.contains("fps"))
        fps = finite_number(root, "fps", "the nerfstudio path");
    else if (root.contains("seconds"))
        fps = static_cast<float>(frames.size()) / finite_number(root, "seconds", "the nerfstudio path");
    if (!(fps > 0.0f)) fps = 30.0f;
    if (root.contains("camera_type") && root["camera_type"].is_string() &&
        root["camera_type"].get<std::string>() != "perspective")
        throw InputError(cat("nerfstudio camera type \"", root["camera_type"].get<std::string>(),
                             "\": glint records perspective paths only"));
    CameraPath path;
    path.timing = PathTiming::Durations;
    int index = 0;
    for (const json& camera : frames) {
        const std::string what = cat("camera_path[", index++, "]");
        if (!camera.is_object()) throw InputError(cat(what, " must be an object"));
        Keyframe k;
        if (!camera.contains("camera_to_world"))
            throw InputError(cat(what, ": \"camera_to_world\" is missing"));
        pose_from_opengl(camera["camera_to_world"], what, k);
        k.fov_y_degrees = finite_number(camera, "fov", what);
        if (camera.contains("render_time") && !camera["render_time"].is_null())
            k.time = finite_number(camera, "render_time", what);
        k.duration = 1.0f / fps;
        path.keyframes.push_back(k);
    }
    PathSampler check(path);  // ranges, and times on all cameras or none
    return path;
}

std::string nerfstudio_camera_path_json(const CameraPath& path, int width, int height, float fps) {
    if (width <= 0 || height <= 0) throw InputError("the nerfstudio path needs a positive render size");
    if (!(fps > 0.0f)) throw InputError("the nerfstudio path needs a positive frame rate");
    const PathSampler sampler(path);
    const float aspect = static_cast<float>(width) / static_cast<float>(height);
    json root;
    root["camera_type"] = "perspective";
    root["render_width"] = width;
    root["render_height"] = height;
    root["fps"] = fps;
    root["seconds"] = sampler.duration();
    root["is_cycle"] = path.loop;
    root["smoothness_value"] = 0.0;
    root["keyframes"] = json::array();
    for (const Keyframe& k : path.keyframes) {
        json key;
        key["matrix"] = opengl_matrix({k.position, k.orientation, k.fov_y_degrees, k.time});
        key["fov"] = k.fov_y_degrees;
        key["aspect"] = aspect;
        if (k.time) key["render_time"] = *k.time;
        root["keyframes"].push_back(key);
    }
    // The rendered path: one camera per frame, as glint records it.
    const int frames = std::max(1, static_cast<int>(std::lround(sampler.duration() * fps)));
    root["camera_path"] = json::array();
    for (int f = 0; f < frames; ++f) {
        const PathPose pose = sampler.at(static_cast<float>(f) / fps);
        json camera;
        camera["camera_to_world"] = opengl_matrix(pose);
        camera["fov"] = pose.fov_y_degrees;
        camera["aspect"] = aspect;
        if (pose.time) camera["render_time"] = *pose.time;
        root["camera_path"].push_back(camera);
    }
    return root.dump(2) + "\n";
}

}  // namespace glint
