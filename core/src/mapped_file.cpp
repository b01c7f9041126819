// POSIX mmap implementation of MappedFile.
#include "glint/core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {

MappedFile::MappedFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT) throw InputError(cat(path.string(), ": no such file"));
        throw InputError(cat(path.string(), ": cannot open: ", std::strerror(err)));
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int err = errno;
        ::close(fd);
        throw InputError(cat(path.string(), ": cannot stat: ", std::strerror(err)));
    }
    if (S_ISDIR(info.st_mode)) {
        ::close(fd);
        throw InputError(cat(path.string(), ": is a directory, not a file"));
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        throw InputError(cat(path.string(), ": not a regular file"));
    }
    m_size = static_cast<std::size_t>(info.st_size);
    if (m_size > 0) {
        void* data = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw InputError(cat(path.string(), ": cannot map: ", std::strerror(err)));
        }
        // The body is read front to back once.
        ::madvise(data, m_size, MADV_SEQUENTIAL | MADV_WILLNEED);
        m_data = static_cast<const std::byte*>(data);
    }
    ::close(fd);
}

MappedFile::~MappedFile() {
    if (m_data != nullptr) ::munmap(const_cast<std::byte*>(m_data), m_size);
}

}  // namespace glint
