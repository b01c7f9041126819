// The 32-byte-per-Gaussian .splat layout used by web viewers.
//
// Each record: position float32 x3, scale float32 x3 (linear, not log), colour RGBA uint8 x4
// (RGB = 255 * (0.5 + C0 * f_dc), A = 255 * sigmoid(opacity)), rotation uint8 x4 (w, x, y, z of the
// unit quaternion mapped from [-1, 1] by q * 128 + 128). SH degree 0 only. Quantization on a round trip:
//   position  exact
//   scale     exact up to the float rounding of the stored log-scale (relative error < 1e-6)
//   colour    f_dc within 0.5 / 255 / C0 ~ 0.0070 while 0.5 + C0 * f_dc lies in [0, 1] (clamped outside)
//   opacity   sigmoid(opacity) within 0.5 / 255 ~ 0.0020 (read back clamped to [0.5/255, 1 - 0.5/255]
//             so the logit stays finite)
//   rotation  each unit-quaternion component within 0.5 / 128 ~ 0.0039, except components above
//             127.5 / 128, which the byte range clips to 127 / 128 (error up to 1 / 128 ~ 0.0078);
//             the renderer renormalizes
//   SH rest   dropped (a warning says so when the source has degree > 0); 4D fields are not stored.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

inline constexpr std::size_t kSplatRecordBytes = 32;

// Throws InputError when the size is zero or not a multiple of 32, or a value is NaN/infinite/negative scale.
GaussianCloud read_splat(std::span<const std::byte> bytes, std::string_view name);
GaussianCloud read_splat_file(const std::filesystem::path& path);

void write_splat(const GaussianCloud& cloud, const std::filesystem::path& path);
std::vector<std::byte> encode_splat(const GaussianCloud& cloud);

}  // namespace glint::splatting
