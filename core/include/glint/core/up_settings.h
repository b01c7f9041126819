// The up direction a user chose for a scene file in the viewer, remembered per file in a per-user
// settings file ($XDG_CONFIG_HOME/glint/up.json, else ~/.config/glint/up.json) and used by glint view,
// render, record, bench and info for the same file.
#pragma once

#include <filesystem>
#include <optional>

#include <glm/glm.hpp>

namespace glint {

// The settings file (its folder may not exist yet); empty when neither variable is set.
std::filesystem::path up_settings_path();
// The remembered up for `scene` (by its absolute path), if any. An unreadable settings file is logged
// as a warning and ignored.
std::optional<glm::vec3> remembered_up(const std::filesystem::path& scene);
// Remembers `up` for `scene`, writing the settings file atomically. Throws Error when it cannot.
void remember_up(const std::filesystem::path& scene, glm::vec3 up);

}  // namespace glint
