// PlayCanvas / SuperSplat's compressed PLY: Gaussians in chunks of 256, each chunk with its bounds
// ("chunk" element: min/max of x, y, z, of the log-scales and, optionally, of r, g, b), every Gaussian in
// four 32-bit words ("vertex": position 11/10/11 bits within its chunk's box, rotation as the largest
// component's index and the other three in 10 bits, log-scale 11/10/11 bits within the chunk's range,
// colour and opacity 8 bits each) and, optionally, SH in bytes ("sh": f_rest_0.. as the reference PLY
// orders them, (byte + 0.5) / 256 mapped onto [-4, 4]). Recognised by its header whatever the file is
// called; written for files named *.compressed.ply, in Morton order (the order changes: chunks of nearby
// Gaussians have tight boxes). Round trip, per chunk of box extent E (positions), R (log-scales) and
// colour range C:
//   position   within E / 2047 / 2 per axis (10 bits for y: E / 1023 / 2)
//   log-scale  within R / 2047 / 2 (y: R / 1023 / 2)
//   colour     0.5 + C0 f_dc within C / 255 / 2; opacity (activated) within 0.5 / 255
//   rotation   components within about 0.0007 (10 bits over [-1/sqrt 2, 1/sqrt 2])
//   SH         within 8 / 256 / 2 = 0.0156 in [-4, 4]; 4D fields cannot be stored (an error)
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

// Whether a PLY file's header (its first bytes; up to end_header is enough) is the compressed layout.
bool is_compressed_ply(std::span<const std::byte> head);

// Throws InputError naming `name` and the problem (wrong schema, truncated, non-finite bounds).
GaussianCloud read_compressed_ply(std::span<const std::byte> bytes, std::string_view name);

std::vector<std::byte> encode_compressed_ply(const GaussianCloud& cloud);
void write_compressed_ply(const GaussianCloud& cloud, const std::filesystem::path& path);

}  // namespace glint::splatting
