// Format dispatch for scene files.
#include "glint/splatting/scene_io.h"

#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/mapped_file.h"
#include "glint/core/text.h"
#include "glint/splatting/splat_format.h"

namespace glint::splatting {

SceneFormat scene_format_for(const std::filesystem::path& path) {
    const std::string extension = to_lower(path.extension().string());
    if (extension == ".ply") return SceneFormat::Ply;
    if (extension == ".splat") return SceneFormat::Splat;
    throw InputError(cat(path.string(), ": unsupported scene format '",
                         extension.empty() ? "(no extension)" : extension, "' (supported: .ply, .splat)"));
}

const char* scene_format_name(SceneFormat format) {
    switch (format) {
        case SceneFormat::Ply:
            return "PLY";
        case SceneFormat::Splat:
            return "splat";
    }
    return "?";
}

LoadedScene load_scene_from_memory(std::span<const std::byte> bytes, SceneFormat format,
                                   std::string_view name) {
    LoadedScene scene;
    scene.format = format;
    scene.file_bytes = bytes.size();
    if (format == SceneFormat::Splat) {
        scene.cloud = read_splat(bytes, name);
        scene.encoding = "32-byte records";
        return scene;
    }
    PlyReadResult ply = read_ply(bytes, name);
    scene.cloud = std::move(ply.cloud);
    scene.encoding = ply.encoding == PlyEncoding::Ascii ? "ascii" : "binary_little_endian";
    scene.skipped_properties = std::move(ply.skipped_properties);
    scene.skipped_elements = std::move(ply.skipped_elements);
    if (!scene.skipped_properties.empty()) {
        std::string list;
        for (const std::string& p : scene.skipped_properties) list += (list.empty() ? "" : ", ") + p;
        log::warn(name, ": skipped ", scene.skipped_properties.size(),
                  " vertex properties glint does not use: ", list);
    }
    return scene;
}

LoadedScene load_scene(const std::filesystem::path& path) {
    const MappedFile file(path);  // first, so a missing file or a directory is reported as such
    const SceneFormat format = scene_format_for(path);
    return load_scene_from_memory(file.bytes(), format, path.string());
}

void save_scene(const GaussianCloud& cloud, const std::filesystem::path& path, const SaveOptions& options) {
    switch (scene_format_for(path)) {
        case SceneFormat::Ply:
            write_ply(cloud, path, options.ply_encoding);
            return;
        case SceneFormat::Splat:
            write_splat(cloud, path);
            return;
    }
}

}  // namespace glint::splatting
