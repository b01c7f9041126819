// Read-only memory map of a whole file: the fast path for loading large scenes at disk speed.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace glint {

class MappedFile {
public:
    // Maps `path` read-only. Throws InputError naming the file when it does not exist, is a directory
    // or cannot be read. An empty file maps to an empty span.
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const std::byte> bytes() const { return {m_data, m_size}; }
    std::size_t size() const { return m_size; }

private:
    const std::byte* m_data = nullptr;
    std::size_t m_size = 0;
};

}  // namespace glint
