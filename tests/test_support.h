// Helpers shared by the glint tests: log capture, temporary folders, byte buffers, error matching.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "glint/core/camera.h"
#include "glint/core/error.h"
#include "glint/nerf/model.h"
#include "glint/splatting/gaussian_cloud.h"

namespace glint::test {

// Paths baked in by CMake. data_dir() is tests/data: every fixture a test reads lives there.
std::filesystem::path source_dir();
std::filesystem::path data_dir();

// Marks the running test case as skipped (no GPU, no display), with the reason: the caller returns
// right after. A run in which every test case skipped exits with kSkipExitCode, which CTest reports as
// "Skipped" rather than passed; a run of several cases prints how many skipped.
constexpr int kSkipExitCode = 77;  // the automake convention; CTest's SKIP_RETURN_CODE is set to it
void skip(std::string_view reason);
std::filesystem::path glint_binary();

// While alive, warnings go into messages() instead of failing the running test.
class LogCapture {
public:
    LogCapture();
    ~LogCapture();
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    const std::vector<std::string>& warnings() const { return m_warnings; }
    bool contains(std::string_view text) const;

private:
    std::vector<std::string> m_warnings;
};

// A fresh folder under the system temp folder, removed with its contents on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(std::string_view name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

// PSNR (dB, colours in [0, 1]) between two clouds rendered by the CPU rasterizer from `camera`.
double render_psnr(const splatting::GaussianCloud& a, const splatting::GaussianCloud& b,
                   const Camera& camera);

// The angle between two quaternions (w, x, y, z; any length) as rotations, in radians.
float rotation_angle(const float* a, const float* b);

inline std::span<const std::byte> as_bytes(std::string_view text) {
    return std::as_bytes(std::span(text.data(), text.size()));
}
std::vector<std::byte> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, std::span<const std::byte> bytes);

// Runs `action`, requires it to throw InputError, and requires the message to contain every piece.
void check_input_error(const std::function<void()>& action, std::initializer_list<std::string_view> pieces);

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};
// Runs the glint binary with `arguments` (a shell-quoted string) and captures its output.
CommandResult run_glint(const std::string& arguments);
// A path in single quotes for the shell.
std::string quoted(const std::filesystem::path& path);
// The same, with `prefix` before the binary (e.g. "xvfb-run -a").
CommandResult run_glint_under(const std::string& prefix, const std::string& arguments);

// PSNR in dB of an RGB image file against an RGBA dataset image composited over white (how datasets with
// transparent backgrounds are rendered for comparison). Requires the sizes to match.
double psnr_over_white(const std::filesystem::path& rendered_rgb, const std::filesystem::path& truth_rgba);

// The last row of a training CSV as numbers (iteration, seconds, count, test PSNR, SSIM, L1); empty when
// the file has no data row.
std::vector<double> last_csv_row(const std::filesystem::path& path);

// A hash-grid NeRF configuration small enough for tests that build models by hand (4 levels of 2^12, 16
// wide networks, a 16^3 occupancy grid, 128 steps).
nerf::NerfConfig small_nerf_config();

}  // namespace glint::test
