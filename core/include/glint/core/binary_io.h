// Little helpers for glint's own binary files (checkpoints, .nerf): values and length-prefixed arrays
// appended to a byte buffer, and read back with bounds checks that name the file.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {

class BinaryWriter {
public:
    template <typename T>
    void put(const T& value) {
        const auto* bytes = reinterpret_cast<const char*>(&value);
        m_data.insert(m_data.end(), bytes, bytes + sizeof value);
    }
    // The count (uint64) and the values.
    template <typename T>
    void put_array(std::span<const T> values) {
        put(static_cast<std::uint64_t>(values.size()));
        const auto* bytes = reinterpret_cast<const char*>(values.data());
        m_data.insert(m_data.end(), bytes, bytes + values.size_bytes());
    }
    const std::vector<char>& data() const { return m_data; }
    std::vector<char>& data() { return m_data; }

private:
    std::vector<char> m_data;
};

class BinaryReader {
public:
    // `what` starts every error: "<path>: <what>: <problem>".
    BinaryReader(std::vector<char> data, std::filesystem::path path, std::string what)
        : m_data(std::move(data)), m_path(std::move(path)), m_what(std::move(what)) {}
    template <typename T>
    T get() {
        need(sizeof(T));
        T value;
        std::memcpy(&value, m_data.data() + m_pos, sizeof value);
        m_pos += sizeof value;
        return value;
    }
    template <typename T>
    std::vector<T> get_array() {
        const auto count = get<std::uint64_t>();
        if (count > (m_data.size() - m_pos) / sizeof(T)) fail("truncated");
        std::vector<T> values(count);
        std::memcpy(values.data(), m_data.data() + m_pos, count * sizeof(T));
        m_pos += count * sizeof(T);
        return values;
    }
    template <typename T>
    void get_into(std::span<T> out) {
        const std::vector<T> values = get_array<T>();
        if (values.size() != out.size()) fail("array sizes do not match");
        std::copy(values.begin(), values.end(), out.begin());
    }
    [[noreturn]] void fail(const std::string& problem) const {
        throw InputError(cat(m_path.string(), ": ", m_what, ": ", problem));
    }
    void need(std::size_t bytes) const {
        if (m_data.size() - m_pos < bytes) fail("truncated");
    }
    bool at_end() const { return m_pos == m_data.size(); }
    std::size_t position() const { return m_pos; }
    const std::vector<char>& data() const { return m_data; }

private:
    std::vector<char> m_data;
    std::filesystem::path m_path;
    std::string m_what;
    std::size_t m_pos = 0;
};

// FNV-1a, 64 bits: the checksum of glint's binary files.
inline std::uint64_t fnv1a64(std::span<const char> bytes, std::uint64_t hash = 0xcbf29ce484222325ull) {
    for (const char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return hash;
}

}  // namespace glint
