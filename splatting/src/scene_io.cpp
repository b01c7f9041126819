// Format dispatch for scene files.
#include "glint/splatting/scene_io.h"

#include <algorithm>
#include <cstring>

#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/streamed_file.h"
#include "glint/core/text.h"
#include "glint/splatting/compressed_ply.h"
#include "glint/splatting/gltf_splats.h"
#include "glint/splatting/ksplat_format.h"
#include "glint/splatting/sog_format.h"
#include "glint/splatting/splat_format.h"
#include "glint/splatting/spz_format.h"

namespace glint::splatting {

SceneFormat scene_format_for(const std::filesystem::path& path) {
    const std::string extension = to_lower(path.extension().string());
    if (extension == ".ply")
        return to_lower(path.filename().string()).ends_with(".compressed.ply") ? SceneFormat::CompressedPly
                                                                               : SceneFormat::Ply;
    if (extension == ".splat") return SceneFormat::Splat;
    if (extension == ".spz") return SceneFormat::Spz;
    if (extension == ".ksplat") return SceneFormat::Ksplat;
    if (extension == ".gltf" || extension == ".glb") return SceneFormat::Gltf;
    if (is_sog_path(path)) return SceneFormat::Sog;
    throw InputError(cat(path.string(), ": unsupported scene format '",
                         extension.empty() ? "(no extension)" : extension,
                         "' (supported: .ply, .splat, .spz, .ksplat, .gltf, .glb, .sog, SOG's meta.json)"));
}

const char* scene_format_name(SceneFormat format) {
    switch (format) {
        case SceneFormat::Ply:
            return "PLY";
        case SceneFormat::Splat:
            return "splat";
        case SceneFormat::Spz:
            return "SPZ";
        case SceneFormat::CompressedPly:
            return "compressed PLY";
        case SceneFormat::Ksplat:
            return "ksplat";
        case SceneFormat::Gltf:
            return "glTF KHR_gaussian_splatting";
        case SceneFormat::Sog:
            return "SOG";
    }
    return "?";
}

namespace {

LoadedScene from_ply(PlyReadResult ply, std::size_t file_bytes, std::string_view name) {
    LoadedScene scene;
    scene.format = SceneFormat::Ply;
    scene.file_bytes = file_bytes;
    scene.cloud = std::move(ply.cloud);
    scene.encoding = ply.encoding == PlyEncoding::Ascii ? "ascii" : "binary_little_endian";
    scene.skipped_properties = std::move(ply.skipped_properties);
    scene.skipped_elements = std::move(ply.skipped_elements);
    scene.written_by_glint = ply.written_by_glint;
    if (!scene.skipped_properties.empty())
        log::warn(name, ": skipped ", scene.skipped_properties.size(),
                  " vertex properties glint does not use: ", join(scene.skipped_properties, ", "));
    return scene;
}

// A scene read by a format other than PLY: nothing skipped, nothing to warn about.
LoadedScene loaded(GaussianCloud cloud, SceneFormat format, std::size_t file_bytes, std::string encoding) {
    LoadedScene scene;
    scene.cloud = std::move(cloud);
    scene.format = format;
    scene.file_bytes = file_bytes;
    scene.encoding = std::move(encoding);
    return scene;
}

LoadedScene from_splat(GaussianCloud cloud, std::size_t file_bytes) {
    return loaded(std::move(cloud), SceneFormat::Splat, file_bytes, "32-byte records");
}

LoadedScene from_spz(std::span<const std::byte> bytes, std::string_view name) {
    SpzInfo info;
    GaussianCloud cloud = read_spz(bytes, name, &info);
    return loaded(std::move(cloud), SceneFormat::Spz, bytes.size(),
                  cat("version ", info.version, ", ", info.compression, ", ", info.fractional_bits,
                      " fractional bits", info.antialiased ? ", trained anti-aliased" : ""));
}

LoadedScene from_compressed_ply(std::span<const std::byte> bytes, std::string_view name) {
    return loaded(read_compressed_ply(bytes, name), SceneFormat::CompressedPly, bytes.size(),
                  "chunks of 256, packed 32-bit words (PlayCanvas)");
}

LoadedScene from_ksplat(std::span<const std::byte> bytes, std::string_view name) {
    KsplatInfo info;
    GaussianCloud cloud = read_ksplat(bytes, name, &info);
    return loaded(std::move(cloud), SceneFormat::Ksplat, bytes.size(),
                  cat("version ", info.version, ", compression mode ", info.compression_mode, ", ",
                      info.sections, info.sections == 1 ? " section" : " sections"));
}

LoadedScene from_gltf(std::span<const std::byte> bytes, std::string_view name) {
    return loaded(
        read_gltf_splats(bytes, name), SceneFormat::Gltf, bytes.size(),
        bytes.size() >= 4 && std::memcmp(bytes.data(), "glTF", 4) == 0 ? "binary (.glb)" : "JSON (.gltf)");
}

LoadedScene from_sog(GaussianCloud cloud, const SogInfo& info, std::size_t file_bytes) {
    return loaded(std::move(cloud), SceneFormat::Sog, file_bytes,
                  cat("version ", info.version, ", ", info.archive ? "archive" : "folder", ", ", info.width,
                      "x", info.height, " WebP textures",
                      info.palette > 0 ? cat(", SH palette of ", info.palette) : std::string()));
}

}  // namespace

LoadedScene load_scene_from_memory(std::span<const std::byte> bytes, SceneFormat format,
                                   std::string_view name) {
    if (format == SceneFormat::Splat) return from_splat(read_splat(bytes, name), bytes.size());
    if (format == SceneFormat::Spz) return from_spz(bytes, name);
    if (format == SceneFormat::Ksplat) return from_ksplat(bytes, name);
    if (format == SceneFormat::Gltf) return from_gltf(bytes, name);
    if (format == SceneFormat::Sog) {
        SogInfo info;
        GaussianCloud cloud = read_sog_archive(bytes, name, &info);
        return from_sog(std::move(cloud), info, bytes.size());
    }
    if (format == SceneFormat::CompressedPly ||
        is_compressed_ply(bytes.first(std::min<std::size_t>(bytes.size(), 8192))))
        return from_compressed_ply(bytes, name);
    return from_ply(read_ply(bytes, name), bytes.size(), name);
}

LoadedScene load_scene(const std::filesystem::path& path) {
    if (is_sog_path(path)) {  // a folder, a meta.json and its images, or an archive
        SogInfo info;
        GaussianCloud cloud = read_sog(path, &info);
        std::error_code error;
        const bool archive = info.archive && std::filesystem::is_regular_file(path, error);
        return from_sog(
            std::move(cloud), info,
            archive ? static_cast<std::size_t>(std::filesystem::file_size(path, error)) : info.bytes);
    }
    const StreamedFile file(path);  // first, so a missing file or a directory is reported as such
    const SceneFormat format = scene_format_for(path);
    const std::string name = path.string();
    if (format == SceneFormat::Splat) {
        file.wait_for(file.size());
        return from_splat(read_splat(file.bytes(), name), file.size());
    }
    if (format == SceneFormat::Spz) {
        file.wait_for(file.size());
        return from_spz(file.bytes(), name);
    }
    if (format == SceneFormat::Ksplat) {
        file.wait_for(file.size());
        return from_ksplat(file.bytes(), name);
    }
    if (format == SceneFormat::Gltf) {
        file.wait_for(file.size());
        return from_gltf(file.bytes(), name);
    }
    // A compressed PLY is recognised by its header, whatever the file is called.
    const std::size_t head = std::min<std::size_t>(file.size(), 8192);
    file.wait_for(head);
    if (format == SceneFormat::CompressedPly || is_compressed_ply(file.bytes().first(head))) {
        file.wait_for(file.size());
        return from_compressed_ply(file.bytes(), name);
    }
    LoadedScene scene = from_ply(read_ply(file, name), file.size(), name);
    if (std::find(scene.skipped_elements.begin(), scene.skipped_elements.end(), "lod_node") !=
        scene.skipped_elements.end()) {
        file.wait_for(file.size());
        if (auto lod = read_lod_hierarchy(file.bytes(), name, scene.cloud))
            scene.lod = std::make_shared<const LodHierarchy>(std::move(*lod));
    }
    return scene;
}

void save_scene(const GaussianCloud& cloud, const std::filesystem::path& path, const SaveOptions& options) {
    const SceneFormat format = scene_format_for(path);
    if (const auto& colour = cloud.background(); colour && format != SceneFormat::Ply)
        log::warn(path.string(), ": this format does not keep the scene's learnt background (", (*colour)[0],
                  ", ", (*colour)[1], ", ", (*colour)[2], "): render it with --background ", (*colour)[0],
                  ",", (*colour)[1], ",", (*colour)[2], ", or write a .ply");
    switch (format) {
        case SceneFormat::Ply:
            write_ply(cloud, path, options.ply_encoding);
            return;
        case SceneFormat::Splat:
            write_splat(cloud, path);
            return;
        case SceneFormat::Spz:
            write_spz(cloud, path, options.spz_version);
            return;
        case SceneFormat::CompressedPly:
            write_compressed_ply(cloud, path);
            return;
        case SceneFormat::Gltf:
            write_gltf_splats(cloud, path);
            return;
        case SceneFormat::Sog:
            write_sog(cloud, path);
            return;
        case SceneFormat::Ksplat:
            throw InputError(cat(path.string(),
                                 ": glint reads .ksplat but does not write it (write .spz, .sog, "
                                 ".compressed.ply, .glb, .splat or .ply)"));
    }
}

}  // namespace glint::splatting
