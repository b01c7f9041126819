// Niantic's .spz: quantised Gaussians, compressed. Versions 2 and 3 are one gzip stream holding a 16-byte
// header (magic "NGSP", version, count, SH degree, fractional bits, flags) and the arrays one after the
// other: positions (24-bit signed fixed point), opacities (8 bits of sigmoid), colours (8 bits of
// 0.5 + 0.15 f_dc), log-scales (8 bits of 16 (s + 10)), rotations (v2: x, y, z in 8 bits with w >= 0;
// v3: the smallest three components in 9 bits and a sign, the largest's index in 2), SH (8 bits of
// 128 + 128 c, coefficient-major, the same order as glint's sh_rest). Version 4 keeps the header outside
// any compression (32 bytes: the stream count and the offset of a table of compressed and plain sizes)
// and stores each array as its own zstd stream, with version 3's rotations.
//
// glint reads versions 2, 3 and 4 (not version 1's float16 positions, never released, nor files with
// extensions) and writes 3 or 4. SPZ's axes are RUB (the reference library's convention); glint turns
// them into the reference PLY's (a half turn about x: y and z negated, quaternions and SH to match) when
// reading and back when writing. Round trip:
//   position  within 0.5 / 2^F, F the fractional bits: 12 (1/8192 ~ 0.00012) when every |coordinate|
//             is below 2048, fewer for larger scenes (F chosen so the largest fits 24 bits)
//   log-scale within 1/32 in [-10, 5.94] (clamped outside)
//   opacity   sigmoid within 0.5 / 255 (read back clamped to [0.5/255, 1 - 0.5/255])
//   f_dc      within 0.5 / (255 * 0.15) ~ 0.0131 in [-3.33, 3.33] (clamped outside)
//   rotation  each component of the unit quaternion within about 0.001 (9 bits over [0, 1/sqrt 2])
//   SH rest   degree 1 within 4.5/128 ~ 0.035, degrees 2-3 within 8.5/128 ~ 0.066 (the reference's 5 and
//             4 bits, on top of the byte's rounding), in [-1, 127/128]; 4D fields cannot be stored (an
//             error).
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

struct SpzInfo {
    int version = 0;
    int fractional_bits = 0;
    bool antialiased = false;  // the file says its Gaussians were trained with the Mip-Splatting filter
    // "gzip" (v2, v3) or "zstd streams" (v4).
    std::string compression;
};

// Throws InputError naming `name` and the problem for anything that is not a valid .spz (truncated,
// lying sizes, unknown version, bad compression, non-finite values).
GaussianCloud read_spz(std::span<const std::byte> bytes, std::string_view name, SpzInfo* info = nullptr);

// Version 4 (the newest) or 3. Throws InputError for a 4D cloud or a version glint does not write.
std::vector<std::byte> encode_spz(const GaussianCloud& cloud, int version = 4);
void write_spz(const GaussianCloud& cloud, const std::filesystem::path& path, int version = 4);

}  // namespace glint::splatting
