// StreamedFile: a read-only mapping whose pages a background thread populates chunk by chunk.
#include "glint/core/streamed_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {
namespace {

// Large enough for the disk to stream at full speed and to amortize each wake-up of the parser,
// small enough that the parser starts early.
constexpr std::size_t kChunkBytes = std::size_t{8} << 20;
constexpr std::size_t kPageBytes = 4096;

// Maps the pages of [begin, begin + bytes) in, reading them from disk if needed. Returns 0 or an errno.
int populate(const std::byte* begin, std::size_t bytes) {
    if (::madvise(const_cast<std::byte*>(begin), bytes, MADV_POPULATE_READ) == 0) return 0;
    if (errno != EINVAL) return errno;
    // Kernels before 5.14: touch one byte per page (an I/O error then raises SIGBUS instead).
    volatile std::byte sink{};
    for (std::size_t i = 0; i < bytes; i += kPageBytes) sink = begin[i];
    (void)sink;
    return 0;
}

}  // namespace

StreamedFile::StreamedFile(const std::filesystem::path& path) : m_path(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT) throw InputError(cat(path.string(), ": no such file"));
        throw InputError(cat(path.string(), ": cannot open: ", std::strerror(err)));
    }
    struct stat info {};
    const auto fail = [&](const std::string& message) {
        ::close(fd);
        throw InputError(cat(path.string(), message));
    };
    if (::fstat(fd, &info) != 0) fail(cat(": cannot stat: ", std::strerror(errno)));
    if (S_ISDIR(info.st_mode)) fail(": is a directory, not a file");
    if (!S_ISREG(info.st_mode)) fail(": not a regular file");
    m_size = static_cast<std::size_t>(info.st_size);
    if (m_size > 0) {
        void* data = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED) fail(cat(": cannot map: ", std::strerror(errno)));
        m_data = static_cast<const std::byte*>(data);
        ::madvise(data, m_size, MADV_SEQUENTIAL);  // aggressive readahead
    }
    ::close(fd);  // the mapping keeps the file open
    if (m_size > 0) m_reader = std::thread([this] { read_all(); });
}

StreamedFile::~StreamedFile() {
    m_stop.store(true);
    if (m_reader.joinable()) m_reader.join();
    if (m_data != nullptr) ::munmap(const_cast<std::byte*>(m_data), m_size);
}

void StreamedFile::read_all() noexcept {
    std::size_t done = 0;
    std::string error;
    while (done < m_size && !m_stop.load(std::memory_order_relaxed)) {
        const std::size_t bytes = std::min(kChunkBytes, m_size - done);
        if (const int err = populate(m_data + done, bytes); err != 0) {
            error = cat(m_path.string(), ": read failed: ", std::strerror(err));
            break;
        }
        done += bytes;
        {
            std::lock_guard lock(m_mutex);
            m_available.store(done, std::memory_order_release);
        }
        m_arrived.notify_all();
    }
    std::lock_guard lock(m_mutex);
    m_error = std::move(error);
    if (!m_error.empty()) m_available.store(m_size + 1, std::memory_order_release);  // wake every waiter
    m_arrived.notify_all();
}

void StreamedFile::wait_for(std::size_t count) const {
    count = std::min(count, m_size);
    const std::size_t available = m_available.load(std::memory_order_acquire);
    if (available >= count && available <= m_size) return;
    std::unique_lock lock(m_mutex);
    m_arrived.wait(lock, [&] { return m_available.load(std::memory_order_acquire) >= count; });
    if (!m_error.empty()) throw Error(m_error);
}

}  // namespace glint
