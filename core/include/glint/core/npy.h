// NumPy .npy arrays (format versions 1-3): little-endian float64 or float32 in C order, read as double;
// written as float64. Enough for the camera files that come as .npy (LLFF's poses_bounds.npy) and the
// point clouds that come as .npz archives of them (Dynamic 3D Gaussians' init_pt_cld.npz), through libzip.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>
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

// The .npy arrays of a .npz archive (numpy.savez, stored or deflated), by name without ".npy"; other
// entries are skipped. Throws InputError naming the file (and the entry) for an unreadable archive or
// any array read_npy would refuse.
std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path);
struct NpzEntry {
    std::vector<std::size_t> shape;
    std::span<const double> data;
};
// Atomic; each array as float64, deflated as numpy.savez_compressed does.
void write_npz(const std::filesystem::path& path, const std::map<std::string, NpzEntry>& arrays);

}  // namespace glint
