// Writes a file under a temporary name and renames it into place, so that a failed or interrupted
// write never destroys the previous file.
#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string_view>

namespace glint {

class AtomicFile {
public:
    // Creates "<path>.tmp-<pid>-<n>" beside `path`, after removing such files of processes that no longer
    // run (a write killed before it could clean up). Throws Error when the folder is not writable.
    explicit AtomicFile(std::filesystem::path path);
    // Removes the temporary file unless commit() succeeded. Never throws.
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::span<const std::byte> bytes);
    void write(std::string_view text);
    // Flushes, syncs and renames over the destination. After a throw the destination is untouched.
    void commit();

    const std::filesystem::path& path() const { return m_path; }
    const std::filesystem::path& temporary_path() const { return m_temp_path; }

private:
    std::filesystem::path m_path;
    std::filesystem::path m_temp_path;
    std::FILE* m_file = nullptr;
    bool m_committed = false;
};

}  // namespace glint
