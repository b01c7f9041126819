// Maps a whole file read-only and brings it into memory on a background thread, in large sequential
// chunks, so that a parser can work on the first bytes while the rest still arrive: loading runs at the
// speed of the slower of the disk and the parser, not their sum, and no byte is copied.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <thread>

namespace glint {

class StreamedFile {
public:
    // Opens `path` and starts reading. Throws InputError naming the file when it does not exist, is a
    // directory or cannot be opened.
    explicit StreamedFile(const std::filesystem::path& path);
    // Stops the reader thread. Never throws.
    ~StreamedFile();
    StreamedFile(const StreamedFile&) = delete;
    StreamedFile& operator=(const StreamedFile&) = delete;

    std::size_t size() const { return m_size; }
    // The whole buffer; bytes past what wait_for() has confirmed may not have arrived yet.
    std::span<const std::byte> bytes() const { return {m_data, m_size}; }
    // Blocks until the first min(count, size()) bytes are in memory. Throws Error when reading failed
    // (an I/O error, or the file shrank while being read).
    void wait_for(std::size_t count) const;

private:
    void read_all() noexcept;

    std::filesystem::path m_path;
    std::size_t m_size = 0;
    const std::byte* m_data = nullptr;
    std::atomic<std::size_t> m_available{0};
    std::atomic<bool> m_stop{false};
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_arrived;
    std::string m_error;  // guarded by m_mutex; set when reading failed
    std::thread m_reader;
};

}  // namespace glint
