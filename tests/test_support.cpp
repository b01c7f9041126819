// Test main and helpers: the log sink fails any test that logs a warning it did not expect.
#define DOCTEST_CONFIG_IMPLEMENT
#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>

#include "glint/core/image_io.h"
#include "glint/core/log.h"
#include "glint/splatting/raster/rasterizer.h"

namespace glint::test {
namespace {

std::mutex g_mutex;
std::vector<std::string> g_unexpected;
LogCapture* g_capture = nullptr;
std::string g_current_case;          // the name of the test case running
std::vector<std::string> g_skipped;  // "test case: reason", in the order they skipped

void sink(log::Level level, std::string_view message) {
    std::lock_guard lock(g_mutex);
    if (level < log::Level::Warning) return;
    if (g_capture != nullptr) {
        const_cast<std::vector<std::string>&>(g_capture->warnings()).emplace_back(message);
        return;
    }
    g_unexpected.emplace_back(message);
}

// Fails the test case that logged a warning or error nobody captured.
struct UnexpectedLogListener : doctest::IReporter {
    explicit UnexpectedLogListener(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData& data) override {
        std::lock_guard lock(g_mutex);
        g_unexpected.clear();
        g_current_case = data.m_name;
        ++s_started;
    }
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {
        std::lock_guard lock(g_mutex);
        for (const std::string& message : g_unexpected) {
            std::fprintf(stderr, "unexpected warning logged: %s\n", message.c_str());
            s_failed = true;
        }
        g_unexpected.clear();
    }
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}

    static inline std::atomic<bool> s_failed{false};
    static inline std::atomic<int> s_started{0};
};
DOCTEST_REGISTER_LISTENER("unexpected-log", 1, UnexpectedLogListener);

std::atomic<unsigned> g_temp_counter{0};

}  // namespace

std::filesystem::path source_dir() {
    return GLINT_TEST_SOURCE_DIR;
}
std::filesystem::path data_dir() {
    return GLINT_TEST_DATA_DIR;
}
std::filesystem::path glint_binary() {
    return GLINT_TEST_BINARY;
}

void skip(std::string_view reason) {
    MESSAGE("skipped: ", std::string(reason));
    std::fprintf(stderr, "test skipped: %.*s\n", static_cast<int>(reason.size()), reason.data());
    std::lock_guard lock(g_mutex);
    g_skipped.emplace_back(std::string(g_current_case) + ": " + std::string(reason));
}

LogCapture::LogCapture() {
    std::lock_guard lock(g_mutex);
    g_capture = this;
}
LogCapture::~LogCapture() {
    std::lock_guard lock(g_mutex);
    g_capture = nullptr;
}
bool LogCapture::contains(std::string_view text) const {
    for (const std::string& w : m_warnings)
        if (w.find(text) != std::string::npos) return true;
    return false;
}

TempDir::TempDir() {
    m_path = std::filesystem::temp_directory_path() /
             ("glint-test-" + std::to_string(::getpid()) + "-" + std::to_string(g_temp_counter.fetch_add(1)));
    std::filesystem::remove_all(m_path);
    std::filesystem::create_directories(m_path);
}
TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

std::vector<std::byte> read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open ", path.string());
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    std::memcpy(bytes.data(), chars.data(), chars.size());
    return bytes;
}

void write_bytes(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

void check_input_error(const std::function<void()>& action, std::initializer_list<std::string_view> pieces) {
    std::string message;
    bool thrown = false;
    try {
        action();
    } catch (const InputError& e) {
        thrown = true;
        message = e.what();
    }
    REQUIRE_MESSAGE(thrown, "expected an InputError");
    INFO("message: ", message);
    CHECK(message.find('\n') == std::string::npos);
    for (std::string_view piece : pieces)
        CHECK_MESSAGE(message.find(piece) != std::string::npos, "missing '", piece, "'");
}

std::string quoted(const std::filesystem::path& path) {
    std::string text = "'";  // built with +=: GCC 12 warns falsely about "'" + string
    text += path.string();
    text += '\'';
    return text;
}

CommandResult run_glint(const std::string& arguments) {
    return run_glint_under("", arguments);
}

CommandResult run_glint_under(const std::string& prefix, const std::string& arguments) {
    const std::string command = prefix + " '" + glint_binary().string() + "' " + arguments + " 2>&1";
    CommandResult result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

double psnr_over_white(const std::filesystem::path& rendered_rgb, const std::filesystem::path& truth_rgba) {
    const Image8 rendered = read_image8(rendered_rgb, 3);
    const Image8 truth = read_image8(truth_rgba, 4);
    REQUIRE(rendered.pixels.size() / 3 == truth.pixels.size() / 4);
    double squared = 0.0;
    for (std::size_t i = 0; i < truth.pixels.size() / 4; ++i)
        for (std::size_t k = 0; k < 3; ++k) {
            const double a = truth.pixels[4 * i + 3] / 255.0;
            const double expected = truth.pixels[4 * i + k] / 255.0 * a + (1.0 - a);
            const double d = rendered.pixels[3 * i + k] / 255.0 - expected;
            squared += d * d;
        }
    return -10.0 * std::log10(squared / static_cast<double>(3 * truth.pixels.size() / 4));
}

// The exit code of a run with no failure: kSkipExitCode when every test case that started skipped,
// 0 otherwise (after a line saying how many skipped and why).
int finish_run() {
    const int started = UnexpectedLogListener::s_started;
    if (g_skipped.empty()) return 0;
    if (static_cast<int>(g_skipped.size()) >= started) return kSkipExitCode;
    std::fprintf(stderr, "%zu of %d test cases skipped:\n", g_skipped.size(), started);
    for (const std::string& line : g_skipped) std::fprintf(stderr, "  %s\n", line.c_str());
    return 0;
}

std::vector<double> last_csv_row(const std::filesystem::path& path) {
    std::ifstream csv(path);
    std::string header, last, line;
    std::getline(csv, header);
    while (std::getline(csv, line)) last = line;
    std::vector<double> fields;
    std::istringstream row(last);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(std::stod(field));
    return fields;
}

nerf::NerfConfig small_nerf_config() {
    nerf::NerfConfig c;
    c.grid.levels = 4;
    c.grid.log2_table_size = 12;
    c.grid.max_resolution = 64.0f;
    c.hidden = 16;
    c.occupancy_resolution = 16;
    c.steps = 128;
    return c;
}

double render_psnr(const splatting::GaussianCloud& a, const splatting::GaussianCloud& b,
                   const Camera& camera) {
    const auto rasterizer = splatting::create_rasterizer(Backend::Cpu);
    splatting::RenderOutput x, y;
    rasterizer->render(a, camera, splatting::RenderSettings{}, x);
    rasterizer->render(b, camera, splatting::RenderSettings{}, y);
    double mse = 0.0;
    for (std::size_t k = 0; k < x.color.size(); ++k) mse += std::pow(x.color[k] - y.color[k], 2);
    return 10.0 * std::log10(1.0 / std::max(mse / static_cast<double>(x.color.size()), 1e-12));
}

float rotation_angle(const float* a, const float* b) {
    const float na = std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + a[3] * a[3]);
    const float nb = std::sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2] + b[3] * b[3]);
    const float dot = std::fabs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]) / (na * nb);
    return 2.0f * std::acos(std::min(dot, 1.0f));
}

}  // namespace glint::test

int main(int argc, char** argv) {
    glint::log::set_sink(glint::test::sink);
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit()) return result;
    if (result != 0 || glint::test::UnexpectedLogListener::s_failed) return result != 0 ? result : 1;
    return glint::test::finish_run();
}
