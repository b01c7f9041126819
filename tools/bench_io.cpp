// glint-bench-io: read and write throughput of the scene formats on generated scenes (median of runs).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "glint/core/log.h"
#include "glint/splatting/ply_format.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/splat_format.h"
#include "scene_generators.h"

namespace {

// Median wall time of `work` over `runs` runs; `prepare` runs before each, untimed.
double median_seconds(int runs, const std::function<void()>& work,
                      const std::function<void()>& prepare = {}) {
    std::vector<double> times;
    for (int r = 0; r < runs; ++r) {
        if (prepare) prepare();
        const auto start = std::chrono::steady_clock::now();
        work();
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// Writes back dirty pages and empties the page cache, so the next read comes from the disk.
bool drop_page_cache() {
    ::sync();
    std::FILE* control = std::fopen("/proc/sys/vm/drop_caches", "w");
    if (control == nullptr) return false;
    const bool ok = std::fputs("3\n", control) >= 0;
    return std::fclose(control) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "Times reading and writing scene files (files stay in the page cache: this measures the parser)",
        "glint-bench-io"};
    std::vector<std::size_t> counts = {100000, 1000000};
    int sh_degree = 3;
    int runs = 5;
    bool ascii = false;
    std::string folder = std::filesystem::temp_directory_path().string();
    app.add_option("--counts", counts, "Gaussian counts to test");
    app.add_option("--sh-degree", sh_degree, "SH degree of the generated scenes")->check(CLI::Range(0, 3));
    app.add_option("--runs", runs, "Runs per measurement (the median is reported)")
        ->check(CLI::PositiveNumber);
    app.add_flag("--ascii", ascii, "Also time ASCII PLY");
    app.add_option("--dir", folder, "Folder for the temporary files");
    bool cold = false;
    app.add_flag("--cold", cold, "Drop the page cache before each read (needs root): measures the disk too");
    CLI11_PARSE(app, argc, argv);
    // Writing .splat from SH degree 3 warns that coefficients are dropped: expected here.
    glint::log::set_level(glint::log::Level::Error);

    std::printf("%-10s %-12s %10s %10s %11s %11s %12s\n", "format", "Gaussians", "file MiB", "read ms",
                "read MB/s", "write ms", "write MB/s");
    for (const std::size_t count : counts) {
        glint::tools::RandomSceneOptions options;
        options.count = count;
        options.sh_degree = sh_degree;
        const glint::splatting::GaussianCloud cloud = glint::tools::make_random_scene(options);
        struct Case {
            const char* name;
            const char* extension;
            glint::splatting::PlyEncoding encoding;
        };
        std::vector<Case> cases = {{"ply", ".ply", glint::splatting::PlyEncoding::BinaryLittleEndian},
                                   {"splat", ".splat", glint::splatting::PlyEncoding::BinaryLittleEndian},
                                   {"spz", ".spz", glint::splatting::PlyEncoding::BinaryLittleEndian},
                                   {"compressed-ply", ".compressed.ply", glint::splatting::PlyEncoding::BinaryLittleEndian},
                                   {"sog", ".sog", glint::splatting::PlyEncoding::BinaryLittleEndian}};
        if (ascii) cases.push_back({"ply-ascii", ".ply", glint::splatting::PlyEncoding::Ascii});
        for (const Case& c : cases) {
            const std::filesystem::path path = std::filesystem::path(folder) /
                                               ("glint-bench-io-" + std::to_string(::getpid()) + c.extension);
            glint::splatting::SaveOptions save;
            save.ply_encoding = c.encoding;
            const double write =
                median_seconds(runs, [&] { glint::splatting::save_scene(cloud, path, save); });
            std::size_t loaded = 0;
            const double read = median_seconds(
                runs, [&] { loaded = glint::splatting::load_scene(path).cloud.size(); },
                [&] {
                    if (cold && !drop_page_cache())
                        throw std::runtime_error("--cold: cannot drop the page cache (needs root)");
                });
            const double mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
            std::printf("%-10s %-12zu %10.1f %10.1f %11.0f %11.1f %12.0f\n", c.name, loaded, mb / 1.048576,
                        read * 1e3, mb / read, write * 1e3, mb / write);
            std::filesystem::remove(path);
        }
    }
    return 0;
}
