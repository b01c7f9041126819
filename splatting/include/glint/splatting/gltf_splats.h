// glTF 2.0 scenes with the KHR_gaussian_splatting extension (.gltf with embedded buffers, .glb): every
// splat primitive of the default scene (its node transforms applied: rotations and uniform scales),
// attributes as the extension defines them (quantised rotation, scale and opacity accessors included),
// SH degrees 0-3, COLOR_0 used when SH_DEGREE_0_COEF_0 is absent. glTF is y-up: the splats are turned into
// the reference PLY's axes (a half turn about x) when read and back when written. Written with float
// accessors, the extension's defaults (ellipse kernel, srgb_rec709_display, perspective,
// cameraDistance) and COLOR_0 for viewers without the extension.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

// Throws InputError naming `name` and the problem (not glTF, no splat primitive, missing or mismatched
// attributes, an uneven node scale, non-finite values).
GaussianCloud read_gltf_splats(std::span<const std::byte> bytes, std::string_view name);
// .glb writes the binary container, anything else .gltf with embedded buffers; written to a temporary
// file and renamed over the destination.
void write_gltf_splats(const GaussianCloud& cloud, const std::filesystem::path& path);

}  // namespace glint::splatting
