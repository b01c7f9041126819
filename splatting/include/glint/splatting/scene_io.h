// Loading and saving Gaussian scenes by file extension: .ply, .splat, .spz, .gltf/.glb, .sog (or a SOG
// folder's meta.json) read and written, .ksplat read; *.compressed.ply writes PlayCanvas's compressed PLY,
// which is read from any .ply whose header has its layout.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "glint/splatting/gaussian_cloud.h"
#include "glint/splatting/lod.h"
#include "glint/splatting/ply_format.h"

namespace glint::splatting {

enum class SceneFormat { Ply, Splat, Spz, CompressedPly, Ksplat, Gltf, Sog };

// By extension, case-insensitive; SOG also by a file named meta.json or a folder holding one. Throws
// InputError naming the file and the supported extensions.
SceneFormat scene_format_for(const std::filesystem::path& path);
const char* scene_format_name(SceneFormat format);

struct LoadedScene {
    GaussianCloud cloud;
    SceneFormat format = SceneFormat::Ply;
    // "binary_little_endian", "ascii", "32-byte records", "version 3, gzip, 12 fractional bits"
    std::string encoding;
    std::vector<std::string> skipped_properties;  // PLY vertex properties glint does not use
    std::vector<std::string> skipped_elements;    // PLY elements other than vertex
    bool written_by_glint = false;                // a PLY whose header names glint as its writer
    std::size_t file_bytes = 0;
    // A PLY written by `glint lod`: the Gaussian hierarchy over `cloud` (its leaves, in tree order).
    std::shared_ptr<const LodHierarchy> lod;
};

// Reads a scene; unknown PLY properties are logged as one warning. Throws InputError for bad input.
LoadedScene load_scene(const std::filesystem::path& path);
LoadedScene load_scene_from_memory(std::span<const std::byte> bytes, SceneFormat format,
                                   std::string_view name);

struct SaveOptions {
    PlyEncoding ply_encoding = PlyEncoding::BinaryLittleEndian;
    int spz_version = 4;  // 3 (one gzip stream, what older readers take) or 4 (zstd per array)
};

// Writes atomically: on failure the previous file at `path`, if any, is untouched.
void save_scene(const GaussianCloud& cloud, const std::filesystem::path& path,
                const SaveOptions& options = {});

}  // namespace glint::splatting
