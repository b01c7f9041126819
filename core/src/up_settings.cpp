// The per-user settings file of chosen up directions.
#include "glint/core/up_settings.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"

namespace glint {
namespace {

std::string key_of(const std::filesystem::path& scene) {
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::weakly_canonical(scene, error);
    return (error ? std::filesystem::absolute(scene) : absolute).string();
}

nlohmann::json read_settings(const std::filesystem::path& file) {
    if (file.empty() || !std::filesystem::exists(file)) return nlohmann::json::object();
    std::ifstream in(file);
    nlohmann::json settings = nlohmann::json::parse(in, nullptr, false);
    if (settings.is_discarded() || !settings.is_object()) {
        log::warn(file.string(), ": not a JSON object of scene paths and up directions; ignored");
        return nlohmann::json::object();
    }
    return settings;
}

}  // namespace

std::filesystem::path up_settings_path() {
    if (const char* config = std::getenv("XDG_CONFIG_HOME"); config != nullptr && *config != '\0')
        return std::filesystem::path(config) / "glint" / "up.json";
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
        return std::filesystem::path(home) / ".config" / "glint" / "up.json";
    return {};
}

std::optional<glm::vec3> remembered_up(const std::filesystem::path& scene) {
    if (scene.empty()) return std::nullopt;
    const nlohmann::json settings = read_settings(up_settings_path());
    const auto it = settings.find(key_of(scene));
    if (it == settings.end()) return std::nullopt;
    if (!it->is_array() || it->size() != 3 || !(*it)[0].is_number() || !(*it)[1].is_number() ||
        !(*it)[2].is_number()) {
        log::warn(up_settings_path().string(), ": the entry for ", scene.string(),
                  " is not [x, y, z]; ignored");
        return std::nullopt;
    }
    const glm::vec3 up((*it)[0].get<float>(), (*it)[1].get<float>(), (*it)[2].get<float>());
    if (!(glm::length(up) > 0.0f) || !std::isfinite(glm::length(up))) return std::nullopt;
    return glm::normalize(up);
}

void remember_up(const std::filesystem::path& scene, glm::vec3 up) {
    const std::filesystem::path file = up_settings_path();
    if (file.empty())
        throw Error("cannot remember the up direction: neither XDG_CONFIG_HOME nor HOME is set");
    nlohmann::json settings = read_settings(file);
    settings[key_of(scene)] = {up.x, up.y, up.z};
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    if (error) throw Error(cat(file.parent_path().string(), ": cannot create the folder: ", error.message()));
    AtomicFile out(file);
    out.write(std::string_view(settings.dump(2) + "\n"));
    out.commit();
}

}  // namespace glint
