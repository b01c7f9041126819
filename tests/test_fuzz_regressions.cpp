// Inputs the libFuzzer targets produced (tests/fuzz/regressions): each must load or be rejected cleanly.
#include <doctest/doctest.h>

#include <algorithm>

#include "glint/splatting/compressed_ply.h"
#include "glint/splatting/gltf_splats.h"
#include "glint/splatting/ksplat_format.h"
#include "glint/splatting/ply_format.h"
#include "glint/splatting/splat_format.h"
#include "glint/splatting/sog_format.h"
#include "glint/splatting/spz_format.h"
#include "test_support.h"

using namespace glint;

namespace {

std::vector<std::filesystem::path> files_in(const std::filesystem::path& folder) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        if (entry.is_regular_file() && entry.path().filename() != "README.md") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

template <typename Read>
void replay(const char* folder, Read read) {
    const auto files = files_in(test::source_dir() / "tests/fuzz/regressions" / folder);
    REQUIRE_MESSAGE(!files.empty(),
                    (std::string("no regression inputs in tests/fuzz/regressions/") + folder));
    int loaded = 0, rejected = 0;
    for (const auto& path : files) {
        CAPTURE(path.filename().string());
        const std::vector<std::byte> bytes = test::read_bytes(path);
        try {
            read(bytes);
            ++loaded;
        } catch (const InputError& e) {
            ++rejected;
            CHECK(std::string(e.what()).starts_with("fuzz-input: "));
        }
    }
    MESSAGE(std::string(folder), ": ", files.size(), " inputs, ", loaded, " loaded, ", rejected, " rejected");
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("PLY fuzz regressions load or are rejected with InputError") {
    replay("ply", [](std::span<const std::byte> bytes) { splatting::read_ply(bytes, "fuzz-input"); });
}

TEST_CASE(".splat fuzz regressions load or are rejected with InputError") {
    replay("splat", [](std::span<const std::byte> bytes) { splatting::read_splat(bytes, "fuzz-input"); });
}

TEST_CASE(".spz fuzz regressions load or are rejected with InputError") {
    replay("spz", [](std::span<const std::byte> bytes) { splatting::read_spz(bytes, "fuzz-input"); });
}

TEST_CASE("glTF KHR_gaussian_splatting fuzz regressions load or are rejected with InputError") {
    replay("gltf", [](std::span<const std::byte> bytes) { splatting::read_gltf_splats(bytes, "fuzz-input"); });
}

TEST_CASE(".ksplat fuzz regressions load or are rejected with InputError") {
    replay("ksplat", [](std::span<const std::byte> bytes) { splatting::read_ksplat(bytes, "fuzz-input"); });
}

TEST_CASE("compressed PLY fuzz regressions load or are rejected with InputError") {
    replay("compressed_ply",
           [](std::span<const std::byte> bytes) { splatting::read_compressed_ply(bytes, "fuzz-input"); });
}

TEST_CASE("SOG archive fuzz regressions load or are rejected with InputError") {
    replay("sog", [](std::span<const std::byte> bytes) { splatting::read_sog_archive(bytes, "fuzz-input"); });
}

TEST_SUITE_END();
