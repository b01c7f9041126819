// AtomicFile: temporary file, fsync, rename.
#include "glint/core/atomic_file.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {
namespace {

std::atomic<unsigned> g_counter{0};

// Large stdio buffer: scene files are written in big sequential chunks.
constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

// Removes "<path>.tmp-<pid>-<n>" files left beside `path` by writes whose process is gone (killed before
// its destructor ran). Files of live processes (a write in progress) are left alone; errors are ignored.
void remove_stale_temporaries(const std::filesystem::path& path) {
    const std::string prefix = path.filename().string() + ".tmp-";
    std::error_code error;
    const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
    for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end;
         it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::size_t dash = name.find('-', prefix.size());
        if (dash == std::string::npos || dash == prefix.size()) continue;
        const std::string pid_text = name.substr(prefix.size(), dash - prefix.size());
        if (pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) continue;
        const auto pid = static_cast<pid_t>(std::stol(pid_text));
        if (pid <= 0 || pid == ::getpid()) continue;
        if (::kill(pid, 0) == -1 && errno == ESRCH) {
            std::error_code ignored;
            std::filesystem::remove(it->path(), ignored);
        }
    }
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : m_path(std::move(path)) {
    if (std::filesystem::is_directory(m_path))
        throw InputError(cat(m_path.string(), ": is a directory, cannot write a file there"));
    remove_stale_temporaries(m_path);
    m_temp_path = m_path;
    m_temp_path += cat(".tmp-", ::getpid(), "-", g_counter.fetch_add(1));
    m_file = std::fopen(m_temp_path.c_str(), "wb");
    if (m_file == nullptr) throw Error(cat(m_path.string(), ": cannot create file: ", std::strerror(errno)));
    std::setvbuf(m_file, nullptr, _IOFBF, kBufferBytes);
}

AtomicFile::~AtomicFile() {
    if (m_file != nullptr) std::fclose(m_file);
    if (!m_committed) {
        std::error_code ignored;
        std::filesystem::remove(m_temp_path, ignored);
    }
}

void AtomicFile::write(std::span<const std::byte> bytes) {
    GLINT_CHECK(m_file != nullptr, "write after commit");
    if (bytes.empty()) return;
    if (std::fwrite(bytes.data(), 1, bytes.size(), m_file) != bytes.size())
        throw Error(cat(m_path.string(), ": write failed: ", std::strerror(errno)));
}

void AtomicFile::write(std::string_view text) {
    write(std::as_bytes(std::span(text.data(), text.size())));
}

void AtomicFile::commit() {
    GLINT_CHECK(m_file != nullptr, "commit called twice");
    std::FILE* file = m_file;
    m_file = nullptr;
    const bool flushed = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
    const int flush_errno = errno;
    const bool closed = std::fclose(file) == 0;
    if (!flushed || !closed)
        throw Error(cat(m_path.string(), ": write failed: ", std::strerror(flushed ? errno : flush_errno)));
    if (std::rename(m_temp_path.c_str(), m_path.c_str()) != 0)
        throw Error(
            cat(m_path.string(), ": cannot rename the finished file into place: ", std::strerror(errno)));
    m_committed = true;
}

}  // namespace glint
