// NumPy .npy arrays (format versions 1-3): little-endian float64 or float32 in C order, read as double;
// written as float64. Enough for the camera files that come as .npy (LLFF's poses_bounds.npy).
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

namespace glint {

struct NpyArray {
    std::vector<std::size_t> shape;
    std::vector<double> data;  // row-major
};

// Throws InputError naming the file for anything else: a bad magic or header, another dtype, Fortran
// order, a size that disagrees with the shape, non-finite values.
NpyArray read_npy(const std::filesystem::path& path);
// Atomic.
void write_npy(const std::filesystem::path& path, const std::vector<std::size_t>& shape,
               std::span<const double> data);

}  // namespace glint
