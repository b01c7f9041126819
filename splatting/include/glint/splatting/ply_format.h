// The reference 3DGS PLY format (binary little-endian and ASCII), with glint's 4D extension.
//
// Vertex properties read (any order, float or double):
//   x y z, f_dc_0..2, f_rest_0..(3K-1) (K = 0, 3, 8, 15: SH degree 0..3, channel-major), opacity,
//   scale_0..2, rot_0..3 (w, x, y, z); 4D scenes add t, scale_t and rot_r_0..3.
// nx ny nz are accepted and ignored; any other property is skipped and listed in PlyReadResult.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "glint/core/ply_header.h"
#include "glint/splatting/gaussian_cloud.h"

namespace glint {
class StreamedFile;
}

namespace glint::splatting {

using glint::PlyEncoding;  // core/ply_header.h

struct PlyReadResult {
    GaussianCloud cloud;
    PlyEncoding encoding = PlyEncoding::BinaryLittleEndian;
    std::vector<std::string> skipped_properties;  // vertex properties glint does not use
    std::vector<std::string> skipped_elements;    // elements other than "vertex"
    bool written_by_glint = false;                // its header says "comment written by glint"
};

// Parses a whole PLY file held in memory. `name` (usually the path) prefixes every error message.
// Throws InputError for anything malformed: bad header, unsupported encoding, missing or mistyped
// properties, truncated body, trailing data, NaN or infinite values.
PlyReadResult read_ply(std::span<const std::byte> bytes, std::string_view name);
// Parses the binary body while the file is still being read.
PlyReadResult read_ply(const StreamedFile& file, std::string_view name);
PlyReadResult read_ply_file(const std::filesystem::path& path);

// Writes atomically (temporary file, then rename). Normals are written as zeros, like the reference.
void write_ply(const GaussianCloud& cloud, const std::filesystem::path& path,
               PlyEncoding encoding = PlyEncoding::BinaryLittleEndian);
// The same bytes, in memory.
std::vector<std::byte> encode_ply(const GaussianCloud& cloud,
                                  PlyEncoding encoding = PlyEncoding::BinaryLittleEndian);

}  // namespace glint::splatting
