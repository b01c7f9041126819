// PlayCanvas's SOG: a meta.json and lossless WebP textures holding one texel per Gaussian, in Morton
// order, either as a folder (meta.json beside its images) or bundled into one `.sog` zip archive.
// Version 2 (what PlayCanvas's tools write today):
//   means_l/means_u  16-bit position per axis (low and high bytes) over [mins, maxs] of
//                    sign(x) ln(|x| + 1), per axis
//   quats            the three smallest components of the unit quaternion times sqrt 2 in 8 bits, the
//                    largest's index as 252 + i in alpha (the largest made positive)
//   scales           three indices into a 256-entry codebook of log-scales
//   sh0              three indices into a 256-entry codebook of f_dc; alpha = 255 x opacity
//   shN (SH > 0)     a 16-bit label per Gaussian into a palette of at most 65,536 SH vectors (64 per
//                    row of shN_centroids, one texel per coefficient, RGB = indices into a 256-entry
//                    codebook of SH values)
// Version 1 (meta.json without "version") stores scales, colours, the opacity logit and SH as 8-bit lerps
// between per-channel minimum and maximum; it is read, not written. The axes are the reference PLY's.
//
// glint writes version 2: codebooks by Lloyd's algorithm in one dimension (values weighted against their
// density, started at quantiles), the SH palette by recursive cuts across the principal axis of the SH
// vectors (each half given entries in proportion to its squared error), WebP lossless with the RGB under
// transparent alpha kept. Losses of a write and read:
//   position  within (|x| + 1) R / 131070 per axis, R the range of sign(x) ln(|x| + 1) over the scene
//   rotation  the three smallest components within sqrt 2 x 0.5/255; 0.019 rad as a rotation
//   opacity   within 0.5/255
//   log-scale, f_dc, SH  the codebook entry nearest the value; SH also the palette's averaging when there
//             are more Gaussians than entries
//   4D fields not stored: writing a 4D scene is an error
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

struct SogInfo {
    int version = 0;            // 1 or 2
    bool archive = false;       // a .sog zip rather than a folder
    int width = 0, height = 0;  // the per-Gaussian textures
    int palette = 0;            // SH palette entries (0 without SH)
    std::size_t bytes = 0;      // meta.json and the images read
};

// True for `*.sog`, a file named meta.json, or a folder holding a meta.json.
bool is_sog_path(const std::filesystem::path& path);

// Reads a `.sog` archive, a meta.json (its images beside it) or a folder holding meta.json. Throws
// InputError naming the file (and the member) and the problem for anything malformed: a bad archive,
// missing or undecodable images, images smaller than the count says, codebooks of the wrong length,
// labels past the palette, non-finite values.
GaussianCloud read_sog(const std::filesystem::path& path, SogInfo* info = nullptr);
// The same for the bytes of a `.sog` archive.
GaussianCloud read_sog_archive(std::span<const std::byte> bytes, std::string_view name,
                               SogInfo* info = nullptr);

// The bytes of a version 2 `.sog` archive. Throws InputError for a 4D or non-finite scene.
std::vector<std::byte> encode_sog_archive(const GaussianCloud& cloud);
// `*.sog` writes the archive; a path named meta.json writes the folder form (the images beside it, then
// meta.json, each atomically). Throws InputError for anything else.
void write_sog(const GaussianCloud& cloud, const std::filesystem::path& path);

}  // namespace glint::splatting
