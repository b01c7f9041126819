// AtomicFile: temporary file, fsync, rename.
#include "glint/core/atomic_file.h"

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

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : m_path(std::move(path)) {
    if (std::filesystem::is_directory(m_path))
        throw InputError(cat(m_path.string(), ": is a directory, cannot write a file there"));
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
