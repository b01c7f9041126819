// core: atomic file writes, memory-mapped reads, text helpers, backends, logging.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <vector>

#include "glint/core/adam.h"
#include "glint/core/atomic_file.h"
#include "glint/core/backend.h"
#include "glint/core/log.h"
#include "glint/core/radix_sort.h"
#include "glint/core/streamed_file.h"
#include "glint/core/text.h"
#include "glint/splatting/activate.h"
#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

using namespace glint;

TEST_SUITE_BEGIN("cpu");

TEST_CASE("AtomicFile replaces the destination only on commit") {
    test::TempDir dir;
    const auto path = dir / "out.bin";
    test::write_bytes(path, test::as_bytes("previous"));
    {
        AtomicFile file(path);
        file.write("partial");
        CHECK(std::filesystem::exists(file.temporary_path()));
        // Abandoned without commit (as when an exception unwinds): the previous file stays.
    }
    {
        std::ifstream in(path);
        std::string text;
        in >> text;
        CHECK(text == "previous");
    }
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
    {
        AtomicFile file(path);
        file.write("new");
        file.commit();
    }
    std::ifstream in(path);
    std::string text;
    in >> text;
    CHECK(text == "new");
}

TEST_CASE("AtomicFile removes temporaries a killed write left, and only those") {
    test::TempDir dir;
    const auto path = dir / "scene.ply";
    // A process that has exited: its pid names a write that can no longer finish.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) ::_exit(0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    const std::string dead = "scene.ply.tmp-" + std::to_string(child) + "-0";
    const std::string alive = "scene.ply.tmp-" + std::to_string(::getppid()) + "-3";  // a live process
    const std::string other = "other.ply.tmp-" + std::to_string(child) + "-0";        // another target
    for (const std::string& name : {dead, alive, other}) std::ofstream(dir / name) << "partial";
    {
        AtomicFile file(path);
        file.write(std::string_view("ply"));
        file.commit();
    }
    CHECK_FALSE(std::filesystem::exists(dir / dead));
    CHECK(std::filesystem::exists(dir / alive));
    CHECK(std::filesystem::exists(dir / other));
    CHECK(std::filesystem::exists(path));
}

TEST_CASE("AtomicFile errors name the file") {
    test::check_input_error([] { AtomicFile file("/tmp"); }, {"/tmp", "is a directory"});
    CHECK_THROWS_AS(AtomicFile("/nonexistent-folder/out.ply"), Error);
}

TEST_CASE("StreamedFile reads whole files across many chunks, and empty ones") {
    test::TempDir dir;
    std::vector<std::byte> pattern((std::size_t{20} << 20) + 12345);  // several 8 MiB chunks and a remainder
    for (std::size_t i = 0; i < pattern.size(); ++i)
        pattern[i] = static_cast<std::byte>((i * 2654435761u) >> 13);
    test::write_bytes(dir / "big", pattern);
    test::write_bytes(dir / "empty", {});
    {
        const StreamedFile file(dir / "big");
        REQUIRE(file.size() == pattern.size());
        file.wait_for(100);  // a prefix first, as a parser would
        CHECK(std::memcmp(file.bytes().data(), pattern.data(), 100) == 0);
        file.wait_for(file.size() * 2);  // more than the file: waits for all of it
        CHECK(std::memcmp(file.bytes().data(), pattern.data(), pattern.size()) == 0);
    }
    {
        const StreamedFile abandoned(dir / "big");  // destroyed while reading: stops cleanly
    }
    const StreamedFile empty(dir / "empty");
    CHECK(empty.bytes().empty());
    empty.wait_for(10);
    test::check_input_error([&] { StreamedFile file(dir / "missing"); }, {"missing", "no such file"});
    test::check_input_error([&] { StreamedFile file(dir.path()); }, {"is a directory"});
}

TEST_CASE("human_bytes, join and to_lower") {
    CHECK(human_bytes(0) == "0 B");
    CHECK(human_bytes(1023) == "1023 B");
    CHECK(human_bytes(1536) == "1.50 KiB");
    CHECK(human_bytes(250ull << 20) == "250 MiB");
    CHECK(to_lower("PLY.Splat") == "ply.splat");
    CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
    CHECK(join({"solo"}, ", ") == "solo");
    CHECK(join({}, ", ").empty());
    CHECK(printable("ok name") == "ok name");
    CHECK(printable(std::string_view("a\x01\r\xff", 4)) == "a\\x01\\x0D\\xFF");
    CHECK(printable(std::string(50, 'x'), 40) == std::string(40, 'x') + "...");
}

TEST_CASE("backend names and the reason CUDA is refused") {
    CHECK(parse_backend("CUDA") == Backend::Cuda);
    CHECK(parse_backend("cpu") == Backend::Cpu);
    CHECK(std::string(backend_name(Backend::Auto)) == "auto");
    test::check_input_error([] { parse_backend("metal"); }, {"unknown backend 'metal'"});
    const CudaStatus& status = cuda_status();
    CHECK(status.usable() == status.reason.empty());
    if (!status.usable()) {
        const splatting::GaussianCloud cloud(3, 0, false);
        std::string message;
        try {
            splatting::activate_gaussians(cloud, Backend::Cuda);
        } catch (const Error& e) {
            message = e.what();
        }
        CHECK(message.find("CUDA backend cannot be used") != std::string::npos);
        CHECK(message.find(status.reason) != std::string::npos);
        // Auto falls back to the CPU.
        CHECK(splatting::activate_gaussians(cloud, Backend::Auto).opacities.size() == 3);
    }
}

