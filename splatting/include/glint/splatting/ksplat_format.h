// GaussianSplats3D's .ksplat (compression modes 0, 1 and 2), read only. Values come back as stored:
// mode 0 exactly; modes 1 and 2 with positions within half a quantisation step of their bucket
// (block size / 2 / range), scales and rotations at float16 precision, SH as float16 (mode 1) or a byte
// over the file's SH range (mode 2), colour and opacity as bytes.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::splatting {

struct KsplatInfo {
    std::string version;
    int compression_mode = 0;
    unsigned sections = 0;
};

// Throws InputError naming `name` and the problem (truncated, inconsistent counts, unknown mode or
// version, non-finite values).
GaussianCloud read_ksplat(std::span<const std::byte> bytes, std::string_view name,
                          KsplatInfo* info = nullptr);

}  // namespace glint::splatting
