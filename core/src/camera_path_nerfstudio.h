// nerfstudio's camera_path.json, read by parse_camera_path when the JSON has nerfstudio's "camera_path".
#pragma once

#include <nlohmann/json.hpp>

#include "glint/core/camera_path.h"

namespace glint {

// Throws InputError (without the source's name: the caller adds it).
CameraPath nerfstudio_camera_path(const nlohmann::json& root);

}  // namespace glint