TEST_CASE("GLINT_CHECK throws ContractError with the condition, file and line") {
    std::string message;
    try {
        GLINT_CHECK(1 + 1 == 3, "arithmetic");
    } catch (const ContractError& e) {
        message = e.what();
    }
    CHECK(message.find("1 + 1 == 3") != std::string::npos);
    CHECK(message.find("test_core.cpp") != std::string::npos);
    CHECK(message.find("arithmetic") != std::string::npos);
}

TEST_CASE("Adam: bias-corrected steps as the paper writes them, zero gradients skipped when asked") {
    // Three steps of a few entries against the textbook rule in double precision.
    std::vector<float> values = {1.0f, -2.0f, 0.5f, 0.0f}, m(4, 0.0f), v(4, 0.0f);
    const std::vector<std::vector<float>> grads = {
        {0.1f, -3.0f, 0.0f, 1e-4f}, {0.2f, 2.0f, 0.0f, -1e-4f}, {-0.05f, 1.0f, 0.0f, 2e-4f}};
    std::vector<double> x(values.begin(), values.end()), dm(4, 0.0), dv(4, 0.0);
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-15;
    for (int t = 1; t <= 3; ++t) {
        adam_step(values, grads[t - 1], m, v, 0.01f, t, AdamSettings{});
        for (std::size_t k = 0; k < 4; ++k) {
            const double g = grads[t - 1][k];
            dm[k] = b1 * dm[k] + (1 - b1) * g;
            dv[k] = b2 * dv[k] + (1 - b2) * g * g;
            const double m_hat = dm[k] / (1 - std::pow(b1, t)), v_hat = dv[k] / (1 - std::pow(b2, t));
            x[k] -= lr * m_hat / (std::sqrt(v_hat) + eps);
        }
    }
    for (std::size_t k = 0; k < 4; ++k) CHECK(values[k] == doctest::Approx(x[k]).epsilon(1e-5));
    CHECK(values[2] == 0.5f);  // no gradient ever: no move
    // The first step moves every entry with a gradient by the learning rate, whatever its size.
    std::vector<float> one = {0.0f, 0.0f}, m1(2, 0.0f), v1(2, 0.0f);
    adam_step(one, std::vector<float>{1e-6f, -50.0f}, m1, v1, 0.01f, 1, AdamSettings{});
    CHECK(one[0] == doctest::Approx(-0.01f));
    CHECK(one[1] == doctest::Approx(0.01f));
    // Skipping zero gradients keeps the entry's moments (Instant-NGP's hash tables); otherwise they decay.
    AdamSettings skip;
    skip.skip_zero_gradients = true;
    std::vector<float> a = {1.0f}, am = {0.5f}, av = {0.25f};
    adam_step(a, std::vector<float>{0.0f}, am, av, 0.01f, 2, skip);
    CHECK(a[0] == 1.0f);
    CHECK(am[0] == 0.5f);
    adam_step(a, std::vector<float>{0.0f}, am, av, 0.01f, 2, AdamSettings{});
    CHECK(am[0] == doctest::Approx(0.45f));
    CHECK(a[0] < 1.0f);  // the decayed momentum still moves it
}

TEST_CASE("sort_by_high_word: stable by the high word, in one block or many, and orders floats") {
    for (const std::size_t n : {std::size_t{1000}, std::size_t{300000}}) {
        std::mt19937 random(5);
        std::vector<std::uint64_t> keys(n), scratch;
        for (std::size_t i = 0; i < n; ++i)  // few distinct high words (ties) in a shared top digit
            keys[i] = (std::uint64_t{0x40000000u | (random() % 5000u)} << 32) | i;
        std::vector<std::uint64_t> expected = keys;
        std::stable_sort(expected.begin(), expected.end(),
                         [](std::uint64_t a, std::uint64_t b) { return (a >> 32) < (b >> 32); });
        sort_by_high_word(keys, scratch);
        CHECK(keys == expected);
    }
    const std::vector<float> values = {3.5f, -0.0f, -2.0f, 1e-30f, -1e30f, 7.0f, 0.0f};
    std::vector<std::uint64_t> keys, scratch;
    for (const float v : values) keys.push_back(std::uint64_t{ordered_bits(v)} << 32);
    sort_by_high_word(keys, scratch);
    std::vector<float> sorted;
    for (const std::uint64_t k : keys)
        sorted.push_back(from_ordered_bits(static_cast<std::uint32_t>(k >> 32)));
    CHECK(std::is_sorted(sorted.begin(), sorted.end()));
    CHECK(sorted.front() == -1e30f);
    CHECK(sorted.back() == 7.0f);
}

TEST_SUITE_END();
