// The PLY header (Turk 1994 as the reference 3DGS and point-cloud tools write it): elements, their
// properties and types, the encoding, where the body starts. Shared by the Gaussian scene reader and
// the point-cloud reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glint {

enum class PlyEncoding { BinaryLittleEndian, Ascii };

enum class PlyType : std::uint8_t { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 };

std::optional<PlyType> parse_ply_type(std::string_view name);  // "float", "uchar", "float32", ...
std::size_t ply_type_size(PlyType type);
const char* ply_type_name(PlyType type);
bool is_float_type(PlyType type);

struct PlyProperty {
    std::string name;
    PlyType type = PlyType::Float32;
    bool is_list = false;
    PlyType count_type = PlyType::UInt8;  // lists only
};

struct PlyElement {
    std::string name;
    std::uint64_t count = 0;
    std::vector<PlyProperty> properties;
    bool has_list() const;
    std::size_t row_bytes() const;  // fixed-size rows only
};

struct PlyHeader {
    PlyEncoding encoding = PlyEncoding::BinaryLittleEndian;
    std::vector<PlyElement> elements;
    std::size_t body_offset = 0;        // bytes from the start of the file
    std::vector<std::string> comments;  // the text after "comment ", in order
};

// A header longer than this is not a scene's header (the reference 3DGS writes about 1.5 KiB).
inline constexpr std::size_t kMaxPlyHeaderBytes = std::size_t{1} << 20;

// Parses the header at the start of `data` (at least the header's bytes, or the whole file when it is
// shorter than kMaxPlyHeaderBytes). Throws InputError "<name>: <problem>" naming the header line for a
// file that is empty, not PLY, big-endian, of another version, or whose header is malformed.
PlyHeader parse_ply_header(std::string_view data, std::string_view name);

}  // namespace glint
