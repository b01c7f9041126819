// The default scene compiled into the binary (assets/default_scene.ply), used when no scene is given.
#pragma once

#include <cstddef>
#include <span>

namespace glint::app {

inline constexpr const char* kDefaultSceneName = "<embedded default scene>";

// The bytes of assets/default_scene.ply as it was when glint was built.
std::span<const std::byte> default_scene_bytes();

}  // namespace glint::app
